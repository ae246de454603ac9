"""Data protection (issue 13, DSGVO): a rider's data export and account deletion, the retention job
(personal data of finished trips, old quotes) and the audit log of operator changes.

Every test runs on a fresh database (SQLite, or PostgreSQL with ``RIDE_POOL_DATABASE_URL``: they
use the ``database_url`` fixture and so carry the ``database`` marker).
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import func, select

from api_support import *  # noqa: F401,F403 - fixtures api, clock and helpers
from api_support import OPERATOR, Fleet, assert_problem, iso, local
from ride_pool.api.callers import Callers
from ride_pool.db import audit as audit_db
from ride_pool.db.engine import read_session
from ride_pool.db.models import AuditRow, Base, BookingRow, EventRow, OfferRow, User
from ride_pool.dispatch.domain import ANONYMOUS_DOOR, Event, EventKind
from ride_pool.dispatch.store import Change

DAY = 86_400
RIDER_PASSWORD = "rider-password-1"
STOP_FILE = "stop_id,stop_name,stop_lat,stop_lon\nx1,Importiert,51.1267,13.5805\n"


# ------------------------------------------------------------------ helpers
def database_text(api) -> str:
    """Every row of every table as one text (to check that a name is nowhere any more)."""
    api.service.store.flush()
    with read_session(api.service.engine) as session:
        rows = []
        for table in Base.metadata.sorted_tables:
            rows.extend(dict(r._mapping) for r in session.execute(select(table)))
    return json.dumps(rows, default=str, ensure_ascii=False)


def phone_booking(api, fleet, name: str, phone: str, rider_email: str | None = None) -> dict:
    body = {"origin": fleet.stops[0], "destination": fleet.stops[1], "caller_name": name, "caller_phone": phone}
    if rider_email:
        body["rider_email"] = rider_email
    r = api.post("/api/v1/ops/quotes", headers=fleet.operator, json=body)
    assert r.status_code == 200 and r.json()["offers"], r.text
    r = api.post("/api/v1/ops/bookings", headers=fleet.operator, json={"offer_id": r.json()["offers"][0]["offer_id"]})
    assert r.status_code == 201, r.text
    return r.json()


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


def complete(api, booking: dict) -> None:
    """Drive the booking's ride: board at the planned pickup, drop off at the planned drop-off."""
    d = api.service.dispatcher
    live = d.bookings[booking["booking_id"]]
    shift = next(s for s in d.shifts.values() if s.vehicle_id == live.vehicle_id and not s.ended)
    api.clock.set(epoch(booking["planned_pickup"]))
    if not shift.started:
        d.start_shift(shift.shift_id)
    d.rider_boarded(booking["booking_id"])
    api.clock.set(max(api.clock(), epoch(booking["planned_dropoff"])))
    d.rider_dropped_off(booking["booking_id"])


def kpis(api, fleet, since) -> dict:
    r = api.get("/api/v1/ops/kpis", params={"since": iso(since)}, headers=fleet.operator)
    assert r.status_code == 200, r.text
    return r.json()


