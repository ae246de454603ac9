"""Load test of the booking API: concurrent riders quote and book against a real server process.

    python benchmarks/booking_load.py [--db sqlite --db postgres] [--clients 16] [--duration 30]
                                      [--vehicles 100] [--json benchmarks/results/booking_load.json]

For each database (SQLite file and PostgreSQL by default) it starts ``ride-pool demo`` on a fresh
database and a free port, waits for ``GET /api/v1/health``, raises ``max_active_bookings`` (as the
operator) so the load does not run into the per-rider limit, registers one rider per client and then
runs ``--clients`` threads (each with its own keep-alive ``httpx.Client``). Each client loops:
``POST /quotes`` for a random pair of stops and a random ``pickup_after`` inside the operating hours
of the next ``--hours`` service hours, then ``POST /bookings`` of the first offer with a fresh
``Idempotency-Key``. It reports bookings/s, quotes/s, p50/p95/p99 latency of quote and of book, the
share of quotes without an offer (by reason) and the 409s.

Afterwards it VERIFIES from the server's data:

* re-sending a sample of bookings with the same ``Idempotency-Key`` returns the same booking;
* the server is stopped and the database read directly: every booking answered 201 is confirmed
  there with the promised window the client was given; no two bookings share an offer or an
  idempotency key; no booking the client was not told about;
* the plan of every open shift is feasible (capacity in seats and wheelchair places, every pickup
  window, drop-off deadline, ride-time limit and shift end): once through the dispatcher's own
  restore (``Dispatcher.restore(SqlStore(engine).load(now))`` then ``_problem(now)``) and once
  independently, rebuilding the ``DarpProblem`` from the stored bookings and routes with travel
  times from ``TravelTimes(network).matrix``; both go through ``routing.darp.checker.check_plan``.

Client and server share the machine (on the reference machine: 2 cores), so the client's own CPU
use (HTTP client, JSON, GIL contention between client threads) is part of the latencies measured.
``--py-spy DIR`` records the server with py-spy during the measured run (collapsed stacks + SVG).

Defaults: 16 clients (closed loop, no think time: each waits for its answer before the next
request, so the latency is what 16 riders tapping at once see), 100 demo vehicles (the shifts
cover the next 24 hours; with pickups spread over 8 service hours the plans stay far from full,
so nearly every quote gets an offer), 30 measured seconds after 3 s of warm-up. The server runs
with its default settings (``ride-pool demo``, access log on). The target (issue 4): on PostgreSQL
at least 100 bookings/s with p95 <= 150 ms for book - and for quote, which the table checks too.
The machine should be otherwise idle: anything else running on its two cores shows up directly
in the latencies (the CPU columns of the JSON tell how much of the machine the run got).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
CACHE_DIR = Path(tempfile.gettempdir()) / "ride_pool_bench_cache"   # keeps the demo network file
OPERATOR = ("operator@demo.local", "demo-operator")


# ---------------------------------------------------------------------------------------- server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ride_pool_command(prelude: str = "") -> list[str]:
    exe = Path(sys.executable).with_name("ride-pool")
    if exe.is_file() and not prelude:
        return [str(exe)]
    return [sys.executable, "-c", f"{prelude}\nimport sys\nsys.argv[0] = 'ride-pool'\n"
            "from ride_pool.cli import main\nmain()"]


class Server:
    """``ride-pool demo`` (or ``serve``) as a subprocess on a free port."""

    def __init__(self, url: str, *, vehicles: int = 8, command: str = "demo", log_path: Path | None = None,
                 port: int | None = None, cwd: Path = CACHE_DIR, env: dict | None = None, prelude: str = ""):
        self.url, self.vehicles, self.command = url, vehicles, command
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path or Path(tempfile.mkstemp(prefix="ride-pool-server-", suffix=".log")[1])
        self.cwd = cwd
        self.env = env
        self.prelude = prelude
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 180) -> "Server":
        self.cwd.mkdir(parents=True, exist_ok=True)
        args = ride_pool_command(self.prelude) + [self.command, "--db", self.url, "--host", "127.0.0.1", "--port", str(self.port)]
        if self.command == "demo":
            args += ["--vehicles", str(self.vehicles)]
        if self.command == "serve":
            args += ["--network", "demo"]
        env = dict(os.environ if self.env is None else self.env)
        env.setdefault("RIDE_POOL_SECRET_KEY", "bench-" + "k" * 40)
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, cwd=self.cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(self.base + "/api/v1/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server not healthy after {timeout} s:\n{self.log_tail()}")

    def log_tail(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL, no clean shutdown."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self, timeout: float = 30) -> None:
        """SIGINT (uvicorn's clean shutdown), SIGKILL if it does not stop."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        if getattr(self, "_log", None):
            self._log.close()
            self._log = None


# ---------------------------------------------------------------------------------------- databases
def fresh_database(kind: str, pg_url: str, workdir: Path):
    """(url, cleanup) of an empty database of ``kind``."""
    if kind == "sqlite":
        path = workdir / "bench.db"
        return f"sqlite:///{path}", lambda: None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from ride_pool.db.engine import database_url

    admin_url = database_url(pg_url)
    name = f"ride_pool_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)

    def cleanup():
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return url, cleanup


# ---------------------------------------------------------------------------------------- client
def login(base: str, email: str, password: str) -> dict:
    r = httpx.post(base + "/api/v1/auth/token", data={"username": email, "password": password}, timeout=30)
    r.raise_for_status()
    return {"Authorization": "Bearer " + r.json()["access_token"]}


def register_riders(base: str, n: int, tag: str) -> list[dict]:
    headers = []
    with httpx.Client(base_url=base, timeout=30) as c:
        for i in range(n):
            email, password = f"load{i}.{tag}@example.org", "load-test-pw"
            r = c.post("/api/v1/auth/register", json={"email": email, "password": password, "name": f"Load {i}"})
            if r.status_code not in (201, 409):
                raise RuntimeError(f"register: {r.status_code} {r.text}")
            headers.append(login(base, email, password))
    return headers


def pickup_times(rules, now: int, hours: float, channel: str = "app") -> list[int]:
    """Whole minutes (epoch s) at which a pickup is allowed by the service rules, the first
    ``hours`` hours of service from ``now`` on (with room for a 90-minute trip before closing)."""
    times, t = [], now - now % 60 + 60
    end = now + 3 * 86400
    while t < end and len(times) < hours * 60:
        # checked as if booked 10 minutes later, so that no time falls below the lead time during the run
        if rules.check_pickup(t, t + rules.window_s + 5400, now + 600, channel) is None:
            times.append(t)
        t += 60
    return times


@dataclass
class Record:
    kind: str         # quote | book
    start: float      # perf_counter at send
    latency: float    # seconds
    status: int
    detail: str = ""  # quote: reason code or "offer"; book: error code


@dataclass
class Booked:
    booking_id: str
    offer_id: str
    key: str
    client: int
    pickup_earliest: str
    pickup_latest: str
    dropoff_latest: str


@dataclass
class ClientResult:
    records: list = field(default_factory=list)
    booked: list = field(default_factory=list)
    errors: list = field(default_factory=list)


def client_loop(idx: int, base: str, headers: dict, stops: list[int], times: list[int], tz, seed: int,
                start_evt: threading.Event, stop_at: list, count: int | None, out: ClientResult,
                measure_from: list) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=base, headers=headers, timeout=60,
                      limits=httpx.Limits(max_keepalive_connections=1, max_connections=1)) as c:
        start_evt.wait()
        n = 0
        while time.perf_counter() < stop_at[0] and (count is None or n < count):
            a, b = rng.sample(stops, 2)
            pickup = datetime.fromtimestamp(rng.choice(times), tz).isoformat()
            body = {"origin": {"stop_id": a}, "destination": {"stop_id": b}, "pickup_after": pickup}
            t0 = time.perf_counter()
            try:
                r = c.post("/api/v1/quotes", json=body)
            except httpx.HTTPError as exc:
                out.errors.append(f"quote: {exc!r}")
                continue
            t1 = time.perf_counter()
            measured = t0 >= measure_from[0]
            if r.status_code != 200:
                out.records.append(Record("quote", t0, t1 - t0, r.status_code, _code(r))) if measured else None
                continue
            q = r.json()
            offers = q["offers"]
            detail = "offer" if offers else (q.get("reason") or {}).get("code", "none")
            if measured:
                out.records.append(Record("quote", t0, t1 - t0, 200, detail))
            if not offers:
                continue
            offer = offers[0]["offer_id"]
            key = uuid.uuid4().hex
            t2 = time.perf_counter()
            try:
                r = c.post("/api/v1/bookings", json={"offer_id": offer}, headers={"Idempotency-Key": key})
            except httpx.HTTPError as exc:
                out.errors.append(f"book: {exc!r}")
                continue
            t3 = time.perf_counter()
            if r.status_code == 201:
                j = r.json()
                out.booked.append(Booked(j["booking_id"], offer, key, idx, j["pickup_earliest"], j["pickup_latest"],
                                         j["dropoff_latest"]))
            if t2 >= measure_from[0]:
                out.records.append(Record("book", t2, t3 - t2, r.status_code,
                                          "" if r.status_code == 201 else _code(r)))
                n += 1


