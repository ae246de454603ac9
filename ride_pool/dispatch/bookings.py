"""Bookings: an offer confirmed into a vehicle's plan (with every idempotency rule in one place),
cancelled, or taken out of the plan once served."""

from __future__ import annotations

import dataclasses
from typing import Callable

from ride_pool.dispatch.admission import RiderLedger, rider_rule
from ride_pool.dispatch.domain import (
    Booking,
    BookingStatus,
    Event,
    EventKind,
    Offer,
    RejectCause,
    idempotency_hash,
    idempotency_scope,
)
from ride_pool.dispatch.errors import BookingRefused, DispatchError, IdempotencyKeyReused, NotFound
from ride_pool.dispatch.fares import fare as group_fare
from ride_pool.dispatch.journal import Journal
from ride_pool.dispatch.needs import mask_unfit
from ride_pool.dispatch.plans import LivePlans
from ride_pool.dispatch.store import Change, DuplicateKey
from ride_pool.messages import Message, msg
from routing.darp.insertion import insert_into_route


def scope_of(booking: Booking) -> str:
    """The idempotency scope ``booking`` was made in."""
    return idempotency_scope(booking.rider_id, booking.channel)


class LookupNeeded(Exception):
    """:meth:`BookingDesk.book` needs the store's answer for idempotency ``key`` in ``scope``
    (``refusal``: why booking the offer failed meanwhile, raised if the store knows no booking)."""

    def __init__(self, scope: str, key: str, refusal: Exception | None = None):
        super().__init__(f"look up idempotency key {key!r} in {scope!r}")
        self.scope, self.key, self.refusal = scope, key, refusal