# ------------------------------------------------------------------ export
def test_export_holds_the_riders_own_data_and_nothing_of_others(api):
    fleet = Fleet(api, seats=4)
    anna = api.register("anna@example.org", RIDER_PASSWORD, name="Anna Fahrgast")
    bert = api.register("bert@example.org", RIDER_PASSWORD, name="Bert Anders")
    mine = api.book(anna, api.offer(anna, *fleet.stops)["offer_id"]).json()
    theirs = api.book(bert, api.offer(bert, *fleet.stops)["offer_id"]).json()
    api.post(f"/api/v1/bookings/{mine['booking_id']}/cancel", headers=anna)

    r = api.get("/api/v1/me/export", headers=anna)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["content-disposition"].startswith("attachment;")
    data = r.json()
    account = data["account"]
    assert (account["email"], account["name"], account["role"]) == ("anna@example.org", "Anna Fahrgast", "rider")
    assert account["created_at"] == iso(api.clock()) and "confirmed" in account
    assert [b["booking_id"] for b in data["bookings"]] == [mine["booking_id"]]
    exported = data["bookings"][0]
    assert exported["status"] == "cancelled" and exported["origin"]["name"] == "Coswig, Bahnhof"
    assert exported["pickup_earliest"] == mine["pickup_earliest"]
    kinds = {(e["kind"], e["booking_id"]) for e in data["events"]}
    assert ("booking_confirmed", mine["booking_id"]) in kinds and ("booking_cancelled", mine["booking_id"]) in kinds
    assert any(e["kind"] == "request_received" for e in data["events"])      # the quote asked for
    assert len(data["quotes"]) == 1 and data["quotes"][0]["booking_id"] == mine["booking_id"]
    text = r.text
    for other in ("bert@example.org", "Bert Anders", theirs["booking_id"]):
        assert other not in text
    # any role has the right, for its own account only
    r = api.get("/api/v1/me/export", headers=fleet.operator)
    assert r.status_code == 200 and r.json()["account"]["email"] == OPERATOR[0] and r.json()["bookings"] == []
    assert_problem(api.get("/api/v1/me/export"), 401)


# ------------------------------------------------------------------ account deletion
def test_deleting_an_account_cancels_active_bookings_and_keeps_past_trips_without_personal_data(api):
    fleet = Fleet(api, seats=4)
    email = "carla@example.org"
    rider = api.register(email, RIDER_PASSWORD, name="Carla Loeschmich")
    user_id = api.get("/api/v1/auth/me", headers=rider).json()["id"]
    past = api.book(rider, api.offer(rider, *fleet.stops)["offer_id"]).json()
    complete(api, past)
    active = api.book(rider, api.offer(rider, *fleet.stops)["offer_id"]).json()
    by_phone = phone_booking(api, fleet, "Carla Loeschmich", "03521 987654", rider_email=email)
    d = api.service.dispatcher
    assert d.bookings[active["booking_id"]].status.value == "confirmed"
    served_before = kpis(api, fleet, local(0, 0))["served"]
    assert served_before == 1

    assert_problem(api.post("/api/v1/me/delete", headers=rider, json={"password": "not-my-password"}), 403,
                   "wrong_password")
    assert d.bookings[active["booking_id"]].status.value == "confirmed"       # nothing happened
    r = api.post("/api/v1/me/delete", headers=rider, json={"password": RIDER_PASSWORD})
    assert r.status_code == 200, r.text
    assert sorted(r.json()["cancelled_bookings"]) == sorted([active["booking_id"], by_phone["booking_id"]])

    # the active bookings are cancelled through the dispatcher: live state, plans, database, events
    for booking_id in (active["booking_id"], by_phone["booking_id"]):
        assert d.bookings[booking_id].status.value == "cancelled"
        assert all(step.booking_id != booking_id for s in d.shifts.values() for step in s.route)
    assert d.active_bookings_of(user_id) == []
    with read_session(api.service.engine) as s:
        rows = {r.booking_id: r for r in s.scalars(select(BookingRow).where(BookingRow.rider_id == user_id))}
        causes = [e.cause for e in s.scalars(select(EventRow).where(EventRow.kind == "booking_cancelled"))]
        user = s.get(User, user_id)
    assert rows[active["booking_id"]].status.value == "cancelled"
    assert causes.count("account_deleted") == 2
    # the past trip stays (with its rider id) and still counts
    assert rows[past["booking_id"]].status.value == "completed"
    assert kpis(api, fleet, local(0, 0))["served"] == served_before
    # ... without name, e-mail or phone anywhere
    assert rows[by_phone["booking_id"]].caller_name is None and rows[by_phone["booking_id"]].caller_phone is None
    assert d.bookings[by_phone["booking_id"]].caller_name is None
    assert (user.email, user.name, user.disabled, user.token_version) == (f"deleted-{user_id}@invalid", "", True, 1)
    assert user.deleted_at == api.clock()
    text = database_text(api)
    for personal in (email, "Loeschmich", "987654"):
        assert personal not in text
    # the account's deletion is in the audit log
    entries = api.get("/api/v1/ops/audit", params={"target_kind": "account", "target_id": str(user_id)},
                      headers=fleet.operator).json()
    assert [(e["action"], e["actor_id"]) for e in entries] == [("POST /api/v1/me/delete", user_id)]

    # no login any more; the address can be registered again, as a new account
    r = api.post("/api/v1/auth/token", data={"username": email, "password": RIDER_PASSWORD})
    assert r.status_code in (401, 403, 429) and "access_token" not in r.text
    r = api.post("/api/v1/auth/register", json={"email": email, "password": RIDER_PASSWORD, "name": "Carla Neu"})
    assert r.status_code in (201, 202), r.text
    with read_session(api.service.engine) as s:
        again = s.scalar(select(User).where(User.email == email))
    assert again is not None and again.id != user_id


