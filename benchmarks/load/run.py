"""One run on one database: server up, riders, load, figures, verification, server down."""

from __future__ import annotations

import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from .clients import OPERATOR, login, pickup_times, register_riders, run_load
from .cpu import cpu_use
from .instrumentation import ENV_VAR, timing_summary
from .profiling import start_py_spy
from .server import Server, fresh_database
from .stats import summarise
from .verification import check_idempotency, verify_database


def server_env(assignments: list[str] | None) -> dict:
    """The benchmark's environment plus ``NAME=VALUE`` assignments (``--server-env``)."""
    env = dict(os.environ)
    for item in assignments or []:
        k, _, v = item.partition("=")
        env[k] = v
    return env


def run_backend(kind: str, args) -> dict:
    """Run the load against a fresh ``kind`` database and verify it; the run's JSON entry."""
    from ride_pool.dispatch.rules import ServiceRules

    workdir = Path(tempfile.mkdtemp(prefix=f"booking-load-{kind}-"))
    url, cleanup = fresh_database(kind, args.pg_url, workdir)
    env = server_env(args.server_env)
    if args.instrument:
        env[ENV_VAR] = str(workdir / "timing.json")
    server = Server(url, vehicles=args.vehicles, log_path=workdir / "server.log", env=env,
                    instrumented=args.instrument)
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
