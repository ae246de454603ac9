"""How fast a freshly started service answers its first quote (issue 20, item 5: ≤ 1 s).

    python benchmarks/cold_start.py [--runs 3] [--json benchmarks/results/cold_start.json]

Each run starts ``ride-pool demo`` as its own process on a fresh SQLite file and a free port (the
demo network file is built once into a work folder and reused, as a restarted service would),
waits until ``GET /api/v1/health`` answers 200 (the service reports ready only after its start-up
has run), logs in as the demo rider and times the first quote and the second one (same route, a
later time). Two cases:

* ``cached``: numba's on-disk cache as an installed service has it after its first start;
* ``empty cache``: ``NUMBA_CACHE_DIR`` points at an empty folder, so every kernel is compiled at
  start-up - the first start after an install. Start-up is slower then, the first quote must not be.

The peer is the second quote of the same run: a warm service's answer time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

RIDER = ("rider@demo.local", "demo-rider")
WORK = Path(tempfile.gettempdir()) / "ride-pool-cold-start"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_run(empty_cache: bool) -> dict:
    WORK.mkdir(exist_ok=True)
    db = WORK / "cold.db"
    for p in WORK.glob("cold.db*"):
        p.unlink()
    env = dict(os.environ, RIDE_POOL_SECRET_KEY="x" * 40, RIDE_POOL_LIMIT_QUOTES_ADDRESS_COUNT="0")
    cache = None
    if empty_cache:
        cache = tempfile.mkdtemp(prefix="numba-cache-")
        env["NUMBA_CACHE_DIR"] = cache
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "ride_pool.cli", "demo", "--db", str(db), "--port", str(port)],
                            cwd=WORK, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            while True:
                if proc.poll() is not None:
                    raise SystemExit("ride-pool demo stopped: " + proc.stderr.read().decode()[-2000:])
                try:
                    if client.get("/api/v1/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
            ready_s = time.perf_counter() - started
            token = client.post("/api/v1/auth/token", data={"username": RIDER[0], "password": RIDER[1]})
            token.raise_for_status()
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            stops = {s["name"]: s["id"] for s in client.get("/api/v1/stops", params={"limit": 500}).json()}
            a, b = stops["Coswig, Bahnhof"], stops["Klipphausen, Zentrum"]
            first = quote_time(datetime.now(ZoneInfo("Europe/Berlin")))
            times = []
            for later in (0, 1):
                body = {"origin": {"stop_id": a}, "destination": {"stop_id": b},
                        "pickup_after": (first + timedelta(hours=later)).isoformat()}
                t = time.perf_counter()
                r = client.post("/api/v1/quotes", json=body, headers=headers)
                times.append(time.perf_counter() - t)
                r.raise_for_status()
                if not r.json()["offers"]:
                    raise SystemExit(f"no offer: {r.json()}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if cache:
            shutil.rmtree(cache, ignore_errors=True)
    return {"ready_s": round(ready_s, 3), "first_quote_s": round(times[0], 4), "second_quote_s": round(times[1], 4)}


def quote_time(now: datetime) -> datetime:
    """The first quote's pickup time: a full hour at least 2 h ahead, moved into 07:00–20:00, so it
    and the second quote an hour later lie inside the demo's service hours (05:00–23:00) and inside
    the 24 hours its shifts cover, whenever the benchmark runs."""
    t = (now + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    if t.hour < 7:
        t = t.replace(hour=7)
    elif t.hour > 20:
        t = (t + timedelta(days=1)).replace(hour=7)
    return t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results/cold_start.json"))
    args = parser.parse_args()
    one_run(False)                       # builds the demo network file and fills the numba cache
    rows = []
    for case, empty in (("cached", False), ("empty cache", True)):
        runs = [one_run(empty) for _ in range(args.runs)]
        rows.append({"case": case, "runs": runs,
                     "ready_s_median": statistics.median(r["ready_s"] for r in runs),
                     "first_quote_s_median": statistics.median(r["first_quote_s"] for r in runs),
                     "first_quote_s_max": max(r["first_quote_s"] for r in runs),
                     "second_quote_s_median": statistics.median(r["second_quote_s"] for r in runs)})
    print(f"{'case':<12} {'ready (s)':>10} {'1st quote (s)':>14} {'max 1st (s)':>12} {'2nd quote (s)':>14} "
          f"{'1st/2nd':>8}")
    for r in rows:
        ratio = r["first_quote_s_median"] / max(r["second_quote_s_median"], 1e-9)
        print(f"{r['case']:<12} {r['ready_s_median']:>10.2f} {r['first_quote_s_median']:>14.3f} "
              f"{r['first_quote_s_max']:>12.3f} {r['second_quote_s_median']:>14.3f} {ratio:>8.1f}")
    result = {"benchmark": "cold_start", "target_first_quote_s": 1.0, "cpu_count": os.cpu_count(),
              "measured_at": datetime.now().isoformat(timespec="seconds"), "cases": rows}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written {args.json}")


if __name__ == "__main__":
    main()
