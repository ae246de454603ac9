"""Calibration of the demand model to observed counts (``--observed FILE``).

The file is a CSV with a ``trips`` column and at most one of ``hour``, ``zone`` or
``from_zone``/``to_zone``:

* ``trips`` alone (one row, or rows that are summed): observed trips per day. The demand scale
  (``trips_per_1000``) is set so the model's expected trips a day equal it.
* ``hour,trips``: observed trips per day by hour of the asked-for pickup (0–23). The scale is fitted
  to their sum and the day type's hourly profile is replaced by the observed shares.
* ``zone,trips``: observed trips per day starting in each zone (a zone is named by its largest
  town, as the report lists them, or by its number 1…). The scale is fitted to their sum; the
  zones' shares are compared, not fitted.
* ``zone,trips,mean_km``: as above, plus the observed mean trip length (km) of the trips starting in
  each zone. The distance decay ``mean_trip_km`` is fitted so the modelled mean lengths per zone
  come closest to the observed ones (trip-weighted least squares).
* ``from_zone,to_zone,trips``: observed trips per day per zone pair (origin–destination counts).
  The scale is fitted to their sum and ``mean_trip_km`` so the modelled zone-pair shares are most
  likely to have produced the observed counts (multinomial maximum likelihood).

Fitting the decay generates demand only (no dispatching) over a log grid of ``mean_trip_km`` and
refines around the best grid point with a bounded scalar search; every candidate is scored on the
same seeds (common random numbers), so the comparison between candidates is not blurred by noise.
A modelled trip length is the straight-line distance × ``circuity`` — the model's own definition
of ``mean_trip_km`` (see :mod:`simulations.county`).

The fit is reported: observed and modelled totals (mean over seeds of generated days), and per hour
or zone the observed and modelled shares with their largest gap; for the decay the fitted value,
the in-zone share, the zone-pair shares or per-zone mean lengths observed and modelled, and the
largest gap.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from simulations.demand import DemandConfig, ServiceDay, expected_trips, generate_demand
from simulations.errors import SimulationInputError


def _number(path, number, row, column, *, positive=False) -> float:
    try:
        value = float(row[column])
    except (TypeError, ValueError):
        raise SimulationInputError(f"{path}, row {number}: {column} must be a number") from None
    if not (np.isfinite(value) and (value > 0 if positive else value >= 0)):
        raise SimulationInputError(f"{path}, row {number}: {column} must "
                                   + ("be positive" if positive else "not be negative"))
    return value


def read_observed(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise SimulationInputError(f"{path}: no such file of observed trips")
    text = path.read_text("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO("\n".join(line for line in text.splitlines()
                                                    if line.strip() and not line.startswith("#")))))
    if not rows or "trips" not in rows[0]:
        raise SimulationInputError(f"{path}: observed trips need a 'trips' column (and optionally 'hour', 'zone' "
                                   "or 'from_zone' and 'to_zone')")
    keys = {k.strip() for k in rows[0] if k}
    rows = [{(k or "").strip(): v for k, v in row.items()} for row in rows]
    pair = {"from_zone", "to_zone"} & keys
    if pair and pair != {"from_zone", "to_zone"}:
        raise SimulationInputError(f"{path}: trips per zone pair need both 'from_zone' and 'to_zone' columns")
    if len([k for k in ("hour", "zone", "from_zone") if k in keys]) > 1:
        raise SimulationInputError(f"{path}: give trips per hour, per zone or per zone pair, not several of them")
    if "mean_km" in keys and "zone" not in keys:
        raise SimulationInputError(f"{path}: a 'mean_km' column needs a 'zone' column (mean trip length of the "
                                   "trips starting in each zone)")
    out: dict = {"source": str(path), "by_hour": None, "by_zone": None, "by_pair": None, "zone_mean_km": None}
    total = 0.0
    by_hour = np.zeros(24)
    by_zone: dict[str, float] = {}
    by_pair: dict[tuple[str, str], float] = {}
    km_sum: dict[str, float] = {}
    for number, row in enumerate(rows, start=2):
        trips = _number(path, number, row, "trips")
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
            zone = str(row["zone"] or "").strip()
            if not zone:
                raise SimulationInputError(f"{path}, row {number}: zone is empty")
            by_zone[zone] = by_zone.get(zone, 0.0) + trips
            if "mean_km" in keys:
                km_sum[zone] = km_sum.get(zone, 0.0) + trips * _number(path, number, row, "mean_km", positive=True)
        elif pair:
            ends = (str(row["from_zone"] or "").strip(), str(row["to_zone"] or "").strip())
            if not all(ends):
                raise SimulationInputError(f"{path}, row {number}: from_zone and to_zone must both be given")
            by_pair[ends] = by_pair.get(ends, 0.0) + trips
    if total <= 0:
        raise SimulationInputError(f"{path}: the observed trips add up to 0")
    out["total"] = total
    if "hour" in keys:
        out["by_hour"] = by_hour
    if "zone" in keys:
        out["by_zone"] = by_zone
        if "mean_km" in keys:
            out["zone_mean_km"] = {z: km_sum[z] / by_zone[z] for z in by_zone if by_zone[z] > 0}
    if pair:
        out["by_pair"] = by_pair
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


def _zone_lookup(names: list[str], source: str):
    lookup = {n.lower(): i for i, n in enumerate(names)} | {str(i + 1): i for i in range(len(names))}

    def index(name: str) -> int:
        if name.lower() not in lookup:
            raise SimulationInputError(f"{source}: unknown zone {name!r}; zones are "
                                       f"{', '.join(names)} (or their numbers 1–{len(names)})")
        return lookup[name.lower()]
    return index


#: the range ``mean_trip_km`` is searched in (km): short village hops to trips across a large county
DECAY_BOUNDS_KM = (1.0, 30.0)
#: trips per candidate the decay fit generates at least (summed over its seeds)
DECAY_MIN_TRIPS = 6000
#: points of the log grid before the bounded refinement
DECAY_GRID_POINTS = 12


def _trip_features(region, config: DemandConfig, day: ServiceDay, seeds: int, zone_of: np.ndarray):
    """(origin zone, destination zone, road km) of the trips of ``seeds`` generated days."""
    o, d, km = [], [], []
    for seed in range(seeds):
        for t in generate_demand(region, config, day, seed):
            o.append(zone_of[t.origin_municipality])
            d.append(zone_of[t.destination_municipality])
            km.append(float(np.hypot(*(region.node_xy[t.origin_node] - region.node_xy[t.destination_node]))))
    return (np.array(o, dtype=np.int64), np.array(d, dtype=np.int64),
            np.array(km) / 1000.0 * config.circuity)


def fit_decay(region, config: DemandConfig, day: ServiceDay, observed: dict, seeds: int = 3) -> dict:
    """Fit ``mean_trip_km`` to zone-pair counts or per-zone mean trip lengths; the fit as a report."""
    from scipy.optimize import minimize_scalar

    from simulations.county import zones

    names = zone_names(region, config)
    zone_of = zones(region, config.zone_count)
    index = _zone_lookup(names, observed["source"])
    z = len(names)
    # enough trips per candidate that the shares are stable: raise the level, never the seeds' days
    expected = max(expected_trips(region, config, day), 1e-9)
    level = max(1.0, DECAY_MIN_TRIPS / (expected * seeds))
    base = config.replace(multiplier=level)

    if observed["by_pair"] is not None:
        obs = np.zeros((z, z))
        for (a, b), trips in observed["by_pair"].items():
            obs[index(a), index(b)] += trips

        def modelled(km):
            o, d, _ = _trip_features(region, base.replace(mean_trip_km=float(km)), day, seeds, zone_of)
            return np.bincount(o * z + d, minlength=z * z).reshape(z, z) / max(len(o), 1)

        def loss(km):     # multinomial negative log-likelihood per observed trip
            m = modelled(km)
            return float(-(obs * np.log(m + 0.5 / (z * z * DECAY_MIN_TRIPS))).sum() / obs.sum())
    elif observed["zone_mean_km"]:
        obs_km = np.full(z, np.nan)
        weight = np.zeros(z)
        for name, km in observed["zone_mean_km"].items():
            obs_km[index(name)] = km
            weight[index(name)] = observed["by_zone"][name]

        def modelled(km):
            o, _, lengths = _trip_features(region, base.replace(mean_trip_km=float(km)), day, seeds, zone_of)
            sums = np.bincount(o, weights=lengths, minlength=z)
            counts = np.bincount(o, minlength=z)
            return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)

        def loss(km):     # trip-weighted squared gap of the zones' mean lengths
            gap = np.nan_to_num(modelled(km) - obs_km, nan=0.0)
            return float((weight * gap ** 2).sum() / weight.sum())
    else:
        raise SimulationInputError(f"{observed['source']}: fitting the distance decay needs trips per zone pair "
                                   "(from_zone,to_zone,trips) or per zone with mean_km")

    grid = np.geomspace(*DECAY_BOUNDS_KM, DECAY_GRID_POINTS)
    scores = np.array([loss(km) for km in grid])
    best = int(np.argmin(scores))
    lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    result = minimize_scalar(loss, bounds=(lo, hi), method="bounded", options={"xatol": 0.03})
    fitted = float(result.x) if result.fun <= scores[best] else float(grid[best])
    fitted = round(fitted, 2)
    report = {"parameter": "mean_trip_km", "before": config.mean_trip_km, "fitted": fitted,
              "bounds_km": list(DECAY_BOUNDS_KM), "seeds": seeds, "zones": names,
              "loss": round(float(loss(fitted)), 6)}
    if observed["by_pair"] is not None:
        mod = modelled(fitted)
        obs_share = obs / obs.sum()
        report.update({
            "by": "zone pairs",
            "observed_within_zone_share": round(float(np.trace(obs_share)), 4),
            "modelled_within_zone_share": round(float(np.trace(mod)), 4),
            "observed_share": [[round(float(x), 4) for x in row] for row in obs_share],
            "modelled_share": [[round(float(x), 4) for x in row] for row in mod],
            "largest_gap": round(float(np.abs(obs_share - mod).max()), 4)})
    else:
        mod = modelled(fitted)
        given = ~np.isnan(obs_km)
        gaps = np.abs(np.nan_to_num(mod - obs_km, nan=0.0))
        report.update({
            "by": "zone mean trip length",
            "observed_mean_km": [None if not g else round(float(x), 2) for g, x in zip(given, obs_km)],
            "modelled_mean_km": [None if np.isnan(x) else round(float(x), 2) for x in mod],
            "observed_overall_mean_km": round(float((weight * np.nan_to_num(obs_km)).sum() / weight.sum()), 2),
            "largest_gap_km": round(float(gaps[given].max()), 2), "largest_gap_zone": names[int(np.argmax(gaps))]})
    return report


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
    decay = None
    if observed.get("by_pair") is not None or observed.get("zone_mean_km"):
        if config.model != "county":
            raise SimulationInputError("--observed: fitting the distance decay needs the county demand model")
        decay = fit_decay(region, config.replace(multiplier=1.0), day, observed, seeds)
        changes["mean_trip_km"] = decay["fitted"]
    try:
        fitted = config.replace(**changes)
    except SimulationInputError as exc:
        raise SimulationInputError(f"--observed: {exc}") from None
    days = [generate_demand(region, fitted.replace(multiplier=1.0), day, seed) for seed in range(seeds)]
    fit = {"source": observed["source"], "observed_trips_per_day": observed["total"],
           "trips_per_1000_before": config.trips_per_1000, "trips_per_1000_fitted": fitted.trips_per_1000,
           "modelled_trips_per_day": float(np.mean([len(d) for d in days])), "seeds": seeds}
    if decay is not None:
        fit["decay"] = decay
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
        index = _zone_lookup(names, observed["source"])
        obs = np.zeros(len(names))
        for name, trips in observed["by_zone"].items():
            obs[index(name)] += trips
        origins = np.concatenate([[zone_of[r.origin_municipality] for r in d] for d in days]).astype(int)
        mod = np.bincount(origins, minlength=len(names)) / max(len(origins), 1)
        obs = obs / obs.sum()
        fit["by_zone"] = {"zones": names, "observed_share": [round(float(x), 4) for x in obs],
                          "modelled_share": [round(float(x), 4) for x in mod],
                          "largest_gap": round(float(np.abs(obs - mod).max()), 4)}
    return fitted, fit


__all__ = ["read_observed", "calibrate", "zone_names", "fit_decay"]
