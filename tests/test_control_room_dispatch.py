"""The control room's changes at the dispatcher (issue 15): all or nothing. A commit that fails
leaves the plans, the slots and the store exactly as they were (moves, re-times, breakdowns with a
planned break, shift ends), and the checker accepts the plan after each change."""

from __future__ import annotations

import pytest

from ride_pool.dispatch.domain import EventKind
from routing.darp.checker import check_plan
from routing.travel_times import TravelTimes
from test_dispatcher import T0, FlakyStore, _state, grid_network, make_dispatcher, quote_and_book


def assert_plan_ok(d) -> None:
    """The independent checker accepts the live plan (breaks included) and it holds every open
    booking that has a vehicle."""
    lp = d.live_problem()
    if lp is not None:
        result = check_plan(lp.problem, lp.plan)
        assert result.feasible, result
    planned = {st.booking_id for s in d.shifts.values() if not s.ended for st in s.route}
    assert {b for b, bk in d.bookings.items() if bk.status.active} - set(d.unplanned_bookings()) <= planned


@pytest.fixture(scope="module")
def tt() -> TravelTimes:
    return TravelTimes(grid_network(8, seed=3))


def shift_of(d, booking_id):
    return next((s.shift_id for s in d.shifts.values() if not s.ended
                 and any(st.booking_id == booking_id for st in s.route)), None)


def test_failed_commits_change_nothing(tt):
    store = FlakyStore()
    d = make_dispatcher(tt, store=store, shifts=((0, 4, 1), (1, 4, 1), (2, 4, 1)))
    # shift 0 has a planned break
    d.add_shift(3, 103, "V3", 4, 1, T0, T0 + 10 * 3600, d.place_at_node(0), break_earliest=T0 + 3 * 3600,
                break_latest=T0 + 4 * 3600, break_s=1800)
    a = quote_and_book(d, 1, 40, t=T0 + 3600)
    b = quote_and_book(d, 2, 41, t=T0 + 5400)
    assert_plan_ok(d)
    here = shift_of(d, a.booking_id)
    other = next(s for s in (0, 1, 2, 3) if s != here)
    d.assign_booking(b.booking_id, 3, pin=True, operator_id=9)
    assert_plan_ok(d)
    for change in (lambda: d.assign_booking(a.booking_id, other, pin=True, operator_id=9),
                   lambda: d.retime_booking(a.booking_id, pickup_after=T0 + 2 * 3600, operator_id=9),
                   lambda: d.breakdown(3, operator_id=9),
                   lambda: d.resize_shift(here, end=T0 + 12 * 3600, operator_id=9)):
        before = _state(d)
        store.fail = True
        with pytest.raises(RuntimeError):
            change()
        assert _state(d) == before
        assert_plan_ok(d)
        change()        # and now it works
        assert_plan_ok(d)
    kinds = [e.kind for e in d.store.events]
    assert kinds.count(EventKind.BOOKING_CHANGED) >= 4 and EventKind.SHIFT_BROKE_DOWN in kinds
    assert EventKind.SHIFT_CHANGED in kinds
    moved = [e for e in d.store.events if e.kind is EventKind.BOOKING_CHANGED and e.data["change"] == "breakdown_moved"]
    assert [e.booking_id for e in moved] == [b.booking_id] and moved[0].data["operator_id"] == 9
