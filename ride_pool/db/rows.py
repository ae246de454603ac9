"""Conversions between the dispatcher's domain objects and the database's rows.

``*_to_row`` gives the column values of an object (plain Python numbers, so that numpy values
never reach the driver), ``*_from_row`` the object of a row; ``from_row(to_row(x)) == x`` for
every object the dispatcher makes.
"""

from __future__ import annotations

from typing import Any

from ride_pool.db.models import BookingRow, DriverReportRow, EventRow, OfferRow, ServiceArea, Shift, Vehicle
from ride_pool.dispatch.domain import (
    AskedPoint,
    Booking,
    BookingStatus,
    Connection,
    Event,
    EventKind,
    Offer,
    OutboxMessage,
    Place,
    ReportRecord,
    Step,
    StepKind,
    TripRequest,
    VehicleShift,
    idempotency_scope,
)
from ride_pool.dispatch.store import AreaSettings

#: the service area's row (``service_areas.name``) used when no name is given
DEFAULT_AREA = "default"


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


def place_to_dict(place: Place) -> dict[str, Any]:
    asked = place.asked
    return {"node": int(place.node), "lat": float(place.lat), "lon": float(place.lon),
            "name": place.name, "stop_id": _int_or_none(place.stop_id), "access": place.access or None,
            "walk_m": _int_or_none(place.walk_m), "asked_name": asked.name if asked else None,
            "asked_lat": float(asked.lat) if asked else None, "asked_lon": float(asked.lon) if asked else None}


def place_from_dict(data: dict[str, Any]) -> Place:
    asked = None
    if data.get("asked_lat") is not None and data.get("asked_lon") is not None:
        asked = AskedPoint(data.get("asked_name") or "", data["asked_lat"], data["asked_lon"])
    return Place(node=data["node"], lat=data["lat"], lon=data["lon"], name=data.get("name", ""),
                 stop_id=data.get("stop_id"), access=data.get("access") or "", walk_m=data.get("walk_m"),
                 asked=asked)


#: the columns of a place; a booking's ends also keep how the rider gets on and off (0004)
_PLACE_COLUMNS = ("node", "lat", "lon", "name", "stop_id")
_RIDER_PLACE_COLUMNS = _PLACE_COLUMNS + ("access", "walk_m", "asked_name", "asked_lat", "asked_lon")


def _place_columns(prefix: str, place: Place, names: tuple[str, ...] = _PLACE_COLUMNS) -> dict[str, Any]:
    data = place_to_dict(place)
    return {f"{prefix}_{name}": data[name] for name in names}


def _place_from_columns(prefix: str, row: Any, names: tuple[str, ...] = _PLACE_COLUMNS) -> Place:
    return place_from_dict({name: getattr(row, f"{prefix}_{name}") for name in names})


def booking_to_row(booking: Booking) -> dict[str, Any]:
    b = booking
    return {
        "booking_id": b.booking_id,
        "rider_id": _int_or_none(b.rider_id),
        **_place_columns("origin", b.origin, _RIDER_PLACE_COLUMNS),
        **_place_columns("destination", b.destination, _RIDER_PLACE_COLUMNS),
        "passengers": int(b.passengers),
        "wheelchairs": int(b.wheelchairs),
        "pickup_earliest": int(b.pickup_earliest),
        "pickup_latest": int(b.pickup_latest),
        "dropoff_latest": int(b.dropoff_latest),
        "max_ride_s": int(b.max_ride_s),
        "direct_s": int(b.direct_s),
        "direct_m": int(b.direct_m),
        "requested_time": int(b.requested_time),
        "status": BookingStatus(b.status),
        "vehicle_id": _int_or_none(b.vehicle_id),
        "created_at": int(b.created_at),
        "channel": b.channel,
        "offer_id": b.offer_id,
        "idempotency_key": b.idempotency_key,
        "idempotency_scope": None if b.idempotency_key is None else idempotency_scope(b.rider_id, b.channel),
        "idempotency_hash": b.idempotency_hash,
        "planned_pickup": _int_or_none(b.planned_pickup),
        "planned_dropoff": _int_or_none(b.planned_dropoff),
        "boarded_at": _int_or_none(b.boarded_at),
        "completed_at": _int_or_none(b.completed_at),
        "cancelled_at": _int_or_none(b.cancelled_at),
        "caller_name": b.caller_name,
        "caller_phone": b.caller_phone,
        "arrived_at": _int_or_none(b.arrived_at),
        "dropoff_arrived_at": _int_or_none(b.dropoff_arrived_at),
        "connection": b.connection.to_dict() if b.connection is not None else None,
        "pinned": bool(b.pinned),
        "sms_consent": bool(b.sms_consent),
        "needs": list(b.needs) if b.needs else None,
        "fare_cents": _int_or_none(b.fare_cents),
        "fare": b.fare,
        "series_id": _int_or_none(b.series_id),
    }


