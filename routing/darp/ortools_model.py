"""The dial-a-ride problem as an OR-Tools routing model, and the plain OR-Tools baseline solver.

:func:`build_model` turns a :class:`DarpProblem` into one ``RoutingModel``:

* nodes: one per stop still to be served (pickup and drop-off of every request; only the drop-off
  of a rider already on board), plus a start node and an end node per vehicle;
* pickup-and-delivery pairs (``AddPickupAndDelivery``, same vehicle, pickup's time before the
  drop-off's); a rider on board has only the drop-off node, allowed on its vehicle only;
* a ``seats`` capacity dimension (and a ``wheelchairs`` one when anyone needs a wheelchair
  place), each vehicle starting with the load of the riders on board;
* a ``time`` dimension whose transit from node ``i`` to ``j`` is the service duration at ``i``
  plus the travel time; slack lets a vehicle wait; windows on every stop, the vehicle's start
  time and ``end_latest``; the route duration limit as a span upper bound;
* the ride limit ``time(drop) - time(pick) <= pickup_service + max_ride_time`` as a solver
  constraint (for riders on board: a bound on the drop-off time);
* optional requests (``rejection_penalty >= 0``) in a disjunction that costs the penalty once;
* arc cost = ``travel_cost`` (an unused vehicle costs nothing), plus an optional fixed cost per
  used vehicle.

Times in the model are shifted by :attr:`DarpModel.time_offset` when the problem has negative
times (OR-Tools cumuls are non-negative); plans carry no times, so nothing else changes.

:func:`solve_baseline` is the model "as a typical user would write it": PARALLEL_CHEAPEST_INSERTION
for the first solution, GUIDED_LOCAL_SEARCH after, one wall-clock time limit.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routing.darp.problem import DarpInputError, DarpProblem, Plan
from routing.darp.result import SolveResult

__all__ = ["DarpModel", "UNBOUNDED", "build_model", "search_parameters", "solve_baseline", "status_name"]

log = logging.getLogger(__name__)

#: Bounds at or above this are "no limit" (as in the checker; ``NO_LIMIT`` is 2**52).
UNBOUNDED = 2**51


@dataclass(eq=False)
class DarpModel:
    """An OR-Tools routing model of a :class:`DarpProblem` and the maps between its nodes and stops."""

    problem: DarpProblem
    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel
    time: pywrapcp.RoutingDimension
    seats: pywrapcp.RoutingDimension
    wheelchairs: pywrapcp.RoutingDimension | None
    #: node -> stop code (-1 for vehicle start/end nodes)
    node_stop: np.ndarray
    #: stop code -> node (-1 for the pickup of a rider already on board)
    stop_node: np.ndarray
    horizon: int
    time_offset: int
    vehicle_fixed_cost: int = 0
    _closed_with: object = field(default=None, repr=False)

    # -------------------------------------------------------------- conversions
    def index_of_stop(self, stop: int) -> int:
        """The routing variable index of a stop code."""
        node = int(self.stop_node[int(stop)])
        if node < 0:
            raise ValueError(f"stop {stop} is not in the model (the pickup of a rider already on board)")
        return self.manager.NodeToIndex(node)

    def plan_from_assignment(self, assignment) -> Plan:
        """The :class:`Plan` held by an OR-Tools assignment (inactive stops are left out)."""
        routes = []
        for v in range(self.problem.vehicle_count):
            route, index = [], assignment.Value(self.routing.NextVar(self.routing.Start(v)))
            while not self.routing.IsEnd(index):
                route.append(int(self.node_stop[self.manager.IndexToNode(index)]))
                index = assignment.Value(self.routing.NextVar(index))
            routes.append(route)
        return Plan(routes)

    def routes_as_indices(self, plan: Plan) -> list[list[int]]:
        """``plan`` as lists of routing variable indices (starts and ends left out)."""
        if len(plan.routes) != self.problem.vehicle_count:
            raise ValueError(f"plan has {len(plan.routes)} routes for {self.problem.vehicle_count} vehicles")
        return [[self.index_of_stop(s) for s in route] for route in plan.routes]

    def close(self, parameters=None) -> None:
        """Close the model (needed before :meth:`assignment_from_plan`); idempotent."""
        if self._closed_with is None:
            parameters = parameters if parameters is not None else search_parameters(1.0)
            self.routing.CloseModelWithParameters(parameters)
            self._closed_with = parameters

    def lock_onboard_dropoffs(self, parameters=None) -> bool:
        """Make the first-solution heuristic start every route with the drop-offs of the riders
        already on board (by drop-off deadline); local search may reorder them afterwards.

        OR-Tools' insertion heuristics otherwise may fill a vehicle with new requests first and then
        fail to fit a rider on board, returning no solution. Closes the model with ``parameters``.
        Returns False when OR-Tools rejects the locks.
        """
        p = self.problem
        onboard = np.flatnonzero(p.onboard_vehicle >= 0)
        if not len(onboard):
            return True
        self.close(parameters)
        locks: list[list[int]] = [[] for _ in range(p.vehicle_count)]
        for r in onboard[np.argsort(p.dropoff_latest[onboard], kind="stable")]:
            locks[int(p.onboard_vehicle[r])].append(self.index_of_stop(2 * int(r) + 1))
        return bool(self.routing.ApplyLocksToAllVehicles(locks, False))

    def assignment_from_plan(self, plan: Plan, parameters=None):
        """An OR-Tools assignment holding ``plan`` (for a warm start), or None when the model
        rejects it (the plan breaks a constraint). Closes the model with ``parameters`` first;
        pass the same parameters to the later ``SolveFromAssignmentWithParameters``."""
        self.close(parameters)
        return self.routing.ReadAssignmentFromRoutes(self.routes_as_indices(plan), True)


def search_parameters(time_limit_s: float, first_solution: str = "PARALLEL_CHEAPEST_INSERTION",
                      metaheuristic: str = "GUIDED_LOCAL_SEARCH", log_search: bool = False):
    """Routing search parameters: a first-solution strategy and a metaheuristic by name, a time limit."""
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, first_solution)
    params.local_search_metaheuristic = getattr(routing_enums_pb2.LocalSearchMetaheuristic, metaheuristic)
    params.time_limit.FromMilliseconds(max(1, int(round(time_limit_s * 1000))))
    params.log_search = log_search
    return params


def status_name(routing: pywrapcp.RoutingModel) -> str:
    """OR-Tools' routing status as a short lowercase word (``success``, ``fail_timeout``, ...)."""
    name = routing_enums_pb2.RoutingSearchStatus.Value.Name(routing.status())
    return name.removeprefix("ROUTING_").lower()


