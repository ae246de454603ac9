"""Planning a vehicle shift: the database gives its id (and refuses overlapping shifts of the
vehicle), then the dispatcher puts it into service."""

from __future__ import annotations

from ride_pool.api.schemas import PlaceIn
from ride_pool.api.views import resolve_place
from ride_pool.db.repository import Repository
from ride_pool.dispatch.domain import Place, VehicleShift


def plan_shift(service, vehicle, start: int, end: int, depot: Place, driver_id: int | None = None, *,
               break_earliest: int | None = None, break_latest: int | None = None,
               break_s: int = 0, break_place: Place | None = None) -> VehicleShift:
    """A new shift of ``vehicle`` (a vehicles row): stored, then taking bookings at once (with its
    planned break, checked first)."""
    service.dispatcher.check_break(start, end, break_earliest, break_latest, break_s)
    row = Repository(service.engine).create_shift(vehicle.id, start, end, depot, driver_id=driver_id)
    return service.dispatcher.add_shift(row.id, vehicle.id, vehicle.label, vehicle.seats, vehicle.wheelchair_places,
                                        row.start, row.end, depot, driver_id=driver_id,
                                        break_earliest=break_earliest, break_latest=break_latest, break_s=break_s,
                                        break_place=break_place)


def break_of(service, body, current: VehicleShift | None = None) -> dict:
    """The planned break a shift body asks for (``break_start_earliest``, ``break_start_latest``,
    ``break_minutes``; fields not sent keep ``current``'s; ``break_minutes`` 0: no break), as
    :func:`plan_shift`'s arguments."""
    sent = body.model_fields_set
    earliest = current.break_earliest if current is not None else None
    latest = current.break_latest if current is not None else None
    break_s = current.break_s if current is not None else 0
    if "break_start_earliest" in sent:
        earliest = service.times.epoch(body.break_start_earliest, "break_start_earliest")
    if "break_start_latest" in sent:
        latest = service.times.epoch(body.break_start_latest, "break_start_latest")
    if "break_minutes" in sent:
        break_s = 60 * (body.break_minutes or 0)
    place = current.break_place if current is not None else None
    if "break_stop_id" in sent:
        place = None
        if body.break_stop_id is not None:
            place = resolve_place(service, Repository(service.engine), PlaceIn(stop_id=body.break_stop_id),
                                  "break_stop_id")
    if not break_s and "break_minutes" in sent:
        return {"break_earliest": None, "break_latest": None, "break_s": 0, "break_place": None}
    return {"break_earliest": earliest, "break_latest": latest, "break_s": break_s, "break_place": place}