def booking_from_row(row: BookingRow) -> Booking:
    return Booking(
        booking_id=row.booking_id,
        rider_id=row.rider_id,
        origin=_place_from_columns("origin", row, _RIDER_PLACE_COLUMNS),
        destination=_place_from_columns("destination", row, _RIDER_PLACE_COLUMNS),
        passengers=row.passengers,
        wheelchairs=row.wheelchairs,
        pickup_earliest=row.pickup_earliest,
        pickup_latest=row.pickup_latest,
        dropoff_latest=row.dropoff_latest,
        max_ride_s=row.max_ride_s,
        direct_s=row.direct_s,
        direct_m=row.direct_m,
        requested_time=row.requested_time,
        status=BookingStatus(row.status),
        vehicle_id=row.vehicle_id,
        created_at=row.created_at,
        channel=row.channel,
        offer_id=row.offer_id,
        idempotency_key=row.idempotency_key,
        idempotency_hash=row.idempotency_hash,    # None for bookings stored before 0003: match any request
        planned_pickup=row.planned_pickup,
        planned_dropoff=row.planned_dropoff,
        boarded_at=row.boarded_at,
        completed_at=row.completed_at,
        cancelled_at=row.cancelled_at,
        caller_name=row.caller_name,
        caller_phone=row.caller_phone,
        arrived_at=row.arrived_at,
        dropoff_arrived_at=row.dropoff_arrived_at,
        connection=Connection.from_dict(row.connection),
        pinned=bool(row.pinned),
        sms_consent=bool(row.sms_consent),
        needs=tuple(row.needs or ()),
        fare_cents=row.fare_cents,
        fare=row.fare,
        series_id=row.series_id,
    )


def offer_to_row(offer: Offer) -> dict[str, Any]:
    o, r = offer, offer.request
    return {
        "offer_id": o.offer_id,
        "quote_id": o.quote_id,
        "rider_id": _int_or_none(r.rider_id),
        "request": {
            "origin": place_to_dict(r.origin),
            "destination": place_to_dict(r.destination),
            "passengers": int(r.passengers),
            "wheelchairs": int(r.wheelchairs),
            "pickup_after": _int_or_none(r.pickup_after),
            "arrive_by": _int_or_none(r.arrive_by),
            "channel": r.channel,
            # a phone caller's name and number only when given (app requests have none)
            **{name: getattr(r, name) for name in ("caller_name", "caller_phone") if getattr(r, name) is not None},
            # kept only for an unconfirmed account (the default, and every request stored before it, is True)
            **({"rider_confirmed": False} if not r.rider_confirmed else {}),
            **({"connection": r.connection.to_dict()} if r.connection is not None else {}),
            # issue 17: only when given
            **({"sms_consent": True} if r.sms_consent else {}),
            **({"needs": list(r.needs)} if r.needs else {}),
            **({"fare_group": [list(p) for p in r.fare_group]} if r.fare_group else {}),
            **({"series_id": int(r.series_id)} if r.series_id is not None else {}),
        },
        "pickup_earliest": int(o.pickup_earliest),
        "pickup_latest": int(o.pickup_latest),
        "dropoff_latest": int(o.dropoff_latest),
        "planned_pickup": int(o.planned_pickup),
        "planned_dropoff": int(o.planned_dropoff),
        "vehicle_id": int(o.vehicle_id),
        "expires_at": int(o.expires_at),
        "direct_s": int(o.direct_s),
        "direct_m": int(o.direct_m),
        "max_ride_s": int(o.max_ride_s),
        "alternative": bool(o.alternative),
        "booking_id": o.booking_id,
    }


