"""The write-behind policy (ride_pool.db.write_behind), with a recording writer instead of a database."""

from __future__ import annotations

import pytest

from ride_pool.db.write_behind import WriteBehind
from ride_pool.dispatch.domain import EventKind
from ride_pool.dispatch.store import Change
from test_db_store import event, make_booking


class Refused(Exception):
    pass


class RecordingWriter:
    """Records each write (one transaction) as the event offsets of its change; refuses changes
    with an event at offset ``refuse``."""

    def __init__(self, refuse: int | None = None):
        self.writes: list[list[int]] = []
        self.refuse = refuse

    def __call__(self, change: Change) -> None:
        offsets = [e.time - event(EventKind.OFFER_MADE).time for e in change.events]
        if self.refuse in offsets:
            raise Refused
        self.writes.append(offsets)


def quote(offset: int) -> Change:
    return Change(events=[event(EventKind.OFFER_MADE, offset)])


def test_a_commit_writes_the_pending_changes_and_itself_in_one_transaction():
    writer = RecordingWriter()
    behind = WriteBehind(writer)
    behind.commit_soon(quote(0))
    behind.commit_soon(quote(1))
    behind.commit(quote(2))
    behind.flush()              # nothing left
    assert writer.writes == [[0, 1, 2]]
    behind.close()


def test_a_failing_commit_keeps_the_pending_changes_and_raises():
    writer = RecordingWriter(refuse=2)
    behind = WriteBehind(writer)
    behind.commit_soon(quote(0))
    behind.commit_soon(quote(1))
    with pytest.raises(Refused):
        behind.commit(quote(2))
    assert writer.writes == [[0], [1]]      # one by one after the merged write failed
    behind.close()


def test_a_failing_pending_change_is_dropped_alone():
    writer = RecordingWriter(refuse=1)
    behind = WriteBehind(writer)
    for offset in range(3):
        behind.commit_soon(quote(offset))
    behind.flush()
    assert writer.writes == [[0], [2]]
    behind.close()


def test_holds_bookings_until_they_are_written_or_dropped():
    writer = RecordingWriter(refuse=5)
    behind = WriteBehind(writer)
    assert not behind.holds_bookings
    behind.commit_soon(Change(bookings=[make_booking("b1")]))
    behind.commit_soon(quote(0))
    assert behind.holds_bookings
    behind.flush()
    assert not behind.holds_bookings
    behind.commit_soon(Change(bookings=[make_booking("b2")], events=[event(EventKind.OFFER_MADE, 5)]))
    behind.flush()                          # refused and dropped: nothing left to wait for
    assert not behind.holds_bookings
    behind.close()
