"""Shared helpers and fixtures of the HTTP API tests (``tests/test_api_*.py``).

Every test gets a fresh app on a fresh database (``database_url``: SQLite by default, a fresh
PostgreSQL schema when ``RIDE_POOL_DATABASE_URL`` is set), the session's demo network (built
once, ``demo_network`` from conftest) and a :class:`FakeClock` that starts on a Tuesday at 09:00
Europe/Berlin and only moves when a test moves it. The background optimiser is off, so plans only
change through requests: the tests are deterministic.

Import with ``from api_support import *`` (tests/ is on ``sys.path``).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from ride_pool.api import security
from ride_pool.api.app import create_app
from ride_pool.db.repository import Repository
from ride_pool.settings import Settings

__all__ = ["BERLIN", "TUESDAY_0900", "SECRET", "FakeClock", "Api", "local", "iso", "clock", "api", "demo_api",
           "OPERATOR", "RIDER", "DRIVER_PASSWORD", "assert_problem", "make_app", "live_server",
           "Fleet", "live_api"]

BERLIN = ZoneInfo("Europe/Berlin")
#: Tuesday 3 March 2026, 09:00 in Berlin (CET, no DST change within the following week)
TUESDAY_0900 = int(datetime(2026, 3, 3, 9, 0, tzinfo=BERLIN).timestamp())
SECRET = "api-tests-secret-key-" + "k" * 32
OPERATOR = ("operator@demo.local", "demo-operator")
RIDER = ("rider@demo.local", "demo-rider")
DRIVER_PASSWORD = "demo-driver"


def local(day_offset: int, hour: int, minute: int = 0) -> datetime:
    """A Berlin local time ``day_offset`` days after the test Tuesday."""
    base = datetime(2026, 3, 3, tzinfo=BERLIN) + timedelta(days=day_offset)
    return base.replace(hour=hour, minute=minute)


def iso(value: datetime | int) -> str:
    if isinstance(value, int):
        value = datetime.fromtimestamp(value, BERLIN)
    return value.isoformat()


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


class FakeClock:
    """The service's clock: epoch seconds that only move on :meth:`advance` / :meth:`set`."""

    def __init__(self, t: int = TUESDAY_0900):
        self.t = int(t)

    def __call__(self) -> int:
        return self.t

    def advance(self, seconds: int) -> int:
        self.t += int(seconds)
        return self.t

    def set(self, t: int | datetime) -> int:
        self.t = int(t.timestamp()) if isinstance(t, datetime) else int(t)
        return self.t


def assert_problem(response, status: int, code: str | None = None) -> dict:
    """``response`` is a clear error: ``status``, JSON ``{"detail": {"code", "message"}}``."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    detail = body.get("detail")
    assert isinstance(detail, dict), body
    assert isinstance(detail.get("code"), str) and detail["code"], body
    assert isinstance(detail.get("message"), str) and len(detail["message"]) > 10, body
    if code is not None:
        assert detail["code"] == code, body
    return detail


class Api:
    """A client of one app (a TestClient, or an ``httpx.Client`` on a :func:`live_server`), with
    log-in helpers and the service at hand."""

    def __init__(self, client: TestClient | httpx.Client, clock: FakeClock, app=None):
        self.client = client
        self.clock = clock
        self.app = app or client.app
        self.service = self.app.state.service
        self._tokens: dict[str, str] = {}

    # --- plain HTTP
    def get(self, path, **kw):
        return self.client.get(path, **kw)

    def post(self, path, **kw):
        return self.client.post(path, **kw)

    def put(self, path, **kw):
        return self.client.put(path, **kw)

    def patch(self, path, **kw):
        return self.client.patch(path, **kw)

    # --- accounts
    def token(self, email: str, password: str) -> str:
        if email not in self._tokens:
            r = self.client.post("/api/v1/auth/token", data={"username": email, "password": password})
            assert r.status_code == 200, r.text
            self._tokens[email] = r.json()["access_token"]
        return self._tokens[email]

    def headers(self, email: str, password: str, **extra) -> dict:
        return {"Authorization": f"Bearer {self.token(email, password)}", **extra}

    def register(self, email: str, password: str = "rider-password", name: str = "Rider") -> dict:
        """A rider with a confirmed account, made in the database: tests that are not about
        registration must not run into its limit per client address (every test client has one
        address) or wait for a confirmation mail. Registration itself, its confirmation code and
        its limits are tested in test_security_accounts.py."""
        return self.add_user(email, password, "rider", name=name)

    def add_user(self, email: str, password: str, role: str, name: str = "Test user") -> dict:
        """A (confirmed) account created directly in the database (e.g. the first operator)."""
        Repository(self.service.engine).create_user(email, security.hash_password(password), name, role,
                                                    now=self.clock(), confirmed=True)
        return self.headers(email, password)

    @property
    def operator(self) -> dict:
        return self.headers(*OPERATOR)

    # --- riders
    def stops(self) -> list[dict]:
        r = self.client.get("/api/v1/stops")
        assert r.status_code == 200, r.text
        return r.json()

    def stop(self, name: str) -> dict:
        """``{"stop_id": id}`` of the stop called ``name``."""
        r = self.client.get("/api/v1/stops", params={"q": name.split(",")[0], "limit": 100})
        assert r.status_code == 200, r.text
        found = [s for s in r.json() if s["name"] == name]
        assert len(found) == 1, (name, r.json())
        return {"stop_id": found[0]["id"]}

    def quote(self, headers, origin, destination, **body):
        return self.client.post("/api/v1/quotes", json={"origin": origin, "destination": destination, **body},
                                headers=headers)

    def offer(self, headers, origin, destination, **body) -> dict:
        r = self.quote(headers, origin, destination, **body)
        assert r.status_code == 200, r.text
        assert r.json()["offers"], r.json()
        return r.json()["offers"][0]

    def book(self, headers, offer_id: str, key: str | None = None):
        h = dict(headers)
        if key is not None:
            h["Idempotency-Key"] = key
        return self.client.post("/api/v1/bookings", json={"offer_id": offer_id}, headers=h)

    def booking(self, headers, booking_id: str) -> dict:
        r = self.client.get(f"/api/v1/bookings/{booking_id}", headers=headers)
        assert r.status_code == 200, r.text
        return r.json()

    def snapshot(self) -> dict:
        """Every booking's persisted and live state plus every shift's route (to compare before and
        after a refused request)."""
        from ride_pool.db.engine import read_session
        from ride_pool.db.models import BookingRow

        d = self.service.dispatcher
        with read_session(self.service.engine) as s:
            rows = {r.booking_id: (r.status, r.pickup_earliest, r.pickup_latest, r.dropoff_latest, r.vehicle_id)
                    for r in s.query(BookingRow)}
        live = {b.booking_id: (b.status.value, b.pickup_earliest, b.pickup_latest, b.dropoff_latest, b.vehicle_id)
                for b in d.bookings.values()}
        routes = {sid: [(st.booking_id, st.kind.value) for st in sh.route] for sid, sh in d.shifts.items()}
        return {"rows": rows, "live": live, "routes": routes}


def make_app(database_url: str, network, clock: FakeClock, background: bool = False):
    return create_app(Settings(database_url=database_url, secret_key=SECRET), network=network, clock=clock,
                      background=background)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


#: argon2id with the least work: the API tests hash and check many passwords, and the hashing
#: parameters themselves are tested in test_security.py
_CHEAP_HASH = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))


@pytest.fixture
def api(database_url, demo_network, clock, monkeypatch):
    """An app on an empty database (no stops, vehicles or accounts)."""
    monkeypatch.setattr(security, "_password_hash", _CHEAP_HASH)
    app = make_app(database_url, demo_network, clock)
    with TestClient(app, headers={"Accept-Language": "en"}) as client:
        yield Api(client, clock)


@pytest.fixture
def live_api(database_url, demo_network, clock, monkeypatch):
    """Like ``api``, but served by uvicorn on a localhost port; the client is an ``httpx.Client``
    and ``live_api.url`` the server's base URL."""
    monkeypatch.setattr(security, "_password_hash", _CHEAP_HASH)
    app = make_app(database_url, demo_network, clock)
    with live_server(app) as url, httpx.Client(base_url=url, timeout=30, headers={"Accept-Language": "en"}) as client:
        api = Api(client, clock, app=app)
        api.url = url
        yield api


