"""Crash safety of the real server: ``kill -9`` in the middle of a booking burst, restart, check.

The server (``ride-pool demo``) runs as a subprocess on this test's fresh database (SQLite, or
PostgreSQL when ``RIDE_POOL_DATABASE_URL`` is a PostgreSQL URL). Several rider threads quote and
book with an ``Idempotency-Key`` each; once enough bookings were answered the server is killed with
SIGKILL, while requests are still in flight. After a restart on the same database:

* every booking answered 201 before the kill is still confirmed, with the window it was given;
* re-sending any request with its Idempotency-Key (answered or in flight at the kill) gives at most
  one booking: the answered ones get the same booking id back;
* no offer and no idempotency key has two bookings, and no booking exists that no request made;
* the dispatcher rebuilt from the database has every active booking in a plan, and that plan is
  feasible (``routing.darp.checker.check_plan``); the server reports the same number of bookings.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.database

RIDERS = 6
KILL_AFTER_BOOKINGS = 25      # answered bookings before the kill (the burst keeps going meanwhile)
VEHICLES = 20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """``ride-pool demo`` on ``url`` as a subprocess (new session, so a kill hits only it)."""

    def __init__(self, url: str, workdir: Path, port: int):
        self.url, self.workdir, self.port = url, workdir, port
        self.base = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None
        self.log = workdir / f"server-{port}.log"

    def start(self, timeout: float = 60) -> None:
        exe = Path(sys.executable).with_name("ride-pool")
        cmd = [str(exe)] if exe.is_file() else [sys.executable, "-c", "from ride_pool.cli import main; main()"]
        env = {**os.environ, "RIDE_POOL_SECRET_KEY": "crash-test-" + "s" * 40,
               # the burst quotes and books as fast as it can from one address: the limits per
               # address and rider are raised through their settings (0 = off), as a load test does
               "RIDE_POOL_LIMIT_QUOTES_ADDRESS_COUNT": "0", "RIDE_POOL_LIMIT_QUOTES_RIDER_COUNT": "0",
               "RIDE_POOL_LIMIT_BOOKINGS_ADDRESS_COUNT": "0"}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                cmd + ["demo", "--db", self.url, "--host", "127.0.0.1", "--port", str(self.port),
                       "--vehicles", str(VEHICLES)],
                cwd=self.workdir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"server exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.base + "/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        pytest.fail(f"server not healthy after {timeout} s:\n{self.log.read_text()[-3000:]}")

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@dataclass
class Attempt:
    rider: int
    offer_id: str
    key: str
    status: int | None = None          # None: no answer (in flight at the kill)
    booking: dict | None = None


def _login(base: str, email: str, password: str) -> dict:
    r = httpx.post(base + "/api/v1/auth/token", data={"username": email, "password": password}, timeout=30)
    assert r.status_code == 200, r.text
    return {"Authorization": "Bearer " + r.json()["access_token"]}


def _pickup_times(rules: dict, now: int) -> list[str]:
    from ride_pool.dispatch.rules import ServiceRules

    r = ServiceRules.from_dict(rules)
    out, t = [], now - now % 60 + 60
    while len(out) < 6 * 60 and t < now + 3 * 86400:
        if r.check_pickup(t, t + r.window_s + 5400, now + 300, "app") is None:
            out.append(datetime.fromtimestamp(t, r.local(t).tzinfo).isoformat())
        t += 60
    return out


def _burst(base: str, headers: dict, rider: int, stops: list[int], times: list[str], attempts: list,
           answered: list, stop: threading.Event, seed: int, errors: list) -> None:
    try:
        _book_until_gone(base, headers, rider, stops, times, attempts, answered, stop, seed)
    except Exception as exc:  # noqa: BLE001 - reported by the test
        errors.append(repr(exc))


def _book_until_gone(base, headers, rider, stops, times, attempts, answered, stop, seed) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=base, headers={**headers, "Accept-Language": "en"}, timeout=10) as c:
        while not stop.is_set():
            a, b = rng.sample(stops, 2)
            try:
                q = c.post("/api/v1/quotes", json={"origin": {"stop_id": a}, "destination": {"stop_id": b},
                                                  "pickup_after": rng.choice(times)})
            except httpx.HTTPError:
                return                     # the server is gone
            assert q.status_code == 200, q.text
            offers = q.json()["offers"]
            if not offers:
                continue
            attempt = Attempt(rider, offers[0]["offer_id"], uuid.uuid4().hex)
            attempts.append(attempt)
            try:
                r = c.post("/api/v1/bookings", json={"offer_id": attempt.offer_id},
                           headers={"Idempotency-Key": attempt.key})
            except httpx.HTTPError:
                return                     # in flight when the server died: outcome unknown
            attempt.status = r.status_code
            assert r.status_code in (201, 409), r.text
            if r.status_code == 201:
                attempt.booking = r.json()
                answered.append(attempt)


def _epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp())


def _check_restored_plan(url: str, network_path: Path) -> tuple[int, list[str]]:
    """Rebuild the dispatcher from the database as the server does at start, and check its plan."""
    from ride_pool.db.engine import make_engine
    from ride_pool.db.store import SqlStore
    from ride_pool.dispatch.dispatcher import Dispatcher
    from ride_pool.dispatch.store import InMemoryStore
    from routing.darp.checker import check_plan
    from routing.network import RoadNetwork
    from routing.travel_times import TravelTimes

    now = int(time.time())
    engine = make_engine(url)
    try:
        state = SqlStore(engine).load(now)
    finally:
        engine.dispose()
    network = RoadNetwork.load(network_path)
    d = Dispatcher(TravelTimes(network), store=InMemoryStore(), clock=lambda: now)
    d.restore(state)
    problems = [f"active booking {b} is in no plan" for b in d.unplanned_bookings()]
    built = d.live_problem(now)
    if built is not None:
        problem, plan, _, _ = built
        result = check_plan(problem, plan)
        problems += result.violations[:10]
        if result.served != problem.request_count:
            problems.append(f"plan serves {result.served} of {problem.request_count} bookings")
    return len(state.bookings), problems


def test_kill_9_mid_burst_loses_and_duplicates_nothing(database_url, tmp_path_factory):
    from sqlalchemy import func, select

    from ride_pool.db.engine import make_engine, read_session
    from ride_pool.db.models import BookingRow

    workdir = tmp_path_factory.mktemp("crash")
    server = ServerProcess(database_url, workdir, _free_port())
    server.start()
    try:
        base = server.base
        operator = _login(base, "operator@demo.local", "demo-operator")
        rules = httpx.put(base + "/api/v1/ops/service-area", headers=operator, timeout=30,
                          json={"rules": {"max_active_bookings": 1000}})
        assert rules.status_code == 200, rules.text
        riders = []
        for i in range(RIDERS):
            email = f"crash{i}@example.org"
            # confirmed rider accounts, made by the operator (registration needs an e-mail code)
            r = httpx.post(base + "/api/v1/ops/users", headers=operator, timeout=30,
                           json={"email": email, "password": "crash-test", "name": f"Crash {i}", "role": "rider"})
            assert r.status_code == 201, r.text
            riders.append(_login(base, email, "crash-test"))
        stops = [s["id"] for s in httpx.get(base + "/api/v1/stops", timeout=30).json()]
        times = _pickup_times(rules.json()["rules"], int(time.time()))
        assert len(stops) > 10 and times

        attempts: list[Attempt] = []
        answered: list[Attempt] = []
        stop = threading.Event()
        errors: list[str] = []
        threads = [threading.Thread(target=_burst, args=(base, h, i, stops, times, attempts, answered, stop, i,
                                                         errors), daemon=True) for i, h in enumerate(riders)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while len(answered) < KILL_AFTER_BOOKINGS and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(answered) >= KILL_AFTER_BOOKINGS, "the burst did not get going"
        server.kill9()                               # mid-burst: the threads are still sending
        stop.set()
        for t in threads:
            t.join(15)
        assert not errors, errors
        answered_before_kill = list(answered)
        in_flight = [a for a in attempts if a.status is None]

        # bookings committed whose answer never arrived: a retry must return exactly these
        engine = make_engine(database_url)
        try:
            with read_session(engine) as s:
                stored_at_kill = {r.idempotency_key: r.booking_id for r in s.scalars(select(BookingRow))}
        finally:
            engine.dispose()
        assert {a.booking["booking_id"] for a in answered_before_kill} <= set(stored_at_kill.values())
        committed_unanswered = {a.key: stored_at_kill[a.key] for a in in_flight if a.key in stored_at_kill}

        # restart on the same database
        server = ServerProcess(database_url, workdir, _free_port())
        server.start()
        base = server.base

        # every answered booking is still confirmed, with the window it was given
        for a in answered_before_kill:
            r = httpx.get(f"{base}/api/v1/bookings/{a.booking['booking_id']}", headers=riders[a.rider], timeout=30)
            assert r.status_code == 200, r.text
            got = r.json()
            assert got["status"] == "confirmed"
            for field in ("pickup_earliest", "pickup_latest", "dropoff_latest"):
                assert _epoch(got[field]) == _epoch(a.booking[field]), (field, got, a.booking)

        # re-sending with the same Idempotency-Key: the same booking (answered), at most one (in flight)
        for a in answered_before_kill:
            r = httpx.post(base + "/api/v1/bookings", json={"offer_id": a.offer_id}, timeout=30,
                           headers={**riders[a.rider], "Idempotency-Key": a.key})
            assert r.status_code == 201, r.text
            assert r.json()["booking_id"] == a.booking["booking_id"]
        retried = {}
        for a in in_flight:
            r = httpx.post(base + "/api/v1/bookings", json={"offer_id": a.offer_id}, timeout=30,
                           headers={**riders[a.rider], "Idempotency-Key": a.key})
            assert r.status_code in (201, 404, 409), r.text     # booked before the kill / now, or offer gone
            if a.key in committed_unanswered:
                assert r.status_code == 201 and r.json()["booking_id"] == committed_unanswered[a.key], r.text
            if r.status_code == 201:
                again = httpx.post(base + "/api/v1/bookings", json={"offer_id": a.offer_id}, timeout=30,
                                   headers={**riders[a.rider], "Idempotency-Key": a.key})
                assert again.status_code == 201 and again.json()["booking_id"] == r.json()["booking_id"]
                retried[a.key] = r.json()["booking_id"]

        health = httpx.get(base + "/api/v1/health", timeout=30).json()
    finally:
        server.stop()

    # the database: nothing twice, nothing nobody asked for
    engine = make_engine(database_url)
    try:
        with read_session(engine) as s:
            rows = list(s.scalars(select(BookingRow)))
            twice_offer = s.execute(select(BookingRow.offer_id).group_by(BookingRow.offer_id)
                                    .having(func.count() > 1)).all()
            twice_key = s.execute(select(BookingRow.idempotency_scope, BookingRow.idempotency_key)
                                  .group_by(BookingRow.idempotency_scope, BookingRow.idempotency_key)
                                  .having(func.count() > 1)).all()
    finally:
        engine.dispose()
    assert not twice_offer and not twice_key
    keys = {a.key for a in attempts}
    assert all(r.idempotency_key in keys for r in rows), "a booking no request asked for"
    expected = {a.booking["booking_id"] for a in answered_before_kill} | set(retried.values())
    assert {r.booking_id for r in rows} == expected
    assert all(r.status == "confirmed" for r in rows)

    # the plan the restarted dispatcher works from is complete and feasible
    active, problems = _check_restored_plan(database_url, workdir / "ride-pool-demo-network.npz")
    assert not problems, problems
    assert active == len(expected) == health["active_bookings"]
    print(f"crash test: {len(answered_before_kill)} bookings answered before the kill, {len(in_flight)} in flight "
          f"({len(committed_unanswered)} of them committed), "
          f"{len(retried)} of those booked on retry; {len(rows)} bookings stored, plan feasible")
