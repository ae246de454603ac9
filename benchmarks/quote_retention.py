"""How much the database grows per quote, and what the retention job (issue 13, item 18) gives back.

    python benchmarks/quote_retention.py [--quotes 3000] [--json benchmarks/results/quote_retention.json]

A demo service on a fresh SQLite file (in-process, ``TestClient``, a fake clock) answers
``--quotes`` quotes from one rider (``POST /api/v1/quotes``, random pairs of stops), as in the
issue's reproduction. Then the clock moves past the quote retention (``quote_retention_days``
+ 1 day) and the retention job runs (``Service.run_retention``). Reported at each step: the
rows of ``offers`` and ``events``, the bytes the database's pages use
(``(page_count - freelist_count) * page_size``; SQLite reuses freed pages, so the file itself
only shrinks with ``VACUUM``) and the file size after a ``VACUUM``.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import tempfile
from pathlib import Path

from fastapi.testclient import TestClient

from ride_pool.api.app import create_app
from ride_pool.demo import RIDER, seed_demo
from ride_pool.settings import Settings
from routing.synthetic import build_demo_network

DAY = 86_400


class Clock:
    def __init__(self, t: int):
        self.t = t

    def __call__(self) -> int:
        return self.t


def used_bytes(path: Path) -> dict:
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages, free, size = (db.execute(f"PRAGMA {p}").fetchone()[0]
                             for p in ("page_count", "freelist_count", "page_size"))
        offers = db.execute("SELECT count(*) FROM offers").fetchone()[0]
        events = db.execute("SELECT count(*) FROM events").fetchone()[0]
    return {"used_bytes": (pages - free) * size, "file_bytes": path.stat().st_size, "offers": offers,
            "events": events}


def vacuumed_bytes(path: Path) -> int:
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("VACUUM")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    return path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quotes", type=int, default=3000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="quote-retention-"))
    path = folder / "ride_pool.db"
    settings = Settings(database_url=f"sqlite:///{path}", secret_key="b" * 48)
    clock = Clock(1_772_524_800)    # Tuesday 2026-03-03 09:00 Berlin
    app = create_app(settings, network=build_demo_network(), clock=clock, background=False)
    result = {"quotes": args.quotes, "quote_retention_days": settings.quote_retention_days}
    with TestClient(app) as client:
        service = app.state.service
        seed_demo(service, now=clock())
        token = client.post("/api/v1/auth/token", data={"username": RIDER[0], "password": RIDER[1]}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        stops = [s["id"] for s in client.get("/api/v1/stops").json()]
        service.store.flush()
        result["before"] = used_bytes(path)
        rng = random.Random(7)
        for _ in range(args.quotes):
            origin, destination = rng.sample(stops, 2)
            r = client.post("/api/v1/quotes", headers=headers,
                            json={"origin": {"stop_id": origin}, "destination": {"stop_id": destination}})
            assert r.status_code == 200, r.text
        service.store.flush()
        result["after_quotes"] = used_bytes(path)
        grown = result["after_quotes"]["used_bytes"] - result["before"]["used_bytes"]
        result["bytes_per_quote"] = round(grown / args.quotes, 1)
        clock.t += (settings.quote_retention_days + 1) * DAY
        anonymised, pruned = service.run_retention()
        result["pruned"] = {"offers": pruned.offers, "events": pruned.events}
        result["after_retention"] = used_bytes(path)
    result["after_vacuum_file_bytes"] = vacuumed_bytes(path)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
