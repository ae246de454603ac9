"""The optimiser never returns a broken plan or one worse than its start; the checker catches breaks."""

from __future__ import annotations

import numpy as np
import pytest

from routing.darp.checker import check_plan
from routing.darp.construct import initial_plan
from routing.darp.problem import NO_LIMIT, DarpProblem, Plan
from routing.darp.solver import objective, solve
from test_darp_insertion import random_problem


def line_problem(**changes) -> DarpProblem:
    """Depot at 0, stops at 1..4 on a line, one unit of time apart."""
    x = np.arange(5)
    tt = np.abs(x[:, None] - x[None, :]) * 10
    values = dict(
        travel_time=tt, pickup_location=[1, 2], dropoff_location=[3, 4], seats=[1, 1], wheelchairs=[0, 0],
        pickup_earliest=[0, 0], pickup_latest=[1000, 1000], dropoff_earliest=[0, 0], dropoff_latest=[1000, 1000],
        max_ride_time=[100, 100], pickup_service=[1, 1], dropoff_service=[1, 1], onboard_vehicle=[-1, -1],
        pickup_begin=[0, 0], rejection_penalty=[-1, -1], start_location=[0], end_location=[0], start_time=[0],
        end_latest=[1000], seat_capacity=[2], wheelchair_capacity=[0], max_duration=[NO_LIMIT])
    values.update(changes)
    return DarpProblem(**values)


def test_checker_accepts_a_good_plan_and_returns_a_schedule():
    result = check_plan(line_problem(), Plan([[0, 2, 1, 3]]))
    assert result.feasible and result.cost == 80
    assert result.schedule[0][0] >= 10


@pytest.mark.parametrize("plan, changes, words", [
    (Plan([[0, 2, 1, 3]]), {"seat_capacity": [1]}, "seats taken"),
    (Plan([[1, 0, 2, 3]]), {}, "dropped off before"),
    (Plan([[0, 1]]), {}, "must be served"),
    (Plan([[0, 2, 1, 3]]), {"max_ride_time": [5, 100]}, "no schedule"),
    (Plan([[0, 2, 1, 3]]), {"dropoff_latest": [15, 1000]}, "no schedule"),
    (Plan([[0, 2, 1, 3]]), {"end_latest": [50]}, "no schedule"),
    (Plan([[0, 2, 1, 3]]), {"max_duration": [60]}, "no schedule"),
    (Plan([[0, 2, 1, 3, 3]]), {}, "planned twice"),
])
def test_checker_names_each_kind_of_violation(plan, changes, words):
    result = check_plan(line_problem(**changes), plan)
    assert not result.feasible
    assert any(words in v for v in result.violations), result.violations


def test_rider_on_board_must_be_dropped_by_their_vehicle():
    problem = line_problem(onboard_vehicle=[0, -1], pickup_begin=[0, 0], pickup_latest=[0, 1000])
    assert check_plan(problem, Plan([[1, 2, 3]])).feasible
    assert not check_plan(problem, Plan([[2, 3]])).feasible


@pytest.mark.parametrize("seed", range(6))
def test_solve_returns_checked_plans_never_worse_than_the_start(seed):
    problem = random_problem(seed, vehicles=3, requests=14)
    start, _ = initial_plan(problem.tightened())
    assert check_plan(problem, start).feasible
    result = solve(problem, time_limit_s=1.5, seed=seed, start=start)
    assert check_plan(problem, result.plan).feasible
    assert objective(problem, result.plan) <= objective(problem, start)
    assert result.seconds < 4


def test_solve_rejects_a_broken_start_plan():
    with pytest.raises(ValueError, match="breaks a constraint"):
        solve(line_problem(), time_limit_s=0.5, start=Plan([[1, 0, 2, 3]]))


def test_static_optional_requests_may_be_rejected_with_their_penalty():
    problem = line_problem(rejection_penalty=[5, 5], seat_capacity=[1], end_latest=[45])
    result = solve(problem, time_limit_s=1.0)
    assert check_plan(problem, result.plan).feasible
    assert len(result.plan.served_requests()) <= 1


def test_impossible_requests_get_a_named_error_or_a_rejection_with_its_cause():
    from routing.darp.problem import DarpInputError

    too_big = line_problem(seats=[5, 1])
    with pytest.raises(DarpInputError, match="no vehicle has that much room"):
        solve(too_big, time_limit_s=0.5)
    too_far = line_problem(max_ride_time=[5, 100])
    with pytest.raises(DarpInputError, match="maximum ride time"):
        solve(too_far, time_limit_s=0.5)
    optional = line_problem(seats=[5, 1], rejection_penalty=[10, -1])
    result = solve(optional, time_limit_s=0.5)
    assert check_plan(optional, result.plan).feasible
    assert "no vehicle has that much room" in result.extra["rejected"][0]
    assert 1 not in result.extra["rejected"]


def test_riders_on_board_beyond_capacity_are_a_named_input_error():
    from routing.darp.problem import DarpInputError

    with pytest.raises(DarpInputError, match="carries 2 seated riders"):
        line_problem(onboard_vehicle=[0, 0], seat_capacity=[1])


