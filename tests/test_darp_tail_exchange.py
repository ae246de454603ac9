"""Tail exchange (2-opt* at empty points): the kernel makes the same moves as its plain-Python twin,
never leaves the feasible plans, never raises the cost, and finds the swap two crossed routes need."""

from __future__ import annotations

import numpy as np
import pytest

from routing.darp.checker import check_plan
from routing.darp.construct import initial_plan
from routing.darp.lns import RuinAndRecreate
from routing.darp.problem import NO_LIMIT, DarpProblem, Plan
from routing.darp.tail_exchange import tail_exchange_descent, tail_exchange_reference
from test_darp_insertion import random_problem
from test_darp_recreate import seeded_search


def _descend(problem: DarpProblem, plan: Plan, vehicle_cost: int = 0, changed=None, locked=None):
    lns = RuinAndRecreate(problem)
    routes, lengths = lns._to_arrays(plan)
    if changed is None:
        changed = np.ones(problem.vehicle_count, dtype=np.bool_)
    if locked is None:
        locked = np.zeros(problem.request_count, dtype=np.bool_)
    moves, saved = tail_exchange_descent(problem.travel_time, problem.travel_cost, lns._code_location,
                                         lns._p_arrays, problem.seat_capacity, problem.wheelchair_capacity,
                                         routes, lengths, changed, locked, vehicle_cost, 1000)
    return lns._to_plan(routes, lengths), int(moves), int(saved)


