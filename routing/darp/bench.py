"""Benchmark runner for the dial-a-ride optimisers on the Cordeau DARP and Li & Lim PDPTW sets.

One place for the logic used by ``ride-pool bench darp|pdptw`` and ``benchmarks/darp_benchmarks.py``:
find the instance files, read them and the ``bks.csv`` beside them, run every requested solver
with the same wall-clock time limit, re-check every plan with the independent checker under the
*exact* travel times, and report cost (in the instance's own units), vehicles, gap to the best
known solution, seconds, time to the first feasible solution and the routes as the file's node
ids. Instances may run in parallel worker processes (``jobs``); each solver run within one
instance is sequential, so with ``jobs`` at most the number of cores no run is starved.

Solvers (names as used in ``solvers=``):

* ``ours``     -- ``routing.darp.solver.solve`` (the project's optimiser),
* ``baseline`` -- plain OR-Tools (:func:`routing.darp.ortools_model.solve_baseline`),
* ``vroom``    -- VROOM through pyvroom (PDPTW only; :mod:`routing.darp.vroom_peer`).

The first solver named is the *primary* one: its fields sit at the top level of each instance
record and of the summary; every other solver's fields sit under its name (``"baseline"``,
``"vroom"``).
"""

from __future__ import annotations

import math
import multiprocessing
import os
import platform
import re
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Callable, Iterable

from routing.darp.instances import BenchmarkInstance, BksEntry, read_bks, read_instance
from routing.darp.problem import DarpInputError

__all__ = [
    "KINDS",
    "SOLVERS",
    "BenchError",
    "collect_instances",
    "bks_for",
    "check_solvers",
    "run_solver",
    "run_instance",
    "run_benchmark",
    "summarize",
    "render",
]

KINDS = ("darp", "pdptw")
SOLVERS = ("ours", "baseline", "vroom")
#: solver label shown in tables and stored in the records
SOLVER_LABELS = {"ours": "ours", "baseline": "ortools-baseline", "vroom": "vroom"}


class BenchError(DarpInputError):
    """Bad benchmark input (paths, options); the CLI turns it into ``error: ...`` and exit code 2."""


# ------------------------------------------------------------------------------------ inputs
def _natural_key(path: Path):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name)]


def collect_instances(paths: Iterable[str | Path]) -> list[Path]:
    """Instance files named by ``paths``: files as given, folders expanded to their ``*.txt`` files
    (natural order: a2-16 before a2-20 before a10-...). Duplicates are dropped."""
    found: list[Path] = []
    paths = list(paths)
    if not paths:
        raise BenchError("no instance path given")
    for p in map(Path, paths):
        if p.is_dir():
            files = sorted((f for f in p.glob("*.txt") if f.is_file()), key=_natural_key)
            if not files:
                raise BenchError(f"{p}: folder holds no instance files (*.txt)")
            found.extend(files)
        elif p.is_file():
            found.append(p)
        else:
            raise BenchError(f"{p}: no such file or folder")
    unique, seen = [], set()
    for f in found:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


_BKS_CACHE: dict[Path, dict[str, BksEntry]] = {}


def bks_for(instance_path: Path, name: str) -> BksEntry | None:
    """The best-known solution of ``name`` from the ``bks.csv`` beside the instance (None if absent)."""
    csv_path = Path(instance_path).parent / "bks.csv"
    key = csv_path.resolve()
    if key not in _BKS_CACHE:
        _BKS_CACHE[key] = read_bks(csv_path) if csv_path.is_file() else {}
    return _BKS_CACHE[key].get(name)


def _solver_function(name: str) -> Callable:
    if name == "ours":
        try:
            from routing.darp.solver import solve  # written by the solver engineer
        except ImportError as exc:
            raise BenchError("our solver (routing.darp.solver.solve) is not available in this checkout "
                             f"({exc}); run with --only-baseline") from None
        return solve
    if name == "baseline":
        from routing.darp.ortools_model import solve_baseline
        return solve_baseline
    if name == "vroom":
        from routing.darp import vroom_peer
        if not vroom_peer.available():
            raise BenchError("the vroom peer needs pyvroom: pip install pyvroom")
        return vroom_peer.solve_vroom
    raise BenchError(f"unknown solver {name!r}; choose from {', '.join(SOLVERS)}")


def check_solvers(solvers: list[str], kind: str) -> None:
    """Fail early (BenchError) when a requested solver cannot run here or does not fit ``kind``."""
    if kind not in KINDS:
        raise BenchError(f"unknown instance kind {kind!r}; choose from {', '.join(KINDS)}")
    if not solvers:
        raise BenchError("no solver selected")
    if len(set(solvers)) != len(solvers):
        raise BenchError(f"solver named twice in {solvers}")
    for s in solvers:
        if s == "vroom" and kind != "pdptw":
            raise BenchError("vroom has no ride-time or route-duration limits: it is a peer for pdptw only")
        _solver_function(s)


