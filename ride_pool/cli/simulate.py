"""``ride-pool simulate``: size a county's fleet by simulating days over a grid.

Register it on the main app with :func:`register`. The work is done in :mod:`simulations`
(demand model, agents, sweep, report); this module parses options, checks them, shows progress
and writes the outputs atomically: everything goes into a hidden temporary folder inside ``--out``
first and is moved into place at the end, ``report.html`` last, so a folder with a report is
complete.
"""

from __future__ import annotations

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
    region: str = typer.Option("demo", "--region", help="'demo', or a network file (.npz or OSM file) together "
                               "with --municipalities."),
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
                             "apply)."),
    reposition: bool = typer.Option(False, "--reposition/--no-reposition", help="Idle vehicles drive towards the "
                                    "demand-weighted nearest town centre."),
    reoptimise_every: float = typer.Option(0, "--reoptimise-every", help="Run the service's background optimiser "
                                           "every this many simulated minutes (0 = off; its 1 s limit is wall-clock "
                                           "time, so results then vary slightly between runs)."),
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
        for option, path in (("--municipalities", municipalities), ("--stops", stops), ("--requests", requests_csv)):
            if path is not None and not path.is_file():
                raise BadOption(f"{option} {path}: no such file")
        tmp = _prepare_out(out)
        _run(region=region, fleets=fleets, levels=levels, seeds=seeds, out=out, tmp=tmp, scheduler=scheduler,
             serial=serial, workers=workers, municipalities=municipalities, stops=stops, requests_csv=requests_csv,
             target_served=target_served, target_p95_wait_min=target_p95_wait_min, trips_per_1000=trips_per_1000,
             date=date, reposition=reposition, reoptimise_every=reoptimise_every)
        tmp = None
    except (BadOption, SimulationInputError, RoutingInputError) as exc:
        fail(str(exc))
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _run(*, region, fleets, levels, seeds, out, tmp, scheduler, serial, workers, municipalities, stops, requests_csv,
         target_served, target_p95_wait_min, trips_per_1000, date, reposition, reoptimise_every=0.0) -> None:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ride_pool.dispatch.rules import WEEKDAYS
    from simulations.agents import VehicleConfig
    from simulations.demand import DemandConfig
    from simulations.region import cache_region, load_region
    from simulations.report import Targets, plot_map, plot_vs_fleet, recommend, write_kpis_csv, write_report
    from simulations.run import RunSpec, plan_fleet, service_day
    from simulations.sweep import grid, run_sweep

    err = Console(stderr=True, soft_wrap=True)
    started = time.perf_counter()
    loaded = load_region(region, str(municipalities) if municipalities else None, str(stops) if stops else None)
    cache_region(loaded)
    base = RunSpec(region=region, municipalities=str(municipalities.resolve()) if municipalities else None,
                   stops=str(stops.resolve()) if stops else None,
                   requests_csv=str(requests_csv.resolve()) if requests_csv else None, date=date,
                   demand_config=DemandConfig(trips_per_1000=trips_per_1000),
                   vehicles=VehicleConfig(reposition=reposition), keep_trips=True,
                   reoptimise_every_s=int(round(reoptimise_every * 60)) or None)
    day_start, day = service_day(base.rules, date)      # a bad or closed date fails here, before any worker starts
    weekday = WEEKDAYS[datetime.date.fromisoformat(date).weekday()]
    if requests_csv is not None:       # the replayed file decides the demand
        from simulations.demand import read_request_csv

        read_request_csv(requests_csv, loaded, rules=base.rules)
        levels = [1.0]
    specs = grid(base, fleets, levels, range(seeds))
    mode = "serially" if serial else (f"on the Dask cluster at {scheduler}" if scheduler else
                                      f"on a local Dask cluster ({workers or os.cpu_count()} worker processes)")
    err.print(f"region {loaded.name}: {len(loaded.municipalities)} municipalities, "
              f"{int(loaded.population.sum()):,} inhabitants{' (SYNTHETIC network)' if loaded.synthetic else ''}; "
              f"{len(specs)} simulated days {mode}", highlight=False)
    with Progress(TextColumn("simulating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=False) as progress:
        task = progress.add_task("runs", total=len(specs))
        rows = run_sweep(specs, scheduler=scheduler, serial=serial, workers=workers,
                         on_result=lambda i, row: progress.advance(task))

    targets = Targets(served_share=target_served, p95_wait_s=target_p95_wait_min * 60)
    names = ["kpis.csv", "runs.json"]
    write_kpis_csv(rows, tmp / "kpis.csv")
    recommendations = recommend(rows, targets)
    params = {
        "region": loaded.name, "synthetic network": loaded.synthetic, "municipalities": len(loaded.municipalities),
        "inhabitants": int(loaded.population.sum()), "stops": len(loaded.stops) if loaded.stops else "door to door",
        "fleet sizes": ", ".join(map(str, fleets)), "demand levels": ", ".join(f"{m:g}" for m in levels),
        "seeds": seeds, "trips per 1,000 inhabitants at demand 1": trips_per_1000,
        "requests": str(requests_csv) if requests_csv else "demand model", "date": date,
        "operating hours": "–".join(base.rules.operating_hours[weekday]),   # service_day rejected closed days
        "pickup window": f"{base.rules.window_s // 60} min",
        "max ride": f"{base.rules.max_ride_factor:g} × direct + {base.rules.max_ride_extra_s // 60} min",
        "vehicles": f"{base.fleet_config.places} places; {base.fleet_config.wheelchair_vehicle_share:.0%} of the "
                    f"vehicles with {base.fleet_config.wheelchair_places} wheelchair place(s) instead of a seat",
        "repositioning": "on" if reposition else "off",
        "background optimiser": f"every {reoptimise_every:g} min" if reoptimise_every else "off",
        "cost model": f"{base.cost_model.eur_per_vehicle_hour:g} €/vehicle-hour + "
                      f"{base.cost_model.eur_per_vehicle_km:g} €/vehicle-km",
        "targets": f"served ≥ {target_served:.0%}, p95 wait ≤ {target_p95_wait_min:g} min",
        "wall time": f"{time.perf_counter() - started:,.0f} s",
    }
    with open(tmp / "runs.json", "w", encoding="utf-8") as fh:
        json.dump({"params": params, "recommendations": recommendations,
                   "runs": [{k: v for k, v in r.items() if k != "trips"} for r in rows]}, fh, ensure_ascii=False,
                  indent=1)
    images = []
    for name, key, label, title, target, scale, target_label in (
            ("served_share.png", "served_share_net", "served share of kept requests (%)",
             "Served share (net of rider cancellations, no-shows) vs fleet size",
             target_served * 100, 100.0, f"target {target_served:.0%}"),
            ("p95_wait.png", "wait_p95_s", "95th-percentile wait (min)", "95th-percentile wait vs fleet size",
             target_p95_wait_min, 1 / 60, f"target {target_p95_wait_min:g} min"),
            ("occupancy.png", "occupancy", "passenger-km per vehicle-km", "Vehicle occupancy vs fleet size",
             None, 1.0, ""),
            ("cost_per_trip.png", "cost_per_served_trip_eur", "€ per served trip", "Cost per served trip vs fleet size",
             None, 1.0, "")):
        plot_vs_fleet(rows, key, label, tmp / name, title=title,
                      target=target, scale=scale, target_label=target_label)
        images.append((tmp / name, title))
        names.append(name)
    # the map shows one run: the recommended fleet at the demand level nearest 1, first seed
    rec = min(recommendations, key=lambda r: abs(r["demand"] - 1.0))
    shown = next(r for r in rows if r["demand"] == rec["demand"] and r["fleet"] == rec["shown_fleet"])
    depots = sorted({p.depot_node for p in plan_fleet(loaded, rec["shown_fleet"], base.fleet_config, day_start, day)})
    plot_map(loaded, shown.get("trips"), tmp / "map.png", depots=depots,
             title=f"Demand and served trips: demand ×{rec['demand']:g}, {rec['shown_fleet']} vehicles, seed "
                   f"{shown['seed']}" + (" — SYNTHETIC network" if loaded.synthetic else ""))
    images.append((tmp / "map.png", "Map of requested pickups and served trips (one simulated day)"))
    names.append("map.png")
    write_report(tmp / "report.html", rows=rows, recommendations=recommendations, targets=targets, params=params,
                 images=images, region=loaded)
    names.append("report.html")
    _publish(tmp, out, names)
    for r in recommendations:
        fleet = r["recommended_all_seeds"]
        err.print(f"demand ×{r['demand']:g}: recommended fleet "
                  + (f"{fleet}" if fleet is not None else f"none up to {r['shown_fleet']}")
                  + " (all seeds; on the mean: "
                  + f"{r['recommended_on_mean'] if r['recommended_on_mean'] is not None else '–'})",
                  highlight=False)
    typer.echo(str(out / "report.html"))


def register(app: typer.Typer) -> None:
    """Add the ``simulate`` command to ``app``."""
    app.command("simulate")(simulate)
