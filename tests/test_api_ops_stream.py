"""The operator's live event stream (issue 15 item 9): the dashboard is driven by it instead of
polling; it needs an operator (bearer token or a single-use ticket). /ops/live says each vehicle's
state."""

from __future__ import annotations

from api_support import *  # noqa: F401,F403 - fixtures live_api, clock and helpers
from api_support import Fleet, assert_problem, iso, local
from test_api_live import EventStream


def test_operator_stream_tells_bookings_moves_and_breakdowns(live_api, clock):
    api = live_api
    fleet = Fleet(api, seats=2, vehicles=2)
    op = fleet.operator
    ticket = api.post("/api/v1/ops/events/ticket", headers=op).json()
    assert ticket["url"].startswith("/api/v1/ops/events?ticket=")
    with EventStream(api.url, "/api/v1/ops/events", params={"ticket": ticket["ticket"]}) as stream:
        assert stream.status == 200 and stream.hello() == {"operator": True}
        rider = api.register("r@example.org")
        booking = api.book(rider, api.offer(rider, *fleet.stops, pickup_after=iso(local(0, 10)))["offer_id"]).json()
        bid = booking["booking_id"]
        assert stream.next("booking_confirmed", booking_id=bid)
        here = api.get("/api/v1/ops/bookings", headers=op).json()[0]["shift_id"]
        other = next(s["id"] for s in fleet.shifts if s["id"] != here)
        assert api.post(f"/api/v1/ops/bookings/{bid}/assign", headers=op, json={"shift_id": other}).status_code == 200
        changed = stream.next("booking_changed", booking_id=bid)
        assert changed["cause"] == "operator" and changed["shift_id"] == other
        assert api.post(f"/api/v1/ops/shifts/{other}/breakdown", headers=op).status_code == 200
        assert stream.next("shift_broke_down", shift_id=other)
        assert stream.next("booking_changed", booking_id=bid)["shift_id"] == here
    # riders and drivers may not open it; a spent ticket is refused
    rider_ticket = api.post("/api/v1/ops/events/ticket", headers=rider)
    assert_problem(rider_ticket, 403, "forbidden")
    with EventStream(api.url, "/api/v1/ops/events", params={"ticket": ticket["ticket"]}) as stream:
        assert stream.status == 401
    with EventStream(api.url, "/api/v1/ops/events", headers=fleet.drivers[0]) as stream:
        assert stream.status == 403


def test_live_vehicles_say_their_state(api, clock):
    fleet = Fleet(api, seats=2, vehicles=2)
    op = fleet.operator
    states = {v["shift_id"]: v["state"] for v in api.get("/api/v1/ops/live", headers=op).json()}
    assert set(states.values()) == {"not_started"}
    sid = fleet.shifts[0]["id"]
    assert api.post("/api/v1/driver/shift/start", json={"shift_id": sid}, headers=fleet.drivers[0]).status_code == 200
    states = {v["shift_id"]: v["state"] for v in api.get("/api/v1/ops/live", headers=op).json()}
    assert states[sid] == "waiting" and states[fleet.shifts[1]["id"]] == "not_started"
    clock.advance(60)
    assert api.post("/api/v1/driver/location", json={"lat": 51.1352, "lon": 13.5883},
                    headers=fleet.drivers[0]).status_code == 200
    states = {v["shift_id"]: v["state"] for v in api.get("/api/v1/ops/live", headers=op).json()}
    assert states[sid] == "driving"
