"""The fleet, found to the vehicle: targets, bisection after the grid, more seeds where results
straddle, warnings when the rules rather than the fleet set a target, and a peak-hour lower bound.

* **Targets** (:class:`Targets`): served share of the requests riders kept
  (``served_share_net``) ≥ ``served_share`` and the 95th-percentile wait from the requested
  time (``wait_from_requested_p95_s``) ≤ ``p95_wait_s``. A fleet *passes* a set of seeds when
  every seed meets every target.
* **Search** (:class:`FleetSearch`): the smallest grid fleet that passes is an upper bound, the
  largest grid fleet below it (or 0) a lower one; bisection runs the fleet in the middle (every
  seed) until the two are one vehicle apart. Bisection assumes that more vehicles never make a
  target worse; the answer is checked where it matters (``fleet`` passes and ``fleet − 1`` fails
  in the seeds run). When the seeds at ``fleet − 1`` straddle a target (some meet it, some do not)
  ``extra_seeds`` more seeds are run at ``fleet − 1`` and ``fleet``; if ``fleet`` then fails in
  one, the search moves up one vehicle at a time (every seed run so far) until it passes.
* **Binding target**: the target that fails in most seeds at ``fleet − 1`` (ties: the larger
  shortfall relative to the target).
* **Peak-hour lower bound** (:func:`peak_hour_bound`): independent of the simulated pooling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Targets:
    served_share: float = 0.95
    p95_wait_s: float = 20 * 60

    def checks(self) -> list[tuple[str, str, str, float]]:
        """(name, KPI key, ">=" or "<=", value) of every target."""
        return [("served share (net)", "served_share_net", ">=", self.served_share),
                ("p95 wait from the requested time", "wait_from_requested_p95_s", "<=", self.p95_wait_s)]

    def failures(self, row: dict) -> list[str]:
        """KPI keys of the targets ``row`` misses (a missing value misses)."""
        out = []
        for _, key, op, value in self.checks():
            got = row.get(key)
            if got is None or (got < value if op == ">=" else got > value):
                out.append(key)
        return out

    def met(self, row: dict) -> bool:
        return not self.failures(row)

    def shortfall(self, row: dict, key: str) -> float:
        """How far ``row`` misses target ``key``, relative to the target (0 when met)."""
        for _, k, op, value in self.checks():
            if k == key:
                got = row.get(k)
                if got is None:
                    return math.inf
                return max(0.0, (value - got) / value if op == ">=" else (got - value) / value)
        raise KeyError(key)


RunBatch = Callable[[list[tuple[int, int]]], list[dict]]


class Notice(str):
    """A warning for the report: the English text (what ``str`` and JSON give) and ``.de``, the German."""

    de: str

    def __new__(cls, en: str, de: str) -> "Notice":
        obj = super().__new__(cls, en)
        obj.de = de
        return obj


class FleetSearch:
    """Bisection to the smallest fleet meeting every target in every seed (see the module doc).

    ``run(pairs)`` simulates the (fleet, seed) days and returns their rows in the same order;
    ``rows`` are results already run (the grid).
    """

    def __init__(self, run: RunBatch, targets: Targets, seeds: list[int], *, extra_seeds: int = 0,
                 rows: list[dict] | None = None, max_fleet: int | None = None):
        self.run = run
        self.targets = targets
        self.seeds = list(seeds)
        self.extra = [max(self.seeds, default=-1) + 1 + i for i in range(max(0, extra_seeds))]
        self.max_fleet = max_fleet
        self.results: dict[tuple[int, int], dict] = {}
        self.bisected: list[int] = []
        for r in rows or []:
            self.results[(int(r["fleet"]), int(r["seed"]))] = r

    def days(self, fleet: int, seeds: list[int]) -> list[dict]:
        missing = [(fleet, s) for s in seeds if (fleet, s) not in self.results]
        if missing:
            for pair, row in zip(missing, self.run(missing)):
                self.results[pair] = row
        return [self.results[(fleet, s)] for s in seeds]

    def passes(self, fleet: int, seeds: list[int]) -> bool:
        return fleet >= 1 and all(self.targets.met(r) for r in self.days(fleet, seeds))

    def search(self, grid_fleets: list[int]) -> dict:
        grid_fleets = sorted(set(int(f) for f in grid_fleets))
        seeds = self.seeds
        hi = next((f for f in grid_fleets if self.passes(f, seeds)), None)
        if hi is None:
            return {"fleet": None, "seeds": seeds, "reason": f"no fleet up to {max(grid_fleets)} meets every target in "
                    "every seed; widen --fleet", "largest_fleet": max(grid_fleets)}
        lo = max((f for f in grid_fleets if f < hi), default=0)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            self.bisected.append(mid)
            if self.passes(mid, seeds):
                hi = mid
            else:
                lo = mid
        straddled = False
        if self.extra and hi > 1:
            below = self.days(hi - 1, seeds)
            straddled = any(self.targets.met(r) for r in below)
            if straddled:
                seeds = seeds + self.extra
                self.days(hi - 1, seeds)
                while not self.passes(hi, seeds):
                    hi += 1
                    if self.max_fleet is not None and hi > self.max_fleet:
                        return {"fleet": None, "seeds": seeds, "reason": f"with {len(seeds)} seeds no fleet up to "
                                f"{self.max_fleet} meets every target in every seed", "largest_fleet": self.max_fleet}
        at = self.days(hi, seeds)
        below = self.days(hi - 1, seeds) if hi > 1 else []
        counts = {key: sum(1 for r in below if key in self.targets.failures(r)) for _, key, _, _ in
                  self.targets.checks()}
        binding = None
        if below:
            binding = max(counts, key=lambda k: (counts[k], max(self.targets.shortfall(r, k) for r in below)))
        return {"fleet": hi, "seeds": seeds, "straddled": straddled, "bisected": list(self.bisected),
                "binding_target": binding, "failures_below": counts,
                "at_fleet": [_summary(r, self.targets) for r in at],
                "at_fleet_minus_1": [_summary(r, self.targets) for r in below]}


def _summary(row: dict, targets: Targets) -> dict:
    keys = ("seed", "fleet", "served_share_net", "wait_from_requested_p95_s", "wait_from_window_p95_s",
            "passengers_per_vehicle_hour", "mean_load_on_board", "pooled_share", "cost_per_passenger_eur")
    return {**{k: row.get(k) for k in keys}, "meets_targets": targets.met(row), "misses": targets.failures(row)}


def rule_warnings(targets: Targets, rules, rows_at_largest: list[dict], largest: int,
                  rows_below_largest: list[dict] | None = None, below: int | None = None) -> list[str]:
    """Warnings for targets the service rules decide rather than the fleet.

    A target the largest fleet misses is blamed on the rules only when the two largest fleets
    simulated (``largest`` and ``below``) give nearly the same value (within 5 %): more vehicles no
    longer help. Otherwise the fleet range was too small, which the search reports itself.
    """
    out = []
    window = int(rules.window_s)
    if targets.p95_wait_s <= window:
        out.append(Notice(
            f"The p95-wait target ({targets.p95_wait_s / 60:g} min) lies within the promised pickup window "
            f"({window // 60} min): vehicles may arrive anywhere in the window, so this target is set by the "
            "window and the dispatcher's planning, not by the fleet.",
            f"Das Ziel für das 95 %-Perzentil der Wartezeit ({targets.p95_wait_s / 60:g} min) liegt innerhalb des "
            f"zugesagten Abholfensters ({window // 60} min): Fahrzeuge dürfen irgendwann im Fenster kommen, also "
            "bestimmen das Fenster und die Disposition dieses Ziel, nicht die Flottengröße."))

    def mean(rows, key):
        values = [r[key] for r in rows or [] if r.get(key) is not None]
        return float(np.mean(values)) if values else None

    for key, what in (("wait_from_requested_p95_s", "wait"), ("served_share_net", "served")):
        at = [r.get(key) for r in rows_at_largest if r.get(key) is not None]
        if not at or all(key not in targets.failures(r) for r in rows_at_largest):
            continue
        top, lower = mean(rows_at_largest, key), mean(rows_below_largest, key)
        if lower is None or top is None or abs(lower - top) > 0.05 * abs(top):
            continue
        if what == "wait":
            out.append(Notice(
                f"Neither {below} nor {largest} vehicles meet the p95-wait target ({lower / 60:.1f} and "
                f"{top / 60:.1f} min against {targets.p95_wait_s / 60:g} min, nearly the same): the waits come "
                f"from the rules (window {window // 60} min; riders take offers up to 30 min after the asked time), "
                "not from too few vehicles.",
                f"Weder {below} noch {largest} Fahrzeuge erreichen das Wartezeitziel ({lower / 60:.1f} und "
                f"{top / 60:.1f} min gegen {targets.p95_wait_s / 60:g} min, fast gleich): die Wartezeiten folgen aus "
                f"den Regeln (Fenster {window // 60} min; Fahrgäste nehmen Angebote bis 30 min nach der Wunschzeit "
                "an), nicht aus zu wenigen Fahrzeugen."))
        else:
            out.append(Notice(
                f"Neither {below} nor {largest} vehicles meet the served-share target ({lower:.1%} and {top:.1%}): "
                "the rest is refused by the rules (lead time, early-morning cut-off, ride-time limits) or declined "
                "by riders, not for want of vehicles.",
                f"Weder {below} noch {largest} Fahrzeuge erreichen die Ziel-Beförderungsquote ({lower:.1%} und "
                f"{top:.1%}): der Rest scheitert an den Regeln (Vorlaufzeit, Frühfahrten-Frist, Fahrzeitgrenzen) "
                "oder wird von Fahrgästen abgelehnt, nicht an fehlenden Fahrzeugen."))
    return out


def peak_hour_bound(rows: list[dict], targets: Targets, max_pooling: float) -> dict | None:
    """Vehicles needed in the busiest hour without relying on the simulated pooling.

    vehicle-hours = served-share target × (Σ direct driving time of the hour's trips ÷ ``max_pooling``
    + Σ their stop times); fleet ≥ vehicle-hours ÷ share of the fleet on duty in that hour (from the
    shift plan). ``max_pooling`` is the highest direct trip time a vehicle-hour can carry (1.0: pooling
    no more than makes up for empty driving and detours); the simulated value is shown beside it.
    """
    usable = [r for r in rows if r.get("peak_hour_direct_hours") is not None]
    if not usable:
        return None
    direct = float(np.mean([r["peak_hour_direct_hours"] for r in usable]))
    stops = float(np.mean([r["peak_hour_stop_hours"] for r in usable]))
    duty = [r.get("peak_hour_on_duty_share") for r in usable if r.get("peak_hour_on_duty_share")]
    on_duty = float(np.mean(duty)) if duty else 1.0
    hours = targets.served_share * (direct / max_pooling + stops)
    pooling = [r["pooling_factor"] for r in usable if r.get("pooling_factor") is not None]
    return {"max_pooling": max_pooling, "peak_hour_requests": float(np.mean([r["peak_hour_requests"] for r in usable])),
            "peak_hour_direct_hours": round(direct, 2), "peak_hour_stop_hours": round(stops, 2),
            "on_duty_share": round(on_duty, 3), "vehicle_hours_needed": round(hours, 2),
            "fleet_lower_bound": math.ceil(hours / on_duty - 1e-9),
            "simulated_pooling_factor": round(float(np.mean(pooling)), 3) if pooling else None}


def bound_warning(fleet: int | None, bound: dict | None, *, too_high: float = 1.5) -> str | None:
    """A warning when the recommendation and the peak-hour bound disagree."""
    if fleet is None or bound is None:
        return None
    low = bound["fleet_lower_bound"]
    if fleet < low:
        return Notice(
            f"The recommended fleet ({fleet}) is below the peak-hour lower bound ({low} at pooling "
            f"{bound['max_pooling']:g}): the simulation pools more than the stated maximum "
            f"(simulated {bound['simulated_pooling_factor']}) — check before relying on it.",
            f"Die empfohlene Flotte ({fleet}) liegt unter der Untergrenze der Spitzenstunde ({low} bei Bündelung "
            f"{bound['max_pooling']:g}): die Simulation bündelt mehr als das angegebene Maximum (simuliert "
            f"{bound['simulated_pooling_factor']}) — vor Verwendung prüfen.")
    if fleet > too_high * low:
        return Notice(
            f"The recommended fleet ({fleet}) is more than {too_high:g}× the peak-hour lower bound ({low}): "
            "vehicles spend much time driving empty, waiting or on breaks — check depots, shifts and the "
            "dispatch settings before buying.",
            f"Die empfohlene Flotte ({fleet}) ist mehr als {too_high:g}-mal so groß wie die Untergrenze der "
            f"Spitzenstunde ({low}): Fahrzeuge fahren viel leer, warten oder pausieren — Depots, Schichten und "
            "Dispositionseinstellungen vor dem Kauf prüfen.")
    return None


__all__ = ["Notice", "Targets", "FleetSearch", "rule_warnings", "peak_hour_bound", "bound_warning"]
