"""HTTP API, rider side: stops, quotes, bookings with idempotency keys, cancelling, privacy."""

from __future__ import annotations

from api_support import *  # noqa: F401,F403 - fixtures api, demo_api, clock and helpers
from api_support import RIDER, Fleet, assert_problem, epoch, iso, local

COSWIG = "Coswig, Bahnhof"
KLIPPHAUSEN = "Klipphausen, Zentrum"


def test_stops_list_and_search(demo_api):
    stops = demo_api.stops()
    assert len(stops) == 67
    assert all({"id", "name", "lat", "lon"} <= set(s) for s in stops)
    assert len({s["id"] for s in stops}) == 67
    found = demo_api.get("/api/v1/stops", params={"q": "meiß"}).json()
    assert found and all(s["name"].startswith("Meißen") for s in found)
    assert demo_api.get("/api/v1/stops", params={"q": "%"}).json() == []
    assert len(demo_api.get("/api/v1/stops", params={"limit": 5}).json()) == 5
    assert_problem(demo_api.get("/api/v1/stops", params={"limit": 0}), 422, "invalid_request")


def test_quote_without_time_offers_the_earliest_allowed_pickup(demo_api):
    rider = demo_api.headers(*RIDER)
    r = demo_api.quote(rider, demo_api.stop(COSWIG), demo_api.stop(KLIPPHAUSEN))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["quote_id"] and body["reason"] is None and len(body["offers"]) == 1
    offer = body["offers"][0]
    # 09:00 now + 30 min minimum lead time; the window is 20 minutes wide
    assert offer["pickup_earliest"] == iso(local(0, 9, 30))
    assert offer["pickup_latest"] == iso(local(0, 9, 50))
    assert offer["expires_at"] == iso(local(0, 9, 5))
    assert not offer["alternative"]
    assert epoch(offer["pickup_earliest"]) <= epoch(offer["planned_pickup"]) <= epoch(offer["pickup_latest"])
    assert epoch(offer["planned_dropoff"]) <= epoch(offer["dropoff_latest"])
    assert offer["origin"]["name"] == COSWIG and offer["destination"]["name"] == KLIPPHAUSEN
    assert 10 < offer["direct_minutes"] < 30
    assert offer["passengers"] == 1 and offer["wheelchairs"] == 0


def test_quote_between_coordinates_and_with_a_group(demo_api):
    rider = demo_api.headers(*RIDER)
    offer = demo_api.offer(rider, {"lat": 51.1631, "lon": 13.5715, "name": "Weinböhla Markt"},
                           {"lat": 51.16, "lon": 13.4685}, passengers=3, wheelchairs=1,
                           pickup_after=iso(local(0, 14)))
    assert offer["pickup_earliest"] == iso(local(0, 14))
    assert offer["origin"]["name"] == "Weinböhla Markt" and offer["origin"]["stop_id"] is None
    assert offer["passengers"] == 3 and offer["wheelchairs"] == 1
    # a time without offset is local time of the service area
    offer = demo_api.offer(rider, demo_api.stop(COSWIG), demo_api.stop(KLIPPHAUSEN), pickup_after="2026-03-03T15:00")
    assert offer["pickup_earliest"] == iso(local(0, 15))


def test_quote_arrive_by_keeps_the_arrival(demo_api):
    rider = demo_api.headers(*RIDER)
    offer = demo_api.offer(rider, demo_api.stop(COSWIG), demo_api.stop(KLIPPHAUSEN), arrive_by=iso(local(0, 14)))
    assert epoch(offer["dropoff_latest"]) <= epoch(iso(local(0, 14)))
    assert epoch(offer["planned_dropoff"]) <= epoch(offer["dropoff_latest"])
    assert epoch(offer["pickup_latest"]) - epoch(offer["pickup_earliest"]) == 20 * 60


