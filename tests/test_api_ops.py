"""HTTP API, operations: fleet, shifts, stops and stop import, phone bookings, KPIs, live view."""

from __future__ import annotations

from pathlib import Path

from api_support import *  # noqa: F401,F403 - fixtures api, demo_api, clock and helpers
from api_support import DRIVER_PASSWORD, OPERATOR, RIDER, Api, Fleet, assert_problem, iso, local, make_app

COSWIG = "Coswig, Bahnhof"
KLIPPHAUSEN = "Klipphausen, Zentrum"
GTFS_STOPS = """stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station
st1,Coswig Rathaus,51.1267,13.5805,0,
st2,Weinböhla Markt,51.1631,13.5715,0,
st3,Station Coswig,51.1352,13.5883,1,
st4,Far away,48.1,11.5,0,
"""


def test_vehicles_and_shifts(api):
    fleet = Fleet(api, seats=4, wheelchair_places=1, vehicles=2)
    op = fleet.operator
    vehicles = api.get("/api/v1/ops/vehicles", headers=op).json()
    assert [(v["label"], v["seats"], v["wheelchair_places"], v["active"]) for v in vehicles] == \
        [("TEST 1", 4, 1, True), ("TEST 2", 4, 1, True)]
    r = api.patch(f"/api/v1/ops/vehicles/{vehicles[0]['id']}", headers=op, json={"seats": 6, "label": "TEST 1a"})
    assert r.status_code == 200 and (r.json()["seats"], r.json()["label"]) == (6, "TEST 1a")

    shifts = api.get("/api/v1/ops/shifts", headers=op).json()
    assert [(s["vehicle_id"], s["start"], s["end"], s["started"]) for s in shifts] == [
        (v["id"], iso(local(0, 9)), iso(local(0, 18)), False) for v in vehicles]
    assert all(s["driver_id"] is not None for s in shifts)
    # a second shift of the same vehicle must not overlap
    assert_problem(api.post("/api/v1/ops/shifts", headers=op, json={
        "vehicle_id": vehicles[0]["id"], "start": iso(local(0, 17)), "end": iso(local(0, 20))}), 409, "conflict")
    r = api.post("/api/v1/ops/shifts", headers=op, json={
        "vehicle_id": vehicles[0]["id"], "start": "2026-03-04T06:00", "end": "2026-03-04T12:00"})
    assert r.status_code == 201 and r.json()["start"] == iso(local(1, 6))
    # an inactive vehicle gets no new shifts
    api.patch(f"/api/v1/ops/vehicles/{vehicles[1]['id']}", headers=op, json={"active": False})
    assert_problem(api.post("/api/v1/ops/shifts", headers=op, json={
        "vehicle_id": vehicles[1]["id"], "start": iso(local(1, 6)), "end": iso(local(1, 8))}), 409, "vehicle_inactive")

    # the operator ends an idle shift; one with planned stops cannot be ended
    rider = api.register("rider@example.org")
    booking = api.book(rider, api.offer(rider, *fleet.stops)["offer_id"]).json()
    busy = next(s for s in shifts if s["vehicle_id"] == booking["vehicle"]["vehicle_id"])
    idle = next(s for s in shifts if s["id"] != busy["id"])
    assert_problem(api.post(f"/api/v1/ops/shifts/{busy['id']}/end", headers=op), 409)
    r = api.post(f"/api/v1/ops/shifts/{idle['id']}/end", headers=op)
    assert r.status_code == 200 and r.json()["ended"]
    assert idle["id"] not in {s["id"] for s in api.get("/api/v1/ops/shifts", headers=op).json()}
    assert idle["id"] in {s["id"] for s in api.get("/api/v1/ops/shifts", params={"include_ended": True},
                                                   headers=op).json()}


def test_wheelchair_needs_a_wheelchair_place(api):
    fleet = Fleet(api, seats=4, wheelchair_places=0)
    rider = api.register("rolli@example.org")
    r = api.quote(rider, *fleet.stops, passengers=2, wheelchairs=1)
    assert r.status_code == 200 and r.json()["offers"] == [] and r.json()["reason"]["code"] == "no_vehicle_fits"
    assert "wheelchair" in r.json()["reason"]["message"]
    api.patch(f"/api/v1/ops/vehicles/{fleet.vehicles[0]['id']}", headers=fleet.operator,
              json={"wheelchair_places": 1})
    # the running shift keeps the vehicle as it was; the next shift has the place
    r = api.post("/api/v1/ops/shifts", headers=fleet.operator, json={
        "vehicle_id": fleet.vehicles[0]["id"], "start": iso(local(1, 9)), "end": iso(local(1, 12))})
    assert r.status_code == 201
    offer = api.offer(rider, *fleet.stops, passengers=2, wheelchairs=1, pickup_after=iso(local(1, 10)))
    assert offer["wheelchairs"] == 1


