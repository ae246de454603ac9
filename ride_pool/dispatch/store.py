"""Where the dispatcher's state changes go: one :class:`Change` per operation, committed atomically.

The dispatcher keeps its live state in memory and hands every change (bookings, offers, vehicle
plans, events, the service area's settings) to a store in one call. :class:`InMemoryStore` keeps
them in memory (the simulator, tests); ``ride_pool.db.SqlStore`` writes them in one database
transaction and can give the state back after a restart (:meth:`Store.load`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Protocol

from ride_pool.dispatch.domain import (
    Booking,
    Event,
    Offer,
    OutboxMessage,
    ReportRecord,
    VehicleShift,
    idempotency_scope,
)


class DuplicateKey(Exception):
    """A booking reuses the idempotency key of another booking in its idempotency scope
    (:func:`~ride_pool.dispatch.domain.idempotency_scope`); the change was not written."""


@dataclass(frozen=True)
class AreaSettings:
    """The service area's settings as stored: ``rules`` in :meth:`ServiceRules.to_dict` form,
    ``polygon`` a list of ``[lon, lat]`` points, or a GeoJSON Polygon dict when it has holes (None:
    the whole road network)."""

    rules: dict
    polygon: list | dict | None = None


@dataclass
class Change:
    """Everything one dispatcher operation changed."""

    bookings: list[Booking] = field(default_factory=list)
    offers: list[Offer] = field(default_factory=list)
    shifts: list[VehicleShift] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    #: riders whose no-show count went up by one
    no_show_riders: list[int] = field(default_factory=list)
    #: the service area's new settings (None: unchanged)
    area: AreaSettings | None = None
    #: driver reports applied with an idempotency key (their key and first answer)
    reports: list[ReportRecord] = field(default_factory=list)
    #: rider notifications made from this change's events (:mod:`~ride_pool.dispatch.notices`),
    #: written in the same transaction (the outbox)
    outbox: list[OutboxMessage] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.bookings or self.offers or self.shifts or self.events or self.no_show_riders
                    or self.area is not None or self.reports or self.outbox)


def merge_changes(changes: list[Change]) -> Change:
    """One change with everything of ``changes``, in order (later versions of a row win, and the
    latest area)."""
    merged = Change()
    for change in changes:
        merged.bookings.extend(change.bookings)
        merged.offers.extend(change.offers)
        merged.shifts.extend(change.shifts)
        merged.events.extend(change.events)
        merged.no_show_riders.extend(change.no_show_riders)
        merged.reports.extend(change.reports)
        merged.outbox.extend(change.outbox)
        if change.area is not None:
            merged.area = change.area
    return merged


@dataclass
class StoredState:
    """What a store gives back for the dispatcher to rebuild itself."""

    shifts: list[VehicleShift]
    bookings: list[Booking]          # the active ones (confirmed, on board)
    offers: list[Offer]              # unexpired, unbooked offers
    no_shows: dict[int, int]         # rider id -> no-shows so far
    area: AreaSettings | None = None  # None: never set


class Store(Protocol):
    def commit(self, change: Change) -> None:
        """Persist ``change`` completely or not at all (raise on failure; :class:`DuplicateKey`
        when a booking reuses an idempotency key of its scope)."""

    def load(self, now: int) -> StoredState:
        """The state to rebuild from after a restart."""

    def find_booking(self, scope: str, key: str) -> Booking | None:
        """The booking committed earlier with idempotency ``key`` in idempotency ``scope``
        (any status), or None."""

    def find_report(self, driver_id: int, key: str) -> ReportRecord | None:
        """The driver report committed earlier with idempotency ``key`` by ``driver_id``, or None."""


def _idempotency_of(booking: Booking) -> tuple[str, str] | None:
    if booking.idempotency_key is None:
        return None
    return idempotency_scope(booking.rider_id, booking.channel), booking.idempotency_key


class InMemoryStore:
    """Keeps every change in memory: the event log, and the latest copy of each object."""

    def __init__(self, keep_events: bool = True):
        self.keep_events = keep_events
        self.events: list[Event] = []
        self.bookings: dict[str, Booking] = {}
        self.offers: dict[str, Offer] = {}
        self.shifts: dict[int, VehicleShift] = {}
        self.no_shows: dict[int, int] = {}
        #: the latest area settings committed (None: never set)
        self.area: AreaSettings | None = None
        #: (idempotency scope, key) -> id of the booking that has it, as a unique index would
        self._idempotency: dict[tuple[str, str], str] = {}
        #: (driver id, key) -> the driver report applied with it
        self.reports: dict[tuple[int, str], ReportRecord] = {}
        self.commits = 0
        #: message id -> the outbox message (the first one written with that id is kept)
        self.outbox: dict[str, OutboxMessage] = {}

    def commit(self, change: Change) -> None:
        # checked before anything is written: a refused change writes nothing
        claimed = self._check_idempotency_keys(change.bookings)
        for record in change.reports:
            if (record.driver_id, record.key) in self.reports:
                raise DuplicateKey(f"driver {record.driver_id} used idempotency key {record.key!r} already")
        self.commits += 1
        for record in change.reports:
            self.reports[record.driver_id, record.key] = record
        for b in change.bookings:
            self.bookings[b.booking_id] = copy.copy(b)
        self._idempotency.update(claimed)
        for o in change.offers:
            self.offers[o.offer_id] = copy.copy(o)
        for s in change.shifts:
            self.shifts[s.shift_id] = copy.deepcopy(s)
        for rider in change.no_show_riders:
            self.no_shows[rider] = self.no_shows.get(rider, 0) + 1
        if change.area is not None:
            self.area = copy.deepcopy(change.area)
        if self.keep_events:
            self.events.extend(change.events)
        for message in change.outbox:
            self.outbox.setdefault(message.message_id, message)

    def _check_idempotency_keys(self, bookings: list[Booking]) -> dict[tuple[str, str], str]:
        """The keys ``bookings`` claim; raises :class:`DuplicateKey` if another booking has one."""
        claimed: dict[tuple[str, str], str] = {}
        for b in bookings:
            key = _idempotency_of(b)
            if key is None:
                continue
            owner = claimed.get(key) or self._idempotency.get(key)
            # the index may name a booking that has since changed its key
            if owner is not None and owner != b.booking_id and \
                    (key in claimed or _idempotency_of(self.bookings[owner]) == key):
                raise DuplicateKey(f"booking {b.booking_id} reuses idempotency key {key[1]!r} of booking "
                                   f"{owner} in scope {key[0]!r}: send a new key for a new booking")
            claimed[key] = b.booking_id
        return claimed

    def find_booking(self, scope: str, key: str) -> Booking | None:
        owner = self._idempotency.get((scope, key))
        booking = None if owner is None else self.bookings.get(owner)
        if booking is None or _idempotency_of(booking) != (scope, key):
            return None
        return copy.copy(booking)

    def find_report(self, driver_id: int, key: str) -> ReportRecord | None:
        return self.reports.get((driver_id, key))

    def load(self, now: int) -> StoredState:
        return StoredState(
            shifts=[copy.deepcopy(s) for s in self.shifts.values()],
            bookings=[copy.copy(b) for b in self.bookings.values() if b.status.active],
            offers=[copy.copy(o) for o in self.offers.values() if o.expires_at > now and o.booking_id is None],
            no_shows=dict(self.no_shows),
            area=copy.deepcopy(self.area),
        )
