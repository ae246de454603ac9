"""Issue 13, dispatcher rules and time handling: each test reproduces what the issue observed on
the HTTP API (and, where it helps, on the dispatcher itself) and checks the fix.

- item 2 (rules): the seat cap per account (``max_seats_per_rider``) and the limits of accounts
  that are not confirmed (``unconfirmed_max_bookings`` / ``unconfirmed_max_seats``);
- item 5: one running shift per driver;
- item 7: an ``Idempotency-Key`` reused with another offer -> 422 ``idempotency_key_reused``,
  also after a restart;
- item 11 (a, b): shift times with and without offset, and a zero-length shift across the DST
  change -> 422 (never 500);
- item 12: a local time in the DST gap -> 422 ``nonexistent_local_time`` with a suggestion; the
  repeated autumn hour means the earlier one;
- item 13: implausible driver reports -> 422 ``implausible_report``, plausible ones (also with a
  past time) accepted.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest
from fastapi import Depends, Request
from fastapi.testclient import TestClient

from api_support import *  # noqa: F401,F403 - fixtures api, demo_api, clock and helpers
from api_support import (
    _CHEAP_HASH,
    BERLIN,
    RIDER,
    Api,
    Fleet,
    assert_problem,
    epoch,
    iso,
    local,
    make_app,
)
from ride_pool.api import deps, security
from ride_pool.api.times import local_epoch
from ride_pool.dispatch.domain import RejectCause
from ride_pool.dispatch.errors import DispatchError
from ride_pool.dispatch.reports import CLOCK_SKEW_S
from ride_pool.dispatch.rules import ServiceRules

COSWIG = "Coswig, Bahnhof"
KLIPPHAUSEN = "Klipphausen, Zentrum"


# --- helpers -------------------------------------------------------------------------------------

@pytest.fixture
def unconfirmed(api):
    """User ids whose accounts count as not confirmed: the caller's ``confirmed`` is what the
    dispatcher's limits read (filling it from the database is the accounts work stream's part)."""
    ids: set[int] = set()

    async def caller_with_state(request: Request, token: str | None = Depends(deps.oauth2),
                                service=Depends(deps.get_service)) -> deps.Caller:
        caller = await deps.current_caller(request, token=token, service=service)
        return dataclasses.replace(caller, confirmed=caller.confirmed and caller.user_id not in ids)

    api.app.dependency_overrides[deps.current_caller] = caller_with_state
    yield ids
    api.app.dependency_overrides.pop(deps.current_caller, None)


def _user_id(api: Api, headers: dict) -> int:
    r = api.get("/api/v1/auth/me", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["id"]


def _riders(api: Api, n: int, prefix: str = "fake") -> list[dict]:
    return [api.add_user(f"{prefix}{i}@example.org", "rider-password-1", "rider", name=f"Rider {i}")
            for i in range(n)]


# --- item 2: seat cap and unconfirmed accounts ---------------------------------------------------

def test_seat_cap_stops_one_account_at_8_places(demo_api):
    """One account books 6 people, then 6 more: refused at the cap of 8 (quote and booking), while
    2 more fit; the cap is a rule the operator can change."""
    api = demo_api
    rider = api.headers(*RIDER)
    a, b = api.stop(COSWIG), api.stop(KLIPPHAUSEN)
    assert api.get("/api/v1/ops/service-area", headers=api.operator).json()["rules"]["max_seats_per_rider"] == 8
    assert api.book(rider, api.offer(rider, a, b, passengers=6, pickup_after=iso(local(0, 16)))["offer_id"]) \
        .status_code == 201
    r = api.quote(rider, a, b, passengers=6, pickup_after=iso(local(0, 16)))
    assert r.status_code == 200 and r.json()["offers"] == []
    assert r.json()["reason"]["code"] == "max_seats_per_rider", r.json()
    assert "8" in r.json()["reason"]["message"] and "6" in r.json()["reason"]["message"]
    # an offer made before the first booking cannot be booked past the cap either
    rider2 = api.add_user("second@example.org", "rider-password-2", "rider")
    early = api.offer(rider2, a, b, passengers=5, pickup_after=iso(local(0, 17)))
    late = api.offer(rider2, a, b, passengers=5, pickup_after=iso(local(0, 18)))
    assert api.book(rider2, early["offer_id"]).status_code == 201
    assert_problem(api.book(rider2, late["offer_id"]), 409, "max_seats_per_rider")
    # up to the cap is fine
    assert api.book(rider, api.offer(rider, a, b, passengers=2, pickup_after=iso(local(0, 16)))["offer_id"]) \
        .status_code == 201
    # the operator raises the cap: the group fits
    r = api.put("/api/v1/ops/service-area", headers=api.operator, json={"rules": {"max_seats_per_rider": 20}})
    assert r.status_code == 200, r.text
    assert api.quote(rider, a, b, passengers=6, pickup_after=iso(local(0, 16))).json()["offers"]


def test_twelve_unconfirmed_accounts_cannot_book_out_the_fleet(demo_api, unconfirmed):
    """The issue's attack: 12 new accounts booking 6 people each at 16:00. Unconfirmed, each gets
    at most one booking of 2 places; a real rider still gets a ride at 16:00."""
    api = demo_api
    a, b = api.stop(COSWIG), api.stop(KLIPPHAUSEN)
    fakes = _riders(api, 12)
    unconfirmed.update(_user_id(api, h) for h in fakes)
    for fake in fakes:
        r = api.quote(fake, a, b, passengers=6, pickup_after=iso(local(0, 16)))
        assert r.json()["offers"] == [] and r.json()["reason"]["code"] == "account_unconfirmed_limit", r.json()
        assert "confirm" in r.json()["reason"]["message"]
        assert api.book(fake, api.offer(fake, a, b, passengers=2, pickup_after=iso(local(0, 16)))["offer_id"]) \
            .status_code == 201
    held = sum(bk.passengers for bk in api.service.dispatcher.active_bookings())
    assert held == 24
    real = api.headers(*RIDER)
    offer = api.offer(real, a, b, passengers=2, pickup_after=iso(local(0, 16)))
    assert epoch(offer["pickup_earliest"]) == epoch(iso(local(0, 16)))
    assert api.book(real, offer["offer_id"]).status_code == 201


def test_unconfirmed_account_holds_one_booking_of_two_places(demo_api, unconfirmed):
    api = demo_api
    a, b = api.stop(COSWIG), api.stop(KLIPPHAUSEN)
    (new,) = _riders(api, 1, "new")
    unconfirmed.add(_user_id(api, new))
    # three people: refused at the quote
    r = api.quote(new, a, b, passengers=3, pickup_after=iso(local(0, 12)))
    assert r.json()["reason"]["code"] == "account_unconfirmed_limit"
    first = api.book(new, api.offer(new, a, b, passengers=2, pickup_after=iso(local(0, 12)))["offer_id"])
    assert first.status_code == 201
    # a second booking, even for one person: refused at the quote and at booking time
    assert api.quote(new, a, b, pickup_after=iso(local(0, 14))).json()["reason"]["code"] == \
        "account_unconfirmed_limit"
    unconfirmed.clear()
    offer = api.offer(new, a, b, pickup_after=iso(local(0, 14)))       # quoted once confirmed ...
    unconfirmed.add(_user_id(api, new))
    assert_problem(api.book(new, offer["offer_id"]), 409, "account_unconfirmed_limit")   # ... booked as not
    # once confirmed (e-mail code or operator), the ordinary rules apply
    unconfirmed.clear()
    assert api.book(new, offer["offer_id"]).status_code == 201
    # an operator's phone booking for a caller without account is not limited by any of this
    phone = api.post("/api/v1/ops/quotes", headers=api.operator, json={
        "origin": a, "destination": b, "passengers": 4, "pickup_after": iso(local(0, 15))}).json()
    assert phone["offers"], phone
    assert api.post("/api/v1/ops/bookings", headers=api.operator,
                    json={"offer_id": phone["offers"][0]["offer_id"]}).status_code == 201


def test_rider_rules_at_the_dispatcher(demo_api):
    """The rules themselves: defaults, checked like the other rules, and the ledger's places."""
    rules = ServiceRules()
    assert (rules.max_seats_per_rider, rules.unconfirmed_max_bookings, rules.unconfirmed_max_seats) == (8, 1, 2)
    with pytest.raises(ValueError, match="max_seats_per_rider"):
        rules.with_changes({"max_seats_per_rider": -1})
    with pytest.raises(ValueError, match="unconfirmed_max_seats"):
        rules.with_changes({"unconfirmed_max_seats": 1.5})
    d = demo_api.service.dispatcher
    rider = demo_api.headers(*RIDER)
    a, b = demo_api.stop(COSWIG), demo_api.stop(KLIPPHAUSEN)
    demo_api.book(rider, demo_api.offer(rider, a, b, passengers=3, wheelchairs=1,
                                        pickup_after=iso(local(0, 12)))["offer_id"])
    rider_id = _user_id(demo_api, rider)
    # wheelchair users are people too: the cap counts passengers
    assert d.riders.active_places(rider_id) == 3 and d.riders.active_count(rider_id) == 1
    assert RejectCause.MAX_SEATS_PER_RIDER.value == "max_seats_per_rider"


