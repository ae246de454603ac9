"""The imported timetable (tables ``gtfs_*``, migration 0005_gtfs) and the GTFS-Flex feed of the
service as stored: :func:`save_timetable` replaces the timetable in one transaction,
:func:`load_timetable` reads it back as the plain :class:`~ride_pool.gtfs.timetable.Timetable`
the dispatcher resolves connections against, and :func:`flex_feed` builds the feed
(:mod:`ride_pool.gtfs.flex`) from the stored service area, rules and stops."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ride_pool.db.models import (
    GtfsCalendar,
    GtfsCalendarDate,
    GtfsRoute,
    GtfsStop,
    GtfsStopTime,
    GtfsTrip,
    ServiceArea,
    Stop,
)
from ride_pool.dispatch.rules import ServiceRules
from ride_pool.gtfs import flex
from ride_pool.gtfs.timetable import Calendar, Route, ScheduledStop, StopTime, Timetable, Trip

TABLES = (GtfsCalendarDate, GtfsCalendar, GtfsStopTime, GtfsTrip, GtfsRoute, GtfsStop)
CHUNK = 5000


def _insert(session: Session, model, rows: list[dict]) -> None:
    for i in range(0, len(rows), CHUNK):
        session.execute(insert(model), rows[i:i + CHUNK])


def save_timetable(engine: Engine, tt: Timetable) -> dict[str, int]:
    """Replace the stored timetable by ``tt``; the counts written."""
    with Session(engine) as session, session.begin():
        for model in TABLES:
            session.execute(delete(model))
        _insert(session, GtfsStop, [{"stop_id": s.stop_id, "name": s.name[:200], "lat": s.lat, "lon": s.lon,
                                     "parent_station": s.parent_station} for s in tt.stops.values()])
        _insert(session, GtfsRoute, [{"route_id": r.route_id, "short_name": r.short_name[:100],
                                      "long_name": r.long_name[:200], "route_type": r.route_type}
                                     for r in tt.routes.values()])
        _insert(session, GtfsTrip, [{"trip_id": t.trip_id, "route_id": t.route_id, "service_id": t.service_id,
                                     "headsign": t.headsign[:200]} for t in tt.trips.values()])
        _insert(session, GtfsStopTime, [{"trip_id": s.trip_id, "stop_sequence": s.stop_sequence,
                                         "stop_id": s.stop_id, "arrival_s": s.arrival_s,
                                         "departure_s": s.departure_s} for s in tt.stop_times])
        _insert(session, GtfsCalendar, [{"service_id": c.service_id, "days": c.days, "start_date": c.start_date,
                                         "end_date": c.end_date} for c in tt.calendars.values()])
        _insert(session, GtfsCalendarDate, [{"service_id": k[0], "date": k[1], "exception_type": v}
                                            for k, v in tt.calendar_dates.items()])
    return {"stops": len(tt.stops), "routes": len(tt.routes), "trips": len(tt.trips),
            "stop_times": len(tt.stop_times), "calendar": len(tt.calendars),
            "calendar_dates": len(tt.calendar_dates)}


def load_timetable(engine: Engine, timezone: str = "Europe/Berlin") -> Timetable | None:
    """The stored timetable (None when none was imported)."""
    with Session(engine) as session:
        trips = {r.trip_id: Trip(r.trip_id, r.route_id, r.service_id, r.headsign)
                 for r in session.scalars(select(GtfsTrip))}
        if not trips:
            return None
        return Timetable(
            timezone,
            stops={r.stop_id: ScheduledStop(r.stop_id, r.name, r.lat, r.lon, r.parent_station)
                   for r in session.scalars(select(GtfsStop))},
            routes={r.route_id: Route(r.route_id, r.short_name, r.long_name, r.route_type)
                    for r in session.scalars(select(GtfsRoute))},
            trips=trips,
            stop_times=[StopTime(r.trip_id, r.stop_sequence, r.stop_id, r.arrival_s, r.departure_s)
                        for r in session.scalars(select(GtfsStopTime))],
            calendars={r.service_id: Calendar(r.service_id, r.days, r.start_date, r.end_date)
                       for r in session.scalars(select(GtfsCalendar))},
            calendar_dates={(r.service_id, r.date): r.exception_type
                            for r in session.scalars(select(GtfsCalendarDate))})


def flex_stops(engine: Engine) -> list[flex.FlexStop]:
    with Session(engine) as session:
        return [flex.FlexStop(s.id, s.name if not s.town or s.town in s.name else f"{s.town}, {s.name}",
                              s.lat, s.lon, s.code) for s in session.scalars(select(Stop).order_by(Stop.id))]


def stored_area(engine: Engine) -> tuple[ServiceRules, list | dict | None]:
    with Session(engine) as session:
        row = session.scalars(select(ServiceArea).order_by(ServiceArea.id)).first()
        if row is None:
            return ServiceRules(), None
        return ServiceRules.from_dict(row.rules), row.polygon


def flex_feed(rules: ServiceRules, polygon, stops: list[flex.FlexStop], publisher: flex.Publisher, today: date,
              fallback: list[tuple[float, float]] | None = None) -> dict[str, bytes]:
    """The feed's files; a service without a polygon is published as the rectangle around its
    stops (or ``fallback`` points, e.g. the road network's corners)."""
    if polygon is None:
        points = [(s.lon, s.lat) for s in stops] or list(fallback or [])
        if not points:
            raise ValueError("the service has neither a service area nor stops to publish")
        polygon = flex.bounding_polygon(points)
    return flex.build_feed(rules, polygon, stops, publisher, today)
