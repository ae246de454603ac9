"""Operations API, the control room (issue 15): move and re-time bookings, a vehicle's breakdown,
and the operator's live event stream. The dispatcher decides (:mod:`ride_pool.dispatch.control_room`);
these handlers translate HTTP."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field

from ride_pool.api.deps import Caller, get_service, operator_only, require, stream_caller
from ride_pool.api.drivers import shift_out
from ride_pool.api.live import event_stream, stream_ticket
from ride_pool.api.schemas import MAX_ID, ApiTime, BookingOut, ShiftOut, StreamTicketOut, Strict
from ride_pool.api.service import Service
from ride_pool.api.views import booking_out
from ride_pool.dispatch.domain import Booking
from ride_pool.messages import msg

router = APIRouter(prefix="/api/v1/ops", tags=["operations"], dependencies=[Depends(operator_only)])
#: the event stream takes a ``?ticket=`` (EventSource sends no headers): no router-wide bearer check
stream_router = APIRouter(prefix="/api/v1/ops", tags=["operations"])
operator_stream = require("operator", source=stream_caller)


class OpsBookingOut(BookingOut):
    """A booking as the operator sees it: with the shift serving it and whether it is pinned."""

    shift_id: int | None = None
    pinned: bool = False


def ops_booking_out(service: Service, booking: Booking) -> OpsBookingOut:
    base = booking_out(service, booking)
    d = service.dispatcher
    shift_id = None
    for s in d.shifts.values():
        if not s.ended and any(st.booking_id == booking.booking_id for st in s.route):
            shift_id = s.shift_id
            break
    return OpsBookingOut(**base.model_dump(), shift_id=shift_id, pinned=booking.pinned)


class AssignIn(Strict):
    shift_id: int = Field(ge=1, le=MAX_ID, description="the shift (vehicle) that is to serve the booking")
    pin: bool = Field(default=False, description="keep it on that vehicle under re-optimisation until unpinned")


class RetimeIn(Strict):
    pickup_after: ApiTime | None = Field(default=None, description="the new pickup window begins then")
    arrive_by: ApiTime | None = Field(default=None, description="... or the rider arrives by then")


@router.post("/bookings/{booking_id}/assign", response_model=OpsBookingOut,
             responses={409: {"description": "promise_cannot_be_kept, booking_already_boarded, ..."}})
def assign_booking(body: AssignIn, booking_id: str = Path(max_length=64), caller: Caller = Depends(operator_only),
                   service: Service = Depends(get_service)):
    """Move a booking to shift ``shift_id`` with its promised window kept (or 409 naming why it
    does not fit); ``pin`` keeps it there under re-optimisation. Only before boarding."""
    b = service.dispatcher.assign_booking(booking_id, body.shift_id, body.pin, operator_id=caller.user_id)
    return ops_booking_out(service, b)


@router.post("/bookings/{booking_id}/retime", response_model=OpsBookingOut,
             responses={409: {"description": "promise_cannot_be_kept: the old booking stands"}})
def retime_booking(body: RetimeIn, booking_id: str = Path(max_length=64), caller: Caller = Depends(operator_only),
                   service: Service = Depends(get_service)):
    """A new ``pickup_after`` or ``arrive_by``: the new window replaces the old one atomically, or
    409 and the old booking stands."""
    t = service.times
    b = service.dispatcher.retime_booking(booking_id, t.epoch(body.pickup_after, "pickup_after"),
                                          t.epoch(body.arrive_by, "arrive_by"), operator_id=caller.user_id)
    return ops_booking_out(service, b)


class MovedOut(BaseModel):
    booking_id: str
    shift_id: int
    label: str


class UnplacedOut(BaseModel):
    booking_id: str
    cause: str
    message: str
    caller_name: str | None = None
    caller_phone: str | None = None
    rider_id: int | None = None


class OnBoardOut(BaseModel):
    booking_id: str
    passengers: int
    lat: float
    lon: float
    planned: bool
    shift_id: int | None = None


class BreakdownOut(BaseModel):
    shift: ShiftOut
    position: dict | None
    moved: list[MovedOut]
    unplaced: list[UnplacedOut]
    on_board: list[OnBoardOut]


@router.post("/shifts/{shift_id}/breakdown", response_model=BreakdownOut)
def breakdown(shift_id: int = Path(ge=1, le=MAX_ID), caller: Caller = Depends(operator_only),
              service: Service = Depends(get_service)):
    """The shift's vehicle broke down: the shift ends now; every booking not yet boarded is
    re-planned onto other vehicles with its promised window, or listed as unplaced with the cause
    (call the rider); riders on board get a replacement pick-up at the vehicle's last position."""
    d = service.dispatcher
    result = d.breakdown(shift_id, operator_id=caller.user_id)
    from ride_pool.messages import render

    def label(sid):
        s = d.shifts.get(sid)
        return s.label if s else ""

    unplaced = []
    for bid, cause in result.unplaced.items():
        b = d.bookings[bid]
        unplaced.append(UnplacedOut(booking_id=bid, cause=cause, message=render(msg("cause_" + cause)),
                                    caller_name=b.caller_name, caller_phone=b.caller_phone, rider_id=b.rider_id))
    return BreakdownOut(
        shift=shift_out(service, result.shift),
        position=None if result.position is None else {"lat": result.position[0], "lon": result.position[1]},
        moved=[MovedOut(booking_id=b, shift_id=s, label=label(s)) for b, s in result.moved.items()],
        unplaced=unplaced, on_board=[OnBoardOut(**o) for o in result.on_board])


# --- the operator's event stream ---------------------------------------------------------------

@router.post("/events/ticket", response_model=StreamTicketOut)
async def ops_events_ticket(request: Request, caller: Caller = Depends(operator_only),
                            service: Service = Depends(get_service)) -> StreamTicketOut:
    """A ticket that opens the operator's event stream once within a minute (``?ticket=``)."""
    return await asyncio.to_thread(stream_ticket, service, caller, request)


@stream_router.get("/events")
async def ops_events(request: Request, caller: Caller = Depends(operator_stream),
                     service: Service = Depends(get_service)):
    """Server-sent events for the dashboard: every dispatcher event (kind, cause, booking, shift,
    vehicle) except vehicle positions, at most one per vehicle and second; refetch what it
    concerns then. Send the bearer token, or ``?ticket=`` from ``POST /api/v1/ops/events/ticket``."""
    last_position: dict[int, int] = {}

    def wants(event) -> bool:
        if event.kind.value == "vehicle_location":
            key = event.shift_id or 0
            if last_position.get(key) == event.time:
                return False
            last_position[key] = event.time
        return True

    return await event_stream(request, service.live, wants, {"operator": True})
