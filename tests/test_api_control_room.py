"""HTTP API, the operator's control room (issue 15): moving a booking to another vehicle (and
pinning it), re-timing it, a vehicle's breakdown, extending and shortening shifts that run or have
booked stops. After every change the live plan passes the checker (``check_plan``)."""

from __future__ import annotations

from api_support import *  # noqa: F401,F403 - fixtures api, clock and helpers
from api_support import Fleet, assert_problem, iso, local
from ride_pool.dispatch.domain import EventKind
from routing.darp.checker import check_plan

#: a depot in Meißen, far from the fleet's depot in Coswig
FAR_DEPOT = (51.1634, 13.4737)


def assert_plan_ok(api):
    """The live plan keeps every promise (the dial-a-ride checker)."""
    lp = api.service.dispatcher.live_problem()
    if lp is not None:
        result = check_plan(lp.problem, lp.plan)
        assert result.feasible, result


def book(api, fleet, email, hour, minute=0, reverse=False):
    rider = api.register(email)
    a, b = fleet.stops if not reverse else fleet.stops[::-1]
    offer = api.offer(rider, a, b, pickup_after=iso(local(0, hour, minute)))
    r = api.book(rider, offer["offer_id"])
    assert r.status_code == 201, r.text
    return rider, r.json()


def shift_of(api, booking_id):
    for s in api.service.dispatcher.shifts.values():
        if not s.ended and any(st.booking_id == booking_id for st in s.route):
            return s.shift_id
    return None


def changes(api, booking_id):
    return [e for _, e in api.service.store.event_rows(since_time=0) if e.kind is EventKind.BOOKING_CHANGED
            and e.booking_id == booking_id]


def test_assign_moves_a_booking_keeping_its_window(api):
    fleet = Fleet(api, seats=2, vehicles=2)
    op = fleet.operator
    _, booking = book(api, fleet, "r1@example.org", 10)
    bid = booking["booking_id"]
    here = shift_of(api, bid)
    other = next(s["id"] for s in fleet.shifts if s["id"] != here)
    r = api.post(f"/api/v1/ops/bookings/{bid}/assign", headers=op, json={"shift_id": other, "pin": False})
    assert r.status_code == 200, r.text
    moved = r.json()
    assert moved["shift_id"] == other and shift_of(api, bid) == other and moved["pinned"] is False
    assert (moved["pickup_earliest"], moved["pickup_latest"], moved["dropoff_latest"]) == (
        booking["pickup_earliest"], booking["pickup_latest"], booking["dropoff_latest"])
    assert moved["pickup_earliest"] <= moved["planned_pickup"] <= moved["pickup_latest"]
    assert_plan_ok(api)
    # the change is an event, attributed to the operator, with old and new shift
    ev = changes(api, bid)[-1]
    assert ev.cause == "operator" and ev.data["change"] == "moved"
    assert (ev.data["old_shift_id"], ev.data["new_shift_id"]) == (here, other)
    assert ev.data["operator_id"] is not None and ev.data["old_window"] == ev.data["new_window"]
    # the stored row says the same
    snap = api.snapshot()
    assert snap["rows"][bid][4] == api.service.dispatcher.shifts[other].vehicle_id