def _finite(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.int64)
    return a[a < UNBOUNDED]


def build_model(problem: DarpProblem, vehicle_fixed_cost: int = 0, *, tighten: bool = False) -> DarpModel:
    """Build the OR-Tools routing model of ``problem`` (see the module docstring).

    ``vehicle_fixed_cost`` is added for every used vehicle (for the PDPTW, where vehicles count
    first). With ``tighten=True`` the windows of :meth:`DarpProblem.tightened` are used, which
    leaves the feasible plans unchanged but helps propagation.
    """
    src = problem.tightened() if tighten else problem
    R, V = problem.request_count, problem.vehicle_count
    onboard = problem.onboard_vehicle

    # ---- nodes: stops, then per vehicle a start and an end node
    node_stop: list[int] = []
    stop_node = np.full(2 * R, -1, dtype=np.int64)
    for r in range(R):
        codes = (2 * r + 1,) if onboard[r] >= 0 else (2 * r, 2 * r + 1)
        for code in codes:
            stop_node[code] = len(node_stop)
            node_stop.append(code)
    n_stops = len(node_stop)
    starts = [n_stops + 2 * v for v in range(V)]
    ends = [n_stops + 2 * v + 1 for v in range(V)]
    node_stop_arr = np.array(node_stop + [-1] * (2 * V), dtype=np.int64)
    n_nodes = n_stops + 2 * V

    stops = node_stop_arr[:n_stops]
    stop_req, stop_drop = stops // 2, stops % 2 == 1
    stop_loc = np.where(
        stop_drop, problem.dropoff_location[stop_req], problem.pickup_location[stop_req]).astype(np.int64)
    stop_service = np.where(
        stop_drop, problem.dropoff_service[stop_req], problem.pickup_service[stop_req]).astype(np.int64)

    # location of each node (-1: open end, costs and takes nothing to reach)
    loc = np.empty(n_nodes, dtype=np.int64)
    loc[:n_stops] = stop_loc
    loc[starts] = problem.start_location
    loc[ends] = problem.end_location
    service = np.zeros(n_nodes, dtype=np.int64)
    service[:n_stops] = stop_service

    def leg_matrix(m: np.ndarray) -> np.ndarray:
        safe = np.where(loc < 0, 0, loc)
        out = m[np.ix_(safe, safe)].astype(np.int64)
        out[:, loc < 0] = 0  # reaching an open end
        out[loc < 0, :] = 0
        out[:, starts] = 0  # nothing enters a start node
        out[ends, :] = 0  # nothing leaves an end node
        for v in range(V):  # an unused vehicle costs and takes nothing
            out[starts[v], ends[v]] = 0
        return out

    cost = leg_matrix(problem.travel_cost)
    travel = leg_matrix(problem.travel_time)
    transit = travel + service[:, None]
    transit[ends, :] = 0
    for v in range(V):
        transit[starts[v], ends[v]] = 0

    # ---- time horizon and offset (OR-Tools cumuls are non-negative and bounded)
    lower_bounds = np.concatenate([src.pickup_earliest, src.dropoff_earliest, problem.start_time]).astype(np.int64)
    offset = int(max(0, -lower_bounds.min())) if len(lower_bounds) else 0
    finite = np.concatenate([_finite(src.pickup_latest), _finite(src.dropoff_latest), _finite(problem.end_latest),
                             _finite(src.pickup_earliest), _finite(src.dropoff_earliest),
                             problem.start_time.astype(np.int64)])
    horizon = int(finite.max()) + offset
    if (np.any(problem.end_latest >= UNBOUNDED) or np.any(src.pickup_latest >= UNBOUNDED)
            or np.any(src.dropoff_latest >= UNBOUNDED)):
        # enough for any route: every stop served once after the latest finite time
        horizon += int(transit.max(axis=1).sum()) + 1
    horizon = min(horizon, UNBOUNDED)

    def bound(value) -> int:
        value = int(value)
        return horizon if value >= UNBOUNDED else min(value + offset, horizon)

    manager = pywrapcp.RoutingIndexManager(n_nodes, V, starts, ends)
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()

    cost_cb = routing.RegisterTransitMatrix(cost.tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(cost_cb)
    if vehicle_fixed_cost:
        routing.SetFixedCostOfAllVehicles(int(vehicle_fixed_cost))

    time_cb = routing.RegisterTransitMatrix(transit.tolist())
    routing.AddDimension(time_cb, horizon, horizon, False, "time")
    time_dim = routing.GetDimensionOrDie("time")

    # ---- capacities
    def load_dimension(name: str, demand_per_request: np.ndarray, capacity: np.ndarray):
        delta = np.zeros(n_nodes, dtype=np.int64)
        delta[:n_stops] = np.where(stop_drop, -demand_per_request[stop_req], demand_per_request[stop_req])
        cb = routing.RegisterUnaryTransitVector(delta.tolist())
        routing.AddDimensionWithVehicleCapacity(cb, 0, [int(c) for c in capacity], False, name)
        dim = routing.GetDimensionOrDie(name)
        for v in range(V):
            on = int(demand_per_request[onboard == v].sum())  # fits: DarpProblem checks it
            dim.CumulVar(routing.Start(v)).SetValue(on)
        return dim

    seats_dim = load_dimension("seats", problem.seats.astype(np.int64), problem.seat_capacity)
    chairs_dim = None
    if problem.wheelchairs.any():
        chairs_dim = load_dimension("wheelchairs", problem.wheelchairs.astype(np.int64), problem.wheelchair_capacity)

    # ---- vehicles: start/end windows, route duration
    for v in range(V):
        lo, hi = bound(problem.start_time[v]), bound(problem.end_latest[v])
        time_dim.CumulVar(routing.Start(v)).SetRange(lo, hi)
        time_dim.CumulVar(routing.End(v)).SetRange(lo, hi)
        if problem.max_duration[v] < UNBOUNDED:
            time_dim.SetSpanUpperBoundForVehicle(int(problem.max_duration[v]), v)

    # ---- requests
    for r in range(R):
        drop = manager.NodeToIndex(int(stop_node[2 * r + 1]))
        ride_limit = int(problem.max_ride_time[r])
        drop_hi = int(src.dropoff_latest[r])
        if onboard[r] >= 0:
            v = int(onboard[r])
            routing.VehicleVar(drop).SetValue(v)  # (the "lock" dimension below tells the heuristics)
            if ride_limit < UNBOUNDED:
                drop_hi = min(drop_hi, int(problem.pickup_begin[r]) + int(problem.pickup_service[r]) + ride_limit)
            lo = bound(src.dropoff_earliest[r])
            if bound(drop_hi) < lo:
                raise DarpInputError(f"request {r}: on board vehicle {v}, but its ride limit ends at {drop_hi}, "
                                     f"before its drop-off window opens at {int(src.dropoff_earliest[r])}")
            time_dim.CumulVar(drop).SetRange(lo, bound(drop_hi))
            continue
        pick = manager.NodeToIndex(int(stop_node[2 * r]))
        time_dim.CumulVar(pick).SetRange(bound(src.pickup_earliest[r]), bound(src.pickup_latest[r]))
        time_dim.CumulVar(drop).SetRange(bound(src.dropoff_earliest[r]), bound(drop_hi))
        routing.AddPickupAndDelivery(pick, drop)
        solver.Add(routing.VehicleVar(pick) == routing.VehicleVar(drop))
        solver.Add(time_dim.CumulVar(pick) <= time_dim.CumulVar(drop))
        if ride_limit < UNBOUNDED:
            solver.Add(time_dim.CumulVar(drop) - time_dim.CumulVar(pick) <= int(problem.pickup_service[r]) + ride_limit)
        if problem.rejection_penalty[r] >= 0:
            routing.AddDisjunction([pick, drop], int(problem.rejection_penalty[r]), 2, routing.PENALIZE_ONCE)

    if np.any(onboard >= 0):
        # Riders on board may only be dropped by their vehicle. VehicleVar alone is a CP constraint
        # the insertion heuristics do not see (and OR-Tools 9.15's Python binding of
        # SetAllowedVehiclesForIndex rejects every argument), so a capacity-0 dimension whose
        # transit is 1 into another vehicle's on-board drop-off makes it visible to their filters.
        lock_cbs = []
        for v in range(V):
            foreign = np.zeros(n_nodes, dtype=np.int64)
            for r in np.flatnonzero((onboard >= 0) & (onboard != v)):
                foreign[stop_node[2 * r + 1]] = 1
            lock_cbs.append(routing.RegisterUnaryTransitVector(foreign.tolist()))
        routing.AddDimensionWithVehicleTransits(lock_cbs, 0, 0, True, "onboard_lock")

    for v in range(V):  # let the finalizer pick tight start/end times
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.End(v)))
        routing.AddVariableMaximizedByFinalizer(time_dim.CumulVar(routing.Start(v)))

    return DarpModel(problem=problem, manager=manager, routing=routing, time=time_dim, seats=seats_dim,
                     wheelchairs=chairs_dim, node_stop=node_stop_arr, stop_node=stop_node, horizon=horizon,
                     time_offset=offset, vehicle_fixed_cost=int(vehicle_fixed_cost))


