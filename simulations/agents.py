"""Simulated riders and vehicles around the real dispatcher.

Riders ask the dispatcher for a quote, take the offer or decline it, and some cancel or do not
show up. Vehicles carry out the dispatcher's plans on the road network: they drive to the next
planned stop (leaving just in time to arrive at its planned service begin, so the dispatcher can
still insert riders before it), wait for the pickup window, board and drop riders with the rules'
stop durations, and return to their depot to end the shift. Idle vehicles may reposition towards
the demand-weighted nearest town centre. Every decision about *who rides with whom* is the
dispatcher's; this module only acts out its plans.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ride_pool.dispatch.dispatcher import BookingRefused, DispatchInputError
from ride_pool.dispatch.domain import BookingStatus, Connection, Event, StepKind, TripRequest
from simulations.demand import TripDemand
from simulations.errors import SimulationInputError
from simulations.events import PRIORITY_RIDER, PRIORITY_VEHICLE, ScheduledCall
from simulations.world import World


@dataclass(frozen=True)
class RiderConfig:
    """How simulated riders behave.

    * ``max_shift_s``: a rider declines an offer whose pickup window starts more than this after
      the desired pickup time (for arrive-by requests: whose promised arrival is more than this
      before the desired arrival). Default 30 min.
    * ``cancel_share`` of bookings are cancelled, between ``cancel_before_s`` (10 min .. 2 h)
      before the pickup window starts (at the earliest one minute after booking).
    * ``no_show_share`` of booked riders are not at the stop.
    """

    max_shift_s: int = 1800
    cancel_share: float = 0.05
    cancel_before_s: tuple[int, int] = (600, 7200)
    no_show_share: float = 0.02

    def __post_init__(self) -> None:
        if self.max_shift_s < 0:
            raise SimulationInputError("riders: max_shift_s must not be negative")
        for name in ("cancel_share", "no_show_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise SimulationInputError(f"riders: {name} must be a share between 0 and 1")
        lo, hi = self.cancel_before_s
        if not 0 <= lo <= hi:
            raise SimulationInputError("riders: cancel_before_s must be (low, high) with 0 ≤ low ≤ high")


@dataclass(frozen=True)
class VehicleConfig:
    """How simulated vehicles behave.

    * ``no_show_wait_s``: how long the driver waits at the stop before reporting a no-show (not
      past the end of the promised pickup window, but at least one minute). The dispatcher's plan
      does not reserve this time, so a no-show can make the vehicle's next stops late.
    * ``reposition``: idle vehicles drive towards the demand-weighted nearest town centre (off by
      default): after ``reposition_after_idle_s`` without a planned stop, the vehicle picks the
      municipality centre c minimising travel time(here, c) ÷ demand share(c) and drives there if
      it is at least ``reposition_min_s`` away. A booking that arrives during the drive stops it
      at the node reached by then.
    """

    no_show_wait_s: int = 300
    reposition: bool = False
    reposition_after_idle_s: int = 600
    reposition_min_s: int = 120

    def __post_init__(self) -> None:
        for name in ("no_show_wait_s", "reposition_after_idle_s", "reposition_min_s"):
            if getattr(self, name) < 0:
                raise SimulationInputError(f"vehicles: {name} must not be negative")


# --------------------------------------------------------------------------- riders
OUTCOME_CODES = {"served": 0, "rejected": 1, "declined": 2, "refused": 3, "cancelled": 4, "no_show": 5, "open": 6}


class Riders:
    """All simulated riders: request, accept or decline, cancel; remembers who will not show up."""

    def __init__(self, sim: World, config: RiderConfig):
        self.sim = sim
        self.config = config
        self.no_show: set[str] = set()
        self.booking_of: dict[int, str] = {}     # request id -> booking id
        self.outcome: dict[int, str] = {}        # request id -> rejected / declined / refused (no booking)

    def ask(self, trip: TripDemand) -> None:
        """The rider asks for a quote now and decides at once."""
        sim, d = self.sim, self.sim.dispatcher
        origin = d.place_at_node(trip.origin_node, stop_id=_stop_id(sim, trip.origin_stop))
        destination = d.place_at_node(trip.destination_node, stop_id=_stop_id(sim, trip.destination_stop))
        desired = sim.day_start + trip.desired_time
        request = TripRequest(
            rider_id=trip.request_id, origin=origin, destination=destination, passengers=trip.passengers,
            wheelchairs=trip.wheelchairs, pickup_after=None if (trip.arrive_by or trip.asap) else desired,
            arrive_by=desired if trip.arrive_by else None, channel="simulation",
            connection=None if trip.connection is None else Connection(*trip.connection))
        try:
            quote = d.quote(request)
        except DispatchInputError:
            if trip.connection is None:
                raise
            self.outcome[trip.request_id] = "rejected"      # the train leaves too soon to reach it
            return
        if not quote.offers:
            self.outcome[trip.request_id] = "rejected"
            return
        offer = quote.offers[0]
        if trip.arrive_by:
            shift, cause = desired - offer.dropoff_latest, "arrival_too_early"
        else:
            wanted = quote.requested_time if trip.asap and quote.requested_time is not None else desired
            shift, cause = offer.pickup_earliest - wanted, "pickup_too_late"
        if shift > self.config.max_shift_s:
            d.decline(offer.offer_id, cause)
            self.outcome[trip.request_id] = "declined"
            return
        try:
            booking = d.book(offer.offer_id)
        except BookingRefused:
            self.outcome[trip.request_id] = "refused"
            return
        self.booking_of[trip.request_id] = booking.booking_id
        if trip.u_no_show < self.config.no_show_share:
            self.no_show.add(booking.booking_id)
        if trip.u_cancel < self.config.cancel_share:
            lo, hi = self.config.cancel_before_s
            now = sim.loop.now
            when = booking.pickup_earliest - int(lo + trip.u_cancel_time * (hi - lo))
            when = max(when, now + 60)
            if when >= booking.pickup_earliest:
                when = now + max(0, (booking.pickup_earliest - now) // 2)
            sim.loop.at(when, lambda b=booking.booking_id: self.cancel(b), priority=PRIORITY_RIDER, label="cancel")

    def cancel(self, booking_id: str) -> None:
        booking = self.sim.dispatcher.bookings.get(booking_id)
        if booking is not None and booking.status is BookingStatus.CONFIRMED:
            self.sim.dispatcher.cancel(booking_id, "rider")

    def outcomes(self, requests: list[TripDemand]) -> np.ndarray:
        """Outcome code (:data:`OUTCOME_CODES`) of every request."""
        d = self.sim.dispatcher
        codes = np.empty(len(requests), dtype=np.int8)
        status_outcome = {BookingStatus.COMPLETED: "served", BookingStatus.CANCELLED: "cancelled",
                          BookingStatus.NO_SHOW: "no_show", BookingStatus.CONFIRMED: "open",
                          BookingStatus.ONBOARD: "open"}
        for k, trip in enumerate(requests):
            booking_id = self.booking_of.get(trip.request_id)
            if booking_id is not None:
                codes[k] = OUTCOME_CODES[status_outcome[d.bookings[booking_id].status]]
            else:
                codes[k] = OUTCOME_CODES[self.outcome.get(trip.request_id, "rejected")]
        return codes


def _stop_id(sim: World, stop_index: int | None) -> int | None:
    return None if stop_index is None else sim.region.stops[stop_index].stop_id


# --------------------------------------------------------------------------- vehicles
OFF, IDLE, WAITING, DRIVING, SERVING, MOVING, HOMING, ENDED = (
    "off", "idle", "waiting", "driving", "serving", "moving", "homing", "ended")
_WAKEABLE = (IDLE, WAITING, MOVING)


class VehicleAgent:
    """One vehicle shift acting out the dispatcher's plan."""

    def __init__(self, sim: World, shift_id: int, depot_node: int, config: VehicleConfig):
        self.sim = sim
        self.d = sim.dispatcher
        self.loop = sim.loop
        self.shift_id = shift_id
        self.depot = int(depot_node)
        self.node = int(depot_node)
        self.config = config
        self.state = OFF
        self.closing = False
        self._pending: ScheduledCall | None = None
        self._wake: ScheduledCall | None = None
        self._move: tuple[int, int, np.ndarray, np.ndarray] | None = None   # started, target, nodes, times

    # ------------------------------------------------------------ lifecycle
    def start(self) -> None:
        self.d.start_shift(self.shift_id)
        self.state = IDLE
        self.decide()

    def close(self) -> None:
        """Operating hours are over: go home once the plan is done."""
        self.closing = True
        if self.state in (IDLE, MOVING) and not self.d.shift(self.shift_id).route:
            self._stop_move()
            self._go_home()

    def notify(self, event: Event) -> None:
        """A committed event concerned this shift: look at the plan again (soon, not inside the
        dispatcher's call)."""
        if self.state in _WAKEABLE and (self._wake is None or self._wake.cancelled):
            self._wake = self.loop.at(self.loop.now, self._on_wake, priority=PRIORITY_VEHICLE, label="wake")

    def _on_wake(self) -> None:
        self._wake = None
        if self.state in _WAKEABLE:
            self.decide()

    def _schedule(self, when: int, action, label: str) -> None:
        self.loop.cancel(self._pending)
        self._pending = self.loop.at(when, action, priority=PRIORITY_VEHICLE, label=label)

    # ------------------------------------------------------------ planning
    def decide(self) -> None:
        """Idle or waiting: act on the first planned step (drive, wait, serve) or idle."""
        shift = self.d.shift(self.shift_id)
        if not shift.route and self.state == MOVING:
            return      # keep driving to the repositioning target
        self.loop.cancel(self._pending)
        self._pending = None
        if not shift.route:
            self.state = IDLE
            if self.closing:
                self._go_home()
            elif self.config.reposition:
                self._schedule(self.loop.now + self.config.reposition_after_idle_s, self._maybe_reposition,
                               "reposition")
            return
        if self.state == MOVING:
            self._stop_move()
        stop = self.d.route_steps(self.shift_id, limit=1)[0]     # the next stop, as the driver's list has it
        now = self.loop.now
        if stop.node == self.node:
            if stop.begin > now:
                self.state = WAITING
                self._schedule(stop.begin, self.decide, "wait at stop")
            else:        # one rider at a time: each boarding or alighting takes its own time
                self._serve(stop.stops[0].booking_id, stop.kind)
            return
        travel = self.d.travel_time_s(self.node, stop.node)
        leave = stop.begin - travel
        if leave > now:
            self.state = WAITING
            self._schedule(leave, self.decide, "wait to leave")
            return
        self.d.vehicle_departed(self.shift_id)
        self.state = DRIVING
        self._schedule(now + travel, lambda node=stop.node: self._arrive(node), "arrive")

    def _arrive(self, node: int) -> None:
        self.node = node
        self.d.vehicle_arrived(self.shift_id, node)
        self.state = IDLE
        self.decide()

    def _serve(self, booking_id: str, kind: StepKind) -> None:
        booking = self.d.bookings[booking_id]
        rules = self.d.rules
        self.state = SERVING
        if kind is StepKind.DROPOFF:
            self.d.rider_dropped_off(booking_id, self.shift_id)
            self._schedule(self.loop.now + rules.dropoff_service_s(booking.wheelchairs), self._done, "alighting")
        elif booking_id in self.sim.riders.no_show:
            # the driver waits up to no_show_wait_s, not past the promised window (at least a minute)
            wait = min(self.config.no_show_wait_s, max(60, booking.pickup_latest - self.loop.now))
            # and at least until the service's rule allows the report (window start + no_show_wait_s)
            wait = max(wait, booking.pickup_earliest + rules.no_show_wait_s - self.loop.now)
            self._schedule(self.loop.now + wait, lambda: self._report_no_show(booking_id), "no-show wait")
        else:
            self.d.rider_boarded(booking_id, self.shift_id)
            self._schedule(self.loop.now + rules.pickup_service_s(booking.wheelchairs), self._done, "boarding")

    def _report_no_show(self, booking_id: str) -> None:
        if self.d.bookings[booking_id].status is BookingStatus.CONFIRMED:
            self.d.rider_no_show(booking_id, self.shift_id)
        self._done()

    def _done(self) -> None:
        self.state = IDLE
        self.decide()

    # ------------------------------------------------------------ going home
    def _go_home(self) -> None:
        self.loop.cancel(self._pending)
        if self.node == self.depot:
            self._end()
            return
        self.d.vehicle_moved(self.shift_id, self.node, "depot")   # leaves now (no distance: sets the start time)
        self.state = HOMING
        travel = self.d.travel_time_s(self.node, self.depot)
        self._schedule(self.loop.now + travel, self._arrive_home, "arrive at depot")

    def _arrive_home(self) -> None:
        self.d.vehicle_moved(self.shift_id, self.depot, "depot")
        self.node = self.depot
        self.state = IDLE
        if self.d.shift(self.shift_id).route:
            self.decide()
        else:
            self._end()

    def _end(self) -> None:
        self.d.end_shift(self.shift_id)
        self.state = ENDED

    # ------------------------------------------------------------ repositioning
    def reposition_target(self) -> int | None:
        """Centre node minimising travel time ÷ demand share, or None when it is close enough."""
        region = self.sim.region
        weights = self.sim.demand_weights
        best, best_score, best_time = None, np.inf, 0
        for c, node in enumerate(region.centre_nodes):
            if weights[c] <= 0:
                continue
            travel = self.d.travel_time_s(self.node, int(node))
            score = travel / weights[c]
            if score < best_score:
                best, best_score, best_time = int(node), score, travel
        if best is None or best == self.node or best_time < self.config.reposition_min_s:
            return None
        return best

    def _maybe_reposition(self) -> None:
        self._pending = None
        if self.state != IDLE or self.closing or self.d.shift(self.shift_id).route:
            return
        target = self.reposition_target()
        if target is None:
            return
        route = self.sim.region.travel.route(self.node, target)
        times = np.concatenate(([0], np.cumsum(self.sim.region.network.travel_time_s[route.edges])))
        self.d.vehicle_moved(self.shift_id, self.node, "reposition")   # leaves now
        self._move = (self.loop.now, target, route.nodes, times)
        self.state = MOVING
        self._schedule(self.loop.now + int(times[-1]), self._end_move, "reposition arrive")

    def _end_move(self) -> None:
        started, target, _, _ = self._move
        self._move = None
        self.d.vehicle_moved(self.shift_id, target, "reposition")
        self.node = target
        self.state = IDLE
        self.decide()

    def _stop_move(self) -> None:
        """Stop a repositioning drive at the node reached by now and report it."""
        if self._move is None:
            return
        started, _, nodes, times = self._move
        self._move = None
        self.loop.cancel(self._pending)
        reached = int(nodes[int(np.searchsorted(times, self.loop.now - started, side="right")) - 1])
        self.d.vehicle_moved(self.shift_id, reached, "reposition")
        self.node = reached
        self.state = IDLE


def demand_weights(requests: list[TripDemand], municipalities: int, population: np.ndarray) -> np.ndarray:
    """Share of trip origins per municipality (population share when there are no requests)."""
    counts = np.bincount([r.origin_municipality for r in requests if r.origin_municipality >= 0],
                         minlength=municipalities).astype(np.float64)
    if counts.sum() <= 0:
        counts = np.asarray(population, dtype=np.float64)
    return counts / counts.sum()


__all__ = ["RiderConfig", "VehicleConfig", "Riders", "VehicleAgent", "OUTCOME_CODES", "demand_weights"]