def test_assign_refusals(api, clock):
    fleet = Fleet(api, seats=1, vehicles=2)
    op = fleet.operator
    _, b1 = book(api, fleet, "r1@example.org", 10)
    _, b2 = book(api, fleet, "r2@example.org", 10)
    s1, s2 = shift_of(api, b1["booking_id"]), shift_of(api, b2["booking_id"])
    assert s1 != s2     # one seat each: the two riders need both vehicles
    before = api.snapshot()
    # the other vehicle is busy then: the promise cannot be kept there; nothing changes
    detail = assert_problem(api.post(f"/api/v1/ops/bookings/{b1['booking_id']}/assign", headers=op,
                                     json={"shift_id": s2, "pin": True}), 409, "promise_cannot_be_kept")
    assert "promised window" in detail["message"]
    assert api.snapshot() == before
    assert_plan_ok(api)
    # German by default
    r = api.post(f"/api/v1/ops/bookings/{b1['booking_id']}/assign", headers={**op, "Accept-Language": "de"},
                 json={"shift_id": s2})
    assert r.status_code == 409 and "Zeitfenster" in r.json()["detail"]["message"]
    # unknown booking, unknown shift, bad body
    assert_problem(api.post("/api/v1/ops/bookings/nope/assign", headers=op, json={"shift_id": s2}), 404)
    assert_problem(api.post(f"/api/v1/ops/bookings/{b1['booking_id']}/assign", headers=op,
                            json={"shift_id": 9999}), 404)
    assert_problem(api.post(f"/api/v1/ops/bookings/{b1['booking_id']}/assign", headers=op, json={}), 422)
    rider = api.register("x@example.org")
    assert_problem(api.post(f"/api/v1/ops/bookings/{b1['booking_id']}/assign", headers=rider,
                            json={"shift_id": s2}), 403)
    # already boarded: refused
    driver = fleet.drivers[fleet.shifts.index(next(s for s in fleet.shifts if s["id"] == s1))]
    clock.set(local(0, 10, 2))
    assert api.post("/api/v1/driver/shift/start", json={"shift_id": s1}, headers=driver).status_code == 200
    assert api.post(f"/api/v1/driver/bookings/{b1['booking_id']}/arrived", headers=driver).status_code == 200
    assert api.post(f"/api/v1/driver/bookings/{b1['booking_id']}/boarded", headers=driver).status_code == 200
    assert_problem(api.post(f"/api/v1/ops/bookings/{b1['booking_id']}/assign", headers=op,
                            json={"shift_id": s2}), 409, "booking_already_boarded")
    assert_problem(api.post(f"/api/v1/ops/bookings/{b1['booking_id']}/retime", headers=op,
                            json={"pickup_after": iso(local(0, 12))}), 409, "booking_already_boarded")


def far_shift(api, fleet):
    op = fleet.operator
    r = api.post("/api/v1/ops/vehicles", headers=op, json={"label": "FERN", "seats": 4, "wheelchair_places": 0,
                                                          "depot_lat": FAR_DEPOT[0], "depot_lon": FAR_DEPOT[1]})
    assert r.status_code == 201, r.text
    r = api.post("/api/v1/ops/shifts", headers=op, json={"vehicle_id": r.json()["id"], "start": iso(local(0, 9)),
                                                        "end": iso(local(0, 18))})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_pinned_booking_stays_under_reoptimisation_and_the_optimiser_tells(api):
    fleet = Fleet(api, seats=4, vehicles=1)
    op = fleet.operator
    far = far_shift(api, fleet)
    _, booking = book(api, fleet, "r1@example.org", 11)
    bid = booking["booking_id"]
    near = shift_of(api, bid)
    assert near == fleet.shifts[0]["id"]
    d = api.service.dispatcher
    # moved to the far vehicle without a pin: the optimiser takes it back (cheaper), and says so
    assert api.post(f"/api/v1/ops/bookings/{bid}/assign", headers=op, json={"shift_id": far}).status_code == 200
    assert shift_of(api, bid) == far
    assert d.reoptimise(time_limit_s=1, use_ortools=False) is True
    assert shift_of(api, bid) == near
    assert_plan_ok(api)
    ev = changes(api, bid)[-1]
    assert ev.cause == "optimiser" and (ev.data["old_shift_id"], ev.data["new_shift_id"]) == (far, near)
    rider_view = api.get(f"/api/v1/bookings/{bid}/changes", headers=api.headers("r1@example.org", "rider-password"))
    assert rider_view.status_code == 200, rider_view.text
    assert [c["cause"] for c in rider_view.json()] == ["operator", "optimiser"]
    # pinned there: re-optimisation keeps it on the far vehicle
    r = api.post(f"/api/v1/ops/bookings/{bid}/assign", headers=op, json={"shift_id": far, "pin": True})
    assert r.status_code == 200 and r.json()["pinned"] is True
    assert d.reoptimise(time_limit_s=1, use_ortools=False) is False
    assert shift_of(api, bid) == far and d.bookings[bid].pinned
    assert_plan_ok(api)
    # unpinned (same shift, pin false): the optimiser may move it again
    r = api.post(f"/api/v1/ops/bookings/{bid}/assign", headers=op, json={"shift_id": far, "pin": False})
    assert r.status_code == 200 and r.json()["pinned"] is False
    assert d.reoptimise(time_limit_s=1, use_ortools=False) is True and shift_of(api, bid) == near