def solve_baseline(problem: DarpProblem, time_limit_s: float, vehicle_fixed_cost: int = 0,
                   log_first_solution: bool = True) -> SolveResult:
    """Plain OR-Tools: PARALLEL_CHEAPEST_INSERTION, then GUIDED_LOCAL_SEARCH until ``time_limit_s``
    (wall clock, model building included).

    With ``log_first_solution`` a solution callback records (and logs at INFO) when the first
    feasible solution was found; without it ``seconds_to_first_feasible`` is the time at which
    the search returned, when it found a solution.
    """
    t0 = time.perf_counter()
    model = build_model(problem, vehicle_fixed_cost)
    routing = model.routing
    first: list[float] = []

    if log_first_solution:
        def on_solution() -> None:
            if not first:
                first.append(time.perf_counter() - t0)
                log.info("%s: first solution after %.3f s (objective %d)", problem.name or "problem",
                         first[0], routing.CostVar().Value())

        routing.AddAtSolutionCallback(on_solution)
    remaining = max(0.01, time_limit_s - (time.perf_counter() - t0))
    params = search_parameters(remaining)
    model.lock_onboard_dropoffs(params)  # no-op without riders on board (all benchmark instances)
    solution = routing.SolveWithParameters(params)
    seconds = time.perf_counter() - t0
    status = status_name(routing)
    if solution is None:
        return SolveResult(Plan.empty(problem), 0, seconds, None, "ortools-baseline", status,
                           {"objective": None})
    plan = model.plan_from_assignment(solution)
    return SolveResult(plan, plan.cost(problem), seconds, first[0] if first else seconds, "ortools-baseline",
                       status, {"objective": int(solution.ObjectiveValue())})