def _code(r: httpx.Response) -> str:
    try:
        return str(r.json()["detail"]["code"])
    except Exception:  # noqa: BLE001
        return r.text[:80]


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    v = sorted(values)
    k = (len(v) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def run_load(base: str, riders: list[dict], stops: list[int], times: list[int], tz, *, duration: float,
             warmup: float, count: int | None, seed: int, server_pid: int | None = None):
    """Run the clients; returns their results and the measured wall time."""
    results = [ClientResult() for _ in riders]
    start_evt = threading.Event()
    stop_at, measure_from = [float("inf")], [float("inf")]
    threads = [threading.Thread(target=client_loop, args=(i, base, h, stops, times, tz, seed * 1000 + i, start_evt,
                                                          stop_at, count, results[i], measure_from), daemon=True)
               for i, h in enumerate(riders)]
    for t in threads:
        t.start()
    time.sleep(0.3)     # let every client open its connection
    t0 = time.perf_counter()
    measure_from[0] = t0 + warmup
    stop_at[0] = t0 + warmup + duration if count is None else float("inf")
    start_evt.set()
    cpu = {}
    if server_pid and count is None:
        time.sleep(warmup)
        cpu["start"] = cpu_snapshot(server_pid)
        time.sleep(max(0.0, stop_at[0] - time.perf_counter()))
        cpu["end"] = cpu_snapshot(server_pid)
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - measure_from[0]
    if count is None:
        elapsed = min(elapsed, duration + max(0.0, time.perf_counter() - stop_at[0]))
    return results, elapsed, cpu


def summarise(results: list[ClientResult], elapsed: float) -> dict:
    records = [r for res in results for r in res.records]
    quotes = [r for r in records if r.kind == "quote"]
    books = [r for r in records if r.kind == "book"]
    q_ok = [r for r in quotes if r.status == 200]
    no_offer = Counter(r.detail for r in q_ok if r.detail != "offer")
    booked = sum(1 for r in books if r.status == 201)
    statuses = Counter(r.status for r in quotes + books)
    book_errors = Counter(f"{r.status} {r.detail}" for r in books if r.status != 201)

    def lat(rs):
        ms = [r.latency * 1000 for r in rs]
        return {"n": len(ms), "mean_ms": round(statistics.fmean(ms), 2) if ms else None,
                **{f"p{p}_ms": (round(percentile(ms, p), 2) if ms else None) for p in (50, 95, 99)},
                "max_ms": round(max(ms), 2) if ms else None}

    return {
        "measured_s": round(elapsed, 2),
        "bookings": booked,
        "bookings_per_s": round(booked / elapsed, 2),
        "quotes": len(quotes),
        "quotes_per_s": round(len(quotes) / elapsed, 2),
        "requests_per_s": round((len(quotes) + len(books)) / elapsed, 2),
        "quote_latency": lat(quotes),
        "book_latency": lat(books),
        "quote_without_offer_share": round(sum(no_offer.values()) / len(q_ok), 4) if q_ok else None,
        "quote_without_offer_by_reason": dict(no_offer.most_common()),
        "status_counts": {str(k): v for k, v in sorted(statuses.items())},
        "conflicts_409": statuses.get(409, 0),
        "book_errors": dict(book_errors.most_common()),
        "server_errors_5xx": sum(v for k, v in statuses.items() if k >= 500),
        "transport_errors": sum(len(r.errors) for r in results),
        "transport_error_samples": [e for r in results for e in r.errors][:5],
    }


# ---------------------------------------------------------------------------------------- verification
def check_idempotency(base: str, riders: list[dict], booked: list[Booked], sample: int, rng: random.Random) -> dict:
    """Re-send booking requests with their Idempotency-Key: the same booking must come back."""
    mismatches = []
    picked = rng.sample(booked, min(sample, len(booked)))
    with httpx.Client(base_url=base, timeout=30) as c:
        for b in picked:
            r = c.post("/api/v1/bookings", json={"offer_id": b.offer_id},
                       headers={**riders[b.client], "Idempotency-Key": b.key})
            if r.status_code != 201 or r.json().get("booking_id") != b.booking_id:
                mismatches.append({"booking_id": b.booking_id, "status": r.status_code, "body": r.text[:200]})
    return {"resent": len(picked), "mismatches": mismatches}


def _epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp())


