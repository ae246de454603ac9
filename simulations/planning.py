"""A planning study: scenarios (``--param`` values) × demand levels × fleets × seeds, then the fleet
found to the vehicle per scenario and demand level, the peak-hour bound and the warnings.

:func:`plan` drives it with any ``run_specs`` function (serial, or Dask through
:func:`simulations.sweep.run_sweep`), so the CLI only parses options and writes files.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass
from typing import Callable

from ride_pool.dispatch.rules import RulesError, ServiceRules
from simulations.errors import SimulationInputError
from simulations.report import by_group_and_fleet, summarise
from simulations.run import RunSpec
from simulations.sizing import FleetSearch, Targets, bound_warning, peak_hour_bound, rule_warnings

#: ``--param`` names in minutes (converted to the rules' seconds)
MINUTE_ALIASES = {"window_min": "window_s", "min_lead_min": "min_lead_s", "max_ride_extra_min": "max_ride_extra_s"}
#: ``--param`` names of the demand model, riders and vehicles (the rest are ServiceRules fields)
DEMAND_PARAMS = ("trips_per_1000", "advance_share", "mean_trip_km", "zone_share", "hub_share", "intra_share",
                 "arrive_by_share")
OTHER_PARAMS = {"rider_max_shift_min": "riders", "reposition": "vehicles", "stops": "spec", "zones": "demand"}


def _rule_fields() -> list[str]:
    skip = {"timezone", "operating_hours", "early_trip_before", "early_trip_book_by"}
    return [f.name for f in dataclasses.fields(ServiceRules) if f.name not in skip]


def param_names() -> list[str]:
    return sorted(set(_rule_fields()) | set(MINUTE_ALIASES) | set(DEMAND_PARAMS) | set(OTHER_PARAMS))


def parse_param(text: str) -> tuple[str, list]:
    """``NAME=V1,V2,…`` → (name, values); numbers where they parse, ``on``/``off`` as 1/0."""
    if "=" not in text:
        raise SimulationInputError(f"--param {text!r}: write NAME=V1,V2 (e.g. window_min=10,20)")
    name, _, raw = text.partition("=")
    name = name.strip()
    if name not in param_names():
        raise SimulationInputError(f"--param {name!r} is not a service rule or simulation setting; one of "
                                   f"{', '.join(param_names())}")
    values = []
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        if part.lower() in ("on", "yes", "true"):
            values.append(1)
        elif part.lower() in ("off", "no", "false"):
            values.append(0)
        else:
            try:
                number = float(part)
            except ValueError:
                raise SimulationInputError(f"--param {name}: {part!r} is not a number (or on/off)") from None
            if not math.isfinite(number):
                raise SimulationInputError(f"--param {name}: {part!r} is not a finite number")
            values.append(int(number) if number == int(number) else number)
    if not values:
        raise SimulationInputError(f"--param {text!r} names no value")
    return name, list(dict.fromkeys(values))


@dataclass(frozen=True)
class Scenario:
    label: str
    values: tuple[tuple[str, object], ...] = ()


def scenarios(params: list[tuple[str, list]]) -> list[Scenario]:
    """Every combination of the parameter values (the first parameter varies slowest)."""
    if not params:
        return [Scenario("base")]
    names = [n for n, _ in params]
    if len(set(names)) != len(names):
        raise SimulationInputError("--param: give each name once, with all its values (NAME=V1,V2)")
    out = []
    for combo in itertools.product(*[v for _, v in params]):
        values = tuple(zip(names, combo))
        out.append(Scenario(" ".join(f"{n}={v:g}" if isinstance(v, (int, float)) else f"{n}={v}"
                                     for n, v in values), values))
    return out


def apply_scenario(base: RunSpec, scenario: Scenario, stops_path: str | None = None) -> RunSpec:
    """``base`` with the scenario's values set on the rules, demand model, riders or vehicles."""
    rules, demand, riders, vehicles = {}, {}, {}, {}
    spec_changes = {}
    for name, value in scenario.values:
        if name in MINUTE_ALIASES:
            rules[MINUTE_ALIASES[name]] = int(round(float(value) * 60))
        elif name in DEMAND_PARAMS:
            demand[name] = float(value)
        elif name == "zones":
            demand["zones_on"] = bool(value)
        elif name == "rider_max_shift_min":
            riders["max_shift_s"] = int(round(float(value) * 60))
        elif name == "reposition":
            vehicles["reposition"] = bool(value)
        elif name == "stops":
            if value and not (stops_path or base.stops):
                raise SimulationInputError("--param stops=1 needs a stop table: give --stops FILE")
            spec_changes["stops"] = (stops_path or base.stops) if value else None
        else:
            rules[name] = value
    try:
        new_rules = dataclasses.replace(base.rules, **rules) if rules else base.rules
    except (RulesError, TypeError, ValueError) as exc:
        raise SimulationInputError(f"--param: {exc}") from None
    try:
        new_demand = base.demand_config.replace(**demand) if demand else base.demand_config
    except TypeError as exc:
        raise SimulationInputError(f"--param: {exc}") from None
    return base.replace(rules=new_rules, demand_config=new_demand,
                        riders=dataclasses.replace(base.riders, **riders) if riders else base.riders,
                        vehicles=dataclasses.replace(base.vehicles, **vehicles) if vehicles else base.vehicles,
                        **spec_changes)


