"""HTTP API, driver side and a full journey: a rider books, the driver of the booked vehicle starts
the shift, sees the pickup, reports arrived, boarded, dropped off; the rider sees the ride
completed and the operator's KPIs count it."""

from __future__ import annotations

from api_support import *  # noqa: F401,F403 - fixtures api, demo_api, clock and helpers
from api_support import DRIVER_PASSWORD, RIDER, Fleet, assert_problem, epoch, iso, local

COSWIG = "Coswig, Bahnhof"
KLIPPHAUSEN = "Klipphausen, Zentrum"


def _driver(api, n: int) -> dict:
    return api.headers(f"driver{n}@demo.local", DRIVER_PASSWORD)


def test_full_journey(demo_api, clock):
    api = demo_api
    rider = api.headers(*RIDER)
    op = api.operator

    # the rider books the earliest ride (09:30-09:50 pickup)
    offer = api.offer(rider, api.stop(COSWIG), api.stop(KLIPPHAUSEN))
    booking = api.book(rider, offer["offer_id"], key="journey").json()
    bid, vehicle_id = booking["booking_id"], booking["vehicle"]["vehicle_id"]
    assert booking["status"] == "confirmed"

    # the driver starts the shift of that vehicle
    driver = _driver(api, 1)
    startable = api.get("/api/v1/driver/shifts", headers=driver).json()
    assert vehicle_id in {s["vehicle_id"] for s in startable} and len(startable) == 8
    r = api.post("/api/v1/driver/shift/start", json={"vehicle_id": vehicle_id}, headers=driver)
    assert r.status_code == 200, r.text
    shift = r.json()
    assert shift["started"] and shift["vehicle_id"] == vehicle_id and shift["planned_stops"] == 2
    assert [s["id"] for s in api.get("/api/v1/driver/shifts", headers=driver).json()
            if s["driver_id"] is not None] == [shift["id"]]

    # the route: pick up in Coswig, drop off in Klipphausen
    route = api.get("/api/v1/driver/route", headers=driver).json()
    assert route["shift"]["id"] == shift["id"]
    pickup, dropoff = route["steps"]
    assert pickup["kind"] == "pickup" and dropoff["kind"] == "dropoff"
    assert pickup["stop_name"] == COSWIG and dropoff["stop_name"] == KLIPPHAUSEN
    assert pickup["booking_ids"] == dropoff["booking_ids"] == [bid]
    assert pickup["passengers"] == 1 and pickup["wheelchairs"] == 0
    assert (pickup["lat"], pickup["lon"]) == (51.135247, 13.588342)
    assert epoch(pickup["planned_arrival"]) <= epoch(pickup["planned_departure"]) <= epoch(dropoff["planned_arrival"])
    assert iso(local(0, 9, 30)) == pickup["window_earliest"] and pickup["window_latest"] == iso(local(0, 9, 50))
    assert pickup["seats_after"] == 1 and dropoff["seats_after"] == 0
    assert len(pickup["polyline"]) >= 2 and len(dropoff["polyline"]) >= 2
    assert dropoff["polyline"][0] == [round(pickup["lat"], 6), round(pickup["lon"], 6)] or \
        abs(dropoff["polyline"][0][0] - pickup["lat"]) < 0.01

    # on the way: the driver's phone reports positions; the rider sees the vehicle and the ETA
    clock.set(local(0, 9, 20))
    r = api.post("/api/v1/driver/location", json={"lat": 51.1267, "lon": 13.5805}, headers=driver)
    assert r.status_code == 200, r.text
    seen = api.booking(rider, bid)
    assert seen["vehicle"]["vehicle_id"] == vehicle_id
    assert (seen["vehicle"]["lat"], seen["vehicle"]["lon"]) == (51.1267, 13.5805)
    assert seen["vehicle"]["location_time"] == iso(local(0, 9, 20))
    assert epoch(seen["pickup_earliest"]) <= epoch(seen["eta_pickup"]) <= epoch(seen["pickup_latest"])
    live = api.get("/api/v1/ops/live", headers=op).json()
    mine = next(v for v in live if v["vehicle_id"] == vehicle_id)
    assert mine["started"] and mine["lat"] == 51.1267 and [s["booking_id"] for s in mine["next_stops"]] == [bid, bid]

    # at the stop: arrived, boarded
    clock.set(local(0, 9, 33))
    assert api.post(f"/api/v1/driver/bookings/{bid}/arrived", headers=driver).status_code == 200
    r = api.post(f"/api/v1/driver/bookings/{bid}/boarded", headers=driver)
    assert r.status_code == 200 and r.json()["planned_stops"] == 1
    seen = api.booking(rider, bid)
    assert seen["status"] == "onboard" and seen["boarded_at"] == iso(local(0, 9, 33))
    assert epoch(seen["eta_dropoff"]) <= epoch(seen["dropoff_latest"])
    steps = api.get("/api/v1/driver/route", headers=driver).json()["steps"]
    assert [(s["kind"], s["booking_ids"]) for s in steps] == [("dropoff", [bid])]
    assert steps[0]["seats_after"] == 0

    # at the destination: arrived, dropped off
    clock.set(local(0, 9, 52))
    assert api.post(f"/api/v1/driver/bookings/{bid}/arrived", headers=driver).status_code == 200
    r = api.post(f"/api/v1/driver/bookings/{bid}/dropped_off", headers=driver)
    assert r.status_code == 200 and r.json()["planned_stops"] == 0
    assert api.get("/api/v1/driver/route", headers=driver).json()["steps"] == []
    done = api.booking(rider, bid)
    assert done["status"] == "completed" and done["completed_at"] == iso(local(0, 9, 52))
    assert done["vehicle"] is None
    assert [b["status"] for b in api.get("/api/v1/bookings", headers=rider).json()] == ["completed"]
    # a finished ride can no longer be cancelled, nor reported again
    assert_problem(api.post(f"/api/v1/bookings/{bid}/cancel", headers=rider), 409)
    # (sent again without its key, e.g. after a lost answer: 409 already_reported with the state)
    detail = assert_problem(api.post(f"/api/v1/driver/bookings/{bid}/dropped_off", headers=driver), 409,
                            "already_reported")
    assert detail["state"]["status"] == "completed" and detail["state"]["completed_at"] == iso(local(0, 9, 52))

    # the operator's KPIs count it
    kpis = api.get("/api/v1/ops/kpis", headers=op).json()
    assert kpis["requests"] == 1 and kpis["confirmed"] == 1 and kpis["served"] == 1
    assert kpis["outcomes"]["served"] == 1 and kpis["served_share"] == 1.0
    assert kpis["wait_mean_s"] == 3 * 60       # boarded 09:33, asked for 09:30
    assert kpis["ride_mean_s"] == 19 * 60
    assert kpis["vehicle_km"] > 10 and kpis["passenger_km"] > 10
    assert kpis["shifts"] >= 1 and kpis["since"] == iso(local(0, 0))
    later = api.get("/api/v1/ops/kpis", params={"since": iso(local(0, 9, 40))}, headers=op).json()
    assert later["requests"] == 0 and later["served"] == 1

    # the shift ends
    r = api.post("/api/v1/driver/shift/end", headers=driver)
    assert r.status_code == 200 and r.json()["ended"]
    assert_problem(api.get("/api/v1/driver/route", headers=driver), 404, "no_shift")


