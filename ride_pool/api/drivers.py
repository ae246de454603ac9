"""Driver API: start and end a shift, the route list, reports per booking, position, live changes."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Body, Depends, Request
from pydantic import Field

from ride_pool.api.deps import Caller, driver_only, get_service, require, stream_caller
from ride_pool.api.live import event_stream, stream_ticket
from ride_pool.api.schemas import (
    ApiTime,
    DriverRouteOut,
    LocationIn,
    RouteStepOut,
    ShiftOut,
    ShiftStartIn,
    StreamTicketOut,
    Strict,
)
from ride_pool.api.service import Service
from ride_pool.dispatch.domain import VehicleShift

router = APIRouter(prefix="/api/v1/driver", tags=["drivers"])


def shift_out(service: Service, shift: VehicleShift) -> ShiftOut:
    iso = service.times.iso
    return ShiftOut(id=shift.shift_id, vehicle_id=shift.vehicle_id, vehicle_label=shift.label,
                    start=iso(shift.start), end=iso(shift.end), driver_id=shift.driver_id,
                    started=shift.started, ended=shift.ended, planned_stops=len(shift.route), lat=shift.lat,
                    lon=shift.lon)


def current_shift(service: Service, caller: Caller) -> VehicleShift:
    """The started, not ended shift this driver drives (404 ``no_shift`` when there is none)."""
    return service.dispatcher.driver_shift(caller.user_id)


@router.get("/shifts", response_model=list[ShiftOut])
def available_shifts(caller: Caller = Depends(driver_only), service: Service = Depends(get_service)):
    """Shifts this driver can start now (not started by someone else, not ended), and their own."""
    return [shift_out(service, s) for s in service.dispatcher.shifts_for_driver(caller.user_id)]


@router.post("/shift/start", response_model=ShiftOut)
def start_shift(body: ShiftStartIn, caller: Caller = Depends(driver_only), service: Service = Depends(get_service)):
    """Start a shift (by ``shift_id``, or the vehicle's shift running now by ``vehicle_id``)."""
    return shift_out(service, service.dispatcher.start_for_driver(
        caller.user_id, shift_id=body.shift_id, vehicle_id=body.vehicle_id, as_operator=caller.role == "operator"))


@router.post("/shift/end", response_model=ShiftOut)
def end_shift(caller: Caller = Depends(driver_only), service: Service = Depends(get_service)):
    shift = current_shift(service, caller)
    return shift_out(service, service.dispatcher.end_shift(shift.shift_id))


@router.get("/route", response_model=DriverRouteOut)
def route(caller: Caller = Depends(driver_only), service: Service = Depends(get_service)) -> DriverRouteOut:
    """The ordered steps of the driver's current shift: stop, who boards or leaves (``callers``: the
    names of phone bookings' callers), planned times, load after the step and the polyline from
    the previous step."""
    shift = current_shift(service, caller)
    d = service.dispatcher
    iso = service.times.iso
    steps: list[RouteStepOut] = []
    prev_node = shift.anchor_node
    for step in d.route_steps(shift.shift_id):
        steps.append(RouteStepOut(
            kind=step.kind.value, stop_name=step.place.name or f"{step.place.lat:.5f}, {step.place.lon:.5f}",
            lat=step.place.lat, lon=step.place.lon, booking_ids=step.booking_ids, passengers=step.passengers,
            wheelchairs=step.wheelchairs, planned_arrival=iso(step.arrival), planned_departure=iso(step.departure),
            window_earliest=iso(step.window_earliest), window_latest=iso(step.window_latest),
            seats_after=step.seats_after, wheelchairs_after=step.wheelchairs_after,
            callers={b: booking.caller_name for b in step.booking_ids
                     if (booking := d.bookings.get(b)) is not None and booking.caller_name},
            polyline=service.maps.polyline(prev_node, step.node)))
        prev_node = step.node
    return DriverRouteOut(shift=shift_out(service, shift), steps=steps)


class ReportIn(Strict):
    time: ApiTime | None = Field(default=None, description="when it happened (ISO 8601; without offset: local "
                                 "time), e.g. for a report queued while offline; default: now")


@router.post("/bookings/{booking_id}/{report}", response_model=ShiftOut)
def report(booking_id: str, report: Literal["arrived", "boarded", "no_show", "dropped_off"],
           body: ReportIn | None = Body(default=None), caller: Caller = Depends(driver_only),
           service: Service = Depends(get_service)) -> ShiftOut:
    """Report a step of a booking on the driver's route: arrived (at its next stop), boarded,
    no_show, dropped_off. The plan updates at once. Reports that cannot be true at their time
    (hours before the pickup window, a drop-off a moment after boarding, a time in the future)
    are refused with 422 ``implausible_report``."""
    shift = current_shift(service, caller)
    at = service.times.epoch(body.time, "time") if body is not None else None
    return shift_out(service, service.dispatcher.step_report(shift.shift_id, booking_id, report, at))


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