def test_deleting_is_refused_while_on_board(api):
    fleet = Fleet(api, seats=4)
    rider = api.register("dora@example.org", RIDER_PASSWORD)
    booking = api.book(rider, api.offer(rider, *fleet.stops)["offer_id"]).json()
    d = api.service.dispatcher
    api.clock.set(epoch(booking["planned_pickup"]))
    d.start_shift(fleet.shifts[0]["id"])
    d.rider_boarded(booking["booking_id"])
    assert_problem(api.post("/api/v1/me/delete", headers=rider, json={"password": RIDER_PASSWORD}), 409,
                   "ride_in_progress")
    assert api.get("/api/v1/auth/me", headers=rider).status_code == 200


@pytest.mark.skipif(not hasattr(Callers, "forget"),
                    reason="token checks against the account's state come with the accounts-and-tokens stream")
def test_the_token_of_a_deleted_account_is_refused(api):
    Fleet(api)
    rider = api.register("emil@example.org", RIDER_PASSWORD)
    assert api.get("/api/v1/auth/me", headers=rider).status_code == 200
    assert api.post("/api/v1/me/delete", headers=rider, json={"password": RIDER_PASSWORD}).status_code == 200
    assert_problem(api.get("/api/v1/auth/me", headers=rider), 401)
    assert_problem(api.get("/api/v1/me/export", headers=rider), 401)


# ------------------------------------------------------------------ retention of personal data
def test_retention_removes_the_callers_data_of_trips_finished_over_90_days_ago(api):
    fleet = Fleet(api, seats=4)
    old = phone_booking(api, fleet, "Erna Altfahrt", "03521 111111")
    complete(api, old)
    # a second trip 81 days later (a shift that day), finished 10 days before the job runs
    api.clock.set(local(81, 8))
    r = api.post("/api/v1/ops/shifts", headers=fleet.operator, json={
        "vehicle_id": fleet.vehicles[0]["id"], "start": iso(local(81, 9)), "end": iso(local(81, 18))})
    assert r.status_code == 201, r.text
    api.clock.set(local(81, 9))
    recent = phone_booking(api, fleet, "Rita Neufahrt", "03521 222222")
    complete(api, recent)
    # an event naming the caller (as data written by an older version could)
    store = api.service.store
    store.commit(Change(events=[Event(api.clock(), EventKind.VEHICLE_ARRIVED, "import", booking_id=b["booking_id"],
                                      data={"caller_name": name, "note": "kept"})
                                for b, name in ((old, "Erna Altfahrt"), (recent, "Rita Neufahrt"))]))
    served_before = kpis(api, fleet, local(0, 0))["served"]

    api.clock.set(local(91, 12))
    anonymised, _ = api.service.run_retention()
    assert anonymised == [old["booking_id"]]
    with read_session(api.service.engine) as s:
        rows = {r.booking_id: r for r in s.scalars(select(BookingRow))}
        offers = {o.booking_id: o.request for o in s.scalars(select(OfferRow).where(OfferRow.booking_id.is_not(None)))}
        notes = {e.booking_id: e.data for e in s.scalars(select(EventRow).where(EventRow.cause == "import"))}
    assert (rows[old["booking_id"]].caller_name, rows[old["booking_id"]].caller_phone) == (None, None)
    assert rows[old["booking_id"]].anonymised_at == api.clock()
    assert "caller_name" not in offers[old["booking_id"]] and "caller_phone" not in offers[old["booking_id"]]
    assert notes[old["booking_id"]] == {"note": "kept"}
    text = database_text(api)
    assert "Erna Altfahrt" not in text and "111111" not in text
    # the trip of 10 days ago keeps its caller
    assert (rows[recent["booking_id"]].caller_name, rows[recent["booking_id"]].caller_phone) == \
        ("Rita Neufahrt", "03521 222222")
    assert rows[recent["booking_id"]].anonymised_at is None
    assert offers[recent["booking_id"]]["caller_name"] == "Rita Neufahrt"
    assert notes[recent["booking_id"]]["caller_name"] == "Rita Neufahrt"
    # the dispatcher's copies (what the API shows) match the database; the trip still counts
    seen = api.get(f"/api/v1/bookings/{old['booking_id']}", headers=fleet.operator).json()
    assert (seen["caller_name"], seen["caller_phone"], seen["status"]) == (None, None, "completed")
    seen = api.get(f"/api/v1/bookings/{recent['booking_id']}", headers=fleet.operator).json()
    assert seen["caller_name"] == "Rita Neufahrt"
    assert kpis(api, fleet, local(0, 0))["served"] == served_before == 2
    # a second run finds nothing new
    assert api.service.run_retention()[0] == []