def test_retime_replaces_the_window_or_keeps_the_old(api, clock):
    fleet = Fleet(api, seats=1, vehicles=1)
    op = fleet.operator
    _, b1 = book(api, fleet, "r1@example.org", 10)
    _, b2 = book(api, fleet, "r2@example.org", 12)
    r = api.post(f"/api/v1/ops/bookings/{b2['booking_id']}/retime", headers=op,
                 json={"pickup_after": iso(local(0, 13))})
    assert r.status_code == 200, r.text
    assert r.json()["pickup_earliest"] == iso(local(0, 13)) and r.json()["pickup_latest"] == iso(local(0, 13, 20))
    assert_plan_ok(api)
    ev = changes(api, b2["booking_id"])[-1]
    assert ev.data["change"] == "retimed" and ev.data["old_window"]["pickup_earliest"] == int(
        local(0, 12).timestamp()) and ev.data["new_window"]["pickup_earliest"] == int(local(0, 13).timestamp())
    # arrive_by: the window ends so that the ride arrives by then
    r = api.post(f"/api/v1/ops/bookings/{b2['booking_id']}/retime", headers=op,
                 json={"arrive_by": iso(local(0, 15))})
    assert r.status_code == 200, r.text
    assert r.json()["dropoff_latest"] == iso(local(0, 15))
    assert r.json()["planned_dropoff"] <= iso(local(0, 15))
    assert_plan_ok(api)
    # the only vehicle is busy with rider 1 then: refused, the old booking stands
    before = api.snapshot()
    detail = assert_problem(api.post(f"/api/v1/ops/bookings/{b2['booking_id']}/retime", headers=op,
                                     json={"pickup_after": iso(local(0, 10))}), 409, "promise_cannot_be_kept")
    assert "old promise stands" in detail["message"]
    assert api.snapshot() == before
    # in the past, outside the hours, neither or both times
    assert_problem(api.post(f"/api/v1/ops/bookings/{b2['booking_id']}/retime", headers=op,
                            json={"pickup_after": iso(local(0, 8))}), 409, "in_the_past")
    assert_problem(api.post(f"/api/v1/ops/bookings/{b2['booking_id']}/retime", headers=op,
                            json={"pickup_after": iso(local(0, 23, 30))}), 409, "outside_operating_hours")
    assert_problem(api.post(f"/api/v1/ops/bookings/{b2['booking_id']}/retime", headers=op, json={}), 422)
    assert_problem(api.post(f"/api/v1/ops/bookings/{b2['booking_id']}/retime", headers=op,
                            json={"pickup_after": iso(local(0, 13)), "arrive_by": iso(local(0, 15))}), 422)
    assert api.snapshot() == before


def test_breakdown_with_more_riders_than_spare_seats(api):
    fleet = Fleet(api, seats=1, vehicles=2)
    op = fleet.operator
    _, b1 = book(api, fleet, "r1@example.org", 10)
    _, b2 = book(api, fleet, "r2@example.org", 10)
    _, b3 = book(api, fleet, "r3@example.org", 13)
    broken = shift_of(api, b1["booking_id"])
    spare = shift_of(api, b2["booking_id"])
    r = api.post(f"/api/v1/ops/bookings/{b3['booking_id']}/assign", headers=op, json={"shift_id": broken,
                                                                                      "pin": True})
    assert r.status_code == 200, r.text
    r = api.post(f"/api/v1/ops/shifts/{broken}/breakdown", headers=op)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["shift"]["ended"] is True
    # rider 3 (13:00) fits the other vehicle; rider 1 (10:00) does not: the other has rider 2 then
    assert [(m["booking_id"], m["shift_id"]) for m in out["moved"]] == [(b3["booking_id"], spare)]
    assert [(u["booking_id"], u["cause"]) for u in out["unplaced"]] == [(b1["booking_id"], "no_vehicle_available")]
    assert "vehicle" in out["unplaced"][0]["message"] and out["on_board"] == []
    d = api.service.dispatcher
    assert shift_of(api, b3["booking_id"]) == spare and shift_of(api, b1["booking_id"]) is None
    assert d.bookings[b1["booking_id"]].status.value == "confirmed"
    assert b1["booking_id"] in d.unplanned_bookings()
    assert_plan_ok(api)
    # the desk lists it without a vehicle; its rider sees it, and why
    listed = {b["booking_id"]: b for b in api.get("/api/v1/ops/bookings", headers=op).json()}
    assert listed[b1["booking_id"]]["shift_id"] is None and listed[b1["booking_id"]]["vehicle"] is None
    rider1 = api.headers("r1@example.org", "rider-password")
    assert api.booking(rider1, b1["booking_id"])["status"] == "confirmed"
    seen = api.get(f"/api/v1/bookings/{b1['booking_id']}/changes", headers=rider1).json()
    assert [(c["cause"], c["change"], c["new_vehicle"]) for c in seen] == [("operator", "breakdown_unplaced", None)]
    assert seen[0]["operator_id"] is None       # riders are not told which operator
    # the unplaced booking can be moved by hand once there is room (here: after rider 2 is re-timed)
    assert api.post(f"/api/v1/ops/bookings/{b2['booking_id']}/retime", headers=op,
                    json={"pickup_after": iso(local(0, 11))}).status_code == 200
    r = api.post(f"/api/v1/ops/bookings/{b1['booking_id']}/assign", headers=op, json={"shift_id": spare})
    assert r.status_code == 200, r.text
    assert shift_of(api, b1["booking_id"]) == spare and d.unplanned_bookings() == []
    assert_plan_ok(api)
    # a broken-down shift is over
    assert_problem(api.post(f"/api/v1/ops/shifts/{broken}/breakdown", headers=op), 404)
    kinds = [e.kind for _, e in api.service.store.event_rows(since_time=0)]
    assert EventKind.SHIFT_BROKE_DOWN in kinds


