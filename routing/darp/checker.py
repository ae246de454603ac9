"""Independent feasibility checker for any dial-a-ride plan.

It shares no code with the insertion search or the optimisers: it re-reads the problem, checks
the structure of every route, the loads in both capacity dimensions, and decides whether *any*
schedule meets all time windows, ride limits, shift ends and route durations. That last question
is a system of difference constraints (``x_j - x_i <= w``), which has a solution exactly when its
constraint graph has no negative cycle (Bellman-Ford); the shortest distances are a schedule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from routing.darp.problem import MUST_SERVE, OPEN_END, DarpProblem, Plan

#: Slack allowed when times are exact floats (benchmark instances): far below any rounding we report.
FLOAT_TOLERANCE = 1e-6


@dataclass
class CheckResult:
    """Outcome of :func:`check_plan`: ``feasible``, the violations found and one feasible schedule."""

    feasible: bool
    violations: list[str] = field(default_factory=list)
    #: per vehicle: service-begin time of every stop of its route (empty where infeasible)
    schedule: list[list[float]] = field(default_factory=list)
    cost: float = 0.0
    served: int = 0
    unserved: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:  # so ``assert check_plan(...)`` reads naturally
        return self.feasible


def check_plan(problem: DarpProblem, plan: Plan, *, travel_time=None, travel_cost=None,
               tolerance: float | None = None) -> CheckResult:
    """Check ``plan`` against ``problem``; ``travel_time``/``travel_cost`` may override the
    problem's integer matrices with exact ones in the same time units (benchmark instances)."""
    tt = np.asarray(problem.travel_time if travel_time is None else travel_time, dtype=np.float64)
    cost_m = np.asarray(problem.travel_cost if travel_cost is None else travel_cost, dtype=np.float64)
    tol = (FLOAT_TOLERANCE if travel_time is not None else 0.0) if tolerance is None else tolerance
    R, V = problem.request_count, problem.vehicle_count
    violations: list[str] = []
    if len(plan.routes) != V:
        return CheckResult(False, [f"plan has {len(plan.routes)} routes for {V} vehicles"])

    seen_pickup = np.full(R, -1)
    seen_dropoff = np.full(R, -1)
    for v, route in enumerate(plan.routes):
        for stop in route:
            stop = int(stop)
            if not 0 <= stop < 2 * R:
                violations.append(f"vehicle {v}: stop code {stop} does not name a request's stop")
                continue
            r, is_drop = divmod(stop, 2)
            seen = seen_dropoff if is_drop else seen_pickup
            if seen[r] >= 0:
                violations.append(f"request {r}: {'drop-off' if is_drop else 'pickup'} planned twice")
            seen[r] = v
    for r in range(R):
        onboard = int(problem.onboard_vehicle[r])
        if onboard >= 0:
            if seen_pickup[r] >= 0:
                violations.append(f"request {r}: already on board vehicle {onboard} but planned for pickup again")
            if seen_dropoff[r] != onboard:
                violations.append(f"request {r}: on board vehicle {onboard} but not dropped off by it")
            continue
        if (seen_pickup[r] >= 0) != (seen_dropoff[r] >= 0):
            violations.append(f"request {r}: pickup and drop-off must both be planned, or neither")
        elif seen_pickup[r] >= 0 and seen_pickup[r] != seen_dropoff[r]:
            violations.append(
                f"request {r}: picked up by vehicle {seen_pickup[r]} but dropped off by {seen_dropoff[r]}")
        elif seen_pickup[r] < 0 and problem.rejection_penalty[r] == MUST_SERVE:
            violations.append(f"request {r}: must be served but is in no route")
    if violations:
        return CheckResult(False, violations)

    schedule: list[list[float]] = []
    total_cost = 0.0
    for v, route in enumerate(plan.routes):
        times, route_violations = _check_route(problem, v, [int(s) for s in route], tt, tol)
        violations.extend(route_violations)
        schedule.append(times)
        if route:
            locs = [int(problem.start_location[v])] + [problem.stop_location(s) for s in route]
            if problem.end_location[v] != OPEN_END:
                locs.append(int(problem.end_location[v]))
            total_cost += float(sum(cost_m[a, b] for a, b in zip(locs[:-1], locs[1:])))
    served = int((seen_dropoff >= 0).sum())
    unserved = [r for r in range(R) if seen_dropoff[r] < 0]
    return CheckResult(not violations, violations, schedule, total_cost, served, unserved)


