"""Calibration of the demand model to observed counts (``--observed FILE``).

The file is a CSV with a ``trips`` column and at most one of ``hour`` or ``zone``:

* ``trips`` alone (one row, or rows that are summed): observed trips per day. The demand scale
  (``trips_per_1000``) is set so the model's expected trips a day equal it.
* ``hour,trips``: observed trips per day by hour of the asked-for pickup (0–23). The scale is fitted
  to their sum and the day type's hourly profile is replaced by the observed shares.
* ``zone,trips``: observed trips per day starting in each zone (a zone is named by its largest
  town, as the report lists them, or by its number 1…). The scale is fitted to their sum; the
  zones' shares are compared, not fitted (fitting the distance decay to zone counts needs
  origin–destination counts, which this file does not carry).

The fit is reported: observed and modelled totals (mean over seeds of generated days), and per hour
or zone the observed and modelled shares with their largest gap.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from simulations.demand import DemandConfig, ServiceDay, expected_trips, generate_demand
from simulations.errors import SimulationInputError


def read_observed(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise SimulationInputError(f"{path}: no such file of observed trips")
    text = path.read_text("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO("\n".join(line for line in text.splitlines()
                                                    if line.strip() and not line.startswith("#")))))
    if not rows or "trips" not in rows[0]:
        raise SimulationInputError(f"{path}: observed trips need a 'trips' column (and optionally 'hour' or 'zone')")
    keys = set(rows[0])
    if {"hour", "zone"} <= keys:
        raise SimulationInputError(f"{path}: give trips per hour or per zone, not both")
    out: dict = {"source": str(path), "by_hour": None, "by_zone": None}
    total = 0.0
    by_hour = np.zeros(24)
    by_zone: dict[str, float] = {}
    for number, row in enumerate(rows, start=2):
        try:
            trips = float(row["trips"])
        except (TypeError, ValueError):
            raise SimulationInputError(f"{path}, row {number}: trips must be a number") from None
        if not trips >= 0:
            raise SimulationInputError(f"{path}, row {number}: trips must not be negative")
        total += trips
        if "hour" in keys:
            try:
                hour = int(row["hour"])
            except (TypeError, ValueError):
                hour = -1
            if not 0 <= hour <= 23:
                raise SimulationInputError(f"{path}, row {number}: hour must be a whole number 0–23")
            by_hour[hour] += trips
        elif "zone" in keys:
            by_zone[str(row["zone"]).strip()] = by_zone.get(str(row["zone"]).strip(), 0.0) + trips
    if total <= 0:
        raise SimulationInputError(f"{path}: the observed trips add up to 0")
    out["total"] = total
    if "hour" in keys:
        out["by_hour"] = by_hour
    if "zone" in keys:
        out["by_zone"] = by_zone
    return out


def zone_names(region, config: DemandConfig) -> list[str]:
    """Zone index → the name of its largest town."""
    from simulations.county import zones

    zone_of = zones(region, config.zone_count)
    names = []
    for z in range(int(zone_of.max()) + 1):
        members = np.flatnonzero(zone_of == z)
        biggest = members[np.argmax(region.population[members])]
        names.append(region.municipalities[int(biggest)].name.split(",")[0])
    return names


def calibrate(region, config: DemandConfig, day: ServiceDay, observed: dict, seeds: int = 3) -> tuple[DemandConfig,
                                                                                                        dict]:
    """The demand config fitted to ``observed`` (demand level 1) and a report of the fit."""
    modelled = expected_trips(region, config, day)
    if modelled <= 0:
        raise SimulationInputError("the demand model expects no trips; cannot calibrate its scale")
    changes = {"trips_per_1000": config.trips_per_1000 * observed["total"] / modelled}
    if observed["by_hour"] is not None:
        profile = tuple(float(x) for x in observed["by_hour"])
        key = {"saturday": "saturday_hourly_weights", "sunday": "sunday_hourly_weights"}.get(day.day_type,
                                                                                            "hourly_weights")
        changes[key] = profile
    try:
        fitted = config.replace(**changes)
    except SimulationInputError as exc:
        raise SimulationInputError(f"--observed: {exc}") from None
    days = [generate_demand(region, fitted.replace(multiplier=1.0), day, seed) for seed in range(seeds)]
    fit = {"source": observed["source"], "observed_trips_per_day": observed["total"],
           "trips_per_1000_before": config.trips_per_1000, "trips_per_1000_fitted": fitted.trips_per_1000,
           "modelled_trips_per_day": float(np.mean([len(d) for d in days])), "seeds": seeds}
    if observed["by_hour"] is not None:
        obs = observed["by_hour"] / observed["by_hour"].sum()
        hours = np.concatenate([[r.desired_time // 3600 for r in d] for d in days]).astype(int)
        mod = np.bincount(np.minimum(hours, 23), minlength=24)[:24] / max(len(hours), 1)
        fit["by_hour"] = {"observed_share": [round(float(x), 4) for x in obs],
                          "modelled_share": [round(float(x), 4) for x in mod],
                          "largest_gap": round(float(np.abs(obs - mod).max()), 4)}
    if observed["by_zone"] is not None:
        from simulations.county import zones

        names = zone_names(region, fitted)
        zone_of = zones(region, fitted.zone_count)
        lookup = {n.lower(): i for i, n in enumerate(names)} | {str(i + 1): i for i in range(len(names))}
        obs = np.zeros(len(names))
        for name, trips in observed["by_zone"].items():
            if name.lower() not in lookup:
                raise SimulationInputError(f"{observed['source']}: unknown zone {name!r}; zones are "
                                           f"{', '.join(names)} (or their numbers 1–{len(names)})")
            obs[lookup[name.lower()]] += trips
        origins = np.concatenate([[zone_of[r.origin_municipality] for r in d] for d in days]).astype(int)
        mod = np.bincount(origins, minlength=len(names)) / max(len(origins), 1)
        obs = obs / obs.sum()
        fit["by_zone"] = {"zones": names, "observed_share": [round(float(x), 4) for x in obs],
                          "modelled_share": [round(float(x), 4) for x in mod],
                          "largest_gap": round(float(np.abs(obs - mod).max()), 4)}
    return fitted, fit


__all__ = ["read_observed", "calibrate", "zone_names"]
