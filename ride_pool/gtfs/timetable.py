"""Timetables of the scheduled lines the service meets: read from a GTFS feed, kept as plain data.

:func:`read_feed` reads ``stops.txt``, ``routes.txt``, ``trips.txt``, ``stop_times.txt``,
``calendar.txt`` and ``calendar_dates.txt`` of a GTFS zip (every problem named with its file and
line: :class:`FeedError`); :class:`Timetable` answers which trips leave or arrive at a stop after a
time (:meth:`Timetable.departures`) and when one trip calls at a stop on a day
(:meth:`Timetable.call`). Times are epoch seconds; a GTFS time counts from noon minus 12 h of its
service day (local time of the feed's agency), so trips past midnight (``25:10:00``) work.

A stop asked for by a station's id also finds the calls at its platforms (stops whose
``parent_station`` is the station, or whose id starts with the station's id and ``:``, as German
DHIDs of platforms do: ``de:14627:8000:1:2`` belongs to ``de:14627:8000``).

Plain data only (no database, no dispatcher): the database keeps the same rows
(:mod:`ride_pool.db.timetable`), and the simulator builds a :class:`Timetable` from a feed itself.
"""

from __future__ import annotations

import csv
import io
import zipfile
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

REQUIRED = ("stops.txt", "routes.txt", "trips.txt", "stop_times.txt")
#: the most rows of one file the import reads (a county's lines have far fewer)
MAX_ROWS = 2_000_000


class FeedError(ValueError):
    """A GTFS feed that cannot be read; the message names the file, line and field."""


@dataclass(frozen=True)
class ScheduledStop:
    stop_id: str
    name: str
    lat: float
    lon: float
    parent_station: str | None = None


@dataclass(frozen=True)
class Route:
    route_id: str
    short_name: str = ""
    long_name: str = ""
    route_type: int = 3

    @property
    def name(self) -> str:
        return self.short_name or self.long_name or self.route_id


@dataclass(frozen=True)
class Trip:
    trip_id: str
    route_id: str
    service_id: str
    headsign: str = ""


@dataclass(frozen=True)
class StopTime:
    trip_id: str
    stop_sequence: int
    stop_id: str
    arrival_s: int
    departure_s: int


@dataclass(frozen=True)
class Calendar:
    service_id: str
    days: str           # seven "0"/"1", Monday first
    start_date: str     # YYYYMMDD
    end_date: str


@dataclass(frozen=True)
class Call:
    """A trip at a stop on one service day: scheduled arrival and departure (epoch s)."""

    trip_id: str
    stop_id: str
    stop_name: str
    service_date: str       # YYYY-MM-DD
    arrival: int
    departure: int
    route_name: str
    route_type: int
    headsign: str


def parse_time(text: str) -> int:
    """``H:MM:SS`` (hours may pass 24) as seconds."""
    parts = text.strip().split(":")
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or int(parts[1]) > 59 or int(parts[2]) > 59:
        raise ValueError(text)
    return int(parts[0]) * 3600 + int(parts[1]) * 60 + int(parts[2])


