"""The operator's changes and the shared shapes the dispatcher gives out: every change is a
dispatcher method that commits and publishes an event with a named cause, or changes nothing."""

from __future__ import annotations

import pytest

from ride_pool.dispatch.dispatcher import Dispatcher
from ride_pool.dispatch.domain import BookingStatus, EventKind, StepKind
from ride_pool.dispatch.errors import DispatchError, DispatchInputError, IdempotencyKeyReused, NotFound
from ride_pool.dispatch.rules import RulesError, ServiceRules
from ride_pool.dispatch.store import AreaSettings, InMemoryStore
from routing.travel_times import TravelTimes
from test_dispatcher import T0, Clock, FlakyStore, grid_network, make_dispatcher, quote_and_book, request


@pytest.fixture(scope="module")
def tt() -> TravelTimes:
    return TravelTimes(grid_network(8, seed=3))


def test_assigning_a_driver_commits_an_event_and_only_before_the_start(tt):
    d = make_dispatcher(tt, shifts=((0, 4, 1), (1, 4, 1)))
    heard = []
    d.subscribe(heard.append)
    d.assign_driver(0, 42)
    assert d.shifts[0].driver_id == 42 and d.store.shifts[0].driver_id == 42
    event = d.store.events[-1]
    assert (event.kind, event.cause, event.shift_id, event.data) == (
        EventKind.SHIFT_DRIVER_ASSIGNED, "operator", 0, {"driver_id": 42, "previous_driver_id": None})
    assert heard == [event]
    # the same driver again changes nothing; nobody is a change too
    n = len(d.store.events)
    d.assign_driver(0, 42)
    assert len(d.store.events) == n
    d.assign_driver(0, None)
    assert d.store.shifts[0].driver_id is None and d.store.events[-1].data["previous_driver_id"] == 42
    d.start_shift(1, driver_id=7)
    with pytest.raises(DispatchError) as exc:
        d.assign_driver(1, 42)
    assert exc.value.code == "shift_started" and d.shifts[1].driver_id == 7
    with pytest.raises(NotFound):
        d.assign_driver(99, 42)


def test_a_failed_commit_assigns_no_driver(tt):
    store = FlakyStore()
    d = make_dispatcher(tt, store=store)
    store.fail = True
    with pytest.raises(RuntimeError):
        d.assign_driver(0, 42)
    assert d.shifts[0].driver_id is None and d.store.shifts[0].driver_id is None


def test_rules_and_area_change_in_one_commit_with_an_event(tt):
    store = FlakyStore()
    d = make_dispatcher(tt, store=store)
    net = tt.network
    lon0, lon1 = float(net.node_lon.min()), float(net.node_lon.max())
    lat0, lat1 = float(net.node_lat.min()), float(net.node_lat.max())
    west = [[lon0 - 0.01, lat0 - 0.01], [(lon0 + lon1) / 2, lat0 - 0.01], [(lon0 + lon1) / 2, lat1 + 0.01],
            [lon0 - 0.01, lat1 + 0.01]]
    area_before = d.service_area
    store.fail = True
    with pytest.raises(RuntimeError):
        d.set_area(rules=d.rules.with_changes({"window_s": 900}), polygon=west)
    assert d.rules.window_s == 1200 and d.service_area is area_before is None and store.area is None
    d.set_area(rules=d.rules.with_changes({"window_s": 900}), polygon=west)
    assert d.rules.window_s == 900 and d.service_area_polygon() == west
    assert store.area == AreaSettings(rules=d.rules.to_dict(), polygon=west)
    event = store.events[-1]
    assert (event.kind, event.cause) == (EventKind.SERVICE_AREA_CHANGED, "operator")
    assert event.data["rules"]["window_s"] == 900 and event.data["polygon"] == west
    # only the rules: the area stays; a new area object whenever it changes (callers cache per area)
    area = d.service_area
    d.set_area(rules=d.rules.with_changes({"max_passengers": 6}))
    assert d.service_area is area and d.rules.max_passengers == 6 and d.rules.window_s == 900
    d.set_area(polygon=None)
    assert d.service_area is None and store.area.polygon is None
    with pytest.raises(DispatchInputError):
        d.set_area(polygon=[[0, 0], [1, 1]])
    with pytest.raises(RulesError):
        d.rules.with_changes({"window_s": "20 min"})