# ------------------------------------------------------------------------------------ running
def run_solver(instance: BenchmarkInstance, solver: str, time_limit_s: float, bks: BksEntry | None,
               seed: int = 0) -> dict:
    """Run one solver on one instance and re-check its plan; a JSON-ready record."""
    func = _solver_function(solver)
    problem = instance.problem
    t0 = time.perf_counter()
    if solver == "ours":
        result = func(problem, time_limit_s=time_limit_s, seed=seed, vehicle_fixed_cost=instance.vehicle_fixed_cost)
    else:
        result = func(problem, time_limit_s, vehicle_fixed_cost=instance.vehicle_fixed_cost)
    seconds = time.perf_counter() - t0
    check = instance.check(result.plan)
    cost = check.cost / instance.time_scale if check.feasible else None
    vehicles = result.plan.vehicles_used()
    record = {
        "solver": SOLVER_LABELS[solver],
        "status": result.status,
        "feasible": bool(check.feasible),
        "cost": cost,
        "vehicles": vehicles,
        "gap_percent": None,
        "seconds": round(seconds, 4),
        "seconds_to_first_feasible": (None if result.seconds_to_first_feasible is None
                                      else round(float(result.seconds_to_first_feasible), 4)),
        "routes": instance.routes_as_node_ids(result.plan),
    }
    if not check.feasible:
        record["violations"] = check.violations[:5]
    if bks is not None and cost is not None:
        record["gap_percent"] = round(100.0 * (cost - bks.cost) / bks.cost, 4)
    if instance.kind == "pdptw" and bks is not None:
        record["vehicle_gap"] = vehicles - bks.vehicles if check.feasible else None
    return record


def run_instance(path: str | Path, kind: str, time_limit_s: float, solvers: list[str], seed: int = 0,
                 time_scale: int = 1000) -> dict:
    """Read one instance and run every solver on it; the instance's JSON record.

    The first solver's fields go to the top level, the others' under their names.
    """
    instance = read_instance(path, kind, time_scale)
    bks = bks_for(Path(path), instance.name)
    record: dict = {"instance": instance.name, "requests": instance.problem.request_count,
                    "bks_cost": bks.cost if bks else None}
    if kind == "pdptw":
        record["bks_vehicles"] = bks.vehicles if bks else None
    elif bks is not None:
        record["bks_optimal"] = bks.optimal
    for i, solver in enumerate(solvers):
        result = run_solver(instance, solver, time_limit_s, bks, seed)
        if i == 0:
            record.update(result)
        else:
            record[solver] = result
    return record


def _machine() -> dict:
    info = {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()}
    try:
        import ortools
        info["ortools"] = ortools.__version__
    except Exception:  # pragma: no cover - ortools is a dependency
        pass
    return info


def run_benchmark(paths: Iterable[str | Path], kind: str, time_limit_s: float, solvers: list[str], *,
                  jobs: int = 1, seed: int = 0, time_scale: int = 1000,
                  progress: Callable[[dict], None] | None = None) -> dict:
    """Run ``solvers`` on every instance under ``paths``; the whole JSON document.

    All instance files are read (and rejected with a :class:`DarpInputError` naming file and line
    when malformed) before any solver starts. With ``jobs > 1`` instances run in that many worker
    processes; results keep the order of the files. ``progress`` is called with each finished
    instance record.
    """
    if not (isinstance(time_limit_s, (int, float)) and math.isfinite(time_limit_s) and time_limit_s > 0):
        raise BenchError(f"the time limit must be a positive number of seconds, got {time_limit_s!r}")
    if jobs < 1:
        raise BenchError(f"--jobs must be at least 1, got {jobs}")
    check_solvers(solvers, kind)
    files = collect_instances(paths)
    for f in files:  # fail fast on malformed files
        inst = read_instance(f, kind, time_scale)
        bks_for(f, inst.name)

    records: list[dict] = []
    if jobs == 1 or len(files) == 1:
        for f in files:
            rec = run_instance(f, kind, time_limit_s, solvers, seed, time_scale)
            records.append(rec)
            if progress:
                progress(rec)
    else:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(jobs, len(files)), mp_context=ctx) as pool:
            futures = [pool.submit(run_instance, f, kind, time_limit_s, solvers, seed, time_scale) for f in files]
            for fut in futures:
                rec = fut.result()
                records.append(rec)
                if progress:
                    progress(rec)
    return {
        "kind": kind,
        "time_limit_s": time_limit_s,
        "jobs": jobs,
        "seed": seed,
        "time_scale": time_scale,
        "solvers": [SOLVER_LABELS[s] for s in solvers],
        "machine": _machine(),
        "instances": records,
        "summary": summarize(records, kind, solvers),
    }


