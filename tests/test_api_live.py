"""HTTP API on a real server (uvicorn on a localhost port): riders racing for the last seat, and
live changes pushed as server-sent events to drivers and riders."""

from __future__ import annotations

import json
import threading

import httpx

from api_support import *  # noqa: F401,F403 - fixtures live_api, clock and helpers
from api_support import Fleet, assert_problem, iso, local

RIDERS = 8


def test_concurrent_bookings_for_the_last_seat_exactly_one_wins(live_api):
    api = live_api
    fleet = Fleet(api, seats=1)
    riders = [api.register(f"racer{i}@example.org") for i in range(RIDERS)]
    when = iso(local(0, 10))
    offers = [api.offer(h, *fleet.stops, pickup_after=when) for h in riders]
    assert all(o["pickup_earliest"] == when for o in offers)

    barrier = threading.Barrier(RIDERS)
    results: list[tuple[int, dict]] = [None] * RIDERS   # type: ignore[list-item]

    def book(i: int) -> None:
        with httpx.Client(base_url=api.url, timeout=30, headers={"Accept-Language": "en"}) as client:
            barrier.wait(timeout=10)
            r = client.post("/api/v1/bookings", json={"offer_id": offers[i]["offer_id"]},
                            headers={**riders[i], "Idempotency-Key": f"race-{i}"})
            results[i] = (r.status_code, r.json())

    threads = [threading.Thread(target=book, args=(i,)) for i in range(RIDERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(r is not None for r in results), results
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * (RIDERS - 1), results
    winner = next(body for status, body in results if status == 201)
    for status, body in results:
        if status == 409:
            assert body["detail"]["code"] == "offer_no_longer_available", body
            assert body["detail"]["message"]
    # exactly one booking exists, in the database and in the plan
    snapshot = api.snapshot()
    assert list(snapshot["rows"]) == [winner["booking_id"]] == list(snapshot["live"])
    assert [b for b, _ in next(iter(snapshot["routes"].values()))] == [winner["booking_id"]] * 2
    kpis = api.get("/api/v1/ops/kpis", headers=fleet.operator).json()
    assert kpis["confirmed"] == 1 and kpis["refused"] == RIDERS - 1


class EventStream:
    """A server-sent event stream read in the test's own thread: the server buffers the events, so
    a test opens the stream, acts, then reads on; every read gives up after ``read_timeout``."""

    def __init__(self, url: str, path: str, headers: dict | None = None, params: dict | None = None,
                 read_timeout: float = 10.0):
        self._client = httpx.Client(base_url=url, timeout=httpx.Timeout(10, read=read_timeout),
                                    headers={"Accept-Language": "en"})
        self._stream = self._client.stream("GET", path, headers=headers or {}, params=params or {})

    def __enter__(self) -> "EventStream":
        self.response = self._stream.__enter__()
        self.status = self.response.status_code
        if self.status == 200:
            assert self.response.headers["content-type"].startswith("text/event-stream")
        self._lines = self.response.iter_lines()
        return self

    def __exit__(self, *exc) -> None:
        self._stream.__exit__(*exc)
        self._client.close()

    def event(self) -> tuple[str, dict]:
        """The next event with data (comments and ``retry:`` lines are skipped)."""
        kind = None
        for line in self._lines:
            if line.startswith("event: "):
                kind = line[len("event: "):]
            elif line.startswith("data: "):
                return kind, json.loads(line[len("data: "):])
        raise AssertionError("the event stream ended")

    def hello(self) -> dict:
        kind, data = self.event()
        assert kind == "hello", (kind, data)
        return data

    def next(self, change: str, limit: int = 50, **match) -> dict:
        """The next ``change`` event whose data has ``match`` (at most ``limit`` events read)."""
        seen = []
        for _ in range(limit):
            kind, data = self.event()
            seen.append(data)
            if kind == "change" and data.get("kind") == change and all(data.get(k) == v for k, v in match.items()):
                return data
        raise AssertionError(f"no {change} {match} among {seen}")


def test_driver_stream_receives_new_bookings_on_the_vehicle(live_api):
    api = live_api
    fleet = Fleet(api, seats=4)
    driver = fleet.drivers[0]
    r = api.post("/api/v1/driver/shift/start", json={"shift_id": fleet.shifts[0]["id"]}, headers=driver)
    assert r.status_code == 200, r.text
    with EventStream(api.url, "/api/v1/driver/events", headers=driver) as stream:
        assert stream.status == 200
        assert stream.hello() == {"shift_id": fleet.shifts[0]["id"]}
        rider = api.register("sse@example.org")
        booking = api.book(rider, api.offer(rider, *fleet.stops)["offer_id"]).json()
        event = stream.next("booking_confirmed", booking_id=booking["booking_id"])
        assert event["shift_id"] == fleet.shifts[0]["id"] and event["vehicle_id"] == fleet.vehicles[0]["id"]
        # the route it announces is there to fetch
        steps = api.get("/api/v1/driver/route", headers=driver).json()["steps"]
        assert [s["booking_ids"] for s in steps] == [[booking["booking_id"]]] * 2
        # a cancellation is pushed too
        api.post(f"/api/v1/bookings/{booking['booking_id']}/cancel", headers=rider)
        assert stream.next("booking_cancelled", booking_id=booking["booking_id"])["cause"] == "rider"


def test_rider_stream_with_a_ticket_in_the_query(live_api, clock):
    api = live_api
    fleet = Fleet(api, seats=4)
    rider = api.register("watcher@example.org")
    booking = api.book(rider, api.offer(rider, *fleet.stops)["offer_id"]).json()
    bid = booking["booking_id"]
    ticket = api.post(f"/api/v1/bookings/{bid}/events/ticket", headers=rider).json()
    assert ticket["url"].startswith(f"/api/v1/bookings/{bid}/events?ticket=")
    with EventStream(api.url, f"/api/v1/bookings/{bid}/events", params={"ticket": ticket["ticket"]}) as stream:
        assert stream.status == 200 and stream.hello() == {"booking_id": bid}
        driver = fleet.drivers[0]
        api.post("/api/v1/driver/shift/start", json={"shift_id": fleet.shifts[0]["id"]}, headers=driver)
        clock.set(local(0, 9, 25))
        assert api.post("/api/v1/driver/location", json={"lat": 51.1267, "lon": 13.5805},
                        headers=driver).status_code == 200
        assert stream.next("vehicle_location")["vehicle_id"] == fleet.vehicles[0]["id"]
        clock.set(local(0, 9, 32))
        api.post(f"/api/v1/driver/bookings/{bid}/arrived", headers=driver)
        api.post(f"/api/v1/driver/bookings/{bid}/boarded", headers=driver)
        assert stream.next("rider_boarded", booking_id=bid)
        assert api.get(f"/api/v1/bookings/{bid}", headers=rider).json()["status"] == "onboard"


def test_event_streams_check_the_caller(live_api):
    api = live_api
    fleet = Fleet(api, seats=4)
    rider = api.register("owner@example.org")
    bid = api.book(rider, api.offer(rider, *fleet.stops)["offer_id"]).json()["booking_id"]
    other = api.register("snoop@example.org")
    for path, headers, params, status, code in [
        (f"/api/v1/bookings/{bid}/events", {}, {}, 401, "not_authenticated"),
        (f"/api/v1/bookings/{bid}/events", {}, {"access_token": "forged"}, 400, "token_in_url"),
        (f"/api/v1/bookings/{bid}/events", {}, {"ticket": "forged"}, 401, "invalid_ticket"),
        (f"/api/v1/bookings/{bid}/events", other, {}, 404, "not_found"),
        ("/api/v1/driver/events", rider, {}, 403, "forbidden"),
        ("/api/v1/driver/events", fleet.drivers[0], {}, 404, "no_shift"),   # shift not started
    ]:
        r = api.get(path, headers=headers, params=params)
        assert_problem(r, status, code)
