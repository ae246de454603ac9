"""Driver reports from a phone that was offline (issue 14, the server's part): every report with an
``Idempotency-Key`` and the time of the tap (``reported_at``); the same key again gets the first
answer and changes nothing, a key reused for another report is refused, keys survive a restart
and concurrent replays; reported times are checked (future, too old, before the shift, out of
order, the booking rules) and used by the events and KPIs; a report applied already without its
key is 409 ``already_reported``; the route answer lets a page reconcile (applied states, server
time) and carries what the driver's cards need; no-shows wait ``no_show_wait_s``; planned breaks
are kept free in the plan and reported like any stop."""

from __future__ import annotations

import threading
from datetime import datetime

import httpx
import pytest
from fastapi.testclient import TestClient

from api_support import *  # noqa: F401,F403 - fixtures api, demo_api, clock and helpers
from api_support import BERLIN, Api, Fleet, assert_problem, epoch, iso, local, make_app
from ride_pool.api import security
from routing.darp.checker import check_plan

RULE_WAIT_S = 180


def _trip(api: Api, fleet: Fleet, hour: int, minute: int = 0, who: str = "anna", name: str = "Anna Schmidt",
          **body) -> dict:
    rider = api.add_user(f"{who}@example.org", "rider-password-1", "rider", name=name)
    offer = api.offer(rider, fleet.stops[0], fleet.stops[1], pickup_after=iso(local(0, hour, minute)), **body)
    r = api.book(rider, offer["offer_id"])
    assert r.status_code == 201, r.text
    return r.json()


def _send(api: Api, driver: dict, path: str, key: str | None = None, at: int | None = None, name="reported_at",
          **body):
    headers = dict(driver)
    if key is not None:
        headers["Idempotency-Key"] = key
    if at is not None:
        body[name] = iso(at)
    return api.post(f"/api/v1/driver/{path}", headers=headers, json=body or None)


def _events(api: Api, kind: str, booking_id: str | None = None) -> list:
    return [e for e in api.service.dispatcher.store.events()
            if e.kind.value == kind and (booking_id is None or e.booking_id == booking_id)]


def _start(api: Api, fleet: Fleet, at: int | None = None, key: str | None = "start-1"):
    r = _send(api, fleet.drivers[0], "shift/start", key=key, at=at, shift_id=fleet.shifts[0]["id"])
    assert r.status_code == 200, r.text
    return r.json()


# ---------------------------------------------------------------------------------- replays
def test_a_trip_replayed_after_a_dead_zone_counts_once_with_the_tap_times(api, clock):
    fleet = Fleet(api)
    booking = _trip(api, fleet, 11)
    bid, opens = booking["booking_id"], epoch(booking["pickup_earliest"])
    clock.set(local(0, 10, 40))
    started = _start(api, fleet, at=epoch(iso(local(0, 10, 30))))
    assert started["started_at"] == iso(local(0, 10, 30)) and started["report"]["report"] == "shift_start"
    # offline from 10:50: the taps queue on the phone, the server hears them at 12:30
    taps = [("arrived", opens + 60), ("boarded", opens + 240),
            ("dropped_off", opens + 240 + api.service.dispatcher.bookings[bid].direct_s + 120)]
    clock.set(local(0, 12, 30))
    answers = {}
    for report, tap in taps:
        r = _send(api, fleet.drivers[0], f"bookings/{bid}/{report}", key=f"k-{report}", at=tap)
        assert r.status_code == 200, r.text
        assert "Idempotent-Replayed" not in r.headers
        answers[report] = r.json()
        assert r.json()["report"] == {"report": report, "booking_id": bid, "shift_id": fleet.shifts[0]["id"],
                                      "reported_at": iso(tap), "received_at": iso(local(0, 12, 30))}
    assert answers["dropped_off"]["planned_stops"] == 0
    # the answers were lost: the phone sends everything again, later - same answers, nothing new
    clock.set(local(0, 12, 45))
    before = api.snapshot()
    for report, tap in taps:
        r = _send(api, fleet.drivers[0], f"bookings/{bid}/{report}", key=f"k-{report}", at=tap)
        assert r.status_code == 200 and r.headers["Idempotent-Replayed"] == "true"
        assert r.json() == answers[report]
    assert api.snapshot() == before
    for kind, tap in (("vehicle_arrived", taps[0][1]), ("rider_boarded", taps[1][1]),
                      ("rider_dropped_off", taps[2][1])):
        (event,) = [e for e in _events(api, kind) if e.data.get("received_at")]
        assert event.time == tap and event.data["reported_at"] == tap
        assert event.data["received_at"] == int(local(0, 12, 30).timestamp())
    done = api.service.dispatcher.bookings[bid]
    assert (done.arrived_at, done.boarded_at, done.completed_at) == tuple(t for _, t in taps)
    assert done.status.value == "completed"
    # the old body name ``time`` still works (as an alias of reported_at)
    other = _trip(api, fleet, 14, who="bert", name="Bert")["booking_id"]
    clock.set(local(0, 14, 10))
    r = _send(api, fleet.drivers[0], f"bookings/{other}/arrived", at=int(local(0, 14, 5).timestamp()), name="time")
    assert r.status_code == 200 and r.json()["report"]["reported_at"] == iso(local(0, 14, 5))
    assert api.service.dispatcher.bookings[other].arrived_at == int(local(0, 14, 5).timestamp())


