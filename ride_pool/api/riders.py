"""Rider API: stops, quotes, bookings, cancellation, live updates."""

from __future__ import annotations

import asyncio
import re
from contextlib import nullcontext
from functools import partial

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import Response, StreamingResponse

from ride_pool.api.deps import Caller, current_caller, get_service, rider_or_operator
from ride_pool.api.schemas import BookingIn, BookingOut, QuoteIn, QuoteOut, StopOut
from ride_pool.api.service import Service
from ride_pool.api.views import booking_eta, booking_out, json_response, quote_out, resolve_place
from ride_pool.db.repository import Repository
from ride_pool.db.errors import DuplicateIdempotencyKey
from ride_pool.dispatch.dispatcher import BookingRefused
from ride_pool.dispatch.domain import idempotency_scope
from ride_pool.dispatch.domain import Booking, RejectCause, TripRequest

router = APIRouter(prefix="/api/v1", tags=["riders"])


def stop_out(stop) -> StopOut:
    return StopOut(id=stop.id, name=stop.name, lat=stop.lat, lon=stop.lon, town=stop.town or "", code=stop.code)


@router.get("/stops", response_model=list[StopOut])
def stops(q: str | None = Query(default=None, max_length=100, description="name or town prefix"),
          limit: int = Query(default=500, ge=1, le=5000), service: Service = Depends(get_service)) -> list[StopOut]:
    """The service's stops, or those whose name or town starts with ``q``."""
    repo = Repository(service.engine)
    if q and "\x00" in q:
        return []
    rows = repo.search_stops(q, limit=limit) if q else repo.list_stops(limit=limit)
    return [stop_out(s) for s in rows]


def make_quote(service: Service, body: QuoteIn, rider_id: int | None, channel: str) -> QuoteOut:
    repo = Repository(service.engine)
    origin = resolve_place(service, repo, body.origin, "origin")
    destination = resolve_place(service, repo, body.destination, "destination")
    request = TripRequest(rider_id=rider_id, origin=origin, destination=destination, passengers=body.passengers,
                          wheelchairs=body.wheelchairs, pickup_after=service.epoch(body.pickup_after),
                          arrive_by=service.epoch(body.arrive_by), channel=channel,
                          caller_name=getattr(body, "caller_name", None),     # phone quotes (PhoneQuoteIn)
                          caller_phone=getattr(body, "caller_phone", None))
    now = service.clock()
    quote = service.dispatcher.quote(request)
    if quote.reject_cause is RejectCause.IN_THE_PAST:
        field, asked = ("arrive_by", request.arrive_by) if request.arrive_by is not None else \
            ("pickup_after", request.pickup_after)
        if asked is None or asked < now - 60:      # a time already passed is bad input: 422
            raise HTTPException(422, detail={"code": "in_the_past", "message": f"{field}: {quote.reject_message}"})
        # an arrival so soon that the pickup would have been in the past: the lead-time rule
        lead = service.dispatcher.rules.min_lead_s // 60
        quote.reject_cause = RejectCause.MIN_LEAD_TIME
        quote.reject_message = (f"arriving by {service.iso(asked):%H:%M} would need a pickup before now; pickups "
                                f"must be booked at least {lead} minutes ahead, so choose a later arrival")
    return quote_out(service, quote)


@router.post("/quotes", response_model=QuoteOut)
async def quote(body: QuoteIn, caller: Caller = Depends(rider_or_operator),
                service: Service = Depends(get_service)) -> Response:
    """Offers with a binding pickup window, or the reason there is none. (An operator quoting here
    quotes for a caller without an account, as with ``POST /api/v1/ops/quotes``.)"""
    rider_id, channel = (caller.user_id, "app") if caller.role == "rider" else (None, "phone")
    return await service.in_dispatch_thread(_quote_response, service, body, rider_id, channel)


def _quote_response(service: Service, body: QuoteIn, rider_id: int | None, channel: str) -> Response:
    return json_response(make_quote(service, body, rider_id, channel))


def book_offer(service: Service, offer_id: str, rider_id: int | None, channel: str, key: str | None,
               then=None) -> tuple[Booking, object]:
    """The booking of ``offer_id`` (or the one made earlier with idempotency ``key``), and
    ``then(booking)`` evaluated under the same hold of the dispatcher's (reentrant) lock as the
    booking when it is made now (so the booking's ETA comes from the plan it made without queueing
    for the lock again); for a booking made earlier ``then`` runs on its own."""
    scope = idempotency_scope(rider_id, channel)
    d = service.dispatcher
    offer = d.offers.get(offer_id)
    if offer is not None and channel == "app" and offer.request.rider_id != rider_id:
        offer = None
    if offer is not None:
        scope = idempotency_scope(offer.request.rider_id, offer.request.channel)

    def book_now() -> tuple[Booking, object]:
        with getattr(d, "_lock", None) or nullcontext():
            booking = d.book(offer_id, idempotency_key=key, idempotency_scope=scope,
                             rider_id=rider_id if channel == "app" else None)
            return booking, (then(booking) if then else None)

    if not key:
        return book_now()
    repo = Repository(service.engine)
    key_rider = offer.request.rider_id if offer else rider_id

    def booked_earlier() -> tuple[Booking, object] | None:
        known = repo.find_booking_by_idempotency_key(key, rider_id=key_rider, channel=channel)
        if known is None:
            return None
        booking = d.bookings.get(known.booking_id, known)
        return booking, (then(booking) if then else None)

    if offer is None or offer.booking_id is not None or offer.expires_at < service.clock():
        # a retry of a booking made earlier (its offer booked, expired, or forgotten after a
        # restart): the key decides, so look it up before the dispatcher refuses the offer
        return booked_earlier() or book_now()
    # an open offer: book it straight away (the dispatcher knows every key it was given since the
    # start, and the database refuses a key it holds for another booking); only a refusal needs
    # the look-up, e.g. the key was used, before a restart, for a booking with another offer
    try:
        return book_now()
    except (BookingRefused, DuplicateIdempotencyKey):
        known = booked_earlier()
        if known is not None:
            return known
        raise


