"""Driver API: start and end a shift, the route list, reports per booking, position, live changes."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Body, Depends, Header, Request, Response

from ride_pool.api.deps import Caller, driver_only, get_service, require, stream_caller
from ride_pool.api.live import event_stream, stream_ticket
from ride_pool.api.schemas import (
    BookingStateOut,
    DriverReportOut,
    DriverRouteOut,
    LocationIn,
    ReportDoneOut,
    ReportIn,
    RiderOut,
    RouteStepOut,
    ShiftOut,
    ShiftStartIn,
    StreamTicketOut,
)
from ride_pool.api.service import Service
from ride_pool.db.repository import Repository
from ride_pool.dispatch.domain import VehicleShift
from ride_pool.dispatch.replays import shift_answer

router = APIRouter(prefix="/api/v1/driver", tags=["drivers"])


def shift_out(service: Service, shift: VehicleShift) -> ShiftOut:
    return ShiftOut(**_shift_fields(service, shift_answer(shift)))


def _shift_fields(service: Service, a: dict) -> dict:
    """ShiftOut's fields from a shift as :func:`~ride_pool.dispatch.replays.shift_answer` holds it."""
    iso = service.times.iso
    has_break = a.get("break_earliest") is not None and a.get("break_s")
    return dict(id=a["shift_id"], vehicle_id=a["vehicle_id"], vehicle_label=a["label"], start=iso(a["start"]),
                end=iso(a["end"]), driver_id=a["driver_id"], started=a["started"], ended=a["ended"],
                planned_stops=a["planned_stops"], lat=a["lat"], lon=a["lon"], started_at=iso(a.get("started_at")),
                ended_at=iso(a.get("ended_at")),
                break_start_earliest=iso(a.get("break_earliest")) if has_break else None,
                break_start_latest=iso(a.get("break_latest")) if has_break else None,
                break_minutes=(a["break_s"] + 59) // 60 if has_break else None,
                break_started_at=iso(a.get("break_started_at")), break_ended_at=iso(a.get("break_ended_at")),
                break_stop_id=a.get("break_stop_id"), break_place_name=a.get("break_place_name"))


def report_out(service: Service, answer: dict) -> DriverReportOut:
    iso = service.times.iso
    r = answer["report"]
    return DriverReportOut(**_shift_fields(service, answer), report=ReportDoneOut(
        report=r["report"], booking_id=r["booking_id"], shift_id=r["shift_id"], reported_at=iso(r["reported_at"]),
        received_at=iso(r["received_at"])))


def current_shift(service: Service, caller: Caller) -> VehicleShift:
    """The started, not ended shift this driver drives (404 ``no_shift`` when there is none)."""
    return service.dispatcher.driver_shift(caller.user_id)


#: the ``Idempotency-Key`` header of every driver report
IdempotencyKey = Header(default=None, alias="Idempotency-Key", min_length=1, max_length=200,
                        description="a new key (e.g. a UUID) per report, the same when it is sent again")

REPLAY_DOC = """

**Sent again** (a phone that was offline): send an ``Idempotency-Key`` header (unique per
report; keys are kept per driver in the database) and the time of the tap as
``{"reported_at": "<ISO 8601 with offset>"}`` (``time`` is its older name). The same key again
gets the first answer (header ``Idempotent-Replayed: true``) and changes nothing; the key with
another report is 422 ``idempotency_key_reused``. A report already applied sent *without* its
key is 409 ``already_reported`` with the server's ``state``: treat it as done. ``reported_at``
is refused (422) in the future beyond the rule ``report_clock_skew_s`` (``report_in_future``),
older than ``report_max_age_s`` (``report_too_old``), before the shift started
(``report_before_shift``) or before the booking's step reported before it
(``report_out_of_order``)."""


def _send(service: Service, caller: Caller, response: Response, report: str, key: str | None,
          body: ReportIn | None, **target) -> DriverReportOut:
    at = service.times.epoch(body.at, "reported_at") if body is not None and body.at is not None else None
    answer, replayed = service.dispatcher.driver_report(caller.user_id, report, key=key, at=at,
                                                        as_operator=caller.role == "operator", **target)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return report_out(service, answer)


@router.get("/shifts", response_model=list[ShiftOut])
def available_shifts(caller: Caller = Depends(driver_only), service: Service = Depends(get_service)):
    """Shifts this driver can start now (not started by someone else, not ended), and their own."""
    return [shift_out(service, s) for s in service.dispatcher.shifts_for_driver(caller.user_id)]