# --- item 5: one running shift per driver --------------------------------------------------------

def test_a_driver_cannot_start_a_second_shift(api):
    fleet = Fleet(api, vehicles=2)
    op, driver = fleet.operator, fleet.drivers[0]
    # a third vehicle with a shift nobody is planned for (any driver may start it)
    r = api.post("/api/v1/ops/vehicles", headers=op, json={"label": "FREE 1", "seats": 4, "depot_lat": Fleet.DEPOT[0],
                                                           "depot_lon": Fleet.DEPOT[1]})
    free_vehicle = r.json()["id"]
    r = api.post("/api/v1/ops/shifts", headers=op, json={"vehicle_id": free_vehicle, "start": iso(local(0, 9)),
                                                         "end": iso(local(0, 18))})
    free_shift = r.json()["id"]
    running = api.post("/api/v1/driver/shift/start", headers=driver, json={"shift_id": fleet.shifts[0]["id"]})
    assert running.status_code == 200, running.text
    # by shift id and by vehicle: refused, naming the running shift
    for body in ({"shift_id": free_shift}, {"vehicle_id": free_vehicle}):
        detail = assert_problem(api.post("/api/v1/driver/shift/start", headers=driver, json=body), 409,
                                "driver_has_running_shift")
        assert f"shift {fleet.shifts[0]['id']}" in detail["message"]
    assert not api.service.dispatcher.shifts[free_shift].started
    # starting the running shift again changes nothing (409 already_reported: the page treats it as
    # done); once it ended, the next one can start
    detail = assert_problem(api.post("/api/v1/driver/shift/start", headers=driver,
                                     json={"shift_id": fleet.shifts[0]["id"]}), 409, "already_reported")
    assert detail["state"]["started"] and detail["state"]["shift_id"] == fleet.shifts[0]["id"]
    assert api.post("/api/v1/driver/shift/end", headers=driver).status_code == 200
    r = api.post("/api/v1/driver/shift/start", headers=driver, json={"shift_id": free_shift})
    assert r.status_code == 200 and r.json()["started"]
    assert api.get("/api/v1/driver/route", headers=driver).json()["shift"]["id"] == free_shift