def test_retention_removes_where_riders_live(api):
    """A door-to-door end's address and exact point, and the point and label a rider asked for at
    the nearest stop, are personal data too: gone after the retention (the door kept to ~1 km)."""
    fleet = Fleet(api, seats=4)
    stop = next(s for s in api.stops() if s["id"] == fleet.stops[0]["stop_id"])
    # about 150 m from the first stop, 6 decimals as a phone's position has them
    lat, lon = round(stop["lat"] + 0.0011, 6), round(stop["lon"] + 0.0007, 6)
    home = {"lat": lat, "lon": lon, "name": "Dorfstraße 12, Krögis (Käbschütztal)"}
    field = {"lat": lat, "lon": lon, "name": "Feldweg 3, Krögis (Käbschütztal)"}

    def book_from(place: dict) -> dict:
        r = api.post("/api/v1/ops/quotes", headers=fleet.operator, json={
            "origin": place, "destination": fleet.stops[1], "caller_name": "Erna Altfahrt"})
        assert r.status_code == 200 and r.json()["offers"], r.text
        offer_id = r.json()["offers"][0]["offer_id"]
        r = api.post("/api/v1/ops/bookings", headers=fleet.operator, json={"offer_id": offer_id})
        assert r.status_code == 201, r.text
        return r.json()

    door = book_from(home)
    assert door["origin"]["access"] == "door" and door["origin"]["name"] == home["name"]
    r = api.put("/api/v1/ops/service-area", headers=fleet.operator, json={"rules": {"door_to_door": "none"}})
    assert r.status_code == 200, r.text
    walk = book_from(field)
    assert walk["origin"]["access"] == "nearest_stop" and walk["origin"]["asked"]["name"] == field["name"]
    complete(api, door)
    complete(api, walk)
    served_before = kpis(api, fleet, local(0, 0))["served"]

    api.clock.set(local(91, 12))
    anonymised, _ = api.service.run_retention()
    assert sorted(anonymised) == sorted([door["booking_id"], walk["booking_id"]])
    text = database_text(api)
    for personal in ("Dorfstraße 12", "Feldweg 3", "Altfahrt", str(lat), str(lon)):
        assert personal not in text, personal
    with read_session(api.service.engine) as s:
        row = s.get(BookingRow, door["booking_id"])
        assert (row.origin_name, row.origin_lat, row.origin_lon) == (ANONYMOUS_DOOR, round(lat, 2), round(lon, 2))
        row = s.get(BookingRow, walk["booking_id"])
        assert (row.origin_asked_name, row.origin_asked_lat, row.origin_name) == (None, None, walk["origin"]["name"])
    # what the API shows matches the database; the trips still count
    for booking, name in ((door, ANONYMOUS_DOOR), (walk, walk["origin"]["name"])):
        seen = api.get(f"/api/v1/bookings/{booking['booking_id']}", headers=fleet.operator).json()
        assert seen["origin"]["name"] == name and seen["origin"]["asked"] is None
    assert kpis(api, fleet, local(0, 0))["served"] == served_before == 2
    assert api.service.run_retention()[0] == []


