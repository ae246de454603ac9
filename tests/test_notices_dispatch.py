"""Issue 17: outbox messages derived from the dispatcher's events at commit time, in the same
change - here with the in-memory store, which keeps a change's outbox with it."""

from __future__ import annotations

from ride_pool.dispatch.domain import EventKind, NoticeKind
from test_dispatcher import T0, _busy_dispatcher, grid_tt, make_dispatcher, quote_and_book  # noqa: F401


def test_the_optimiser_moving_bookings_tells_each_rider(grid_tt):  # noqa: F811
    d, clock = _busy_dispatcher(grid_tt)
    d.enable_notices()
    assert d.reoptimise(1.0, seed=1, use_ortools=False)
    event = [e for e in d.store.events if e.kind is EventKind.PLAN_REOPTIMISED][-1]
    moved = event.data["bookings_moved"]
    assert moved, "the optimiser moved nobody"
    changed = [e for e in d.store.events if e.kind is EventKind.BOOKING_CHANGED]
    assert sorted(e.booking_id for e in changed) == sorted(moved)
    assert all(e.cause == "optimiser" and e.data["old_vehicle_id"] != e.data["new_vehicle_id"] for e in changed)
    messages = [m for m in d.store.outbox.values() if m.kind is NoticeKind.BOOKING_CHANGED]
    assert sorted(m.booking_id for m in messages) == sorted(moved)
    assert all(m.data["new"]["vehicle_id"] == d.bookings[m.booking_id].vehicle_id for m in messages)


def test_messages_commit_with_their_change_and_only_for_what_riders_hear(grid_tt):  # noqa: F811
    d = make_dispatcher(grid_tt, shifts=((0, 4, 0),))
    d.enable_notices()
    commits = d.store.commits
    booking = quote_and_book(d, 1, 40, t=T0 + 3600)
    # the booking's commit held its message (no extra commit for the outbox)
    confirmed = [m for m in d.store.outbox.values() if m.kind is NoticeKind.BOOKING_CONFIRMED]
    assert [m.booking_id for m in confirmed] == [booking.booking_id]
    assert d.store.commits - commits == 2      # the quote (offer) and the booking
    other = quote_and_book(d, 2, 50, t=T0 + 7200)
    d.cancel(other.booking_id, cause="rider")
    d.cancel(booking.booking_id, cause="operator")
    kinds = sorted((m.booking_id == booking.booking_id, m.kind.value) for m in d.store.outbox.values())
    assert kinds == [(False, "booking_confirmed"), (True, "booking_cancelled"), (True, "booking_confirmed")]