def test_one_running_shift_per_driver_at_the_dispatcher(api):
    fleet = Fleet(api, vehicles=2)
    d = api.service.dispatcher
    first, second = (s["id"] for s in fleet.shifts)
    driver_id = fleet.shifts[0]["driver_id"]
    d.start_shift(first, driver_id=driver_id)
    with pytest.raises(DispatchError) as exc:
        d.start_shift(second, driver_id=driver_id)
    assert exc.value.code == "driver_has_running_shift" and exc.value.status == 409
    d.start_shift(second)      # without a driver (the simulator): nothing to check
    assert d.shifts[second].started


# --- item 7: Idempotency-Key reuse -----------------------------------------------------------------

def test_idempotency_key_reused_with_another_offer(demo_api):
    api = demo_api
    rider = api.headers(*RIDER)
    a, b = api.stop(COSWIG), api.stop(KLIPPHAUSEN)
    first = api.offer(rider, a, b, pickup_after=iso(local(0, 11)))
    second = api.offer(rider, a, b, pickup_after=iso(local(0, 14)))
    booking = api.book(rider, first["offer_id"], key="tap-1").json()
    assert api.book(rider, first["offer_id"], key="tap-1").json()["booking_id"] == booking["booking_id"]
    detail = assert_problem(api.book(rider, second["offer_id"], key="tap-1"), 422, "idempotency_key_reused")
    assert "new key" in detail["message"]
    assert api.service.dispatcher.offers[second["offer_id"]].booking_id is None
    row = api.service.store.find_booking(f"rider:{booking['rider_id']}", "tap-1")
    assert row is not None and len(row.idempotency_hash) == 64