def test_retention_prunes_old_unbooked_quotes_and_keeps_recent_kpis(api):
    fleet = Fleet(api, seats=4)
    rider = api.register("quoter@example.org", RIDER_PASSWORD)
    for _ in range(6):
        api.offer(rider, *fleet.stops)
    old_booking = api.book(rider, api.offer(rider, *fleet.stops)["offer_id"]).json()
    # 31 days later: a shift, more quotes and a booking
    api.clock.set(local(31, 8))
    r = api.post("/api/v1/ops/shifts", headers=fleet.operator, json={
        "vehicle_id": fleet.vehicles[0]["id"], "start": iso(local(31, 9)), "end": iso(local(31, 18))})
    assert r.status_code == 201, r.text
    api.clock.set(local(31, 9))
    for _ in range(3):
        api.offer(rider, *fleet.stops)
    api.book(rider, api.offer(rider, *fleet.stops)["offer_id"])
    api.clock.set(local(31, 12))
    recent_before = kpis(api, fleet, local(31, 0))
    all_before = kpis(api, fleet, local(0, 0))
    engine = api.service.engine
    api.service.store.flush()

    def counts():
        with read_session(engine) as s:
            offers = s.scalar(select(func.count()).select_from(OfferRow))
            quote_events = s.scalar(select(func.count()).select_from(EventRow)
                                    .where(EventRow.kind.in_(["request_received", "offer_made"])))
        return offers, quote_events

    assert counts() == (11, 22)
    _, pruned = api.service.run_retention()
    assert (pruned.offers, pruned.events) == (6, 12)
    assert counts() == (5, 10)
    with read_session(engine) as s:
        kept = {o.offer_id: o for o in s.scalars(select(OfferRow))}
        old_quote_events = s.scalar(select(func.count()).select_from(EventRow).where(
            EventRow.kind == "request_received", EventRow.time < local(1, 0).timestamp()))
    # the booked quote of day 0 stays with its events; every recent one stays
    assert old_booking["booking_id"] in {o.booking_id for o in kept.values()}
    assert old_quote_events == 1
    assert kpis(api, fleet, local(31, 0)) == recent_before
    all_after = kpis(api, fleet, local(0, 0))
    for key in ("confirmed", "served", "cancelled", "wait_mean_s"):
        assert all_after[key] == all_before[key]
    assert all_after["requests"] == all_before["requests"] - 6     # the documented trade-off


def test_retention_job_runs_with_the_service(database_url, demo_network, clock, monkeypatch):
    """The service starts the job in the background (at once, then every retention_interval_s)
    and stops it with itself."""
    from fastapi.testclient import TestClient

    from ride_pool.api.app import create_app
    from ride_pool.settings import Settings

    runs = []
    from ride_pool.db import privacy

    original = privacy.RetentionJob.run_once
    monkeypatch.setattr(privacy.RetentionJob, "run_once", lambda self: runs.append(self.clock()) or original(self))
    app = create_app(Settings(database_url=database_url, secret_key="k" * 40, retention_interval_s=3600),
                     network=demo_network, clock=clock, background=True)
    with TestClient(app, headers={"Accept-Language": "en"}):
        job = app.state.service.retention
        for _ in range(200):
            if runs:
                break
            import time
            time.sleep(0.01)
        assert runs == [clock()]
        assert job._thread is not None and job._thread.is_alive()
    assert job._thread is None