def _check_route(problem: DarpProblem, v: int, route: list[int], tt: np.ndarray, tol: float):
    violations: list[str] = []
    seats = sum(int(problem.seats[r]) for r in range(problem.request_count) if problem.onboard_vehicle[r] == v)
    chairs = sum(int(problem.wheelchairs[r]) for r in range(problem.request_count) if problem.onboard_vehicle[r] == v)
    position = {}
    for pos, stop in enumerate(route):
        r, is_drop = divmod(stop, 2)
        if is_drop and problem.onboard_vehicle[r] < 0 and position.get(2 * r, len(route)) > pos:
            violations.append(f"vehicle {v}: request {r} is dropped off before it is picked up")
        position[stop] = pos
        sign = -1 if is_drop else 1
        seats += sign * int(problem.seats[r])
        chairs += sign * int(problem.wheelchairs[r])
        if seats > problem.seat_capacity[v]:
            violations.append(f"vehicle {v}: {seats} seats taken after stop {pos}, capacity {problem.seat_capacity[v]}")
        if chairs > problem.wheelchair_capacity[v]:
            violations.append(
                f"vehicle {v}: {chairs} wheelchair places taken after stop {pos}, "
                f"capacity {problem.wheelchair_capacity[v]}")
    if violations or not route:
        return [], violations

    # Difference-constraint graph. Nodes: 0 = time origin, 1 = departure from the start,
    # 2..k+1 = service begin at each stop, k+2 = arrival at the end (or leaving the last stop).
    k = len(route)
    origin, start, end = 0, 1, k + 2
    edges: list[tuple[int, int, float]] = []  # (i, j, w): x_j - x_i <= w

    def at_least(node, value):  # x_node >= value
        edges.append((node, origin, -float(value)))

    def at_most(node, value):  # x_node <= value
        if value < float(2**51):
            edges.append((origin, node, float(value)))

    def gap_at_least(a, b, value):  # x_b - x_a >= value
        edges.append((b, a, -float(value)))

    at_least(start, problem.start_time[v])
    at_most(start, problem.end_latest[v])
    loc = int(problem.start_location[v])
    prev_node, prev_service = start, 0.0
    for pos, stop in enumerate(route):
        r, is_drop = divmod(stop, 2)
        node = pos + 2
        nxt = int(problem.dropoff_location[r] if is_drop else problem.pickup_location[r])
        gap_at_least(prev_node, node, prev_service + tt[loc, nxt])
        if is_drop:
            at_least(node, problem.dropoff_earliest[r])
            at_most(node, problem.dropoff_latest[r])
            limit = float(problem.max_ride_time[r])
            if problem.onboard_vehicle[r] >= 0:
                at_most(node, float(problem.pickup_begin[r]) + float(problem.pickup_service[r]) + limit)
            else:
                pick_node = position[2 * r] + 2
                # x_drop - x_pick <= service + limit
                edges.append((pick_node, node, float(problem.pickup_service[r]) + limit))
            service = float(problem.dropoff_service[r])
        else:
            at_least(node, problem.pickup_earliest[r])
            at_most(node, problem.pickup_latest[r])
            service = float(problem.pickup_service[r])
        loc, prev_node, prev_service = nxt, node, service
    end_loc = int(problem.end_location[v])
    gap_at_least(prev_node, end, prev_service + (tt[loc, end_loc] if end_loc != OPEN_END else 0.0))
    at_most(end, problem.end_latest[v])
    if problem.max_duration[v] < 2**51:
        edges.append((start, end, float(problem.max_duration[v])))  # x_end - x_start <= duration

    # Bellman-Ford from the origin: every node is reachable through its upper bound or chain.
    n_nodes = k + 3
    dist = np.full(n_nodes, np.inf)
    dist[origin] = 0.0
    for node in range(1, n_nodes):  # a generous upper bound makes every node reachable
        edges.append((origin, node, float(2**51)))
    ei = np.array([e[0] for e in edges])
    ej = np.array([e[1] for e in edges])
    ew = np.array([e[2] for e in edges])
    for _ in range(n_nodes):
        cand = dist[ei] + ew
        improved = cand < dist[ej] - tol * 1e-3
        if not improved.any():
            break
        np.minimum.at(dist, ej[improved], cand[improved])
    else:
        cand = dist[ei] + ew
        if np.any(cand < dist[ej] - tol - 1e-9):
            return [], [f"vehicle {v}: no schedule meets every time window, ride limit and shift bound of this route"]
    # Schedule: earliest feasible times are -dist(node -> origin); the shortest distances from the
    # origin are the latest. Either satisfies every constraint; re-verify directly, to be sure.
    x = dist
    for i, j, w in edges:
        if x[j] - x[i] > w + tol + 1e-9:
            return [], [f"vehicle {v}: no schedule meets every time window, ride limit and shift bound of this route"]
    return [float(x[pos + 2]) for pos in range(k)], violations