def test_driver_sees_only_the_vehicle_of_the_current_shift(demo_api):
    api = demo_api
    rider = api.headers(*RIDER)
    booking = api.book(rider, api.offer(rider, api.stop(COSWIG), api.stop(KLIPPHAUSEN))["offer_id"]).json()
    bid, vehicle_id = booking["booking_id"], booking["vehicle"]["vehicle_id"]
    one, two = _driver(api, 1), _driver(api, 2)
    assert api.post("/api/v1/driver/shift/start", json={"vehicle_id": vehicle_id}, headers=one).status_code == 200

    # the second driver cannot take over the running shift, nor see or report on its bookings
    assert_problem(api.post("/api/v1/driver/shift/start", json={"vehicle_id": vehicle_id}, headers=two), 409, "taken")
    assert_problem(api.get("/api/v1/driver/route", headers=two), 404, "no_shift")
    assert_problem(api.post(f"/api/v1/driver/bookings/{bid}/arrived", headers=two), 404, "no_shift")
    assert vehicle_id not in {s["vehicle_id"] for s in api.get("/api/v1/driver/shifts", headers=two).json()}
    other_vehicle = next(v for v in range(1, 9) if v != vehicle_id)
    r = api.post("/api/v1/driver/shift/start", json={"vehicle_id": other_vehicle}, headers=two)
    assert r.status_code == 200, r.text
    route = api.get("/api/v1/driver/route", headers=two).json()
    assert route["shift"]["vehicle_id"] == other_vehicle and route["steps"] == []
    before = api.snapshot()
    assert_problem(api.post(f"/api/v1/driver/bookings/{bid}/boarded", headers=two), 404, "not_on_route")
    assert api.snapshot() == before
    # the first driver still sees the booking
    assert [s["booking_ids"] for s in api.get("/api/v1/driver/route", headers=one).json()["steps"]] == [[bid], [bid]]