@pytest.fixture
def demo_api(api):
    """An app seeded with the demo county: 67 stops, 8 vehicles with shifts 09:00 to 10:00 the
    next day, operator, rider and 8 driver accounts."""
    from ride_pool.demo import seed_demo

    seed = seed_demo(api.service, now=api.clock())
    assert seed.shifts_added == 8
    return api


class Fleet:
    """A small fleet set up through the operations API on an empty database: the operator account,
    ``vehicles`` vehicles (depot in Coswig) with a driver each and a shift 09:00-18:00 on the test
    Tuesday, and two stops 16 minutes apart by car (``stops[0]`` Coswig, ``stops[1]`` Klipphausen)
    - far enough that a 1-seat vehicle cannot serve two riders asking for the same window."""

    DEPOT = (51.126687, 13.580526)
    STOPS = {"Coswig, Bahnhof": (51.135247, 13.588342), "Klipphausen, Zentrum": (51.076367, 13.527816)}

    def __init__(self, api: Api, seats: int = 1, wheelchair_places: int = 0, vehicles: int = 1,
                 shift: tuple[datetime, datetime] | None = None):
        self.api = api
        self.operator = api.add_user(*OPERATOR, role="operator", name="Disposition")
        self.vehicles, self.shifts, self.drivers, self.driver_emails = [], [], [], []
        start, end = shift or (local(0, 9), local(0, 18))
        for i in range(vehicles):
            r = api.post("/api/v1/ops/vehicles", headers=self.operator, json={
                "label": f"TEST {i + 1}", "seats": seats, "wheelchair_places": wheelchair_places,
                "depot_lat": self.DEPOT[0], "depot_lon": self.DEPOT[1]})
            assert r.status_code == 201, r.text
            self.vehicles.append(r.json())
            email = f"driver{i + 1}@fleet.test"
            r = api.post("/api/v1/ops/users", headers=self.operator, json={
                "email": email, "password": DRIVER_PASSWORD, "name": f"Driver {i + 1}", "role": "driver"})
            assert r.status_code == 201, r.text
            self.driver_emails.append(email)
            self.drivers.append(api.headers(email, DRIVER_PASSWORD))
            r = api.post("/api/v1/ops/shifts", headers=self.operator, json={
                "vehicle_id": self.vehicles[-1]["id"], "start": iso(start), "end": iso(end), "driver_email": email})
            assert r.status_code == 201, r.text
            self.shifts.append(r.json())
        self.stops = []
        for name, (lat, lon) in self.STOPS.items():
            r = api.post("/api/v1/ops/stops", headers=self.operator, json={"name": name, "lat": lat, "lon": lon,
                                                                           "town": name.split(",")[0]})
            assert r.status_code == 201, r.text
            self.stops.append({"stop_id": r.json()["id"]})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def live_server(app, timeout: float = 30.0):
    """``app`` served by uvicorn on a free localhost port in a thread; yields the base URL."""
    import uvicorn

    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
                            timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