def test_create_and_import_stops(api):
    Fleet(api)
    op = api.headers(*OPERATOR)
    r = api.post("/api/v1/ops/stops", headers=op, json={"name": "Niederau, Bahnhof", "lat": 51.175976,
                                                        "lon": 13.535872, "town": "Niederau", "code": "x:1"})
    assert r.status_code == 201 and r.json()["code"] == "x:1" and r.json()["town"] == "Niederau"

    # GTFS stops.txt as the request body: stations (location_type 1) are left out, far stops counted
    r = api.post("/api/v1/ops/stops/import", headers={**op, "Content-Type": "text/csv"},
                 content=GTFS_STOPS.encode())
    assert r.status_code == 200, r.text
    assert r.json() == {"imported": 2, "outside_area": 1}
    names = {s["name"] for s in api.stops()}
    assert {"Coswig Rathaus", "Weinböhla Markt"} <= names and "Station Coswig" not in names
    # importing again updates the stops by their id instead of adding them twice
    count = len(api.stops())
    changed = GTFS_STOPS.replace("Coswig Rathaus", "\"Coswig, Rathaus\"")
    r = api.post("/api/v1/ops/stops/import", headers=op, files={"file": ("stops.txt", changed.encode(), "text/csv")})
    assert r.status_code == 200 and r.json()["imported"] == 2
    assert len(api.stops()) == count and "Coswig, Rathaus" in {s["name"] for s in api.stops()}
    # an imported stop can be booked from
    rider = api.register("rider@example.org")
    assert api.offer(rider, api.stop("Coswig, Rathaus"), api.stop("Klipphausen, Zentrum"))

    # bad files: nothing is imported, and the answer says what is wrong
    for content, code in [(b"", "invalid_stop_file"), (b"\xff\xfe\x00\x01garbage", "invalid_stop_file"),
                          (b"a,b\n1,2\n", "invalid_stop_file"),
                          (b"stop_id,stop_name,stop_lat,stop_lon\nq1,A,north,13.5\nq2,B,51.1,13.6\n",
                           "invalid_stop_file")]:
        detail = assert_problem(api.post("/api/v1/ops/stops/import", headers={**op, "Content-Type": "text/csv"},
                                         content=content), 422, code)
        assert len(detail["message"]) > 15
    assert_problem(api.post("/api/v1/ops/stops/import", headers=op, files={"upload": ("a.csv", b"x")}), 422,
                   "invalid_request")
    # an upload of one line is the file's text, never a path on the server to read
    for path, first_line in (("/etc/passwd", "root:"), (__file__, Path(__file__).read_text().splitlines()[0])):
        detail = assert_problem(api.post("/api/v1/ops/stops/import", headers={**op, "Content-Type": "text/csv"},
                                         content=path.encode()), 422, "invalid_stop_file")
        assert first_line not in detail["message"]
    assert len(api.stops()) == count


def test_import_vvo_station_table(api, data_dir):
    """The VVO station list of the shared data (the whole Oberelbe region): the stations inside the
    demo county are imported, the others counted."""
    Fleet(api)
    op = api.headers(*OPERATOR)
    path = data_dir / "gtfs" / "vvo_stations.csv"
    before = len(api.get("/api/v1/stops", params={"limit": 5000}).json())
    with open(path, "rb") as file:
        r = api.post("/api/v1/ops/stops/import", headers=op, files={"file": ("vvo_stations.csv", file, "text/csv")})
    assert r.status_code == 200, r.text
    result = r.json()
    total = sum(1 for line in open(path, encoding="utf-8-sig") if line.strip()) - 1
    assert result["imported"] > 100 and result["outside_area"] > 100
    assert result["imported"] + result["outside_area"] == total
    stops = api.get("/api/v1/stops", params={"limit": 5000}).json()
    assert len(stops) == before + result["imported"]
    assert api.get("/api/v1/stops", params={"q": "Adelsdorf"}).json()
    # the same file as the request body changes nothing but the stops' data
    r = api.post("/api/v1/ops/stops/import", headers={**op, "Content-Type": "text/csv"}, content=path.read_bytes())
    assert r.json() == result
    assert len(api.get("/api/v1/stops", params={"limit": 5000}).json()) == len(stops)