@router.post("/shift/start", response_model=DriverReportOut)
def start_shift(body: ShiftStartIn, response: Response, idempotency_key: str | None = IdempotencyKey,
                caller: Caller = Depends(driver_only), service: Service = Depends(get_service)):
    """Start a shift (by ``shift_id``, or the vehicle's shift running now by ``vehicle_id``); a
    shift this driver started already: 409 ``already_reported``.""" + REPLAY_DOC
    return _send(service, caller, response, "shift_start", idempotency_key, body, shift_id=body.shift_id,
                 vehicle_id=body.vehicle_id)


@router.post("/shift/end", response_model=DriverReportOut)
def end_shift(response: Response, body: ReportIn | None = Body(default=None),
              idempotency_key: str | None = IdempotencyKey, caller: Caller = Depends(driver_only),
              service: Service = Depends(get_service)):
    """End the running shift (refused while it has planned stops; a break not taken is dropped);
    ended already: 409 ``already_reported``.""" + REPLAY_DOC
    return _send(service, caller, response, "shift_end", idempotency_key, body)


@router.post("/break/start", response_model=DriverReportOut)
def start_break(response: Response, body: ReportIn | None = Body(default=None),
                idempotency_key: str | None = IdempotencyKey, caller: Caller = Depends(driver_only),
                service: Service = Depends(get_service)):
    """Begin the running shift's planned break (409 ``no_break_planned`` without one; event
    ``break_started``). The vehicle takes no stop until ``break_minutes`` later.""" + REPLAY_DOC
    return _send(service, caller, response, "break_start", idempotency_key, body)


@router.post("/break/end", response_model=DriverReportOut)
def end_break(response: Response, body: ReportIn | None = Body(default=None),
              idempotency_key: str | None = IdempotencyKey, caller: Caller = Depends(driver_only),
              service: Service = Depends(get_service)):
    """End the break (409 ``break_not_started`` before it began; event ``break_ended``); the
    vehicle is free from then.""" + REPLAY_DOC
    return _send(service, caller, response, "break_end", idempotency_key, body)


def _first_name_and_initial(name: str | None) -> str | None:
    parts = (name or "").split()
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else f"{parts[0]} {parts[-1][0]}."


