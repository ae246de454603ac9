"""The riders: registration, pickup times the rules allow, and the concurrent quote+book loop."""

from __future__ import annotations

import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from .cpu import cpu_snapshot

OPERATOR = ("operator@demo.local", "demo-operator")


def login(base: str, email: str, password: str) -> dict:
    r = httpx.post(base + "/api/v1/auth/token", data={"username": email, "password": password}, timeout=30)
    r.raise_for_status()
    return {"Authorization": "Bearer " + r.json()["access_token"]}


def register_riders(base: str, n: int, tag: str) -> list[dict]:
    """Auth headers of ``n`` new rider accounts, made by the demo operator (confirmed accounts:
    self-registered ones wait for an e-mail code and may hold only one small booking)."""
    headers = []
    operator = login(base, *OPERATOR)
    with httpx.Client(base_url=base, timeout=30) as c:
        for i in range(n):
            email, password = f"load{i}.{tag}@example.org", "load-test-pw"
            r = c.post("/api/v1/ops/users", headers=operator,
                       json={"email": email, "password": password, "name": f"Load {i}", "role": "rider"})
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
    """A booking the server answered 201, as the client was told."""
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
    """One rider: quote a random trip, book its first offer, again until ``stop_at[0]`` (or ``count``
    measured bookings); requests sent from ``measure_from[0]`` on are recorded."""
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
                if measured:
                    out.records.append(Record("quote", t0, t1 - t0, r.status_code, error_code(r)))
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
                                          "" if r.status_code == 201 else error_code(r)))
                n += 1


def error_code(r: httpx.Response) -> str:
    """The API's error code (``detail.code``), else the start of the body."""
    try:
        return str(r.json()["detail"]["code"])
    except Exception:  # noqa: BLE001
        return r.text[:80]


def run_load(base: str, riders: list[dict], stops: list[int], times: list[int], tz, *, duration: float,
             warmup: float, count: int | None, seed: int, server_pid: int | None = None):
    """Run the clients; returns their results, the measured wall time and CPU snapshots
    (``start``/``end`` of the measured run, only with ``server_pid`` and a duration)."""
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