def test_shift_start_rules(demo_api):
    api = demo_api
    op = api.operator
    driver = _driver(api, 3)
    # a shift tomorrow afternoon cannot be started yet
    r = api.post("/api/v1/ops/shifts", headers=op, json={"vehicle_id": 3, "start": iso(local(1, 12)),
                                                          "end": iso(local(1, 14)),
                                                          "driver_email": "driver3@demo.local"})
    assert r.status_code == 201, r.text
    later = r.json()
    assert later["driver_id"] is not None
    assert_problem(api.post("/api/v1/driver/shift/start", json={"shift_id": later["id"]}, headers=driver), 409,
                   "too_early")
    # an ended shift cannot be started again
    r = api.post("/api/v1/driver/shift/start", json={"vehicle_id": 3}, headers=driver)
    assert r.status_code == 200
    current = r.json()
    assert api.post("/api/v1/driver/shift/end", headers=driver).json()["ended"]
    assert_problem(api.post("/api/v1/driver/shift/start", json={"shift_id": current["id"]}, headers=driver), 409,
                   "shift_over")


def test_plan_follows_cancellations_and_new_bookings(demo_api):
    api = demo_api
    rider = api.headers(*RIDER)
    first = api.book(rider, api.offer(rider, api.stop(COSWIG), api.stop(KLIPPHAUSEN))["offer_id"]).json()
    vehicle_id = first["vehicle"]["vehicle_id"]
    driver = _driver(api, 1)
    assert api.post("/api/v1/driver/shift/start", json={"vehicle_id": vehicle_id}, headers=driver).status_code == 200
    # a second rider with the same trip is pooled into the same vehicle
    anna = api.register("anna@example.org")
    second = api.book(anna, api.offer(anna, api.stop(COSWIG), api.stop(KLIPPHAUSEN))["offer_id"]).json()
    assert second["vehicle"]["vehicle_id"] == vehicle_id
    steps = api.get("/api/v1/driver/route", headers=driver).json()["steps"]
    # steps at the same stop with the same kind are grouped
    assert [s["kind"] for s in steps] == ["pickup", "dropoff"]
    assert set(steps[0]["booking_ids"]) == {first["booking_id"], second["booking_id"]}
    assert steps[0]["passengers"] == 2 and steps[0]["seats_after"] == 2
    # the operator cancels the first booking: the driver's route follows at once
    r = api.post(f"/api/v1/ops/bookings/{first['booking_id']}/cancel", headers=api.operator)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    steps = api.get("/api/v1/driver/route", headers=driver).json()["steps"]
    assert [s["booking_ids"] for s in steps] == [[second["booking_id"]], [second["booking_id"]]]
    assert [b["booking_id"] for b in api.get("/api/v1/ops/bookings", headers=api.operator).json()] == \
        [second["booking_id"]]


def test_a_shift_planned_for_a_driver_is_theirs(api):
    fleet = Fleet(api, seats=3, vehicles=2)
    one, two = fleet.drivers
    first, second = fleet.shifts
    # each driver sees the own planned shift only
    assert [s["id"] for s in api.get("/api/v1/driver/shifts", headers=one).json()] == [first["id"]]
    assert_problem(api.post("/api/v1/driver/shift/start", json={"shift_id": second["id"]}, headers=one), 409,
                   "assigned_to_another_driver")
    assert_problem(api.post("/api/v1/driver/shift/start", json={"vehicle_id": second["vehicle_id"]}, headers=one),
                   409, "assigned_to_another_driver")
    r = api.post("/api/v1/driver/shift/start", json={"vehicle_id": first["vehicle_id"]}, headers=one)
    assert r.status_code == 200 and r.json()["id"] == first["id"]
    assert api.get("/api/v1/driver/route", headers=one).json()["shift"]["vehicle_id"] == first["vehicle_id"]
    assert_problem(api.get("/api/v1/driver/route", headers=two), 404, "no_shift")
