"""The service as a GTFS-Flex v2 feed: what trip planners (OpenTripPlanner, stadtnavi) and the
national access point read to show a demand-responsive service.

:func:`build_feed` turns the service area, its rules and its stops into the files of a feed
(names and fields as the GTFS Schedule reference defines them); :func:`feed_zip` packs them.

* ``agency.txt``, ``feed_info.txt`` - who runs it (:class:`Publisher`).
* ``routes.txt`` - one demand-responsive bus route (``route_type`` 715, "Demand and Response Bus
  Service" of the extended route types, which OpenTripPlanner reads).
* ``calendar.txt`` - one service per distinct set of operating hours (weekdays with the same
  hours share one); ``calendar_dates.txt`` - the closed days (rule ``holidays``) as removed
  dates (``exception_type`` 2).
* ``locations.geojson`` - the service area as one zone (a GeoJSON Polygon feature).
* ``stops.txt`` - the stops (``stop_id`` is the stop's DHID, e.g. ``de:14627:4852``, where it is
  known, else ``rp-<id>``); ``location_groups.txt``/``location_group_stops.txt`` - the stops as
  one group, for the stop-based service.
* ``trips.txt`` and ``stop_times.txt`` - per service one trip in the zone (door to door, when the
  rule ``door_to_door`` is not ``"none"``) and one between the stops of the group; each has two
  stop times (pickup, then drop-off) with ``start_pickup_drop_off_window`` /
  ``end_pickup_drop_off_window`` = the operating hours and ``pickup_type``/``drop_off_type`` 2
  ("must phone/book") or 1 (not here).
* ``booking_rules.txt`` - the rules: ``same_day`` (``booking_type`` 1,
  ``prior_notice_duration_min`` = the minimum lead time, ``prior_notice_duration_max`` = the
  booking horizon) and, when there is an early-trip rule, ``evening_before`` (``booking_type`` 2,
  ``prior_notice_last_day`` 1, ``prior_notice_last_time`` = ``early_trip_book_by``) for the
  windows before ``early_trip_before``; phone number, booking URL and a German message.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta

from ride_pool.dispatch.rules import WEEKDAYS, ServiceRules

#: the files of a feed in the order they are written
FILES = ("agency.txt", "feed_info.txt", "routes.txt", "calendar.txt", "calendar_dates.txt", "stops.txt",
         "locations.geojson", "location_groups.txt", "location_group_stops.txt", "trips.txt", "stop_times.txt",
         "booking_rules.txt")
#: GTFS extended route type "Demand and Response Bus Service"
ROUTE_TYPE_DEMAND_RESPONSIVE = 715
AGENCY_ID, ROUTE_ID, ZONE_ID, GROUP_ID = "ride_pool", "rufbus", "service_area", "rufbus_stops"
SAME_DAY, EVENING_BEFORE = "same_day", "evening_before"
#: pickup_type / drop_off_type: 1 = none here, 2 = must phone (book) the agency
NONE, BOOK = 1, 2


@dataclass(frozen=True)
class Publisher:
    """Who publishes the feed and how riders book (``agency.txt``, ``feed_info.txt``, the rules)."""

    agency_name: str = "Rufbus"
    agency_url: str = "http://localhost:8000/"
    phone: str = ""
    booking_url: str = "http://localhost:8000/"
    email: str = ""
    route_name: str = "Rufbus"
    #: how many days ``calendar.txt`` and ``feed_info.txt`` cover from the export day
    days: int = 365


@dataclass(frozen=True)
class FlexStop:
    """A stop of the service: its id in the database, DHID (or other code), name, position."""

    id: int
    name: str
    lat: float
    lon: float
    code: str | None = None

    @property
    def gtfs_id(self) -> str:
        """The DHID (``de:...``) when the stop has one, so the feed's stops match the region's
        timetable feeds; else ``rp-<id>``."""
        code = (self.code or "").strip()
        return code if code.lower().startswith("de:") else f"rp-{self.id}"


def _hhmmss(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00"


def _minutes(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def _csv(header: list[str], rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n", extrasaction="raise")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else row.get(k) for k in header})
    return out.getvalue().encode("utf-8")


def _polygon_rings(polygon) -> list[list[list[float]]]:
    """The rings of a service-area polygon (a ring of ``[lon, lat]`` or a GeoJSON Polygon), each
    closed (first point repeated at its end) and counter-clockwise for the outer ring."""
    rings = polygon.get("coordinates") if isinstance(polygon, dict) else [polygon]
    out = []
    for number, ring in enumerate(rings):
        pts = [[float(x), float(y)] for x, y in ring]
        if pts[0] != pts[-1]:
            pts.append(list(pts[0]))
        area2 = sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(pts, pts[1:]))
        if (number == 0) == (area2 < 0):    # RFC 7946: outer rings counter-clockwise, holes clockwise
            pts.reverse()
        out.append(pts)
    return out


def service_groups(rules: ServiceRules) -> list[tuple[str, tuple[str, str], list[str]]]:
    """``(service_id, (open, close), weekdays)`` for each distinct span of operating hours."""
    spans: dict[tuple[str, str], list[str]] = {}
    for day in WEEKDAYS:
        span = rules.operating_hours.get(day)
        if span:
            spans.setdefault((span[0], span[1]), []).append(day)
    return [(f"hours_{a.replace(':', '')}_{b.replace(':', '')}", (a, b), days) for (a, b), days in spans.items()]


def _windows(rules: ServiceRules, span: tuple[str, str]) -> list[tuple[int, int, str]]:
    """The windows of one day's span as ``(start min, end min, booking rule)``: before
    ``early_trip_before`` booked the evening before, the rest the same day."""
    a, b = _minutes(span[0]), _minutes(span[1])
    if rules.early_trip_before is None:
        return [(a, b, SAME_DAY)]
    early = _minutes(rules.early_trip_before)
    if early <= a:
        return [(a, b, SAME_DAY)]
    if early >= b:
        return [(a, b, EVENING_BEFORE)]
    return [(a, early, EVENING_BEFORE), (early, b, SAME_DAY)]


def build_feed(rules: ServiceRules, polygon, stops: list[FlexStop], publisher: Publisher, today: date,
               *, area_name: str = "Rufbus-Bediengebiet") -> dict[str, bytes]:
    """The files of the GTFS-Flex feed (file name -> bytes). ``polygon`` is the service area (a
    ring of ``[lon, lat]`` or a GeoJSON Polygon; the caller gives a fallback when the service has
    none); ``today`` is the export's local day (the calendar's first day)."""
    end = today + timedelta(days=publisher.days)
    d8 = "%Y%m%d"
    files: dict[str, bytes] = {}
    files["agency.txt"] = _csv(
        ["agency_id", "agency_name", "agency_url", "agency_timezone", "agency_lang", "agency_phone", "agency_email"],
        [{"agency_id": AGENCY_ID, "agency_name": publisher.agency_name, "agency_url": publisher.agency_url,
          "agency_timezone": rules.timezone, "agency_lang": "de", "agency_phone": publisher.phone or None,
          "agency_email": publisher.email or None}])
    files["feed_info.txt"] = _csv(
        ["feed_publisher_name", "feed_publisher_url", "feed_lang", "default_lang", "feed_start_date", "feed_end_date",
         "feed_version", "feed_contact_email", "feed_contact_url"],
        [{"feed_publisher_name": publisher.agency_name, "feed_publisher_url": publisher.agency_url, "feed_lang": "de",
          "default_lang": "de", "feed_start_date": today.strftime(d8), "feed_end_date": end.strftime(d8),
          "feed_version": today.strftime(d8), "feed_contact_email": publisher.email or None,
          "feed_contact_url": publisher.agency_url}])
    files["routes.txt"] = _csv(
        ["route_id", "agency_id", "route_short_name", "route_long_name", "route_desc", "route_type", "route_url"],
        [{"route_id": ROUTE_ID, "agency_id": AGENCY_ID, "route_short_name": publisher.route_name,
          "route_long_name": f"{publisher.route_name} (auf Bestellung)",
          "route_desc": "Rufbus: fährt nur nach Buchung, im ganzen Bediengebiet oder zwischen seinen Haltestellen",
          "route_type": ROUTE_TYPE_DEMAND_RESPONSIVE, "route_url": publisher.booking_url}])
    groups = service_groups(rules)
    files["calendar.txt"] = _csv(
        ["service_id", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "start_date",
         "end_date"],
        [{"service_id": sid, **{name: int(day in days) for day, name in zip(
            WEEKDAYS, ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))},
          "start_date": today.strftime(d8), "end_date": end.strftime(d8)} for sid, _, days in groups])
    closed = []
    for text in rules.holidays:
        day = date.fromisoformat(text)
        if today <= day <= end:
            for sid, _, days in groups:
                if WEEKDAYS[day.weekday()] in days:
                    closed.append({"service_id": sid, "date": day.strftime(d8), "exception_type": 2})
    files["calendar_dates.txt"] = _csv(["service_id", "date", "exception_type"], closed)
    files["stops.txt"] = _csv(
        ["stop_id", "stop_code", "stop_name", "stop_lat", "stop_lon", "location_type"],
        [{"stop_id": s.gtfs_id, "stop_code": s.code or None, "stop_name": s.name, "stop_lat": f"{s.lat:.6f}",
          "stop_lon": f"{s.lon:.6f}", "location_type": 0} for s in stops])
    files["locations.geojson"] = json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "id": ZONE_ID,
        "properties": {"stop_name": area_name, "stop_desc": "Bediengebiet des Rufbusses: Abholung und Ziel "
                       "an jeder Adresse darin"},
        "geometry": {"type": "Polygon", "coordinates": _polygon_rings(polygon)}}]},
        ensure_ascii=False).encode("utf-8")
    files["location_groups.txt"] = _csv(["location_group_id", "location_group_name"],
                                        [{"location_group_id": GROUP_ID, "location_group_name":
                                          "Rufbus-Haltestellen"}] if stops else [])
    files["location_group_stops.txt"] = _csv(["location_group_id", "stop_id"],
                                             [{"location_group_id": GROUP_ID, "stop_id": s.gtfs_id} for s in stops])
    trips, stop_times = [], []
    places = []
    if rules.door_to_door != "none":
        places.append(("zone", "location_id", ZONE_ID))
    if stops:
        places.append(("stops", "location_group_id", GROUP_ID))
    for sid, span, _days in groups:
        for start, stop, rule in _windows(rules, span):
            for kind, column, place in places:
                trip_id = f"{sid}_{kind}_{start:04d}"
                trips.append({"route_id": ROUTE_ID, "service_id": sid, "trip_id": trip_id,
                              "trip_headsign": publisher.route_name})
                for seq, (pickup, drop_off) in enumerate(((BOOK, NONE), (NONE, BOOK)), start=1):
                    stop_times.append({
                        "trip_id": trip_id, column: place, "stop_sequence": seq,
                        "start_pickup_drop_off_window": _hhmmss(start), "end_pickup_drop_off_window": _hhmmss(stop),
                        "pickup_type": pickup, "drop_off_type": drop_off,
                        "pickup_booking_rule_id": rule if pickup == BOOK else None,
                        "drop_off_booking_rule_id": rule if drop_off == BOOK else None})
    files["trips.txt"] = _csv(["route_id", "service_id", "trip_id", "trip_headsign"], trips)
    files["stop_times.txt"] = _csv(
        ["trip_id", "stop_id", "location_group_id", "location_id", "stop_sequence", "arrival_time", "departure_time",
         "start_pickup_drop_off_window", "end_pickup_drop_off_window", "pickup_type", "drop_off_type",
         "pickup_booking_rule_id", "drop_off_booking_rule_id"], stop_times)
    phone = publisher.phone or None
    lead_min = max(0, (rules.min_lead_s + 59) // 60)
    rules_rows = [{
        "booking_rule_id": SAME_DAY, "booking_type": 1, "prior_notice_duration_min": lead_min,
        "prior_notice_duration_max": rules.horizon_s // 60,
        "message": f"Bitte mindestens {lead_min} Minuten vor der Fahrt buchen: in der App, auf der Webseite "
                   "oder am Telefon. Der Rufbus fährt nur nach Buchung.",
        "phone_number": phone, "info_url": publisher.booking_url, "booking_url": publisher.booking_url}]
    if rules.early_trip_before is not None:
        rules_rows.append({
            "booking_rule_id": EVENING_BEFORE, "booking_type": 2, "prior_notice_last_day": 1,
            "prior_notice_last_time": f"{rules.early_trip_book_by}:00",
            "prior_notice_start_day": max(1, rules.horizon_s // 86400), "prior_notice_start_time": "00:00:00",
            "message": f"Fahrten vor {rules.early_trip_before} Uhr bitte bis {rules.early_trip_book_by} Uhr am "
                       "Vortag buchen: in der App, auf der Webseite oder am Telefon.",
            "phone_number": phone, "info_url": publisher.booking_url, "booking_url": publisher.booking_url})
    files["booking_rules.txt"] = _csv(
        ["booking_rule_id", "booking_type", "prior_notice_duration_min", "prior_notice_duration_max",
         "prior_notice_last_day", "prior_notice_last_time", "prior_notice_start_day", "prior_notice_start_time",
         "message", "phone_number", "info_url", "booking_url"], rules_rows)
    return {name: files[name] for name in FILES}


def feed_zip(files: dict[str, bytes]) -> bytes:
    """The feed as one zip file (fixed timestamps: the same feed gives the same bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return out.getvalue()


def bounding_polygon(points: list[tuple[float, float]], margin: float = 0.01) -> list[list[float]]:
    """A rectangle around ``(lon, lat)`` points (the zone of a service without a polygon)."""
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    w, e, s, n = min(lons) - margin, max(lons) + margin, min(lats) - margin, max(lats) + margin
    return [[w, s], [e, s], [e, n], [w, n]]