def test_a_key_reused_for_another_report_is_refused_and_keys_are_per_driver(api, clock):
    fleet = Fleet(api, seats=2, vehicles=2)
    first = _trip(api, fleet, 11)["booking_id"]
    clock.set(local(0, 10, 50))
    _start(api, fleet)
    clock.set(local(0, 10, 55))
    assert _send(api, fleet.drivers[0], f"bookings/{first}/arrived", key="tap-1").status_code == 200
    before = api.snapshot()
    for path in (f"bookings/{first}/boarded", "shift/end", "break/start"):
        detail = assert_problem(_send(api, fleet.drivers[0], path, key="tap-1"), 422, "idempotency_key_reused")
        assert "arrived" in detail["message"]
    # a start of another shift with the key of this one's start
    assert_problem(_send(api, fleet.drivers[0], "shift/start", key="start-1", vehicle_id=fleet.vehicles[1]["id"]),
                   422, "idempotency_key_reused")
    assert api.snapshot() == before and len(_events(api, "vehicle_arrived")) == 1
    # another driver's keys are theirs: the same key names their own report
    r = _send(api, fleet.drivers[1], "shift/start", key="start-1", shift_id=fleet.shifts[1]["id"])
    assert r.status_code == 200 and r.json()["id"] == fleet.shifts[1]["id"] and "Idempotent-Replayed" not in r.headers
    # a refused report does not bind its key: sent again when it can be true, it is applied
    assert_problem(_send(api, fleet.drivers[0], f"bookings/{first}/boarded", key="tap-2",
                         at=int(local(0, 10, 52).timestamp())), 422, "report_out_of_order")
    clock.set(local(0, 11, 2))
    assert _send(api, fleet.drivers[0], f"bookings/{first}/boarded", key="tap-2").status_code == 200


def test_report_keys_survive_a_restart(database_url, demo_network, clock, monkeypatch):
    monkeypatch.setattr(security, "_password_hash", _cheap_hash())
    with TestClient(make_app(database_url, demo_network, clock)) as client:
        api = Api(client, clock)
        fleet = Fleet(api)
        bid = _trip(api, fleet, 11)["booking_id"]
        clock.set(local(0, 10, 55))
        _start(api, fleet)
        clock.set(local(0, 11, 3))
        first = _send(api, fleet.drivers[0], f"bookings/{bid}/boarded", key="board-1",
                      at=int(local(0, 11, 1).timestamp()))
        assert first.status_code == 200
    clock.set(local(0, 11, 20))
    with TestClient(make_app(database_url, demo_network, clock)) as client:
        api = Api(client, clock)
        api._tokens = {}
        driver = api.headers(fleet.driver_emails[0], "demo-driver")
        assert api.service.dispatcher._replays.known == {}      # only the database knows the key now
        again = _send(api, driver, f"bookings/{bid}/boarded", key="board-1", at=int(local(0, 11, 1).timestamp()))
        assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
        assert len(_events(api, "rider_boarded", bid)) == 1
        assert_problem(_send(api, driver, f"bookings/{bid}/dropped_off", key="board-1"), 422,
                       "idempotency_key_reused")
        # the retention job deletes keys after 30 days
        store = api.service.dispatcher.store
        driver_id = api.service.dispatcher.shifts[fleet.shifts[0]["id"]].driver_id
        assert store.find_report(driver_id, "board-1").report == "boarded"
        from ride_pool.db.privacy import prune_report_keys

        assert prune_report_keys(api.service.engine, clock() + 29 * 86400) == 0
        assert prune_report_keys(api.service.engine, clock() + 31 * 86400) == 2     # start and boarding
        assert store.find_report(driver_id, "board-1") is None
        # without the key, the report applied before the restart is "already reported"
        detail = assert_problem(_send(api, driver, f"bookings/{bid}/boarded"), 409, "already_reported")
        assert detail["state"]["boarded_at"] == iso(local(0, 11, 1)) and detail["state"]["status"] == "onboard"


