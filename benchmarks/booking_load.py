"""Load test of the booking API: concurrent riders quote and book against a real server process.

    python benchmarks/booking_load.py [--db sqlite --db postgres] [--clients 16] [--duration 30]
                                      [--vehicles 100] [--json benchmarks/results/booking_load.json]

For each database (SQLite file and PostgreSQL by default) it starts ``ride-pool demo`` on a fresh
database and a free port, waits for ``GET /api/v1/health``, raises ``max_active_bookings`` (as the
operator) so the load does not run into the per-rider limit, switches the request limits per client
address and rider off through their settings (``RIDE_POOL_LIMIT_*_COUNT=0``: every client shares
one address), creates one confirmed rider account per client (as the operator) and then
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
  restore (``Dispatcher.restore(SqlStore(engine).load(now))`` then ``live_problem(now)``) and once
  independently, rebuilding the ``DarpProblem`` from the stored bookings and routes with travel
  times from ``TravelTimes(network).matrix``; both go through ``routing.darp.checker.check_plan``.

Client and server share the machine (on the reference machine: 2 cores), so the client's own CPU
use (HTTP client, JSON, GIL contention between client threads) is part of the latencies measured.
``--py-spy DIR`` records the server with py-spy during the measured run (collapsed stacks + SVG);
``--instrument`` times the dispatcher lock, store commits and database reads inside the server.

Defaults: 16 clients (closed loop, no think time: each waits for its answer before the next
request, so the latency is what 16 riders tapping at once see), 100 demo vehicles (the shifts
cover the next 24 hours; with pickups spread over 8 service hours the plans stay far from full,
so nearly every quote gets an offer), 30 measured seconds after 3 s of warm-up. The server runs
with its default settings (``ride-pool demo``, access log on). The target (issue 4): on PostgreSQL
at least 100 bookings/s with p95 <= 150 ms for book - and for quote, which the table checks too.
The machine should be otherwise idle: anything else running on its two cores shows up directly
in the latencies (the CPU columns of the JSON tell how much of the machine the run got).

The parts live in the package ``benchmarks/load/`` (server, clients, stats, verification, plans,
instrumentation, report); this file only reads the options and runs them.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# These imports must follow the sys.path.insert above so the `benchmarks` package is found when run as a script.
from benchmarks.load.report import print_table, write_json  # noqa: E402
from benchmarks.load.run import run_backend  # noqa: E402
from benchmarks.load.server import DEFAULT_PG  # noqa: E402


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
    p.add_argument("--server-env", action="append", metavar="NAME=VALUE",
                   help="environment variable for the server process (experiments, e.g. PYTHONPATH=...)")
    p.add_argument("--keep", action="store_true", help="keep the work folder (server log)")
    p.add_argument("--json", type=Path, help="write the results here")
    args = p.parse_args(argv)
    kinds = args.db or ["sqlite", "postgres"]
    runs = [run_backend(kind, args) for kind in kinds]
    print_table(runs, args.target_bookings, args.target_p95_ms)
    if args.json:
        write_json(args.json, runs, args)
        print(f"wrote {args.json}")
    return 0 if all(r["verification"]["ok"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
