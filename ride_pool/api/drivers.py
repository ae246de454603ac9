"""Driver API: start and end a shift, the route list, reports per booking, position, live changes."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Request

from ride_pool.api.deps import Caller, driver_only, get_service
from ride_pool.api.riders import event_stream
from ride_pool.api.schemas import DriverRouteOut, LocationIn, RouteStepOut, ShiftOut, ShiftStartIn
from ride_pool.api.service import Service
from ride_pool.dispatch.domain import VehicleShift

router = APIRouter(prefix="/api/v1/driver", tags=["drivers"])
#: a shift can be started this long before its planned start
EARLY_START_S = 3600


def shift_out(service: Service, shift: VehicleShift) -> ShiftOut:
    return ShiftOut(id=shift.shift_id, vehicle_id=shift.vehicle_id, vehicle_label=shift.label,
                    start=service.iso(shift.start), end=service.iso(shift.end), driver_id=shift.driver_id,
                    started=shift.started, ended=shift.ended, planned_stops=len(shift.route), lat=shift.lat,
                    lon=shift.lon)


def current_shift(service: Service, caller: Caller) -> VehicleShift:
    """The started, not ended shift this driver drives (404 when there is none)."""
    mine = [s for s in service.dispatcher.shifts.values() if s.driver_id == caller.user_id and s.started
            and not s.ended]
    if not mine:
        raise HTTPException(404, detail={"code": "no_shift", "message":
                                         "you have no running shift; start one with POST /api/v1/driver/shift/start"})
    return min(mine, key=lambda s: s.start)


@router.get("/shifts", response_model=list[ShiftOut])
def available_shifts(caller: Caller = Depends(driver_only), service: Service = Depends(get_service)):
    """Shifts this driver can start now (not started by someone else, not ended), and their own."""
    now = service.clock()
    out = []
    for s in sorted(service.dispatcher.shifts.values(), key=lambda s: (s.start, s.shift_id)):
        if s.ended or s.end <= now:
            continue
        if s.driver_id == caller.user_id or (not s.started and s.driver_id is None and s.start - EARLY_START_S <= now):
            out.append(shift_out(service, s))
    return out


@router.post("/shift/start", response_model=ShiftOut)
def start_shift(body: ShiftStartIn, caller: Caller = Depends(driver_only), service: Service = Depends(get_service)):
    """Start a shift (by ``shift_id``, or the vehicle's shift running now by ``vehicle_id``)."""
    d = service.dispatcher
    now = service.clock()
    if body.shift_id is not None:
        shift = d.shifts.get(body.shift_id)
        if shift is None:
            raise HTTPException(404, detail={"code": "not_found", "message": f"there is no shift {body.shift_id}"})
    else:
        candidates = [s for s in d.shifts.values() if s.vehicle_id == body.vehicle_id and not s.ended
                      and s.start - EARLY_START_S <= now < s.end]
        if not candidates:
            raise HTTPException(404, detail={"code": "no_shift", "message":
                                f"vehicle {body.vehicle_id} has no shift starting within the hour; ask the operator"})
        shift = min(candidates, key=lambda s: s.start)
    if shift.ended or shift.end <= now:
        raise HTTPException(409, detail={"code": "shift_over", "message": f"shift {shift.shift_id} is over"})
    if shift.start - EARLY_START_S > now:
        raise HTTPException(409, detail={"code": "too_early", "message":
                            f"shift {shift.shift_id} starts at {service.iso(shift.start):%H:%M}; start it at most "
                            "an hour before"})
    if shift.driver_id is not None and shift.driver_id != caller.user_id and caller.role != "operator":
        if shift.started:
            raise HTTPException(409, detail={"code": "taken", "message":
                                f"shift {shift.shift_id} is already driven by another driver"})
        raise HTTPException(409, detail={"code": "assigned_to_another_driver", "message":
                            f"shift {shift.shift_id} of {shift.label} is planned for another driver; "
                            "ask the operator to change it"})
    return shift_out(service, d.start_shift(shift.shift_id, driver_id=caller.user_id))


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
    planned = d.planned_schedule(shift.shift_id)
    iso = service.iso
    steps: list[RouteStepOut] = []
    prev_node = shift.anchor_node
    group = []

    def flush():
        nonlocal prev_node
        if not group:
            return
        first, last = group[0], group[-1]
        steps.append(RouteStepOut(
            kind=first.kind.value, stop_name=first.place.name or f"{first.place.lat:.5f}, {first.place.lon:.5f}",
            lat=first.place.lat, lon=first.place.lon, booking_ids=[p.booking_id for p in group],
            passengers=sum(p.passengers for p in group), wheelchairs=sum(p.wheelchairs for p in group),
            planned_arrival=iso(first.arrival), planned_departure=iso(last.departure),
            window_earliest=iso(max(p.window_earliest for p in group)),
            window_latest=iso(min(p.window_latest for p in group)),
            seats_after=last.seats_after, wheelchairs_after=last.wheelchairs_after,
            callers={p.booking_id: b.caller_name for p in group
                     if (b := d.bookings.get(p.booking_id)) is not None and b.caller_name},
            polyline=service.polyline(prev_node, first.node)))
        prev_node = first.node
        group.clear()

    for p in planned:
        if group and (p.node != group[0].node or p.kind != group[0].kind):
            flush()
        group.append(p)
    flush()
    return DriverRouteOut(shift=shift_out(service, shift), steps=steps)


@router.post("/bookings/{booking_id}/{report}", response_model=ShiftOut)
def report(booking_id: str, report: Literal["arrived", "boarded", "no_show", "dropped_off"],
           caller: Caller = Depends(driver_only), service: Service = Depends(get_service)) -> ShiftOut:
    """Report a step of a booking on the driver's route: arrived (at its next stop), boarded,
    no_show, dropped_off. The plan updates at once."""
    shift = current_shift(service, caller)
    d = service.dispatcher
    if not any(s.booking_id == booking_id for s in shift.route):
        raise HTTPException(404, detail={"code": "not_on_route", "message":
                            f"booking {booking_id} is not on your route (any more); reload the route"})
    if report == "arrived":
        step = next(s for s in shift.route if s.booking_id == booking_id)
        booking = d.booking(booking_id)
        node = booking.origin.node if step.kind.value == "pickup" else booking.destination.node
        d.vehicle_arrived(shift.shift_id, node)
    elif report == "boarded":
        d.rider_boarded(booking_id, shift.shift_id)
    elif report == "no_show":
        d.rider_no_show(booking_id, shift.shift_id)
    else:
        d.rider_dropped_off(booking_id, shift.shift_id)
    return shift_out(service, d.shift(shift.shift_id))


@router.post("/location", response_model=ShiftOut)
def location(body: LocationIn, caller: Caller = Depends(driver_only), service: Service = Depends(get_service)):
    """The vehicle's position (riders see it; the plan continues from it)."""
    shift = current_shift(service, caller)
    return shift_out(service, service.dispatcher.vehicle_location(shift.shift_id, body.lat, body.lon))


@router.get("/events")
async def driver_events(request: Request, caller: Caller = Depends(driver_only),
                        service: Service = Depends(get_service)):
    """Server-sent events whenever the driver's plan changes (refetch the route then)."""
    import asyncio

    shift = await asyncio.to_thread(current_shift, service, caller)
    shift_id = shift.shift_id

    def wants(event) -> bool:
        return event.shift_id == shift_id or event.kind.value == "plan_reoptimised" or (
            event.kind.value == "booking_cancelled" and event.vehicle_id == shift.vehicle_id)

    return await event_stream(request, service, wants, {"shift_id": shift_id})
