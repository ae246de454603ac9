"""A small GTFS timetable feed for the tests, built from the shared VVO station list
(``$RIDE_POOL_DATA_DIR/gtfs/vvo_stations.csv``; read here, never copied into the repository).

Two lines through stations of Landkreis Meißen: ``RE50`` (Riesa - Priestewitz - Coswig) and
``RB31`` (Großenhain - Priestewitz - Coswig), every hour on weekdays, with one trip that runs past
midnight and one Sunday extra (calendar_dates)."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from pathlib import Path

import pytest

DATA = Path(os.environ.get("RIDE_POOL_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data"))
STATIONS_FILE = DATA / "gtfs" / "vvo_stations.csv"
#: DHIDs of the stations used (all in the VVO list)
RIESA, PRIESTEWITZ, COSWIG, GROSSENHAIN = "de:14627:5500", "de:14627:5100", "de:14627:4180", "de:14627:5021"


def stations() -> dict[str, dict]:
    if not STATIONS_FILE.is_file():
        pytest.skip(f"the shared VVO station list is missing: {STATIONS_FILE}")
    with STATIONS_FILE.open(encoding="utf-8") as f:
        rows = {r["id"]: r for r in csv.DictReader(f)}
    return {k: rows[k] for k in (RIESA, PRIESTEWITZ, COSWIG, GROSSENHAIN)}


def _csv(header, rows) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue()


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00"


def feed_bytes(start_date: str = "20260101", end_date: str = "20271231") -> bytes:
    """The feed as zip bytes. RE50 leaves Riesa at :05 and is in Priestewitz at :20 (departs :21)
    and Coswig at :40, hours 5-22; RB31 leaves Großenhain at :30, Priestewitz :42, Coswig :58,
    hours 6-20; trip ``RE50-2310`` runs 23:10 -> 24:25 (past midnight)."""
    st = stations()
    stops = [(sid, f"{st[sid]['city']} {st[sid]['name']}", st[sid]["latitude"], st[sid]["longitude"])
             for sid in st]
    trips, times = [], []
    for hour in range(5, 23):
        tid = f"RE50-{hour:02d}05"
        trips.append(("RE50", "weekdays", tid, "Dresden Hbf"))
        m = hour * 60 + 5
        times += [(tid, hhmm(m), hhmm(m), RIESA, 1), (tid, hhmm(m + 15), hhmm(m + 16), PRIESTEWITZ, 2),
                  (tid, hhmm(m + 35), hhmm(m + 35), COSWIG, 3)]
    for hour in range(6, 21):
        tid = f"RB31-{hour:02d}30"
        trips.append(("RB31", "weekdays", tid, "Dresden Hbf"))
        m = hour * 60 + 30
        times += [(tid, hhmm(m), hhmm(m), GROSSENHAIN, 1), (tid, hhmm(m + 12), hhmm(m + 12), PRIESTEWITZ, 2),
                  (tid, hhmm(m + 28), hhmm(m + 28), COSWIG, 3)]
    trips.append(("RE50", "weekdays", "RE50-2310", "Dresden Hbf"))
    times += [("RE50-2310", "23:10:00", "23:10:00", RIESA, 1), ("RE50-2310", "24:05:00", "24:06:00", PRIESTEWITZ, 2),
              ("RE50-2310", "24:25:00", "24:25:00", COSWIG, 3)]
    files = {
        "agency.txt": _csv(["agency_id", "agency_name", "agency_url", "agency_timezone"],
                           [("db", "DB Regio (test)", "https://example.org/", "Europe/Berlin")]),
        "stops.txt": _csv(["stop_id", "stop_name", "stop_lat", "stop_lon"], stops),
        "routes.txt": _csv(["route_id", "agency_id", "route_short_name", "route_long_name", "route_type"],
                           [("RE50", "db", "RE50", "Leipzig - Dresden", 2),
                            ("RB31", "db", "RB31", "Elsterwerda - Dresden", 2)]),
        "trips.txt": _csv(["route_id", "service_id", "trip_id", "trip_headsign"], trips),
        "stop_times.txt": _csv(["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"], times),
        "calendar.txt": _csv(["service_id", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                              "sunday", "start_date", "end_date"],
                             [("weekdays", 1, 1, 1, 1, 1, 0, 0, start_date, end_date)]),
        "calendar_dates.txt": _csv(["service_id", "date", "exception_type"], [("weekdays", "20261225", 2)]),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return out.getvalue()


def write_feed(path: Path) -> Path:
    path.write_bytes(feed_bytes())
    return path


def daily_feed_bytes(start_date: str = "20260101", end_date: str = "20281231") -> bytes:
    """A feed for tests at any hour (the browser journey): ``RE50R`` Coswig -> Priestewitz ->
    Riesa every 20 minutes from 00:10 to 23:50 on every day."""
    st = stations()
    stops = [(sid, f"{st[sid]['city']} {st[sid]['name']}", st[sid]["latitude"], st[sid]["longitude"])
             for sid in st]
    trips, times = [], []
    for m in range(10, 24 * 60, 20):
        tid = f"RE50R-{m // 60:02d}{m % 60:02d}"
        trips.append(("RE50", "daily", tid, "Riesa"))
        times += [(tid, hhmm(m), hhmm(m), COSWIG, 1), (tid, hhmm(m + 19), hhmm(m + 20), PRIESTEWITZ, 2),
                  (tid, hhmm(m + 35), hhmm(m + 35), RIESA, 3)]
    files = {
        "agency.txt": _csv(["agency_id", "agency_name", "agency_url", "agency_timezone"],
                           [("db", "DB Regio (test)", "https://example.org/", "Europe/Berlin")]),
        "stops.txt": _csv(["stop_id", "stop_name", "stop_lat", "stop_lon"], stops),
        "routes.txt": _csv(["route_id", "agency_id", "route_short_name", "route_long_name", "route_type"],
                           [("RE50", "db", "RE50", "Dresden - Leipzig", 2)]),
        "trips.txt": _csv(["route_id", "service_id", "trip_id", "trip_headsign"], trips),
        "stop_times.txt": _csv(["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"], times),
        "calendar.txt": _csv(["service_id", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                              "sunday", "start_date", "end_date"],
                             [("daily", 1, 1, 1, 1, 1, 1, 1, start_date, end_date)]),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return out.getvalue()
