"""HTTP API, operations: editing stops (PATCH /ops/stops/{id}) and shifts (PATCH /ops/shifts/{id})."""

from __future__ import annotations

from api_support import *  # noqa: F401,F403 - fixtures api, clock and helpers
from api_support import OPERATOR, Fleet, assert_problem, iso, local


def test_edit_stop(api):
    fleet = Fleet(api)
    op = fleet.operator
    stop_id = fleet.stops[0]["stop_id"]
    r = api.patch(f"/api/v1/ops/stops/{stop_id}", headers=op, json={"name": "Coswig, Bahnhof Nord", "code": "c:1"})
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["code"], r.json()["town"]) == ("Coswig, Bahnhof Nord", "c:1", "Coswig")
    assert "Coswig, Bahnhof Nord" in {s["name"] for s in api.get("/api/v1/stops", params={"q": "cosw"}).json()}
    # moved a little: still bookable from
    r = api.patch(f"/api/v1/ops/stops/{stop_id}", headers=op, json={"lat": 51.1355, "lon": 13.5885})
    assert r.status_code == 200 and r.json()["lat"] == 51.1355
    rider = api.register("rider@example.org")
    assert api.offer(rider, *fleet.stops)["origin"]["name"] == "Coswig, Bahnhof Nord"
    # an empty code removes it
    r = api.patch(f"/api/v1/ops/stops/{stop_id}", headers=op, json={"code": ""})
    assert r.status_code == 200 and r.json()["code"] is None


def test_edit_stop_bad_input(api):
    fleet = Fleet(api)
    op = fleet.operator
    first, second = (s["stop_id"] for s in fleet.stops)
    api.patch(f"/api/v1/ops/stops/{first}", headers=op, json={"code": "dup"})
    for body, status, code, words in [
        ({}, 422, "invalid_request", "nothing to change"),
        ({"name": ""}, 422, "invalid_name", "name"),
        ({"name": "   "}, 422, "invalid_name", "name"),
        ({"lat": 95}, 422, "invalid_request", "lat"),
        ({"colour": "red"}, 422, "invalid_request", "colour"),
        ({"lat": 48.1, "lon": 11.5}, 422, None, ""),          # Munich: outside the service area
        ({"code": "dup"}, 409, "conflict", "dup"),
    ]:
        detail = assert_problem(api.patch(f"/api/v1/ops/stops/{second}", headers=op, json=body), status, code)
        assert words in detail["message"], (body, detail)
    assert_problem(api.patch("/api/v1/ops/stops/99999", headers=op, json={"name": "X"}), 404, "not_found")
    rider = api.register("r2@example.org")
    assert_problem(api.patch(f"/api/v1/ops/stops/{second}", headers=rider, json={"name": "X"}), 403, "forbidden")
    assert {s["name"] for s in api.stops()} == {"Coswig, Bahnhof", "Klipphausen, Zentrum"}


def test_edit_shift_driver_and_times(api):
    fleet = Fleet(api, vehicles=2)
    op = fleet.operator
    shift = fleet.shifts[0]
    # unassign, then assign the other driver
    r = api.patch(f"/api/v1/ops/shifts/{shift['id']}", headers=op, json={"driver_email": None})
    assert r.status_code == 200 and r.json()["driver_id"] is None
    r = api.patch(f"/api/v1/ops/shifts/{shift['id']}", headers=op, json={"driver_email": fleet.driver_emails[1]})
    assert r.status_code == 200 and r.json()["driver_id"] is not None
    assert api.service.dispatcher.shifts[shift["id"]].driver_id == r.json()["driver_id"]
    # new times replace the shift (no planned stops yet)
    r = api.patch(f"/api/v1/ops/shifts/{shift['id']}", headers=op,
                  json={"start": iso(local(0, 10)), "end": iso(local(0, 20))})
    assert r.status_code == 200, r.text
    moved = r.json()
    assert (moved["start"], moved["end"]) == (iso(local(0, 10)), iso(local(0, 20)))
    assert moved["driver_id"] is not None and moved["vehicle_id"] == shift["vehicle_id"]
    open_ids = {s["id"] for s in api.get("/api/v1/ops/shifts", headers=op).json()}
    assert moved["id"] in open_ids and (moved["id"] == shift["id"] or shift["id"] not in open_ids)
    # the moved shift takes bookings
    rider = api.register("rider@example.org")
    assert api.offer(rider, *fleet.stops)


def test_edit_shift_refusals(api):
    fleet = Fleet(api, vehicles=1)
    op = fleet.operator
    sid = fleet.shifts[0]["id"]
    vid = fleet.vehicles[0]["id"]
    later = api.post("/api/v1/ops/shifts", headers=op, json={
        "vehicle_id": vid, "start": iso(local(1, 6)), "end": iso(local(1, 12))}).json()
    for body, status, code, words in [
        ({}, 422, "invalid_request", "nothing to change"),
        ({"end": iso(local(0, 8))}, 422, "invalid_request", "end"),            # before its start
        ({"start": "tomorrow"}, 422, "invalid_request", "start"),
        ({"driver_email": "nobody@example.org"}, 422, "unknown_driver", "nobody@example.org"),
        ({"driver_email": OPERATOR[0]}, 422, "unknown_driver", "driver"),
        ({"end": iso(local(1, 7))}, 409, "conflict", "choose other times"),     # runs into the next shift
        ({"shift_id": 3}, 422, "invalid_request", "shift_id"),
    ]:
        detail = assert_problem(api.patch(f"/api/v1/ops/shifts/{sid}", headers=op, json=body), status, code)
        assert words in detail["message"], (body, detail)
    assert_problem(api.patch("/api/v1/ops/shifts/424242", headers=op, json={"driver_email": None}), 404, "not_found")
    # a shift with planned stops is extended in place (issue 15), but keeps its break plan; a
    # started one cannot change its driver
    rider = api.register("rider@example.org")
    api.book(rider, api.offer(rider, *fleet.stops)["offer_id"])
    r = api.patch(f"/api/v1/ops/shifts/{sid}", headers=op, json={"end": iso(local(0, 19))})
    assert r.status_code == 200 and r.json()["id"] == sid and r.json()["end"] == iso(local(0, 19))
    detail = assert_problem(api.patch(f"/api/v1/ops/shifts/{sid}", headers=op, json={
        "end": iso(local(0, 18)), "break_start_earliest": iso(local(0, 12)), "break_start_latest": iso(local(0, 13)),
        "break_minutes": 30}), 409, "shift_has_stops")
    assert "planned stops" in detail["message"]
    r = api.post("/api/v1/driver/shift/start", headers=fleet.drivers[0], json={"shift_id": sid})
    assert r.status_code == 200, r.text
    assert_problem(api.patch(f"/api/v1/ops/shifts/{sid}", headers=op, json={"driver_email": None}), 409,
                   "shift_started")
    # the later, idle shift can move
    r = api.patch(f"/api/v1/ops/shifts/{later['id']}", headers=op, json={"end": iso(local(1, 14))})
    assert r.status_code == 200 and r.json()["end"] == iso(local(1, 14))