def test_phone_booking_on_behalf_of_a_caller(demo_api):
    api = demo_api
    op = api.operator
    body = {"origin": api.stop(COSWIG), "destination": api.stop(KLIPPHAUSEN), "pickup_after": iso(local(0, 12)),
            "passengers": 2, "caller_name": "  Frau Schulze ", "caller_phone": "+49 (3521) 123-456"}
    r = api.post("/api/v1/ops/quotes", headers=op, json=body)
    assert r.status_code == 200, r.text
    offer = r.json()["offers"][0]
    headers = {**op, "Idempotency-Key": "call-0815"}
    r = api.post("/api/v1/ops/bookings", headers=headers, json={"offer_id": offer["offer_id"]})
    assert r.status_code == 201, r.text
    booking = r.json()
    assert booking["channel"] == "phone" and booking["rider_id"] is None and booking["passengers"] == 2
    # whom it is for is kept with the booking (the name trimmed)
    assert (booking["caller_name"], booking["caller_phone"]) == ("Frau Schulze", "+49 (3521) 123-456")
    again = api.post("/api/v1/ops/bookings", headers=headers, json={"offer_id": offer["offer_id"]})
    assert again.status_code == 201 and again.json()["booking_id"] == booking["booking_id"]
    assert again.json()["caller_name"] == "Frau Schulze"
    listed = api.get("/api/v1/ops/bookings", headers=op).json()
    assert [(b["booking_id"], b["caller_name"], b["caller_phone"]) for b in listed] == [
        (booking["booking_id"], "Frau Schulze", "+49 (3521) 123-456")]

    # for a rider with an account, the booking shows in the rider's app
    body["rider_email"] = RIDER[0]
    offer = api.post("/api/v1/ops/quotes", headers=op, json=body).json()["offers"][0]
    r = api.post("/api/v1/ops/bookings", headers={**op, "Idempotency-Key": "call-0816"},
                 json={"offer_id": offer["offer_id"]})
    assert r.status_code == 201
    rider = api.headers(*RIDER)
    assert [b["booking_id"] for b in api.get("/api/v1/bookings", headers=rider).json()] == [r.json()["booking_id"]]
    # the rider may cancel it
    assert api.post(f"/api/v1/bookings/{r.json()['booking_id']}/cancel", headers=rider).json()["status"] == \
        "cancelled"
    kpis = api.get("/api/v1/ops/kpis", headers=op).json()
    assert kpis["requests"] == 2 and kpis["confirmed"] == 2 and kpis["cancelled"] == 1

    # an operator using the rider endpoints books for a caller too, not for the own account
    offer = api.offer(op, api.stop(COSWIG), api.stop(KLIPPHAUSEN), pickup_after=iso(local(0, 13)))
    r = api.book(op, offer["offer_id"], key="desk-1")
    assert r.status_code == 201 and r.json()["rider_id"] is None and r.json()["channel"] == "phone"
    assert r.json()["caller_name"] is None and r.json()["caller_phone"] is None


def test_phone_caller_input_is_checked(demo_api):
    api = demo_api
    trip = {"origin": api.stop(COSWIG), "destination": api.stop(KLIPPHAUSEN), "pickup_after": iso(local(0, 12))}
    bad = [
        ({"caller_phone": "0351 abc"}, "caller_phone", "only contain digits, spaces and + - ( ) /"),
        ({"caller_phone": "12"}, "caller_phone", "3 to 30 characters"),
        ({"caller_phone": "0" * 31}, "caller_phone", "3 to 30 characters"),
        ({"caller_phone": "+ - ()"}, "caller_phone", "at least 3 digits"),
        ({"caller_name": "   "}, "caller_name", "leave caller_name out"),
        ({"caller_name": "x" * 101}, "caller_name", "at most 100 characters"),
        ({"caller_name": "Erna\nBeispiel"}, "caller_name", "line breaks"),
        ({"caller_name": 42}, "caller_name", "valid string"),
    ]
    for fields, name, words in bad:
        # a refused name (the shared name rules) has its own code; a wrong type is a plain bad request
        code = "invalid_name" if isinstance(fields.get("caller_name"), str) else "invalid_request"
        detail = assert_problem(api.post("/api/v1/ops/quotes", headers=api.operator, json={**trip, **fields}), 422,
                                code)
        assert detail["message"].startswith(f"{name}: ") and words in detail["message"], (fields, detail)
    # the limits themselves are fine, and both are optional
    for fields in ({"caller_name": "x" * 100, "caller_phone": "1" * 30}, {"caller_phone": "110"}, {}):
        r = api.post("/api/v1/ops/quotes", headers=api.operator, json={**trip, **fields})
        assert r.status_code == 200 and r.json()["offers"], (fields, r.text)