def test_concurrent_replays_of_one_report_apply_it_once(live_api, clock):
    api = live_api
    fleet = Fleet(api, seats=2)
    bid = _trip(api, fleet, 11)["booking_id"]
    clock.set(local(0, 11, 5))
    _start(api, fleet)
    clock.set(local(0, 11, 7))
    answers, barrier = [], threading.Barrier(6)

    def send():
        with httpx.Client(base_url=api.url, timeout=30) as client:
            barrier.wait()
            r = client.post(f"/api/v1/driver/bookings/{bid}/boarded", json={"reported_at": iso(local(0, 11, 6))},
                            headers={**fleet.drivers[0], "Idempotency-Key": "same-tap"})
            answers.append((r.status_code, r.headers.get("Idempotent-Replayed"), r.json()))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [a[0] for a in answers] == [200] * 6
    assert sorted(str(a[1]) for a in answers) == ["None"] + ["true"] * 5
    assert all(a[2] == answers[0][2] for a in answers)
    assert len(_events(api, "rider_boarded", bid)) == 1
    from ride_pool.db.engine import read_session
    from ride_pool.db.models import DriverReportRow

    with read_session(api.service.engine) as s:
        assert s.query(DriverReportRow).filter_by(idempotency_key="same-tap").count() == 1


# ---------------------------------------------------------------------------------- times
def test_implausible_and_reordered_report_times_are_refused_with_a_reason(api, clock):
    fleet = Fleet(api)
    booking = _trip(api, fleet, 11)
    bid, opens = booking["booking_id"], epoch(booking["pickup_earliest"])
    direct_s = api.service.dispatcher.bookings[bid].direct_s
    clock.set(local(0, 10, 30))
    _start(api, fleet, at=int(local(0, 10, 20).timestamp()))
    clock.set(local(0, 13))
    driver = fleet.drivers[0]
    url = f"bookings/{bid}"
    cases = [
        ("arrived", clock() + 121, "report_in_future"),
        ("arrived", int(local(0, 10, 19).timestamp()), "report_before_shift"),     # before the reported start
        ("boarded", opens - 601, "implausible_report"),                            # rule early_boarding_s
        ("arrived", opens - 1801, "implausible_report"),                           # rule early_arrival_s
        ("dropped_off", opens + 600, "conflict"),                                  # not on board yet
    ]
    for report, at, code in cases:
        detail = assert_problem(_send(api, driver, f"{url}/{report}", key=f"{report}-{at}", at=at),
                                409 if code == "conflict" else 422, code)
        if code == "report_in_future":
            assert detail["server_time"] == iso(local(0, 13))
    assert api.service.dispatcher.bookings[bid].status.value == "confirmed"
    assert not _events(api, "vehicle_arrived")
    # in the order they happened: arrived 11:03, boarded 11:05; then a boarding "before" the arrival
    # (a queue replayed out of order) or a drop-off before the boarding names the earlier step
    assert _send(api, driver, f"{url}/arrived", key="a", at=opens + 180).status_code == 200
    assert_problem(_send(api, driver, f"{url}/boarded", key="b0", at=opens + 120), 422, "report_out_of_order")
    assert _send(api, driver, f"{url}/boarded", key="b", at=opens + 300).status_code == 200
    # an arrival for a time before the boarding is the pickup's, sent late: implied by the boarding
    detail = assert_problem(_send(api, driver, f"{url}/arrived", key="c0", at=opens + 200), 409,
                            "already_reported")
    assert detail["state"]["boarded_at"] == iso(opens + 300)
    assert len(_events(api, "vehicle_arrived")) == 1
    # the ride rule applies to the reported times: dropped off 1 min after boarding cannot be
    assert_problem(_send(api, driver, f"{url}/dropped_off", key="d0", at=opens + 360), 422, "implausible_report")
    dropped = opens + 300 + direct_s
    assert _send(api, driver, f"{url}/dropped_off", key="d", at=dropped).status_code == 200
    # too old: more than report_max_age_s (12 h) ago - a rule the operator can change
    later = _trip(api, fleet, 15, who="carl", name="Carl")["booking_id"]
    later_opens = api.service.dispatcher.bookings[later].pickup_earliest
    clock.set(later_opens + 12 * 3600 + 60)
    assert_problem(_send(api, driver, f"bookings/{later}/arrived", key="old", at=later_opens), 422,
                   "report_too_old")
    r = api.put("/api/v1/ops/service-area", headers=fleet.operator, json={"rules": {"report_max_age_s": 86400}})
    assert r.status_code == 200, r.text
    assert _send(api, driver, f"bookings/{later}/arrived", key="old", at=later_opens).status_code == 200


