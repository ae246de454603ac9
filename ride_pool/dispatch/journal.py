"""Where every change of the dispatcher goes: committed to the store, then published as events.

One object shared by the dispatcher's parts, so that they all commit and publish the same way and
read time from the same injected clock (wall time in the service, simulated time in the simulator).
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator

from ride_pool.dispatch.domain import Event
from ride_pool.dispatch.store import Change, Store

log = logging.getLogger(__name__)


class Journal:
    """The store, the clock and the event listeners of one dispatcher."""

    def __init__(self, store: Store, clock: Callable[[], int]):
        self.store = store
        self.clock = clock
        self._listeners: list[Callable[[Event], None]] = []
        #: while a driver report with an idempotency key runs: makes the key's record from the
        #: report's change, committed with it (see :meth:`recording`)
        self._recorder: Callable[[Change], object] | None = None
        #: called with every change before it is committed; what they return (outbox messages)
        #: is committed with it, in the same transaction (see :meth:`add_deriver`)
        self._derivers: list[Callable[[Change], list]] = []

    def now(self) -> int:
        """The current time in whole epoch seconds."""
        return int(self.clock())

    def commit(self, change: Change, *, durable: bool = True) -> None:
        """Persist ``change``; ``durable=False`` for records whose loss in a crash costs a rider
        only a new quote (quotes, offers, declines, refusals): a store with ``commit_soon`` then
        writes them behind, outside the answer's critical path. Bookings and plan changes are
        always durable before they become visible."""
        if not change:
            return
        for derive in self._derivers:
            change.outbox.extend(derive(change))
        if self._recorder is not None and durable:
            recorder, self._recorder = self._recorder, None
            record = recorder(change)
            if record is not None:
                change.reports.append(record)
        if not durable:
            commit_soon = getattr(self.store, "commit_soon", None)
            if commit_soon is not None:
                commit_soon(change)
                return
        self.store.commit(change)

    @contextmanager
    def recording(self, recorder: Callable[[Change], object]) -> Iterator[None]:
        """The next durable commit inside this block also commits ``recorder(change)`` (a
        :class:`~ride_pool.dispatch.domain.ReportRecord` made from what the change holds, e.g. the
        shift after the report), in the same transaction; nothing when no commit happens."""
        self._recorder = recorder
        try:
            yield
        finally:
            self._recorder = None

    def add_deriver(self, derive: Callable[[Change], list]) -> None:
        """``derive(change)`` gives rows that must commit with ``change`` (the notification outbox,
        :class:`~ride_pool.dispatch.notices.Notices`); they are appended to ``change.outbox``."""
        self._derivers.append(derive)

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback(event)`` after every committed event; returns an unsubscribe function."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    def publish(self, events: Iterable[Event]) -> None:
        """Hand committed events to every listener (a failing listener is logged, never raised)."""
        for event in events:
            for callback in list(self._listeners):
                try:
                    callback(event)
                except Exception:  # a listener must never break dispatching
                    log.exception("event listener failed")