def load_network():
    from routing.network import RoadNetwork
    from routing.sources import open_network

    path = CACHE_DIR / "ride-pool-demo-network.npz"
    if path.is_file():
        try:
            return RoadNetwork.load(path)
        except Exception:  # noqa: BLE001
            pass
    return open_network("demo")


def verify_database(url: str, booked: list[Booked], network=None, now: int | None = None) -> dict:
    """Check the stored state: answered bookings confirmed with their window, nothing twice, every
    open shift's plan feasible (dispatcher restore + independent rebuild, both ``check_plan``)."""
    import numpy as np
    from sqlalchemy import func, select

    from ride_pool.db.engine import make_engine, read_session
    from ride_pool.db.models import BookingRow, ServiceArea
    from ride_pool.db.store import SqlStore, booking_from_row
    from ride_pool.dispatch.dispatcher import Dispatcher
    from ride_pool.dispatch.domain import BookingStatus, StepKind
    from ride_pool.dispatch.rules import ServiceRules
    from ride_pool.dispatch.store import InMemoryStore
    from routing import kernels
    from routing.darp.checker import check_plan
    from routing.darp.problem import MUST_SERVE, NO_LIMIT, DarpProblem, Plan
    from routing.travel_times import TravelTimes

    now = int(time.time()) if now is None else now
    network = network or load_network()
    engine = make_engine(url)
    problems: list[str] = []
    try:
        with read_session(engine) as s:
            rows = {r.booking_id: booking_from_row(r) for r in s.scalars(select(BookingRow))}
            dup_offers = s.execute(select(BookingRow.offer_id, func.count()).where(BookingRow.offer_id.is_not(None))
                                   .group_by(BookingRow.offer_id).having(func.count() > 1)).all()
            dup_keys = s.execute(select(BookingRow.idempotency_scope, BookingRow.idempotency_key, func.count())
                                 .where(BookingRow.idempotency_key.is_not(None))
                                 .group_by(BookingRow.idempotency_scope, BookingRow.idempotency_key)
                                 .having(func.count() > 1)).all()
            area = s.scalar(select(ServiceArea).where(ServiceArea.name == "default"))
            rules = ServiceRules.from_dict(area.rules if area else None)
        state = SqlStore(engine).load(now)
    finally:
        engine.dispose()

    # 1. every booking answered 201 is stored, confirmed, with the window the rider was given
    answered = {b.booking_id: b for b in booked}
    if len(answered) != len(booked):
        problems.append(f"{len(booked) - len(answered)} booking ids were answered twice")
    missing = [b for b in answered if b not in rows]
    if missing:
        problems.append(f"{len(missing)} answered bookings are not in the database, e.g. {missing[:3]}")
    wrong = []
    for bid, b in answered.items():
        row = rows.get(bid)
        if row is None:
            continue
        if row.status is not BookingStatus.CONFIRMED or row.offer_id != b.offer_id or row.idempotency_key != b.key \
                or (row.pickup_earliest, row.pickup_latest, row.dropoff_latest) != (
                    _epoch(b.pickup_earliest), _epoch(b.pickup_latest), _epoch(b.dropoff_latest)):
            wrong.append(bid)
    if wrong:
        problems.append(f"{len(wrong)} answered bookings differ in the database (status/window/offer/key), "
                        f"e.g. {wrong[:3]}")
    unanswered = [bid for bid, r in rows.items() if bid not in answered and r.channel == "app"]
    if dup_offers:
        problems.append(f"{len(dup_offers)} offers booked more than once")
    if dup_keys:
        problems.append(f"{len(dup_keys)} idempotency keys used by more than one booking")

    # 2. the dispatcher's own restore of the stored state, checked
    d = Dispatcher(TravelTimes(network), rules=rules, store=InMemoryStore(), clock=lambda: now)
    d.restore(state)
    lost = [b for b, bk in d.bookings.items() if bk.status.active and b not in d._rslot]
    if lost:
        problems.append(f"{len(lost)} active bookings are in no vehicle's plan after restore")
    built = d._problem(now)
    restored = {"requests": 0, "vehicles": 0, "feasible": True, "violations": []}
    if built is not None:
        problem, plan, vslots, requests = built
        res = check_plan(problem, plan)
        restored = {"requests": problem.request_count, "vehicles": len(vslots), "feasible": bool(res.feasible),
                    "served": res.served, "violations": res.violations[:10]}
        if not res.feasible:
            problems.append("restored plan infeasible: " + "; ".join(res.violations[:5]))
        if res.served != problem.request_count:
            problems.append(f"restored plan serves {res.served} of {problem.request_count} requests")

    # 3. independent rebuild: stored routes and bookings, travel times straight from the network
    active = {b.booking_id: b for b in state.bookings}
    shifts = [s for s in state.shifts if not s.ended]
    seen: Counter = Counter()
    for s in shifts:
        for step in s.route:
            seen[(step.booking_id, step.kind)] += 1
            b = active.get(step.booking_id)
            if b is None:
                problems.append(f"shift {s.shift_id} plans booking {step.booking_id}, which is not active")
            elif b.vehicle_id != s.vehicle_id:
                problems.append(f"booking {b.booking_id} is on vehicle {b.vehicle_id} but planned on {s.vehicle_id}")
    for bid, b in active.items():
        want = 1 if b.status is BookingStatus.CONFIRMED else 0
        if seen[(bid, StepKind.PICKUP)] != want or seen[(bid, StepKind.DROPOFF)] != 1:
            problems.append(f"booking {bid} planned {seen[(bid, StepKind.PICKUP)]} pickups / "
                            f"{seen[(bid, StepKind.DROPOFF)]} drop-offs")
    independent = {"requests": len(active), "vehicles": len(shifts), "feasible": True, "violations": []}
    if active and shifts:
        order = list(active)
        index = {bid: i for i, bid in enumerate(order)}
        nodes = sorted({n for b in active.values() for n in (b.origin.node, b.destination.node)}
                       | {n for s in shifts for n in (s.anchor_node, s.depot.node)})
        loc = {n: i for i, n in enumerate(nodes)}
        tt = TravelTimes(network).matrix(nodes, nodes).astype(np.int64)
        tt = np.where(tt == kernels.UNREACHABLE, 10**9, tt)
        bs = [active[bid] for bid in order]
        vpos = {s.vehicle_id: k for k, s in enumerate(shifts)}
        problem = DarpProblem(
            travel_time=tt,
            pickup_location=np.array([loc[b.origin.node] for b in bs]),
            dropoff_location=np.array([loc[b.destination.node] for b in bs]),
            seats=np.array([b.passengers - b.wheelchairs for b in bs]),
            wheelchairs=np.array([b.wheelchairs for b in bs]),
            pickup_earliest=np.array([b.pickup_earliest for b in bs]),
            pickup_latest=np.array([b.pickup_latest for b in bs]),
            dropoff_earliest=np.array([b.pickup_earliest for b in bs]),
            dropoff_latest=np.array([b.dropoff_latest for b in bs]),
            max_ride_time=np.array([b.max_ride_s for b in bs]),
            pickup_service=np.array([rules.pickup_service_s(b.wheelchairs) for b in bs]),
            dropoff_service=np.array([rules.dropoff_service_s(b.wheelchairs) for b in bs]),
            onboard_vehicle=np.array([vpos.get(b.vehicle_id, -1) if b.status is BookingStatus.ONBOARD else -1
                                      for b in bs]),
            pickup_begin=np.array([b.boarded_at or 0 for b in bs]),
            rejection_penalty=np.full(len(bs), MUST_SERVE),
            start_location=np.array([loc[s.anchor_node] for s in shifts]),
            end_location=np.array([loc[s.depot.node] for s in shifts]),
            start_time=np.array([min(max(s.anchor_time, now, s.start), s.end) for s in shifts]),
            end_latest=np.array([s.end for s in shifts]),
            seat_capacity=np.array([s.seats for s in shifts]),
            wheelchair_capacity=np.array([s.wheelchair_places for s in shifts]),
            max_duration=np.full(len(shifts), NO_LIMIT), name="booking-load-verify")
        plan = Plan([[2 * index[st.booking_id] + (st.kind is StepKind.DROPOFF) for st in s.route
                      if st.booking_id in index] for s in shifts])
        res = check_plan(problem, plan)
        independent = {"requests": len(bs), "vehicles": len(shifts), "feasible": bool(res.feasible),
                       "served": res.served, "violations": res.violations[:10],
                       "max_stops_per_vehicle": max(len(s.route) for s in shifts)}
        if not res.feasible:
            problems.append("independently rebuilt plan infeasible: " + "; ".join(res.violations[:5]))
    return {"ok": not problems, "problems": problems[:20], "answered_201": len(booked),
            "stored_bookings": len(rows), "stored_active": len(active),
            "stored_but_not_answered": len(unanswered), "duplicate_offers": len(dup_offers),
            "duplicate_idempotency_keys": len(dup_keys), "restored_plan": restored,
            "independent_plan": independent}