# ------------------------------------------------------------------ audit log
def test_every_kind_of_operator_change_is_in_the_audit_log(api):
    fleet = Fleet(api, seats=4)
    op = fleet.operator
    operator_id = api.get("/api/v1/auth/me", headers=op).json()["id"]
    rider = api.register("auditee@example.org", RIDER_PASSWORD)
    booking = api.book(rider, api.offer(rider, *fleet.stops)["offer_id"]).json()
    other = api.book(rider, api.offer(rider, *fleet.stops)["offer_id"]).json()
    api.clock.advance(60)
    secret = "geheim-Passwort-123"
    changes = [
        api.post(f"/api/v1/ops/bookings/{booking['booking_id']}/cancel", headers=op),
        api.post(f"/api/v1/bookings/{other['booking_id']}/cancel", headers=op),       # a rider endpoint
        api.post("/api/v1/ops/shifts", headers=op, json={
            "vehicle_id": fleet.vehicles[0]["id"], "start": iso(local(1, 6)), "end": iso(local(1, 12))}),
        api.put("/api/v1/ops/service-area", headers=op, json={"rules": {"max_active_bookings": 5}}),
        api.post("/api/v1/ops/stops", headers=op, json={"name": "Neue Haltestelle", "lat": 51.13, "lon": 13.58}),
        api.post("/api/v1/ops/stops/import", headers={**op, "Content-Type": "text/csv"}, content=STOP_FILE),
        api.post("/api/v1/ops/users", headers=op, json={"email": "neu@fleet.test", "password": secret,
                                                         "name": "Neu", "role": "driver"}),
    ]
    for r in changes:
        assert r.status_code in (200, 201), r.text
    new_shift = changes[2].json()["id"]
    r = api.patch(f"/api/v1/ops/shifts/{new_shift}", headers=op, json={"end": iso(local(1, 13))})
    assert r.status_code == 200, r.text
    # refused and reading requests, quotes and a rider's own change are not recorded
    assert_problem(api.post("/api/v1/ops/shifts", headers=op, json={
        "vehicle_id": 999, "start": iso(local(1, 6)), "end": iso(local(1, 12))}), 422)
    api.get("/api/v1/ops/shifts", headers=op)
    api.post("/api/v1/ops/quotes", headers=op, json={"origin": fleet.stops[0], "destination": fleet.stops[1]})
    mine = api.book(rider, api.offer(rider, *fleet.stops)["offer_id"]).json()
    api.post(f"/api/v1/bookings/{mine['booking_id']}/cancel", headers=rider)

    r = api.get("/api/v1/ops/audit", params={"since": iso(api.clock())}, headers=op)
    assert r.status_code == 200, r.text
    entries = r.json()
    assert [e["id"] for e in entries] == sorted((e["id"] for e in entries), reverse=True)   # newest first
    got = [(e["action"], e["target_kind"], e["target_id"]) for e in reversed(entries)]
    users = api.get("/api/v1/ops/users", headers=op).json()
    new_user = next(u["id"] for u in users if u["email"] == "neu@fleet.test")
    assert got == [
        ("POST /api/v1/ops/bookings/{booking_id}/cancel", "booking", booking["booking_id"]),
        ("POST /api/v1/bookings/{booking_id}/cancel", "booking", other["booking_id"]),
        ("POST /api/v1/ops/shifts", "shift", str(new_shift)),
        ("PUT /api/v1/ops/service-area", "rules", None),
        ("POST /api/v1/ops/stops", "stop", str(changes[4].json()["id"])),
        ("POST /api/v1/ops/stops/import", "stop", None),
        ("POST /api/v1/ops/users", "account", str(new_user)),
        ("PATCH /api/v1/ops/shifts/{shift_id}", "shift", str(new_shift)),
    ]
    for e in entries:
        assert (e["actor_id"], e["actor_role"], e["actor_email"]) == (operator_id, "operator", OPERATOR[0])
        assert e["time"] == iso(api.clock()) and e["details"]["status"] in (200, 201)
    by_action = {e["action"]: e for e in entries}
    assert by_action["PUT /api/v1/ops/service-area"]["details"]["body"] == {"rules": {"max_active_bookings": 5}}
    assert by_action["POST /api/v1/ops/stops/import"]["details"]["body"] == {"content_type": "text/csv",
                                                                          "bytes": len(STOP_FILE)}
    assert by_action["POST /api/v1/ops/stops/import"]["details"]["result"]["imported"] == 1
    assert by_action["POST /api/v1/ops/users"]["details"]["body"]["password"] == "***"
    # the password is nowhere in the log
    with read_session(api.service.engine) as s:
        stored = json.dumps([r.details for r in s.scalars(select(AuditRow))])
    assert secret not in stored and secret not in r.text
    # the entries of Fleet's set-up are there too (vehicles, users, shifts, stops before `since`)
    everything = api.get("/api/v1/ops/audit", params={"limit": 500}, headers=op).json()
    assert {"POST /api/v1/ops/vehicles", "POST /api/v1/ops/users", "POST /api/v1/ops/stops"} <= \
        {e["action"] for e in everything}