def _book_on_a_seeded_demo(database_url, network, clock, key: str):
    """Run the service once: seed the demo, book Coswig → Klipphausen at 11:00 as the demo rider with
    ``Idempotency-Key: key``, stop. Returns the offer, the booking and the database engine."""
    from ride_pool.demo import seed_demo

    with TestClient(make_app(database_url, network, clock), headers={"Accept-Language": "en"}) as client:
        api = Api(client, clock)
        seed_demo(api.service, now=clock())
        rider = api.headers(*RIDER)
        offer = api.offer(rider, api.stop(COSWIG), api.stop(KLIPPHAUSEN), pickup_after=iso(local(0, 11)))
        return offer, api.book(rider, offer["offer_id"], key=key).json(), api.service.engine


def test_idempotency_key_reused_after_a_restart(database_url, demo_network, clock, monkeypatch):
    """Active booking (restored into memory) and the database's copy both know the request."""
    monkeypatch.setattr(security, "_password_hash", _CHEAP_HASH)
    offer, booking, _ = _book_on_a_seeded_demo(database_url, demo_network, clock, "kept-key")
    with TestClient(make_app(database_url, demo_network, clock), headers={"Accept-Language": "en"}) as client:
        api = Api(client, clock)
        rider = api.headers(*RIDER)
        assert booking["booking_id"] in api.service.dispatcher.bookings
        fresh = api.offer(rider, api.stop(COSWIG), api.stop(KLIPPHAUSEN), pickup_after=iso(local(0, 13)))
        before = api.snapshot()
        assert_problem(api.book(rider, fresh["offer_id"], key="kept-key"), 422, "idempotency_key_reused")
        assert api.snapshot() == before
        again = api.book(rider, offer["offer_id"], key="kept-key")
        assert again.status_code == 201 and again.json()["booking_id"] == booking["booking_id"]


