"""Place search latency: ``GET /api/v1/places`` on the demo county, and the search alone.

    python benchmarks/places_search.py [--json benchmarks/results/places_search.json] [--queries 2000]

Queries are what riders type: every prefix of a name as it is typed (from 2 letters on), the whole
name with one wrong letter, umlauts written as ASCII, a category word with a village name, and
half of them with the rider's position. Three measurements, each over the same queries:

* ``search``: :meth:`PlaceBook.search` alone (gazetteer index + stop index), in process;
* ``http``: the whole ``GET /api/v1/places`` from a client (httpx, keep-alive) to ``ride-pool
  demo`` running in its own process (uvicorn, SQLite, place rate limit and access log off), next
  to ``GET /api/v1/stops?q=`` (the prefix search over stop names that riders had before) as the
  baseline of the HTTP stack;
* ``osm-lauf``: the search alone on the Lauf an der Pegnitz OSM extract (5,000+ addresses), for
  scale.

Target (issue 16): p95 <= 20 ms on the demo county. Prints a table; ``--json`` writes it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from routing.gazetteer import gazetteer_from_osm_file  # noqa: E402
from routing.place_search import PlaceIndex, fold  # noqa: E402

TARGET_P95_MS = 20.0


def data_dir() -> Path:
    return Path(os.environ.get("RIDE_POOL_DATA_DIR", REPO.parent / "shared" / "data"))


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + rng.choice("aeiourstnl") + word[i + 1:]


def make_queries(names: list[str], categories: list[str], villages: list[str], n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < n:
        name = rng.choice(names)
        kind = rng.random()
        if kind < 0.5:                       # typing, letter by letter
            out.extend(name[:k] for k in range(2, len(name) + 1))
        elif kind < 0.7:
            out.append(typo(name, rng))
        elif kind < 0.85:
            out.append(fold(name))           # "Meissen", "Kabschutztal"
        else:
            out.append(f"{rng.choice(categories)} {rng.choice(villages)}")
    return out[:n]


def percentiles(samples_s: list[float]) -> dict:
    ms = sorted(s * 1000 for s in samples_s)

    def q(p):
        return ms[min(len(ms) - 1, int(round(p / 100 * (len(ms) - 1))))]

    return {"n": len(ms), "mean_ms": round(statistics.fmean(ms), 3), "p50_ms": round(q(50), 3),
            "p95_ms": round(q(95), 3), "p99_ms": round(q(99), 3), "max_ms": round(ms[-1], 3)}


def timed(fn, queries: list[str], positions: list) -> list[float]:
    times = []
    for q, pos in zip(queries, positions):
        start = time.perf_counter()
        fn(q, pos)
        times.append(time.perf_counter() - start)
    return times


@contextlib.contextmanager
def demo_server(folder: Path):
    """``ride-pool demo`` of this checkout in its own process, on a free port; yields its URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(REPO), "RIDE_POOL_LIMIT_PLACES_ADDRESS_COUNT": "0",
           "RIDE_POOL_ACCESS_LOG": "false", "RIDE_POOL_SECRET_KEY": "b" * 40}
    process = subprocess.Popen([sys.executable, "-m", "ride_pool.cli", "demo", "--db", str(folder / "server.db"),
                                "--port", str(port)], cwd=folder, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(base + "/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("ride-pool demo did not start")
            time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from ride_pool.api.app import create_app
    from ride_pool.demo import seed_demo
    from ride_pool.settings import Settings
    from routing.sources import build_network

    network = build_network("demo")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{tmp}/bench.db", secret_key="b" * 40,
                            limit_places_address_count=0)
        app = create_app(settings, network=network, background=False)
        with TestClient(app):
            service = app.state.service
            seed_demo(service)
            book = service.place_book
            stops = [s for s in book.stop_index().entries]
            entries = list(book.index.entries)
            names = [e.name for e in entries + stops]
            villages = sorted({e.name for e in entries if e.kind == "settlement"})
            categories = ["Arzt", "Apotheke", "Rathaus", "Supermarkt", "Bahnhof", "Schule", "Kirche", "Friedhof",
                          "Krankenhaus", "Zahnarzt"]
            queries = make_queries(names, categories, villages, args.queries, args.seed)
            rng = random.Random(args.seed)
            positions = [None if rng.random() < 0.5 else (e.lat, e.lon) for e in
                         (rng.choice(entries) for _ in queries)]
            for q, pos in zip(queries[:50], positions[:50]):          # warm up (index caches)
                book.search(q, 10, *(pos or (None, None)))
            search_times = timed(lambda q, pos: book.search(q, 10, *(pos or (None, None))), queries, positions)

            demo_size = {"entries": len(entries), "stops": len(stops), "vocabulary": len(book.index.vocab)}
        rows.append({"case": "search (demo county)", **demo_size, **percentiles(search_times)})
        with demo_server(Path(tmp)) as base, httpx.Client(base_url=base, timeout=30) as http_client:
            def http(q, pos, path="/api/v1/places"):
                params = {"q": q, "limit": 10}
                if pos and path.endswith("places"):
                    params.update(lat=pos[0], lon=pos[1])
                r = http_client.get(path, params=params)
                assert r.status_code == 200, r.text

            for q in queries[:100]:
                http(q, None)
                http(q, None, "/api/v1/stops")
            http_times = timed(http, queries, positions)
            stop_times = timed(lambda q, pos: http(q, pos, "/api/v1/stops"), queries, positions)
        rows.append({"case": "GET /api/v1/places (demo county)", **demo_size, **percentiles(http_times)})
        rows.append({"case": "baseline GET /api/v1/stops?q=", "entries": len(stops), "stops": len(stops),
                     "vocabulary": 0, **percentiles(stop_times)})

    lauf = data_dir() / "osm" / "lauf-200115.osm.pbf"
    if lauf.is_file():
        places = gazetteer_from_osm_file(lauf)
        index = PlaceIndex(places.entries)
        lauf_names = [e.name for e in places.entries]
        lauf_villages = sorted({e.name for e in places.entries if e.kind == "settlement"})
        queries = make_queries(lauf_names, ["Arzt", "Apotheke", "Bahnhof", "Schule"], lauf_villages, args.queries,
                               args.seed)
        rng = random.Random(args.seed)
        positions = [None if rng.random() < 0.5 else (e.lat, e.lon)
                     for e in (rng.choice(places.entries) for _ in queries)]
        for q in queries[:50]:
            index.search(q, 10)
        times = timed(lambda q, pos: index.search(q, 10, *(pos or (None, None))), queries, positions)
        rows.append({"case": "search (OSM Lauf extract)", "entries": len(places.entries), "stops": 0,
                     "vocabulary": len(index.vocab), **percentiles(times)})

    print(f"{'case':36} {'entries':>8} {'vocab':>6} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for r in rows:
        print(f"{r['case']:36} {r['entries']:>8} {r['vocabulary']:>6} {r['n']:>6} {r['p50_ms']:>8.2f} "
              f"{r['p95_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['max_ms']:>8.2f}")
    demo_p95 = rows[1]["p95_ms"]
    print(f"target: p95 <= {TARGET_P95_MS} ms on the demo county (HTTP): "
          f"{'met' if demo_p95 <= TARGET_P95_MS else 'NOT met'} ({demo_p95:.2f} ms)")
    if args.json:
        args.json.write_text(json.dumps({
            "benchmark": "places_search", "target_p95_ms": TARGET_P95_MS, "results": rows,
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        }, indent=2, ensure_ascii=False) + "\n")
        print(f"written {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
