"""``ride-pool bench``: score the dial-a-ride optimisers on the Cordeau DARP and Li & Lim PDPTW sets.

The logic lives in :mod:`routing.darp.bench` (shared with ``benchmarks/darp_benchmarks.py``);
this module only parses options, prints and writes the JSON.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import List, Optional

import typer

from ride_pool.cli.errors import fail

bench_app = typer.Typer(help="Benchmark the dial-a-ride optimisers on published instances.", no_args_is_help=True)


def _run(kind: str, paths: List[Path], time_limit: float, json_out: Optional[Path], baseline: bool,
         only_baseline: bool, vroom: bool, jobs: int, seed: int) -> None:
    from rich.console import Console

    from routing.darp import bench
    from routing.errors import RoutingInputError

    if only_baseline:
        solvers = ["baseline"]
    else:
        solvers = ["ours"] + (["baseline"] if baseline else [])
    if vroom:
        solvers.append("vroom")
    if json_out is not None and not json_out.parent.exists():
        fail(f"{json_out.parent}: output folder does not exist")
    err = Console(stderr=True, soft_wrap=True)
    if jobs > (os.cpu_count() or 1):
        err.print(f"warning: --jobs {jobs} exceeds the {os.cpu_count()} cores here; runs compete for CPU "
                  "within their time limits", highlight=False)

    def progress(rec: dict) -> None:
        parts = [f"{rec['instance']}:"]
        runs = [rec] + [rec[k] for k in solvers[1:]]
        for run in runs:
            cost = "infeasible" if run["cost"] is None else f"{run['cost']:.2f}"
            gap = "" if run["gap_percent"] is None else f" ({run['gap_percent']:+.2f} %)"
            parts.append(f"{run['solver']} {cost}{gap} {run['vehicles']} veh {run['seconds']:.1f} s")
        err.print("  ".join(parts), highlight=False)

    try:
        doc = bench.run_benchmark(paths, kind, time_limit, solvers, jobs=jobs, seed=seed, progress=progress)
    except RoutingInputError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{getattr(exc, 'filename', '') or ''} {exc.strerror or exc}".strip())
    bench.render(doc)
    if json_out is not None:
        try:
            json_out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        except OSError as exc:
            fail(f"{json_out}: cannot write ({exc.strerror or exc})")
        typer.echo(f"written {json_out}", err=True)


_PATHS = typer.Argument(..., help="Instance files or folders (bks.csv is read from beside the instances).")
_JSON = typer.Option(None, "--json", help="Write the results (per instance and summary) to this JSON file.")
_BASELINE = typer.Option(False, "--baseline", help="Also run plain OR-Tools (PARALLEL_CHEAPEST_INSERTION + GLS).")
_ONLY = typer.Option(False, "--only-baseline", help="Run only the plain OR-Tools baseline.")
_JOBS = typer.Option(1, "--jobs", min=1, help="Instances run in parallel processes (1 keeps timing clean).")
_SEED = typer.Option(0, "--seed", help="Random seed handed to our solver.")


@bench_app.command("darp")
def bench_darp(
    paths: List[Path] = _PATHS,
    time_limit: float = typer.Option(10.0, "--time-limit", help="Wall-clock seconds per instance and solver."),
    json_out: Optional[Path] = _JSON,
    baseline: bool = _BASELINE,
    only_baseline: bool = _ONLY,
    jobs: int = _JOBS,
    seed: int = _SEED,
) -> None:
    """Cordeau DARP instances, the 2006 set (aM-N.txt) or the Cordeau & Laporte (2003) set (pr01-pr20, told
    apart by the file): cost, gap to the best known value, feasibility re-checked."""
    _run("darp", paths, time_limit, json_out, baseline, only_baseline, False, jobs, seed)


@bench_app.command("pdptw")
def bench_pdptw(
    paths: List[Path] = _PATHS,
    time_limit: float = typer.Option(30.0, "--time-limit", help="Wall-clock seconds per instance and solver."),
    json_out: Optional[Path] = _JSON,
    baseline: bool = _BASELINE,
    only_baseline: bool = _ONLY,
    vroom: bool = typer.Option(False, "--vroom", help="Also run VROOM (needs pyvroom) as a peer."),
    jobs: int = _JOBS,
    seed: int = _SEED,
) -> None:
    """Li & Lim PDPTW instances: vehicles first, then distance; gaps to the best known solutions."""
    _run("pdptw", paths, time_limit, json_out, baseline, only_baseline, vroom, jobs, seed)
