"""HTTP API: service rules as settings - quotes that break a rule are refused naming it - and the
operator changing rules and the service area (``PUT /api/v1/ops/service-area``)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api_support import *  # noqa: F401,F403 - fixtures api, demo_api, clock and helpers
from api_support import DRIVER_PASSWORD, RIDER, Api, assert_problem, epoch, iso, local, make_app
from ride_pool.demo import seed_demo

COSWIG = "Coswig, Bahnhof"
KLIPPHAUSEN = "Klipphausen, Zentrum"


def _refused(api, headers, code: str, **body) -> str:
    r = api.quote(headers, api.stop(COSWIG), api.stop(KLIPPHAUSEN), **body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["offers"] == [] and out["reason"] is not None, out
    assert out["reason"]["code"] == code, out
    assert len(out["reason"]["message"]) > 20
    return out["reason"]["message"]


def _set_rules(api, **rules) -> dict:
    r = api.put("/api/v1/ops/service-area", headers=api.operator, json={"rules": rules})
    assert r.status_code == 200, r.text
    return r.json()["rules"]


def test_operating_hours_lead_time_and_horizon_are_named(demo_api):
    rider = demo_api.headers(*RIDER)
    message = _refused(demo_api, rider, "outside_operating_hours", pickup_after=iso(local(0, 23, 30)))
    assert "05:00" in message and "23:00" in message
    # a pickup at 22:50 would arrive after closing time
    _refused(demo_api, rider, "outside_operating_hours", pickup_after=iso(local(0, 22, 50)))
    assert "30 minutes" in _refused(demo_api, rider, "min_lead_time", pickup_after=iso(local(0, 9, 10)))
    assert "7 days" in _refused(demo_api, rider, "booking_horizon", pickup_after=iso(local(8, 12)))
    # an arrival 20 minutes from now would need a pickup in the past: the lead-time rule as well
    assert "30 minutes" in _refused(demo_api, rider, "min_lead_time", arrive_by=iso(local(0, 9, 20)))
    assert "30 minutes" in _refused(demo_api, rider, "min_lead_time", arrive_by=iso(local(0, 9, 45)))
    # the limits themselves are fine
    assert demo_api.offer(rider, demo_api.stop(COSWIG), demo_api.stop(KLIPPHAUSEN),
                          pickup_after=iso(local(0, 9, 30)))["pickup_earliest"] == iso(local(0, 9, 30))


def test_no_vehicle_can_make_it(demo_api):
    rider = demo_api.headers(*RIDER)
    # the demo shifts end on Wednesday 10:00
    _refused(demo_api, rider, "no_vehicle_available", pickup_after=iso(local(2, 12)))
    # eight passengers do not fit into any demo vehicle (7 seats at most)
    _refused(demo_api, rider, "no_vehicle_fits", passengers=8)


def test_quote_refused_without_any_vehicle(api):
    api.add_user("op@example.org", "operator-pw", "operator")
    api.post("/api/v1/ops/stops", headers=api.headers("op@example.org", "operator-pw"),
             json={"name": COSWIG, "lat": 51.135247, "lon": 13.588342})
    api.post("/api/v1/ops/stops", headers=api.headers("op@example.org", "operator-pw"),
             json={"name": KLIPPHAUSEN, "lat": 51.076367, "lon": 13.527816})
    rider = api.register("early@example.org")
    r = api.quote(rider, api.stop(COSWIG), api.stop(KLIPPHAUSEN))
    assert r.status_code == 200 and r.json()["offers"] == []
    assert r.json()["reason"]["code"] in ("no_vehicle_available", "no_vehicle_fits")


def test_early_morning_trips_must_be_booked_the_evening_before(demo_api, clock):
    rider = demo_api.headers(*RIDER)
    clock.set(local(0, 21))
    message = _refused(demo_api, rider, "early_morning_cutoff", pickup_after=iso(local(1, 6, 30)))
    assert "08:00" in message and "20:00" in message
    # the operator can still book it by phone
    r = demo_api.post("/api/v1/ops/quotes", headers=demo_api.operator, json={
        "origin": demo_api.stop(COSWIG), "destination": demo_api.stop(KLIPPHAUSEN),
        "pickup_after": iso(local(1, 6, 30))})
    assert r.status_code == 200 and r.json()["offers"], r.text
    # without a time the rider gets the earliest allowed pickup: 08:00 the next morning
    clock.set(local(0, 22, 45))
    offer = demo_api.offer(rider, demo_api.stop(COSWIG), demo_api.stop(KLIPPHAUSEN))
    assert offer["pickup_earliest"] == iso(local(1, 8))
    # ... and by phone the opening time, 05:00
    r = demo_api.post("/api/v1/ops/quotes", headers=demo_api.operator, json={
        "origin": demo_api.stop(COSWIG), "destination": demo_api.stop(KLIPPHAUSEN)})
    assert r.json()["offers"][0]["pickup_earliest"] == iso(local(1, 5))


def test_max_active_bookings(demo_api):
    rider = demo_api.headers(*RIDER)
    assert _set_rules(demo_api, max_active_bookings=1)["max_active_bookings"] == 1
    offer = demo_api.offer(rider, demo_api.stop(COSWIG), demo_api.stop(KLIPPHAUSEN), pickup_after=iso(local(0, 11)))
    booking = demo_api.book(rider, offer["offer_id"]).json()
    message = _refused(demo_api, rider, "max_active_bookings", pickup_after=iso(local(0, 15)))
    assert "1 open booking" in message
    demo_api.post(f"/api/v1/bookings/{booking['booking_id']}/cancel", headers=rider)
    assert demo_api.offer(rider, demo_api.stop(COSWIG), demo_api.stop(KLIPPHAUSEN), pickup_after=iso(local(0, 15)))


def test_window_width_is_a_setting(demo_api):
    rider = demo_api.headers(*RIDER)
    _set_rules(demo_api, window_s=600)
    offer = demo_api.offer(rider, demo_api.stop(COSWIG), demo_api.stop(KLIPPHAUSEN), pickup_after=iso(local(0, 12)))
    assert epoch(offer["pickup_latest"]) - epoch(offer["pickup_earliest"]) == 600
    assert demo_api.get("/api/v1/ops/service-area", headers=demo_api.operator).json()["rules"]["window_s"] == 600


def test_lead_time_and_operating_hours_are_settings(demo_api):
    rider = demo_api.headers(*RIDER)
    _set_rules(demo_api, min_lead_s=3600)
    assert demo_api.offer(rider, demo_api.stop(COSWIG), demo_api.stop(KLIPPHAUSEN))["pickup_earliest"] == \
        iso(local(0, 10))
    _refused(demo_api, rider, "min_lead_time", pickup_after=iso(local(0, 9, 45)))
    # no service on Wednesdays
    hours = {day: ["05:00", "23:00"] for day in ("mon", "tue", "thu", "fri", "sat", "sun")}
    _set_rules(demo_api, operating_hours=hours)
    _refused(demo_api, rider, "outside_operating_hours", pickup_after=iso(local(1, 9)))


def test_no_show_limit_sends_the_rider_to_the_phone(demo_api, clock):
    rider = demo_api.headers(*RIDER)
    _set_rules(demo_api, no_show_limit=1)
    offer = demo_api.offer(rider, demo_api.stop(COSWIG), demo_api.stop(KLIPPHAUSEN))
    booking = demo_api.book(rider, offer["offer_id"]).json()
    driver = demo_api.headers("driver1@demo.local", DRIVER_PASSWORD)
    r = demo_api.post("/api/v1/driver/shift/start", headers=driver,
                      json={"vehicle_id": booking["vehicle"]["vehicle_id"]})
    assert r.status_code == 200, r.text
    bid = booking["booking_id"]
    # a no-show cannot be reported before the pickup window opens
    assert_problem(demo_api.post(f"/api/v1/driver/bookings/{bid}/no_show", headers=driver), 409)
    clock.set(local(0, 9, 45))
    assert demo_api.post(f"/api/v1/driver/bookings/{bid}/arrived", headers=driver).status_code == 200
    assert demo_api.post(f"/api/v1/driver/bookings/{bid}/no_show", headers=driver).status_code == 200
    assert demo_api.booking(rider, bid)["status"] == "no_show"

    message = _refused(demo_api, rider, "no_show_limit", pickup_after=iso(local(0, 14)))
    assert "phone" in message
    # the operator books on the rider's behalf
    r = demo_api.post("/api/v1/ops/quotes", headers=demo_api.operator, json={
        "origin": demo_api.stop(COSWIG), "destination": demo_api.stop(KLIPPHAUSEN),
        "pickup_after": iso(local(0, 14)), "rider_email": RIDER[0]})
    assert r.status_code == 200 and r.json()["offers"], r.text
    r = demo_api.post("/api/v1/ops/bookings", headers={**demo_api.operator, "Idempotency-Key": "call-1"},
                      json={"offer_id": r.json()["offers"][0]["offer_id"]})
    assert r.status_code == 201, r.text
    assert r.json()["channel"] == "phone" and r.json()["rider_id"] == booking["rider_id"]
    mine = demo_api.get("/api/v1/bookings", headers=rider).json()
    assert [b["status"] for b in mine] == ["confirmed", "no_show"]


def test_service_area_polygon(demo_api):
    rider = demo_api.headers(*RIDER)
    op = demo_api.operator
    # a box around Coswig and Weinböhla only (GeoJSON Polygon, [lon, lat])
    box = [[13.55, 51.11], [13.62, 51.11], [13.62, 51.18], [13.55, 51.18], [13.55, 51.11]]
    r = demo_api.put("/api/v1/ops/service-area", headers=op, json={"polygon": {"type": "Polygon",
                                                                                "coordinates": [box]}})
    assert r.status_code == 200, r.text
    assert r.json()["polygon"] == box
    detail = assert_problem(demo_api.quote(rider, demo_api.stop(COSWIG), demo_api.stop(KLIPPHAUSEN)), 422,
                            "outside_service_area")
    assert detail["message"].startswith("destination")
    assert demo_api.offer(rider, demo_api.stop(COSWIG), demo_api.stop("Weinböhla, Zentrum"))
    # rules stay as they were when only the polygon changes, and null lifts the limit
    assert demo_api.put("/api/v1/ops/service-area", headers=op, json={"rules": {"window_s": 900}}).json()[
        "polygon"] == box
    r = demo_api.put("/api/v1/ops/service-area", headers=op, json={"polygon": None})
    assert r.json()["polygon"] is None and r.json()["rules"]["window_s"] == 900
    assert demo_api.offer(rider, demo_api.stop(COSWIG), demo_api.stop(KLIPPHAUSEN))


BAD_RULES = [
    {"no_such_rule": 1}, {"min_lead_s": "abc"}, {"min_lead_s": "1800"}, {"min_lead_s": -5}, {"min_lead_s": True},
    {"window_s": None}, {"window_s": 0}, {"window_s": 10**30}, {"window_s": 1.5}, {"max_ride_factor": "x"},
    {"max_ride_factor": 0.5}, {"operating_hours": "all day"}, {"operating_hours": {"mon": ["25:00", "26:00"]}},
    {"operating_hours": {"monday": ["05:00", "23:00"]}}, {"operating_hours": {"mon": ["23:00", "05:00"]}},
    {"operating_hours": {"mon": "05:00-23:00"}}, {"timezone": "Mars/Olympus"}, {"timezone": 5},
    {"early_trip_before": 8}, {"horizon_s": 600}, {"reoptimise_time_limit_s": 0},
]
BAD_POLYGONS = [
    [[13.5, 51.1]], [], "everywhere", {"type": "Polygon"}, {"coordinates": []},
    {"type": "Point", "coordinates": [1, 2]},
    [["a", "b"], [1, 2], [3, 4]], [[13.5, 51.1, 0], [13.6, 51.1, 0], [13.6, 51.2, 0]], [[200, 51], [13, 51], [13, 52]],
    {"type": "Polygon", "coordinates": [[[13.5, 51.1], [13.6, 51.1]]]}, 42,
]


def test_invalid_rules_and_polygons_are_422_and_change_nothing(demo_api):
    op = demo_api.operator
    rider = demo_api.headers(*RIDER)
    booking = demo_api.book(rider, demo_api.offer(rider, demo_api.stop(COSWIG), demo_api.stop(KLIPPHAUSEN))[
        "offer_id"]).json()
    area = demo_api.get("/api/v1/ops/service-area", headers=op).json()
    before = demo_api.snapshot()
    for rules in BAD_RULES:
        detail = assert_problem(demo_api.put("/api/v1/ops/service-area", headers=op, json={"rules": rules}), 422)
        assert detail["code"] in ("invalid_rules", "invalid_request"), (rules, detail)
        assert next(iter(rules)) in detail["message"] or "rule" in detail["message"], (rules, detail)
    for polygon in BAD_POLYGONS:
        detail = assert_problem(demo_api.put("/api/v1/ops/service-area", headers=op, json={"polygon": polygon}), 422)
        assert "polygon" in detail["message"] or "service area" in detail["message"], (polygon, detail)
    assert demo_api.get("/api/v1/ops/service-area", headers=op).json() == area
    assert demo_api.snapshot() == before
    assert demo_api.booking(rider, booking["booking_id"])["status"] == "confirmed"
    # quoting still works with the unchanged rules
    assert demo_api.offer(rider, demo_api.stop(COSWIG), demo_api.stop(KLIPPHAUSEN), pickup_after=iso(local(0, 12)))


def test_rules_survive_a_restart(database_url, demo_network, clock):
    change = {"window_s": 900, "min_lead_s": 600}
    with TestClient(make_app(database_url, demo_network, clock), headers={"Accept-Language": "en"}) as client:
        api = Api(client, clock)
        seed_demo(api.service, now=clock())
        _set_rules(api, **change)
    with TestClient(make_app(database_url, demo_network, clock), headers={"Accept-Language": "en"}) as client:
        api = Api(client, clock)
        rules = api.get("/api/v1/ops/service-area", headers=api.operator).json()["rules"]
        assert {k: rules[k] for k in change} == change
        offer = api.offer(api.headers(*RIDER), api.stop(COSWIG), api.stop(KLIPPHAUSEN))
        assert offer["pickup_earliest"] == iso(local(0, 9, 10))
        assert epoch(offer["pickup_latest"]) - epoch(offer["pickup_earliest"]) == 900
