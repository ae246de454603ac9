"""Planning a vehicle shift: the database gives its id (and refuses overlapping shifts of the
vehicle), then the dispatcher puts it into service."""

from __future__ import annotations

from ride_pool.db.repository import Repository
from ride_pool.dispatch.domain import Place, VehicleShift


def plan_shift(service, vehicle, start: int, end: int, depot: Place, driver_id: int | None = None) -> VehicleShift:
    """A new shift of ``vehicle`` (a vehicles row): stored, then taking bookings at once."""
    row = Repository(service.engine).create_shift(vehicle.id, start, end, depot, driver_id=driver_id)
    return service.dispatcher.add_shift(row.id, vehicle.id, vehicle.label, vehicle.seats, vehicle.wheelchair_places,
                                        row.start, row.end, depot, driver_id=driver_id)