@router.get("/route", response_model=DriverRouteOut)
def route(caller: Caller = Depends(driver_only), service: Service = Depends(get_service)) -> DriverRouteOut:
    """The ordered steps of the driver's current shift: stop, who boards or leaves (``riders``:
    the rider's first name and initial for app bookings, the caller's name and phone for phone
    bookings, passengers, wheelchairs, what the server applied, from when a no-show is possible;
    ``callers``: the names of phone bookings' callers), planned times, load after the step and the
    polyline from the previous step; the planned break as a step of kind ``break``. ``bookings``
    holds what the server applied for every booking of the route and those finished on this
    shift, ``server_time`` the server's clock: a page whose answer was lost reconciles with it."""
    d = service.dispatcher
    view = d.report_view(caller.user_id)
    shift = view["shift"]
    iso = service.times.iso
    rider_ids = {b.rider_id for bid in view["bookings"] if (b := d.bookings.get(bid)) is not None
                 and b.rider_id is not None and b.channel == "app"}
    names = {uid: _first_name_and_initial(u.name) for uid in rider_ids
             if (u := Repository(service.engine).get_user(uid)) is not None}
    steps: list[RouteStepOut] = []
    prev_node = shift.anchor_node
    for step in d.route_steps(shift.shift_id):
        if step.kind.value == "break":
            steps.append(RouteStepOut(
                kind="break", stop_name=step.place.name or "Depot", lat=step.place.lat, lon=step.place.lon,
                booking_ids=[], passengers=0, wheelchairs=0, planned_arrival=iso(step.arrival),
                planned_departure=iso(step.departure), window_earliest=iso(step.window_earliest),
                window_latest=iso(step.window_latest), seats_after=step.seats_after,
                wheelchairs_after=step.wheelchairs_after, break_minutes=(shift.break_s + 59) // 60,
                polyline=service.maps.polyline(prev_node, step.node)))
            prev_node = step.node
            continue
        riders = []
        for bid in step.booking_ids:
            b = d.bookings.get(bid)
            if b is None:
                continue
            state = view["bookings"].get(bid, {})
            phone = b.channel == "phone"
            riders.append(RiderOut(
                booking_id=bid, name=b.caller_name if phone else names.get(b.rider_id), phone=b.caller_phone
                if phone else None, channel=b.channel, passengers=b.passengers, wheelchairs=b.wheelchairs,
                status=b.status.value,
                arrived_at=state.get("arrived_at" if step.kind.value == "pickup" else "dropoff_arrived_at"),
                no_show_from=iso(view["no_show_from"].get(bid)) if step.kind.value == "pickup" else None,
                needs=list(b.needs), fare_cents=b.fare_cents if step.kind.value == "pickup" else None))
        steps.append(RouteStepOut(
            kind=step.kind.value, stop_name=step.place.name or f"{step.place.lat:.5f}, {step.place.lon:.5f}",
            lat=step.place.lat, lon=step.place.lon, booking_ids=step.booking_ids, passengers=step.passengers,
            wheelchairs=step.wheelchairs, planned_arrival=iso(step.arrival), planned_departure=iso(step.departure),
            window_earliest=iso(step.window_earliest), window_latest=iso(step.window_latest),
            seats_after=step.seats_after, wheelchairs_after=step.wheelchairs_after,
            callers={b: booking.caller_name for b in step.booking_ids
                     if (booking := d.bookings.get(b)) is not None and booking.caller_name},
            riders=riders, polyline=service.maps.polyline(prev_node, step.node)))
        prev_node = step.node
    if shift.break_started_at is not None and shift.break_ended_at is None:
        # the break that began: first, until the driver ends it
        place = shift.break_place or shift.depot
        steps.insert(0, RouteStepOut(
            kind="break", status="started", stop_name=place.name or "Pause", lat=place.lat, lon=place.lon,
            booking_ids=[], passengers=0, wheelchairs=0, planned_arrival=iso(shift.break_started_at),
            planned_departure=iso(shift.break_started_at + shift.break_s),
            window_earliest=iso(shift.break_earliest), window_latest=iso(shift.break_latest), seats_after=0,
            wheelchairs_after=0, break_minutes=(shift.break_s + 59) // 60, polyline=[]))
    return DriverRouteOut(shift=shift_out(service, shift), steps=steps, server_time=iso(view["server_time"]),
                          bookings={bid: BookingStateOut(**state) for bid, state in view["bookings"].items()})


@router.post("/bookings/{booking_id}/{report}", response_model=DriverReportOut)
def report(booking_id: str, report: Literal["arrived", "boarded", "no_show", "dropped_off"], response: Response,
           body: ReportIn | None = Body(default=None), idempotency_key: str | None = IdempotencyKey,
           caller: Caller = Depends(driver_only), service: Service = Depends(get_service)) -> DriverReportOut:
    """Report a step of a booking on the driver's route: arrived (at its next stop; for everybody
    boarding or leaving there with it), boarded, no_show, dropped_off. The plan updates at once.
    Reports that cannot be true at their time (hours before the pickup window, a drop-off a moment
    after boarding) are refused with 422 ``implausible_report``; a no-show before the pickup window
    opened (or the driver arrived) plus the rule ``no_show_wait_s`` is 409 ``no_show_too_early``
    with ``possible_from``.""" + REPLAY_DOC
    return _send(service, caller, response, report, idempotency_key, body, booking_id=booking_id)


@router.post("/location", response_model=ShiftOut)
def location(body: LocationIn, caller: Caller = Depends(driver_only), service: Service = Depends(get_service)):
    """The vehicle's position (riders see it; the plan continues from it)."""
    shift = current_shift(service, caller)
    return shift_out(service, service.dispatcher.vehicle_location(shift.shift_id, body.lat, body.lon))


#: the driver's event stream takes a ``?ticket=`` instead of the bearer token too
driver_stream = require("driver", "operator", source=stream_caller)


@router.post("/events/ticket", response_model=StreamTicketOut)
async def driver_events_ticket(request: Request, caller: Caller = Depends(driver_only),
                               service: Service = Depends(get_service)) -> StreamTicketOut:
    """A ticket that opens the driver's event stream once within a minute (``?ticket=``)."""
    await asyncio.to_thread(current_shift, service, caller)
    return await asyncio.to_thread(stream_ticket, service, caller, request)


@router.get("/events")
async def driver_events(request: Request, caller: Caller = Depends(driver_stream),
                        service: Service = Depends(get_service)):
    """Server-sent events whenever the driver's plan changes (refetch the route then). Send the
    bearer token, or open it with ``?ticket=`` from ``POST /api/v1/driver/events/ticket``."""
    shift = await asyncio.to_thread(current_shift, service, caller)
    shift_id = shift.shift_id

    def wants(event) -> bool:
        return event.shift_id == shift_id or event.kind.value == "plan_reoptimised" or (
            event.kind.value == "booking_cancelled" and event.vehicle_id == shift.vehicle_id)

    return await event_stream(request, service.live, wants, {"shift_id": shift_id})