def test_breakdown_with_a_rider_on_board(api, clock):
    fleet = Fleet(api, seats=4, vehicles=2)
    op = fleet.operator
    _, b1 = book(api, fleet, "r1@example.org", 10)
    broken = shift_of(api, b1["booking_id"])
    driver = fleet.drivers[[s["id"] for s in fleet.shifts].index(broken)]
    clock.set(local(0, 10, 2))
    assert api.post("/api/v1/driver/shift/start", json={"shift_id": broken}, headers=driver).status_code == 200
    assert api.post(f"/api/v1/driver/bookings/{b1['booking_id']}/arrived", headers=driver).status_code == 200
    assert api.post(f"/api/v1/driver/bookings/{b1['booking_id']}/boarded", headers=driver).status_code == 200
    clock.set(local(0, 10, 8))
    assert api.post("/api/v1/driver/location", json={"lat": 51.1267, "lon": 13.5805}, headers=driver).status_code == 200
    r = api.post(f"/api/v1/ops/shifts/{broken}/breakdown", headers=op)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["moved"] == [] and out["unplaced"] == []
    [ob] = out["on_board"]
    other = next(s["id"] for s in fleet.shifts if s["id"] != broken)
    assert ob["booking_id"] == b1["booking_id"] and ob["planned"] is True and ob["shift_id"] == other
    assert (ob["lat"], ob["lon"]) == (51.1267, 13.5805) and out["position"] == {"lat": 51.1267, "lon": 13.5805}
    b = api.service.dispatcher.bookings[b1["booking_id"]]
    assert b.status.value == "confirmed" and shift_of(api, b.booking_id) == other
    assert b.pickup_earliest == int(local(0, 10, 8).timestamp())
    assert_plan_ok(api)
    # the broken vehicle's driver has no running shift any more
    assert api.get("/api/v1/driver/route", headers=driver).status_code == 404


def test_running_shift_and_shift_with_booked_stops_extend_and_shorten(api, clock):
    fleet = Fleet(api, seats=2, vehicles=1)
    op = fleet.operator
    sid = fleet.shifts[0]["id"]
    _, b1 = book(api, fleet, "r1@example.org", 16)
    # extended with booked stops: in place, same id
    r = api.patch(f"/api/v1/ops/shifts/{sid}", headers=op, json={"end": iso(local(0, 20))})
    assert r.status_code == 200, r.text
    assert r.json()["id"] == sid and r.json()["end"] == iso(local(0, 20))
    assert api.service.dispatcher.shifts[sid].end == int(local(0, 20).timestamp())
    # a rider can now book 19:00
    book(api, fleet, "r2@example.org", 19)
    assert_plan_ok(api)
    # shortened so that the 16:00 and 19:00 rides no longer fit: refused, naming them
    detail = assert_problem(api.patch(f"/api/v1/ops/shifts/{sid}", headers=op, json={"end": iso(local(0, 15))}),
                            409, "stops_do_not_fit")
    assert b1["booking_id"] in detail["message"] and len(detail["bookings"]) == 2
    assert api.service.dispatcher.shifts[sid].end == int(local(0, 20).timestamp())
    assert_plan_ok(api)
    # running: the end moves, the start does not
    clock.set(local(0, 9, 5))
    assert api.post("/api/v1/driver/shift/start", json={"shift_id": sid}, headers=fleet.drivers[0]).status_code == 200
    r = api.patch(f"/api/v1/ops/shifts/{sid}", headers=op, json={"end": iso(local(0, 21))})
    assert r.status_code == 200 and r.json()["end"] == iso(local(0, 21)) and r.json()["started"]
    assert_problem(api.patch(f"/api/v1/ops/shifts/{sid}", headers=op, json={"start": iso(local(0, 8))}), 409,
                   "shift_started")
    assert_problem(api.patch(f"/api/v1/ops/shifts/{sid}", headers=op, json={"end": iso(local(0, 9))}), 422)
    assert_plan_ok(api)