def test_kpis_use_the_reported_times(api, clock):
    fleet = Fleet(api)
    booking = _trip(api, fleet, 11)
    bid, opens = booking["booking_id"], epoch(booking["pickup_earliest"])
    requested = api.service.dispatcher.bookings[bid].requested_time
    direct_s = api.service.dispatcher.bookings[bid].direct_s
    clock.set(local(0, 10, 50))
    _start(api, fleet)
    clock.set(local(0, 13))          # everything arrives two hours late
    boarded, dropped = opens + 420, opens + 420 + direct_s + 300
    assert _send(api, fleet.drivers[0], f"bookings/{bid}/boarded", key="b", at=boarded).status_code == 200
    assert _send(api, fleet.drivers[0], f"bookings/{bid}/dropped_off", key="d", at=dropped).status_code == 200
    kpis = api.get("/api/v1/ops/kpis", headers=fleet.operator).json()
    assert kpis["wait_mean_s"] == max(0, boarded - requested)
    assert kpis["ride_mean_s"] == dropped - boarded
    # a no-show counts at its reported time too
    other = _trip(api, fleet, 15, who="dora", name="Dora")["booking_id"]
    pe = api.service.dispatcher.bookings[other].pickup_earliest
    clock.set(pe + 3600)
    r = _send(api, fleet.drivers[0], f"bookings/{other}/no_show", key="n", at=pe + RULE_WAIT_S + 30)
    assert r.status_code == 200, r.text
    (event,) = _events(api, "rider_no_show", other)
    assert event.time == pe + RULE_WAIT_S + 30 and event.data["received_at"] == pe + 3600
    assert api.get("/api/v1/ops/kpis", headers=fleet.operator).json()["no_shows"] == 1


# ---------------------------------------------------------------------------------- honest state
def test_a_report_applied_before_answers_already_reported_without_its_key(api, clock):
    fleet = Fleet(api)
    booking = _trip(api, fleet, 11)
    bid, opens = booking["booking_id"], epoch(booking["pickup_earliest"])
    clock.set(opens + 120)
    _start(api, fleet)
    driver = fleet.drivers[0]
    assert _send(api, driver, f"bookings/{bid}/arrived").status_code == 200
    detail = assert_problem(_send(api, driver, f"bookings/{bid}/arrived"), 409, "already_reported")
    assert detail["state"] == {"booking_id": bid, "status": "confirmed", "arrived_at": iso(opens + 120),
                               "boarded_at": None, "dropoff_arrived_at": None, "completed_at": None,
                               "no_show_at": None}
    assert _send(api, driver, f"bookings/{bid}/boarded").status_code == 200
    before = api.snapshot()
    assert_problem(_send(api, driver, f"bookings/{bid}/boarded"), 409, "already_reported")
    assert_problem(_send(api, driver, f"bookings/{bid}/boarded", key="new-key"), 409, "already_reported")
    assert_problem(_send(api, driver, f"bookings/{bid}/no_show"), 409, "conflict")
    assert api.snapshot() == before and len(_events(api, "rider_boarded")) == 1
    # the route answer says what the server applied, also for bookings that left the route
    clock.advance(api.service.dispatcher.bookings[bid].direct_s + 60)
    assert _send(api, driver, f"bookings/{bid}/dropped_off").status_code == 200
    route = api.get("/api/v1/driver/route", headers=driver).json()
    assert route["steps"] == [] and route["server_time"] == iso(clock())
    assert route["bookings"][bid]["status"] == "completed" and route["bookings"][bid]["completed_at"] == iso(clock())
    assert_problem(_send(api, driver, f"bookings/{bid}/dropped_off"), 409, "already_reported")
    # the shift: ended once; again without the key: already reported; with it: the first answer
    end = _send(api, driver, "shift/end", key="end-1")
    assert end.status_code == 200 and end.json()["ended"] and end.json()["ended_at"] == iso(clock())
    assert_problem(_send(api, driver, "shift/end"), 409, "already_reported")
    again = _send(api, driver, "shift/end", key="end-1")
    assert again.status_code == 200 and again.json() == end.json()
    assert len(_events(api, "shift_ended")) == 1