def test_bookings_stored_without_a_request_hash_match_any_request(database_url, demo_network, clock, monkeypatch):
    """A booking stored before migration 0003 has no hash (NULL): its key returns it for any request,
    as before the upgrade (documented in ride_pool.dispatch.bookings.BookingDesk.same_request)."""
    from sqlalchemy import update

    from ride_pool.db.engine import write_session
    from ride_pool.db.models import BookingRow

    monkeypatch.setattr(security, "_password_hash", _CHEAP_HASH)
    _, booking, engine = _book_on_a_seeded_demo(database_url, demo_network, clock, "old-key")
    with write_session(engine) as s:
        s.execute(update(BookingRow).values(idempotency_hash=None))
    with TestClient(make_app(database_url, demo_network, clock), headers={"Accept-Language": "en"}) as client:
        api = Api(client, clock)
        rider = api.headers(*RIDER)
        fresh = api.offer(rider, api.stop(COSWIG), api.stop(KLIPPHAUSEN), pickup_after=iso(local(0, 13)))
        again = api.book(rider, fresh["offer_id"], key="old-key")
        assert again.status_code == 201 and again.json()["booking_id"] == booking["booking_id"]


# --- item 11: 500s on shift times ------------------------------------------------------------------

@pytest.mark.parametrize("start, end", [
    ("2027-01-10T08:00", "2027-01-10T16:00+01:00"),          # the issue's mix: now 08:00 local to 16:00
    ("2027-03-28T01:30+01:00", "2027-03-28T03:30"),
])
def test_shift_times_with_and_without_offset(api, start, end):
    """A time without offset is local time of the service area, also next to one with an offset."""
    fleet = Fleet(api)
    r = api.post("/api/v1/ops/shifts", headers=fleet.operator,
                 json={"vehicle_id": fleet.vehicles[0]["id"], "start": start, "end": end})
    assert r.status_code == 201, r.text
    as_local = [datetime.fromisoformat(t) if "+" in t else datetime.fromisoformat(t).replace(tzinfo=BERLIN)
                for t in (start, end)]
    assert [epoch(r.json()["start"]), epoch(r.json()["end"])] == [int(t.timestamp()) for t in as_local]


@pytest.mark.parametrize("start, end, code", [
    ("2027-01-10T16:00", "2027-01-10T08:00+01:00", "invalid_request"),          # end before start, mixed
    ("2027-01-10T16:00+01:00", "2027-01-10T16:00", "invalid_request"),          # zero length, mixed
    ("2027-03-28T02:30+01:00", "2027-03-28T03:30+02:00", "invalid_request"),    # zero length across DST
    ("2027-03-28T02:30", "2027-03-28T03:30+02:00", "nonexistent_local_time"),   # ... with a gap time
    ("2027-03-28T02:30", "2027-03-28T03:30", "nonexistent_local_time"),
    ("2027-10-31T02:30+01:00", "2027-10-31T02:30", "invalid_request"),          # the earlier 02:30: before start
])
def test_impossible_shift_times_are_422_not_500(api, start, end, code):
    fleet = Fleet(api)
    api.client = TestClient(api.app, raise_server_exceptions=False, headers={"Accept-Language": "en"})
    for method, path in (("post", "/api/v1/ops/shifts"), ("patch", f"/api/v1/ops/shifts/{fleet.shifts[0]['id']}")):
        body = {"start": start, "end": end}
        if method == "post":
            body["vehicle_id"] = fleet.vehicles[0]["id"]
        r = getattr(api, method)(path, headers=fleet.operator, json=body)
        assert_problem(r, 422, code)


# --- item 12: the DST gap and the repeated hour ----------------------------------------------------

def test_a_local_time_in_the_dst_gap_is_refused_with_a_suggestion(demo_api):
    api = demo_api
    rider = api.headers(*RIDER)
    r = api.quote(rider, api.stop(COSWIG), api.stop(KLIPPHAUSEN), pickup_after="2027-03-28T02:30")
    detail = assert_problem(r, 422, "nonexistent_local_time")
    assert detail["field"] == "pickup_after" and detail["suggestion"] == "2027-03-28T03:00:00+02:00"
    assert "03:00" in detail["message"] and "does not exist" in detail["message"]
    r = api.quote(rider, api.stop(COSWIG), api.stop(KLIPPHAUSEN), arrive_by="2027-03-28T02:59:59")
    assert assert_problem(r, 422, "nonexistent_local_time")["field"] == "arrive_by"
    # the same wall time with its offset is a real instant: no refusal for the time itself
    r = api.quote(rider, api.stop(COSWIG), api.stop(KLIPPHAUSEN), pickup_after="2027-03-28T02:30+01:00")
    assert r.status_code == 200, r.text
    r = api.get("/api/v1/ops/kpis", headers=api.operator, params={"since": "2027-03-28T02:15"})
    assert_problem(r, 422, "nonexistent_local_time")