def test_book_with_idempotency_key_and_read_it_back(demo_api):
    rider = demo_api.headers(*RIDER)
    offer = demo_api.offer(rider, demo_api.stop(COSWIG), demo_api.stop(KLIPPHAUSEN), pickup_after=iso(local(0, 11)))
    r = demo_api.book(rider, offer["offer_id"], key="tap-1")
    assert r.status_code == 201, r.text
    booking = r.json()
    assert booking["status"] == "confirmed" and booking["channel"] == "app"
    assert (booking["pickup_earliest"], booking["pickup_latest"], booking["dropoff_latest"]) == \
        (offer["pickup_earliest"], offer["pickup_latest"], offer["dropoff_latest"])
    assert booking["vehicle"]["vehicle_id"] >= 1 and booking["vehicle"]["label"].startswith("MEI-RB")
    assert epoch(booking["pickup_earliest"]) <= epoch(booking["eta_pickup"]) <= epoch(booking["pickup_latest"])

    # the same key again (a retry after a lost answer): the same booking, nothing new
    again = demo_api.book(rider, offer["offer_id"], key="tap-1")
    assert again.status_code == 201 and again.json()["booking_id"] == booking["booking_id"]
    # the key with another offer is another request: refused (issue 13), never booked twice
    other = demo_api.offer(rider, demo_api.stop(COSWIG), demo_api.stop(KLIPPHAUSEN), pickup_after=iso(local(0, 15)))
    assert_problem(demo_api.book(rider, other["offer_id"], key="tap-1"), 422, "idempotency_key_reused")
    # the same offer with a new key: refused, naming the booking it already is
    detail = assert_problem(demo_api.book(rider, offer["offer_id"], key="tap-2"), 409, "offer_already_booked")
    assert detail["booking_id"] == booking["booking_id"]

    mine = demo_api.get("/api/v1/bookings", headers=rider).json()
    assert [b["booking_id"] for b in mine] == [booking["booking_id"]]
    read = demo_api.booking(rider, booking["booking_id"])
    assert read["status"] == "confirmed" and read["vehicle"]["vehicle_id"] == booking["vehicle"]["vehicle_id"]
    assert read["eta_pickup"] == booking["eta_pickup"]


def test_idempotency_keys_are_per_rider(demo_api):
    anna = demo_api.register("anna@example.org")
    rider = demo_api.headers(*RIDER)
    a = demo_api.book(anna, demo_api.offer(anna, demo_api.stop(COSWIG), demo_api.stop(KLIPPHAUSEN))["offer_id"],
                      key="same-key")
    b = demo_api.book(rider, demo_api.offer(rider, demo_api.stop(COSWIG), demo_api.stop(KLIPPHAUSEN))["offer_id"],
                      key="same-key")
    assert a.status_code == b.status_code == 201
    assert a.json()["booking_id"] != b.json()["booking_id"]
    assert a.json()["rider_id"] != b.json()["rider_id"]


def test_expired_offer_is_refused_with_409(demo_api, clock):
    rider = demo_api.headers(*RIDER)
    offer = demo_api.offer(rider, demo_api.stop(COSWIG), demo_api.stop(KLIPPHAUSEN), pickup_after=iso(local(0, 12)))
    clock.advance(301)
    detail = assert_problem(demo_api.book(rider, offer["offer_id"], key="late"), 409, "offer_expired")
    assert "new quote" in detail["message"]
    assert demo_api.get("/api/v1/bookings", headers=rider).json() == []
    assert demo_api.service.dispatcher.bookings == {}


def test_offer_no_longer_keepable_is_refused_with_409(api):
    fleet = Fleet(api, seats=1)
    a, b = api.register("a@example.org"), api.register("b@example.org")
    when = iso(local(0, 10))
    offer_a = api.offer(a, *fleet.stops, pickup_after=when)
    offer_b = api.offer(b, *fleet.stops, pickup_after=when)
    assert api.book(a, offer_a["offer_id"]).status_code == 201
    before = api.snapshot()
    detail = assert_problem(api.book(b, offer_b["offer_id"], key="b-1"), 409, "offer_no_longer_available")
    assert "new quote" in detail["message"]
    assert api.snapshot() == before
    # a new quote for the same time finds the vehicle taken, and says so
    r = api.quote(b, *fleet.stops, pickup_after=when)
    assert r.status_code == 200
    body = r.json()
    assert not body["offers"] or body["offers"][0]["alternative"]


def test_unknown_offer_is_404(demo_api):
    rider = demo_api.headers(*RIDER)
    assert_problem(demo_api.book(rider, "no-such-offer"), 404, "offer_unknown")
    assert_problem(demo_api.post("/api/v1/bookings", json={"offer_id": ""}, headers=rider), 422, "invalid_request")
    assert_problem(demo_api.post("/api/v1/bookings", json={}, headers=rider), 422, "invalid_request")