def test_route_steps_group_riders_at_one_stop(tt):
    d = make_dispatcher(tt, shifts=((0, 8, 1),))
    t = T0 + 3600
    # two parties boarding at node 9 in the same window, one elsewhere
    a = quote_and_book(d, 9, 40, t=t, passengers=2)
    b = quote_and_book(d, 9, 40, t=t, passengers=1)
    quote_and_book(d, 20, 41, t=t + 1800)
    steps = d.route_steps(0)
    planned = d.planned_schedule(0)
    # the groups cover the planned stops in order, each of one kind at one node
    assert [p for s in steps for p in s.stops] == planned
    assert all({p.node for p in s.stops} == {s.node} and {p.kind for p in s.stops} == {s.kind} for s in steps)
    assert all((x.node, x.kind) != (y.node, y.kind) for x, y in zip(steps, steps[1:]))
    first = next(s for s in steps if a.booking_id in s.booking_ids and s.kind is StepKind.PICKUP)
    assert set(first.booking_ids) == {a.booking_id, b.booking_id} and first.passengers == 3
    assert first.begin == first.stops[0].begin and first.departure == first.stops[-1].departure
    assert first.window_earliest == max(p.window_earliest for p in first.stops)
    assert first.seats_after == first.stops[-1].seats_after
    assert d.route_steps(0, limit=1) == steps[:1]


def test_a_retried_key_finds_its_booking_after_a_restart(tt):
    store = InMemoryStore()
    clock = Clock(T0)
    d = make_dispatcher(tt, store=store, clock=clock)
    q = d.quote(request(d, 3, 40, t=T0 + 3600, rider=5, channel="app"))
    done = d.book(q.offers[0].offer_id, idempotency_key="tap-1", rider_id=5)
    d.cancel(done.booking_id)
    # a new dispatcher knows only the active bookings; the key is found in the store
    ids = iter(range(1000))
    d2 = Dispatcher(tt, store=store, clock=clock, new_id=lambda: f"after-restart-{next(ids)}")
    d2.restore(store.load(clock()))
    assert not d2.idempotency_keys()
    again = d2.book(q.offers[0].offer_id, idempotency_key="tap-1", rider_id=5)
    assert again.booking_id == done.booking_id and again.status is BookingStatus.CANCELLED
    # the key with another offer is another request: refused (the stored request hash differs)
    q2 = d2.quote(request(d2, 4, 41, t=T0 + 3600, rider=5, channel="app"))
    with pytest.raises(IdempotencyKeyReused):
        d2.book(q2.offers[0].offer_id, idempotency_key="tap-1", rider_id=5)
    # the open offer was not booked; another rider's same key is their own
    assert d2.offers[q2.offers[0].offer_id].booking_id is None
    q3 = d2.quote(request(d2, 4, 41, t=T0 + 3600, rider=6, channel="app"))
    other = d2.book(q3.offers[0].offer_id, idempotency_key="tap-1", rider_id=6)
    assert other.booking_id != done.booking_id and other.rider_id == 6
    # someone else's offer is as good as unknown
    q4 = d2.quote(request(d2, 5, 42, t=T0 + 3600, rider=6, channel="app"))
    with pytest.raises(DispatchError) as exc:
        d2.book(q4.offers[0].offer_id, rider_id=5)
    assert exc.value.code == "offer_unknown" and exc.value.status == 404


def test_driver_rules_for_starting_and_reporting(tt):
    clock = Clock(T0)
    d = make_dispatcher(tt, clock=clock, shifts=((0, 4, 1), (1, 4, 1)), start=T0 + 2 * 3600)
    with pytest.raises(DispatchError) as exc:
        d.start_for_driver(7, shift_id=0)
    assert exc.value.code == "too_early"
    assert d.shifts_for_driver(7) == []
    clock.t = T0 + 3600     # an hour early is allowed
    assert [s.shift_id for s in d.shifts_for_driver(7)] == [0, 1]
    d.assign_driver(1, 8)
    with pytest.raises(DispatchError) as exc:
        d.start_for_driver(7, shift_id=1)
    assert exc.value.code == "assigned_to_another_driver"
    assert d.start_for_driver(7, shift_id=1, as_operator=True).driver_id == 7
    with pytest.raises(NotFound) as exc:
        d.start_for_driver(7, vehicle_id=999)
    assert exc.value.code == "no_shift"
    with pytest.raises(NotFound) as exc:
        d.driver_shift(8)
    assert exc.value.code == "no_shift"
    assert d.driver_shift(7).shift_id == 1
    booking = quote_and_book(d, 9, 40, t=T0 + 3 * 3600)
    shift_id = next(s.shift_id for s in d.shifts.values() if s.route)
    other = 1 - shift_id
    with pytest.raises(NotFound) as exc:
        d.step_report(other, booking.booking_id, "boarded")
    assert exc.value.code == "not_on_route"
    with pytest.raises(DispatchError) as exc:
        d.step_report(shift_id, booking.booking_id, "teleported")
    assert exc.value.code == "invalid_request"
    clock.t = booking.pickup_earliest - 600     # a little early at the pickup (hours early is refused)
    d.step_report(shift_id, booking.booking_id, "arrived")
    assert d.shifts[shift_id].anchor_node == 9