def test_local_time_rules_for_the_dst_changes():
    """Gap: refused (the first valid time suggested); repeated hour: the earlier one (summer time)."""
    from fastapi import HTTPException

    for gap in ("2027-03-28T02:00", "2027-03-28T02:30", "2027-03-28T02:59:59"):
        with pytest.raises(HTTPException) as exc:
            local_epoch(datetime.fromisoformat(gap), BERLIN, "start")
        assert exc.value.status_code == 422 and exc.value.detail["suggestion"] == "2027-03-28T03:00:00+02:00"
    assert local_epoch(datetime(2027, 3, 28, 3, 0), BERLIN) == int(datetime.fromisoformat(
        "2027-03-28T03:00+02:00").timestamp())
    assert local_epoch(datetime(2027, 3, 28, 1, 59), BERLIN) == int(datetime.fromisoformat(
        "2027-03-28T01:59+01:00").timestamp())
    # 02:30 on 31 October happens twice: the earlier one (+02:00) is meant
    twice = local_epoch(datetime(2027, 10, 31, 2, 30), BERLIN)
    assert twice == int(datetime.fromisoformat("2027-10-31T02:30+02:00").timestamp())
    assert local_epoch(datetime.fromisoformat("2027-10-31T02:30+01:00"), BERLIN) == twice + 3600
    # a time with an offset is that instant, whatever the wall clock
    assert local_epoch(datetime.fromisoformat("2027-03-28T02:30+01:00"), BERLIN) == int(
        datetime.fromisoformat("2027-03-28T01:30Z").timestamp())


def test_the_repeated_hour_on_the_api_means_the_earlier_one(api):
    fleet = Fleet(api)
    r = api.post("/api/v1/ops/shifts", headers=fleet.operator, json={
        "vehicle_id": fleet.vehicles[0]["id"], "start": "2027-10-31T02:30", "end": "2027-10-31T02:45+01:00"})
    assert r.status_code == 201, r.text
    assert r.json()["start"] == "2027-10-31T02:30:00+02:00" and r.json()["end"] == "2027-10-31T02:45:00+01:00"


# --- item 13: driver reports against the clock -----------------------------------------------------

def _booked_trip(api: Api, fleet: Fleet, hour: int, who: str = "traveller") -> dict:
    rider = api.add_user(f"{who}@example.org", "rider-password-1", "rider")
    offer = api.offer(rider, fleet.stops[0], fleet.stops[1], pickup_after=iso(local(0, hour)))
    r = api.book(rider, offer["offer_id"])
    assert r.status_code == 201, r.text
    return r.json()


