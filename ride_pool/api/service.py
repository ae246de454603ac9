"""The running service: database, road network, dispatcher and live-update broker, built once."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from zoneinfo import ZoneInfo


from ride_pool.db.engine import make_engine, read_session
from ride_pool.db.migrate import migrate
from ride_pool.db.repository import DEFAULT_AREA, Repository
from ride_pool.db.store import SqlStore
from ride_pool.dispatch.dispatcher import Dispatcher
from ride_pool.dispatch.domain import Event
from ride_pool.dispatch.rules import ServiceRules
from ride_pool.settings import Settings
from routing.network import RoadNetwork
from routing.travel_times import TravelTimes

log = logging.getLogger(__name__)
#: threads that run quotes and bookings (see :meth:`Service.in_dispatch_thread`): one - their
#: dispatcher work is serial anyway, and a second thread only competed for the lock and the GIL
#: (measured: about 10-20 % fewer bookings/s with two than with one)
DISPATCH_THREADS = 1


def wall_clock() -> int:
    return int(time.time())


@dataclass
class _Subscriber:
    queue: asyncio.Queue
    loop: asyncio.AbstractEventLoop
    wants: callable


class LiveBroker:
    """Fans dispatcher events out to server-sent-event streams (thread-safe publish)."""

    def __init__(self):
        self._subs: list[_Subscriber] = []
        self._lock = threading.Lock()

    def subscribe(self, wants) -> _Subscriber:
        sub = _Subscriber(asyncio.Queue(maxsize=1000), asyncio.get_running_loop(), wants)
        with self._lock:
            self._subs.append(sub)
        return sub

    def unsubscribe(self, sub: _Subscriber) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    def publish(self, event: Event) -> None:
        if not self._subs:      # nobody listens (the common case under load): no message to build
            return
        with self._lock:
            subs = list(self._subs)
        message = json.dumps({"kind": event.kind.value, "cause": event.cause, "time": event.time,
                              "booking_id": event.booking_id, "shift_id": event.shift_id,
                              "vehicle_id": event.vehicle_id})
        for sub in subs:
            if sub.wants(event):
                try:
                    sub.loop.call_soon_threadsafe(_put, sub.queue, message)
                except RuntimeError:   # the stream's loop has closed
                    self.unsubscribe(sub)


def _put(queue: asyncio.Queue, message: str) -> None:
    if not queue.full():
        queue.put_nowait(message)


@dataclass
class Service:
    settings: Settings
    network: RoadNetwork
    clock: callable = wall_clock
    background: bool = True
    engine: object = None
    store: SqlStore = None
    dispatcher: Dispatcher = None
    travel_times: TravelTimes = None
    broker: LiveBroker = field(default_factory=LiveBroker)
    _route_cache: dict = field(default_factory=dict)
    _known_users: set = field(default_factory=set)
    _tokens: dict = field(default_factory=dict)
    #: (stop id, lat, lon, name) -> (the service area it was checked against, its Place)
    stop_places: dict = field(default_factory=dict)
    _dispatch_pool: ThreadPoolExecutor = None
    _unbounded_snap: TravelTimes = None

    def start(self) -> "Service":
        """Open the database (migrating it), warm the kernels and rebuild the dispatcher's state."""
        from routing.darp.insertion import warm_up as warm_insertion

        self.engine = make_engine(self.settings.database_url)
        migrate(self.engine)
        self.store = SqlStore(self.engine)
        self.travel_times = TravelTimes(self.network)
        TravelTimes.warm_up()
        warm_insertion()
        rules, polygon = self.area_settings()
        self.dispatcher = Dispatcher(self.travel_times, rules=rules, store=self.store, clock=self.clock,
                                     service_area=polygon, name=DEFAULT_AREA)
        state = self.store.load(self.clock())
        self.dispatcher.restore(state)
        self.dispatcher.subscribe(self.broker.publish)
        if self.background:
            self.dispatcher.start_background()
        log.info("service ready: %d shifts, %d active bookings restored", len(state.shifts), len(state.bookings))
        return self

    def stop(self) -> None:
        if self._dispatch_pool is not None:
            self._dispatch_pool.shutdown(wait=False, cancel_futures=True)
            self._dispatch_pool = None
        if self.dispatcher is not None:
            self.dispatcher.stop_background()
        if self.store is not None:
            self.store.close()
        if self.engine is not None:
            self.engine.dispose()

    async def in_dispatch_thread(self, fn, *args):
        """``fn(*args)`` on the service's dispatch thread(s) (:data:`DISPATCH_THREADS`).

        The rider endpoints that go through the dispatcher's lock (quote, book) run here instead of
        in the server's general thread pool (40 threads): their dispatcher work is serial anyway,
        and one thread taking requests in arrival order keeps the lock free of a crowd of waiting
        threads (no convoy, no unfair hand-overs, fewer GIL switches), which is what made the
        latencies spread. Other endpoints stay in the general pool and share the lock as before."""
        if self._dispatch_pool is None:
            self._dispatch_pool = ThreadPoolExecutor(DISPATCH_THREADS, thread_name_prefix="dispatch")
        return await asyncio.get_running_loop().run_in_executor(self._dispatch_pool, partial(fn, *args))

    # ------------------------------------------------------------------ service area
    def add_shift(self, vehicle, start: int, end: int, depot, driver_id: int | None = None):
        """A new shift of ``vehicle`` (a vehicles row): stored, then taking bookings at once."""
        row = Repository(self.engine).create_shift(vehicle.id, start, end, depot, driver_id=driver_id)
        return self.dispatcher.add_shift(row.id, vehicle.id, vehicle.label, vehicle.seats, vehicle.wheelchair_places,
                                         row.start, row.end, depot, driver_id=driver_id)

    def area_settings(self) -> tuple[ServiceRules, object]:
        area = Repository(self.engine).get_service_area()
        if area is None:
            return ServiceRules(), None
        return ServiceRules.from_dict(area.rules), area.polygon

    def save_area(self, rules: ServiceRules, polygon) -> None:
        Repository(self.engine).set_service_area(polygon=polygon, rules=rules.to_dict())

    def events_since(self, t0: int) -> list[Event]:
        """The event log from time ``t0`` on, in order (with the written-behind quote records)."""
        return [event for _, event in self.store.event_rows(since_time=t0)]

    def caller_of_token(self, token: str) -> tuple[int, str]:
        """(user id, role) of a bearer token; raises :class:`~ride_pool.api.security.InvalidToken`.

        A valid token's claims are remembered until it expires, so that the signature is checked
        once per token rather than on every request (the token is the cache key: a token that
        differs in any byte is decoded and verified afresh)."""
        known = self._tokens.get(token)
        if known is not None and time.time() < known[2]:
            return known[0], known[1]
        from ride_pool.api import security

        claims = security.decode_access_token(token, self.settings.secret_key)
        if len(self._tokens) >= 10_000:
            self._tokens.clear()
        self._tokens[token] = (claims.user_id, claims.role, claims.expires_at)
        return claims.user_id, claims.role

    def user_known(self, user_id: int) -> bool:
        """Whether the account is known to exist without asking the database."""
        return user_id in self._known_users

    def user_exists(self, user_id: int) -> bool:
        """Whether the account exists (accounts are never deleted, so a yes is remembered)."""
        if user_id in self._known_users:
            return True
        from ride_pool.db.models import User

        with read_session(self.engine) as s:
            found = s.get(User, user_id) is not None
        if found:
            self._known_users.add(user_id)
        return found

    def near_road(self, lats, lons):
        """For many points at once: whether each lies within the snapping distance of a road (the
        check :meth:`Dispatcher.place` makes one point at a time, vectorised for stop imports)."""
        import numpy as np

        if self._unbounded_snap is None:
            self._unbounded_snap = TravelTimes(self.network, max_snap_distance_m=float("inf"))
        if len(lats) == 0:
            return np.zeros(0, dtype=bool)
        _, distances = self._unbounded_snap.snap_many(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        return distances <= self.travel_times.max_snap_distance_m

    # ------------------------------------------------------------------ times
    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.dispatcher.rules.timezone)

    def iso(self, t: int | None) -> datetime | None:
        if t is None:
            return None
        return datetime.fromtimestamp(int(t), self.tz)

    def epoch(self, value: datetime | None) -> int | None:
        """Seconds since the epoch; a time without offset is local time of the service area."""
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.tz)
        return int(value.astimezone(timezone.utc).timestamp())

    def network_geojson_bytes(self) -> tuple[bytes, bytes, str]:
        """(JSON bytes, their gzip, an ETag) of :meth:`network_geojson`, made once."""
        cached = getattr(self, "_geojson_bytes", None)
        if cached is None:
            import gzip
            import hashlib
            import json

            plain = json.dumps(self.network_geojson(), separators=(",", ":")).encode()
            cached = (plain, gzip.compress(plain, 6), '"' + hashlib.sha256(plain).hexdigest()[:32] + '"')
            self._geojson_bytes = cached
        return cached

    def network_geojson(self) -> dict:
        """The road network as a GeoJSON FeatureCollection of lines with their road class (cached;
        each two-way road once)."""
        cached = getattr(self, "_geojson", None)
        if cached is not None:
            return cached
        from routing.network import ROAD_CLASSES

        net = self.network
        tail, head = net.tail(), net.head
        features = []
        seen = set()
        for e in range(net.edge_count):
            u, v = int(tail[e]), int(head[e])
            key = (min(u, v), max(u, v))
            if key in seen:
                continue
            seen.add(key)
            g0, g1 = int(net.geometry_indptr[e]), int(net.geometry_indptr[e + 1])
            coords = [[round(float(net.node_lon[u]), 5), round(float(net.node_lat[u]), 5)]]
            coords += [[round(float(x), 5), round(float(y), 5)] for x, y in zip(net.geometry_lon[g0:g1],
                                                                              net.geometry_lat[g0:g1])]
            coords.append([round(float(net.node_lon[v]), 5), round(float(net.node_lat[v]), 5)])
            features.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": coords},
                             "properties": {"road_class": ROAD_CLASSES[int(net.road_class[e])]}})
        self._geojson = {"type": "FeatureCollection", "features": features,
                         "properties": {"name": net.name, "synthetic": bool(net.synthetic),
                                        "attribution": net.attribution}}
        return self._geojson

    def polyline(self, from_node: int, to_node: int) -> list[list[float]]:
        """[[lat, lon], ...] of the fastest path (cached)."""
        key = (int(from_node), int(to_node))
        line = self._route_cache.get(key)
        if line is None:
            if key[0] == key[1]:
                net = self.network
                line = [[round(float(net.node_lat[key[0]]), 6), round(float(net.node_lon[key[0]]), 6)]]
            else:
                route = self.travel_times.route(*key)
                line = [[round(float(a), 6), round(float(o), 6)] for a, o in zip(route.lat, route.lon)]
            if len(self._route_cache) > 20_000:
                self._route_cache.clear()
            self._route_cache[key] = line
        return line
