"""The numba snapshot kernel against its plain-Python twin on seeded random plans, feasible or not."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from routing.darp.construct import insert_requests
from routing.darp.problem import DarpInputError, Plan
from routing.darp.snapshot import build_snapshots, build_snapshots_reference, route_snapshots
from tests.test_darp_insertion import random_problem


def assert_same_snapshots(a, b):
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        np.testing.assert_array_equal(x, y, err_msg=f.name)
        assert x.dtype == y.dtype, f.name


@pytest.mark.parametrize("seed", range(80))
def test_kernel_matches_reference(seed):
    """Plans built by insertion (every bound kept), then the same plans with vehicles starting late,
    riders on board and shuffled stops (bounds broken: the earliest-start fallback)."""
    rng = np.random.default_rng(seed)
    try:
        problem = random_problem(seed, vehicles=1 + seed % 5, requests=4 + seed % 11, open_end=seed % 3 == 0,
                                 onboard=seed % 2).tightened()
    except DarpInputError:      # riders on board that do not fit their vehicle
        problem = random_problem(seed, vehicles=1 + seed % 5, requests=4 + seed % 11).tightened()
    plan = Plan.empty(problem)
    for r in np.flatnonzero(problem.onboard_vehicle >= 0):
        plan.routes[problem.onboard_vehicle[r]].append(2 * int(r) + 1)
    free = [int(r) for r in np.flatnonzero(problem.onboard_vehicle < 0)]
    plan, _ = insert_requests(problem, plan, free, delay_weight=[0.0, 1.0][seed % 2])
    assert_same_snapshots(build_snapshots(problem, plan), build_snapshots_reference(problem, plan))
    # late starts: some plans no longer keep every bound
    late = problem.replace(start_time=problem.start_time + rng.integers(0, 3000, problem.vehicle_count))
    assert_same_snapshots(build_snapshots(late, plan), build_snapshots_reference(late, plan))
    # shuffled routes (pickups may follow their drop-offs) and a short duration limit
    shuffled = Plan([list(rng.permutation(r)) if len(r) else [] for r in plan.routes])
    tight = problem.replace(max_duration=np.full(problem.vehicle_count, 900))
    for p in (problem, tight):
        assert_same_snapshots(build_snapshots(p, shuffled), build_snapshots_reference(p, shuffled))


def test_some_vehicles_only():
    problem = random_problem(3, vehicles=4, requests=12).tightened()
    plan, _ = insert_requests(problem, Plan.empty(problem), range(12))
    full = build_snapshots(problem, plan)
    some = route_snapshots(problem, [plan.routes[2], plan.routes[0]], vehicles=[2, 0])
    for k, v in enumerate([2, 0]):
        a, b = int(full.stop_ptr[v]), int(full.stop_ptr[v + 1])
        c, d = int(some["stop_ptr"][k]), int(some["stop_ptr"][k + 1])
        for name in ("stop_code", "begin", "latest", "seats_after", "suffix_ok", "pickup_position"):
            np.testing.assert_array_equal(getattr(full, name)[a:b], some[name][c:d])
        assert some["start_departure"][k] == full.start_departure[v]
        assert some["end_time"][k] == full.end_time[v]