def offer_from_row(row: OfferRow) -> Offer:
    r = row.request
    request = TripRequest(
        rider_id=row.rider_id,
        origin=place_from_dict(r["origin"]),
        destination=place_from_dict(r["destination"]),
        passengers=r["passengers"],
        wheelchairs=r["wheelchairs"],
        pickup_after=r.get("pickup_after"),
        arrive_by=r.get("arrive_by"),
        channel=r.get("channel", "app"),
        caller_name=r.get("caller_name"),
        caller_phone=r.get("caller_phone"),
        rider_confirmed=bool(r.get("rider_confirmed", True)),
        connection=Connection.from_dict(r.get("connection")),
        sms_consent=bool(r.get("sms_consent", False)),
        needs=tuple(r.get("needs", ())),
        fare_group=tuple((str(k), int(n)) for k, n in r.get("fare_group", ())),
        series_id=r.get("series_id"),
    )
    return Offer(
        offer_id=row.offer_id,
        quote_id=row.quote_id,
        request=request,
        pickup_earliest=row.pickup_earliest,
        pickup_latest=row.pickup_latest,
        dropoff_latest=row.dropoff_latest,
        planned_pickup=row.planned_pickup,
        planned_dropoff=row.planned_dropoff,
        vehicle_id=row.vehicle_id,
        expires_at=row.expires_at,
        direct_s=row.direct_s,
        direct_m=row.direct_m,
        max_ride_s=row.max_ride_s,
        alternative=row.alternative,
        booking_id=row.booking_id,
    )


def shift_to_row(shift: VehicleShift) -> dict[str, Any]:
    s = shift
    return {
        "id": int(s.shift_id),
        "vehicle_id": int(s.vehicle_id),
        "start": int(s.start),
        "end": int(s.end),
        "driver_id": _int_or_none(s.driver_id),
        "started": bool(s.started),
        "ended": bool(s.ended),
        **_place_columns("depot", s.depot),
        "anchor_node": int(s.anchor_node),
        "anchor_time": int(s.anchor_time),
        "route": [[step.booking_id, StepKind(step.kind).value] for step in s.route],
        "lat": _float_or_none(s.lat),
        "lon": _float_or_none(s.lon),
        "location_time": _int_or_none(s.location_time),
        "started_at": _int_or_none(s.started_at),
        "ended_at": _int_or_none(s.ended_at),
        "break_earliest": _int_or_none(s.break_earliest),
        "break_latest": _int_or_none(s.break_latest),
        "break_s": int(s.break_s or 0),
        "break_started_at": _int_or_none(s.break_started_at),
        "break_ended_at": _int_or_none(s.break_ended_at),
        "break_place": None if s.break_place is None else place_to_dict(s.break_place),
    }


def shift_from_row(row: Shift, vehicle: Vehicle) -> VehicleShift:
    return VehicleShift(
        shift_id=row.id,
        vehicle_id=row.vehicle_id,
        label=vehicle.label,
        seats=vehicle.seats,
        wheelchair_places=vehicle.wheelchair_places,
        start=row.start,
        end=row.end,
        depot=_place_from_columns("depot", row),
        anchor_node=row.anchor_node,
        anchor_time=row.anchor_time,
        route=[Step(booking_id, StepKind(kind)) for booking_id, kind in row.route],
        started=row.started,
        ended=row.ended,
        driver_id=row.driver_id,
        lat=row.lat,
        lon=row.lon,
        location_time=row.location_time,
        started_at=row.started_at,
        ended_at=row.ended_at,
        break_earliest=row.break_earliest,
        break_latest=row.break_latest,
        break_s=row.break_s or 0,
        break_started_at=row.break_started_at,
        break_ended_at=row.break_ended_at,
        break_place=None if row.break_place is None else place_from_dict(row.break_place),
    )


