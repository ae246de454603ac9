"""The numba insertion kernel against its plain-Python twin on seeded random cases."""

from __future__ import annotations

import numpy as np
import pytest

from routing.darp.checker import check_plan
from routing.darp.construct import initial_plan, insert_requests
from routing.darp.insertion import NewRequest, best_insertions, insert_into_route
from routing.darp.insertion_reference import best_insertions_reference
from routing.darp.problem import NO_LIMIT, OPEN_END, DarpProblem, Plan
from routing.darp.snapshot import build_snapshots


def random_problem(seed: int, *, vehicles: int = 3, requests: int = 12, open_end: bool = False,
                   onboard: int = 0, max_duration: int | None = None) -> DarpProblem:
    """A small random dial-a-ride problem on a metric (Euclidean, rounded up) matrix.

    ``max_duration``: every vehicle's route duration limit (default: half of them 5000, which
    rarely binds, the others none)."""
    rng = np.random.default_rng(seed)
    n_loc = 2 * requests + vehicles + 1
    xy = rng.uniform(0, 600, size=(n_loc, 2))
    tt = np.ceil(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))).astype(np.int64)
    pick = np.arange(requests)
    drop = np.arange(requests, 2 * requests)
    direct = tt[pick, drop]
    horizon = 4000
    pe = rng.integers(0, horizon - 1500, requests)
    pl = pe + rng.integers(100, 900, requests)
    service = rng.integers(0, 60, requests)
    ride = direct + rng.integers(0, 600, requests) + 30
    # half of the requests are "arrive by": the window sits at the drop-off
    arrive_by = rng.random(requests) < 0.5
    de = np.where(arrive_by, pe + direct + 200, 0)
    dl = np.where(arrive_by, de + rng.integers(100, 600, requests), horizon * 2)
    pe = np.where(arrive_by, 0, pe)
    pl = np.where(arrive_by, horizon * 2, pl)
    seats = rng.integers(1, 4, requests)
    chairs = (rng.random(requests) < 0.2).astype(int)
    seats = np.where(chairs > 0, rng.integers(0, 2, requests), seats)
    onboard_vehicle = np.full(requests, -1)
    pickup_begin = np.zeros(requests)
    for r in range(onboard):
        onboard_vehicle[r] = r % vehicles
        pickup_begin[r] = 0
        pe[r], pl[r] = 0, 0
        ride[r] = 2 * horizon  # plans start out keeping every promise (the kernel does not re-judge them)
    depot = 2 * requests + np.arange(vehicles)
    return DarpProblem(
        travel_time=tt, pickup_location=pick, dropoff_location=drop, seats=seats, wheelchairs=chairs,
        pickup_earliest=pe, pickup_latest=pl, dropoff_earliest=de, dropoff_latest=dl, max_ride_time=ride,
        pickup_service=service, dropoff_service=service, onboard_vehicle=onboard_vehicle,
        pickup_begin=pickup_begin, rejection_penalty=np.where(onboard_vehicle >= 0, -1, 1000),
        start_location=depot if not onboard else drop[:vehicles] * 0 + depot,
        end_location=np.full(vehicles, OPEN_END) if open_end else depot,
        start_time=rng.integers(0, 300, vehicles), end_latest=np.full(vehicles, horizon * 2),
        seat_capacity=rng.integers(3, 6, vehicles), wheelchair_capacity=rng.integers(0, 2, vehicles),
        max_duration=(np.where(rng.random(vehicles) < 0.5, NO_LIMIT, 5000) if max_duration is None
                      else np.full(vehicles, max_duration)),
    )


def assert_same(a, b):
    np.testing.assert_array_equal(np.isfinite(a.cost), np.isfinite(b.cost))
    ok = np.isfinite(a.cost)
    np.testing.assert_allclose(a.cost[ok], b.cost[ok], rtol=0, atol=1e-9)
    np.testing.assert_array_equal(a.pickup_position[ok], b.pickup_position[ok])
    np.testing.assert_array_equal(a.dropoff_position[ok], b.dropoff_position[ok])