def test_implausible_driver_reports_are_refused(api, clock):
    """The issue: ``boarded`` hours before the window, ``dropped_off`` one second later."""
    rules = ServiceRules()
    EARLY_ARRIVAL_S, EARLY_BOARDING_S, MIN_RIDE_FRACTION = \
        rules.early_arrival_s, rules.early_boarding_s, rules.min_ride_fraction
    assert (EARLY_ARRIVAL_S, EARLY_BOARDING_S, MIN_RIDE_FRACTION) == (1800, 600, 0.3)
    fleet = Fleet(api)
    driver = fleet.drivers[0]
    booking = _booked_trip(api, fleet, 15)
    bid = booking["booking_id"]
    opens = epoch(booking["pickup_earliest"])
    assert api.post("/api/v1/driver/shift/start", headers=driver, json={"shift_id": fleet.shifts[0]["id"]}) \
        .status_code == 200
    clock.set(local(0, 9, 52))
    for report in ("arrived", "boarded"):
        detail = assert_problem(api.post(f"/api/v1/driver/bookings/{bid}/{report}", headers=driver), 422,
                                "implausible_report")
        assert "15:00" in detail["message"]
    assert api.service.dispatcher.bookings[bid].status.value == "confirmed"
    # a little early at the stop is fine; boarding a few minutes early too
    clock.set(opens - EARLY_ARRIVAL_S)
    assert api.post(f"/api/v1/driver/bookings/{bid}/arrived", headers=driver).status_code == 200
    clock.set(opens - EARLY_BOARDING_S - 1)
    assert_problem(api.post(f"/api/v1/driver/bookings/{bid}/boarded", headers=driver), 422, "implausible_report")
    clock.set(opens - EARLY_BOARDING_S)
    assert api.post(f"/api/v1/driver/bookings/{bid}/boarded", headers=driver).status_code == 200
    # dropped off one second later: refused; after a plausible ride: accepted
    clock.advance(1)
    detail = assert_problem(api.post(f"/api/v1/driver/bookings/{bid}/dropped_off", headers=driver), 422,
                            "implausible_report")
    assert "direct drive" in detail["message"]
    direct_s = api.service.dispatcher.bookings[bid].direct_s
    assert direct_s > 600
    clock.set(opens - EARLY_BOARDING_S + int(direct_s * MIN_RIDE_FRACTION) + 1)
    assert api.post(f"/api/v1/driver/bookings/{bid}/dropped_off", headers=driver).status_code == 200
    assert api.service.dispatcher.bookings[bid].status.value == "completed"
    # the tolerances are rules: an operator who lets riders board an hour early says so
    other = _booked_trip(api, fleet, 17, "second")["booking_id"]
    clock.set(api.service.dispatcher.bookings[other].pickup_earliest - 3000)
    assert_problem(api.post(f"/api/v1/driver/bookings/{other}/boarded", headers=driver), 422, "implausible_report")
    r = api.put("/api/v1/ops/service-area", headers=fleet.operator, json={"rules": {"early_boarding_s": 3600}})
    assert r.status_code == 200, r.text
    assert api.post(f"/api/v1/driver/bookings/{other}/boarded", headers=driver).status_code == 200


def test_report_times_sent_with_the_report(api, clock):
    """A report queued offline carries its real time: kept when plausible; refused in the future
    (beyond the clock skew) or before the shift could start."""
    fleet = Fleet(api)
    driver = fleet.drivers[0]
    bid = _booked_trip(api, fleet, 11)["booking_id"]
    booking = api.service.dispatcher.bookings[bid]
    assert api.post("/api/v1/driver/shift/start", headers=driver, json={"shift_id": fleet.shifts[0]["id"]}) \
        .status_code == 200
    clock.set(booking.pickup_earliest + 3600)       # the phone comes back online an hour later
    url = f"/api/v1/driver/bookings/{bid}"
    for when, code in ((clock() + CLOCK_SKEW_S + 60, "report_in_future"),
                       (int(local(0, 6).timestamp()), "report_before_shift")):
        assert_problem(api.post(f"{url}/boarded", headers=driver, json={"time": iso(when)}), 422, code)
    boarded = booking.pickup_earliest + 120
    assert api.post(f"{url}/boarded", headers=driver, json={"time": iso(boarded)}).status_code == 200
    assert api.service.dispatcher.bookings[bid].boarded_at == boarded
    assert_problem(api.post(f"{url}/dropped_off", headers=driver, json={"time": iso(boarded + 30)}), 422,
                   "implausible_report")
    dropped = boarded + booking.direct_s + 60
    assert api.post(f"{url}/dropped_off", headers=driver, json={"time": iso(dropped)}).status_code == 200
    done = api.service.dispatcher.bookings[bid]
    assert done.status.value == "completed" and done.completed_at == dropped