def test_the_break_moves_within_its_window(api):
    """A planned break is a stop of the plan whose start may move within its window: a booking at
    the break's earliest time pushes it later, never out of its window."""
    fleet = Fleet(api, seats=2, vehicles=1)
    op = fleet.operator
    sid = fleet.shifts[0]["id"]
    r = api.patch(f"/api/v1/ops/shifts/{sid}", headers=op, json={
        "break_start_earliest": iso(local(0, 12)), "break_start_latest": iso(local(0, 13)), "break_minutes": 30})
    assert r.status_code == 200, r.text
    sid = r.json()["id"]
    d = api.service.dispatcher

    def break_begin():
        return next(p.begin for p in d.planned_schedule(sid) if p.kind.value == "break")

    assert break_begin() == int(local(0, 12).timestamp())
    book(api, fleet, "r1@example.org", 11, 50)
    assert int(local(0, 12).timestamp()) < break_begin() <= int(local(0, 13).timestamp())
    assert_plan_ok(api)


def test_weekly_shift_templates_generate_and_edit_the_plan(api, clock):
    fleet = Fleet(api, seats=2, vehicles=2)
    op = fleet.operator
    v1, v2 = (v["id"] for v in fleet.vehicles)
    # Mon-Fri 05:00-13:00 and 12:30-20:30 with a 30-minute break; Saturday 08:00-14:00
    early = api.post("/api/v1/ops/shift-templates", headers=op, json={
        "vehicle_id": v1, "weekdays": [0, 1, 2, 3, 4], "start": "05:00", "end": "13:00",
        "break_start_earliest": "08:30", "break_start_latest": "10:00", "break_minutes": 30,
        "driver_email": fleet.driver_emails[0]})
    assert early.status_code == 201, early.text
    assert [t["weekday"] for t in early.json()] == [0, 1, 2, 3, 4]
    late = api.post("/api/v1/ops/shift-templates", headers=op, json={
        "vehicle_id": v2, "weekdays": [0, 1, 2, 3, 4], "start": "12:30", "end": "20:30",
        "break_start_earliest": "16:00", "break_start_latest": "17:30", "break_minutes": 30})
    sat = api.post("/api/v1/ops/shift-templates", headers=op, json={
        "vehicle_id": v1, "weekdays": [5], "start": "08:00", "end": "14:00"})
    assert late.status_code == 201 and sat.status_code == 201
    assert len(api.get("/api/v1/ops/shift-templates", headers=op).json()) == 11
    # bad templates: German message by default, the field named
    for body in ({"vehicle_id": v1, "weekdays": [0], "start": "13:00", "end": "05:00"},
                 {"vehicle_id": v1, "weekdays": [0], "start": "25:00", "end": "26:00"},
                 {"vehicle_id": v1, "weekdays": [0], "start": "05:00", "end": "13:00", "break_minutes": 30},
                 {"vehicle_id": v1, "weekdays": [9], "start": "05:00", "end": "13:00"}):
        r = api.post("/api/v1/ops/shift-templates", headers={**op, "Accept-Language": "de"}, json=body)
        assert r.status_code == 422 and r.json()["detail"]["code"] in ("invalid_template", "invalid_request"), r.text
    # the preview for 2 weeks from Tuesday 09:00: today's early shift has begun, the fleet's own
    # 09:00-18:00 shifts clash with today's late shift, the rest is new
    plan = api.get("/api/v1/ops/shift-templates/plan", headers=op, params={"weeks": 2}).json()
    assert len(plan) == 2 * 11
    today = [p for p in plan if p["date"] == "2026-03-03"]
    assert {(p["start"][11:16], p["status"]) for p in today} == {("05:00", "clash"), ("12:30", "clash")}
    assert {p["status"] for p in plan if p["date"] != "2026-03-03"} == {"new"}
    saturday = next(p for p in plan if p["date"] == "2026-03-07")
    assert saturday["start"] == iso(local(4, 8)) and saturday["break_minutes"] == 0
    # generate: the new ones are created (with breaks and drivers); again: they exist
    made = api.post("/api/v1/ops/shift-templates/generate", headers=op, json={"weeks": 2}).json()
    created = [p for p in made if p["status"] == "created"]
    assert len(created) == 20
    d = api.service.dispatcher
    wed = next(p for p in created if p["date"] == "2026-03-04" and p["vehicle_id"] == v1)
    shift = d.shifts[wed["shift_id"]]
    assert (shift.start, shift.end) == (int(local(1, 5).timestamp()), int(local(1, 13).timestamp()))
    assert shift.break_s == 1800 and shift.break_earliest == int(local(1, 8, 30).timestamp())
    assert shift.driver_id is not None
    again = api.post("/api/v1/ops/shift-templates/generate", headers=op, json={"weeks": 2}).json()
    assert {p["status"] for p in again if p["date"] != "2026-03-03"} == {"exists"}
    # edit the plan: the late shift ends at 21:00 from now on; delete Saturday
    tid = late.json()[0]["id"]
    r = api.patch(f"/api/v1/ops/shift-templates/{tid}", headers=op, json={"end": "21:00"})
    assert r.status_code == 200 and r.json()["end"] == "21:00"
    assert api.client.delete(f"/api/v1/ops/shift-templates/{sat.json()[0]['id']}", headers=op).status_code == 204
    assert_problem(api.patch("/api/v1/ops/shift-templates/9999", headers=op, json={"end": "21:00"}), 404)
    plan = api.get("/api/v1/ops/shift-templates/plan", headers=op, params={"weeks": 2}).json()
    assert len(plan) == 2 * 10
    monday = next(p for p in plan if p["date"] == "2026-03-09" and p["template_id"] == tid)
    assert monday["end"] == iso(local(6, 21)) and monday["status"] == "clash"   # the 20:30 one exists
    # a rider can book on a generated shift
    assert_plan_ok(api)


