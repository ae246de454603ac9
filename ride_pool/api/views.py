"""Turning domain objects into API bodies, and API places into dispatcher places."""

from __future__ import annotations

import dataclasses

from fastapi import HTTPException
from fastapi.responses import Response
from pydantic import BaseModel

from ride_pool.api.schemas import (
    AskedPlaceOut,
    BookingOut,
    ConnectionOut,
    OfferOut,
    PlaceIn,
    PlaceOut,
    QuoteOut,
    Reason,
    VehicleLive,
)
from ride_pool.api.service import Service
from ride_pool.db.repository import Repository, stops_generation
from ride_pool.dispatch.access import StopPoint
from ride_pool.dispatch.domain import Booking, Offer, Place
from ride_pool.dispatch.errors import OutsideServiceArea
from ride_pool.dispatch.quotes import Quote
from ride_pool.messages import Field, msg, render
from routing.errors import RoutingInputError


def resolve_place(service: Service, repo: Repository, place: PlaceIn, what: str) -> Place:
    """A dispatcher place for a stop id or a point; 422 for unknown stops, points outside the area."""
    d = service.dispatcher
    if place.stop_id is not None:
        stop = repo.stop_info(place.stop_id)
        if stop is None:
            raise HTTPException(422, detail={"code": "unknown_stop", "message":
                                msg("unknown_stop", field=Field(what), stop_id=place.stop_id)})
        # the place of a stop (snapped once; again when the stop or the service area changes)
        key = (stop.id, stop.lat, stop.lon, stop.name)
        known = service.stop_places.get(key)
        if known is not None and known[0] is d.service_area:
            return known[1]
        try:
            p = d.place(stop.lat, stop.lon, name=stop.name, stop_id=stop.id)
        except OutsideServiceArea as exc:
            raise HTTPException(422, detail={"code": "outside_service_area", "message": msg(
                "place_outside", field=Field(what), message=exc.message)}) from None
        if len(service.stop_places) > 50_000:
            service.stop_places.clear()
        service.stop_places[key] = (d.service_area, p)
        return p
    try:
        point = d.place(place.lat, place.lon)
    except OutsideServiceArea as exc:
        raise HTTPException(422, detail={"code": "outside_service_area", "message": msg(
            "place_outside", field=Field(what), message=exc.message)}) from None
    # the rider's label (from the search or a reverse look-up); none or "Mein Standort": the
    # server's reverse look-up ("Dorfstraße 12, Krögis (Käbschütztal)")
    return dataclasses.replace(point, name=service.place_book.label(place.lat, place.lon, place.name)[:200])


def sync_stops(service: Service, repo: Repository) -> None:
    """Give the dispatcher the stop table (for points served at the nearest stop) when a change of
    stops has committed since it last got it."""
    d = service.dispatcher
    generation = stops_generation()
    if d.stops.version == generation:
        return
    points = []
    for stop in repo.list_stops():
        try:
            node = d.tt.snap(stop.lon, stop.lat)[0]
        except RoutingInputError:
            continue        # a stop off the network cannot be driven to
        points.append(StopPoint(int(stop.id), stop.name, float(stop.lat), float(stop.lon), int(node)))
    d.set_stops(points, generation)


def json_response(body: BaseModel, status_code: int = 200) -> Response:
    """``body`` as a JSON response, serialised once by pydantic (a returned model would be
    validated against the route's ``response_model`` again, and serialised on the event loop)."""
    return Response(body.model_dump_json(), status_code=status_code, media_type="application/json")


def place_out(p: Place) -> PlaceOut:
    access = p.access or ("stop" if p.stop_id is not None else "door")
    asked = None if p.asked is None else AskedPlaceOut(name=p.asked.name, lat=p.asked.lat, lon=p.asked.lon)
    return PlaceOut(name=p.name, lat=p.lat, lon=p.lon, stop_id=p.stop_id, access=access, walk_m=p.walk_m,
                    asked=asked)