def test_cancel_a_booking(demo_api):
    rider = demo_api.headers(*RIDER)
    offer = demo_api.offer(rider, demo_api.stop(COSWIG), demo_api.stop(KLIPPHAUSEN), pickup_after=iso(local(0, 13)))
    booking = demo_api.book(rider, offer["offer_id"], key="c1").json()
    shift_routes = demo_api.snapshot()["routes"]
    assert any(booking["booking_id"] in [b for b, _ in route] for route in shift_routes.values())

    r = demo_api.post(f"/api/v1/bookings/{booking['booking_id']}/cancel", headers=rider)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled" and r.json()["cancelled_at"] == iso(local(0, 9))
    assert all(booking["booking_id"] not in [b for b, _ in route]
               for route in demo_api.snapshot()["routes"].values())
    # cancelling again changes nothing
    again = demo_api.post(f"/api/v1/bookings/{booking['booking_id']}/cancel", headers=rider)
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    read = demo_api.booking(rider, booking["booking_id"])
    assert read["status"] == "cancelled" and read["vehicle"] is None
    # the same idempotency key still names the cancelled booking (the retry never books anew)
    assert demo_api.book(rider, offer["offer_id"], key="c1").json()["booking_id"] == booking["booking_id"]


def test_riders_cannot_see_or_cancel_each_others_bookings(demo_api):
    rider = demo_api.headers(*RIDER)
    mallory = demo_api.register("mallory@example.org")
    offer = demo_api.offer(rider, demo_api.stop(COSWIG), demo_api.stop(KLIPPHAUSEN), pickup_after=iso(local(0, 16)))
    booking_id = demo_api.book(rider, offer["offer_id"]).json()["booking_id"]
    before = demo_api.snapshot()

    assert_problem(demo_api.get(f"/api/v1/bookings/{booking_id}", headers=mallory), 404, "not_found")
    assert_problem(demo_api.post(f"/api/v1/bookings/{booking_id}/cancel", headers=mallory), 404, "not_found")
    assert_problem(demo_api.get(f"/api/v1/bookings/{booking_id}/events", headers=mallory), 404, "not_found")
    assert demo_api.get("/api/v1/bookings", headers=mallory).json() == []
    # nor book someone else's offer
    other = demo_api.offer(rider, demo_api.stop(COSWIG), demo_api.stop(KLIPPHAUSEN), pickup_after=iso(local(0, 17)))
    assert_problem(demo_api.book(mallory, other["offer_id"]), 404, "offer_unknown")

    assert demo_api.snapshot() == before
    assert demo_api.booking(rider, booking_id)["status"] == "confirmed"
    # the operator sees every booking
    assert demo_api.get(f"/api/v1/bookings/{booking_id}", headers=demo_api.operator).status_code == 200


def test_a_key_from_before_a_restart_is_refused_with_a_new_offer(database_url, demo_network, clock, monkeypatch):
    """A booking's idempotency key used again after a restart, for a booking the restarted
    dispatcher does not hold (cancelled), with a new, open offer: refused as reused (the database
    refuses the key; the API then looks it up and compares the stored request hash) and the new
    offer stays unbooked; the retry of the earlier request still gets the earlier booking."""
    from fastapi.testclient import TestClient

    from api_support import _CHEAP_HASH, Api, make_app
    from ride_pool.api import security
    from ride_pool.demo import seed_demo

    monkeypatch.setattr(security, "_password_hash", _CHEAP_HASH)
    with TestClient(make_app(database_url, demo_network, clock), headers={"Accept-Language": "en"}) as client:
        api = Api(client, clock)
        seed_demo(api.service, now=clock())
        rider = api.headers(*RIDER)
        offer = api.offer(rider, api.stop(COSWIG), api.stop(KLIPPHAUSEN), pickup_after=iso(local(0, 11)))
        booking = api.book(rider, offer["offer_id"], key="kept-key").json()
        assert api.post(f"/api/v1/bookings/{booking['booking_id']}/cancel", headers=rider).status_code == 200

    with TestClient(make_app(database_url, demo_network, clock), headers={"Accept-Language": "en"}) as client:
        api = Api(client, clock)
        rider = api.headers(*RIDER)
        assert booking["booking_id"] not in api.service.dispatcher.bookings
        fresh = api.offer(rider, api.stop(COSWIG), api.stop(KLIPPHAUSEN), pickup_after=iso(local(0, 12)))
        before = api.snapshot()
        assert_problem(api.book(rider, fresh["offer_id"], key="kept-key"), 422, "idempotency_key_reused")
        assert api.snapshot() == before
        again = api.book(rider, offer["offer_id"], key="kept-key")
        assert again.status_code == 201, again.text
        assert again.json()["booking_id"] == booking["booking_id"] and again.json()["status"] == "cancelled"
        # the new offer can still be booked, with a new key
        assert api.book(rider, fresh["offer_id"], key="new-key").status_code == 201
