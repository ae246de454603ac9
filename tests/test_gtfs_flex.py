"""The GTFS-Flex v2 export (ride_pool.gtfs.flex, GET /api/v1/gtfs-flex.zip, ride-pool export
gtfs-flex): the feed loads in gtfs-kit, and the Flex rules of the GTFS reference are checked
here by :func:`flex_problems` (no validator that understands Flex is available offline):
required files and fields, booking rules' conditional fields, stop_times with pickup/drop-off
windows (no arrival/departure times, windows inside the day and the operating hours, allowed
pickup/drop-off types), ids that resolve, ids unique across stops, locations and location
groups, and a valid GeoJSON polygon (shapely). Tests of the checker itself show it finds what it
should. Exported: the demo county through the API, and a small OSM-based service area."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest
import shapely

from api_support import *  # noqa: F401,F403
from ride_pool.dispatch.rules import WEEKDAYS, ServiceRules
from ride_pool.gtfs.flex import FlexStop, Publisher, build_feed, feed_zip

REQUIRED_FIELDS = {
    "agency.txt": ("agency_name", "agency_url", "agency_timezone"),
    "feed_info.txt": ("feed_publisher_name", "feed_publisher_url", "feed_lang"),
    "routes.txt": ("route_id", "route_type"),
    "calendar.txt": ("service_id", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
                     "start_date", "end_date"),
    "calendar_dates.txt": ("service_id", "date", "exception_type"),
    "stops.txt": ("stop_id",),
    "trips.txt": ("route_id", "service_id", "trip_id"),
    "stop_times.txt": ("trip_id", "stop_sequence"),
    "location_groups.txt": ("location_group_id",),
    "location_group_stops.txt": ("location_group_id", "stop_id"),
    "booking_rules.txt": ("booking_rule_id", "booking_type"),
}


def _time_s(text: str) -> int:
    h, m, s = (int(x) for x in text.split(":"))
    assert 0 <= m < 60 and 0 <= s < 60
    return h * 3600 + m * 60 + s


def read_zip(data: bytes) -> tuple[dict[str, list[dict]], dict]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        tables = {n: list(csv.DictReader(io.StringIO(z.read(n).decode("utf-8")))) for n in z.namelist()
                  if n.endswith(".txt")}
        headers = {n: next(csv.reader(io.StringIO(z.read(n).decode("utf-8")))) for n in z.namelist()
                   if n.endswith(".txt")}
        geo = json.loads(z.read("locations.geojson"))
    tables["_headers"] = headers
    return tables, geo


def flex_problems(data: bytes, rules: ServiceRules | None = None) -> list[str]:
    """Every breach of the GTFS-Flex rules in the feed ``data`` (a zip); empty when it is valid."""
    problems = []
    t, geo = read_zip(data)
    headers = t.pop("_headers")
    for name, fields in REQUIRED_FIELDS.items():
        if name not in t:
            problems.append(f"{name} missing")
            continue
        missing = [f for f in fields if f not in headers[name]]
        problems += [f"{name}: no column {f}" for f in missing]
        for i, row in enumerate(t[name], start=2):
            problems += [f"{name} line {i}: {f} empty" for f in fields if f in row and row[f] == ""]
    # --- locations.geojson
    zone_ids = set()
    if geo.get("type") != "FeatureCollection":
        problems.append("locations.geojson is not a FeatureCollection")
    for f in geo.get("features", []):
        if f.get("type") != "Feature" or not f.get("id"):
            problems.append("locations.geojson: a feature without type Feature and id")
            continue
        zone_ids.add(f["id"])
        g = f.get("geometry") or {}
        if g.get("type") not in ("Polygon", "MultiPolygon"):
            problems.append(f"location {f['id']}: geometry is {g.get('type')}, not a polygon")
            continue
        shape = shapely.geometry.shape(g)
        if not shape.is_valid or shape.is_empty:
            problems.append(f"location {f['id']}: invalid polygon ({shapely.is_valid_reason(shape)})")
        for ring in g["coordinates"] if g["type"] == "Polygon" else [r for p in g["coordinates"] for r in p]:
            if ring[0] != ring[-1]:
                problems.append(f"location {f['id']}: ring not closed")
    stop_ids = [s["stop_id"] for s in t.get("stops.txt", [])]
    group_ids = [g["location_group_id"] for g in t.get("location_groups.txt", [])]
    all_ids = stop_ids + list(zone_ids) + group_ids
    if len(all_ids) != len(set(all_ids)):
        problems.append("stop, location and location group ids are not unique across the three")
    for row in t.get("location_group_stops.txt", []):
        if row["location_group_id"] not in group_ids:
            problems.append(f"location_group_stops: unknown group {row['location_group_id']}")
        if row["stop_id"] not in stop_ids:
            problems.append(f"location_group_stops: unknown stop {row['stop_id']}")
    # --- booking rules
    rule_ids = set()
    for row in t.get("booking_rules.txt", []):
        rule_ids.add(row["booking_rule_id"])
        kind = row["booking_type"]
        has = {k for k, v in row.items() if v != ""}
        if kind not in ("0", "1", "2"):
            problems.append(f"booking rule {row['booking_rule_id']}: booking_type {kind}")
        if (kind == "1") != ("prior_notice_duration_min" in has):
            problems.append(f"booking rule {row['booking_rule_id']}: prior_notice_duration_min is required for "
                            "booking_type 1 and forbidden otherwise")
        if kind != "1" and "prior_notice_duration_max" in has:
            problems.append(f"booking rule {row['booking_rule_id']}: prior_notice_duration_max only for type 1")
        if (kind == "2") != ("prior_notice_last_day" in has):
            problems.append(f"booking rule {row['booking_rule_id']}: prior_notice_last_day is required for "
                            "booking_type 2 and forbidden otherwise")
        if ("prior_notice_last_day" in has) != ("prior_notice_last_time" in has):
            problems.append(f"booking rule {row['booking_rule_id']}: prior_notice_last_time goes with _last_day")
        if "prior_notice_start_day" in has and (kind == "0" or (kind == "1" and "prior_notice_duration_max" in has)):
            problems.append(f"booking rule {row['booking_rule_id']}: prior_notice_start_day forbidden here")
        if ("prior_notice_start_day" in has) != ("prior_notice_start_time" in has):
            problems.append(f"booking rule {row['booking_rule_id']}: prior_notice_start_time goes with _start_day")
        if "prior_notice_service_id" in has and kind != "2":
            problems.append(f"booking rule {row['booking_rule_id']}: prior_notice_service_id only for type 2")
    # --- trips and stop times
    services = {c["service_id"]: c for c in t.get("calendar.txt", [])}
    routes = {r["route_id"] for r in t.get("routes.txt", [])}
    trips = {}
    for row in t.get("trips.txt", []):
        trips[row["trip_id"]] = row
        if row["route_id"] not in routes:
            problems.append(f"trip {row['trip_id']}: unknown route")
        if row["service_id"] not in services:
            problems.append(f"trip {row['trip_id']}: unknown service")
    for row in t.get("calendar_dates.txt", []):
        if row["exception_type"] not in ("1", "2"):
            problems.append("calendar_dates: exception_type must be 1 or 2")
    seen_trips = set()
    for i, st in enumerate(t.get("stop_times.txt", []), start=2):
        where = f"stop_times line {i}"
        seen_trips.add(st["trip_id"])
        if st["trip_id"] not in trips:
            problems.append(f"{where}: unknown trip")
        places = [k for k in ("stop_id", "location_group_id", "location_id") if st.get(k)]
        if len(places) != 1:
            problems.append(f"{where}: exactly one of stop_id, location_group_id, location_id, got {places}")
        if st.get("location_id") and st["location_id"] not in zone_ids:
            problems.append(f"{where}: location_id does not resolve")
        if st.get("location_group_id") and st["location_group_id"] not in group_ids:
            problems.append(f"{where}: location_group_id does not resolve")
        if st.get("stop_id") and st["stop_id"] not in stop_ids:
            problems.append(f"{where}: stop_id does not resolve")
        start, end = st.get("start_pickup_drop_off_window", ""), st.get("end_pickup_drop_off_window", "")
        windowed = bool(start or end)
        if (st.get("location_group_id") or st.get("location_id")) and not (start and end):
            problems.append(f"{where}: a location or group needs both windows")
        if windowed:
            if not (start and end):
                problems.append(f"{where}: both windows are required together")
            if st.get("arrival_time") or st.get("departure_time"):
                problems.append(f"{where}: arrival/departure_time are forbidden with windows")
            a, b = _time_s(start), _time_s(end)
            if not 0 <= a < b <= 48 * 3600:
                problems.append(f"{where}: window {start}-{end} not inside the service day")
            if st.get("pickup_type") in ("0", "3") or st.get("drop_off_type") == "0":
                problems.append(f"{where}: pickup_type 0/3 and drop_off_type 0 are forbidden with windows")
            if rules is not None and st["trip_id"] in trips:
                cal = services.get(trips[st["trip_id"]]["service_id"], {})
                for day, name in zip(WEEKDAYS, ("monday", "tuesday", "wednesday", "thursday", "friday",
                                                "saturday", "sunday")):
                    if cal.get(name) == "1":
                        hours = rules.operating_hours.get(day)
                        if not hours or a < _time_s(hours[0] + ":00") or b > _time_s(hours[1] + ":00"):
                            problems.append(f"{where}: window {start}-{end} outside the hours on {day}")
        for col in ("pickup_booking_rule_id", "drop_off_booking_rule_id"):
            if st.get(col) and st[col] not in rule_ids:
                problems.append(f"{where}: {col} does not resolve")
        if st.get("pickup_type") == "2" and not st.get("pickup_booking_rule_id"):
            problems.append(f"{where}: a pickup to book has no booking rule")
        if st.get("drop_off_type") == "2" and not st.get("drop_off_booking_rule_id"):
            problems.append(f"{where}: a drop-off to book has no booking rule")
    problems += [f"trip {tid}: fewer than two stop times" for tid in trips
                 if sum(1 for st in t.get("stop_times.txt", []) if st["trip_id"] == tid) < 2]
    return problems


AREA = [[13.30, 51.10], [13.60, 51.10], [13.60, 51.30], [13.30, 51.30]]
STOPS = [FlexStop(1, "Priestewitz, Bahnhof", 51.2507, 13.5088, "de:14627:5100"),
         FlexStop(2, "Marktplatz", 51.16, 13.47, None)]
TODAY = date(2026, 12, 7)


def feed(rules=None, polygon=AREA, stops=STOPS) -> bytes:
    return feed_zip(build_feed(rules or ServiceRules(), polygon, stops, Publisher(phone="+49 3521 123456"), TODAY))


def test_the_default_feed_follows_the_flex_rules_and_says_what_the_rules_say():
    rules = ServiceRules(holidays=["2026-12-25", "2027-01-01"])
    data = feed(rules)
    assert flex_problems(data, rules) == []
    t, geo = read_zip(data)
    same_day, evening = t["booking_rules.txt"]
    assert (same_day["booking_type"], same_day["prior_notice_duration_min"]) == ("1", "30")
    assert same_day["prior_notice_duration_max"] == str(7 * 24 * 60)
    assert (evening["booking_type"], evening["prior_notice_last_day"], evening["prior_notice_last_time"]) == \
        ("2", "1", "20:00:00")
    assert same_day["phone_number"] == "+49 3521 123456" and "buchen" in same_day["message"]
    # the early trips (05:00-08:00) are booked the evening before, the rest the same day
    windows = {(st["start_pickup_drop_off_window"], st["end_pickup_drop_off_window"],
                st["pickup_booking_rule_id"] or st["drop_off_booking_rule_id"]) for st in t["stop_times.txt"]}
    assert windows == {("05:00:00", "08:00:00", "evening_before"), ("08:00:00", "23:00:00", "same_day")}
    assert {r["date"] for r in t["calendar_dates.txt"]} == {"20261225", "20270101"}
    assert {s["stop_id"] for s in t["stops.txt"]} == {"de:14627:5100", "rp-2"}     # the DHID where known
    assert {r["stop_id"] for r in t["location_group_stops.txt"]} == {"de:14627:5100", "rp-2"}
    zone = geo["features"][0]
    assert shapely.geometry.shape(zone["geometry"]).area == pytest.approx(0.3 * 0.2)
    assert t["routes.txt"][0]["route_type"] == "715"


def test_weekdays_with_other_hours_get_their_own_service_and_door_to_door_none_only_the_stops():
    hours = {d: ["06:00", "20:00"] for d in WEEKDAYS[:5]} | {"sat": ["09:00", "14:00"]}
    rules = ServiceRules(operating_hours=hours, door_to_door="none", early_trip_before=None)
    data = feed(rules)
    assert flex_problems(data, rules) == []
    t, _ = read_zip(data)
    assert len(t["calendar.txt"]) == 2 and t["calendar.txt"][1]["saturday"] == "1"
    assert t["calendar.txt"][1]["sunday"] == "0"
    assert {st["location_id"] for st in t["stop_times.txt"]} == {""}        # no zone trips
    assert [r["booking_rule_id"] for r in t["booking_rules.txt"]] == ["same_day"]


def test_the_feed_loads_in_gtfs_kit(tmp_path):
    gk = pytest.importorskip("gtfs_kit")
    path = tmp_path / "flex.zip"
    path.write_bytes(feed())
    f = gk.read_feed(path, dist_units="km")
    assert list(f.routes.route_id) == ["rufbus"]
    assert len(f.trips) == 4 and len(f.stop_times) == 8
    assert set(f.stops.stop_id) == {"de:14627:5100", "rp-2"}
    dates = f.get_dates()
    assert dates[0] == TODAY.strftime("%Y%m%d") and len(dates) == 366


@pytest.mark.parametrize("name, old, new, problem", [
    ("stop_times.txt", "same_day", "sameday", "does not resolve"),
    ("stop_times.txt", "08:00:00,23:00:00", "23:00:00,08:00:00", "not inside the service day"),
    ("stop_times.txt", "service_area", "elsewhere", "location_id does not resolve"),
    ("stop_times.txt", ",,service_area,1,,,", ",,service_area,1,08:00:00,,", "forbidden with windows"),
    ("booking_rules.txt", "same_day,1,30,", "same_day,1,,", "prior_notice_duration_min"),
    ("booking_rules.txt", "20:00:00", "", "prior_notice_last_time"),
    ("location_group_stops.txt", "rp-2", "rp-9", "unknown stop"),
])
def test_the_checker_finds_broken_feeds(name, old, new, problem):
    files = build_feed(ServiceRules(), AREA, STOPS, Publisher(), TODAY)
    text = files[name].decode()
    assert old in text
    broken = {**files, name: text.replace(old, new, 1).encode()}
    assert any(problem in p for p in flex_problems(feed_zip(broken))), flex_problems(feed_zip(broken))


def test_the_checker_finds_a_self_crossing_zone():
    bow_tie = [[13.3, 51.1], [13.6, 51.3], [13.6, 51.1], [13.3, 51.3]]
    data = feed_zip(build_feed(ServiceRules(), bow_tie, STOPS, Publisher(), TODAY))
    assert any("invalid polygon" in p for p in flex_problems(data))


def test_a_small_osm_service_area_exports_valid(bayreuth_network):
    net = bayreuth_network
    hull = shapely.MultiPoint(list(zip(net.node_lon, net.node_lat))).convex_hull.buffer(-0.002)
    ring = [list(p) for p in hull.exterior.coords]
    stops = [FlexStop(i, f"Haltestelle {i}", float(net.node_lat[n]), float(net.node_lon[n]))
             for i, n in enumerate(range(0, net.node_count, max(1, net.node_count // 5)), start=1)]
    data = feed(polygon=ring, stops=stops)
    assert flex_problems(data, ServiceRules()) == []
    _, geo = read_zip(data)
    zone = shapely.geometry.shape(geo["features"][0]["geometry"])
    assert zone.equals(hull) and shapely.is_ccw(zone.exterior)    # RFC 7946: the outer ring counter-clockwise


def test_the_demo_feed_from_the_api_is_cached_with_an_etag(demo_api):
    api = demo_api
    r = api.client.get("/api/v1/gtfs-flex.zip")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    etag = r.headers["etag"]
    rules = ServiceRules.from_dict(api.get("/api/v1/ops/service-area", headers=api.operator).json()["rules"])
    assert flex_problems(r.content, rules) == []
    t, _ = read_zip(r.content)
    assert len(t["stops.txt"]) == len(api.stops())
    again = api.client.get("/api/v1/gtfs-flex.zip", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["etag"] == etag
    changed = api.put("/api/v1/ops/service-area", headers=api.operator, json={"rules": {"min_lead_s": 3600}})
    assert changed.status_code == 200, changed.text
    r2 = api.client.get("/api/v1/gtfs-flex.zip", headers={"If-None-Match": etag})
    assert r2.status_code == 200 and r2.headers["etag"] != etag
    assert read_zip(r2.content)[0]["booking_rules.txt"][0]["prior_notice_duration_min"] == "60"


def test_cli_export_writes_a_valid_feed_and_bad_input_exits_2(tmp_path):
    db = tmp_path / "x.db"
    from ride_pool.db.engine import make_engine
    from ride_pool.db.migrate import migrate
    from ride_pool.db.repository import Repository
    engine = make_engine(f"sqlite:///{db}")
    migrate(engine)
    Repository(engine).create_stop("Bahnhof", 51.2507, 13.5088, code="de:14627:5100", town="Priestewitz")
    engine.dispose()
    out = tmp_path / "feed.zip"
    run = subprocess.run([sys.executable, "-m", "ride_pool.cli", "export", "gtfs-flex", "--db", str(db), "--out",
                          str(out)], capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
    assert run.returncode == 0, run.stderr
    assert flex_problems(out.read_bytes(), ServiceRules()) == []
    bad = subprocess.run([sys.executable, "-m", "ride_pool.cli", "export", "gtfs-flex", "--db", str(db), "--out",
                          str(tmp_path / "no" / "feed.zip")], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_holidays_close_the_service_and_bad_ones_are_refused():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from ride_pool.dispatch.rules import RulesError

    rules = ServiceRules(holidays=["2026-12-25"])
    at_noon = lambda d: int(datetime(2026, 12, d, 12, 0, tzinfo=ZoneInfo("Europe/Berlin")).timestamp())  # noqa: E731
    assert rules.operating_span(at_noon(25)) is None and rules.operating_span(at_noon(24)) is not None
    assert rules.next_opening(at_noon(25)) == int(datetime(2026, 12, 26, 5, 0,
                                                           tzinfo=ZoneInfo("Europe/Berlin")).timestamp())
    for bad in (["25.12.2026"], ["2026-13-01"], "2026-12-25x", [25]):
        with pytest.raises(RulesError):
            ServiceRules(holidays=bad)
    assert ServiceRules().with_changes({"holidays": ["2027-01-01"]}).holidays == ("2027-01-01",)