def connection_out(service: Service, c, booking_id: str | None = None) -> ConnectionOut | None:
    if c is None:
        return None
    iso = service.times.iso
    at_risk, late_s = service.dispatcher.connections.state(booking_id) if booking_id else (False, None)
    return ConnectionOut(stop_id=c.stop_id, trip_id=c.trip_id, direction=c.direction, service_date=c.service_date,
                         scheduled=iso(c.scheduled), limit=iso(c.limit), route_name=c.route_name or "",
                         headsign=c.headsign or "", stop_name=c.stop_name or "", at_risk=at_risk,
                         late_minutes=None if late_s is None else -(-int(late_s) // 60))


def offer_out(service: Service, offer: Offer) -> OfferOut:
    iso = service.times.iso
    return OfferOut(offer_id=offer.offer_id, pickup_earliest=iso(offer.pickup_earliest),
                    pickup_latest=iso(offer.pickup_latest), dropoff_latest=iso(offer.dropoff_latest),
                    planned_pickup=iso(offer.planned_pickup), planned_dropoff=iso(offer.planned_dropoff),
                    expires_at=iso(offer.expires_at), alternative=offer.alternative,
                    passengers=offer.request.passengers, wheelchairs=offer.request.wheelchairs,
                    direct_minutes=round(offer.direct_s / 60, 1), origin=place_out(offer.request.origin),
                    destination=place_out(offer.request.destination),
                    connection=connection_out(service, offer.request.connection), fare=offer.fare,
                    needs=list(offer.request.needs))


def quote_out(service: Service, quote: Quote) -> QuoteOut:
    """The quote in the request's language: the refusal (``reason``) and why the offered time is
    what it is (``time_reason``), each a code and a text."""
    reason = Reason(code=quote.reject_cause.value, message=render(quote.reject_reason or quote.reject_message)) \
        if quote.reject_cause else None
    time_reason = Reason(code=quote.time_reason[0], message=render(quote.time_reason[1])) \
        if quote.time_reason and quote.offers else None
    return QuoteOut(quote_id=quote.quote_id, offers=[offer_out(service, o) for o in quote.offers], reason=reason,
                    time_reason=time_reason)


def booking_eta(service: Service, booking: Booking) -> dict:
    d = service.dispatcher
    return d.eta(booking.booking_id) if booking.booking_id in d.bookings else {}


def booking_out(service: Service, booking: Booking, eta: dict | None = None) -> BookingOut:
    """The booking as the API shows it; ``eta`` (from :func:`booking_eta`) if already known."""
    iso = service.times.iso
    d = service.dispatcher
    if eta is None:
        eta = booking_eta(service, booking)
    vehicle = None
    if eta:
        shift = d.shifts.get(eta["shift_id"])
        vehicle = VehicleLive(vehicle_id=eta["vehicle_id"], label=shift.label if shift else "",
                              lat=eta.get("vehicle_lat"), lon=eta.get("vehicle_lon"),
                              location_time=iso(eta.get("vehicle_location_time")))
    return BookingOut(
        booking_id=booking.booking_id, status=booking.status.value, pickup_earliest=iso(booking.pickup_earliest),
        pickup_latest=iso(booking.pickup_latest), dropoff_latest=iso(booking.dropoff_latest),
        planned_pickup=iso(booking.planned_pickup), planned_dropoff=iso(booking.planned_dropoff),
        eta_pickup=iso(eta.get("pickup")), eta_dropoff=iso(eta.get("dropoff")), passengers=booking.passengers,
        wheelchairs=booking.wheelchairs, origin=place_out(booking.origin), destination=place_out(booking.destination),
        vehicle=vehicle, created_at=iso(booking.created_at), boarded_at=iso(booking.boarded_at),
        completed_at=iso(booking.completed_at), cancelled_at=iso(booking.cancelled_at), channel=booking.channel,
        rider_id=booking.rider_id, caller_name=booking.caller_name, caller_phone=booking.caller_phone,
        connection=connection_out(service, booking.connection, booking.booking_id),
        sms_consent=booking.sms_consent, needs=list(booking.needs), fare_cents=booking.fare_cents, fare=booking.fare,
        series_id=booking.series_id)