def _shuffled_plan(problem: DarpProblem, seed: int) -> Plan:
    """A feasible plan with its trips dealt to the vehicles at random, so tails are worth swapping."""
    rng = np.random.default_rng(seed)
    plan, _ = initial_plan(problem)
    lns = RuinAndRecreate(problem, seed=seed)
    free = lns._served(plan)
    moved = rng.choice(free, size=len(free) // 2, replace=False)
    plan, _ = lns.recreate(lns._remove(plan, moved), rng.permutation(moved), regret=0, noise=0.5)
    return plan


#: seeds whose random rider on board fits the vehicle it is on (the others raise DarpInputError)
SEEDS = (0, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 15, 16, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27)


@pytest.mark.parametrize("seed", SEEDS)
def test_kernel_makes_the_same_moves_as_its_python_twin_and_keeps_every_constraint(seed):
    problem = random_problem(seed, vehicles=2 + seed % 4, requests=10 + seed % 9, open_end=seed % 3 == 0,
                             onboard=seed % 2).tightened()
    start = _shuffled_plan(problem, seed)
    vehicle_cost = 500 if seed % 4 == 1 else 0
    got, moves, saved = _descend(problem, start, vehicle_cost)
    want, want_moves = tail_exchange_reference(problem, start, vehicle_cost)
    assert got.routes == want.routes
    assert moves == want_moves
    assert check_plan(problem, got).served == check_plan(problem, start).served
    assert check_plan(problem, got).feasible == check_plan(problem, start).feasible
    before = start.objective(problem, vehicle_cost)
    assert got.objective(problem, vehicle_cost) == before - saved <= before
    # riders on board stay with their vehicle
    for r in np.flatnonzero(problem.onboard_vehicle >= 0):
        assert 2 * int(r) + 1 in got.routes[problem.onboard_vehicle[r]]


def test_some_seeded_plans_do_get_better():
    """The twin comparison above must not pass only because nothing ever moves."""
    total = 0
    for seed in SEEDS:
        problem = random_problem(seed, vehicles=2 + seed % 4, requests=10 + seed % 9).tightened()
        total += _descend(problem, _shuffled_plan(problem, seed))[1]
    assert total >= 5


def _line_problem(early=(0, 0, 1000, 1000), late=(100, 100, 1100, 1100), end_latest=(5000, 5000)) -> DarpProblem:
    """Two vehicles at a depot in the middle of a line; requests 0 and 2 go west (100 to 110 units
    out), 1 and 3 east, with the pickup windows given."""
    x = np.array([0, -100, -110, 100, 110, -100, -110, 100, 110])  # depot, then pickup/drop-off places
    tt = np.abs(x[:, None] - x[None, :]).astype(np.int64)
    return DarpProblem(
        travel_time=tt, pickup_location=[1, 3, 5, 7], dropoff_location=[2, 4, 6, 8], seats=[1] * 4,
        wheelchairs=[0] * 4, pickup_earliest=list(early), pickup_latest=list(late), dropoff_earliest=[0] * 4,
        dropoff_latest=[5000] * 4, max_ride_time=[100] * 4, pickup_service=[0] * 4, dropoff_service=[0] * 4,
        onboard_vehicle=[-1] * 4, pickup_begin=[0] * 4, rejection_penalty=[-1] * 4, start_location=[0, 0],
        end_location=[0, 0], start_time=[0, 0], end_latest=list(end_latest), seat_capacity=[3, 3],
        wheelchair_capacity=[0, 0], max_duration=[NO_LIMIT, NO_LIMIT])


#: vehicle 0 goes west then east, vehicle 1 east then west: 440 units each
CROSSED = Plan([[0, 1, 6, 7], [2, 3, 4, 5]])


def test_crossed_routes_swap_their_afternoon_trips():
    problem = _line_problem()
    got, moves, saved = _descend(problem, CROSSED)
    assert moves == 1
    assert sorted(got.routes) == [[0, 1, 4, 5], [2, 3, 6, 7]]  # each vehicle stays on its side
    assert got.cost(problem) == CROSSED.cost(problem) - saved == 2 * 240
    assert tail_exchange_reference(problem, CROSSED)[0].routes == got.routes


def test_a_swap_that_would_break_a_shift_end_is_not_made():
    # vehicle 1 must be back by 600, so it cannot take the east trip at 1000; its west trip is at 300-400
    problem = _line_problem(early=(0, 0, 300, 1000), late=(100, 100, 400, 1100), end_latest=(5000, 600))
    assert check_plan(problem, CROSSED).feasible
    assert not check_plan(problem, Plan([[0, 1, 4, 5], [2, 3, 6, 7]])).feasible  # the cheaper plan
    got, moves, _ = _descend(problem, CROSSED)
    assert moves == 0 and got.routes == CROSSED.routes


def test_a_planned_break_stays_with_its_vehicle():
    """The dispatcher plans a driver's break as a request on board that takes no seat: a vehicle
    whose break is still ahead is never empty, so no tail holding the break moves."""
    base = _line_problem()
    fields = {name: list(getattr(base, name)) for name in (
        "pickup_location", "dropoff_location", "seats", "wheelchairs", "pickup_earliest", "pickup_latest",
        "dropoff_earliest", "dropoff_latest", "max_ride_time", "pickup_service", "dropoff_service",
        "onboard_vehicle", "pickup_begin", "rejection_penalty")}
    for name, value in dict(pickup_location=0, dropoff_location=0, seats=0, wheelchairs=0, pickup_earliest=0,
                            pickup_latest=0, dropoff_earliest=500, dropoff_latest=3000, max_ride_time=NO_LIMIT // 4,
                            pickup_service=0, dropoff_service=30, onboard_vehicle=1, pickup_begin=0,
                            rejection_penalty=-1).items():
        fields[name].append(value)
    problem = base.replace(**fields)
    crossed = Plan([[0, 1, 6, 7], [2, 3, 4, 5, 9]])   # vehicle 1's break (request 4) after its trips
    assert check_plan(problem, crossed).feasible
    got, moves, _ = _descend(problem, crossed)
    assert 9 in got.routes[1] and check_plan(problem, got).feasible
    assert got.routes == tail_exchange_reference(problem, crossed)[0].routes
    assert moves == 0   # the afternoon trips would swap (as above) but for the break


def test_only_pairs_with_a_changed_vehicle_are_looked_at():
    problem = _line_problem()
    assert _descend(problem, CROSSED, changed=np.zeros(2, dtype=np.bool_))[1] == 0
    assert _descend(problem, CROSSED, changed=np.array([False, True]))[1] == 1


def test_with_a_fixed_cost_per_vehicle_two_routes_merge_into_one():
    problem = _line_problem(early=(0, 400, 1000, 1500), late=(100, 500, 1100, 1600))
    split = Plan([[0, 1, 2, 3], [4, 5, 6, 7]])  # the first two trips on one vehicle, the last two on the other
    assert check_plan(problem, split).feasible
    got, moves, saved = _descend(problem, split, vehicle_cost=10_000)
    assert got.vehicles_used() == 1 and moves == 1 and saved == 10_000
    assert check_plan(problem, got).feasible


def test_the_search_on_a8_96_ends_within_one_percent_of_the_optimum_at_8000_iterations(data_dir):
    # Without the tail exchange this seeded search ended 1.22 % above the optimum 1229.66; with it 0.59 %.
    inst, lns, _, checked = seeded_search(data_dir / "darp" / "cordeau2006" / "a8-96.txt", "darp", 8000)
    assert checked.feasible
    assert lns.stats.tail_exchanges > 0
    assert checked.cost / inst.time_scale <= 1229.66 * 1.01


def test_the_search_exchanges_tails_only_when_vehicles_have_no_fixed_cost():
    # with a fixed cost (Li & Lim: fewest vehicles first) the descent cost the phases iterations and
    # held lrc203 in worse plans more often, so the search leaves it out there
    import time

    problem = random_problem(3, vehicles=4, requests=16).tightened()
    plan, _ = initial_plan(problem)
    with_cost = RuinAndRecreate(problem, seed=0, vehicle_fixed_cost=700)
    with_cost.run(plan, time.perf_counter() + 60, max_iterations=300)
    assert with_cost.stats.tail_exchanges == 0


@pytest.mark.parametrize("seed", SEEDS[:12])
def test_locked_requests_stay_in_their_vehicle_and_the_kernel_matches_its_twin(seed):
    problem = random_problem(seed, vehicles=2 + seed % 4, requests=10 + seed % 9, open_end=seed % 3 == 0,
                             onboard=seed % 2).tightened()
    start = _shuffled_plan(problem, seed)
    served = [int(r) for r in start.served_requests() if problem.onboard_vehicle[r] < 0]
    locked = np.zeros(problem.request_count, dtype=np.bool_)
    locked[np.random.default_rng(seed).choice(served, size=max(1, len(served) // 4), replace=False)] = True
    got, moves, _ = _descend(problem, start, locked=locked)
    want, want_moves = tail_exchange_reference(problem, start, locked=locked)
    assert got.routes == want.routes and moves == want_moves
    home = start.vehicle_of_requests()
    for r in np.flatnonzero(locked):
        assert 2 * int(r) in got.routes[home[int(r)]] and 2 * int(r) + 1 in got.routes[home[int(r)]]


def test_a_locked_request_keeps_the_crossed_routes_from_swapping_their_afternoons():
    problem = _line_problem()
    assert _descend(problem, CROSSED)[1] == 1     # without a lock the afternoon trips swap
    locked = np.zeros(problem.request_count, dtype=np.bool_)
    locked[3] = True                              # vehicle 0's afternoon rider (stops 6, 7) stays on it
    kept, moves, _ = _descend(problem, CROSSED, locked=locked)
    assert {6, 7} <= set(kept.routes[0]) and kept.cost(problem) <= CROSSED.cost(problem)
    assert kept.routes == tail_exchange_reference(problem, CROSSED, locked=locked)[0].routes
