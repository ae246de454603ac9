"""Connections to trains and buses in the dispatcher (ride_pool.dispatch.connections): a quote
that names a departure becomes an arrive-by at departure - transfer buffer (an arrival: a pickup
after arrival + buffer), the limit stays a hard constraint through booking and re-optimisation
(the independent checker judges the live problem), a vehicle running late makes the guard
re-plan the booking onto another vehicle or raise connection_at_risk, and drop-offs settle
connections as kept or missed, which the KPIs count."""

from __future__ import annotations

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from gtfs_support import COSWIG, PRIESTEWITZ, feed_bytes
from ride_pool.dispatch.dispatcher import Dispatcher, DispatchInputError
from ride_pool.dispatch.domain import Connection, EventKind, TripRequest
from ride_pool.dispatch.kpis import compute_kpis
from ride_pool.dispatch.rules import ServiceRules
from ride_pool.dispatch.store import InMemoryStore
from ride_pool.gtfs.timetable import read_feed
from routing.darp.checker import check_plan
from routing.travel_times import TravelTimes
from test_dispatcher import grid_network

BERLIN = ZoneInfo("Europe/Berlin")
T0 = int(datetime(2026, 3, 3, 7, 30, tzinfo=BERLIN).timestamp())      # a Tuesday
DEPARTS_0921 = int(datetime(2026, 3, 3, 9, 21, tzinfo=BERLIN).timestamp())   # RE50-0905 at Priestewitz
ARRIVES_0940 = int(datetime(2026, 3, 3, 9, 40, tzinfo=BERLIN).timestamp())   # RE50-0905 at Coswig
ORIGIN, STATION = 0, 63


class Clock:
    def __init__(self, t: int):
        self.t = t

    def __call__(self) -> int:
        return self.t


@pytest.fixture(scope="module")
def tt() -> TravelTimes:
    return TravelTimes(grid_network(8, seed=3))


@pytest.fixture(scope="module")
def timetable():
    return read_feed(feed_bytes())


def dispatcher(tt, timetable, *, depots=(ORIGIN,), rules=None) -> tuple[Dispatcher, Clock]:
    clock = Clock(T0)
    ids = itertools.count()
    d = Dispatcher(tt, rules=rules or ServiceRules(), store=InMemoryStore(), clock=clock,
                   new_id=lambda: f"id{next(ids)}")
    for sid, node in enumerate(depots):
        d.add_shift(sid, 100 + sid, f"V{sid}", 4, 0, T0, T0 + 10 * 3600, d.place_at_node(node))
    d.set_timetable(timetable)
    return d, clock


def to_train(d, trip="RE50-0905", stop=PRIESTEWITZ, direction="to_departure", **kw) -> TripRequest:
    return TripRequest(rider_id=7, origin=d.place_at_node(ORIGIN), destination=d.place_at_node(STATION),
                       channel="phone", connection=Connection(stop_id=stop, trip_id=trip, direction=direction, **kw))


def assert_live_plan_ok(d):
    live = d.live_problem()
    if live is not None:
        report = check_plan(live.problem, live.plan)
        assert report.feasible, report


def test_departure_becomes_arrive_by_with_the_buffer_and_stays_a_hard_limit(tt, timetable):
    d, clock = dispatcher(tt, timetable)
    quote = d.quote(to_train(d))
    offer = quote.offers[0]
    c = offer.request.connection
    assert (c.scheduled, c.limit) == (DEPARTS_0921, DEPARTS_0921 - 300)
    assert c.route_name == "RE50" and c.service_date == "2026-03-03" and c.stop_name.startswith("Priestewitz")
    assert offer.dropoff_latest <= c.limit and offer.planned_dropoff <= c.limit
    booking = d.book(offer.offer_id)
    assert booking.connection == c and booking.dropoff_latest <= c.limit
    # more bookings and re-optimisation never move the drop-off past the train
    for o, de in ((1, 62), (8, 55), (2, 61)):
        q = d.quote(TripRequest(rider_id=None, origin=d.place_at_node(o), destination=d.place_at_node(de),
                                pickup_after=T0 + 3600, channel="phone"))
        if q.offers:
            d.book(q.offers[0].offer_id)
    d.reoptimise(time_limit_s=1.0, use_ortools=False)
    live = d.live_problem()
    i = live.booking_ids.index(booking.booking_id)
    assert int(live.problem.dropoff_latest[i]) <= c.limit        # the limit is in the problem the solver sees
    assert_live_plan_ok(d)
    assert d.check_connections() == []      # on time: no alert
    assert d.connections.expected_dropoff(booking.booking_id, clock()) <= c.limit


