"""The running service, built once at start-up: database (migrated), road network, dispatcher
restored from the database, live-update broker, map renderings, caller caches and time conversion."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Callable

from sqlalchemy.engine import Engine

from ride_pool.api.callers import Callers
from ride_pool.api.limits import RateLimiter
from ride_pool.api.live import LiveBroker
from ride_pool.api.mail import Mailer
from ride_pool.api.maps import NetworkMaps
from ride_pool.api.times import LocalTimes
from ride_pool.api.tokens import Tokens
from ride_pool.db.accounts import deployment_identity
from ride_pool.db.engine import make_engine
from ride_pool.db.migrate import migrate
from ride_pool.db.privacy import RetentionJob
from ride_pool.db.repository import DEFAULT_AREA
from ride_pool.db.store import SqlStore
from ride_pool.dispatch.dispatcher import Dispatcher
from ride_pool.dispatch.domain import Place
from ride_pool.dispatch.rules import ServiceRules
from ride_pool.settings import Settings
from routing.network import RoadNetwork
from routing.travel_times import TravelTimes

log = logging.getLogger(__name__)
#: threads that run quotes and bookings (see :meth:`Service.in_dispatch_thread`): one - their
#: dispatcher work is serial anyway, and a second thread only competed for the lock and the GIL
#: (measured: about 10-20 % fewer bookings/s with two than with one)
DISPATCH_THREADS = 1
#: threads that hash and check passwords (see :meth:`Service.in_password_thread`): argon2 keeps
#: one core busy per hash; half the cores, so that a crowd of logins leaves the other half to the
#: event loop and every other request (on 2 cores: one login thread, about 50 logins/s)
PASSWORD_THREADS = max(1, (os.cpu_count() or 1) // 2)


def wall_clock() -> int:
    return int(time.time())


@dataclass
class Service:
    """Everything a request handler needs, made by :meth:`start` and closed by :meth:`stop`."""

    settings: Settings
    network: RoadNetwork
    clock: Callable[[], int] = wall_clock
    background: bool = True
    engine: Engine | None = None
    store: SqlStore | None = None
    dispatcher: Dispatcher | None = None
    travel_times: TravelTimes | None = None
    live: LiveBroker = field(default_factory=LiveBroker)
    maps: NetworkMaps | None = None
    callers: Callers | None = None
    #: issues this deployment's bearer tokens and stream tickets (:meth:`Tokens.issue`)
    tokens: Tokens | None = None
    times: LocalTimes | None = None
    #: (stop id, lat, lon, name) -> (the service area it was checked against, its Place)
    stop_places: dict[tuple, tuple[object, Place]] = field(default_factory=dict)
    #: the request limits per client address, account and login (see ride_pool.api.throttle)
    limiter: RateLimiter = field(default_factory=RateLimiter)
    #: outgoing mail (confirmation codes, account notices)
    mailer: Mailer | None = None
    #: the data-protection retention job (:mod:`ride_pool.db.privacy`); runs in the background
    #: with the service, or when :meth:`run_retention` is called
    retention: RetentionJob | None = None
    #: the network's places (routing.gazetteer.Gazetteer); None: the demo's for the demo network
    places: object | None = None
    #: place search and reverse look-up over the places and the stops (ride_pool.api.places)
    place_book: object | None = None
    #: delivers the rider notifications of the outbox (ride_pool.api.outbox_sender; issue 17)
    sender: object | None = None
    #: books the occurrences of ride series as they enter the horizon (ride_pool.api.series_jobs)
    series: object | None = None
    _dispatch_pool: ThreadPoolExecutor | None = None
    _password_pool: ThreadPoolExecutor | None = None

    def start(self) -> "Service":
        """Open the database (migrating it), warm the kernels and rebuild the dispatcher's state."""
        from ride_pool.dispatch.warm_up import warm_up_quietly
        from routing.darp.insertion import warm_up as warm_insertion

        self.engine = make_engine(self.settings.database_url)
        migrate(self.engine)
        self.store = SqlStore(self.engine)
        self.travel_times = TravelTimes(self.network)
        TravelTimes.warm_up()
        warm_insertion()
        from routing.darp.lns import warm_up as warm_optimiser
        warm_optimiser()
        state = self.store.load(self.clock())
        rules, polygon = (ServiceRules(), None) if state.area is None else \
            (ServiceRules.from_dict(state.area.rules), state.area.polygon)
        self.dispatcher = Dispatcher(self.travel_times, rules=rules, store=self.store, clock=self.clock,
                                     service_area=polygon, name=DEFAULT_AREA)
        self.dispatcher.restore(state)
        from ride_pool.db.timetable import load_timetable
        self.dispatcher.set_timetable(load_timetable(self.engine, rules.timezone))
        warm_up_quietly(self.travel_times, self.clock(), rules.timezone)
        self.dispatcher.subscribe(self.live.publish)
        self.maps = NetworkMaps(self.network, self.travel_times)
        from ride_pool.api.place_book import PlaceBook
        self.place_book = PlaceBook(self.network, self.places, self.engine)
        identity = deployment_identity(self.engine, now=self.clock())
        self.tokens = Tokens(identity.issuer, self.settings.secret_key or identity.secret_key,
                             minutes=self.settings.token_minutes, ticket_seconds=self.settings.stream_ticket_seconds)
        self.callers = Callers(self.tokens, self.engine)
        self.times = LocalTimes(lambda: self.dispatcher.rules)
        self.mailer = Mailer(self.settings)
        settings = self.settings
        self.retention = RetentionJob(self.engine, self.clock, personal_data_days=settings.personal_data_retention_days,
                                      quote_days=settings.quote_retention_days,
                                      interval_s=settings.retention_interval_s,
                                      forget=self.dispatcher.forget_personal_data)
        self._start_notifications()
        if self.background:
            self.dispatcher.start_background()
            self.retention.start()
            if settings.notify_sender:
                self.sender.start()
        log.info("service ready: %d shifts, %d active bookings restored", len(state.shifts), len(state.bookings))
        return self

    def _start_notifications(self) -> None:
        """Issue 17: the outbox (messages derived from every commit), the vehicles' features for
        mobility needs, and the sender with its periodic jobs (pickup check, ride series)."""
        from ride_pool.api.outbox_sender import OutboxSender
        from ride_pool.db.vehicle_features import vehicle_features

        self.dispatcher.enable_notices()
        self.dispatcher.plans.vehicle_features.update(vehicle_features(self.engine))
        # self.series (ride_pool.api.series_jobs.SeriesBooker) is set by create_app
        self.sender = OutboxSender(self.engine, self.settings, self.clock,
                                   timezone=lambda: self.dispatcher.rules.timezone,
                                   ticks=[self.dispatcher.check_pickups,
                                          lambda: self.series.run_due() if self.series is not None else 0])
        # a commit that wrote a notification wakes the sender (else it looks every notify_poll_s)
        from ride_pool.dispatch.notices import Notices
        self.dispatcher.subscribe(lambda event: self.sender.wake() if Notices.kind_of(event) else None)

    def stop(self) -> None:
        if self.sender is not None:
            self.sender.stop()
        if self._dispatch_pool is not None:
            self._dispatch_pool.shutdown(wait=False, cancel_futures=True)
            self._dispatch_pool = None
        if self._password_pool is not None:
            self._password_pool.shutdown(wait=False, cancel_futures=True)
            self._password_pool = None
        if self.mailer is not None:
            self.mailer.close()
        if self.retention is not None:
            self.retention.stop()
        if self.dispatcher is not None:
            self.dispatcher.stop_background()
        if self.store is not None:
            self.store.close()
        if self.engine is not None:
            self.engine.dispose()

    def run_retention(self):
        """Run the retention job now (see :class:`~ride_pool.db.privacy.RetentionJob`)."""
        return self.retention.run_once()

    async def in_dispatch_thread(self, fn, *args):
        """``fn(*args)`` on the service's dispatch thread(s) (:data:`DISPATCH_THREADS`).

        The rider endpoints that go through the dispatcher's lock (quote, book) run here instead of
        in the server's general thread pool (40 threads): their dispatcher work is serial anyway,
        and one thread taking requests in arrival order keeps the lock free of a crowd of waiting
        threads (no convoy, no unfair hand-overs, fewer GIL switches), which is what made the
        latencies spread. Other endpoints stay in the general pool and share the lock as before."""
        if self._dispatch_pool is None:
            self._dispatch_pool = ThreadPoolExecutor(DISPATCH_THREADS, thread_name_prefix="dispatch")
        # with the caller's context: the request's language (ride_pool.messages.current_language)
        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(self._dispatch_pool,
                                                                partial(context.run, fn, *args))

    async def in_password_thread(self, fn, *args):
        """``fn(*args)`` on the service's password threads (one per core).

        Password hashing (argon2id, about 20 ms of one core) runs there, so that a crowd of logins
        neither blocks the event loop nor fills the server's general thread pool: they queue for
        these threads while every other request is answered as usual."""
        if self._password_pool is None:
            self._password_pool = ThreadPoolExecutor(PASSWORD_THREADS, thread_name_prefix="password")
        return await asyncio.get_running_loop().run_in_executor(self._password_pool, partial(fn, *args))