def test_route_cards_and_the_no_show_wait(api, clock):
    fleet = Fleet(api, seats=4, wheelchair_places=1)
    app = _trip(api, fleet, 11, name="Anna Maria Schmidt", passengers=2, wheelchairs=1)
    q = api.post("/api/v1/ops/quotes", headers=fleet.operator, json={
        "origin": fleet.stops[0], "destination": fleet.stops[1], "pickup_after": iso(local(0, 11)),
        "caller_name": "Erna Beispiel", "caller_phone": "03521 123456"})
    assert q.status_code == 200, q.text
    r = api.post("/api/v1/ops/bookings", headers=fleet.operator, json={"offer_id": q.json()["offers"][0]["offer_id"]})
    assert r.status_code == 201, r.text
    phone = r.json()
    clock.set(local(0, 10, 45))
    _start(api, fleet)
    route = api.get("/api/v1/driver/route", headers=fleet.drivers[0]).json()
    riders = {r["booking_id"]: r for step in route["steps"] if step["kind"] == "pickup" for r in step["riders"]}
    a, p = riders[app["booking_id"]], riders[phone["booking_id"]]
    assert (a["name"], a["phone"], a["channel"], a["passengers"], a["wheelchairs"]) == ("Anna S.", None, "app", 2, 1)
    assert (p["name"], p["phone"], p["channel"]) == ("Erna Beispiel", "03521 123456", "phone")
    opens = epoch(app["pickup_earliest"])
    assert a["no_show_from"] == iso(opens + RULE_WAIT_S) and a["status"] == "confirmed" and a["arrived_at"] is None
    dropoffs = [s for s in route["steps"] if s["kind"] == "dropoff"]
    assert dropoffs and all(r["no_show_from"] is None for s in dropoffs for r in s["riders"])
    assert route["bookings"][app["booking_id"]]["status"] == "confirmed"
    # no-show: not before the window opened plus the waiting time, the answer saying from when
    bid = app["booking_id"]
    clock.set(opens + RULE_WAIT_S - 1)
    detail = assert_problem(_send(api, fleet.drivers[0], f"bookings/{bid}/no_show"), 409, "no_show_too_early")
    assert detail["possible_from"] == iso(opens + RULE_WAIT_S)
    assert f"{datetime.fromtimestamp(opens + RULE_WAIT_S, BERLIN):%H:%M}" in detail["message"]
    # the reported time counts: tapped too early, sent later - still refused
    clock.set(opens + 900)
    assert_problem(_send(api, fleet.drivers[0], f"bookings/{bid}/no_show", at=opens + 100), 409, "no_show_too_early")
    r = _send(api, fleet.drivers[0], f"bookings/{bid}/no_show", at=opens + RULE_WAIT_S)
    assert r.status_code == 200, r.text
    # the rule is the operator's
    r = api.put("/api/v1/ops/service-area", headers=fleet.operator, json={"rules": {"no_show_wait_s": 600}})
    assert r.status_code == 200 and api.service.dispatcher.rules.no_show_wait_s == 600


# ---------------------------------------------------------------------------------- breaks
def _break_fits(api: Api, shift_id: int) -> tuple[int, int]:
    """The planned break's begin and end; no stop of the plan is served inside it, and the plan is
    feasible."""
    d = api.service.dispatcher
    steps = d.planned_schedule(shift_id)
    (brk,) = [s for s in steps if s.kind.value == "break"]
    for s in steps:
        if s is not brk:
            assert s.departure <= brk.begin or s.begin >= brk.departure, (s, brk)
    built = d.live_problem()
    if built is not None:
        assert check_plan(built.problem, built.plan).feasible
    return brk.begin, brk.departure