def test_a_buffer_rule_and_an_arrival_give_a_pickup_after(tt, timetable):
    d, _ = dispatcher(tt, timetable, rules=ServiceRules(transfer_buffer_s=600))
    q = d.quote(to_train(d, stop=COSWIG, direction="from_arrival"))
    c = q.offers[0].request.connection
    assert (c.scheduled, c.limit) == (ARRIVES_0940, ARRIVES_0940 + 600)
    assert q.offers[0].pickup_earliest >= c.limit


@pytest.mark.parametrize("connection, code", [
    ({"trip_id": "nope"}, "connection_unknown"),
    ({"stop_id": "de:14627:9999"}, "connection_unknown"),
    ({"direction": "sideways"}, "connection_invalid"),
    ({"service_date": "2026-03-07"}, "connection_unknown"),       # a Saturday: the trip does not run
    ({"trip_id": "RE50-0705", "service_date": "2026-03-03"}, "connection_too_soon"),   # left 07:21 today
])
def test_bad_connections_are_refused_with_their_code(tt, timetable, connection, code):
    d, _ = dispatcher(tt, timetable)
    args = {"trip": "RE50-0905", "stop": PRIESTEWITZ, "direction": "to_departure"}
    args.update({{"trip_id": "trip", "stop_id": "stop"}.get(k, k): v for k, v in connection.items()})
    with pytest.raises(DispatchInputError) as err:
        d.quote(to_train(d, **args))
    assert err.value.code == code


def test_without_a_timetable_a_connection_is_refused(tt):
    d, _ = dispatcher(tt, None)
    with pytest.raises(DispatchInputError) as err:
        d.quote(to_train(d))
    assert err.value.code == "connection_unknown"


def _far_node(d, node) -> int:
    return max(range(64), key=lambda n: d.travel_time_s(n, node))


def test_a_late_vehicle_is_replanned_onto_another_that_keeps_the_connection(tt, timetable):
    d, clock = dispatcher(tt, timetable, depots=(ORIGIN, 1))
    offer = d.quote(to_train(d)).offers[0]
    booking = d.book(offer.offer_id)
    first = booking.vehicle_id
    sid = first - 100
    d.start_shift(sid)
    clock.t = offer.pickup_latest - 300
    far = _far_node(d, ORIGIN)
    net = tt.network
    d.vehicle_location(sid, float(net.node_lat[far]), float(net.node_lon[far]))    # stuck far away
    events = [e for e in d.store.events if e.kind is EventKind.CONNECTION_REPLANNED]
    assert len(events) == 1 and events[0].cause == "vehicle_late"
    assert d.bookings[booking.booking_id].vehicle_id != first
    assert d.connections.expected_dropoff(booking.booking_id, clock()) <= booking.connection.limit
    assert_live_plan_ok(d)
    assert not [e for e in d.store.events if e.kind is EventKind.CONNECTION_AT_RISK]


def test_a_late_vehicle_without_a_replan_raises_one_alert_and_the_missed_connection_counts(tt, timetable):
    d, clock = dispatcher(tt, timetable)
    offer = d.quote(to_train(d)).offers[0]
    booking = d.book(offer.offer_id)
    d.start_shift(0)
    clock.t = offer.pickup_latest - 300
    far = _far_node(d, ORIGIN)
    net = tt.network
    d.vehicle_location(0, float(net.node_lat[far]), float(net.node_lon[far]))
    d.check_connections()       # the same delay again: no second alert
    alerts = [e for e in d.store.events if e.kind is EventKind.CONNECTION_AT_RISK]
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.cause == "vehicle_late" and alert.booking_id == booking.booking_id and alert.rider_id == 7
    assert alert.data["late_s"] > 0 and alert.data["trip_id"] == "RE50-0905"
    assert alert.data["expected_dropoff"] > booking.connection.limit
    # the vehicle drives on and sets the rider down too late
    clock.t += d.travel_time_s(far, ORIGIN)
    d.vehicle_arrived(0, ORIGIN)
    d.rider_boarded(booking.booking_id, 0)
    clock.t += d.travel_time_s(ORIGIN, STATION)
    d.vehicle_arrived(0, STATION)
    d.rider_dropped_off(booking.booking_id, 0)
    kpis = compute_kpis(d.store.events)
    assert (kpis["connections_kept"], kpis["connections_missed"], kpis["connections_at_risk"]) == (0, 1, 1)
    assert kpis["connection_bookings"] == 1


