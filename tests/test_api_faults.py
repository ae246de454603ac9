"""HTTP API: bad input and faults. Every one gets a clear 4xx answer ``{"detail": {"code",
"message"}}`` (never a 500), and nothing already confirmed changes."""

from __future__ import annotations

import pytest

from api_support import *  # noqa: F401,F403 - fixtures api, demo_api, clock and helpers
from api_support import DRIVER_PASSWORD, RIDER, assert_problem, iso, local

COSWIG = "Coswig, Bahnhof"
KLIPPHAUSEN = "Klipphausen, Zentrum"


@pytest.fixture
def booked(demo_api):
    """The demo with one confirmed booking of the demo rider (Coswig -> Klipphausen, 11:00)."""
    rider = demo_api.headers(*RIDER)
    offer = demo_api.offer(rider, demo_api.stop(COSWIG), demo_api.stop(KLIPPHAUSEN), pickup_after=iso(local(0, 11)))
    r = demo_api.book(rider, offer["offer_id"], key="first")
    assert r.status_code == 201
    demo_api.booking_id = r.json()["booking_id"]
    demo_api.booking_body = r.json()
    return demo_api


def _unchanged(api, before):
    assert api.snapshot() == before
    read = api.booking(api.headers(*RIDER), api.booking_id)
    assert read == api.booking_body


# (name, quote body with "S" standing for a valid stop, expected status, expected code)
BAD_QUOTES = [
    ("latitude above 90", {"origin": {"lat": 91, "lon": 13.5}}, 422, "invalid_request"),
    ("longitude below -180", {"destination": {"lat": 51.1, "lon": -200}}, 422, "invalid_request"),
    ("latitude not a number", {"origin": {"lat": "north", "lon": 13.5}}, 422, "invalid_request"),
    ("only a latitude", {"origin": {"lat": 51.1}}, 422, "invalid_request"),
    ("stop and point at once", {"origin": {"stop_id": 1, "lat": 51.1, "lon": 13.5}}, 422, "invalid_request"),
    ("empty place", {"origin": {}}, 422, "invalid_request"),
    ("point far from the county", {"origin": {"lat": 1.0, "lon": 2.0}}, 422, "outside_service_area"),
    ("point off the roads", {"origin": {"lat": 51.2, "lon": 13.5}}, 422, "outside_service_area"),
    ("passengers 0", {"passengers": 0}, 422, "invalid_request"),
    ("passengers 50", {"passengers": 50}, 422, "invalid_request"),
    ("passengers negative", {"passengers": -1}, 422, "invalid_request"),
    ("passengers a fraction", {"passengers": 1.5}, 422, "invalid_request"),
    ("passengers a string", {"passengers": "two"}, 422, "invalid_request"),
    ("passengers true", {"passengers": True}, 422, "invalid_request"),
    ("passengers huge", {"passengers": 10**40}, 422, "invalid_request"),
    ("wheelchairs 3", {"passengers": 3, "wheelchairs": 3}, 422, "invalid_request"),
    ("more wheelchairs than passengers", {"passengers": 1, "wheelchairs": 2}, 422, "invalid_request"),
    ("arrive_by in the past", {"arrive_by": iso(local(0, 8))}, 422, "in_the_past"),
    ("pickup_after in the past", {"pickup_after": iso(local(-1, 12))}, 422, "in_the_past"),
    ("arrive_by in year 1", {"arrive_by": "0001-01-01T00:00:00"}, 422, "invalid_request"),
    ("pickup_after in year 9999", {"pickup_after": "9999-12-31T23:59:59"}, 422, "invalid_request"),
    ("time not ISO 8601", {"pickup_after": "tomorrow morning"}, 422, "invalid_request"),
    ("both times", {"pickup_after": iso(local(0, 12)), "arrive_by": iso(local(0, 13))}, 422, "invalid_request"),
    ("unknown stop id", {"origin": {"stop_id": 987654}}, 422, "unknown_stop"),
    ("stop id 0", {"destination": {"stop_id": 0}}, 422, "invalid_request"),
    ("stop id beyond 32 bits", {"origin": {"stop_id": 2**70}}, 422, "invalid_request"),
    ("stop id a string", {"origin": {"stop_id": "Meißen"}}, 422, "invalid_request"),
    ("unknown field", {"luggage": 3}, 422, "invalid_request"),
    ("NUL in a place name", {"origin": {"lat": 51.1631, "lon": 13.5715, "name": "Markt\u0000"}}, 422,
     "invalid_request"),
    ("missing origin", {"origin": None}, 422, "invalid_request"),
]


def test_bad_quotes_are_clear_4xx_and_change_nothing(booked):
    api = booked
    rider = api.headers(*RIDER)
    valid = {"origin": api.stop(COSWIG), "destination": api.stop(KLIPPHAUSEN)}
    before = api.snapshot()
    for name, change, status, code in BAD_QUOTES:
        body = {**valid, **change}
        body = {k: v for k, v in body.items() if v is not None}
        detail = assert_problem(api.post("/api/v1/quotes", json=body, headers=rider), status, code)
        assert detail["message"], name
    _unchanged(api, before)