@pytest.mark.parametrize("seed", range(60))
def test_kernel_matches_reference_while_building_plans(seed):
    """Insert requests one by one; at every step the kernel and its twin agree exactly."""
    problem = random_problem(seed, vehicles=1 + seed % 4, requests=6 + seed % 9, open_end=seed % 3 == 0,
                             onboard=seed % 2).tightened()
    plan = Plan.empty(problem)
    for r in np.flatnonzero(problem.onboard_vehicle >= 0):
        plan.routes[problem.onboard_vehicle[r]].append(2 * int(r) + 1)
    weight = [0.0, 0.5, 2.0][seed % 3]
    compared = 0
    for r in np.flatnonzero(problem.onboard_vehicle < 0):
        snaps = build_snapshots(problem, plan)
        req = NewRequest.from_problem(problem, int(r))
        fast = best_insertions(snaps, req, problem.travel_time, delay_weight=weight)
        slow = best_insertions_reference(snaps, req, problem.travel_time, delay_weight=weight)
        assert_same(fast, slow)
        compared += 1
        v = fast.best_vehicle
        if v >= 0:
            plan.routes[v] = insert_into_route(plan.routes[v], int(r), int(fast.pickup_position[v]),
                                               int(fast.dropoff_position[v]))
            assert check_plan(problem, plan), check_plan(problem, plan).violations
    assert compared > 0


@pytest.mark.parametrize("seed", range(40))
def test_kernel_matches_reference_where_the_route_duration_binds(seed):
    """Vehicles leave at 0 and work a day far longer than their duration limit, so departures move
    later: the fast path's duration check (from the latest departure keeping every time) agrees with
    the twin's exact schedules."""
    problem = random_problem(seed, vehicles=2 + seed % 3, requests=10 + seed % 8, open_end=seed % 4 == 0,
                             max_duration=1200 + 100 * (seed % 7)).tightened()
    plan = Plan.empty(problem)
    for r in range(problem.request_count):
        snaps = build_snapshots(problem, plan)
        req = NewRequest.from_problem(problem, r)
        fast = best_insertions(snaps, req, problem.travel_time)
        assert_same(fast, best_insertions_reference(snaps, req, problem.travel_time))
        v = fast.best_vehicle
        if v >= 0:
            plan.routes[v] = insert_into_route(plan.routes[v], r, int(fast.pickup_position[v]),
                                               int(fast.dropoff_position[v]))
            assert check_plan(problem, plan), check_plan(problem, plan).violations
    # the case this test is for: some route leaves later than its vehicle could
    assert (build_snapshots(problem, plan).start_departure > problem.start_time).any()


def test_hypothesis_random_cases():
    pytest.importorskip("hypothesis")
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=150, deadline=None, derandomize=True)
    @given(st.integers(0, 10**6), st.integers(1, 4), st.integers(2, 14), st.booleans(), st.floats(0, 3))
    def run(seed, vehicles, requests, open_end, weight):
        problem = random_problem(seed, vehicles=vehicles, requests=requests, open_end=open_end).tightened()
        plan, _ = insert_requests(problem, Plan.empty(problem), range(requests - 1), delay_weight=weight)
        snaps = build_snapshots(problem, plan)
        req = NewRequest.from_problem(problem, requests - 1)
        assert_same(best_insertions(snaps, req, problem.travel_time, delay_weight=weight),
                    best_insertions_reference(snaps, req, problem.travel_time, delay_weight=weight))

    run()


def test_initial_plans_pass_the_independent_checker():
    for seed in range(20):
        problem = random_problem(seed, vehicles=3, requests=20).tightened()
        plan, rejected = initial_plan(problem)
        result = check_plan(problem, plan)
        assert result.feasible, result.violations
        assert sorted(set(plan.served_requests()) | set(rejected)) == list(range(20))


def test_request_larger_than_every_vehicle_is_rejected_with_its_cause():
    problem = random_problem(1, vehicles=2, requests=4)
    big = problem.replace(seats=np.array([99, 1, 1, 1]))
    assert "no vehicle has that much room" in big.request_error(0)
    ins = best_insertions(build_snapshots(big, Plan.empty(big)), NewRequest.from_problem(big, 0), big.travel_time)
    assert ins.best_vehicle == -1


