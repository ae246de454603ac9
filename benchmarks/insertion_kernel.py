"""Micro-benchmark of the insertion kernel: one request into 100 vehicles with 10 planned stops each.

    python benchmarks/insertion_kernel.py [--json benchmarks/results/insertion_kernel.json]

Reports the median time per call of the numba kernel and of its plain-Python twin (same inputs,
same answer, checked), their ratio, and the kernel's compile time in a fresh process without a
numba cache and with a warm one. Target (issue 3): median <= 100 us and >= 50x faster than the twin.

State scale (issue 20): 1 request into 400 vehicles x 10 planned stops spread over a
250 x 150 km state (each vehicle serving riders within 10 km of its position, the new request
picked up within 20 minutes), timed with and without pruning (vehicles that cannot reach the
pickup in time skipped by an O(1) bound, :mod:`routing.darp.pruning`); both give the same
answer (checked). Target: median <= 100 us with pruning.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from routing.darp.insertion import NewRequest, best_insertions, warm_up  # noqa: E402
from routing.darp.insertion_reference import best_insertions_reference  # noqa: E402
from routing.darp.problem import NO_LIMIT, DarpProblem, Plan  # noqa: E402
from routing.darp.snapshot import build_snapshots  # noqa: E402


def _with_promise_windows(problem: DarpProblem, plan: Plan, pe: np.ndarray):
    """(problem, snapshots, new request) with promise windows around the planned times, as the
    live service gives them (pickup within 20 minutes of the plan, drop-off within 30); the last
    request is the new one, asking for a pickup at ``pe[-1]``."""
    n_req = len(pe)
    planned = build_snapshots(problem, plan)
    begin = np.zeros(2 * n_req, dtype=np.int64)
    begin[planned.stop_code] = planned.begin
    pl = begin[0::2] + 1200
    dl = begin[1::2] + 1800
    pl[-1], dl[-1] = pe[-1] + 1200, 48 * 3600
    problem = problem.replace(pickup_latest=pl, dropoff_latest=dl)
    return problem, build_snapshots(problem, plan), NewRequest.from_problem(problem, n_req - 1)


def make_case(seed: int, vehicles: int = 100, stops_per_vehicle: int = 10):
    """A county-sized case: vehicles with planned pickups/drop-offs over a 60 x 60 km square (seconds)."""
    rng = np.random.default_rng(seed)
    per_vehicle = stops_per_vehicle // 2
    n_req = vehicles * per_vehicle + 1
    n_loc = 2 * n_req + vehicles
    xy = rng.uniform(0, 60_000, size=(n_loc, 2))
    # road distance ~ 1.3 x straight line at 60 km/h -> seconds
    tt = np.ceil(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) * 1.3 / 16.7).astype(np.int64)
    pick, drop = np.arange(n_req), np.arange(n_req, 2 * n_req)
    direct = tt[pick, drop]
    pe = rng.integers(0, 4 * 3600, n_req)
    problem = DarpProblem(
        travel_time=tt, pickup_location=pick, dropoff_location=drop, seats=rng.integers(1, 3, n_req),
        wheelchairs=np.zeros(n_req, dtype=int), pickup_earliest=pe, pickup_latest=pe + 6 * 3600,
        dropoff_earliest=np.zeros(n_req, dtype=int), dropoff_latest=np.full(n_req, 48 * 3600),
        max_ride_time=direct * 4 + 3600, pickup_service=np.full(n_req, 60), dropoff_service=np.full(n_req, 60),
        onboard_vehicle=np.full(n_req, -1), pickup_begin=np.zeros(n_req, dtype=int),
        rejection_penalty=np.full(n_req, -1), start_location=2 * n_req + np.arange(vehicles),
        end_location=2 * n_req + np.arange(vehicles), start_time=np.zeros(vehicles, dtype=int),
        end_latest=np.full(vehicles, 48 * 3600), seat_capacity=np.full(vehicles, 8),
        wheelchair_capacity=np.ones(vehicles, dtype=int), max_duration=np.full(vehicles, NO_LIMIT),
    )
    routes = []
    for v in range(vehicles):
        route = []
        for k in range(per_vehicle):
            r = v * per_vehicle + k
            route += [2 * r, 2 * r + 1]
        routes.append(route)
    return _with_promise_windows(problem, Plan(routes), pe)


def make_state_case(seed: int, vehicles: int = 400, stops_per_vehicle: int = 10):
    """State-sized case: vehicles spread over 250 x 150 km, each with riders within 10 km of it."""
    rng = np.random.default_rng(10_000 + seed)
    per_vehicle = stops_per_vehicle // 2
    n_req = vehicles * per_vehicle + 1
    n_loc = 2 * n_req + vehicles
    home = rng.uniform((0, 0), (250_000, 150_000), size=(vehicles, 2))
    owner = np.concatenate([np.repeat(np.arange(vehicles), per_vehicle), rng.integers(0, vehicles, 1)])
    centre = home[owner]
    xy = np.empty((n_loc, 2))
    xy[:n_req] = centre + rng.uniform(-10_000, 10_000, size=(n_req, 2))
    xy[n_req:2 * n_req] = centre + rng.uniform(-10_000, 10_000, size=(n_req, 2))
    xy[2 * n_req:] = home
    tt = np.ceil(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) * 1.3 / 16.7).astype(np.int64)
    pick, drop = np.arange(n_req), np.arange(n_req, 2 * n_req)
    direct = tt[pick, drop]
    now = 8 * 3600
    pe = now + rng.integers(0, 2 * 3600, n_req)
    pe[-1] = now + 600
    problem = DarpProblem(
        travel_time=tt, pickup_location=pick, dropoff_location=drop, seats=rng.integers(1, 3, n_req),
        wheelchairs=np.zeros(n_req, dtype=int), pickup_earliest=pe, pickup_latest=pe + 6 * 3600,
        dropoff_earliest=np.zeros(n_req, dtype=int), dropoff_latest=np.full(n_req, 48 * 3600),
        max_ride_time=direct * 4 + 3600, pickup_service=np.full(n_req, 60), dropoff_service=np.full(n_req, 60),
        onboard_vehicle=np.full(n_req, -1), pickup_begin=np.zeros(n_req, dtype=int),
        rejection_penalty=np.full(n_req, -1), start_location=2 * n_req + np.arange(vehicles),
        end_location=2 * n_req + np.arange(vehicles), start_time=np.full(vehicles, now),
        end_latest=np.full(vehicles, 48 * 3600), seat_capacity=np.full(vehicles, 8),
        wheelchair_capacity=np.ones(vehicles, dtype=int), max_duration=np.full(vehicles, NO_LIMIT),
    )
    routes = []
    for v in range(vehicles):
        reqs = sorted(range(v * per_vehicle, (v + 1) * per_vehicle), key=lambda r: pe[r])
        routes.append([c for r in reqs for c in (2 * r, 2 * r + 1)])
    return _with_promise_windows(problem, Plan(routes), pe)


def state_scale(cases: int, repeats: int) -> dict:
    """400 vehicles: kernel with and without pruning (same answer checked)."""
    from routing.darp.pruning import prune_bounds_ok

    full_times, pruned_times, feasible, kept = [], [], [], []
    for seed in range(cases):
        problem, snaps, req = make_state_case(seed)
        tt = problem.travel_time
        full = best_insertions(snaps, req, tt)
        pruned = best_insertions(snaps, req, tt, prune=True)
        if not (np.array_equal(full.cost, pruned.cost) and np.array_equal(full.pickup_position, pruned.pickup_position)
                and np.array_equal(full.dropoff_position, pruned.dropoff_position)):
            raise SystemExit(f"state case {seed}: pruned and unpruned kernel disagree")
        feasible.append(int(np.isfinite(full.cost).sum()))
        ok = prune_bounds_ok(snaps, tt)
        kept.append(int(snaps.vehicle_count - (ok & (snaps.start_departure + tt[snaps.start_location,
                                                                                req.pickup_location]
                                                     > req.pickup_latest)).sum()))
        full_times.append(time_calls(lambda snaps=snaps, req=req, tt=tt: best_insertions(snaps, req, tt), repeats))
        # the bound's precondition is checked once per fleet snapshot (cached), as in the dispatcher
        pruned_times.append(time_calls(lambda snaps=snaps, req=req, tt=tt: best_insertions(snaps, req, tt, prune=True),
                                       repeats))
    return {
        "state_case": "1 request into 400 vehicles x 10 planned stops over 250 x 150 km",
        "state_feasible_vehicles_median": statistics.median(feasible),
        "state_vehicles_left_after_pruning_median": statistics.median(kept),
        "state_kernel_median_us_without_pruning": round(statistics.median(full_times) * 1e6, 1),
        "state_kernel_median_us_with_pruning": round(statistics.median(pruned_times) * 1e6, 1),
        "state_target_us": 100.0,
    }


def time_calls(func, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        func()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


_COMPILE_SNIPPET = (
    "import time; t=time.perf_counter(); from routing.darp.insertion import warm_up; warm_up(); "
    "print(time.perf_counter()-t)"
)


def compile_seconds(cache_dir: str) -> float:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-c", _COMPILE_SNIPPET], env=env, capture_output=True, text=True,
                         check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--cases", type=int, default=5, help="random cases (medians over all)")
    parser.add_argument("--repeats", type=int, default=200, help="numba calls per case")
    args = parser.parse_args(argv)

    warm_up()
    kernel_times, twin_times, feasible = [], [], []
    for seed in range(args.cases):
        problem, snaps, req = make_case(seed)
        fast = best_insertions(snaps, req, problem.travel_time)
        slow = best_insertions_reference(snaps, req, problem.travel_time)
        same = np.array_equal(np.isfinite(fast.cost), np.isfinite(slow.cost)) and np.allclose(
            fast.cost[np.isfinite(fast.cost)], slow.cost[np.isfinite(slow.cost)])
        if not same:
            print(f"case {seed}: kernel and twin disagree", file=sys.stderr)
            return 1
        feasible.append(int(np.isfinite(fast.cost).sum()))
        kernel_times.append(time_calls(
            lambda snaps=snaps, req=req, problem=problem: best_insertions(snaps, req, problem.travel_time),
            args.repeats))
        twin_times.append(time_calls(
            lambda snaps=snaps, req=req, problem=problem: best_insertions_reference(snaps, req, problem.travel_time),
            3))
    with tempfile.TemporaryDirectory() as cache:
        cold = compile_seconds(cache)
        warm = compile_seconds(cache)
    kernel = statistics.median(kernel_times)
    twin = statistics.median(twin_times)
    result = {
        "case": "1 request into 100 vehicles x 10 planned stops",
        "feasible_vehicles_median": statistics.median(feasible),
        "kernel_median_us": round(kernel * 1e6, 1),
        "python_twin_median_us": round(twin * 1e6, 1),
        "speedup_over_twin": round(twin / kernel, 1),
        "compile_s_without_cache": round(cold, 2),
        "load_s_with_cache": round(warm, 2),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        **state_scale(args.cases, args.repeats),
    }
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
