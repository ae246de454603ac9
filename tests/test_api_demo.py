"""The embedded demo seed, and the API state surviving a restart on the same database."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api_support import *  # noqa: F401,F403 - fixtures api, demo_api, clock and helpers
from api_support import DRIVER_PASSWORD, RIDER, Api, iso, local, make_app
from ride_pool.demo import seed_demo

COSWIG = "Coswig, Bahnhof"
KLIPPHAUSEN = "Klipphausen, Zentrum"


def test_seed_is_idempotent_and_keeps_the_next_day_covered(demo_api, clock):
    api = demo_api
    again = seed_demo(api.service, now=clock())
    assert (again.vehicles, again.stops, again.shifts_added) == (8, 0, 0)
    assert len(again.drivers) == 8 and len(api.stops()) == 67
    rider = api.headers(*RIDER)
    # Wednesday noon lies after the first demo shifts (until Wednesday 10:00)
    r = api.quote(rider, api.stop(COSWIG), api.stop(KLIPPHAUSEN), pickup_after=iso(local(1, 12)))
    assert r.json()["reason"]["code"] == "no_vehicle_available"

    # the next morning the seed continues every vehicle's shift after the running one
    clock.set(local(1, 5))
    later = seed_demo(api.service, now=clock())
    assert later.shifts_added == 8
    shifts = api.get("/api/v1/ops/shifts", headers=api.operator).json()
    assert len(shifts) == 16
    new = [s for s in shifts if s["start"] == iso(local(1, 10))]
    assert len(new) == 8 and {s["end"] for s in new} == {iso(local(2, 6))}
    assert api.offer(rider, api.stop(COSWIG), api.stop(KLIPPHAUSEN), pickup_after=iso(local(1, 12)))
    assert seed_demo(api.service, now=clock()).shifts_added == 0


def test_seed_leaves_planned_shifts_alone(demo_api, clock):
    api = demo_api
    # the operator planned vehicle 1 for Wednesday 14:00-18:00
    r = api.post("/api/v1/ops/shifts", headers=api.operator, json={"vehicle_id": 1, "start": iso(local(1, 14)),
                                                                    "end": iso(local(1, 18))})
    assert r.status_code == 201
    clock.set(local(1, 5))
    assert seed_demo(api.service, now=clock()).shifts_added == 8
    mine = [(s["start"], s["end"]) for s in api.get("/api/v1/ops/shifts", headers=api.operator).json()
            if s["vehicle_id"] == 1]
    assert mine == [(iso(local(0, 9)), iso(local(1, 10))), (iso(local(1, 10)), iso(local(1, 14))),
                    (iso(local(1, 14)), iso(local(1, 18)))]


def test_bookings_routes_and_keys_survive_a_restart(database_url, demo_network, clock, monkeypatch):
    from api_support import _CHEAP_HASH
    from ride_pool.api import security

    monkeypatch.setattr(security, "_password_hash", _CHEAP_HASH)
    with TestClient(make_app(database_url, demo_network, clock), headers={"Accept-Language": "en"}) as client:
        api = Api(client, clock)
        seed_demo(api.service, now=clock())
        rider = api.headers(*RIDER)
        offer = api.offer(rider, api.stop(COSWIG), api.stop(KLIPPHAUSEN))
        booking = api.book(rider, offer["offer_id"], key="before-restart").json()
        driver = api.headers("driver1@demo.local", DRIVER_PASSWORD)
        api.post("/api/v1/driver/shift/start", json={"vehicle_id": booking["vehicle"]["vehicle_id"]}, headers=driver)
        clock.set(local(0, 9, 10))
        api.post("/api/v1/driver/location", json={"lat": 51.1267, "lon": 13.5805}, headers=driver)
        route = api.get("/api/v1/driver/route", headers=driver).json()
        seen = api.booking(rider, booking["booking_id"])

    with TestClient(make_app(database_url, demo_network, clock), headers={"Accept-Language": "en"}) as client:
        api = Api(client, clock)
        rider = api.headers(*RIDER)
        assert api.booking(rider, booking["booking_id"]) == seen
        driver = api.headers("driver1@demo.local", DRIVER_PASSWORD)
        assert api.get("/api/v1/driver/route", headers=driver).json() == route
        # a retry after the restart still finds the booking by its key
        again = api.book(rider, offer["offer_id"], key="before-restart")
        assert again.status_code == 201 and again.json()["booking_id"] == booking["booking_id"]
        assert len(api.get("/api/v1/bookings", headers=rider).json()) == 1