def vehicle_from_shift(shift: VehicleShift) -> dict[str, Any]:
    """The vehicle row of a shift whose vehicle has none yet."""
    return {"id": int(shift.vehicle_id), "label": shift.label, "seats": int(shift.seats),
            "wheelchair_places": int(shift.wheelchair_places), "depot_lat": float(shift.depot.lat),
            "depot_lon": float(shift.depot.lon), "active": True}


def report_to_row(record: ReportRecord) -> dict[str, Any]:
    return {"driver_id": int(record.driver_id), "idempotency_key": record.key, "request_hash": record.request_hash,
            "report": record.report, "target": record.target[:120], "answer": dict(record.answer),
            "created_at": int(record.created_at)}


def report_from_row(row: DriverReportRow) -> ReportRecord:
    return ReportRecord(driver_id=row.driver_id, key=row.idempotency_key, request_hash=row.request_hash,
                        report=row.report, target=row.target, answer=dict(row.answer), created_at=row.created_at)


def event_to_row(event: Event) -> dict[str, Any]:
    return {
        "time": int(event.time),
        "kind": EventKind(event.kind).value,
        "cause": str(event.cause or ""),
        "booking_id": event.booking_id,
        "vehicle_id": _int_or_none(event.vehicle_id),
        "shift_id": _int_or_none(event.shift_id),
        "rider_id": _int_or_none(event.rider_id),
        "data": dict(event.data),
    }


def event_from_row(row: EventRow) -> Event:
    return Event(
        time=row.time,
        kind=EventKind(row.kind),
        cause=row.cause,
        booking_id=row.booking_id,
        vehicle_id=row.vehicle_id,
        shift_id=row.shift_id,
        rider_id=row.rider_id,
        data=row.data,
    )


def _ring(points) -> list[list[float]]:
    return [[float(lon), float(lat)] for lon, lat in points]


def area_to_row(area: AreaSettings, name: str = DEFAULT_AREA) -> dict[str, Any]:
    """The area's row; a polygon with holes is kept as a GeoJSON Polygon (outer ring, then holes)."""
    polygon = area.polygon
    if isinstance(polygon, dict):
        polygon = {"type": "Polygon", "coordinates": [_ring(ring) for ring in polygon["coordinates"]]}
    elif polygon is not None:
        polygon = _ring(polygon)
    return {"name": name, "rules": dict(area.rules), "polygon": polygon}


def area_from_row(row: ServiceArea) -> AreaSettings:
    """The area's settings; a GeoJSON Polygon without holes comes back as its outer ring, one
    with holes as a GeoJSON Polygon."""
    polygon = row.polygon
    if isinstance(polygon, dict):
        rings = [[list(p) for p in ring] for ring in polygon.get("coordinates") or []]
        polygon = None if not rings else rings[0] if len(rings) == 1 else {"type": "Polygon", "coordinates": rings}
    elif polygon is not None:
        polygon = [list(p) for p in polygon]
    return AreaSettings(rules=dict(row.rules or {}), polygon=polygon)


def outbox_to_row(m: OutboxMessage) -> dict[str, Any]:
    """An outbox message as written with its change: pending, due at once."""
    return {"message_id": m.message_id, "kind": str(m.kind), "created_at": int(m.created_at),
            "booking_id": m.booking_id, "rider_id": _int_or_none(m.rider_id), "phone": m.phone,
            "data": m.data, "status": "pending", "due_at": int(m.created_at), "attempts": 0}
