"""Timetable import -> departures -> connection quote -> booking -> re-optimisation keeps the
connection (the checker passes with the hard limit) -> a forced delay produces the alert, through
the HTTP API on an empty database with a small fleet (api_support.Fleet) and the test feed of
tests/gtfs_support.py; and the CLI import."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from api_support import *  # noqa: F401,F403
from api_support import Fleet, assert_problem, iso, local
from gtfs_support import PRIESTEWITZ, feed_bytes, write_feed
from ride_pool.db.models import EventRow
from ride_pool.db.timetable import load_timetable
from ride_pool.dispatch.dispatcher import Dispatcher
from ride_pool.dispatch.domain import EventKind
from routing.darp.checker import check_plan

ROOT = Path(__file__).resolve().parents[1]


def _station(api, fleet) -> int:
    r = api.post("/api/v1/ops/stops", headers=fleet.operator, json={
        "name": "Priestewitz, Bahnhof", "lat": 51.250739, "lon": 13.508757, "town": "Priestewitz",
        "code": PRIESTEWITZ})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _import(api, fleet):
    r = api.post("/api/v1/ops/timetable/import", headers={**fleet.operator, "Content-Type": "application/zip"},
                 content=feed_bytes())
    assert r.status_code == 200, r.text
    assert r.json() == {"stops": 4, "routes": 2, "trips": 34, "stop_times": 102, "calendar": 1,
                        "calendar_dates": 1}


def test_import_departures_connection_booking_reoptimise_and_a_forced_delay(api):
    fleet = Fleet(api, seats=4)
    station = _station(api, fleet)
    # riders may not upload timetables; a broken file is refused with what is wrong
    rider = api.register("zug@example.org")
    r = api.post("/api/v1/ops/timetable/import", headers={**rider, "Content-Type": "application/zip"},
                 content=feed_bytes())
    assert r.status_code == 403
    bad = api.post("/api/v1/ops/timetable/import", headers={**fleet.operator, "Content-Type": "application/zip"},
                   content=b"not a zip")
    assert_problem(bad, 422, "invalid_timetable_file")
    assert api.get("/api/v1/departures", params={"stop_id": PRIESTEWITZ}).json()["departures"] == []
    _import(api, fleet)

    # departures: by the DHID or by the service's stop with that code; public
    r = api.client.get("/api/v1/departures", params={"stop_id": str(station), "after": "2026-03-03T11:00",
                                                     "limit": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["stop_id"] == PRIESTEWITZ and body["service_stop_id"] == station
    assert [(d["trip_id"], d["departure"][11:16], d["route"]) for d in body["departures"]] == [
        ("RE50-1105", "11:21", "RE50"), ("RB31-1130", "11:42", "RB31"), ("RE50-1205", "12:21", "RE50")]
    assert_problem(api.get("/api/v1/departures", params={"stop_id": "de:0:0"}), 404, "not_found")
    assert_problem(api.get("/api/v1/departures", params={"stop_id": PRIESTEWITZ, "limit": 0}), 422)

    # a quote to the 11:21 train: arrive by 11:16 (5 minutes' transfer buffer)
    q = api.post("/api/v1/quotes", headers=rider, json={
        "origin": fleet.stops[0], "destination": {"stop_id": station},
        "connection": {"stop_id": PRIESTEWITZ, "trip_id": "RE50-1105", "direction": "to_departure"}})
    assert q.status_code == 200, q.text
    offer = q.json()["offers"][0]
    c = offer["connection"]
    assert c["scheduled"] == iso(local(0, 11, 21)) and c["limit"] == iso(local(0, 11, 16))
    assert c["route_name"] == "RE50" and c["headsign"] == "Dresden Hbf"
    assert offer["dropoff_latest"] <= c["limit"] and offer["planned_dropoff"] <= c["limit"]
    b = api.post("/api/v1/bookings", headers={**rider, "Idempotency-Key": "zug-1"},
                 json={"offer_id": offer["offer_id"]})
    assert b.status_code == 201, b.text
    booking = b.json()
    assert booking["connection"]["trip_id"] == "RE50-1105" and booking["connection"]["at_risk"] is False
    again = api.get(f"/api/v1/bookings/{booking['booking_id']}", headers=rider).json()
    assert again["connection"]["limit"] == c["limit"]
    bad = api.post("/api/v1/quotes", headers=rider, json={
        "origin": fleet.stops[0], "destination": {"stop_id": station},
        "connection": {"stop_id": PRIESTEWITZ, "trip_id": "XX", "direction": "to_departure"}})
    assert_problem(bad, 422, "connection_unknown")

    # re-optimisation keeps the limit: the checker judges the live problem
    d = api.service.dispatcher
    d.reoptimise(time_limit_s=1.0, use_ortools=False)
    live = d.live_problem()
    i = live.booking_ids.index(booking["booking_id"])
    limit_epoch = d.bookings[booking["booking_id"]].connection.limit
    assert int(live.problem.dropoff_latest[i]) <= limit_epoch
    assert check_plan(live.problem, live.plan).feasible
    # a restart keeps the connection (stored with the booking and the timetable) and watches it again
    api.service.store.flush()
    state = api.service.store.load(api.clock())
    stored = next(b for b in state.bookings if b.booking_id == booking["booking_id"])
    assert stored.connection == d.bookings[booking["booking_id"]].connection
    restarted = Dispatcher(d.tt, rules=d.rules, clock=api.clock)
    restarted.restore(state)
    assert restarted.connections.watched == {booking["booking_id"]}
    assert load_timetable(api.service.engine).call("RE50-1105", PRIESTEWITZ, date(2026, 3, 3)) is not None

    # forced delay: the only vehicle reports itself far away shortly before the pickup
    sid = fleet.shifts[0]["id"]
    d.start_shift(sid)
    api.clock.set(d.bookings[booking["booking_id"]].pickup_latest - 300)
    d.vehicle_location(sid, 51.41, 13.44)      # Gröditz, at the county's northern end
    with Session(api.service.engine) as s:
        alerts = s.scalars(select(EventRow).where(EventRow.kind == EventKind.CONNECTION_AT_RISK.value)).all()
    assert len(alerts) == 1
    assert alerts[0].cause == "vehicle_late" and alerts[0].booking_id == booking["booking_id"]
    assert alerts[0].data["late_s"] > 0
    # the rider sees it on the booking, the operator in the list of bookings
    seen = api.get(f"/api/v1/bookings/{booking['booking_id']}", headers=rider).json()["connection"]
    assert seen["at_risk"] is True and seen["late_minutes"] >= 1
    listed = {b["booking_id"]: b for b in api.get("/api/v1/ops/bookings", headers=fleet.operator).json()}
    assert listed[booking["booking_id"]]["connection"]["at_risk"] is True
    kpis = api.get("/api/v1/ops/kpis", headers=fleet.operator, params={"since": "2026-03-03T00:00"}).json()
    assert kpis["connections_at_risk"] == 1 and kpis["connection_bookings"] == 1


def test_cli_import_and_bad_files(tmp_path):
    feed = write_feed(tmp_path / "feed.zip")
    db = tmp_path / "t.db"
    run = subprocess.run([sys.executable, "-m", "ride_pool.cli", "import", "gtfs", str(feed), "--db", str(db)],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert "34 trips" in run.stdout
    from ride_pool.db.engine import make_engine
    engine = make_engine(f"sqlite:///{db}")
    tt = load_timetable(engine)
    assert len(tt) == 34 and tt.call("RB31-0630", PRIESTEWITZ, date(2026, 3, 3)) is not None
    engine.dispose()
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK nonsense")
    bad = subprocess.run([sys.executable, "-m", "ride_pool.cli", "import", "gtfs", str(broken), "--db", str(db)],
                         capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "GTFS" in bad.stderr
