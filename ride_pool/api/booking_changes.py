"""What changed in a booking since it was made (issue 15): moves to another vehicle and new
windows by an operator, a breakdown or the background optimiser, for the rider's page (and the
notification outbox). ``GET /api/v1/bookings/{booking_id}/changes``."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from ride_pool.api.deps import Caller, get_service, rider_or_operator
from ride_pool.api.riders import own_booking
from ride_pool.api.service import Service
from ride_pool.db.booking_changes import booking_changes

router = APIRouter(prefix="/api/v1", tags=["rider"])


class BookingChangeOut(BaseModel):
    time: str
    #: who changed it: "operator", "optimiser"
    cause: str
    #: what changed: "moved", "retimed", "pinned", "unpinned", "breakdown_moved", "breakdown_unplaced",
    #: "breakdown_replacement"
    change: str
    old_vehicle: str | None = None
    new_vehicle: str | None = None
    old_pickup_earliest: str | None = None
    old_pickup_latest: str | None = None
    new_pickup_earliest: str | None = None
    new_pickup_latest: str | None = None
    #: the operator who made the change (operators only; None for riders)
    operator_id: int | None = None


def _label(service: Service, shift_id) -> str | None:
    shift = service.dispatcher.shifts.get(shift_id) if shift_id is not None else None
    return shift.label if shift is not None else None


@router.get("/bookings/{booking_id}/changes", response_model=list[BookingChangeOut])
def changes(booking_id: str, caller: Caller = Depends(rider_or_operator), service: Service = Depends(get_service)):
    """The booking's changes, oldest first: who (cause), what (change), the vehicle and the pickup
    window before and after."""
    own_booking(service, booking_id, caller)
    iso = service.times.iso
    out = []
    for e in booking_changes(service.engine, booking_id):
        d = e.data
        old, new = d.get("old_window") or {}, d.get("new_window") or {}
        out.append(BookingChangeOut(
            time=iso(e.time).isoformat(), cause=e.cause, change=d.get("change", ""),
            old_vehicle=_label(service, d.get("old_shift_id")), new_vehicle=_label(service, d.get("new_shift_id")),
            old_pickup_earliest=_iso(iso, old.get("pickup_earliest")),
            old_pickup_latest=_iso(iso, old.get("pickup_latest")),
            new_pickup_earliest=_iso(iso, new.get("pickup_earliest")),
            new_pickup_latest=_iso(iso, new.get("pickup_latest")),
            operator_id=d.get("operator_id") if caller.role == "operator" else None))
    return out


def _iso(iso, t):
    return None if t is None else iso(t).isoformat()
