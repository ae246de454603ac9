"""The OR-Tools routing model of a DarpProblem and the plain OR-Tools baseline, judged by the checker."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from routing.darp.checker import check_plan
from routing.darp.instances import read_cordeau, read_lilim
from routing.darp.ortools_model import build_model, search_parameters, solve_baseline
from routing.darp.problem import MUST_SERVE, NO_LIMIT, OPEN_END, DarpProblem, Plan
from routing.darp.result import SolveResult


@pytest.fixture(scope="module")
def a4_16(data_dir):
    path = data_dir / "darp" / "cordeau2006" / "a4-16.txt"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return read_cordeau(path)


@pytest.fixture(scope="module")
def a4_16_baseline(a4_16):
    return solve_baseline(a4_16.problem, 2.0)


def test_baseline_solves_a_cordeau_instance(a4_16, a4_16_baseline):
    """a4-16 within 2 s: feasible under the exact times, close to the optimum 282.68.

    (On the two-vehicle instances such as a2-16, PARALLEL_CHEAPEST_INSERTION finds no first
    solution at all: that is OR-Tools' weakness the project's own construction has to beat, not a
    model error -- the published optimal routes of a2-16 were checked by hand to be accepted by
    ``assignment_from_plan`` and to pass the checker at cost 294.248.)
    """
    res = a4_16_baseline
    assert isinstance(res, SolveResult) and res.solver == "ortools-baseline"
    assert res.seconds < 5.0
    assert res.seconds_to_first_feasible is not None and res.seconds_to_first_feasible <= res.seconds
    check = a4_16.check(res.plan)
    assert check.feasible, check.violations
    assert res.cost == res.plan.cost(a4_16.problem)
    assert check.cost / 1000 == pytest.approx(282.68, rel=0.05)
    assert check.cost <= res.cost  # integer costs round up
    assert check_plan(a4_16.problem, res.plan).feasible  # and feasible under the integer times too


def test_warm_start_round_trip(a4_16, a4_16_baseline):
    plan = a4_16_baseline.plan
    model = build_model(a4_16.problem)
    params = search_parameters(0.5)
    assignment = model.assignment_from_plan(plan, params)
    assert assignment is not None
    assert model.plan_from_assignment(assignment).routes == plan.routes
    improved = model.routing.SolveFromAssignmentWithParameters(assignment, params)
    better = model.plan_from_assignment(improved)
    assert a4_16.check(better).feasible
    assert better.cost(a4_16.problem) <= plan.cost(a4_16.problem)


def test_assignment_from_plan_rejects_broken_plans(a4_16, a4_16_baseline):
    model = build_model(a4_16.problem)
    route = next(r for r in a4_16_baseline.plan.routes if r)
    broken = a4_16_baseline.plan.copy()
    v = a4_16_baseline.plan.routes.index(route)
    broken.routes[v] = list(reversed(route))  # drop-offs before pickups
    assert model.assignment_from_plan(broken) is None


def test_pdptw_baseline_counts_vehicles_first(data_dir):
    path = data_dir / "pdptw" / "lilim100" / "lc101.txt"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    inst = read_lilim(path)
    res = solve_baseline(inst.problem, 1.0, vehicle_fixed_cost=inst.vehicle_fixed_cost)
    check = inst.check(res.plan)
    assert check.feasible, check.violations
    assert res.plan.vehicles_used() == 10  # the best known count; 25 are available
    assert res.extra["objective"] == res.cost + 10 * inst.vehicle_fixed_cost


# ------------------------------------------------------------------------------ model features
def _problem(**over) -> DarpProblem:
    """Six places on a line, 10 time units apart; four requests, two vehicles."""
    x = np.arange(6)
    tt = np.abs(x[:, None] - x[None, :]) * 10
    fields = dict(
        travel_time=tt,
        pickup_location=[1, 2, 0, 1],
        dropoff_location=[3, 4, 5, 5],
        seats=[1, 0, 1, 1],
        wheelchairs=[0, 1, 0, 0],
        pickup_earliest=[0, 0, 0, 0],
        pickup_latest=[1000, 1000, 0, 1000],
        dropoff_earliest=[0, 0, 0, 0],
        dropoff_latest=[1000, 1000, 1000, 5],  # request 3 can never arrive in time
        max_ride_time=[100, 100, 200, 100],
        pickup_service=[1, 2, 1, 1],
        dropoff_service=[1, 2, 1, 1],
        onboard_vehicle=[-1, -1, 1, -1],  # request 2 sits in vehicle 1
        pickup_begin=[0, 0, 0, 0],
        rejection_penalty=[MUST_SERVE, MUST_SERVE, MUST_SERVE, 50],
        start_location=[0, 4],
        end_location=[0, OPEN_END],
        start_time=[0, 5],
        end_latest=[1000, 1000],
        seat_capacity=[2, 2],
        wheelchair_capacity=[1, 0],
        max_duration=[NO_LIMIT, 500],
    )
    fields.update(over)
    return DarpProblem(**fields)


def test_model_features_onboard_wheelchair_optional_open_end():
    problem = _problem()
    res = solve_baseline(problem, 0.5)
    check = check_plan(problem, res.plan)
    assert check.feasible, check.violations
    assert 2 * 2 + 1 in res.plan.routes[1] and 2 * 2 not in sum(res.plan.routes, [])  # on-board drop-off only
    assert 2 * 1 in res.plan.routes[0]  # the wheelchair rider needs vehicle 0
    assert 3 not in res.plan.served_requests().tolist()  # impossible optional request rejected
    assert res.extra["objective"] == res.cost + 50


def test_model_rejects_nothing_it_can_serve():
    problem = _problem(dropoff_latest=[1000, 1000, 1000, 1000])
    res = solve_baseline(problem, 0.5)
    assert check_plan(problem, res.plan).feasible
    assert res.plan.served_requests().tolist() == [0, 1, 2, 3]


def _random_problem(seed: int) -> DarpProblem:
    rng = np.random.default_rng(seed)
    n_loc, R, V = 12, 8, 3
    pts = rng.uniform(0, 100, size=(n_loc, 2))
    tt = np.ceil(np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))).astype(np.int64)
    pick = rng.integers(1, n_loc, R)
    drop = (pick + rng.integers(1, n_loc - 1, R)) % n_loc
    direct = tt[pick, drop]
    pe = rng.integers(0, 200, R)
    onboard = np.where(rng.random(R) < 0.2, rng.integers(0, V, R), -1)
    onboard[np.flatnonzero(onboard >= 0)[3:]] = -1  # at most one rider on board per vehicle, on average
    wheelchairs = ((rng.random(R) < 0.2) & (onboard < 0)).astype(int)
    return DarpProblem(
        travel_time=tt, pickup_location=pick, dropoff_location=drop,
        seats=rng.integers(1, 3, R), wheelchairs=wheelchairs,
        pickup_earliest=pe, pickup_latest=pe + 30, dropoff_earliest=np.zeros(R, int),
        dropoff_latest=pe + 30 + 2 * direct + 40,
        max_ride_time=(1.5 * direct + 20).astype(int), pickup_service=np.full(R, 2),
        dropoff_service=np.full(R, 3), onboard_vehicle=onboard, pickup_begin=np.zeros(R, int),
        rejection_penalty=np.where(onboard >= 0, MUST_SERVE, 1000),
        start_location=rng.integers(0, n_loc, V), end_location=np.array([0, OPEN_END, 5]),
        start_time=np.zeros(V, int), end_latest=np.full(V, 600), seat_capacity=np.full(V, 3),
        wheelchair_capacity=np.array([1, 0, 1]), max_duration=np.array([400, NO_LIMIT, 300]),
    )


@pytest.mark.parametrize("seed", range(12))
def test_model_plans_pass_the_checker(seed):
    """Whatever the model returns on random small problems passes the independent checker."""
    problem = _random_problem(seed)
    res = solve_baseline(problem, 0.3)
    if res.seconds_to_first_feasible is None:
        # only when the riders on board cannot all be delivered, in any order (all else is optional)
        plan = Plan.empty(problem)
        for r in np.flatnonzero(problem.onboard_vehicle >= 0):
            plan.routes[problem.onboard_vehicle[r]].append(2 * int(r) + 1)
        orders = itertools.product(*(itertools.permutations(route) for route in plan.routes))
        assert not any(check_plan(problem, Plan([list(o) for o in order])).feasible for order in orders)
        return
    check = check_plan(problem, res.plan)
    assert check.feasible, check.violations


def test_inconsistent_onboard_riders_are_named_errors():
    from routing.darp.problem import DarpInputError

    with pytest.raises(DarpInputError, match="vehicle 1 carries 3 seated riders"):
        _problem(seats=[1, 0, 3, 1])  # DarpProblem itself refuses it
    with pytest.raises(DarpInputError, match="request 2: on board vehicle 1, but its ride limit ends"):
        build_model(_problem(dropoff_earliest=[0, 0, 500, 0]))


def test_vroom_peer_on_lilim(data_dir):
    pytest.importorskip("vroom")
    from routing.darp.vroom_peer import solve_vroom

    path = data_dir / "pdptw" / "lilim100" / "lc101.txt"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    inst = read_lilim(path)
    res = solve_vroom(inst.problem, 5.0, inst.vehicle_fixed_cost)
    check = inst.check(res.plan)
    assert check.feasible, check.violations
    assert res.plan.vehicles_used() == 10 and res.solver == "vroom"
    with pytest.raises(ValueError, match="ride-time"):
        solve_vroom(_problem(), 1.0)
