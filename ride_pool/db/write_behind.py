"""When changes are written: durable ones at once, written-behind ones a little later.

Changes the dispatcher marks as not needing durability before the answer (quotes, their offers
and events, declined offers, refused bookings: :meth:`WriteBehind.commit_soon`) wait in a pending
list: they are written with the next durable :meth:`WriteBehind.commit`, in the same transaction
and before it, or by a background flush at most :data:`FLUSH_INTERVAL_S` later. A crash can lose
those records of the last fraction of a second (a rider then quotes again); it never loses a
booking or a plan change, which commit before they are answered.

The policy knows nothing of databases: it is given the function that writes one change in one
transaction (:meth:`ride_pool.db.writer.ChangeWriter.write`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from ride_pool.dispatch.store import Change, merge_changes

log = logging.getLogger(__name__)

#: the longest a written-behind change waits for its transaction when no durable commit comes
FLUSH_INTERVAL_S = 0.5


class WriteBehind:
    """Orders the writes of durable and written-behind changes through ``write`` (thread-safe)."""

    def __init__(self, write: Callable[[Change], None], *, thread_name: str = "sql-store-flush"):
        self._write = write
        self._thread_name = thread_name
        #: written-behind changes, oldest first
        self._pending: list[Change] = []
        self._pending_lock = threading.Lock()
        #: how many pending or being-written changes hold bookings (see :attr:`holds_bookings`)
        self._unwritten_with_bookings = 0
        #: one writer at a time, so that the log's event ids follow the dispatcher's order
        self._write_lock = threading.RLock()
        self._flusher: threading.Thread | None = None
        self._closing = threading.Event()

    def commit(self, change: Change) -> None:
        """Write ``change`` completely or not at all, together with the written-behind changes
        (raising ``write``'s error if ``change`` fails: nothing of it is written then)."""
        if not change:
            return
        with self._write_lock:
            self._write_pending(then=change)

    def commit_soon(self, change: Change) -> None:
        """Write ``change`` behind: with the next :meth:`commit` or within :data:`FLUSH_INTERVAL_S`."""
        if not change:
            return
        with self._pending_lock:
            self._pending.append(change)
            if change.bookings:
                self._unwritten_with_bookings += 1
            if self._flusher is None and not self._closing.is_set():
                self._flusher = threading.Thread(target=self._flush_loop, name=self._thread_name, daemon=True)
                self._flusher.start()

    def flush(self) -> None:
        """Write the written-behind changes now."""
        with self._write_lock:
            self._write_pending()

    @property
    def holds_bookings(self) -> bool:
        """Whether a booking handed to :meth:`commit_soon` may not be in the database yet (the
        dispatcher commits bookings durably, so normally never): a read that must see it
        :meth:`flush`\\ es first."""
        return self._unwritten_with_bookings > 0

    def close(self) -> None:
        """Stop the background flush and write what is pending."""
        self._closing.set()
        if self._flusher is not None:
            self._flusher.join(5)
        self.flush()

    def _write_pending(self, then: Change | None = None) -> None:
        """Write the pending changes and ``then`` in one transaction (under the write lock). If
        that fails, the failure may be ``then``'s own (a duplicate idempotency key): the pending
        ones must not go down with it, so each is written on its own, then ``then`` (raising)."""
        with self._pending_lock:
            pending, self._pending = self._pending, []
        try:
            if pending:
                try:
                    self._write(merge_changes(pending if then is None else [*pending, then]))
                    return
                except Exception:
                    self._write_each(pending)
            if then is not None:
                self._write(then)
        finally:
            if pending:
                with self._pending_lock:
                    self._unwritten_with_bookings -= sum(1 for change in pending if change.bookings)

    def _write_each(self, changes: list[Change]) -> None:
        for change in changes:
            try:
                self._write(change)
            except Exception:
                log.exception("a quote's records could not be written; they are dropped (the rider may quote again)")

    def _flush_loop(self) -> None:
        while not self._closing.wait(FLUSH_INTERVAL_S):
            try:
                self.flush()
            except Exception:   # the loop must outlive a passing database outage
                log.exception("written-behind flush failed")