def test_a_connection_kept_is_counted(tt, timetable):
    d, clock = dispatcher(tt, timetable)
    offer = d.quote(to_train(d)).offers[0]
    booking = d.book(offer.offer_id)
    d.start_shift(0)
    clock.t = d.planned_schedule(0)[0].begin
    d.vehicle_arrived(0, ORIGIN)
    d.rider_boarded(booking.booking_id, 0)
    clock.t += d.travel_time_s(ORIGIN, STATION)
    d.vehicle_arrived(0, STATION)
    d.rider_dropped_off(booking.booking_id, 0)
    assert clock.t <= booking.connection.limit
    kpis = compute_kpis(d.store.events)
    assert (kpis["connections_kept"], kpis["connections_missed"]) == (1, 0)
    assert kpis["connections_kept_share"] == 1.0


def test_a_replan_is_a_change_the_rider_sees_and_a_pinned_booking_is_not_moved(tt, timetable):
    # the guard's move to another vehicle is a booking_changed event (cause "connection"), as the
    # rider page lists them (issue 15); a booking the operator pinned stays, and the guard alerts
    d, clock = dispatcher(tt, timetable, depots=(ORIGIN, 1))
    offer = d.quote(to_train(d)).offers[0]
    booking = d.book(offer.offer_id)
    sid = booking.vehicle_id - 100
    d.start_shift(sid)
    clock.t = offer.pickup_latest - 300
    far = _far_node(d, ORIGIN)
    net = tt.network
    d.vehicle_location(sid, float(net.node_lat[far]), float(net.node_lon[far]))
    changes = [e for e in d.store.events if e.kind is EventKind.BOOKING_CHANGED]
    assert len(changes) == 1 and changes[0].cause == "connection"
    assert changes[0].data["old_vehicle_id"] == booking.vehicle_id != changes[0].data["new_vehicle_id"]

    d, clock = dispatcher(tt, timetable, depots=(ORIGIN, 1))
    offer = d.quote(to_train(d)).offers[0]
    booking = d.book(offer.offer_id)
    sid = booking.vehicle_id - 100
    d.assign_booking(booking.booking_id, sid, pin=True, operator_id=1)
    d.start_shift(sid)
    clock.t = offer.pickup_latest - 300
    d.vehicle_location(sid, float(net.node_lat[far]), float(net.node_lon[far]))
    assert d.bookings[booking.booking_id].vehicle_id == booking.vehicle_id          # pinned: not moved
    assert not [e for e in d.store.events if e.kind is EventKind.CONNECTION_REPLANNED]
    assert [e.cause for e in d.store.events if e.kind is EventKind.CONNECTION_AT_RISK] == ["vehicle_late"]


def test_a_breakdown_that_leaves_a_connection_unplaced_raises_the_alert(tt, timetable):
    d, clock = dispatcher(tt, timetable)          # one vehicle: nobody can take the rider over
    offer = d.quote(to_train(d)).offers[0]
    booking = d.book(offer.offer_id)
    d.start_shift(0)
    result = d.breakdown(0, operator_id=1)
    assert list(result.unplaced) == [booking.booking_id]
    alerts = [e for e in d.store.events if e.kind is EventKind.CONNECTION_AT_RISK]
    assert len(alerts) == 1 and alerts[0].booking_id == booking.booking_id and alerts[0].cause == "not_planned"


def test_riders_hear_of_operator_moves_and_connections_at_risk_through_the_outbox(tt, timetable):
    # issue 17's outbox carries issue 15's and 18's events: the operator's move is a
    # booking_changed message naming the new vehicle, a connection at risk a message naming the train
    from ride_pool.api.notice_texts import render
    from ride_pool.dispatch.domain import NoticeKind

    d, clock = dispatcher(tt, timetable, depots=(ORIGIN, 1))
    d.enable_notices()
    offer = d.quote(to_train(d)).offers[0]
    booking = d.book(offer.offer_id)
    other = 1 - (booking.vehicle_id - 100)
    d.assign_booking(booking.booking_id, other, pin=True, operator_id=1)
    changed = [m for m in d.store.outbox.values() if m.kind is NoticeKind.BOOKING_CHANGED]
    assert len(changed) == 1 and changed[0].data["new"]["vehicle_id"] == 100 + other
    assert changed[0].data["old"]["vehicle_id"] == booking.vehicle_id and changed[0].data["cause"] == "operator"
    d.start_shift(other)
    clock.t = offer.pickup_latest - 300
    far = _far_node(d, ORIGIN)
    d.vehicle_location(other, float(tt.network.node_lat[far]), float(tt.network.node_lon[far]))
    at_risk = [m for m in d.store.outbox.values() if m.kind is NoticeKind.CONNECTION_AT_RISK]
    assert len(at_risk) == 1 and at_risk[0].rider_id == 7
    subject, text = render("connection_at_risk", at_risk[0].data)
    assert subject == "Anschluss gefährdet" and "RE50" in text and "09:21" in text