def test_new_shift_times_are_checked_against_the_vehicles_other_shifts(tt):
    clock = Clock(T0)
    d = make_dispatcher(tt, clock=clock, shifts=((0, 4, 1),), start=T0 + 3600, end=T0 + 5 * 3600)
    with pytest.raises(DispatchInputError):
        d.check_shift_times(100, "V0", T0 + 7200, T0 + 3600)
    with pytest.raises(DispatchInputError):
        d.check_shift_times(100, "V0", T0 - 7200, T0 - 60)
    with pytest.raises(DispatchError) as exc:
        d.check_shift_times(100, "V0", T0 + 4 * 3600, T0 + 8 * 3600)
    assert "shift 0" in str(exc.value)
    d.check_shift_times(100, "V0", T0 + 5 * 3600, T0 + 8 * 3600)      # right after it
    d.check_shift_times(101, "V1", T0, T0 + 8 * 3600)                 # another vehicle
    assert d.check_new_times(0, T0 + 2 * 3600, T0 + 6 * 3600).shift_id == 0
    quote_and_book(d, 9, 40, t=T0 + 2 * 3600)
    with pytest.raises(DispatchError) as exc:
        d.check_new_times(0, T0 + 2 * 3600, T0 + 6 * 3600)
    assert exc.value.code == "shift_has_stops"


def test_rules_from_json_name_the_wrong_rule():
    rules = ServiceRules()
    assert rules.with_changes({"window_s": 600}).window_s == 600
    for changes, name in (({"window_s": True}, "window_s"), ({"max_ride_factor": "x"}, "max_ride_factor"),
                          ({"operating_hours": {"mon": "all day"}}, "operating_hours"),
                          ({"timezone": 5}, "timezone"), ({"window_s": 10**9}, "window_s")):
        with pytest.raises(RulesError) as exc:
            rules.with_changes(changes)
        assert name in str(exc.value)


class CountingLock:
    """A reentrant lock that knows how deep it is held (to see what runs under it)."""

    def __init__(self):
        import threading

        self._lock, self.depth = threading.RLock(), 0

    def __enter__(self):
        self._lock.acquire()
        self.depth += 1
        return self

    def __exit__(self, *exc):
        self.depth -= 1
        self._lock.release()
        return False


def test_the_store_is_asked_for_a_key_outside_the_lock(tt):
    lock = CountingLock()

    class WatchedStore(InMemoryStore):
        asked = []

        def find_booking(self, scope, key):
            self.asked.append((scope, key, lock.depth))
            return super().find_booking(scope, key)

    store = WatchedStore()
    d = make_dispatcher(tt, store=store, lock=lock)
    q = d.quote(request(d, 3, 40, t=T0 + 3600, rider=5, channel="app"))
    first = d.book(q.offers[0].offer_id, idempotency_key="k", rider_id=5)
    assert store.asked == []          # a fresh key on an open offer needs no look-up
    d.cancel(first.booking_id)
    # a retry on a booked offer with a key memory does not know: the store is read, unlocked, and
    # knows none either, so the offer is refused as booked
    with pytest.raises(DispatchError) as exc:
        d.book(q.offers[0].offer_id, idempotency_key="other", rider_id=5)
    assert exc.value.code == "offer_already_booked"
    assert store.asked == [("rider:5", "other", 0)]
    # after a restart the cancelled booking is known to the store only: an open offer with its key
    # is refused by the store's unique key, then the store is read (unlocked): its booking was made
    # for another offer, so the key is refused as reused; the retry of its own offer gets it
    ids = iter(range(1000))
    d2 = Dispatcher(tt, store=store, clock=d.clock, new_id=lambda: f"after-restart-{next(ids)}", lock=lock)
    d2.restore(store.load(d.clock()))
    q2 = d2.quote(request(d2, 4, 41, t=T0 + 3600, rider=5, channel="app"))
    with pytest.raises(IdempotencyKeyReused):
        d2.book_with_eta(q2.offers[0].offer_id, idempotency_key="k", rider_id=5)
    assert store.asked[-1] == ("rider:5", "k", 0) and lock.depth == 0
    again, eta = d2.book_with_eta(q.offers[0].offer_id, idempotency_key="k", rider_id=5)
    assert again.booking_id == first.booking_id and eta == {}        # cancelled: no vehicle, no ETA
    assert store.asked[-1] == ("rider:5", "k", 0) and lock.depth == 0
    booked, eta = d2.book_with_eta(q2.offers[0].offer_id, idempotency_key="new", rider_id=5)
    assert eta["pickup"] == booked.planned_pickup and eta["shift_id"] == 0
