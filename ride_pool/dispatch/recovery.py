"""Recovery after a restart: the live plans rebuilt from what the store kept, every confirmed
booking with its promised window in its vehicle's planned order (planned again if no stored
route holds it)."""

from __future__ import annotations

import copy
import dataclasses
import logging

from ride_pool.dispatch.admission import RiderLedger
from ride_pool.dispatch.bookings import BookingDesk
from ride_pool.dispatch.domain import BookingStatus, StepKind
from ride_pool.dispatch.errors import DispatchError
from ride_pool.dispatch.journal import Journal
from ride_pool.dispatch.plans import LivePlans
from ride_pool.dispatch.store import Change, StoredState
from ride_pool.messages import msg
from routing.darp.insertion import best_insertions, insert_into_route

log = logging.getLogger(__name__)


def restore(state: StoredState, plans: LivePlans, riders: RiderLedger, bookings: BookingDesk,
            journal: Journal) -> None:
    """Rebuild the live state of a fresh dispatcher from ``state``."""
    if plans.shifts or plans.bookings:
        raise DispatchError(msg("restore_needs_fresh"))
    riders.no_shows = dict(state.no_shows)
    for booking in state.bookings:
        plans.bookings[booking.booking_id] = booking
        riders.opened(booking.rider_id, booking.booking_id, booking.passengers)
        bookings.remember(booking)
    for offer in state.offers:
        plans.offers[offer.offer_id] = offer
    for shift in sorted(state.shifts, key=lambda s: s.shift_id):
        route = list(shift.route)
        v = plans.install_shift(dataclasses.replace(shift, route=[]))
        steps = []
        break_after = None       # how many booking steps come before the planned break
        for step in route:
            if step.kind is StepKind.BREAK:
                break_after = len(steps)
                continue
            b = plans.bookings.get(step.booking_id)
            if b is not None and b.status.active and b.booking_id not in plans.request_slot_of:
                steps.append((b, step.kind))
        # each booking must appear as its status needs (confirmed: pickup, then drop-off; on
        # board: the drop-off); one that does not is planned again below
        kinds: dict[str, list[StepKind]] = {}
        for b, kind in steps:
            kinds.setdefault(b.booking_id, []).append(kind)
        good = {bid for bid, ks in kinds.items() if ks == (
            [StepKind.DROPOFF] if plans.bookings[bid].status is BookingStatus.ONBOARD
            else [StepKind.PICKUP, StepKind.DROPOFF])}
        codes = []
        for b, kind in steps:
            if b.booking_id not in good:
                continue
            rs = plans.request_slot_of.get(b.booking_id)
            if rs is None:
                rs = plans.request_slot(b, v)
            codes.append(2 * rs + (1 if kind is StepKind.DROPOFF else 0))
        plans.set_route(v, codes)
        live = plans.shift_at(v)
        if live.has_break and live.break_started_at is None and not live.ended:
            before = steps[:break_after] if break_after is not None else steps
            plans.insert_break(live, sum(1 for b, _ in before if b.booking_id in good))
    _replan_lost(plans, journal)


def _replan_lost(plans: LivePlans, journal: Journal) -> None:
    """Put active bookings that no stored route holds back into the plan (confirmed ones where the
    insertion search finds room in their promised window, riders on board at the end of their
    vehicle's route), committing the changed routes."""
    lost = [plans.bookings[b] for b in plans.unplanned_bookings()]
    if not lost:
        return
    now = journal.now()
    changed_shifts, changed_bookings = {}, []
    for b in sorted(lost, key=lambda b: b.pickup_earliest):
        if b.status is BookingStatus.ONBOARD:
            v = next((v for v, sid in enumerate(plans.shift_of_slot) if plans.shifts[sid].vehicle_id == b.vehicle_id
                      and not plans.shifts[sid].ended), None)
            if v is None:
                log.error("booking %s: rider on board of vehicle %s, which has no open shift", b.booking_id,
                          b.vehicle_id)
                continue
            rs = plans.request_slot(b, v)
            plans.set_route(v, plans.routes[v] + [2 * rs + 1])
        else:
            rs = plans.request_slot(b, None)
            ins = best_insertions(plans.snapshots(now), plans.tables.request(rs), plans.locations.matrix,
                                  plans.locations.matrix, delay_weight=plans.rules.delay_weight)
            v = ins.best_vehicle
            if v < 0:
                log.error("booking %s has no place in any plan after the restore and none can take it in its "
                          "promised window; the operator must rebook it", b.booking_id)
                plans.unbind(b.booking_id)
                plans.tables.release(rs)
                continue
            plans.set_route(v, insert_into_route(plans.routes[v], rs, int(ins.pickup_position[v]),
                                                 int(ins.dropoff_position[v])))
            vehicle_id = plans.shift_at(v).vehicle_id
            if vehicle_id != b.vehicle_id:
                b = dataclasses.replace(b, vehicle_id=vehicle_id)
                plans.bookings[b.booking_id] = b
                changed_bookings.append(b)
        log.warning("booking %s was in no stored route; planned again on shift %s", b.booking_id,
                    plans.shift_of_slot[v])
        changed_shifts[plans.shift_of_slot[v]] = plans.shift_at(v)
    journal.commit(Change(bookings=changed_bookings, shifts=[copy.deepcopy(s) for s in changed_shifts.values()]))