def test_moves_pins_and_a_breakdown_survive_a_restart(database_url, demo_network, clock, monkeypatch):
    from fastapi.testclient import TestClient

    from api_support import _CHEAP_HASH, Api, make_app
    from ride_pool.api import security

    monkeypatch.setattr(security, "_password_hash", _CHEAP_HASH)
    with TestClient(make_app(database_url, demo_network, clock), headers={"Accept-Language": "en"}) as client:
        api = Api(client, clock)
        fleet = Fleet(api, seats=1, vehicles=3)
        op = fleet.operator
        _, b1 = book(api, fleet, "r1@example.org", 10)
        _, b2 = book(api, fleet, "r2@example.org", 10)
        _, b3 = book(api, fleet, "r3@example.org", 10)
        _, b4 = book(api, fleet, "r4@example.org", 14)
        s1 = shift_of(api, b1["booking_id"])
        assert api.post(f"/api/v1/ops/bookings/{b4['booking_id']}/assign", headers=op,
                        json={"shift_id": s1, "pin": True}).status_code == 200
        s2 = shift_of(api, b2["booking_id"])
        out = api.post(f"/api/v1/ops/shifts/{s2}/breakdown", headers=op).json()
        assert [u["booking_id"] for u in out["unplaced"]] == [b2["booking_id"]]
        before = {bid: (shift_of(api, bid), api.service.dispatcher.bookings[bid].pinned)
                  for bid in (b1["booking_id"], b2["booking_id"], b3["booking_id"], b4["booking_id"])}
    with TestClient(make_app(database_url, demo_network, clock), headers={"Accept-Language": "en"}) as client:
        api = Api(client, clock)
        after = {bid: (shift_of(api, bid), api.service.dispatcher.bookings[bid].pinned) for bid in before}
        assert after == before
        assert s2 not in api.service.dispatcher.shifts or api.service.dispatcher.shifts[s2].ended
        assert api.service.dispatcher.bookings[b2["booking_id"]].status.value == "confirmed"
        assert_plan_ok(api)
