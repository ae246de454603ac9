"""``ride-pool simulate``: size a county's fleet by simulating days over a grid.

Register it on the main app with :func:`register`. The work is done in :mod:`simulations`
(demand model, agents, sweep, report); this module parses options, checks them, shows progress
and writes the outputs atomically: everything goes into a hidden temporary folder inside ``--out``
first and is moved into place at the end, ``report.html`` last, so a folder with a report is
complete.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Optional

import typer

from ride_pool.cli.errors import fail

DEFAULT_FLEET = "5:40:5"
DEFAULT_DEMAND = "0.5,1,2"


class BadOption(Exception):
    """An option value ``simulate`` refuses; the message says what to give instead."""


def parse_fleet(text: str) -> list[int]:
    """``START:STOP:STEP`` (inclusive), a comma list ``5,10,20`` or one number."""
    text = text.strip()
    try:
        if ":" in text:
            parts = text.split(":")
            if len(parts) not in (2, 3):
                raise ValueError
            start, stop = int(parts[0]), int(parts[1])
            step = int(parts[2]) if len(parts) == 3 else 1
            if step <= 0:
                raise BadOption(f"--fleet {text!r}: the step must be positive")
            if start > stop:
                raise BadOption(f"--fleet {text!r}: the range runs backwards (start {start} > stop {stop}); "
                                f"write START:STOP:STEP with START ≤ STOP, e.g. {stop}:{start}:{step}")
            sizes = list(range(start, stop + 1, step))
        else:
            sizes = [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise BadOption(f"--fleet {text!r} is not a fleet list; write START:STOP:STEP (e.g. 5:40:5) or sizes "
                        "separated by commas (e.g. 5,10,20)") from None
    if not sizes:
        raise BadOption(f"--fleet {text!r} names no fleet size")
    if min(sizes) < 1:
        raise BadOption(f"--fleet {text!r}: fleet sizes must be at least 1 vehicle")
    if len(sizes) > 500:
        raise BadOption(f"--fleet {text!r} gives {len(sizes)} sizes; use a coarser step")
    return sorted(set(sizes))


def parse_demand(text: str) -> list[float]:
    """Comma-separated demand multipliers, each > 0."""
    try:
        levels = [float(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise BadOption(f"--demand {text!r} is not a list of numbers; write multipliers like 0.5,1,2") from None
    if not levels:
        raise BadOption(f"--demand {text!r} names no demand level")
    bad = [v for v in levels if not (math.isfinite(v) and v > 0)]
    if bad:
        raise BadOption(f"--demand {text!r}: demand multipliers must be greater than 0 (got {bad[0]:g})")
    return sorted(set(levels))


def _prepare_out(out: Path) -> Path:
    """Create ``out`` if needed and a temporary folder inside it; errors say what to fix."""
    if out.exists() and not out.is_dir():
        raise BadOption(f"--out {out}: exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".simulate-", suffix=".partial", dir=out))
        probe = tmp / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise BadOption(f"--out {out}: cannot write there ({exc.strerror or exc}); choose a writable folder") from None
    return tmp


def _publish(tmp: Path, out: Path, names: list[str]) -> None:
    """Move the finished files into ``out`` (``report.html`` last) and drop the temporary folder."""
    for name in sorted(names, key=lambda n: n == "report.html"):
        os.replace(tmp / name, out / name)
    shutil.rmtree(tmp, ignore_errors=True)


def simulate(
    region: str = typer.Option("demo", "--region", help="'demo', 'state:SN' (a synthetic Land), or a network file "
                               "(.npz or OSM file) together with --municipalities."),
    fleet: str = typer.Option(DEFAULT_FLEET, "--fleet", help="Fleet sizes: START:STOP:STEP (inclusive) or a comma "
                              "list."),
    demand: str = typer.Option(DEFAULT_DEMAND, "--demand", help="Demand multipliers, comma-separated (1 = the demand "
                               "model's rate)."),
    seeds: int = typer.Option(3, "--seeds", help="Seeds (simulated days) per fleet size and demand level."),
    out: Path = typer.Option(..., "--out", help="Output folder (kpis.csv, runs.json, PNG plots, report.html)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Address of an existing Dask scheduler "
                                            "(default: a local cluster, one worker process per core)."),
    serial: bool = typer.Option(False, "--serial", help="Run in this process, one day after another (no Dask)."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Worker processes of the local cluster "
                                          "(default: number of cores)."),
    municipalities: Optional[Path] = typer.Option(None, "--municipalities", help="Municipality CSV (ags, name, "
                                                  "population, lat, lon; or the Destatis GV-ISys table)."),
    stops: Optional[Path] = typer.Option(None, "--stops", help="Stop CSV (latitude/longitude columns): trips start "
                                         "and end at the nearest stop instead of door to door."),
    requests_csv: Optional[Path] = typer.Option(None, "--requests", help="Replay requests from a CSV instead of the "
                                                "demand model (the demand multiplier is then ignored)."),
    target_served: float = typer.Option(0.95, "--target-served", help="Target share of requests served, not counting "
                                       "requests the rider cancelled or did not show up for."),
    target_p95_wait_min: float = typer.Option(20.0, "--target-p95-wait-min", help="Target 95th-percentile wait "
                                              "(minutes)."),
    trips_per_1000: float = typer.Option(4.0, "--trips-per-1000", help="Trips per 1,000 inhabitants and day at "
                                         "demand 1 (rural services: 1–5; strong small-town services: 8–15)."),
    date: str = typer.Option("2025-09-16", "--date", help="Simulated day (ISO date; its weekday's operating hours "
                             "apply; a public holiday of the region's state runs as a Sunday)."),
    reposition: bool = typer.Option(False, "--reposition/--no-reposition", help="Idle vehicles drive towards the "
                                    "demand-weighted nearest town centre."),
    reoptimise_every: float = typer.Option(0, "--reoptimise-every", help="Run the service's background optimiser "
                                           "every this many simulated minutes (0 = off; its 1 s limit is wall-clock "
                                           "time, so results then vary slightly between runs)."),
    shifts: Optional[Path] = typer.Option(None, "--shifts", help="Shift plan (JSON: vehicle groups with driver "
                                          "shifts, starts, ends, breaks; see simulations/README.md). Default: "
                                          "staggered early and late shifts with breaks."),
    cost_model: Optional[Path] = typer.Option(None, "--cost-model", help="Cost model (JSON: driver €/paid hour, "
                                              "vehicle €/day, €/km, control centre €/day, overhead share, fare, "
                                              "CO2 kg/km; see simulations/README.md)."),
    param: Optional[list[str]] = typer.Option(None, "--param", help="Sweep a service rule or setting: NAME=V1,V2 "
                                              "(e.g. window_min=10,20 or delay_weight=0,1); repeat for more; every "
                                              "combination is a scenario."),
    hubs: Optional[Path] = typer.Option(None, "--hubs", help="Hubs (CSV: name, lat, lon, weight[, kind]) that "
                                        "attract a share of the trips: stations, hospitals, schools, the regional "
                                        "centre. Default: the centres of towns with ≥ 10,000 inhabitants and, "
                                        "with --stops, the stations among the stops (Bahnhof, Bf, Hbf, Haltepunkt or a "
                                        "kind column)."),
    observed: Optional[Path] = typer.Option(None, "--observed", help="Observed trips per day (CSV: trips, "
                                            "optionally per hour, per zone [with mean_km] or per zone pair "
                                            "from_zone,to_zone): fits the demand scale, the hourly profile and, "
                                            "from zone pairs or mean_km, the distance decay mean_trip_km; reports "
                                            "the fit."),
    extra_seeds: int = typer.Option(3, "--extra-seeds", help="More seeds at the recommended fleet and one vehicle "
                                    "fewer when the seeds there straddle a target (0 = never)."),
    bisect: bool = typer.Option(True, "--bisect/--no-bisect", help="After the grid, find the fleet to the vehicle "
                                "by bisection."),
    max_pooling: float = typer.Option(1.0, "--max-pooling", help="Peak-hour lower bound: direct trip time a "
                                      "vehicle-hour carries at most (1 = pooling only makes up for empty driving)."),
    timetable: Optional[Path] = typer.Option(None, "--timetable", help="A GTFS feed (zip) of the scheduled lines: "
                                             "with --feeder-share, trips to and from their stations' trains."),
    feeder_share: float = typer.Option(0.0, "--feeder-share", help="Share of the requests that become feeder trips "
                                       "to a departure or from an arrival of --timetable (0 to 1)."),
) -> None:
    """Simulate service days over fleet sizes × demand levels × seeds and recommend a fleet size."""
    from routing.errors import RoutingInputError
    from simulations.errors import SimulationInputError

    tmp: Path | None = None
    try:
        fleets = parse_fleet(fleet)
        levels = parse_demand(demand)
        if seeds < 1:
            raise BadOption(f"--seeds {seeds}: give at least 1 seed")
        if not 0 < target_served <= 1:
            raise BadOption(f"--target-served {target_served:g}: give a share in (0, 1], e.g. 0.95")
        if not target_p95_wait_min > 0:
            raise BadOption(f"--target-p95-wait-min {target_p95_wait_min:g}: give a positive number of minutes")
        if not (math.isfinite(trips_per_1000) and trips_per_1000 > 0):
            raise BadOption(f"--trips-per-1000 {trips_per_1000:g}: give a positive rate")
        if not (math.isfinite(reoptimise_every) and reoptimise_every >= 0):
            raise BadOption(f"--reoptimise-every {reoptimise_every:g}: give minutes >= 0 (0 = off)")
        if workers is not None and workers < 1:
            raise BadOption(f"--workers {workers}: give at least 1")
        if serial and scheduler:
            raise BadOption("--serial and --scheduler exclude each other; choose one")
        if not 0 <= extra_seeds <= 50:
            raise BadOption(f"--extra-seeds {extra_seeds}: give 0 to 50")
        if not (math.isfinite(max_pooling) and max_pooling > 0):
            raise BadOption(f"--max-pooling {max_pooling:g}: give a positive number, e.g. 1")
        for option, path in (("--municipalities", municipalities), ("--stops", stops), ("--requests", requests_csv),
                             ("--shifts", shifts), ("--cost-model", cost_model), ("--hubs", hubs),
                             ("--observed", observed)):
            if path is not None and not path.is_file():
                raise BadOption(f"{option} {path}: no such file")
        tmp = _prepare_out(out)
        _run(region=region, fleets=fleets, levels=levels, seeds=seeds, out=out, tmp=tmp, scheduler=scheduler,
             serial=serial, workers=workers, municipalities=municipalities, stops=stops, requests_csv=requests_csv,
             target_served=target_served, target_p95_wait_min=target_p95_wait_min, trips_per_1000=trips_per_1000,
             date=date, reposition=reposition, reoptimise_every=reoptimise_every, shifts=shifts,
             cost_model=cost_model, params=param or [], extra_seeds=extra_seeds, bisect=bisect,
             max_pooling=max_pooling, hubs=hubs, observed=observed, timetable=timetable,
             feeder_share=feeder_share)
        tmp = None
    except (BadOption, SimulationInputError, RoutingInputError) as exc:
        fail(str(exc))
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _read_json(path: Path, what: str):
    from simulations.errors import SimulationInputError

    try:
        return json.loads(path.read_text("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SimulationInputError(f"{path}: not a JSON {what} ({exc})") from None


def station_hubs(region) -> list:
    from simulations.county import station_hubs as stations

    return stations(region)


def _decay_text(decay: dict | None) -> str:
    """The decay fit in one clause of the report's calibration line."""
    if not decay:
        return ""
    text = f"; distance decay fitted from {decay['by']}: mean_trip_km {decay['before']:g} → {decay['fitted']:g} km"
    if decay["by"] == "zone pairs":
        return text + (f", in-zone share observed {decay['observed_within_zone_share']:.1%} / modelled "
                       f"{decay['modelled_within_zone_share']:.1%}, largest gap in the zone-pair shares "
                       f"{decay['largest_gap']:.1%}")
    return text + (f", observed mean trip {decay['observed_overall_mean_km']:g} km, largest gap "
                   f"{decay['largest_gap_km']:g} km ({decay['largest_gap_zone']})")