# ------------------------------------------------------------------------------------ summary
def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def _summary_of(runs: list[dict], kind: str) -> dict:
    feasible = [r for r in runs if r["feasible"]]
    gaps = [r["gap_percent"] for r in feasible if r.get("gap_percent") is not None]
    firsts = [r["seconds_to_first_feasible"] for r in runs if r.get("seconds_to_first_feasible") is not None]
    out = {
        "solver": runs[0]["solver"] if runs else None,
        "instances": len(runs),
        "feasible": len(feasible),
        # mean over the feasible instances with a BKS; compare solvers only when both are complete
        "mean_gap_percent": _mean(gaps),
        "max_gap_percent": round(max(gaps), 4) if gaps else None,
        "gap_instances": len(gaps),
        "mean_seconds": _mean([r["seconds"] for r in runs]),
        "max_seconds": round(max(r["seconds"] for r in runs), 4) if runs else None,
        "mean_seconds_to_first_feasible": _mean(firsts),
        "max_seconds_to_first_feasible": round(max(firsts), 4) if firsts else None,
    }
    if kind == "pdptw":
        with_bks = [r for r in feasible if r.get("vehicle_gap") is not None]
        at_bks = [r for r in with_bks if r["vehicle_gap"] <= 0]
        out["with_bks_vehicles"] = len(at_bks)
        out["with_bks_vehicles_share"] = round(len(at_bks) / len(runs), 4) if runs else None
        out["extra_vehicles_total"] = sum(max(0, r["vehicle_gap"]) for r in with_bks)
        out["mean_gap_percent_at_bks_vehicles"] = _mean(
            [r["gap_percent"] for r in at_bks if r.get("gap_percent") is not None])
    return out


def _runs_of(records: list[dict], solvers: list[str]) -> dict[str, list[dict]]:
    runs = {solvers[0]: records}
    for s in solvers[1:]:
        runs[s] = [r[s] for r in records]
    return runs


def summarize(records: list[dict], kind: str, solvers: list[str]) -> dict:
    """Summary of every solver: the primary one's fields at the top level, the others under their names."""
    runs = _runs_of(records, solvers)
    summary = _summary_of(runs[solvers[0]], kind)
    for s in solvers[1:]:
        summary[s] = _summary_of(runs[s], kind)
    return summary


# ------------------------------------------------------------------------------------ table
def _fmt(value, digits: int = 2, suffix: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}{suffix}"
    return f"{value}{suffix}"


def render(doc: dict, console=None) -> None:
    """Print the per-instance table and the summary with rich."""
    from rich.console import Console
    from rich.table import Table

    if console is None:
        console = Console()
        if not console.is_terminal and console.width < 130:  # files and pipes: do not squeeze columns
            console = Console(width=130)
    kind = doc["kind"]
    labels = doc["solvers"]
    keys = [next(k for k, v in SOLVER_LABELS.items() if v == label) for label in labels]
    table = Table(title=f"{kind} benchmark, {doc['time_limit_s']:g} s per instance and solver, jobs={doc['jobs']}")
    for col, justify in (("instance", "left"), ("solver", "left"), ("cost", "right"), ("BKS", "right"),
                         ("gap %", "right"), ("vehicles", "right"), ("seconds", "right"),
                         ("1st feasible s", "right"), ("feasible", "center"), ("status", "left")):
        table.add_column(col, justify=justify)
    for rec in doc["instances"]:
        for i, key in enumerate(keys):
            run = rec if i == 0 else rec[key]
            veh = str(run["vehicles"])
            if kind == "pdptw" and rec.get("bks_vehicles") is not None:
                veh += f" ({rec['bks_vehicles']})"
            table.add_row(rec["instance"] if i == 0 else "", run["solver"], _fmt(run["cost"]),
                          _fmt(rec.get("bks_cost")), _fmt(run["gap_percent"]), veh, _fmt(run["seconds"]),
                          _fmt(run["seconds_to_first_feasible"]),
                          "yes" if run["feasible"] else "[red]NO[/red]", str(run["status"]))
        if len(keys) > 1:
            table.add_section()
    console.print(table)

    summary = Table(title="summary")
    summary.add_column("solver")
    summary.add_column("feasible", justify="right")
    summary.add_column("mean gap %", justify="right")
    summary.add_column("max gap %", justify="right")
    if kind == "pdptw":
        summary.add_column("BKS vehicles", justify="right")
        summary.add_column("gap % at BKS veh.", justify="right")
    summary.add_column("mean first feasible s", justify="right")
    summary.add_column("max s", justify="right")
    incomplete = False
    for i, key in enumerate(keys):
        s = doc["summary"] if i == 0 else doc["summary"][key]
        incomplete |= s["feasible"] < s["instances"]
        row = [s["solver"], f"{s['feasible']}/{s['instances']}", _fmt(s["mean_gap_percent"], 3),
               _fmt(s["max_gap_percent"], 3)]
        if kind == "pdptw":
            row += [f"{s['with_bks_vehicles']}/{s['instances']}", _fmt(s["mean_gap_percent_at_bks_vehicles"], 3)]
        row += [_fmt(s["mean_seconds_to_first_feasible"], 3), _fmt(s["max_seconds"])]
        summary.add_row(*row)
    console.print(summary)
    if incomplete:
        console.print("note: mean gap is over the feasible instances only; compare solvers on complete runs.")
