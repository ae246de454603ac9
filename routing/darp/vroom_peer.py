"""VROOM (through ``pyvroom``) as a peer optimiser for pickup-and-delivery problems.

VROOM models shipments (pickup + delivery on one vehicle, pickup first) with time windows,
service durations and capacities, vehicles with start/end depots, a time window and a fixed cost;
it has no passenger ride-time limit and no route-duration limit, so it is only a fair peer on
problems without them (the Li & Lim PDPTW). ``pyvroom`` is optional: :func:`available` says
whether it is installed (``pip install pyvroom``, or the ``bench`` extra).
"""

from __future__ import annotations

import time
from datetime import timedelta

import numpy as np

from routing.darp.problem import OPEN_END, DarpProblem, Plan
from routing.darp.result import SolveResult

__all__ = ["available", "solve_vroom"]

_UNBOUNDED = 2**51
_UINT32 = 2**32 - 1


def available() -> bool:
    """Whether ``pyvroom`` can be imported."""
    try:
        import vroom  # noqa: F401
    except ImportError:
        return False
    return True


def solve_vroom(problem: DarpProblem, time_limit_s: float, vehicle_fixed_cost: int = 0, *,
                threads: int = 1, exploration_level: int = 5) -> SolveResult:
    """Solve ``problem`` with VROOM within ``time_limit_s`` (VROOM may also stop earlier, when
    its search at ``exploration_level`` is done). Times must fit VROOM's unsigned 32-bit values.

    Raises ``ValueError`` for what VROOM cannot model: finite ride or route-duration limits,
    riders on board, wheelchair places, optional requests.
    """
    import vroom

    R, V = problem.request_count, problem.vehicle_count
    if np.any(problem.max_ride_time < _UNBOUNDED) or np.any(problem.max_duration < _UNBOUNDED):
        raise ValueError("VROOM has no ride-time or route-duration limit; use it for PDPTW-like problems only")
    if np.any(problem.onboard_vehicle >= 0) or problem.wheelchairs.any() or np.any(problem.rejection_penalty >= 0):
        raise ValueError("VROOM peer: riders on board, wheelchair places and optional requests are not supported")
    if problem.travel_time.max() > _UINT32 or problem.travel_cost.max() > _UINT32:
        raise ValueError("VROOM peer: travel times and costs must fit in 32 bits")

    t0 = time.perf_counter()

    def clip(value) -> int:
        return int(min(int(value), _UINT32))

    vin = vroom.Input()
    vin.set_durations_matrix("car", np.ascontiguousarray(problem.travel_time, dtype=np.uint32))
    vin.set_costs_matrix("car", np.ascontiguousarray(problem.travel_cost, dtype=np.uint32))
    for v in range(V):
        end = int(problem.end_location[v])
        vin.add_vehicle(vroom.Vehicle(
            id=v, start=int(problem.start_location[v]), end=None if end == OPEN_END else end,
            capacity=[int(problem.seat_capacity[v])],
            time_window=vroom.TimeWindow(clip(problem.start_time[v]), clip(problem.end_latest[v])),
            costs=vroom.VehicleCosts(fixed=int(vehicle_fixed_cost)),
        ))
    for r in range(R):
        pickup = vroom.ShipmentStep(
            r, int(problem.pickup_location[r]), default_service=int(problem.pickup_service[r]),
            time_windows=[vroom.TimeWindow(clip(problem.pickup_earliest[r]), clip(problem.pickup_latest[r]))])
        delivery = vroom.ShipmentStep(
            r, int(problem.dropoff_location[r]), default_service=int(problem.dropoff_service[r]),
            time_windows=[vroom.TimeWindow(clip(problem.dropoff_earliest[r]), clip(problem.dropoff_latest[r]))])
        vin.add_shipment(pickup, delivery, amount=vroom.Amount([int(problem.seats[r])]))

    remaining = max(0.01, time_limit_s - (time.perf_counter() - t0))
    solution = vin.solve(exploration_level=exploration_level, nb_threads=threads,
                         timeout=timedelta(seconds=remaining))
    seconds = time.perf_counter() - t0
    data = solution.to_dict()
    plan = Plan.empty(problem)
    for route in data.get("routes", []):
        v = int(route["vehicle"])
        plan.routes[v] = [2 * int(step["id"]) + (step["type"] == "delivery")
                          for step in route["steps"] if step["type"] in ("pickup", "delivery")]
    unassigned = len(data.get("unassigned", []))
    status = "success" if unassigned == 0 else f"unassigned_{unassigned}"
    return SolveResult(plan, plan.cost(problem), seconds, seconds if unassigned == 0 else None, "vroom",
                       status, {"threads": threads, "exploration_level": exploration_level,
                                "vroom_cost": data.get("summary", {}).get("cost")})