def test_phone_caller_survives_a_restart_and_shows_on_the_driver_route(database_url, demo_network, clock,
                                                                          monkeypatch):
    from fastapi.testclient import TestClient

    from api_support import _CHEAP_HASH
    from ride_pool.api import security
    from ride_pool.demo import seed_demo

    monkeypatch.setattr(security, "_password_hash", _CHEAP_HASH)
    with TestClient(make_app(database_url, demo_network, clock), headers={"Accept-Language": "en"}) as client:
        api = Api(client, clock)
        seed_demo(api.service, now=clock())
        body = {"origin": api.stop(COSWIG), "destination": api.stop(KLIPPHAUSEN), "pickup_after": iso(local(0, 10)),
                "caller_name": "Erna Beispiel", "caller_phone": "03521 123456"}
        offer = api.post("/api/v1/ops/quotes", headers=api.operator, json=body).json()["offers"][0]
        r = api.post("/api/v1/ops/bookings", headers={**api.operator, "Idempotency-Key": "call-1"},
                     json={"offer_id": offer["offer_id"]})
        assert r.status_code == 201, r.text
        booking = r.json()
        # a quote not booked before the restart keeps its caller too
        open_offer = api.post("/api/v1/ops/quotes", headers=api.operator,
                              json={**body, "pickup_after": iso(local(0, 14)), "caller_name": "Otto Muster"}
                              ).json()["offers"][0]

    with TestClient(make_app(database_url, demo_network, clock), headers={"Accept-Language": "en"}) as client:
        api = Api(client, clock)
        listed = {b["booking_id"]: b for b in api.get("/api/v1/ops/bookings", headers=api.operator).json()}
        assert (listed[booking["booking_id"]]["caller_name"], listed[booking["booking_id"]]["caller_phone"]) == \
            ("Erna Beispiel", "03521 123456")
        # a retry with the key after the restart gives the same booking with its caller
        again = api.post("/api/v1/ops/bookings", headers={**api.operator, "Idempotency-Key": "call-1"},
                         json={"offer_id": offer["offer_id"]})
        assert again.status_code == 201 and again.json()["caller_name"] == "Erna Beispiel"
        r = api.post("/api/v1/ops/bookings", headers={**api.operator, "Idempotency-Key": "call-2"},
                     json={"offer_id": open_offer["offer_id"]})
        assert r.status_code == 201 and (r.json()["caller_name"], r.json()["caller_phone"]) == \
            ("Otto Muster", "03521 123456")
        # the driver sees whom to call out at the pickup and the drop-off
        driver = api.headers("driver1@demo.local", DRIVER_PASSWORD)
        r = api.post("/api/v1/driver/shift/start", json={"vehicle_id": booking["vehicle"]["vehicle_id"]},
                     headers=driver)
        assert r.status_code == 200, r.text
        steps = api.get("/api/v1/driver/route", headers=driver).json()["steps"]
        mine = [s for s in steps if booking["booking_id"] in s["booking_ids"]]
        assert [s["kind"] for s in mine] == ["pickup", "dropoff"]
        assert all(s["callers"][booking["booking_id"]] == "Erna Beispiel" for s in mine)


def test_kpis_count_rejections_by_cause(demo_api):
    api = demo_api
    rider = api.headers(*RIDER)
    api.quote(rider, api.stop(COSWIG), api.stop(KLIPPHAUSEN), pickup_after=iso(local(0, 23, 30)))
    api.quote(rider, api.stop(COSWIG), api.stop(KLIPPHAUSEN), pickup_after=iso(local(0, 9, 5)))
    offer = api.offer(rider, api.stop(COSWIG), api.stop(KLIPPHAUSEN))
    api.book(rider, offer["offer_id"])
    kpis = api.get("/api/v1/ops/kpis", headers=api.operator).json()
    assert kpis["requests"] == 3 and kpis["rejected"] == 2 and kpis["confirmed"] == 1
    assert kpis["rejections_by_cause"] == {"outside_operating_hours": 1, "min_lead_time": 1}
    assert kpis["outcomes"]["open"] == 1 and kpis["served"] == 0
    assert sum(kpis["outcomes"].values()) == kpis["requests"]


def test_live_view_lists_shifts_on_duty(demo_api, clock):
    api = demo_api
    live = api.get("/api/v1/ops/live", headers=api.operator).json()
    assert len(live) == 8 and not any(v["started"] for v in live)
    assert all(51.0 < v["anchor_lat"] < 51.5 for v in live)
    clock.set(local(1, 11))    # the demo shifts have ended
    assert api.get("/api/v1/ops/live", headers=api.operator).json() == []
