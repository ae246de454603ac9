"""The ruin kernels (numba) choose and remove the same requests as their plain-Python twins."""

from __future__ import annotations

import numpy as np
import pytest

from routing.darp.construct import initial_plan
from routing.darp.lns import RuinAndRecreate
from routing.darp.ruin import (
    remove_requests,
    route_totals,
    served_free,
    shaw_pick,
    shaw_pick_reference,
    worst_pick,
    worst_pick_reference,
)
from test_darp_insertion import random_problem


def _search(seed):
    problem = random_problem(seed, vehicles=3, requests=14, open_end=seed % 2 == 1).tightened()
    plan, _ = initial_plan(problem)
    lns = RuinAndRecreate(problem, seed=seed, vehicle_fixed_cost=700 if seed % 3 == 0 else 0)
    return problem, plan, lns


@pytest.mark.parametrize("seed", range(8))
def test_route_arrays_give_the_plan_its_cost_vehicles_served_requests_and_objective(seed):
    problem, plan, lns = _search(seed)
    routes, lengths = lns._to_arrays(plan)
    assert lns._to_plan(routes, lengths).routes == plan.routes
    served = np.zeros(problem.request_count, dtype=np.bool_)
    total, used = route_totals(lns._cost, lns._code_location, lns._start, lns._end, routes, lengths, served)
    assert total == plan.cost(problem)
    assert used == plan.vehicles_used()
    assert np.array_equal(np.flatnonzero(served), plan.served_requests())
    assert np.array_equal(served_free(routes, lengths, problem.onboard_vehicle < 0), lns._served(plan))
    # the objective of the arrays is the one of the plan: driving, vehicles and penalties
    assert lns._objectives(plan)[0] == plan.objective(problem, lns.vehicle_fixed_cost, 10**15)


@pytest.mark.parametrize("seed", range(8))
def test_removing_requests_from_route_arrays_keeps_the_order_of_the_other_stops(seed):
    problem, plan, lns = _search(seed)
    rng = np.random.default_rng(seed)
    served = lns._served(plan)
    removed = rng.choice(served, size=min(5, len(served)), replace=False)
    mask = np.zeros(problem.request_count, dtype=np.bool_)
    mask[removed] = True
    routes, lengths = lns._to_arrays(plan)
    out, out_len = remove_requests(routes, lengths, mask)
    assert lns._to_plan(out, out_len).routes == lns._remove(plan, removed).routes
    assert lns._to_plan(routes, lengths).routes == plan.routes  # the input is left as it was


@pytest.mark.parametrize("seed", range(8))
def test_shaw_and_worst_removal_kernels_match_their_python_twins(seed):
    problem, plan, lns = _search(seed)
    rng = np.random.default_rng(100 + seed)
    routes, lengths = lns._to_arrays(plan)
    served = served_free(routes, lengths, problem.onboard_vehicle < 0)
    for q in (1, 3, len(served)):
        u_first, u_ref, u_rank = rng.random(), rng.random(q), rng.random(q)
        got = shaw_pick(lns.relatedness, served, q, u_first, u_ref, u_rank)
        want = shaw_pick_reference(lns.relatedness, served, q, u_first, u_ref, u_rank)
        assert got.tolist() == want.tolist()
        assert len(set(got.tolist())) == len(got) == min(q, len(served))
        got = worst_pick(lns._cost, lns._code_location, lns._start, lns._end, routes, lengths, served, q, u_rank)
        want = worst_pick_reference(lns._cost, lns._code_location, lns._start, lns._end, routes, lengths,
                                    served, q, u_rank)
        assert got.tolist() == want.tolist()
        assert set(got.tolist()) <= set(served.tolist())


def test_worst_removal_with_rank_zero_takes_the_request_that_adds_the_most_driving():
    problem, plan, lns = _search(1)
    routes, lengths = lns._to_arrays(plan)
    served = served_free(routes, lengths, problem.onboard_vehicle < 0)
    base = plan.cost(problem)
    saved = {int(r): base - lns._remove(plan, [r]).cost(problem) for r in served}
    got = worst_pick(lns._cost, lns._code_location, lns._start, lns._end, routes, lengths, served, 1, np.zeros(1))
    # the kernel's saving counts each stop's detour apart, so for a pickup right before its own
    # drop-off it can differ from removing both; on this plan the largest is the same request
    assert saved[int(got[0])] == max(saved.values())
