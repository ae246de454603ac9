"""Rider API: stops, quotes, bookings, cancellation, live updates."""

from __future__ import annotations

import asyncio
import re

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import Response

from ride_pool.api import rider_needs, throttle
from ride_pool.api.deps import Caller, current_caller, get_service, rider_or_operator, stream_caller
from ride_pool.api.live import event_stream, stream_ticket
from ride_pool.api.schemas import BookingIn, BookingOut, QuoteIn, QuoteOut, StopOut, StreamTicketOut
from ride_pool.api.service import Service
from ride_pool.api.views import booking_out, json_response, quote_out, resolve_place, sync_stops
from ride_pool.db.repository import Repository
from ride_pool.dispatch.domain import Booking, Connection, RejectCause, TripRequest
from ride_pool.messages import msg

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


def make_quote(service: Service, body: QuoteIn, rider_id: int | None, channel: str,
               rider_confirmed: bool = True, series_id: int | None = None) -> QuoteOut:
    repo = Repository(service.engine)
    sync_stops(service, repo)
    origin = resolve_place(service, repo, body.origin, "origin")
    destination = resolve_place(service, repo, body.destination, "destination")
    times = service.times
    needs, wheelchairs, fare_group = rider_needs.request_needs(service, body, rider_id)   # issue 17
    request = TripRequest(rider_id=rider_id, origin=origin, destination=destination, passengers=body.passengers,
                          wheelchairs=wheelchairs, pickup_after=times.epoch(body.pickup_after, "pickup_after"),
                          arrive_by=times.epoch(body.arrive_by, "arrive_by"), channel=channel,
                          caller_name=getattr(body, "caller_name", None),     # phone quotes (PhoneQuoteIn)
                          caller_phone=getattr(body, "caller_phone", None), rider_confirmed=rider_confirmed,
                          connection=None if body.connection is None else Connection(
                              stop_id=body.connection.stop_id, trip_id=body.connection.trip_id,
                              direction=body.connection.direction, service_date=body.connection.service_date),
                          sms_consent=bool(getattr(body, "sms_consent", False)) and bool(getattr(body, "caller_phone",
                                                                                                None)),
                          needs=needs, fare_group=fare_group, series_id=series_id)
    quote = service.dispatcher.quote(request)
    if quote.reject_cause is RejectCause.IN_THE_PAST:      # a time already passed is bad input
        raise HTTPException(422, detail={"code": quote.reject_cause.value, "message": quote.reject_reason})
    return quote_out(service, quote)


@router.post("/quotes", response_model=QuoteOut)
async def quote(body: QuoteIn, request: Request, caller: Caller = Depends(rider_or_operator),
                service: Service = Depends(get_service)) -> Response:
    """Offers with a binding pickup window, or the reason there is none. (An operator quoting here
    quotes for a caller without an account, as with ``POST /api/v1/ops/quotes``.) Limited per
    client address and per rider (429 with ``Retry-After``)."""
    rider_id, channel = (caller.user_id, "app") if caller.role == "rider" else (None, "phone")
    throttle.quote_allowed(service, request, rider_id)
    return await service.in_dispatch_thread(_quote_response, service, body, rider_id, channel, caller.confirmed)


def _quote_response(service: Service, body: QuoteIn, rider_id: int | None, channel: str,
                    rider_confirmed: bool) -> Response:
    return json_response(make_quote(service, body, rider_id, channel, rider_confirmed))


@router.post("/bookings", status_code=201, response_model=BookingOut)
async def book(body: BookingIn, request: Request, caller: Caller = Depends(rider_or_operator),
               idempotency_key: str | None = Header(default=None, max_length=200),
               service: Service = Depends(get_service)) -> Response:
    """Book an offer. Send an ``Idempotency-Key`` header: repeating the request returns the same
    booking. Limited per client address (429 with ``Retry-After``)."""
    throttle.count_address(service, request, "bookings_address")
    channel = "app" if caller.role == "rider" else "phone"
    return await service.in_dispatch_thread(book_response, service, body.offer_id,
                                            caller.user_id if channel == "app" else None, channel, idempotency_key,
                                            caller.confirmed if channel == "app" else None)


def book_response(service: Service, offer_id: str, rider_id: int | None, channel: str, key: str | None,
                  rider_confirmed: bool | None = None) -> Response:
    """The booking of ``offer_id`` (a rider's own offer when ``rider_id`` is given; the one made
    earlier with idempotency ``key`` on a retry) as a 201 answer; ``rider_confirmed``: whether the
    rider's account is confirmed (None for phone bookings: as when quoted)."""
    booking, eta = service.dispatcher.book_with_eta(offer_id, idempotency_key=key, rider_id=rider_id,
                                                    channel=channel, rider_confirmed=rider_confirmed)
    return json_response(booking_out(service, booking, eta), status_code=201)


#: what a booking id can look like (ids are 32 hex digits; anything else cannot be one)
_BOOKING_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")


def own_booking(service: Service, booking_id: str, caller: Caller) -> Booking:
    """The booking ``booking_id`` if the caller may see it: a rider their own, a driver those on a
    shift they drive, an operator every booking; 404 ``not_found`` otherwise."""
    booking = service.dispatcher.bookings.get(booking_id)
    if booking is None and _BOOKING_ID.match(booking_id):
        booking = Repository(service.engine).get_booking(booking_id)
    if booking is None or not _may_see(service, booking, caller):
        raise HTTPException(404, detail={"code": "not_found", "message": msg("booking_not_yours",
                                                                           booking_id=booking_id)})
    return booking


def _may_see(service: Service, booking: Booking, caller: Caller) -> bool:
    if caller.role == "operator":
        return True
    if caller.role == "rider":
        return booking.rider_id == caller.user_id
    if caller.role == "driver":
        return service.dispatcher.driver_of_booking(booking.booking_id) == caller.user_id
    return False


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


@router.post("/bookings/{booking_id}/events/ticket", response_model=StreamTicketOut)
async def booking_events_ticket(booking_id: str, request: Request, caller: Caller = Depends(current_caller),
                                service: Service = Depends(get_service)) -> StreamTicketOut:
    """A ticket that opens this booking's event stream once within a minute (``?ticket=``):
    browsers' EventSource cannot send the bearer token, and a token in a URL would be logged."""
    await asyncio.to_thread(own_booking, service, booking_id, caller)
    return await asyncio.to_thread(stream_ticket, service, caller, request)


@router.get("/bookings/{booking_id}/events")
async def booking_events(booking_id: str, request: Request, caller: Caller = Depends(stream_caller),
                         service: Service = Depends(get_service)):
    """Server-sent events whenever this booking or its vehicle's plan changes (refetch the booking
    then). Send the bearer token, or open it with ``?ticket=`` from ``POST .../events/ticket``."""
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

    return await event_stream(request, service.live, wants, {"booking_id": booking.booking_id})