@dataclass
class Timetable:
    """The scheduled stops, routes, trips, stop times and calendars of one or more feeds."""

    timezone: str = "Europe/Berlin"
    stops: dict[str, ScheduledStop] = field(default_factory=dict)
    routes: dict[str, Route] = field(default_factory=dict)
    trips: dict[str, Trip] = field(default_factory=dict)
    stop_times: list[StopTime] = field(default_factory=list)
    calendars: dict[str, Calendar] = field(default_factory=dict)
    #: (service_id, YYYYMMDD) -> 1 added, 2 removed
    calendar_dates: dict[tuple[str, str], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._index()

    def _index(self) -> None:
        self._tz = ZoneInfo(self.timezone)
        by_stop: dict[str, list[StopTime]] = {}
        by_trip: dict[str, list[StopTime]] = {}
        for st in self.stop_times:
            by_stop.setdefault(st.stop_id, []).append(st)
            by_trip.setdefault(st.trip_id, []).append(st)
        for calls in by_stop.values():
            calls.sort(key=lambda s: s.departure_s)
        for calls in by_trip.values():
            calls.sort(key=lambda s: s.stop_sequence)
        self._by_stop, self._by_trip = by_stop, by_trip
        children: dict[str, list[str]] = {}
        for s in self.stops.values():
            if s.parent_station:
                children.setdefault(s.parent_station, []).append(s.stop_id)
        self._children = children

    # ------------------------------------------------------------------ calendar
    def runs_on(self, service_id: str, day: date) -> bool:
        key = day.strftime("%Y%m%d")
        exception = self.calendar_dates.get((service_id, key))
        if exception is not None:
            return exception == 1
        cal = self.calendars.get(service_id)
        return bool(cal and cal.start_date <= key <= cal.end_date and cal.days[day.weekday()] == "1")

    def _day_start(self, day: date) -> int:
        """Epoch seconds of the service day's 00:00 as GTFS counts it (noon minus 12 h)."""
        noon = datetime.combine(day, time(12), self._tz)
        return int(noon.timestamp()) - 12 * 3600

    def stop_ids(self, stop_id: str) -> list[str]:
        """``stop_id`` and its platforms (children, or ids below it as DHIDs are)."""
        ids = [stop_id] + self._children.get(stop_id, [])
        prefix = stop_id + ":"
        ids += [s for s in self._by_stop if s.startswith(prefix) and s not in ids]
        return ids

    def _call(self, st: StopTime, day: date) -> Call:
        trip = self.trips[st.trip_id]
        route = self.routes.get(trip.route_id, Route(trip.route_id))
        start = self._day_start(day)
        stop = self.stops.get(st.stop_id)
        return Call(st.trip_id, st.stop_id, stop.name if stop else st.stop_id, day.isoformat(),
                    start + st.arrival_s, start + st.departure_s, route.name, route.route_type,
                    trip.headsign or self._last_stop_name(st.trip_id))

    def _last_stop_name(self, trip_id: str) -> str:
        calls = self._by_trip.get(trip_id) or []
        stop = self.stops.get(calls[-1].stop_id) if calls else None
        return stop.name if stop else ""

    # ------------------------------------------------------------------ questions
    def departures(self, stop_id: str, after: int, limit: int = 10, *, arrivals: bool = False,
                   within_s: int = 2 * 86400) -> list[Call]:
        """The next ``limit`` calls at ``stop_id`` (and its platforms) that leave (``arrivals``:
        arrive) at or after ``after``, within ``within_s``, in time order; calls where the trip
        ends (``arrivals`` False) or begins (``arrivals`` True) are left out."""
        out: list[Call] = []
        local_day = datetime.fromtimestamp(after, self._tz).date()
        for offset in range(-1, within_s // 86400 + 1):
            day = local_day + timedelta(days=offset)
            start = self._day_start(day)
            for sid in self.stop_ids(stop_id):
                calls = self._by_stop.get(sid, [])
                i = bisect_left([c.departure_s for c in calls], after - start) if not arrivals else 0
                for st in calls[i:]:
                    t = start + (st.arrival_s if arrivals else st.departure_s)
                    if t < after or t > after + within_s:
                        continue
                    trip = self.trips.get(st.trip_id)
                    if trip is None or not self.runs_on(trip.service_id, day):
                        continue
                    seq = self._by_trip[st.trip_id]
                    if (not arrivals and st is seq[-1]) or (arrivals and st is seq[0]):
                        continue
                    out.append(self._call(st, day))
        out.sort(key=lambda c: (c.arrival if arrivals else c.departure, c.trip_id))
        return out[:limit]

    def call(self, trip_id: str, stop_id: str, service_date: date | None = None, *,
             not_before: int | None = None) -> Call | None:
        """``trip_id`` at ``stop_id`` (or a platform of it) on ``service_date``, or, without a
        date, its first run whose call there is at or after ``not_before``; None if there is none."""
        trip = self.trips.get(trip_id)
        if trip is None:
            return None
        ids = set(self.stop_ids(stop_id))
        st = next((s for s in self._by_trip.get(trip_id, []) if s.stop_id in ids), None)
        if st is None:
            return None
        if service_date is not None:
            return self._call(st, service_date) if self.runs_on(trip.service_id, service_date) else None
        after = int(not_before or 0)
        first = datetime.fromtimestamp(after, self._tz).date() - timedelta(days=1)
        for offset in range(0, 9):
            day = first + timedelta(days=offset)
            if self.runs_on(trip.service_id, day) and self._day_start(day) + st.arrival_s >= after:
                return self._call(st, day)
        return None

    def has_trip(self, trip_id: str) -> bool:
        return trip_id in self.trips

    def __len__(self) -> int:
        return len(self.trips)


# ---------------------------------------------------------------------- reading feeds
def _rows(z: zipfile.ZipFile, name: str, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    try:
        raw = z.read(name)
    except KeyError:
        if name in REQUIRED:
            raise FeedError(f"{name} is missing from the feed") from None
        return []
    text = raw.decode("utf-8-sig", errors="replace")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in required if c not in header]
    if missing:
        raise FeedError(f"{name}: the column {', '.join(missing)} is missing")
    out = []
    for number, row in enumerate(reader, start=2):
        if number > MAX_ROWS:
            raise FeedError(f"{name}: more than {MAX_ROWS} rows")
        out.append((number, {k: (v or "").strip() for k, v in row.items() if k is not None}))
    return out


def read_feed(source: str | Path | bytes) -> Timetable:
    """The timetable of the GTFS zip ``source`` (a path or the file's bytes)."""
    try:
        z = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise FeedError(f"not a GTFS zip file: {exc}") from None
    with z:
        agency = _rows(z, "agency.txt", ())
        tz = next((r.get("agency_timezone") for _, r in agency if r.get("agency_timezone")), "Europe/Berlin")
        try:
            ZoneInfo(tz)
        except Exception:
            raise FeedError(f"agency.txt: unknown agency_timezone {tz!r}") from None
        stops, routes, trips, times, calendars, dates = {}, {}, {}, [], {}, {}

        def bad(name, number, what):
            return FeedError(f"{name} line {number}: {what}")

        for number, r in _rows(z, "stops.txt", ("stop_id",)):
            if r.get("location_type", "0") not in ("", "0", "1"):
                continue        # entrances, generic nodes, boarding areas
            try:
                lat, lon = float(r.get("stop_lat") or "nan"), float(r.get("stop_lon") or "nan")
            except ValueError:
                raise bad("stops.txt", number, "stop_lat/stop_lon are not numbers") from None
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise bad("stops.txt", number, "stop_lat/stop_lon are missing or out of range")
            if not r["stop_id"]:
                raise bad("stops.txt", number, "stop_id is empty")
            stops[r["stop_id"]] = ScheduledStop(r["stop_id"], r.get("stop_name", ""), lat, lon,
                                                r.get("parent_station") or None)
        for number, r in _rows(z, "routes.txt", ("route_id", "route_type")):
            try:
                routes[r["route_id"]] = Route(r["route_id"], r.get("route_short_name", ""),
                                              r.get("route_long_name", ""), int(r["route_type"]))
            except ValueError:
                raise bad("routes.txt", number, "route_type is not a whole number") from None
        for number, r in _rows(z, "trips.txt", ("route_id", "service_id", "trip_id")):
            if r["route_id"] not in routes:
                raise bad("trips.txt", number, f"route_id {r['route_id']!r} is not in routes.txt")
            trips[r["trip_id"]] = Trip(r["trip_id"], r["route_id"], r["service_id"], r.get("trip_headsign", ""))
        for number, r in _rows(z, "stop_times.txt", ("trip_id", "stop_id", "stop_sequence")):
            if r["trip_id"] not in trips:
                raise bad("stop_times.txt", number, f"trip_id {r['trip_id']!r} is not in trips.txt")
            if r["stop_id"] not in stops:
                raise bad("stop_times.txt", number, f"stop_id {r['stop_id']!r} is not in stops.txt")
            arr, dep = r.get("arrival_time", ""), r.get("departure_time", "")
            if not arr and not dep:
                continue    # an untimed stop between timepoints: not a place to meet
            try:
                a = parse_time(arr or dep)
                d = parse_time(dep or arr)
                seq = int(r["stop_sequence"])
            except ValueError:
                raise bad("stop_times.txt", number, "arrival_time/departure_time must be HH:MM:SS and "
                          "stop_sequence a whole number") from None
            times.append(StopTime(r["trip_id"], seq, r["stop_id"], a, d))
        for number, r in _rows(z, "calendar.txt", ("service_id", "monday", "tuesday", "wednesday", "thursday",
                                                   "friday", "saturday", "sunday", "start_date", "end_date")):
            days = "".join(r[d] for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                                          "sunday"))
            if any(c not in "01" for c in days) or len(days) != 7:
                raise bad("calendar.txt", number, "the weekdays must be 0 or 1")
            for key in ("start_date", "end_date"):
                if len(r[key]) != 8 or not r[key].isdigit():
                    raise bad("calendar.txt", number, f"{key} must be YYYYMMDD")
            calendars[r["service_id"]] = Calendar(r["service_id"], days, r["start_date"], r["end_date"])
        for number, r in _rows(z, "calendar_dates.txt", ("service_id", "date", "exception_type")):
            if r["exception_type"] not in ("1", "2") or len(r["date"]) != 8 or not r["date"].isdigit():
                raise bad("calendar_dates.txt", number, "date must be YYYYMMDD and exception_type 1 or 2")
            dates[(r["service_id"], r["date"])] = int(r["exception_type"])
    if not calendars and not dates:
        raise FeedError("the feed has neither calendar.txt nor calendar_dates.txt")
    return Timetable(tz, stops, routes, trips, times, calendars, dates)