def test_riders_on_board_are_dropped_in_the_order_they_fall_due():
    """Regression: on-board drop-offs used to be planned in request order, which broke rider 1's deadline."""
    tt = np.array([[0, 100, 10, 50], [100, 0, 100, 60], [10, 100, 0, 50], [50, 60, 50, 0]])
    problem = DarpProblem(
        travel_time=tt, pickup_location=[0, 0, 3], dropoff_location=[1, 2, 1], seats=[1, 1, 1],
        wheelchairs=[0, 0, 0], pickup_earliest=[0, 0, 0], pickup_latest=[0, 0, 1000], dropoff_earliest=[0, 0, 0],
        dropoff_latest=[1000, 20, 1000], max_ride_time=[NO_LIMIT] * 3, pickup_service=[0] * 3,
        dropoff_service=[0] * 3, onboard_vehicle=[0, 0, -1], pickup_begin=[0, 0, 0], rejection_penalty=[-1, -1, 500],
        start_location=[0], end_location=[0], start_time=[0], end_latest=[NO_LIMIT], seat_capacity=[3],
        wheelchair_capacity=[0], max_duration=[NO_LIMIT])
    plan, _ = initial_plan(problem.tightened())
    assert check_plan(problem, plan).feasible
    for use_ortools in (False, True):
        result = solve(problem, time_limit_s=1.0, use_ortools=use_ortools)
        assert check_plan(problem, result.plan).feasible
        assert {1, 3} <= set(result.plan.routes[0])


def test_an_unused_vehicle_is_priced_from_where_it_stands():
    """Regression: an empty vehicle far from its depot looked cheap (its start-to-end leg was subtracted)."""
    from routing.darp.insertion import NewRequest, best_insertions
    from routing.darp.snapshot import build_snapshots

    tt = np.array([[0, 10, 100], [10, 0, 90], [100, 90, 0]])
    problem = DarpProblem(
        travel_time=tt, pickup_location=[1], dropoff_location=[0], seats=[1], wheelchairs=[0], pickup_earliest=[0],
        pickup_latest=[NO_LIMIT], dropoff_earliest=[0], dropoff_latest=[NO_LIMIT], max_ride_time=[NO_LIMIT],
        pickup_service=[0], dropoff_service=[0], onboard_vehicle=[-1], pickup_begin=[0], rejection_penalty=[-1],
        start_location=[0, 2], end_location=[0, 0], start_time=[0, 0], end_latest=[NO_LIMIT] * 2,
        seat_capacity=[3, 3], wheelchair_capacity=[0, 0], max_duration=[NO_LIMIT] * 2)
    ins = best_insertions(build_snapshots(problem, Plan.empty(problem)), NewRequest.from_problem(problem, 0), tt)
    assert ins.best_vehicle == 0
    np.testing.assert_array_equal(ins.cost, [20, 100])


def test_without_a_fixed_cost_the_search_keeps_the_whole_time_and_with_one_or_tools_follows():
    problem = random_problem(3, vehicles=3, requests=14)
    alone = solve(problem, time_limit_s=1.0)
    assert alone.status == "lns" and check_plan(problem, alone.plan).feasible
    # 3 s: OR-Tools gets 0.9 s, room to build its model and return its warm start even on a busy machine
    with_fixed_cost = solve(problem, time_limit_s=3.0, vehicle_fixed_cost=50)
    assert with_fixed_cost.status == "lns+ortools" and check_plan(problem, with_fixed_cost.plan).feasible


def test_the_search_hands_over_at_the_given_time_only_while_its_plan_is_incomplete():
    import time

    from routing.darp.lns import RuinAndRecreate

    # each request fits the one seat alone (62 and 82 minutes), both together need 104: never complete
    jammed = line_problem(seat_capacity=[1], end_latest=[90]).tightened()
    lns = RuinAndRecreate(jammed, seed=0)
    lns.run(Plan.empty(jammed), time.perf_counter() + 60, max_iterations=50)   # kernels loaded
    t = time.perf_counter()
    best = lns.run(Plan.empty(jammed), t + 60, stop_if_incomplete_at=t + 0.5)
    assert time.perf_counter() - t < 10 and lns.stats.iterations > 50
    assert len(best.served_requests()) == 1
    roomy = line_problem().tightened()
    lns = RuinAndRecreate(roomy, seed=0)
    complete, _ = initial_plan(roomy)
    best = lns.run(complete, time.perf_counter() + 60, max_iterations=300, stop_if_incomplete_at=time.perf_counter())
    assert lns.stats.iterations == 300 and len(best.served_requests()) == 2


@pytest.mark.parametrize("lns_share", [None, 0.5])
def test_requests_kept_in_their_vehicle_stay_there_through_search_and_or_tools(lns_share):
    from routing.darp.problem import DarpInputError

    problem = random_problem(4, vehicles=3, requests=14)
    start, _ = initial_plan(problem.tightened())
    home = start.vehicle_of_requests()
    keep = sorted(home)[::3]
    result = solve(problem, time_limit_s=1.5, seed=1, start=start, keep_in_vehicle=keep, lns_share=lns_share)
    after = result.plan.vehicle_of_requests()
    assert all(after[r] == home[r] for r in keep)
    assert check_plan(problem, result.plan).feasible
    assert objective(problem, result.plan) <= objective(problem, start)
    with pytest.raises(DarpInputError, match="start plan"):
        solve(problem, time_limit_s=0.5, keep_in_vehicle=keep)


def test_the_first_complete_plan_is_timed_when_the_search_finds_it_not_when_it_ends(tmp_path):
    from benchmarks.darp_wide_windows import write_instance
    from routing.darp.instances import read_cordeau

    path = tmp_path / "tight.txt"
    write_instance(path, requests=40, vehicles=4, seed=1)       # insertion alone leaves riders out
    instance = read_cordeau(path)
    start, _ = initial_plan(instance.problem.tightened())
    assert len(start.served_requests()) < 40
    result = solve(instance.problem, time_limit_s=3.0, seed=0)
    assert result.status == "lns" and check_plan(instance.problem, result.plan).feasible
    assert result.seconds_to_first_feasible is not None and result.seconds_to_first_feasible < 0.5 * result.seconds
