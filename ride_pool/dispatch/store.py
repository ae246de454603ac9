"""Where the dispatcher's state changes go: one :class:`Change` per operation, committed atomically.

The dispatcher keeps its live state in memory and hands every change (bookings, offers, vehicle
plans, events) to a store in one call. :class:`InMemoryStore` keeps them in lists (the simulator,
tests); ``ride_pool.db.SqlStore`` writes them in one database transaction and can give the state
back after a restart (:meth:`Store.load`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Protocol

from ride_pool.dispatch.domain import Booking, Event, Offer, VehicleShift


@dataclass
class Change:
    """Everything one dispatcher operation changed."""

    bookings: list[Booking] = field(default_factory=list)
    offers: list[Offer] = field(default_factory=list)
    shifts: list[VehicleShift] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    #: riders whose no-show count went up by one
    no_show_riders: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.bookings or self.offers or self.shifts or self.events or self.no_show_riders)


@dataclass
class StoredState:
    """What a store gives back for the dispatcher to rebuild itself."""

    shifts: list[VehicleShift]
    bookings: list[Booking]          # the active ones (confirmed, on board)
    offers: list[Offer]              # unexpired, unbooked offers
    no_shows: dict[int, int]         # rider id -> no-shows so far


class Store(Protocol):
    def commit(self, change: Change) -> None:
        """Persist ``change`` completely or not at all (raise on failure)."""

    def load(self, now: int) -> StoredState:
        """The state to rebuild from after a restart."""


class InMemoryStore:
    """Keeps every change in memory: the event log, and the latest copy of each object."""

    def __init__(self, keep_events: bool = True):
        self.keep_events = keep_events
        self.events: list[Event] = []
        self.bookings: dict[str, Booking] = {}
        self.offers: dict[str, Offer] = {}
        self.shifts: dict[int, VehicleShift] = {}
        self.no_shows: dict[int, int] = {}
        self.commits = 0

    def commit(self, change: Change) -> None:
        self.commits += 1
        for b in change.bookings:
            self.bookings[b.booking_id] = copy.copy(b)
        for o in change.offers:
            self.offers[o.offer_id] = copy.copy(o)
        for s in change.shifts:
            self.shifts[s.shift_id] = copy.deepcopy(s)
        for rider in change.no_show_riders:
            self.no_shows[rider] = self.no_shows.get(rider, 0) + 1
        if self.keep_events:
            self.events.extend(change.events)

    def load(self, now: int) -> StoredState:
        return StoredState(
            shifts=[copy.deepcopy(s) for s in self.shifts.values()],
            bookings=[copy.copy(b) for b in self.bookings.values() if b.status.active],
            offers=[copy.copy(o) for o in self.offers.values() if o.expires_at > now and o.booking_id is None],
            no_shows=dict(self.no_shows),
        )
