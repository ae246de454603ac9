"""The per-vehicle snapshot cache against a fresh whole-fleet snapshot after every kind of change."""

from __future__ import annotations

import types

import numpy as np
import pytest

from routing.darp.construct import insert_requests
from routing.darp.problem import DarpInputError, Plan
from routing.darp.pruning import _bounds_ok
from routing.darp.snapshot import flat_snapshots
from routing.darp.snapshot_cache import _REQUEST_FIELDS, SnapshotCache
from tests.test_darp_insertion import random_problem

_TABLE_FIELDS = _REQUEST_FIELDS + ("start_location", "start_time", "end_location", "end_latest", "max_duration",
                                   "travel_time")


def _tables(problem):
    """The problem's arrays as writable copies (like the live dispatcher's plan tables)."""
    return types.SimpleNamespace(**{f: np.array(getattr(problem, f)) for f in _TABLE_FIELDS})


def _padded(routes, width):
    out = np.zeros((len(routes), width), dtype=np.int64)
    for v, r in enumerate(routes):
        out[v, :len(r)] = r
    return out, np.array([len(r) for r in routes], dtype=np.int64)


def _check(cache, tables, routes, tt_version):
    padded, lengths = _padded(routes, max(8, max(len(r) for r in routes)))
    got, bounds = cache.snapshots(tables, padded, lengths, tt_version)
    V = len(routes)
    ptr = np.zeros(V + 1, dtype=np.int64)
    np.cumsum(lengths, out=ptr[1:])
    codes = np.concatenate([np.asarray(r, dtype=np.int64) for r in routes])
    want = flat_snapshots(tables, np.arange(V, dtype=np.int64), ptr, codes)
    assert set(got) == set(want)
    for name in want:
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)
        assert got[name].dtype == want[name].dtype, name
    want_bounds = np.empty(V, dtype=np.bool_)
    _bounds_ok(tables.travel_time, tables.start_location, want["start_departure"], want["stop_ptr"],
               want["stop_location"], want["begin"], want["service"], want_bounds)
    np.testing.assert_array_equal(bounds, want_bounds)
    return cache.rebuilt


@pytest.mark.parametrize("seed", range(16))
def test_cache_never_stale(seed):
    rng = np.random.default_rng(seed)
    try:        # riders on board (their drop-offs read pickup_begin) in every other case
        problem = random_problem(seed, vehicles=3 + seed % 4, requests=10 + seed % 9, onboard=seed % 2).tightened()
    except DarpInputError:      # riders on board that do not fit their vehicle
        problem = random_problem(seed, vehicles=3 + seed % 4, requests=10 + seed % 9).tightened()
    plan = Plan.empty(problem)
    for r in np.flatnonzero(problem.onboard_vehicle >= 0):
        plan.routes[problem.onboard_vehicle[r]].append(2 * int(r) + 1)
    free = [int(r) for r in np.flatnonzero(problem.onboard_vehicle < 0)]
    plan, _ = insert_requests(problem, plan, free)
    tables = _tables(problem)
    routes = [list(r) for r in plan.routes]
    V = len(routes)
    cache = SnapshotCache()
    assert _check(cache, tables, routes, 0) == V
    assert _check(cache, tables, routes, 0) == 0      # nothing changed: nothing recomputed
    in_route = [c // 2 for r in routes for c in r]
    version = 0
    for step in range(6 * 2 * len(_REQUEST_FIELDS)):
        kind = step % 6
        if kind == 0 and in_route:          # a request field of a planned stop
            field = _REQUEST_FIELDS[(step // 6) % len(_REQUEST_FIELDS)]     # each field in turn
            arr = getattr(tables, field)
            on_board = [r for r in in_route if tables.onboard_vehicle[r] >= 0]
            r = int(rng.choice(on_board if field == "pickup_begin" and on_board else in_route))
            if field.endswith("location"):
                arr[r] = rng.integers(len(tables.travel_time))
            elif field == "onboard_vehicle":
                arr[r] = -1 if arr[r] >= 0 else rng.integers(V)
            else:
                arr[r] = arr[r] + int(rng.integers(1, 400)) * (1 if step % 12 < 6 else -1)
                arr[r] = max(int(arr[r]), 0)
        elif kind == 1:                     # a vehicle field
            field = ("start_location", "start_time", "end_location", "end_latest", "max_duration")[rng.integers(5)]
            arr = getattr(tables, field)
            v = int(rng.integers(V))
            if field.endswith("location"):
                arr[v] = rng.integers(len(tables.travel_time))
            elif field == "max_duration":       # unlimited in the random problems: a binding limit
                arr[v] = rng.integers(300, 3000)
            elif field == "end_latest":         # loose in the random problems: one that binds
                arr[v] = int(tables.start_time[v]) + int(rng.integers(300, 3000))
            else:
                arr[v] = max(int(arr[v]) + int(rng.integers(-600, 600)), 0)
        elif kind == 2:                     # a route changes (shuffled or shortened)
            v = int(rng.integers(V))
            routes[v] = [int(c) for c in rng.permutation(routes[v])][:max(0, len(routes[v]) - int(rng.integers(2)))]
        elif kind == 3:                     # a rider outside every route boards a vehicle: its load changes
            outside = [r for r in range(len(tables.seats)) if r not in in_route]
            if outside:
                r = int(rng.choice(outside))
                tables.onboard_vehicle[r] = rng.integers(V)
                tables.seats[r] = 1 + rng.integers(2)
        elif kind == 4:                     # the travel times change under a new version
            tables.travel_time = tables.travel_time + 1
            np.fill_diagonal(tables.travel_time, 0)
            version += 1
            assert _check(cache, tables, routes, version) == V
            continue
        else:                               # a longer route than any before (the rows grow)
            v = int(rng.integers(V))
            routes[v] = routes[v] + [int(c) for c in routes[(v + 1) % V]]
        in_route = [c // 2 for r in routes for c in r]
        _check(cache, tables, routes, version)


def test_only_changed_vehicles_recomputed():
    problem = random_problem(5, vehicles=6, requests=18).tightened()
    plan, _ = insert_requests(problem, Plan.empty(problem), range(problem.request_count))
    tables = _tables(problem)
    routes = [list(r) for r in plan.routes]
    cache = SnapshotCache()
    _check(cache, tables, routes, 0)
    v = next(v for v, r in enumerate(routes) if r)
    tables.pickup_latest[routes[v][0] // 2] += 60
    assert _check(cache, tables, routes, 0) == 1
    tables.start_time[(v + 1) % 6] += 1
    assert _check(cache, tables, routes, 0) == 1
    # a new vehicle (the fleet grows) is computed, the others kept
    for f in ("start_location", "start_time", "end_location", "end_latest", "max_duration"):
        setattr(tables, f, np.append(getattr(tables, f), getattr(tables, f)[0]))
    tables.end_location[-1] = (tables.start_location[-1] + 1) % len(tables.travel_time)     # a drive to the end
    assert tables.travel_time[tables.start_location[-1], tables.end_location[-1]] > 0
    assert _check(cache, tables, routes + [[]], 0) == 1
    # an empty route whose start moves on (an idle vehicle as time passes): updated without a recompute
    for shift in (100, 250, 7):
        tables.start_time[-1] += shift
        assert _check(cache, tables, routes + [[]], 0) == 0
    tables.end_location[-1] = (tables.end_location[-1] + 1) % len(tables.travel_time)   # a new end: recomputed
    assert _check(cache, tables, routes + [[]], 0) == 1