def test_bad_request_bodies(booked):
    api = booked
    rider = api.headers(*RIDER)
    before = api.snapshot()
    json_headers = {**rider, "Content-Type": "application/json"}
    for path in ("/api/v1/quotes", "/api/v1/bookings"):
        detail = assert_problem(api.post(path, content='{"origin": {"stop_id": 1', headers=json_headers), 422,
                                "invalid_request")
        assert "not valid JSON" in detail["message"]
        assert_problem(api.post(path, content="[1, 2, 3]", headers=json_headers), 422, "invalid_request")
        assert_problem(api.post(path, content="", headers=json_headers), 422, "invalid_request")
        assert_problem(api.post(path, content="offer please", headers={**rider, "Content-Type": "text/plain"}),
                       422, "invalid_request")
        assert_problem(api.post(path, content=b"\xff\xfe\x00\x01", headers=json_headers), 422, "invalid_request")
    assert_problem(api.post("/api/v1/bookings", json={"offer_id": "x" * 65}, headers=rider), 422, "invalid_request")
    assert_problem(api.post("/api/v1/bookings", json={"offer_id": 17}, headers=rider), 422, "invalid_request")
    assert_problem(api.book(rider, "unknown", key="k" * 201), 422, "invalid_request")
    assert_problem(api.book(rider, "unknown-offer", key="fresh"), 404, "offer_unknown")
    assert_problem(api.post("/api/v1/auth/register", json={"email": "nul@example.org", "password": "password-1",
                                                           "name": "Null\u0000Byte"}), 422, "invalid_request")
    assert api.get("/api/v1/stops", params={"q": "Mei\x00"}).json() == []
    _unchanged(api, before)


def test_bad_booking_ids_and_tokens(booked):
    api = booked
    rider = api.headers(*RIDER)
    before = api.snapshot()
    for booking_id in ("no-such-booking", "x" * 300, "%00", "'; DROP TABLE bookings; --"):
        assert_problem(api.get(f"/api/v1/bookings/{booking_id}", headers=rider), 404, "not_found")
        assert_problem(api.post(f"/api/v1/bookings/{booking_id}/cancel", headers=rider), 404, "not_found")
    assert_problem(api.post(f"/api/v1/bookings/{api.booking_id}/cancel"), 401, "not_authenticated")
    assert_problem(api.post(f"/api/v1/bookings/{api.booking_id}/cancel",
                            headers={"Authorization": "Bearer forged.token.value"}), 401, "not_authenticated")
    assert_problem(api.post(f"/api/v1/bookings/{api.booking_id}/cancel",
                            headers={"Authorization": "Basic cmlkZXI6cGFzcw=="}), 401, "not_authenticated")
    other = api.register("other@example.org")
    assert_problem(api.get(f"/api/v1/bookings/{api.booking_id}", headers=other), 404, "not_found")
    assert_problem(api.post(f"/api/v1/bookings/{api.booking_id}/cancel", headers=other), 404, "not_found")
    _unchanged(api, before)


def test_driver_faults(booked):
    api = booked
    driver = api.headers("driver1@demo.local", DRIVER_PASSWORD)
    bid = api.booking_id
    vehicle = api.booking_body["vehicle"]["vehicle_id"]
    # no shift yet
    assert_problem(api.get("/api/v1/driver/route", headers=driver), 404, "no_shift")
    assert_problem(api.post(f"/api/v1/driver/bookings/{bid}/boarded", headers=driver), 404, "no_shift")
    assert_problem(api.post("/api/v1/driver/location", json={"lat": 51.1, "lon": 13.6}, headers=driver), 404,
                   "no_shift")
    assert_problem(api.post("/api/v1/driver/shift/end", headers=driver), 404, "no_shift")
    # shift start needs exactly one of shift_id / vehicle_id, and a real one
    assert_problem(api.post("/api/v1/driver/shift/start", json={}, headers=driver), 422, "invalid_request")
    assert_problem(api.post("/api/v1/driver/shift/start", json={"shift_id": 1, "vehicle_id": 1}, headers=driver),
                   422, "invalid_request")
    assert_problem(api.post("/api/v1/driver/shift/start", json={"shift_id": 999}, headers=driver), 404)
    assert_problem(api.post("/api/v1/driver/shift/start", json={"shift_id": 2**40}, headers=driver), 422)
    assert_problem(api.post("/api/v1/driver/shift/start", json={"vehicle_id": 999}, headers=driver), 404, "no_shift")

    before = api.snapshot()
    assert api.post("/api/v1/driver/shift/start", json={"vehicle_id": vehicle}, headers=driver).status_code == 200
    # reports out of order or for other bookings
    assert_problem(api.post(f"/api/v1/driver/bookings/{bid}/dropped_off", headers=driver), 409)
    assert_problem(api.post(f"/api/v1/driver/bookings/{bid}/no_show", headers=driver), 409)   # window not open
    assert_problem(api.post("/api/v1/driver/bookings/unknown/boarded", headers=driver), 404, "not_on_route")
    assert_problem(api.post(f"/api/v1/driver/bookings/{bid}/teleported", headers=driver), 422, "invalid_request")
    for position in ({"lat": 95, "lon": 13}, {"lat": 51.1}, {"lat": "x", "lon": 13}, {"lat": 1.0, "lon": 1.0}):
        assert_problem(api.post("/api/v1/driver/location", json=position, headers=driver), 422)
    # the shift cannot end with a booking still planned
    assert_problem(api.post("/api/v1/driver/shift/end", headers=driver), 409)
    after = api.snapshot()
    assert after["rows"] == before["rows"] and after["live"] == before["live"] and after["routes"] == before["routes"]
    assert api.booking(api.headers(*RIDER), bid)["status"] == "confirmed"


