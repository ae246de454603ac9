"""Compile (or load from numba's cache) every kernel a quote and a booking use, before the service
reports ready, so that the first rider does not wait for the compiler.

Warming the kernels with a toy problem is not enough: numba compiles one specialisation per
argument type, and the live problem's arrays (read-only, their own dtypes and layouts) differ from
a toy's. So the warm-up runs the real path - quote, book, quote into a route that has a booking,
route steps and arrival times - on a scratch dispatcher over the service's own travel times, with
an in-memory store: nothing of it reaches the service's state or database.
"""

from __future__ import annotations

import itertools
import logging
import time

import numpy as np

from ride_pool.dispatch.dispatcher import Dispatcher
from ride_pool.dispatch.domain import TripRequest
from ride_pool.dispatch.rules import WEEKDAYS, ServiceRules
from ride_pool.dispatch.store import InMemoryStore
from routing.kernels import UNREACHABLE
from routing.travel_times import TravelTimes

log = logging.getLogger(__name__)


def _two_places(travel_times: TravelTimes) -> tuple[int, int]:
    """Two nodes a few kilometres apart with a path between them (both ways)."""
    net = travel_times.network
    lat, lon = np.asarray(net.node_lat), np.asarray(net.node_lon)
    centre = int(np.argmin((lat - np.median(lat)) ** 2 + (lon - np.median(lon)) ** 2))
    # candidates ordered by distance from ~3 km away (about 0.027 degrees of latitude)
    far = [n for n in np.argsort(np.abs(np.hypot(lat - lat[centre], (lon - lon[centre]) * 0.63) - 0.027))[:200]
           .tolist() if n != centre]
    there = travel_times.one_to_many(centre, far)
    for node, t in zip(far, there.tolist()):
        if 0 < t < UNREACHABLE and 0 < travel_times.one_to_many(node, [centre])[0] < UNREACHABLE:
            return centre, int(node)
    raise LookupError("no pair of connected nodes found for the warm-up")


def warm_up(travel_times: TravelTimes, now: int, timezone: str = "Europe/Berlin") -> tuple[int, float]:
    """Run a quote and booking path on a scratch dispatcher; returns how many of its three trips
    were booked (each booking after the first inserts into a route with stops) and the seconds."""
    started = time.perf_counter()
    a, b = _two_places(travel_times)
    rules = ServiceRules(timezone=timezone, operating_hours={d: ["00:00", "24:00"] for d in WEEKDAYS})
    ids = itertools.count()
    scratch = Dispatcher(travel_times, rules=rules, store=InMemoryStore(), clock=lambda: now,
                         new_id=lambda: f"warm-{next(ids)}", name="warm-up")
    for shift_id in (1, 2):
        scratch.add_shift(shift_id, shift_id, f"W{shift_id}", 8, 1, now - 3600, now + 86_400,
                          scratch.place_at_node(a))
    for k, (o, d) in enumerate(((a, b), (b, a), (a, b))):
        request = TripRequest(rider_id=None, origin=scratch.place_at_node(o), destination=scratch.place_at_node(d),
                              pickup_after=now + 900 + 600 * k, channel="simulation")
        quote = scratch.quote(request)
        if quote.offers:
            scratch.book_with_eta(quote.offers[0].offer_id)
    for shift_id in (1, 2):
        scratch.route_steps(shift_id)
    return len(scratch.bookings), time.perf_counter() - started


def warm_up_quietly(travel_times: TravelTimes, now: int, timezone: str = "Europe/Berlin") -> None:
    """:func:`warm_up`, logged; a failure costs only speed, so it is logged and not raised."""
    try:
        booked, seconds = warm_up(travel_times, now, timezone)
        log.info("kernels warmed on the service's network in %.1f s (%d of 3 trips booked)", seconds, booked)
    except Exception:      # noqa: BLE001 - the service works without the warm-up, only slower at first
        log.exception("the warm-up of the quote path failed; the first quote will compile the kernels")