def test_audit_list_filters_pages_and_is_for_operators_only(api):
    fleet = Fleet(api, seats=4, vehicles=2)
    op = fleet.operator
    rider = api.register("nosy@example.org", RIDER_PASSWORD)
    assert_problem(api.get("/api/v1/ops/audit", headers=rider), 403, "forbidden")
    assert_problem(api.get("/api/v1/ops/audit"), 401)
    assert_problem(api.get("/api/v1/ops/audit", headers=fleet.drivers[0]), 403, "forbidden")

    shifts = api.get("/api/v1/ops/audit", params={"target_kind": "shift"}, headers=op).json()
    assert len(shifts) == 2 and {e["action"] for e in shifts} == {"POST /api/v1/ops/shifts"}
    first = api.get("/api/v1/ops/audit", params={"limit": 3}, headers=op).json()
    rest = api.get("/api/v1/ops/audit", params={"limit": 500, "before_id": first[-1]["id"]}, headers=op).json()
    everything = api.get("/api/v1/ops/audit", params={"limit": 500}, headers=op).json()
    assert [e["id"] for e in first + rest] == [e["id"] for e in everything]
    # a before_id past any id the database can hold pages from the newest (schemathesis found a 500)
    huge = api.get("/api/v1/ops/audit", params={"limit": 500, "before_id": 2**63}, headers=op)
    assert huge.status_code == 200 and huge.json() == everything
    assert len(everything) == 8     # 2 x (vehicle, driver, shift), 2 stops
    assert api.get("/api/v1/ops/audit", params={"actor": OPERATOR[0]}, headers=op).json() == everything
    assert api.get("/api/v1/ops/audit", params={"actor": "nosy@example.org"}, headers=op).json() == []
    assert api.get("/api/v1/ops/audit", params={"until": iso(local(0, 0))}, headers=op).json() == []
    assert_problem(api.get("/api/v1/ops/audit", params={"since": "yesterday"}, headers=op), 422)


def test_audit_details_never_keep_secrets():
    body = json.dumps({"email": "a@b.de", "password": "pw-1234567890", "nested": {"new_password": "x" * 12,
                                                                                  "client_secret": "s"},
                       "polygon": [[13.5, 51.1]] * 1000, "note": "n" * 500}).encode()
    summary = audit_db.summarise_body(body, "application/json; charset=utf-8", len(body))
    assert summary["password"] == summary["nested"]["new_password"] == summary["nested"]["client_secret"] == "***"
    assert summary["email"] == "a@b.de" and summary["polygon"] == "<list of 1000 items>"
    assert len(summary["note"]) == 201
    form = b"username=a%40b.de&password=pw-1234567890"
    assert audit_db.summarise_body(form, "application/x-www-form-urlencoded", len(form)) == \
        {"content_type": "application/x-www-form-urlencoded", "bytes": len(form)}