def test_a_planned_break_is_kept_free_and_reported_like_a_stop(api, clock):
    fleet = Fleet(api, seats=4)
    sid = fleet.shifts[0]["id"]
    # planned through the operations API: 30 min beginning 12:00..12:30
    r = api.patch(f"/api/v1/ops/shifts/{sid}", headers=fleet.operator, json={
        "break_start_earliest": iso(local(0, 12)), "break_start_latest": iso(local(0, 12, 30)), "break_minutes": 30})
    assert r.status_code == 200, r.text
    shift = r.json()
    sid = shift["id"]
    fleet.shifts[0] = shift
    assert (shift["break_start_earliest"], shift["break_start_latest"], shift["break_minutes"]) == \
        (iso(local(0, 12)), iso(local(0, 12, 30)), 30)
    assert shift["planned_stops"] == 0
    assert_problem(api.patch(f"/api/v1/ops/shifts/{sid}", headers=fleet.operator, json={
        "break_start_earliest": iso(local(0, 17, 50)), "break_start_latest": iso(local(0, 17, 55))}), 422,
        "invalid_break")
    # riders around the break: the plan serves none of them during it
    for n, minute in enumerate((0, 10, 20, 40)):
        _trip(api, fleet, 12, minute, who=f"r{n}", name=f"Rider {n}")
    begin, end = _break_fits(api, sid)
    assert local(0, 12).timestamp() <= begin <= local(0, 12, 30).timestamp() and end - begin == 1800
    # the background optimiser moves stops around, never into the break nor the break off its vehicle
    api.service.dispatcher.reoptimise(time_limit_s=1)
    begin, end = _break_fits(api, sid)
    assert local(0, 12).timestamp() <= begin <= local(0, 12, 30).timestamp() and end - begin == 1800
    # the driver sees it as a step; a restart keeps it in place
    clock.set(local(0, 11, 30))
    _start(api, fleet)
    route = api.get("/api/v1/driver/route", headers=fleet.drivers[0]).json()
    (step,) = [s for s in route["steps"] if s["kind"] == "break"]
    assert step["break_minutes"] == 30 and step["booking_ids"] == [] and step["status"] == "planned"
    assert step["window_earliest"] == iso(local(0, 12)) and step["window_latest"] == iso(local(0, 12, 30))
    # reported like a stop: key and time; the break leaves the plan, the vehicle is busy for 30 min
    assert_problem(_send(api, fleet.drivers[0], "break/end", key="be-0"), 409, "break_not_started")
    clock.set(local(0, 12, 40))
    started = _send(api, fleet.drivers[0], "break/start", key="bs", at=int(local(0, 12, 5).timestamp()))
    assert started.status_code == 200, started.text
    assert started.json()["break_started_at"] == iso(local(0, 12, 5))
    again = _send(api, fleet.drivers[0], "break/start", key="bs", at=int(local(0, 12, 5).timestamp()))
    assert again.json() == started.json() and again.headers["Idempotent-Replayed"] == "true"
    assert_problem(_send(api, fleet.drivers[0], "break/start"), 409, "already_reported")
    route = api.get("/api/v1/driver/route", headers=fleet.drivers[0]).json()
    assert route["steps"][0]["kind"] == "break" and route["steps"][0]["status"] == "started"
    assert sum(s["kind"] == "break" for s in route["steps"]) == 1
    assert_problem(_send(api, fleet.drivers[0], "break/end", key="be-1", at=int(local(0, 12, 1).timestamp())), 422,
                   "report_out_of_order")
    ended = _send(api, fleet.drivers[0], "break/end", key="be-2", at=int(local(0, 12, 35).timestamp()))
    assert ended.status_code == 200 and ended.json()["break_ended_at"] == iso(local(0, 12, 35))
    (bs,), (be,) = _events(api, "break_started"), _events(api, "break_ended")
    assert bs.time == int(local(0, 12, 5).timestamp()) and bs.data["received_at"] == int(local(0, 12, 40).timestamp())
    assert be.data["break_s"] == 1800
    route = api.get("/api/v1/driver/route", headers=fleet.drivers[0]).json()
    assert not [s for s in route["steps"] if s["kind"] == "break"]


