"""The dial-a-ride optimiser: insertion start, ruin-and-recreate, then OR-Tools on the best plan.

1. A start plan: the caller's (e.g. the live plan with its promises) or regret insertion.
2. Adaptive large neighbourhood search (:mod:`routing.darp.lns`: ruin-and-recreate with adaptive
   operator weights, the recreate step one numba call, :mod:`routing.darp.recreate`). Without a
   fixed cost per vehicle (the DARP, the live dispatcher) it has the whole time, unless its best
   plan still leaves out a must-serve request at 70 % of the time; with a fixed cost (Li & Lim),
   70 % of the time.
3. Then OR-Tools' full model warm-started from the best plan so far, guided local search, for the
   rest of the time: its moves (exchanges, relocations of pairs) complement ruin-and-recreate, and
   it may complete a plan the search could not.

Every plan returned has passed the independent checker against the caller's problem, and it is
never worse than the start plan: if a stage cannot improve or fails, the previous plan stands.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from routing.darp.checker import check_plan
from routing.darp.construct import initial_plan
from routing.darp.lns import RuinAndRecreate
from routing.darp.problem import MUST_SERVE, DarpInputError, DarpProblem, Plan
from routing.darp.result import SolveResult

log = logging.getLogger(__name__)

#: Share of the time limit given to ruin-and-recreate when OR-Tools follows; OR-Tools gets the rest
#: (0.5 before the ALNS got cheap iterations; 0.7 did better on the 8 largest a-set instances).
#: Without a fixed vehicle cost the search keeps the whole time once it has a complete plan: since
#: the tail exchange, OR-Tools improved 1 of 20 runs of the five hardest a-set instances (by
#: 0.07 %; four seeds, 10 s) and none of 8 on 100-144-request instances with wide windows, and the
#: search alone ended lower: mean gap 0.30 % against 0.38 %.
LNS_SHARE = 0.7
#: Penalty that stands in for "must be served" while OR-Tools completes a partial plan.
_MISSING_PENALTY = 10**11


def objective(problem: DarpProblem, plan: Plan, vehicle_fixed_cost: int = 0) -> int:
    """Travel cost + fixed cost per used vehicle + rejection penalties of optional requests left out."""
    return plan.objective(problem, vehicle_fixed_cost)


def solve(problem: DarpProblem, *, time_limit_s: float = 10.0, seed: int = 0, vehicle_fixed_cost: int = 0,
          start: Plan | None = None, use_ortools: bool = True, lns_share: float | None = None,
          delay_weight: float = 0.0, keep_in_vehicle=()) -> SolveResult:
    """Best plan found within ``time_limit_s`` (wall clock, everything included).

    ``keep_in_vehicle``: requests (indices) served by ``start`` that stay in the vehicle ``start``
    gives them (e.g. bookings an operator pinned): the search never moves them, and an OR-Tools
    plan that does is not taken.

    ``lns_share``: share of the time for ruin-and-recreate before OR-Tools; by default
    :data:`LNS_SHARE` with a fixed vehicle cost, and without one the whole time unless the search's
    plan is still incomplete at :data:`LNS_SHARE` of it."""
    t0 = time.perf_counter()
    deadline = t0 + float(time_limit_s)
    if not time_limit_s > 0:
        raise DarpInputError("time_limit_s must be a positive number of seconds")
    impossible = {}
    for r in np.flatnonzero(problem.onboard_vehicle < 0):
        cause = problem.request_error(int(r))
        if cause is None:
            continue
        if problem.rejection_penalty[r] == MUST_SERVE:
            raise DarpInputError(f"{cause}; it must be served, so no plan can exist")
        impossible[int(r)] = cause
    work = problem.tightened()
    if start is not None:
        checked = check_plan(problem, start)
        if not checked.feasible:
            raise ValueError("the start plan breaks a constraint: " + "; ".join(checked.violations[:3]))
        plan = start.copy()
    else:
        plan, _ = initial_plan(work, delay_weight=delay_weight)
    first_feasible = time.perf_counter() - t0 if _complete(problem, plan) else None
    stages = {}
    home = plan.vehicle_of_requests()
    keep = {int(r): home.get(int(r)) for r in keep_in_vehicle}
    if start is None and keep:
        raise DarpInputError("requests can only be kept in their vehicle with a start plan")
    if None in keep.values():
        raise DarpInputError("a request to keep in its vehicle is not in the start plan")
    lns = RuinAndRecreate(work, seed=seed, vehicle_fixed_cost=vehicle_fixed_cost, delay_weight=delay_weight,
                          locked=list(keep))
    handover = None
    if not use_ortools:
        lns_deadline = deadline
    elif lns_share is not None:
        lns_deadline = t0 + lns_share * time_limit_s
    elif vehicle_fixed_cost > 0:
        lns_deadline = t0 + LNS_SHARE * time_limit_s
    else:
        lns_deadline, handover = deadline, t0 + LNS_SHARE * time_limit_s
    lns_begin = time.perf_counter() - t0
    improved = lns.run(plan, lns_deadline, stop_if_incomplete_at=handover)
    if check_plan(problem, improved).feasible and (
            not _complete(problem, plan)
            or objective(problem, improved, vehicle_fixed_cost) <= objective(problem, plan, vehicle_fixed_cost)):
        plan = improved
    partial = None
    if not _complete(problem, plan):
        # A must-serve request found no place. Let OR-Tools try from this plan, with those
        # requests made optional at a huge penalty so the partial plan is a valid start.
        partial, plan = plan, None
    elif first_feasible is None:
        # when the search first held a complete plan (it may have gone on for the whole time)
        complete_after = lns.stats.seconds_to_complete
        first_feasible = (lns_begin + complete_after if complete_after is not None
                          else time.perf_counter() - t0)
    lns_stats = lns.stats
    stages["lns_objective"] = objective(problem, plan, vehicle_fixed_cost) if plan is not None else None
    status = "lns"
    if use_ortools and time.perf_counter() < deadline - 0.2:
        if partial is not None:
            free_must = (problem.rejection_penalty == MUST_SERVE) & (problem.onboard_vehicle < 0)
            relaxed_penalty = np.where(free_must, _MISSING_PENALTY, problem.rejection_penalty)
            relaxed = problem.replace(rejection_penalty=relaxed_penalty)
            found, status = _ortools_polish(relaxed, partial, deadline, vehicle_fixed_cost)
        else:
            found, status = _ortools_polish(problem, plan, deadline, vehicle_fixed_cost)
        if found is not None:
            found_home = found.vehicle_of_requests()
            ok = check_plan(problem, found).feasible and all(found_home.get(r) == v for r, v in keep.items())
            if ok and (plan is None or objective(problem, found, vehicle_fixed_cost)
                       < objective(problem, plan, vehicle_fixed_cost)):
                plan = found
                if first_feasible is None:
                    first_feasible = time.perf_counter() - t0
    seconds = time.perf_counter() - t0
    if plan is None:
        return SolveResult(Plan.empty(problem), 0, seconds, None, "ride_pool", "no_solution", stages)
    extra = dict(stages, objective=objective(problem, plan, vehicle_fixed_cost))
    served = set(int(r) for r in plan.served_requests())
    extra["rejected"] = {int(r): impossible.get(int(r), "no vehicle can fit it into its plan")
                         for r in range(problem.request_count) if int(r) not in served}
    if lns_stats is not None:
        extra.update(lns_iterations=lns_stats.iterations, lns_improvements=lns_stats.improvements)
    return SolveResult(plan, plan.cost(problem), seconds, first_feasible, "ride_pool", status, extra)


def _complete(problem: DarpProblem, plan: Plan) -> bool:
    """Every must-serve request is in the plan and the plan passes the checker."""
    return check_plan(problem, plan).feasible


def _ortools_polish(problem: DarpProblem, plan: Plan | None, deadline: float, vehicle_fixed_cost: int):
    """OR-Tools guided local search from ``plan`` until ``deadline``; (plan or None, status)."""
    from routing.darp.ortools_model import build_model, search_parameters, status_name

    model = build_model(problem, vehicle_fixed_cost)
    remaining = deadline - time.perf_counter()
    if remaining <= 0.1:
        return None, "lns"
    params = search_parameters(remaining)
    if plan is None:
        solution = model.routing.SolveWithParameters(params)
    else:
        assignment = model.assignment_from_plan(plan, params)
        remaining = deadline - time.perf_counter()
        if remaining <= 0.1:
            return None, "lns"
        params.time_limit.FromMilliseconds(max(1, int(remaining * 1000)))
        if assignment is None:
            # e.g. riders on board in an order the start plan could not keep: solve without it
            log.warning("OR-Tools rejected the warm start; solving without it")
            solution = model.routing.SolveWithParameters(params)
        else:
            solution = model.routing.SolveFromAssignmentWithParameters(assignment, params)
    if solution is None:
        return None, status_name(model.routing)
    return model.plan_from_assignment(solution), "lns+ortools"