def test_insertion_delays_an_earlier_pickup_to_keep_a_ride_limit():
    """Picking A up as early as possible would make A wait on board for B's window; the kernel
    must find that starting A later keeps A's ride limit, and pool B between A's stops."""
    x = np.arange(5)
    tt = np.abs(x[:, None] - x[None, :]) * 10
    problem = DarpProblem(
        travel_time=tt, pickup_location=[1, 2], dropoff_location=[3, 4], seats=[1, 1], wheelchairs=[0, 0],
        pickup_earliest=[0, 200], pickup_latest=[1000, 210], dropoff_earliest=[0, 0],
        dropoff_latest=[1000, 1000], max_ride_time=[40, 100], pickup_service=[0, 0], dropoff_service=[0, 0],
        onboard_vehicle=[-1, -1], pickup_begin=[0, 0], rejection_penalty=[-1, -1], start_location=[0],
        end_location=[-1], start_time=[0], end_latest=[2000], seat_capacity=[2], wheelchair_capacity=[0],
        max_duration=[NO_LIMIT])
    plan = Plan([[0, 1]])
    snaps = build_snapshots(problem, plan)
    req = NewRequest.from_problem(problem, 1)
    fast = best_insertions(snaps, req, tt)
    slow = best_insertions_reference(snaps, req, tt)
    assert_same(fast, slow)
    assert (fast.pickup_position[0], fast.dropoff_position[0]) == (1, 2)  # A+, B+, A-, B-
    route = insert_into_route(plan.routes[0], 1, 1, 2)
    result = check_plan(problem, Plan([route]))
    assert result.feasible and result.schedule[0][0] >= 170


def _pruning_case(seed: int) -> int:
    """Pruned and unpruned kernel (and the Python twin) agree exactly on one seeded random fleet,
    also where the bound's precondition fails (a plan leaving stops earlier than the vehicle could
    reach them). Returns how many (request, vehicle) pairs the bound pruned."""
    from dataclasses import replace

    from routing.darp.pruning import prune_bounds_ok

    rng = np.random.default_rng(1000 + seed)
    problem = random_problem(seed, vehicles=8 + seed % 20, requests=20 + seed % 15,
                             open_end=seed % 3 == 0).tightened()
    plan, _ = insert_requests(problem, Plan.empty(problem), range(problem.request_count - 1))
    snaps = build_snapshots(problem, plan)
    tt = problem.travel_time
    pruned_total = 0
    for trial in range(15):
        r = problem.request_count - 1
        pe = int(rng.integers(0, 3000))
        req = replace(NewRequest.from_problem(problem, r), pickup_location=int(rng.integers(0, len(tt))),
                      pickup_earliest=pe, pickup_latest=pe + int(rng.integers(0, 400)))
        weight = [0.0, 1.0][trial % 2]
        full = best_insertions(snaps, req, tt, delay_weight=weight)
        fast = best_insertions(snaps, req, tt, delay_weight=weight, prune=True)
        assert_same(full, fast)
        assert_same(fast, best_insertions_reference(snaps, req, tt, delay_weight=weight))
        ok = prune_bounds_ok(snaps, tt)
        pruned_total += int((ok & (snaps.start_departure + tt[snaps.start_location, req.pickup_location]
                                   > req.pickup_latest)).sum())
        # break precondition (b): stops planned earlier than reachable; pruning must then hold back
        early = replace(snaps, begin=snaps.begin - 10_000)
        assert_same(best_insertions(early, req, tt, delay_weight=weight),
                    best_insertions(early, req, tt, delay_weight=weight, prune=True))
    return pruned_total


@pytest.mark.parametrize("seed", range(40))
def test_pruning_never_drops_a_vehicle_the_kernel_accepts(seed):
    _pruning_case(seed)


def test_pruning_prunes():
    """The comparisons above are not vacuous: the bound prunes vehicles in these cases."""
    assert sum(_pruning_case(seed) for seed in range(8)) > 20


def test_prune_bound_precondition_is_checked_per_vehicle():
    from dataclasses import replace

    from routing.darp.pruning import prune_bounds_ok

    problem = random_problem(3, vehicles=4, requests=12).tightened()
    plan, _ = insert_requests(problem, Plan.empty(problem), range(11))
    snaps = build_snapshots(problem, plan)
    assert prune_bounds_ok(snaps, problem.travel_time).all()   # schedules computed on tt keep it
    busy = [v for v in range(snaps.vehicle_count) if snaps.stop_ptr[v + 1] > snaps.stop_ptr[v]]
    assert busy
    early = replace(snaps, begin=snaps.begin - 10_000)
    ok = prune_bounds_ok(early, problem.travel_time)
    assert not ok[busy].any()
