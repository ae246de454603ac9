"""Build plans by inserting requests one at a time with the insertion kernel."""

from __future__ import annotations

import numpy as np

from routing.darp.insertion import NewRequest, best_insertions, insert_into_route
from routing.darp.problem import DarpProblem, Plan
from routing.darp.snapshot import build_snapshots


def insert_requests(problem: DarpProblem, plan: Plan, requests, *, delay_weight: float = 0.0,
                    regret: bool = False) -> tuple[Plan, list[int]]:
    """Insert ``requests`` into a copy of ``plan``; returns the plan and the requests that did not fit.

    Greedy (cheapest insertion, in the given order) or, with ``regret``, regret-2: the request
    whose best and second-best vehicles differ most is placed first.
    """
    plan = plan.copy()
    pending = [int(r) for r in requests]
    rejected: list[int] = []
    tt, cost = problem.travel_time, problem.travel_cost
    snapshots = build_snapshots(problem, plan)
    new_requests = {r: NewRequest.from_problem(problem, r) for r in pending}
    while pending:
        if regret:
            best_key, choice = None, None
            for r in pending:
                ins = best_insertions(snapshots, new_requests[r], tt, cost, delay_weight=delay_weight)
                order = ins.feasible_vehicles()
                if len(order) == 0:
                    key = (0, 0.0, 0.0)  # no vehicle at all: settle it first (it is rejected)
                else:
                    second = ins.cost[order[1]] if len(order) > 1 else 1e18
                    key = (1, -(second - ins.cost[order[0]]), ins.cost[order[0]])
                if best_key is None or key < best_key:
                    best_key, choice = key, (r, ins)
            r, ins = choice
        else:
            r = pending[0]
            ins = best_insertions(snapshots, new_requests[r], tt, cost, delay_weight=delay_weight)
        pending.remove(r)
        v = ins.best_vehicle
        if v < 0:
            rejected.append(r)
            continue
        plan.routes[v] = insert_into_route(plan.routes[v], r, int(ins.pickup_position[v]), int(ins.dropoff_position[v]))
        snapshots = build_snapshots(problem, plan)
    return plan, rejected


def initial_plan(problem: DarpProblem, *, delay_weight: float = 0.0, regret: bool = True) -> tuple[Plan, list[int]]:
    """A first plan for a static problem: every request not on board, earliest pickup first."""
    free = np.flatnonzero(problem.onboard_vehicle < 0)
    order = free[np.argsort(np.minimum(problem.pickup_latest[free], problem.dropoff_latest[free]), kind="stable")]
    base = Plan.empty(problem)
    onboard = np.flatnonzero(problem.onboard_vehicle >= 0)
    # riders on board leave in the order their drop-offs fall due
    due = np.minimum(problem.dropoff_latest, problem.pickup_begin + problem.pickup_service + problem.max_ride_time)
    for r in onboard[np.argsort(due[onboard], kind="stable")]:
        base.routes[int(problem.onboard_vehicle[r])].append(2 * int(r) + 1)
    return insert_requests(problem, base, order, delay_weight=delay_weight, regret=regret)