# ---------------------------------------------------------------------------------------- server timing
#: run in the server before the CLI with ``--instrument``: times the dispatcher's lock (wait and hold,
#: by dispatcher method), the store's commits and the API's database reads, and writes them as JSON
#: (wall time at the end, duration) to $RIDE_POOL_BENCH_INSTRUMENT when the server exits.
INSTRUMENT = r"""
import atexit, json, os, sys, threading, time
_rows = []
def _rec(name, t0):
    t1 = time.perf_counter()
    _rows.append((name, time.time(), t1 - t0))
class _TimedLock:
    def __init__(self):
        self._l = threading.RLock()
        self._tl = threading.local()
    def __enter__(self):
        t0 = time.perf_counter()
        self._l.acquire()
        depth = getattr(self._tl, "d", 0)
        if depth == 0:
            op = sys._getframe(1).f_code.co_name
            _rec("lock_wait:" + op, t0)
            self._tl.t, self._tl.op = time.perf_counter(), op
        self._tl.d = depth + 1
        return self
    def __exit__(self, *exc):
        self._tl.d -= 1
        if self._tl.d == 0:
            _rec("lock_hold:" + self._tl.op, self._tl.t)
        self._l.release()
        return False
from ride_pool.dispatch import dispatcher as _dm
from ride_pool.db import store as _sm, repository as _rm
_init = _dm.Dispatcher.__init__
def _init2(self, *a, **k):
    _init(self, *a, **k)
    self._lock = _TimedLock()
_dm.Dispatcher.__init__ = _init2
def _timed(cls, name, label):
    f = getattr(cls, name)
    def g(*a, **k):
        t0 = time.perf_counter()
        try:
            return f(*a, **k)
        finally:
            _rec(label, t0)
    setattr(cls, name, g)
_timed(_sm.SqlStore, "commit", "store_commit")
_timed(_rm.Repository, "get_stop", "db_read:get_stop")
if hasattr(_rm.Repository, "stop_info"):
    _timed(_rm.Repository, "stop_info", "db_read:stop_info")
_timed(_rm.Repository, "find_booking_by_idempotency_key", "db_read:idempotency")
@atexit.register
def _dump():
    with open(os.environ["RIDE_POOL_BENCH_INSTRUMENT"], "w") as f:
        json.dump(_rows, f)
"""