def _run(*, region, fleets, levels, seeds, out, tmp, scheduler, serial, workers, municipalities, stops, requests_csv,
         target_served, target_p95_wait_min, trips_per_1000, date, reposition, reoptimise_every=0.0, shifts=None,
         cost_model=None, params=(), extra_seeds=3, bisect=True, max_pooling=1.0, hubs=None,
         observed=None, timetable=None, feeder_share=0.0) -> None:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ride_pool.dispatch.rules import WEEKDAYS
    from simulations.agents import VehicleConfig
    from simulations.demand import DemandConfig
    from simulations.kpis import CostModel
    from simulations.planning import parse_param, plan, scenarios
    from simulations.region import cache_region, load_region
    from simulations.report import plot_map, plot_vs_fleet, write_kpis_csv, write_report
    from simulations.run import RunSpec, plan_fleet, service_day, shift_plan_for
    from simulations.shifts import read_shift_plan
    from simulations.sizing import Targets
    from simulations.sweep import SweepRunner

    err = Console(stderr=True, soft_wrap=True)
    started = time.perf_counter()
    parsed = [parse_param(p) for p in params]
    scenario_list = scenarios(parsed)
    shift_config = read_shift_plan(shifts) if shifts is not None else None
    costs = CostModel.from_mapping(_read_json(cost_model, "cost model"), str(cost_model)) if cost_model else CostModel()
    loaded = load_region(region, str(municipalities) if municipalities else None, str(stops) if stops else None)
    cache_region(loaded)
    hubs_path = str(hubs.resolve()) if hubs else None
    if hubs_path:
        from simulations.county import read_hubs

        read_hubs(hubs_path, loaded)          # a bad hub file fails here, before any worker starts
    stops_path = str(stops.resolve()) if stops else None
    base = RunSpec(region=region, municipalities=str(municipalities.resolve()) if municipalities else None,
                   stops=stops_path, requests_csv=str(requests_csv.resolve()) if requests_csv else None, date=date,
                   demand_config=DemandConfig(trips_per_1000=trips_per_1000, hubs_csv=hubs_path),
                   vehicles=VehicleConfig(reposition=reposition), keep_trips=True,
                   reoptimise_every_s=int(round(reoptimise_every * 60)) or None, shift_plan=shift_config,
                   cost_model=costs)
    if not 0 <= feeder_share <= 1:
        raise BadOption(f"--feeder-share {feeder_share:g}: give a share between 0 and 1")
    if timetable is not None:
        from ride_pool.gtfs.timetable import FeedError, read_feed

        try:
            base = base.replace(timetable=read_feed(timetable), feeder_share=feeder_share)
        except (FeedError, OSError) as exc:
            raise BadOption(f"--timetable {timetable}: {exc}") from None
    elif feeder_share:
        raise BadOption("--feeder-share needs --timetable (the trains to feed)")
    # a bad or closed date fails here, before any worker starts; a public holiday of the region's state runs as a
    # Sunday
    day_start, day = service_day(base.rules, date, loaded.state)
    weekday = "sun" if day.day_type == "sunday" else WEEKDAYS[datetime.date.fromisoformat(date).weekday()]
    fit = None
    if observed is not None:
        from simulations.calibration import calibrate, read_observed
        from simulations.errors import SimulationInputError

        if requests_csv is not None:
            raise SimulationInputError("--observed calibrates the demand model; it cannot be used with --requests")
        fitted, fit = calibrate(loaded, base.demand_config, day, read_observed(observed))
        base = base.replace(demand_config=fitted)
        err.print(f"calibrated to {observed}: {fit['observed_trips_per_day']:g} observed trips a day → "
                  f"{fitted.trips_per_1000:.3f} trips per 1,000 inhabitants (modelled "
                  f"{fit['modelled_trips_per_day']:.0f} a day)"
                  + (f"; mean_trip_km {fit['decay']['before']:g} → {fit['decay']['fitted']:g} km "
                     f"(from {fit['decay']['by']})" if "decay" in fit else ""), highlight=False)
    if requests_csv is not None:       # the replayed file decides the demand
        from simulations.demand import read_request_csv

        read_request_csv(requests_csv, loaded, rules=base.rules)
        levels = [1.0]
    total = len(scenario_list) * len(levels) * len(fleets) * seeds
    mode = "serially" if serial else (f"on the Dask cluster at {scheduler}" if scheduler else
                                      f"on a local Dask cluster ({workers or os.cpu_count()} worker processes)")
    err.print(f"region {loaded.name}: {len(loaded.municipalities)} municipalities, "
              f"{int(loaded.population.sum()):,} inhabitants{' (SYNTHETIC network)' if loaded.synthetic else ''}; "
              f"{total} simulated days on the grid ({len(scenario_list)} scenario(s)) {mode}"
              + (", then bisection" if bisect else ""), highlight=False)
    targets = Targets(served_share=target_served, p95_wait_s=target_p95_wait_min * 60)
    with Progress(TextColumn("simulating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=False) as progress:
        task = progress.add_task("runs", total=total)

        def advance(i, row):
            if i >= progress.tasks[0].total:
                progress.update(task, total=i + 1)
            progress.advance(task)
        with SweepRunner(scheduler=scheduler, serial=serial, workers=workers, on_result=advance) as runner:
            study = plan(base, scenario_list=scenario_list, fleets=fleets, levels=levels, seeds=seeds,
                         targets=targets, run_specs=runner.run, extra_seeds=extra_seeds, max_pooling=max_pooling,
                         bisect=bisect, stops_path=stops_path)
    rows, recommendations = study["rows"], study["recommendations"]

    names = ["kpis.csv", "runs.json", "recommendation.json"]
    write_kpis_csv(rows, tmp / "kpis.csv")
    shift_text = shift_plan_for(shift_config, day).describe()
    params_doc = {
        "region": loaded.name, "synthetic network": loaded.synthetic, "municipalities": len(loaded.municipalities),
        "inhabitants": int(loaded.population.sum()), "stops": len(loaded.stops) if loaded.stops else "door to door",
        "fleet sizes (grid)": ", ".join(map(str, fleets)), "demand levels": ", ".join(f"{m:g}" for m in levels),
        "seeds": seeds, "extra seeds where results straddle": extra_seeds,
        "scenarios": "; ".join(s.label for s in scenario_list),
        "trips per 1,000 inhabitants at demand 1": round(base.demand_config.trips_per_1000, 4),
        "calibration": "none" if fit is None else (
            f"{fit['source']}: observed {fit['observed_trips_per_day']:g} trips a day, modelled "
            f"{fit['modelled_trips_per_day']:.0f}" + "".join(f"; largest gap in the {k[3:]} shares "
                                                              f"{fit[k]['largest_gap']:.1%}"
                                                              for k in ("by_hour", "by_zone") if k in fit)
            + _decay_text(fit.get("decay"))),
        "demand model": (f"{base.demand_config.model}: mean trip {base.demand_config.mean_trip_km:g} km, "
                         f"{base.demand_config.zone_count} zones with {base.demand_config.zone_share:.0%} of the trips "
                         f"inside" + ("" if base.demand_config.zones_on else " (zones off)")
                         + f", {base.demand_config.hub_share:.0%} to or from hubs ("
                         + (str(hubs) if hubs else "towns ≥ 10,000 inhabitants"
                                                   + (f" and {len(station_hubs(loaded))} stations of the stop table"
                                                      if loaded.stops else "")) + "), "
                         f"{base.demand_config.advance_share:.0%} booked ≥ 1 h ahead, day type {day.day_type}"),
        "requests": str(requests_csv) if requests_csv else "demand model", "date": date,
        "operating hours": "–".join(base.rules.operating_hours[weekday]),   # service_day rejected closed days
        "pickup window": f"{base.rules.window_s // 60} min",
        "max ride": f"{base.rules.max_ride_factor:g} × direct + {base.rules.max_ride_extra_s // 60} min",
        "delay weight": f"{base.rules.delay_weight:g}",
        "vehicles": f"{base.fleet_config.places} places; {base.fleet_config.wheelchair_vehicle_share:.0%} of the "
                    f"vehicles with {base.fleet_config.wheelchair_places} wheelchair place(s) instead of a seat",
        "shift plan": shift_text,
        "repositioning": "on" if reposition else "off",
        "background optimiser": f"every {reoptimise_every:g} min" if reoptimise_every else "off",
        "cost model": ", ".join(f"{k} {v}" for k, v in dataclasses.asdict(costs).items()),
        "targets": f"served ≥ {target_served:.0%}, p95 wait from the requested time ≤ {target_p95_wait_min:g} min",
        "peak-hour bound: maximum pooling": f"{max_pooling:g}",
        "wall time": f"{time.perf_counter() - started:,.0f} s",
    }
    with open(tmp / "runs.json", "w", encoding="utf-8") as fh:
        json.dump({"params": params_doc, "calibration": fit, "recommendations": recommendations,
                   "sweep": study["sweep"],
                   "runs": [{k: v for k, v in r.items() if k != "trips"} for r in rows]}, fh, ensure_ascii=False,
                  indent=1)
    primary = min(recommendations, key=lambda r: (r["scenario"] != scenario_list[0].label, abs(r["demand"] - 1.0)))
    with open(tmp / "recommendation.json", "w", encoding="utf-8") as fh:
        json.dump({"fleet": primary["fleet"], "scenario": primary["scenario"], "demand": primary["demand"],
                   "seeds": primary.get("seeds"), "binding_target": primary.get("binding_target"),
                   "at_fleet": primary.get("at_fleet"), "at_fleet_minus_1": primary.get("at_fleet_minus_1"),
                   "peak_hour_bound": primary.get("bound"), "warnings": primary.get("warnings"),
                   "targets": {"served_share_net": target_served, "wait_from_requested_p95_s": targets.p95_wait_s},
                   "all": [{k: v for k, v in r.items() if k != "summary"} for r in recommendations]},
                  fh, ensure_ascii=False, indent=1)
    images = []
    for name, key, label, title, target, scale, target_label in (
            ("served_share.png", "served_share_net", "Beförderungsquote netto / served share net (%)",
             "Beförderungsquote / served share (net of rider cancellations, no-shows) vs fleet",
             target_served * 100, 100.0, f"target {target_served:.0%}"),
            ("p95_wait.png", "wait_from_requested_p95_s", "p95 Wartezeit / p95 wait (min)",
             "p95 Wartezeit ab Wunschzeit / p95 wait from the requested time vs fleet",
             target_p95_wait_min, 1 / 60, f"target {target_p95_wait_min:g} min"),
            ("passengers_per_vehicle_hour.png", "passengers_per_vehicle_hour", "Fahrgäste je Fzh / passengers per "
             "revenue veh-h", "Fahrgäste je Fahrzeugstunde / passengers per revenue vehicle-hour vs fleet",
             None, 1.0, ""),
            ("cost_per_passenger.png", "cost_per_passenger_eur", "€ je Fahrgast / € per passenger",
             "Kosten je Fahrgast / cost per passenger vs fleet", None, 1.0, "")):
        plot_vs_fleet(rows, key, label, tmp / name, title=title,
                      target=target, scale=scale, target_label=target_label)
        images.append((tmp / name, title))
        names.append(name)
    # the map shows one run: the recommended fleet of the first scenario at the demand level nearest 1, first seed
    shown = next((r for r in rows if r["scenario"] == primary["scenario"] and r["demand"] == primary["demand"]
                  and r["fleet"] == primary["shown_fleet"]), rows[0])
    depots = sorted({p.depot_node for p in plan_fleet(loaded, shown["fleet"], base.fleet_config, day_start, day,
                                                      shift_config)})
    plot_map(loaded, shown.get("trips"), tmp / "map.png", depots=depots,
             title=f"Demand and served trips: demand ×{shown['demand']:g}, {shown['fleet']} vehicles, seed "
                   f"{shown['seed']}" + (" — SYNTHETIC network" if loaded.synthetic else ""))
    images.append((tmp / "map.png", "Karte der Anfragen und Fahrten / map of requested pickups and served trips"))
    names.append("map.png")
    write_report(tmp / "report.html", rows=rows, recommendations=recommendations, targets=targets, params=params_doc,
                 images=images, region=loaded, sweep=study["sweep"])
    names.append("report.html")
    _publish(tmp, out, names)
    for r in recommendations:
        fleet = r["fleet"]
        err.print(f"{r['scenario']}, demand ×{r['demand']:g}: recommended fleet "
                  + (f"{fleet}" if fleet is not None else f"none up to {r['largest_fleet']}")
                  + f" (every target in every one of {len(r.get('seeds') or [])} seeds"
                  + (f"; binding: {r['binding_target']}" if r.get("binding_target") else "")
                  + (f"; peak-hour lower bound {r['bound']['fleet_lower_bound']}" if r.get("bound") else "") + ")",
                  highlight=False)
        for w in r.get("warnings", []):
            err.print(f"  warning: {w}", highlight=False)
    typer.echo(str(out / "report.html"))


def register(app: typer.Typer) -> None:
    """Add the ``simulate`` command to ``app``."""
    app.command("simulate")(simulate)
