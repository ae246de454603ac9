"""The process the outbox crash test kills with SIGKILL (tests/test_notify_crash.py).

    python outbox_crash_child.py write <database url> <network.npz> <smtp port> <t0>
        books three rides (riders a, b, c at t0, t0+1, t0+2), prints "WRITTEN", then waits
    python outbox_crash_child.py send <database url> <network.npz> <smtp port> <t0>
        runs the outbox sender round after round (printing "ROUND <sent>"), then waits

The clock is fixed at ``t0`` (+ what the write step adds), as the service's injected clock.
"""

from __future__ import annotations

import sys
import time

from ride_pool.api.service import Service
from ride_pool.db.repository import Repository
from ride_pool.dispatch.domain import TripRequest
from ride_pool.settings import Settings
from routing.network import RoadNetwork

COSWIG = (51.135247, 13.588342)
KLIPPHAUSEN = (51.076367, 13.527816)
DEPOT = (51.126687, 13.580526)


def main() -> None:
    mode, url, network_path, smtp_port, t0 = sys.argv[1:6]
    now = [int(t0) + (0 if mode == "write" else 60)]     # the sender runs a minute after the bookings
    settings = Settings(database_url=url, secret_key="crash-child-" + "k" * 40, smtp_host="127.0.0.1",
                        smtp_port=int(smtp_port), notify_backoff_s=5)
    service = Service(settings=settings, network=RoadNetwork.load(network_path), clock=lambda: now[0],
                      background=False).start()
    d = service.dispatcher
    if mode == "write":
        repo = Repository(service.engine)
        d.add_shift(1, 1, "CRASH 1", 8, 1, now[0] - 600, now[0] + 9 * 3600, d.place(*DEPOT, name="Depot"))
        for i, name in enumerate("abc"):
            user = repo.create_user(f"{name}@crash.test", "not-a-real-hash", name, "rider", now=now[0], confirmed=True)
            request = TripRequest(rider_id=user.id, origin=d.place(*COSWIG, name="Coswig, Bahnhof"),
                                  destination=d.place(*KLIPPHAUSEN, name="Klipphausen, Zentrum"),
                                  pickup_after=now[0] + 3600 * (i + 1))
            quote = d.quote(request)
            d.book(quote.offers[0].offer_id, rider_id=user.id, channel="app", idempotency_key=f"crash-{name}")
            now[0] += 1
        print("WRITTEN", flush=True)
    else:
        sender = service.sender
        print("RECOVERED", sender.recover(), flush=True)
        for _ in range(3):
            print("ROUND", sender.run_once(), flush=True)
        print("DONE", flush=True)
    while True:         # the test kills this process
        time.sleep(1)


if __name__ == "__main__":
    main()