@router.post("/bookings", status_code=201, response_model=BookingOut)
async def book(body: BookingIn, caller: Caller = Depends(rider_or_operator),
               idempotency_key: str | None = Header(default=None, max_length=200),
               service: Service = Depends(get_service)) -> Response:
    """Book an offer. Send an ``Idempotency-Key`` header: repeating the request returns the same booking."""
    channel = "app" if caller.role == "rider" else "phone"
    return await service.in_dispatch_thread(book_response, service, body.offer_id,
                                            caller.user_id if channel == "app" else None, channel, idempotency_key)


def book_response(service: Service, offer_id: str, rider_id: int | None, channel: str, key: str | None) -> Response:
    booking, eta = book_offer(service, offer_id, rider_id, channel, key, then=partial(booking_eta, service))
    return json_response(booking_out(service, booking, eta), status_code=201)


#: what a booking id can look like (ids are 32 hex digits; anything else cannot be one)
_BOOKING_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")


def own_booking(service: Service, booking_id: str, caller: Caller) -> Booking:
    booking = service.dispatcher.bookings.get(booking_id)
    if booking is None and _BOOKING_ID.match(booking_id):
        booking = Repository(service.engine).get_booking(booking_id)
    if booking is None or (caller.role == "rider" and booking.rider_id != caller.user_id):
        raise HTTPException(404, detail={"code": "not_found", "message": f"you have no booking {booking_id}"})
    return booking


@router.get("/bookings", response_model=list[BookingOut])
def my_bookings(caller: Caller = Depends(rider_or_operator), limit: int = Query(default=50, ge=1, le=500),
                service: Service = Depends(get_service)) -> list[BookingOut]:
    """The caller's own bookings, newest first."""
    rows = Repository(service.engine).list_bookings_for_rider(caller.user_id, limit=limit)
    live = service.dispatcher.bookings
    return [booking_out(service, live.get(b.booking_id, b)) for b in rows]


@router.get("/bookings/{booking_id}", response_model=BookingOut)
def get_booking(booking_id: str, caller: Caller = Depends(rider_or_operator),
                service: Service = Depends(get_service)) -> BookingOut:
    """Status, window, and once a vehicle is on its way its position and the ETA."""
    return booking_out(service, own_booking(service, booking_id, caller))


@router.post("/bookings/{booking_id}/cancel", response_model=BookingOut)
def cancel(booking_id: str, caller: Caller = Depends(rider_or_operator),
           service: Service = Depends(get_service)) -> BookingOut:
    own_booking(service, booking_id, caller)
    booking = service.dispatcher.cancel(booking_id, cause="rider" if caller.role == "rider" else "operator")
    return booking_out(service, booking)


async def event_stream(request: Request, service: Service, wants, initial: dict | None = None):
    sub = service.broker.subscribe(wants)

    async def gen():
        try:
            yield "retry: 3000\n\n"
            if initial is not None:
                import json
                yield f"event: hello\ndata: {json.dumps(initial)}\n\n"
            while True:
                if await request.is_disconnected():
                    break
                try:
                    message = await asyncio.wait_for(sub.queue.get(), timeout=15)
                    yield f"event: change\ndata: {message}\n\n"
                except asyncio.TimeoutError:
                    yield ": keep-alive\n\n"
        finally:
            service.broker.unsubscribe(sub)

    return StreamingResponse(gen(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/bookings/{booking_id}/events")
async def booking_events(booking_id: str, request: Request, caller: Caller = Depends(current_caller),
                         service: Service = Depends(get_service)):
    """Server-sent events whenever this booking or its vehicle's plan changes (refetch the booking then)."""
    booking = await asyncio.to_thread(own_booking, service, booking_id, caller)
    d = service.dispatcher

    def wants(event) -> bool:
        if event.booking_id == booking_id:
            return True
        current = d.bookings.get(booking_id)
        return (current is not None and current.vehicle_id is not None and event.vehicle_id == current.vehicle_id
                and event.kind.value in ("vehicle_arrived", "vehicle_location", "rider_boarded",
                                         "rider_dropped_off", "booking_confirmed", "booking_cancelled")) \
            or event.kind.value == "plan_reoptimised"

    return await event_stream(request, service, wants, {"booking_id": booking.booking_id})