class BookingDesk:
    """Confirms offers into the plans and takes bookings out of them again."""

    def __init__(self, plans: LivePlans, journal: Journal, riders: RiderLedger, new_id: Callable[[], str]):
        self.plans = plans
        self.journal = journal
        self.riders = riders
        self.new_id = new_id
        #: (idempotency scope, key) -> booking id, for every booking made or restored since the start
        self.idempotent: dict[tuple[str, str], str] = {}
        #: offer id -> the booking made of it (offers themselves are forgotten after a while)
        self.booking_of_offer: dict[str, str] = {}

    def fare_of(self, req, offer: Offer) -> dict:
        """The booking's fare (issue 17): the offer's, or made again from the tariff in force."""
        fare = offer.fare or group_fare(self.plans.rules.tariff, offer.direct_m, req.passengers, req.fare_group)
        return {"fare": fare, "fare_cents": int(fare["total_cents"])}

    def booking(self, booking_id: str) -> Booking:
        try:
            return self.plans.bookings[booking_id]
        except KeyError:
            raise NotFound(msg("booking_unknown", booking_id=booking_id)) from None

    # ------------------------------------------------------------------ idempotency
    def remember(self, booking: Booking) -> None:
        """Index ``booking`` by its offer and idempotency key (a restored booking, or one just made)."""
        self.booking_of_offer[booking.offer_id] = booking.booking_id
        if booking.idempotency_key:
            self.idempotent[(scope_of(booking), booking.idempotency_key)] = booking.booking_id

    def _scope(self, offer_id: str, offer: Offer | None, rider_id: int | None, channel: str | None) -> str:
        """Whose keys a booking of ``offer_id`` shares its key space with: the offer's rider (or
        channel); for an offer no longer kept, the booking made of it; else the caller's."""
        if offer is not None:
            return idempotency_scope(offer.request.rider_id, offer.request.channel)
        made = self.plans.bookings.get(self.booking_of_offer.get(offer_id, ""))   # e.g. after a restart
        if made is not None and (rider_id is None or made.rider_id == rider_id):
            return scope_of(made)
        if rider_id is not None or channel:
            return idempotency_scope(rider_id, channel or "app")
        return ""

    @staticmethod
    def same_request(booking: Booking, offer_id: str, scope: str) -> Booking:
        """``booking``, made with the idempotency key of a request for ``offer_id`` in ``scope``, if
        it was made by that same request; else :class:`IdempotencyKeyReused`. A booking stored
        before request hashes were kept (``idempotency_hash`` None) matches any request."""
        if booking.idempotency_hash is not None and booking.idempotency_hash != idempotency_hash(scope, offer_id):
            raise IdempotencyKeyReused(msg("idempotency_key_reused", key=repr(booking.idempotency_key),
                                           booking_id=booking.booking_id))
        return booking

    def stored_booking(self, scope: str, key: str) -> Booking | None:
        """The booking the store holds for ``key`` in ``scope`` (one read; called outside the lock)."""
        find = getattr(self.journal.store, "find_booking", None)
        return find(scope, key) if find is not None else None

    def book(self, offer_id: str, *, idempotency_key: str | None = None, rider_id: int | None = None,
             channel: str | None = None, rider_confirmed: bool | None = None, looked_up: bool = False) -> Booking:
        """Confirm an offer: the booking and the plan change commit together, or nothing does.

        ``rider_id`` given: the offer must be that rider's. The same ``idempotency_key`` within the
        offer's idempotency scope (:func:`~ride_pool.dispatch.domain.idempotency_scope` of its rider
        and channel; for an unknown offer, of ``rider_id`` and ``channel``) returns the booking made
        with it, also one made before a restart, instead of booking again or refusing; the same key
        with another request (another offer) is refused (:class:`IdempotencyKeyReused`).
        ``rider_confirmed`` (None: as when quoted) says whether the rider's account is confirmed
        (see :func:`~ride_pool.dispatch.admission.rider_rule`).

        A key that only the store may know raises :class:`LookupNeeded`: the caller reads the
        store (:meth:`stored_booking`) without holding the dispatcher's lock, then calls
        :meth:`after_lookup`.
        """
        offer = self.plans.offers.get(offer_id)
        if offer is not None and rider_id is not None and offer.request.rider_id != rider_id:
            offer = None        # another rider's offer is as good as unknown
        scope = self._scope(offer_id, offer, rider_id, channel)
        key = idempotency_key or None
        if key is None:
            return self._book(offer_id, offer, None, scope, rider_confirmed)
        known = self.idempotent.get((scope, key))
        if known is not None:
            return self.same_request(self.plans.bookings[known], offer_id, scope)
        if looked_up:
            return self._book(offer_id, offer, key, scope, rider_confirmed)
        if offer is None or offer.booking_id is not None or offer.expires_at < self.journal.now():
            # a retry of a booking made earlier (its offer booked, expired, or forgotten after a
            # restart): the key decides, so look it up before the offer is refused
            raise LookupNeeded(scope, key)
        # an open offer: book it straight away (every key given since the start is in memory, and
        # the store refuses a key it holds for another booking); only a refusal needs the look-up,
        # e.g. the key was used, before a restart, for a booking with another offer
        try:
            return self._book(offer_id, offer, key, scope, rider_confirmed)
        except (BookingRefused, DuplicateKey) as refusal:
            raise LookupNeeded(scope, key, refusal) from refusal

    def after_lookup(self, need: "LookupNeeded", stored: Booking | None, offer_id: str, *,
                     rider_id: int | None = None, channel: str | None = None,
                     rider_confirmed: bool | None = None) -> Booking:
        """Finish :meth:`book` once the store was read: the stored booking if there is one (the live
        copy if it is active) and it was made by the same request, else the refusal that made the
        look-up necessary, else a booking now."""
        known = self.idempotent.get((need.scope, need.key))
        if known is not None:
            return self.same_request(self.plans.bookings[known], offer_id, need.scope)
        if stored is not None:
            return self.same_request(self.plans.bookings.get(stored.booking_id, stored), offer_id, need.scope)
        if need.refusal is not None:
            raise need.refusal
        return self.book(offer_id, idempotency_key=need.key, rider_id=rider_id, channel=channel,
                         rider_confirmed=rider_confirmed, looked_up=True)

    def _book(self, offer_id: str, offer: Offer | None, key: str | None, scope: str,
              rider_confirmed: bool | None = None) -> Booking:
        plans, r = self.plans, self.plans.rules
        now = self.journal.now()
        if offer is None:
            raise BookingRefused(RejectCause.OFFER_UNKNOWN, msg("offer_unknown", offer_id=offer_id))
        if offer.booking_id is not None:
            raise BookingRefused(RejectCause.OFFER_ALREADY_BOOKED,
                                 msg("offer_already_booked", offer_id=offer_id, booking_id=offer.booking_id),
                                 plans.bookings.get(offer.booking_id))
        req = offer.request

        def refuse(cause: RejectCause, message: Message):
            event = Event(now, EventKind.BOOKING_REFUSED, cause.value, rider_id=req.rider_id,
                          data={"offer_id": offer_id, "quote_id": offer.quote_id, "message": str(message)})
            self.journal.commit(Change(events=[event]), durable=False)
            self.journal.publish([event])
            raise BookingRefused(cause, message)

        if offer.expires_at < now:
            refuse(RejectCause.OFFER_EXPIRED, msg("offer_expired"))
        broken = rider_rule(req, r, self.riders, confirmed=rider_confirmed)
        if broken:
            refuse(*broken)
        new = plans.new_request(offer, req.origin, req.destination, req.passengers - req.wheelchairs,
                                req.wheelchairs)
        ins = plans.insertions(now, new)     # the quote's search when nothing changed since
        mask_unfit(ins.cost, req.needs, plans.slot_features() if req.needs else [])
        v = ins.best_vehicle
        if v < 0:
            refuse(RejectCause.OFFER_NO_LONGER_AVAILABLE, msg("offer_no_longer_available"))
        shift = plans.shift_at(v)
        rs = plans.tables.alloc()
        plans.tables.fill_request(rs, new)
        booking_id = self.new_id()
        codes = insert_into_route(plans.routes[v], rs, int(ins.pickup_position[v]), int(ins.dropoff_position[v]))
        planned_pickup, planned_dropoff = plans.planned_times(v, codes, rs)
        requested = offer.pickup_earliest
        booking = Booking(
            booking_id=booking_id, rider_id=req.rider_id, origin=req.origin, destination=req.destination,
            passengers=req.passengers, wheelchairs=req.wheelchairs, pickup_earliest=offer.pickup_earliest,
            pickup_latest=offer.pickup_latest, dropoff_latest=offer.dropoff_latest, max_ride_s=offer.max_ride_s,
            direct_s=offer.direct_s, direct_m=offer.direct_m, requested_time=requested,
            status=BookingStatus.CONFIRMED, vehicle_id=shift.vehicle_id, created_at=now, channel=req.channel,
            offer_id=offer_id, idempotency_key=key,
            idempotency_hash=idempotency_hash(scope, offer_id) if key else None, planned_pickup=planned_pickup,
            planned_dropoff=planned_dropoff,
            caller_name=req.caller_name, caller_phone=req.caller_phone, connection=req.connection,
            sms_consent=req.sms_consent, needs=req.needs, series_id=req.series_id, **self.fare_of(req, offer))
        new_shift = dataclasses.replace(shift, route=plans.steps(codes, {rs: booking_id}))
        booked_offer = dataclasses.replace(offer, booking_id=booking_id)
        event = Event(now, EventKind.BOOKING_CONFIRMED, req.channel, booking_id=booking_id,
                      vehicle_id=shift.vehicle_id, shift_id=shift.shift_id, rider_id=req.rider_id, data={
                          "quote_id": offer.quote_id, "offer_id": offer_id,
                          "pickup_earliest": offer.pickup_earliest, "pickup_latest": offer.pickup_latest,
                          "dropoff_latest": offer.dropoff_latest, "requested_time": requested,
                          "passengers": req.passengers, "wheelchairs": req.wheelchairs,
                          "direct_s": offer.direct_s, "direct_m": offer.direct_m,
                          "planned_pickup": booking.planned_pickup, "idempotency_scope": scope,
                          "fare_cents": booking.fare_cents, **({"needs": list(req.needs)} if req.needs else {}),
                          **({"connection": req.connection.to_dict()} if req.connection else {})})
        try:
            self.journal.commit(Change(bookings=[booking], offers=[booked_offer], shifts=[new_shift],
                                       events=[event]))
        except Exception:
            plans.tables.release(rs)
            raise
        plans.bind(booking_id, rs)
        plans.bookings[booking_id] = booking
        plans.offers[offer_id] = booked_offer
        plans.set_route(v, codes)
        self.riders.opened(req.rider_id, booking_id, req.passengers)
        self.booking_of_offer[offer_id] = booking_id
        if key:
            self.idempotent[(scope, key)] = booking_id
        self.journal.publish([event])
        return booking

    # ------------------------------------------------------------------ leaving the plan
    def cancel(self, booking_id: str, cause: str = "rider") -> Booking:
        """Cancel a confirmed booking (not once the rider is on board)."""
        booking = self.booking(booking_id)
        if booking.status is BookingStatus.CANCELLED:
            return booking
        if booking.status is not BookingStatus.CONFIRMED:
            raise DispatchError(msg("booking_not_cancellable", booking_id=booking_id,
                                    status=msg("status_" + booking.status.value)))
        now = self.journal.now()
        return self.finish(booking, BookingStatus.CANCELLED, Event(
            now, EventKind.BOOKING_CANCELLED, cause, booking_id=booking_id, vehicle_id=booking.vehicle_id,
            rider_id=booking.rider_id, data={"pickup_earliest": booking.pickup_earliest}),
            cancelled_at=now)

    def finish(self, booking: Booking, status: BookingStatus, event: Event, *, shift_changes: dict | None = None,
               no_show: bool = False, before: list | None = None, **fields) -> Booking:
        """Take a booking out of the plan with ``status``, committing it with ``event`` (and the
        events ``before`` it); ``shift_changes`` move its vehicle's anchor to where it served it."""
        plans = self.plans
        rs = plans.request_slot_of.get(booking.booking_id)
        v = plans.vehicle_of(booking)
        new_booking = dataclasses.replace(booking, status=status, **fields)
        shifts, codes = [], None
        if v is not None:
            codes = [c for c in plans.routes[v] if c // 2 != rs]
            shift = plans.shift_at(v)
            steps = [s for s in shift.route if s.booking_id != booking.booking_id]
            shifts.append(dataclasses.replace(shift, route=steps, **(shift_changes or {})))
        if shifts and event.shift_id is None:
            event = dataclasses.replace(event, shift_id=shifts[0].shift_id)
        events = [e for e in (before or []) if e] + [event]
        riders = [booking.rider_id] if no_show and booking.rider_id is not None else []
        self.journal.commit(Change(bookings=[new_booking], shifts=shifts, events=events, no_show_riders=riders))
        plans.bookings[booking.booking_id] = new_booking
        if v is not None:
            shift = plans.shift_at(v)
            if shift_changes:
                plans.legs.pop(shift.shift_id, None)   # the vehicle is at the stop: any drive ended
            for k, val in (shift_changes or {}).items():
                setattr(shift, k, val)
            plans.set_route(v, codes)
            if shift_changes and "anchor_node" in shift_changes:
                plans.move_anchor(shift, shift_changes["anchor_node"], shift_changes["anchor_time"])
        if rs is not None:
            plans.unbind(booking.booking_id)
            plans.tables.release(rs)
        self.riders.closed(booking.rider_id, booking.booking_id, no_show=no_show)
        self.journal.publish(events)
        return new_booking
