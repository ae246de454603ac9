"""The operator's control room: a booking moved to another vehicle (and pinned there), re-timed,
the bookings of a broken-down vehicle re-planned, a running shift extended or shortened.

Every change keeps the promises it does not mean to change (a move keeps the promised window, a
re-time keeps the vehicle when it can), is all or nothing (refused: the old plan stands), and is
committed with a ``booking_changed`` event per rider whose vehicle or window changed, attributed
to the operator (cause ``operator``, ``data.operator_id``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ride_pool.dispatch.domain import Booking, BookingStatus, Event, EventKind, Place, StepKind, VehicleShift
from ride_pool.dispatch.errors import DispatchError, DispatchInputError, NotFound
from ride_pool.dispatch.journal import Journal
from ride_pool.dispatch.plans import LivePlans
from ride_pool.dispatch.store import Change
from ride_pool.messages import Clock, Duration, msg
from routing.darp.insertion import NewRequest, best_insertions, insert_into_route


@dataclass
class BreakdownResult:
    """What a breakdown did: the shift (ended), the bookings re-planned (booking id -> the shift
    now serving it), those that found no vehicle (booking id -> cause), and the riders who were on
    board (their replacement pick-up at the vehicle's last position, planned or not)."""

    shift: VehicleShift
    moved: dict[str, int] = field(default_factory=dict)
    unplaced: dict[str, str] = field(default_factory=dict)
    on_board: list[dict] = field(default_factory=list)
    position: tuple[float, float] | None = None


def window_of(b: Booking) -> dict:
    return {"pickup_earliest": b.pickup_earliest, "pickup_latest": b.pickup_latest,
            "dropoff_latest": b.dropoff_latest}


class ControlRoom:
    """Operator changes of the live plans (under the dispatcher's lock)."""

    def __init__(self, plans: LivePlans, journal: Journal, riders=None):
        self.plans = plans
        self.journal = journal
        self.riders = riders

    # ------------------------------------------------------------------ helpers
    def _booking(self, booking_id: str) -> Booking:
        b = self.plans.bookings.get(booking_id)
        if b is None:
            raise NotFound(msg("booking_unknown", booking_id=booking_id))
        return b

    def _movable(self, b: Booking) -> None:
        if b.status is BookingStatus.ONBOARD:
            raise DispatchError(msg("booking_already_boarded", booking_id=b.booking_id), code="booking_already_boarded")
        if b.status is not BookingStatus.CONFIRMED:
            raise DispatchError(msg("booking_not_open", booking_id=b.booking_id,
                                    status=msg("status_" + b.status.value)), code="booking_not_open")

    def _open_shift(self, shift_id: int) -> int:
        shift = self.plans.shifts.get(shift_id)
        if shift is None or shift.ended:
            raise NotFound(msg("open_shift_unknown", shift_id=shift_id))
        if shift.end <= self.journal.now():
            raise DispatchError(msg("shift_over", shift_id=shift_id), code="shift_over")
        return self.plans.vehicle_slot_of[shift_id]

    def _request(self, b: Booking, origin: Place | None = None) -> NewRequest:
        return self.plans.new_request(b, origin or b.origin, b.destination, b.seats, b.wheelchairs)

    def _take_out(self, b: Booking) -> tuple[int | None, list[int] | None, int | None]:
        """Take ``b`` out of its vehicle's route (in memory only): (vehicle slot, its old route,
        request slot)."""
        plans = self.plans
        rs = plans.request_slot_of.get(b.booking_id)
        v = plans.vehicle_of(b)
        old = None
        if v is not None:
            old = list(plans.routes[v])
            plans.set_route(v, [c for c in old if c // 2 != rs])
        return v, old, rs

    def _put_back(self, b: Booking, v, old, rs) -> None:
        if rs is not None:
            self.plans.tables.fill_request(rs, self._request(b))
        if v is not None:
            self.plans.set_route(v, old)

    def _insert(self, new: NewRequest, allowed: set[int] | None, now: int) -> tuple[int, int, int] | None:
        """The cheapest feasible insertion of ``new`` on one of the vehicle slots ``allowed`` (None:
        any open one): (vehicle slot, pickup position, drop-off position)."""
        plans = self.plans
        M = plans.locations.matrix
        ins = best_insertions(plans.snapshots(now), new, M, M, delay_weight=plans.rules.delay_weight)
        for v in ins.feasible_vehicles():
            v = int(v)
            if plans.shift_at(v).ended or (allowed is not None and v not in allowed):
                continue
            return v, int(ins.pickup_position[v]), int(ins.dropoff_position[v])
        return None

    def _place(self, b: Booking, new: NewRequest, rs: int | None, found: tuple[int, int, int]):
        """Codes of vehicle ``found[0]`` with ``b`` (request slot ``rs``, allocated if None)
        inserted; returns (vehicle slot, codes, request slot, planned pickup, planned drop-off)."""
        plans = self.plans
        v, i, j = found
        if rs is None:
            rs = plans.tables.alloc()
        plans.tables.fill_request(rs, new)
        codes = insert_into_route(plans.routes[v], rs, i, j)
        pickup, dropoff = plans.planned_times(v, codes, rs)
        return v, codes, rs, pickup, dropoff

    def _event(self, b: Booking, new: Booking, change: str, cause: str, operator_id: int | None, old_shift,
               new_shift, **data) -> Event:
        return Event(self.journal.now(), EventKind.BOOKING_CHANGED, cause, booking_id=b.booking_id,
                     vehicle_id=new.vehicle_id, shift_id=new_shift, rider_id=b.rider_id, data={
                         "change": change, "operator_id": operator_id, "old_shift_id": old_shift,
                         "new_shift_id": new_shift, "old_vehicle_id": b.vehicle_id, "new_vehicle_id": new.vehicle_id,
                         "old_window": window_of(b), "new_window": window_of(new),
                         "old_planned_pickup": b.planned_pickup, "new_planned_pickup": new.planned_pickup, **data})

    def _move_or_put_back(self, b: Booking, new: Booking, v, old, rs, v_new, codes, rs_new, event: Event) -> Booking:
        """Commit the move of ``b`` (as ``new``, on vehicle slot ``v_new``) and publish its event;
        if the commit fails, ``b`` goes back where it was (vehicle ``v``, route ``old``, request
        slot ``rs``) and the error is raised: all or nothing."""
        try:
            self._commit_move(b, new, v, v_new, codes, rs_new, event)
        except Exception:
            if rs is None:
                self.plans.tables.release(rs_new)
            self._put_back(b, v, old, rs)
            raise
        self.journal.publish([event])
        return new

    def _commit_move(self, b: Booking, new: Booking, v_old, v_new, codes_new, rs, event: Event,
                     extra_shifts: list | None = None) -> None:
        """Commit ``new`` on vehicle slot ``v_new`` with route ``codes_new`` (``b`` already taken
        out of ``v_old``'s route in memory), then make it live."""
        plans = self.plans
        shifts = []
        if v_old is not None and v_old != v_new:
            shifts.append(dataclasses.replace(plans.shift_at(v_old), route=list(plans.shift_at(v_old).route)))
        steps = plans.steps(codes_new, {rs: b.booking_id})
        shifts.append(dataclasses.replace(plans.shift_at(v_new), route=steps))
        self.journal.commit(Change(bookings=[new], shifts=shifts + (extra_shifts or []), events=[event]))
        if plans.request_slot_of.get(b.booking_id) != rs:
            plans.bind(b.booking_id, rs)
        plans.bookings[b.booking_id] = new
        plans.set_route(v_new, codes_new)

    # ------------------------------------------------------------------ 1. move a booking
    def assign(self, booking_id: str, shift_id: int, pin: bool, operator_id: int | None = None) -> Booking:
        """Plan ``booking_id`` on shift ``shift_id`` with its promised window kept (409
        ``promise_cannot_be_kept`` when it does not fit); ``pin``: re-optimisation keeps it there."""
        plans = self.plans
        b = self._booking(booking_id)
        self._movable(b)
        v_target = self._open_shift(shift_id)
        shift = plans.shift_at(v_target)
        now = self.journal.now()
        v_old = plans.vehicle_of(b)
        if v_old == v_target:
            if b.pinned == pin:
                return b
            new = dataclasses.replace(b, pinned=pin)
            event = self._event(b, new, "pinned" if pin else "unpinned", "operator", operator_id, shift_id, shift_id)
            self.journal.commit(Change(bookings=[new], events=[event]))
            plans.bookings[booking_id] = new
            self.journal.publish([event])
            return new
        old_shift_id = None if v_old is None else plans.shift_at(v_old).shift_id
        v, old, rs = self._take_out(b)
        new_req = self._request(b)
        found = self._insert(new_req, {v_target}, now)
        if found is None:
            self._put_back(b, v, old, rs)
            why = self._why_not(b, shift)
            raise DispatchError(msg("promise_cannot_be_kept", booking_id=booking_id, label=shift.label,
                                    shift_id=shift_id, why=why), code="promise_cannot_be_kept")
        v_new, codes, rs_new, pickup, dropoff = self._place(b, new_req, rs, found)
        new = dataclasses.replace(b, vehicle_id=shift.vehicle_id, pinned=pin, planned_pickup=pickup,
                                  planned_dropoff=dropoff)
        event = self._event(b, new, "moved", "operator", operator_id, old_shift_id, shift_id, pinned=pin)
        return self._move_or_put_back(b, new, v, old, rs, v_new, codes, rs_new, event)

    def _why_not(self, b: Booking, shift: VehicleShift) -> object:
        """Why a booking does not fit a shift, in words."""
        local = self.plans.rules.local
        if b.seats > shift.seats or b.wheelchairs > shift.wheelchair_places:
            return msg("why_too_small", seats=shift.seats, wheelchairs=shift.wheelchair_places)
        if b.pickup_latest < shift.start or b.pickup_earliest > shift.end:
            return msg("why_outside_shift", start=Clock(local(shift.start)), end=Clock(local(shift.end)))
        return msg("why_route_full", earliest=Clock(local(b.pickup_earliest)), latest=Clock(local(b.pickup_latest)))

    # ------------------------------------------------------------------ 2. re-time a booking
    def retime(self, booking_id: str, pickup_after: int | None, arrive_by: int | None,
               operator_id: int | None = None) -> Booking:
        """A new promised window from ``pickup_after`` (its start) or ``arrive_by`` (the latest
        drop-off), replacing the old one atomically: on the same vehicle if it fits there, else on
        any (not when pinned); 409 ``promise_cannot_be_kept`` and the old booking stands."""
        plans, r = self.plans, self.plans.rules
        if (pickup_after is None) == (arrive_by is None):
            raise DispatchInputError(msg("retime_one_time"), code="invalid_request")
        b = self._booking(booking_id)
        self._movable(b)
        now = self.journal.now()
        W, ps = r.window_s, r.pickup_service_s(b.wheelchairs)
        if pickup_after is not None:
            pe = int(pickup_after)
            pl = pe + W
            dl = pl + ps + b.max_ride_s
        else:
            dl = int(arrive_by)
            pl = dl - ps - b.direct_s
            pe = pl - W
        if pe < now - 60:
            raise DispatchError(msg("retime_in_the_past"), code="in_the_past")
        until = r.open_until(pe)
        if until is None or pl + ps + b.direct_s > until:
            raise DispatchError(msg("retime_outside_hours"), code="outside_operating_hours")
        window = dataclasses.replace(b, pickup_earliest=pe, pickup_latest=pl, dropoff_latest=dl)
        v_old = plans.vehicle_of(b)
        old_shift_id = None if v_old is None else plans.shift_at(v_old).shift_id
        v, old, rs = self._take_out(b)
        new_req = self._request(window)
        found = self._insert(new_req, {v_old}, now) if v_old is not None else None
        if found is None and not b.pinned:
            found = self._insert(new_req, None, now)
        if found is None:
            self._put_back(b, v, old, rs)
            local = r.local
            raise DispatchError(msg("retime_does_not_fit", booking_id=booking_id, earliest=Clock(local(pe)),
                                    latest=Clock(local(pl))), code="promise_cannot_be_kept")
        v_new, codes, rs_new, pickup, dropoff = self._place(window, new_req, rs, found)
        shift = plans.shift_at(v_new)
        new = dataclasses.replace(window, vehicle_id=shift.vehicle_id, planned_pickup=pickup, planned_dropoff=dropoff,
                                  requested_time=pe)
        event = self._event(b, new, "retimed", "operator", operator_id, old_shift_id, shift.shift_id)
        return self._move_or_put_back(b, new, v, old, rs, v_new, codes, rs_new, event)

    # ------------------------------------------------------------------ 3. breakdown
    def breakdown(self, shift_id: int, operator_id: int | None = None) -> BreakdownResult:
        """The shift's vehicle broke down: the shift ends now; each booking not yet boarded is
        re-planned onto another vehicle with its promised window (or left unplanned, listed with
        the cause); riders on board get a replacement pick-up at the vehicle's last position."""
        plans, r = self.plans, self.plans.rules
        shift = plans.shifts.get(shift_id)
        if shift is None or shift.ended:
            raise NotFound(msg("open_shift_unknown", shift_id=shift_id))
        now = self.journal.now()
        v_broken = plans.vehicle_slot_of[shift_id]
        net = plans.tt.network
        if shift.lat is not None and shift.lon is not None:
            lat, lon = float(shift.lat), float(shift.lon)
        else:
            lat, lon = float(net.node_lat[shift.anchor_node]), float(net.node_lon[shift.anchor_node])
        position = Place(int(shift.anchor_node), lat, lon, name=msg("breakdown_place", label=shift.label).render("de"),
                         access="door")
        ids = []
        for step in shift.route:
            if step.kind is not StepKind.BREAK and step.booking_id not in ids:
                ids.append(step.booking_id)
        bookings = [plans.bookings[i] for i in ids]
        # the broken vehicle takes nobody any more: its route empties, its capacity goes
        old_route = list(plans.routes[v_broken])
        old_slots = {b.booking_id: plans.request_slot_of.get(b.booking_id) for b in bookings}
        break_rs = plans.breaks.get(shift_id)
        plans.drop_break(shift)
        plans.set_route(v_broken, [])
        ended = dataclasses.replace(shift, ended=True, ended_at=now, route=[])
        saved_vehicle = (shift.ended, shift.ended_at)
        shift.ended, shift.ended_at = True, now
        plans.set_vehicle_arrays(v_broken, shift)
        result = BreakdownResult(shift=shift, position=(lat, lon))
        new_bookings, events, placed = [], [], []   # placed: (booking id, v, codes, rs)
        touched: dict[int, list[int]] = {}
        # riders on board first (they are in the vehicle), then the others by pickup time
        order = sorted(bookings, key=lambda b: (b.status is not BookingStatus.ONBOARD, b.pickup_earliest))
        try:
            for b in order:
                rs = old_slots[b.booking_id]
                target = b
                if b.status is BookingStatus.ONBOARD:
                    pe = now
                    pl = now + r.window_s
                    target = dataclasses.replace(
                        b, origin=position, status=BookingStatus.CONFIRMED, pickup_earliest=pe, pickup_latest=pl,
                        dropoff_latest=max(b.dropoff_latest, pl + r.pickup_service_s(b.wheelchairs) + b.max_ride_s))
                new_req = self._request(target, target.origin)
                found = self._insert(new_req, None, now)
                if found is None:
                    cause = "no_vehicle_available"
                    if b.status is BookingStatus.ONBOARD:
                        result.on_board.append({"booking_id": b.booking_id, "planned": False, "lat": lat, "lon": lon,
                                                "passengers": b.passengers, "shift_id": None})
                        new = dataclasses.replace(target, vehicle_id=None, planned_pickup=None, planned_dropoff=None)
                    else:
                        result.unplaced[b.booking_id] = cause
                        new = dataclasses.replace(b, vehicle_id=None, planned_pickup=None, planned_dropoff=None,
                                                  pinned=False)
                    if rs is not None:
                        plans.tables.onboard_vehicle[rs] = -1
                    new_bookings.append(new)
                    events.append(self._event(b, new, "breakdown_unplaced", "operator", operator_id, shift_id, None,
                                              reason=cause))
                    continue
                v_new, codes, rs_new, pickup, dropoff = self._place(target, new_req, rs, found)
                other = plans.shift_at(v_new)
                new = dataclasses.replace(target, vehicle_id=other.vehicle_id, planned_pickup=pickup,
                                          planned_dropoff=dropoff, pinned=False)
                touched.setdefault(v_new, list(plans.routes[v_new]))
                plans.bind(b.booking_id, rs_new)
                plans.set_route(v_new, codes)
                placed.append(b.booking_id)
                new_bookings.append(new)
                plans.bookings[b.booking_id] = new
                if b.status is BookingStatus.ONBOARD:
                    result.on_board.append({"booking_id": b.booking_id, "planned": True, "lat": lat, "lon": lon,
                                            "passengers": b.passengers, "shift_id": other.shift_id})
                else:
                    result.moved[b.booking_id] = other.shift_id
                events.append(self._event(b, new, "breakdown_replacement" if b.status is BookingStatus.ONBOARD
                                          else "breakdown_moved", "operator", operator_id, shift_id, other.shift_id))
            shifts = [ended] + [dataclasses.replace(plans.shift_at(v)) for v in touched]
            end_event = Event(now, EventKind.SHIFT_BROKE_DOWN, "operator", vehicle_id=shift.vehicle_id,
                              shift_id=shift_id, data={"operator_id": operator_id, "moved": len(result.moved),
                                                       "unplaced": len(result.unplaced),
                                                       "on_board": len(result.on_board), "lat": lat, "lon": lon})
            ended_event = Event(now, EventKind.SHIFT_ENDED, "breakdown", vehicle_id=shift.vehicle_id, shift_id=shift_id,
                                data={"start": shift.start, "end": shift.end, "ended_at": now,
                                      "started_at": shift.started_at or shift.start})
            self.journal.commit(Change(bookings=new_bookings, shifts=shifts,
                                       events=[end_event] + events + [ended_event]))
        except Exception:
            # nothing was written: the old plan comes back
            for v, codes in touched.items():
                plans.set_route(v, codes)
            for b in bookings:
                plans.bookings[b.booking_id] = b
                rs = old_slots[b.booking_id]
                if rs is not None:
                    plans.bind(b.booking_id, rs)
                    plans.tables.fill_request(rs, self._request(b))
            shift.ended, shift.ended_at = saved_vehicle
            plans.set_vehicle_arrays(v_broken, shift)
            plans.set_route(v_broken, [c for c in old_route if break_rs is None or c // 2 != break_rs])
            plans.plan_break(shift)     # its slot was given back: planned again
            raise
        for new in new_bookings:
            plans.bookings[new.booking_id] = new
            if new.booking_id not in placed:    # unplanned: out of the plan tables, still open
                rs = plans.unbind(new.booking_id)
                if rs is not None:
                    plans.tables.release(rs)
        plans.legs.pop(shift_id, None)
        plans.touch()
        self.journal.publish([end_event] + events + [ended_event])
        return result

    # ------------------------------------------------------------------ 4. shift times that follow reality
    def resize(self, shift_id: int, start: int | None, end: int | None, operator_id: int | None = None) -> VehicleShift:
        """Extend or shorten a shift that runs or has booked stops: a new ``end`` (and ``start``,
        only before it started); shortening only while every booked stop still fits (else 409
        ``stops_do_not_fit`` naming them)."""
        plans = self.plans
        shift = plans.shifts.get(shift_id)
        if shift is None or shift.ended:
            raise NotFound(msg("open_shift_unknown", shift_id=shift_id))
        now = self.journal.now()
        start = shift.start if start is None else int(start)
        end = shift.end if end is None else int(end)
        if start != shift.start and shift.started:
            raise DispatchError(msg("shift_started_start_fixed", shift_id=shift_id), code="shift_started")
        if end <= start:
            raise DispatchInputError(msg("shift_end_before_start"))
        if end <= now:
            raise DispatchInputError(msg("shift_end_in_past"))
        clash = sorted((s for s in plans.shifts.values() if s.vehicle_id == shift.vehicle_id and not s.ended
                        and s.shift_id != shift_id and s.start < end and s.end > start), key=lambda s: s.start)
        if clash:
            local = plans.rules.local
            raise DispatchError(msg("shift_clash", label=shift.label, shift_id=clash[0].shift_id,
                                    start=Clock(local(clash[0].start)), end=Clock(local(clash[0].end))))
        if shift.has_break and shift.break_started_at is None and (
                shift.break_earliest < start or shift.break_latest + shift.break_s > end):
            local = plans.rules.local
            raise DispatchError(msg("break_outside_shift", earliest=Clock(local(shift.break_earliest)),
                                    latest=Clock(local(shift.break_latest)), length=Duration(shift.break_s),
                                    start=Clock(local(start)), end=Clock(local(end))), code="invalid_break")
        v = plans.vehicle_slot_of[shift_id]
        old = (shift.start, shift.end)
        shift.start, shift.end = start, end
        plans.set_vehicle_arrays(v, shift)
        if not shift.started and shift.anchor_time == old[0]:
            plans.move_anchor(shift, shift.anchor_node, start)
        late = self._late_stops(v, now)
        if late:
            shift.start, shift.end = old
            plans.set_vehicle_arrays(v, shift)
            if not shift.started and shift.anchor_time == start:
                plans.move_anchor(shift, shift.anchor_node, old[0])
            local = plans.rules.local
            raise DispatchError(msg("stops_do_not_fit", shift_id=shift_id, end=Clock(local(end)),
                                    bookings=", ".join(late)), code="stops_do_not_fit", bookings=late)
        event = Event(now, EventKind.SHIFT_CHANGED, "operator", vehicle_id=shift.vehicle_id, shift_id=shift_id,
                      data={"operator_id": operator_id, "old_start": old[0], "old_end": old[1], "start": start,
                            "end": end})
        try:
            self.journal.commit(Change(shifts=[dataclasses.replace(shift)], events=[event]))
        except Exception:
            shift.start, shift.end = old
            plans.set_vehicle_arrays(v, shift)
            raise
        plans.touch()
        self.journal.publish([event])
        return shift

    def _late_stops(self, v: int, now: int) -> list[str]:
        """Bookings on vehicle slot ``v`` whose planned stops no longer keep their promise (or
        that make the vehicle miss its shift end)."""
        plans = self.plans
        codes = plans.routes[v]
        if not codes:
            return []
        sched = plans.schedule(v, now=now)
        begin, latest = sched["begin"], sched["latest"]
        t = plans.tables
        late = []
        for k, c in enumerate(codes):
            if begin[k] > latest[k] or begin[k] >= t.end_latest[v]:
                bid = plans.steps([c])[0].booking_id
                if bid not in late and not bid.startswith("break:"):
                    late.append(bid)
        if int(sched["end_time"][0]) > int(t.end_latest[v]) and not late:
            # the way back to the depot does not fit: the last bookings are the ones that must go
            for c in reversed(codes):
                bid = plans.steps([c])[0].booking_id
                if not bid.startswith("break:"):
                    late.append(bid)
                    break
        return late


def vehicle_state(plans: LivePlans, shift: VehicleShift, now: int) -> str:
    """What a shift's vehicle is doing: ``not_started``, ``on_break``, ``driving`` (a drive is in
    progress), ``waiting`` (started, standing) or ``ended``."""
    if shift.ended:
        return "ended"
    if not shift.started:
        return "not_started"
    if shift.break_started_at is not None and shift.break_ended_at is None:
        return "on_break"
    if shift.shift_id in plans.legs:
        return "driving"
    return "waiting"