def timing_summary(path: Path, t_from: float, t_to: float) -> dict:
    """Per timed name: count, total seconds, mean/p50/p95 ms within the wall window."""
    rows = [r for r in json.loads(path.read_text()) if t_from <= r[1] <= t_to]
    out = {}
    for name in sorted({r[0] for r in rows}):
        d = [r[2] * 1000 for r in rows if r[0] == name]
        out[name] = {"n": len(d), "total_s": round(sum(d) / 1000, 2), "mean_ms": round(statistics.fmean(d), 3),
                     "p50_ms": round(percentile(d, 50), 3), "p95_ms": round(percentile(d, 95), 3)}
    held = sum(v["total_s"] for k, v in out.items() if k.startswith("lock_hold:"))
    out["lock_held_share_of_wall"] = round(held / (t_to - t_from), 3)
    return out


# ---------------------------------------------------------------------------------------- CPU use
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (Linux /proc), 0 if unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def _postgres_pids() -> list[int]:
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if (d / "comm").read_text().strip() in ("postgres", "postmaster"):
                    pids.append(int(d.name))
            except OSError:
                pass
    return pids


def _machine_busy() -> float:
    """CPU seconds all cores spent busy (not idle, not waiting for I/O) since boot (Linux)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        return (sum(fields[:8]) - fields[3] - fields[4]) / _TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def cpu_snapshot(server_pid: int) -> dict:
    t = os.times()
    return {"wall": time.perf_counter(), "client": t.user + t.system, "server": _proc_cpu(server_pid),
            "postgres": {pid: _proc_cpu(pid) for pid in _postgres_pids()}, "machine": _machine_busy()}


def cpu_use(a: dict, b: dict, bookings: int) -> dict:
    wall = b["wall"] - a["wall"]
    pg = sum(v - a["postgres"].get(pid, 0.0) for pid, v in b["postgres"].items())
    use = {"client": b["client"] - a["client"], "server": b["server"] - a["server"], "postgres": pg}
    out = {f"{k}_cores": round(v / wall, 2) for k, v in use.items()}
    out["total_cores"] = round(sum(use.values()) / wall, 2)
    out["machine_cores"] = os.cpu_count()
    if "machine" in a and b["machine"]:
        # everything else the machine ran meanwhile (other programs compete for the same cores)
        out["other_processes_cores"] = round(max(0.0, (b["machine"] - a["machine"]) - sum(use.values())) / wall, 2)
    if bookings:
        out["server_cpu_ms_per_booking"] = round(1000 * use["server"] / bookings, 2)
        out["all_cpu_ms_per_booking"] = round(1000 * sum(use.values()) / bookings, 2)
    return out


# ---------------------------------------------------------------------------------------- profiling
def start_py_spy(pid: int, out_dir: Path, name: str, duration: float, gil: bool = True) -> list[subprocess.Popen]:
    """py-spy on the server: ``gil`` samples only the thread holding the GIL (= where the server's CPU
    goes, since one process can use one core for Python), else all threads (lock waits too)."""
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(exe).exists():
        print("py-spy not found (pip install py-spy); not profiling", file=sys.stderr)
        return []
    out_dir.mkdir(parents=True, exist_ok=True)
    common = ["record", "--pid", str(pid), "--duration", str(int(duration)), "--rate", "100", "--threads"]
    if gil:
        common.append("--gil")
    return [subprocess.Popen([exe, *common, "--format", "raw", "-o", str(out_dir / f"{name}.txt")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]


# ---------------------------------------------------------------------------------------- main
def run_backend(kind: str, args) -> dict:
    from ride_pool.dispatch.rules import ServiceRules

    workdir = Path(tempfile.mkdtemp(prefix=f"booking-load-{kind}-"))
    url, cleanup = fresh_database(kind, args.pg_url, workdir)
    env = dict(os.environ)
    for item in args.server_env or []:
        k, _, v = item.partition("=")
        env[k] = v
    prelude = args.server_prelude
    if args.instrument:
        env["RIDE_POOL_BENCH_INSTRUMENT"] = str(workdir / "timing.json")
        prelude = INSTRUMENT + "\n" + prelude
    server = Server(url, vehicles=args.vehicles, log_path=workdir / "server.log", prelude=prelude, env=env)
    print(f"[{kind}] starting server on port {server.port} ({args.vehicles} vehicles) ...", flush=True)
    try:
        t_start = time.perf_counter()
        server.start()
        startup_s = time.perf_counter() - t_start
        op = login(server.base, *OPERATOR)
        r = httpx.put(server.base + "/api/v1/ops/service-area", headers=op,
                      json={"rules": {"max_active_bookings": 1_000_000}}, timeout=30)
        r.raise_for_status()
        rules = ServiceRules.from_dict(r.json()["rules"])
        riders = register_riders(server.base, args.clients, uuid.uuid4().hex[:6])
        stops = [s["id"] for s in httpx.get(server.base + "/api/v1/stops", params={"limit": 5000}, timeout=30).json()]
        now = int(time.time())
        times = pickup_times(rules, now, args.hours)
        if not times:
            raise RuntimeError("no allowed pickup time in the next days (operating hours?)")
        spy = start_py_spy(server.proc.pid, Path(args.py_spy), kind, args.warmup + args.duration,
                           gil=args.py_spy_mode == "gil") \
            if args.py_spy else []
        print(f"[{kind}] ready in {startup_s:.1f} s; {len(stops)} stops; {args.clients} clients; pickups over "
              f"{len(times) / 60:.1f} service hours; load {args.duration} s (+{args.warmup} s warm-up) ...", flush=True)
        results, elapsed, cpu = run_load(server.base, riders, stops, times, _tz(rules), duration=args.duration,
                                         warmup=args.warmup, count=args.count, seed=args.seed,
                                         server_pid=server.proc.pid)
        for p in spy:
            p.wait(timeout=args.warmup + args.duration + 60)
        summary = summarise(results, elapsed)
        window = (time.time() - (time.perf_counter() - cpu["start"]["wall"]),
                  time.time() - (time.perf_counter() - cpu["end"]["wall"])) if cpu else None
        if cpu:
            summary["cpu"] = cpu_use(cpu["start"], cpu["end"], summary["bookings"])
        booked = [b for r in results for b in r.booked]
        health = httpx.get(server.base + "/api/v1/health", timeout=30).json()
        idem = check_idempotency(server.base, riders, booked, args.idempotency_sample, random.Random(args.seed))
        server.stop()
        print(f"[{kind}] verifying {len(booked)} bookings from the database ...", flush=True)
        t_v = time.perf_counter()
        if args.instrument and window:
            summary["server_timing"] = timing_summary(workdir / "timing.json", *window)
        verification = verify_database(url, booked)
        verification["seconds"] = round(time.perf_counter() - t_v, 1)
        verification["idempotency_resend"] = idem
        verification["server_active_bookings_before_stop"] = health.get("active_bookings")
        if idem["mismatches"]:
            verification["ok"] = False
            verification["problems"].append(f"{len(idem['mismatches'])} re-sent Idempotency-Keys gave another answer")
        return {"database": kind, "vehicles": args.vehicles, "clients": args.clients, "startup_s": round(startup_s, 1),
                "stops": len(stops), **summary, "verification": verification}
    finally:
        server.stop()
        try:
            cleanup()
        except Exception as exc:  # noqa: BLE001
            print(f"[{kind}] cleanup failed: {exc}", file=sys.stderr)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"[{kind}] kept {workdir}")


def _tz(rules):
    from zoneinfo import ZoneInfo
    return ZoneInfo(rules.timezone)


def print_table(runs: list[dict], target_bps: float, target_p95: float) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"booking load ({runs[0]['clients']} clients, {runs[0]['vehicles']} vehicles; client and "
                    f"server share {os.cpu_count()} cores)")
    for col in ("database", "bookings/s", "quotes/s", "quote p50/p95/p99 ms", "book p50/p95/p99 ms",
                "no offer", "409", "5xx", "verified"):
        t.add_column(col, justify="right")
    for r in runs:
        q, b = r["quote_latency"], r["book_latency"]
        reasons = ", ".join(f"{k} {v}" for k, v in r["quote_without_offer_by_reason"].items())
        t.add_row(r["database"], f"{r['bookings_per_s']:.1f}", f"{r['quotes_per_s']:.1f}",
                  f"{q['p50_ms']}/{q['p95_ms']}/{q['p99_ms']}", f"{b['p50_ms']}/{b['p95_ms']}/{b['p99_ms']}",
                  f"{100 * (r['quote_without_offer_share'] or 0):.1f}%" + (f" ({reasons})" if reasons else ""),
                  str(r["conflicts_409"]), str(r["server_errors_5xx"]),
                  "yes" if r["verification"]["ok"] else "NO: " + "; ".join(r["verification"]["problems"][:2]))
    Console(width=max(160, shutil.get_terminal_size().columns)).print(t)
    for r in runs:
        ok = r["bookings_per_s"] >= target_bps and (r["book_latency"]["p95_ms"] or 1e9) <= target_p95 \
            and (r["quote_latency"]["p95_ms"] or 1e9) <= target_p95
        cpu = r.get("cpu") or {}
        print(f"{r['database']}: target >= {target_bps:g} bookings/s with p95 <= {target_p95:g} ms: "
              f"{'MET' if ok else 'MISSED'}" + (
                  f"  (CPU cores used: server {cpu['server_cores']}, client {cpu['client_cores']}, postgres "
                  f"{cpu['postgres_cores']}, other processes {cpu['other_processes_cores']})"
                  if "other_processes_cores" in cpu else ""))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", action="append", choices=["sqlite", "postgres"],
                   help="database(s) to run on (default: both)")
    p.add_argument("--pg-url", default=os.environ.get("RIDE_POOL_BENCH_PG", DEFAULT_PG),
                   help="PostgreSQL server (a fresh database is created there and dropped afterwards)")
    p.add_argument("--clients", type=int, default=16, help="concurrent clients, one rider each (16)")
    p.add_argument("--duration", type=float, default=30, help="measured seconds (30)")
    p.add_argument("--warmup", type=float, default=3, help="unmeasured seconds first (3)")
    p.add_argument("--count", type=int, default=None, help="bookings per client instead of a duration")
    p.add_argument("--vehicles", type=int, default=100, help="demo vehicles (100; the demo allows up to 200)")
    p.add_argument("--hours", type=float, default=8, help="pickups spread over this many service hours (8)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--idempotency-sample", type=int, default=50, help="bookings re-sent with their key (50)")
    p.add_argument("--target-bookings", type=float, default=100)
    p.add_argument("--target-p95-ms", type=float, default=150)
    p.add_argument("--py-spy", metavar="DIR", help="record the server with py-spy into DIR")
    p.add_argument("--py-spy-mode", choices=["gil", "all"], default="gil",
                   help="gil: sample the GIL holder (CPU profile); all: every thread (lock waits too)")
    p.add_argument("--instrument", action="store_true",
                   help="time the dispatcher lock (wait/hold), store commits and DB reads inside the server")
    p.add_argument("--server-prelude", default="", help="Python run in the server process before the CLI "
                   "(experiments, e.g. 'import sys; sys.setswitchinterval(0.001)')")
    p.add_argument("--server-env", action="append", metavar="NAME=VALUE",
                   help="environment variable for the server process (experiments, e.g. PYTHONPATH=...)")
    p.add_argument("--keep", action="store_true", help="keep the work folder (server log)")
    p.add_argument("--json", type=Path, help="write the results here")
    args = p.parse_args(argv)
    kinds = args.db or ["sqlite", "postgres"]
    runs = [run_backend(kind, args) for kind in kinds]
    print_table(runs, args.target_bookings, args.target_p95_ms)
    if args.json:
        doc = {"benchmark": "booking_load", "created": datetime.now().astimezone().isoformat(timespec="seconds"),
               "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                           "platform": platform.platform(),
                           "note": "client (threads, httpx) and server (one uvicorn process) share these cores"},
               "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
                            if k not in ("json",)},
               "target": {"bookings_per_s": args.target_bookings, "p95_ms": args.target_p95_ms},
               "runs": runs}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(doc, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0 if all(r["verification"]["ok"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
