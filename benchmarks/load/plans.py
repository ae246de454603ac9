"""Feasibility of the stored plans of every open shift (capacity in seats and wheelchair places, every
pickup window, drop-off deadline, ride-time limit and shift end), checked twice with
``routing.darp.checker.check_plan``: as the dispatcher restores them, and rebuilt independently from
the stored bookings and routes with travel times straight from the network."""

from __future__ import annotations

from collections import Counter

from .server import CACHE_DIR


def load_network():
    """The demo network (the server's cached file if there, else built)."""
    from routing.network import RoadNetwork
    from routing.sources import open_network

    path = CACHE_DIR / "ride-pool-demo-network.npz"
    if path.is_file():
        try:
            return RoadNetwork.load(path)
        except Exception:  # noqa: BLE001, S110 - an unreadable cache file: build the network instead
            pass
    return open_network("demo")


def restored_plan_check(state, rules, network, now: int, problems: list[str]) -> dict:
    """Restore ``state`` into a dispatcher and check its live plan; appends to ``problems``."""
    from ride_pool.dispatch.dispatcher import Dispatcher
    from ride_pool.dispatch.store import InMemoryStore
    from routing.darp.checker import check_plan
    from routing.travel_times import TravelTimes

    d = Dispatcher(TravelTimes(network), rules=rules, store=InMemoryStore(), clock=lambda: now)
    d.restore(state)
    lost = d.unplanned_bookings()
    if lost:
        problems.append(f"{len(lost)} active bookings are in no vehicle's plan after restore")
    live = d.live_problem(now)
    if live is None:
        return {"requests": 0, "vehicles": 0, "feasible": True, "violations": []}
    res = check_plan(live.problem, live.plan)
    if not res.feasible:
        problems.append("restored plan infeasible: " + "; ".join(res.violations[:5]))
    if res.served != live.problem.request_count:
        problems.append(f"restored plan serves {res.served} of {live.problem.request_count} requests")
    return {"requests": live.problem.request_count, "vehicles": len(live.shift_ids), "feasible": bool(res.feasible),
            "served": res.served, "violations": res.violations[:10]}


def route_problems(active: dict, shifts: list) -> list[str]:
    """Stored routes against stored bookings: every planned booking active and on the shift's vehicle,
    one pickup (none once on board) and one drop-off per active booking."""
    from ride_pool.dispatch.domain import BookingStatus, StepKind

    problems = []
    seen: Counter = Counter()
    for s in shifts:
        for step in s.route:
            seen[(step.booking_id, step.kind)] += 1
            b = active.get(step.booking_id)
            if b is None:
                problems.append(f"shift {s.shift_id} plans booking {step.booking_id}, which is not active")
            elif b.vehicle_id != s.vehicle_id:
                problems.append(f"booking {b.booking_id} is on vehicle {b.vehicle_id} but planned on {s.vehicle_id}")
    for bid, b in active.items():
        want = 1 if b.status is BookingStatus.CONFIRMED else 0
        if seen[(bid, StepKind.PICKUP)] != want or seen[(bid, StepKind.DROPOFF)] != 1:
            problems.append(f"booking {bid} planned {seen[(bid, StepKind.PICKUP)]} pickups / "
                            f"{seen[(bid, StepKind.DROPOFF)]} drop-offs")
    return problems


def rebuild_problem(active: dict, shifts: list, rules, network, now: int):
    """(DarpProblem, Plan) of the stored bookings and open shifts, travel times from ``network``."""
    import numpy as np

    from ride_pool.dispatch.domain import BookingStatus, StepKind
    from routing import kernels
    from routing.darp.problem import MUST_SERVE, NO_LIMIT, DarpProblem, Plan
    from routing.travel_times import TravelTimes

    order = list(active)
    index = {bid: i for i, bid in enumerate(order)}
    nodes = sorted({n for b in active.values() for n in (b.origin.node, b.destination.node)}
                   | {n for s in shifts for n in (s.anchor_node, s.depot.node)})
    loc = {n: i for i, n in enumerate(nodes)}
    tt = TravelTimes(network).matrix(nodes, nodes).astype(np.int64)
    tt = np.where(tt == kernels.UNREACHABLE, 10**9, tt)
    bs = [active[bid] for bid in order]
    vpos = {s.vehicle_id: k for k, s in enumerate(shifts)}
    problem = DarpProblem(
        travel_time=tt,
        pickup_location=np.array([loc[b.origin.node] for b in bs]),
        dropoff_location=np.array([loc[b.destination.node] for b in bs]),
        seats=np.array([b.passengers - b.wheelchairs for b in bs]),
        wheelchairs=np.array([b.wheelchairs for b in bs]),
        pickup_earliest=np.array([b.pickup_earliest for b in bs]),
        pickup_latest=np.array([b.pickup_latest for b in bs]),
        dropoff_earliest=np.array([b.pickup_earliest for b in bs]),
        dropoff_latest=np.array([b.dropoff_latest for b in bs]),
        max_ride_time=np.array([b.max_ride_s for b in bs]),
        pickup_service=np.array([rules.pickup_service_s(b.wheelchairs) for b in bs]),
        dropoff_service=np.array([rules.dropoff_service_s(b.wheelchairs) for b in bs]),
        onboard_vehicle=np.array([vpos.get(b.vehicle_id, -1) if b.status is BookingStatus.ONBOARD else -1
                                  for b in bs]),
        pickup_begin=np.array([b.boarded_at or 0 for b in bs]),
        rejection_penalty=np.full(len(bs), MUST_SERVE),
        start_location=np.array([loc[s.anchor_node] for s in shifts]),
        end_location=np.array([loc[s.depot.node] for s in shifts]),
        start_time=np.array([min(max(s.anchor_time, now, s.start), s.end) for s in shifts]),
        end_latest=np.array([s.end for s in shifts]),
        seat_capacity=np.array([s.seats for s in shifts]),
        wheelchair_capacity=np.array([s.wheelchair_places for s in shifts]),
        max_duration=np.full(len(shifts), NO_LIMIT), name="booking-load-verify")
    plan = Plan([[2 * index[st.booking_id] + (st.kind is StepKind.DROPOFF) for st in s.route
                  if st.booking_id in index] for s in shifts])
    return problem, plan


def independent_plan_check(state, rules, network, now: int, problems: list[str]) -> dict:
    """Check the stored routes of the open shifts without the dispatcher; appends to ``problems``."""
    from routing.darp.checker import check_plan

    active = {b.booking_id: b for b in state.bookings}
    shifts = [s for s in state.shifts if not s.ended]
    problems.extend(route_problems(active, shifts))
    if not (active and shifts):
        return {"requests": len(active), "vehicles": len(shifts), "feasible": True, "violations": []}
    problem, plan = rebuild_problem(active, shifts, rules, network, now)
    res = check_plan(problem, plan)
    if not res.feasible:
        problems.append("independently rebuilt plan infeasible: " + "; ".join(res.violations[:5]))
    return {"requests": len(active), "vehicles": len(shifts), "feasible": bool(res.feasible),
            "served": res.served, "violations": res.violations[:10],
            "max_stops_per_vehicle": max(len(s.route) for s in shifts)}