RunSpecs = Callable[[list[RunSpec]], list[dict]]


def _tag(row: dict, scenario: Scenario, stage: str) -> dict:
    row = dict(row)
    row["scenario"] = scenario.label
    row["stage"] = stage
    for name, value in scenario.values:
        row[f"param.{name}"] = value
    return row


def plan(base: RunSpec, *, scenario_list: list[Scenario], fleets: list[int], levels: list[float], seeds: int,
         targets: Targets, run_specs: RunSpecs, extra_seeds: int = 0, max_pooling: float = 1.0,
         bisect: bool = True, stops_path: str | None = None, max_fleet: int | None = None) -> dict:
    """Grid, then bisection per (scenario, demand); returns rows, recommendations and the sweep table."""
    specs, tags = [], []
    scenario_specs = {s.label: apply_scenario(base, s, stops_path) for s in scenario_list}
    for s in scenario_list:
        for level in levels:
            for fleet in fleets:
                for seed in range(seeds):
                    specs.append(scenario_specs[s.label].replace(fleet=int(fleet), demand=float(level), seed=seed))
                    tags.append(s)
    rows = [_tag(r, s, "grid") for r, s in zip(run_specs(specs), tags)]
    recommendations = []
    for s in scenario_list:
        for level in levels:
            group = [r for r in rows if r["scenario"] == s.label and float(r["demand"]) == float(level)]
            spec = scenario_specs[s.label].replace(demand=float(level))

            def run(pairs, spec=spec, s=s):
                new = [_tag(r, s, "bisection") for r in run_specs([spec.replace(fleet=f, seed=sd) for f, sd in pairs])]
                rows.extend(new)
                return new
            search = FleetSearch(run if bisect else (lambda pairs: []), targets, list(range(seeds)),
                                 extra_seeds=extra_seeds if bisect else 0, rows=group,
                                 max_fleet=max_fleet or 4 * max(fleets))
            if bisect:
                result = search.search(fleets)
            else:
                grid_pass = next((f for f in fleets if search.passes(f, list(range(seeds)))), None)
                result = {"fleet": grid_pass, "seeds": list(range(seeds)), "largest_fleet": max(fleets),
                          "at_fleet": [], "at_fleet_minus_1": [], "binding_target": None}
            all_group = [r for r in rows if r["scenario"] == s.label and float(r["demand"]) == float(level)]
            fleet = result["fleet"]
            shown = fleet if fleet is not None else max(fleets)
            at = [r for r in all_group if r["fleet"] == shown and r["seed"] in result["seeds"]]
            simulated = sorted({r["fleet"] for r in all_group})
            largest = simulated[-1]
            below = simulated[-2] if len(simulated) > 1 else None
            bound = peak_hour_bound(at, targets, max_pooling)
            warnings = rule_warnings(targets, spec.rules, [r for r in all_group if r["fleet"] == largest], largest,
                                     [r for r in all_group if r["fleet"] == below], below)
            note = bound_warning(fleet, bound)
            if note:
                warnings.append(note)
            step = min((b - a for a, b in zip(fleets, fleets[1:])), default=1)
            if bisect and step > 1 and fleet is not None:
                result.setdefault("notes", []).append(f"grid step {step}: the fleet was found by bisection to one "
                                                      "vehicle")
            recommendations.append({"scenario": s.label, "params": dict(s.values), "demand": float(level),
                                    **result, "largest_fleet": largest, "shown_fleet": shown,
                                    "summary": summarise(at), "bound": bound, "warnings": warnings})
    rows.sort(key=lambda r: ([x.label for x in scenario_list].index(r["scenario"]), r["demand"], r["fleet"],
                             r["seed"]))
    return {"rows": rows, "recommendations": recommendations,
            "sweep": sweep_table(recommendations, scenario_list)}


def sweep_table(recommendations: list[dict], scenario_list: list[Scenario]) -> list[dict]:
    """One line per (parameter, value, demand): the answer averaged over the other parameters' values."""
    names = list(dict.fromkeys(n for s in scenario_list for n, _ in s.values))
    out = []
    for name in names:
        values = list(dict.fromkeys(dict(s.values)[name] for s in scenario_list))
        for value in values:
            for level in sorted({r["demand"] for r in recommendations}):
                recs = [r for r in recommendations if r["params"].get(name) == value and r["demand"] == level]
                fleets = [r["fleet"] for r in recs if r["fleet"] is not None]
                line = {"param": name, "value": value, "demand": level,
                        "fleet": round(sum(fleets) / len(fleets), 1) if fleets and len(fleets) == len(recs) else None}
                for key in ("passengers_per_vehicle_hour", "pooled_share", "detour_ratio", "wait_from_requested_p95_s",
                            "cost_per_passenger_eur"):
                    got = [r["summary"][key]["mean"] for r in recs if r["summary"].get(key)]
                    line[key] = sum(got) / len(got) if got else None
                out.append(line)
    return out


__all__ = ["Scenario", "parse_param", "scenarios", "apply_scenario", "plan", "param_names", "by_group_and_fleet"]