def test_ops_faults(booked):
    api = booked
    op = api.operator
    before = api.snapshot()
    vehicles = api.get("/api/v1/ops/vehicles", headers=op).json()
    cases = [
        ("post", "/api/v1/ops/vehicles", {"label": "X", "seats": 0, "depot_lat": 51.1, "depot_lon": 13.6}, 422),
        ("post", "/api/v1/ops/vehicles", {"label": "WC", "seats": 0, "wheelchair_places": 1, "depot_lat": 51.126687,
                                          "depot_lon": 13.580526}, 422),
        ("post", "/api/v1/ops/vehicles", {"label": "X", "seats": 4, "depot_lat": 1.0, "depot_lon": 1.0}, 422),
        ("post", "/api/v1/ops/vehicles", {"label": "MEI-RB 1", "seats": 4, "depot_lat": 51.126687,
                                          "depot_lon": 13.580526}, 409),
        ("post", "/api/v1/ops/vehicles", {"label": "", "seats": 4, "depot_lat": 51.1, "depot_lon": 13.6}, 422),
        ("patch", "/api/v1/ops/vehicles/999", {"seats": 3}, 404),
        ("patch", f"/api/v1/ops/vehicles/{2**70}", {"seats": 3}, 422),
        ("patch", "/api/v1/ops/vehicles/1", {"seats": -1}, 422),
        ("patch", "/api/v1/ops/vehicles/1", {"label": "MEI-RB 2"}, 409),
        ("patch", "/api/v1/ops/vehicles/1", {"depot_lat": 1.0}, 422),
        ("post", "/api/v1/ops/shifts", {"vehicle_id": 99, "start": iso(local(1, 9)), "end": iso(local(1, 12))}, 422),
        ("post", "/api/v1/ops/shifts", {"vehicle_id": 1, "start": iso(local(0, 12)), "end": iso(local(0, 10))}, 422),
        ("post", "/api/v1/ops/shifts", {"vehicle_id": 1, "start": iso(local(-1, 6)), "end": iso(local(-1, 8))}, 422),
        ("post", "/api/v1/ops/shifts", {"vehicle_id": 1, "start": iso(local(0, 10)), "end": iso(local(0, 12))}, 409),
        ("post", "/api/v1/ops/shifts", {"vehicle_id": 1, "start": iso(local(2, 6)), "end": iso(local(2, 8)),
                                        "driver_email": RIDER[0]}, 422),
        ("post", "/api/v1/ops/shifts", {"vehicle_id": 1, "start": "0001-01-01T00:00", "end": iso(local(2, 8))}, 422),
        ("post", "/api/v1/ops/shifts/999/end", None, 404),
        ("post", "/api/v1/ops/stops", {"name": "Nowhere", "lat": 1.0, "lon": 1.0}, 422),
        ("post", "/api/v1/ops/stops", {"name": "", "lat": 51.1, "lon": 13.6}, 422),
        ("post", "/api/v1/ops/stops", {"name": "Bus\u0000stop", "lat": 51.126687, "lon": 13.580526}, 422),
        ("post", "/api/v1/ops/vehicles", {"label": "NUL\u0000", "seats": 4, "depot_lat": 51.126687,
                                          "depot_lon": 13.580526}, 422),
        ("post", "/api/v1/ops/users", {"email": "n@example.org", "password": "password-1", "name": "\u0000",
                                       "role": "driver"}, 422),
        ("post", "/api/v1/ops/quotes", {"origin": api.stop(COSWIG), "destination": api.stop(KLIPPHAUSEN),
                                        "rider_email": "nobody@example.org"}, 422),
        ("post", "/api/v1/ops/bookings", {"offer_id": "unknown"}, 404),
        ("post", "/api/v1/ops/bookings/unknown/cancel", None, 404),
    ]
    for method, path, body, status in cases:
        kw = {"headers": op}
        if body is not None:
            kw["json"] = body
        assert_problem(getattr(api.client, method)(path, **kw), status)
    assert_problem(api.get("/api/v1/ops/kpis", params={"since": "last week"}, headers=op), 422, "invalid_request")
    assert_problem(api.post("/api/v1/ops/stops/import", headers={**op, "Content-Type": "text/csv"},
                            content=b"stop_id,stop_name,stop_lat,stop_lon\nq1,A\x00,51.126687,13.580526\n"),
                   422, "invalid_stop_file")
    assert api.get("/api/v1/ops/vehicles", headers=op).json() == vehicles
    _unchanged(api, before)