def test_a_break_not_taken_in_its_window_does_not_block_the_vehicle(api, clock):
    fleet = Fleet(api, seats=4)
    sid = fleet.shifts[0]["id"]
    r = api.patch(f"/api/v1/ops/shifts/{sid}", headers=fleet.operator, json={
        "break_start_earliest": iso(local(0, 12)), "break_start_latest": iso(local(0, 12, 30)), "break_minutes": 30})
    sid = r.json()["id"]
    fleet.shifts[0] = r.json()
    clock.set(local(0, 11))
    _start(api, fleet)
    clock.set(local(0, 12, 45))       # the driver had no time for it
    booking = _trip(api, fleet, 13, 30)
    assert booking["vehicle"]["vehicle_id"] == fleet.vehicles[0]["id"]
    begin, _ = _break_fits(api, sid)
    assert begin >= clock()
    # ending the shift drops it (the rider is served first)
    d = api.service.dispatcher
    b = d.bookings[booking["booking_id"]]
    clock.set(b.pickup_earliest + 60)
    assert _send(api, fleet.drivers[0], f"bookings/{b.booking_id}/boarded").status_code == 200
    clock.advance(b.direct_s + 60)
    assert _send(api, fleet.drivers[0], f"bookings/{b.booking_id}/dropped_off").status_code == 200
    end = _send(api, fleet.drivers[0], "shift/end")
    assert end.status_code == 200, end.text
    assert end.json()["ended"] and end.json()["break_started_at"] is None and not d.shifts[sid].route


def test_a_planned_break_survives_a_restart_and_a_shift_without_one_refuses(database_url, demo_network, clock,
                                                                             monkeypatch):
    monkeypatch.setattr(security, "_password_hash", _cheap_hash())
    with TestClient(make_app(database_url, demo_network, clock)) as client:
        api = Api(client, clock)
        fleet = Fleet(api, seats=4, vehicles=2)
        r = api.post("/api/v1/ops/shifts", headers=fleet.operator, json={
            "vehicle_id": fleet.vehicles[0]["id"], "start": iso(local(1, 9)), "end": iso(local(1, 17)),
            "break_start_earliest": iso(local(1, 12)), "break_start_latest": iso(local(1, 13)), "break_minutes": 45,
            "break_stop_id": fleet.stops[1]["stop_id"]})       # at Klipphausen, not at the depot
        assert r.status_code == 201, r.text
        assert (r.json()["break_stop_id"], r.json()["break_place_name"]) == \
            (fleet.stops[1]["stop_id"], "Klipphausen, Zentrum")
        sid = r.json()["id"]
        rider = api.add_user("eva@example.org", "rider-password-1", "rider", name="Eva")
        for minute in (0, 30):
            offer = api.offer(rider, fleet.stops[0], fleet.stops[1], pickup_after=iso(local(1, 12, minute)))
            assert api.book(rider, offer["offer_id"]).status_code == 201
        plan = [(s.booking_id, s.kind.value) for s in api.service.dispatcher.shifts[sid].route]
        assert ("break:%d" % sid, "break") in plan
        _break_fits(api, sid)
        clock.set(local(0, 10))
        assert _send(api, fleet.drivers[1], "shift/start", shift_id=fleet.shifts[1]["id"]).status_code == 200
        assert_problem(_send(api, fleet.drivers[1], "break/start"), 409, "no_break_planned")
    with TestClient(make_app(database_url, demo_network, clock)) as client:
        api = Api(client, clock)
        restored = api.service.dispatcher.shifts[sid]
        assert [(s.booking_id, s.kind.value) for s in restored.route] == plan
        assert (restored.break_s, restored.break_earliest) == (2700, int(local(1, 12).timestamp()))
        assert restored.break_place.name == "Klipphausen, Zentrum"
        _break_fits(api, sid)
        (brk,) = [p for p in api.service.dispatcher.planned_schedule(sid) if p.kind.value == "break"]
        assert (brk.place.lat, brk.place.lon) == pytest.approx(Fleet.STOPS["Klipphausen, Zentrum"], abs=0.01)


def _cheap_hash():
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    return PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))

