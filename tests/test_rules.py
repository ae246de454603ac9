"""Service rules: operating hours (with the daylight-saving days of Europe/Berlin), lead time,
horizon, the early-morning booking cut-off, per-rider limits, the earliest allowed time, alternative
and arrive-by windows, invalid input, and the messages of rules that cannot work."""

from __future__ import annotations

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from ride_pool.dispatch.dispatcher import (
    BookingRefused,
    Dispatcher,
    DispatchInputError,
    OutsideServiceArea,
)
from ride_pool.dispatch.domain import BookingStatus, EventKind, Place, RejectCause, TripRequest
from ride_pool.dispatch.rules import RulesError, ServiceRules
from routing.network import ROAD_CLASS_INDEX, RoadNetwork
from routing.travel_times import TravelTimes

BERLIN = ZoneInfo("Europe/Berlin")


def at(y, m, d, hh, mm=0) -> int:
    return int(datetime(y, m, d, hh, mm, tzinfo=BERLIN).timestamp())


# --------------------------------------------------------------------------- a small network
def grid_network(n: int = 6) -> RoadNetwork:
    """An ``n`` x ``n`` grid of two-way streets (~450 m, 60-100 s apart) near Meißen."""
    rng = np.random.default_rng(0)
    lon = np.array([13.40 + c * 0.0064 for r in range(n) for c in range(n)])
    lat = np.array([51.20 + r * 0.004 for r in range(n) for c in range(n)])
    edges = []
    for r in range(n):
        for c in range(n):
            u = r * n + c
            for rr, cc in ((r, c + 1), (r + 1, c)):
                if rr < n and cc < n:
                    t = int(rng.integers(60, 100))
                    edges += [(u, rr * n + cc, t), (rr * n + cc, u, t)]
    edges.sort()
    indptr = np.cumsum(np.r_[0, np.bincount([e[0] for e in edges], minlength=n * n)])
    m = len(edges)
    return RoadNetwork(
        name="grid", source="test", synthetic=True, node_lon=lon, node_lat=lat, node_osm_id=np.full(n * n, -1),
        indptr=indptr, head=np.array([e[1] for e in edges]), travel_time_s=np.array([e[2] for e in edges]),
        length_m=np.array([e[2] * 11 for e in edges]), road_class=np.full(m, ROAD_CLASS_INDEX["residential"]),
        geometry_indptr=np.zeros(m + 1, dtype=np.int64), geometry_lon=np.zeros(0), geometry_lat=np.zeros(0))


@pytest.fixture(scope="module")
def tt() -> TravelTimes:
    return TravelTimes(grid_network())


FAR = 35   # the opposite corner of the 6 x 6 grid


class Clock:
    def __init__(self, t):
        self.t = int(t)

    def __call__(self):
        return self.t


def dispatcher(tt, now, rules=None, shifts=((0, 4, 1),), start=None, end=None, **kw) -> Dispatcher:
    clock = Clock(now)
    ids = itertools.count()
    d = Dispatcher(tt, rules=rules or ServiceRules(), clock=clock, new_id=lambda: f"id{next(ids)}", **kw)
    start = now - 3600 if start is None else start
    end = now + 10 * 86400 if end is None else end
    for sid, seats, chairs in shifts:
        d.add_shift(sid, sid, f"V{sid}", seats, chairs, start, end, d.place_at_node(0))
    return d


def req(d, o=1, de=FAR, **kw) -> TripRequest:
    kw.setdefault("channel", "phone")
    kw.setdefault("rider_id", None)
    return TripRequest(origin=d.place_at_node(o), destination=d.place_at_node(de), **kw)


def rejected(q, cause):
    return not q.offers and q.reject_cause is cause and q.reject_message


# --------------------------------------------------------------------------- operating hours, DST
def test_operating_span_on_ordinary_and_dst_days():
    r = ServiceRules()
    for day in (datetime(2026, 3, 3), datetime(2026, 3, 29), datetime(2026, 10, 25), datetime(2026, 3, 28)):
        y, m, d = day.year, day.month, day.day
        span = r.operating_span(at(y, m, d, 12))
        assert span == (at(y, m, d, 5), at(y, m, d, 23))
        assert span[1] - span[0] == 18 * 3600          # the clock change (02:00/03:00) lies outside
        assert r.operating_span(at(y, m, d, 4, 59)) is None
        assert r.operating_span(at(y, m, d, 23, 1)) is None
        assert r.operating_span(at(y, m, d, 5)) == span and r.operating_span(at(y, m, d, 23)) == span
    # a day around the clock: 23 hours on the spring day, 25 on the autumn day
    allday = ServiceRules(operating_hours={d: ["00:00", "24:00"] for d in ("sat", "sun", "mon")})
    spring = allday.operating_span(at(2026, 3, 29, 12))
    autumn = allday.operating_span(at(2026, 10, 25, 12))
    assert spring[1] - spring[0] == 23 * 3600 and autumn[1] - autumn[0] == 25 * 3600
    assert spring == (at(2026, 3, 29, 0), at(2026, 3, 30, 0))
    # hours across the change itself: 01:00-04:00 CET/CEST is 2 h in spring, 4 h in autumn
    night = ServiceRules(operating_hours={"sun": ["01:00", "04:00"]})
    s = night.operating_span(at(2026, 3, 29, 3, 30))
    assert s[1] - s[0] == 2 * 3600
    s = night.operating_span(int(datetime(2026, 10, 25, 3, 30, tzinfo=BERLIN).timestamp()))
    assert s[1] - s[0] == 4 * 3600
    # closing at 24:00: the span is found from both sides of midnight
    late = ServiceRules(operating_hours={"sat": ["18:00", "24:00"]})
    assert late.operating_span(at(2026, 3, 29, 0)) == (at(2026, 3, 28, 18), at(2026, 3, 29, 0))
    assert late.operating_span(at(2026, 3, 29, 0) + 1) is None


def test_next_opening():
    r = ServiceRules(operating_hours={d: ["06:00", "22:00"] for d in ("mon", "tue", "wed", "thu", "fri")})
    assert r.next_opening(at(2026, 3, 3, 12)) == at(2026, 3, 3, 12)       # open now
    assert r.next_opening(at(2026, 3, 3, 23)) == at(2026, 3, 4, 6)
    assert r.next_opening(at(2026, 3, 27, 23)) == at(2026, 3, 30, 6)      # Friday night -> Monday (CEST)
    assert r.next_opening(at(2026, 3, 28, 10)) == at(2026, 3, 30, 6)
    assert ServiceRules(operating_hours={}).next_opening(at(2026, 3, 3, 12)) is None


def test_trips_outside_operating_hours_are_refused(tt):
    now = at(2026, 3, 3, 12)
    d = dispatcher(tt, now)
    q = d.quote(req(d, pickup_after=at(2026, 3, 4, 4)))
    assert rejected(q, RejectCause.OUTSIDE_OPERATING_HOURS)
    # a trip that would only arrive after closing time
    q = d.quote(req(d, pickup_after=at(2026, 3, 3, 22, 50)))
    assert rejected(q, RejectCause.OUTSIDE_OPERATING_HOURS)
    assert d.quote(req(d, pickup_after=at(2026, 3, 3, 22, 0))).offers
    # no service on a missing weekday
    d2 = dispatcher(tt, now, ServiceRules(operating_hours={"tue": ["05:00", "23:00"]}))
    assert rejected(d2.quote(req(d2, pickup_after=at(2026, 3, 4, 12))), RejectCause.OUTSIDE_OPERATING_HOURS)
    assert d2.quote(req(d2, pickup_after=at(2026, 3, 3, 15))).offers


def test_dst_day_quotes(tt):
    """On the spring-forward and fall-back days a quote at local 05:30 is inside the hours, and
    an early trip's cut-off is 20:00 local the evening before."""
    for y, m, dd in ((2026, 3, 29), (2026, 10, 25)):
        evening = at(y, m, dd, 0) - 4 * 3600        # 20:00 the evening before (local clock)
        assert datetime.fromtimestamp(evening, BERLIN).hour == 20
        r = ServiceRules()
        assert r.early_cutoff(at(y, m, dd, 5, 30)) == evening
        assert r.early_cutoff(at(y, m, dd, 8)) is None
        d = dispatcher(tt, evening - 60)
        q = d.quote(req(d, pickup_after=at(y, m, dd, 5, 30), channel="app", rider_id=1))
        assert q.offers and q.offers[0].pickup_earliest == at(y, m, dd, 5, 30)
        d = dispatcher(tt, evening + 60)
        q = d.quote(req(d, pickup_after=at(y, m, dd, 5, 30), channel="app", rider_id=1))
        assert rejected(q, RejectCause.EARLY_MORNING_CUTOFF)


# --------------------------------------------------------------------------- lead time, horizon, cut-off
def test_min_lead_and_horizon(tt):
    now = at(2026, 3, 3, 10)
    d = dispatcher(tt, now)
    assert rejected(d.quote(req(d, pickup_after=now + 1799)), RejectCause.MIN_LEAD_TIME)
    assert d.quote(req(d, pickup_after=now + 1800)).offers
    assert rejected(d.quote(req(d, pickup_after=now - 3600)), RejectCause.IN_THE_PAST)
    # the simulator plans without lead time, but not in the past
    assert d.quote(req(d, pickup_after=now + 60, channel="simulation")).offers
    assert rejected(d.quote(req(d, pickup_after=now - 600, channel="simulation")), RejectCause.IN_THE_PAST)
    horizon = now + 7 * 86400
    assert rejected(d.quote(req(d, pickup_after=horizon + 60)), RejectCause.BOOKING_HORIZON)
    assert d.quote(req(d, pickup_after=at(2026, 3, 10, 9, 30))).offers
    # an arrival that has only just passed is too soon for any pickup: the lead-time rule (the
    # simulation has no lead time, so there it is in the past); one long past is named by its field
    assert rejected(d.quote(req(d, arrive_by=now - 10)), RejectCause.MIN_LEAD_TIME)
    assert rejected(d.quote(req(d, arrive_by=now + 600)), RejectCause.MIN_LEAD_TIME)
    assert rejected(d.quote(req(d, arrive_by=now - 10, channel="simulation")), RejectCause.IN_THE_PAST)
    past = d.quote(req(d, arrive_by=now - 3600))
    assert rejected(past, RejectCause.IN_THE_PAST) and past.reject_message.startswith("arrive_by: ")


def test_early_morning_cutoff_app_and_phone(tt):
    tomorrow_early = at(2026, 3, 4, 6, 30)
    for now, app_ok in ((at(2026, 3, 3, 19, 59), True), (at(2026, 3, 3, 20, 0), True),
                        (at(2026, 3, 3, 20, 1), False), (at(2026, 3, 3, 23, 30), False)):
        d = dispatcher(tt, now)
        q = d.quote(req(d, pickup_after=tomorrow_early, channel="app", rider_id=5))
        assert bool(q.offers) is app_ok, now
        if not app_ok:
            assert rejected(q, RejectCause.EARLY_MORNING_CUTOFF)
            assert "20:00" in q.reject_message
        assert d.quote(req(d, pickup_after=tomorrow_early, channel="phone", rider_id=5)).offers
        # 08:00 and later are no early trips
        assert d.quote(req(d, pickup_after=at(2026, 3, 4, 8), channel="app", rider_id=5)).offers
    # no cut-off at all when early_trip_before is None
    d = dispatcher(tt, at(2026, 3, 3, 23), ServiceRules(early_trip_before=None))
    assert d.quote(req(d, pickup_after=tomorrow_early, channel="app", rider_id=5)).offers


def test_early_trip_start_is_the_local_time_on_that_day():
    assert ServiceRules().early_trip_start(at(2026, 3, 4, 6, 30)) == at(2026, 3, 4, 8)
    assert ServiceRules().early_trip_start(at(2026, 3, 29, 1, 30)) == at(2026, 3, 29, 8)   # clock change day
    assert ServiceRules(early_trip_before="24:00").early_trip_start(at(2026, 3, 4, 6)) == at(2026, 3, 5, 0)


def test_quote_without_time_after_the_app_cutoff_with_all_day_early_trips(tt):
    # every trip is an early trip: a quote without a time after the cut-off gets no early offer
    # (and no error): the earliest allowed pickup is past the early-trip span
    rules = ServiceRules(early_trip_before="24:00", operating_hours={day: ["00:00", "24:00"] for day in
                                                                     ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
    d = dispatcher(tt, at(2026, 3, 3, 20, 30), rules)
    q = d.quote(req(d, channel="app", rider_id=5))
    assert q.offers or q.reject_cause is not None


def test_cutoff_is_checked_again_when_booking(tt):
    d = dispatcher(tt, at(2026, 3, 3, 19, 58))
    q = d.quote(req(d, pickup_after=at(2026, 3, 4, 6, 30), channel="app", rider_id=5))
    assert q.offers
    d.clock.t = at(2026, 3, 3, 20, 1)
    # the offer is binding while it lasts: booking it a little later still works
    assert d.book(q.offers[0].offer_id).status is BookingStatus.CONFIRMED


# --------------------------------------------------------------------------- per-rider limits
def test_max_active_bookings(tt):
    now = at(2026, 3, 3, 9)
    d = dispatcher(tt, now, ServiceRules(max_active_bookings=2), shifts=((0, 4, 0), (1, 4, 0)))
    offers = [d.quote(req(d, pickup_after=now + 3600 * (k + 1), channel="app", rider_id=9)).offers[0]
              for k in range(3)]
    b1 = d.book(offers[0].offer_id)
    d.book(offers[1].offer_id)
    with pytest.raises(BookingRefused) as exc:
        d.book(offers[2].offer_id)
    assert exc.value.cause is RejectCause.MAX_ACTIVE_BOOKINGS
    q = d.quote(req(d, pickup_after=now + 5 * 3600, channel="app", rider_id=9))
    assert rejected(q, RejectCause.MAX_ACTIVE_BOOKINGS)
    # the limit holds for the operator booking on the rider's behalf too, not for other riders
    assert rejected(d.quote(req(d, pickup_after=now + 5 * 3600, channel="phone", rider_id=9)),
                    RejectCause.MAX_ACTIVE_BOOKINGS)
    assert d.quote(req(d, pickup_after=now + 5 * 3600, channel="app", rider_id=10)).offers
    d.cancel(b1.booking_id)
    assert d.quote(req(d, pickup_after=now + 5 * 3600, channel="app", rider_id=9)).offers
    assert len(d.active_bookings_of(9)) == 1


def test_no_show_limit(tt):
    now = at(2026, 3, 3, 9)
    d = dispatcher(tt, now, ServiceRules(no_show_limit=2))
    for _ in range(2):
        q = d.quote(req(d, pickup_after=d.clock() + 1800, channel="app", rider_id=3))
        b = d.book(q.offers[0].offer_id)
        d.clock.t = b.pickup_earliest + d.rules.no_show_wait_s   # the driver waited the rule's time
        d.vehicle_arrived(0, b.origin.node)
        d.rider_no_show(b.booking_id)
    assert d.no_shows == {3: 2}
    assert [e.kind for e in d.store.events].count(EventKind.RIDER_NO_SHOW) == 2
    q = d.quote(req(d, pickup_after=d.clock() + 3600, channel="app", rider_id=3))
    assert rejected(q, RejectCause.NO_SHOW_LIMIT) and "phone" in q.reject_message
    q = d.quote(req(d, pickup_after=d.clock() + 3600, channel="phone", rider_id=3))
    assert q.offers and d.book(q.offers[0].offer_id).status is BookingStatus.CONFIRMED
    # an offer made before the limit was reached is refused at booking time
    d2 = dispatcher(tt, now, ServiceRules(no_show_limit=1))
    q = d2.quote(req(d2, pickup_after=now + 7200, channel="app", rider_id=3))
    d2.no_shows[3] = 1
    with pytest.raises(BookingRefused) as exc:
        d2.book(q.offers[0].offer_id)
    assert exc.value.cause is RejectCause.NO_SHOW_LIMIT


# --------------------------------------------------------------------------- the earliest allowed time
@pytest.mark.parametrize("now, channel, expected", [
    (at(2026, 3, 3, 10, 0), "app", at(2026, 3, 3, 10, 30)),
    (at(2026, 3, 3, 10, 0, ) + 30, "phone", at(2026, 3, 3, 10, 31)),         # whole minutes, rounded up
    (at(2026, 3, 3, 3, 0), "phone", at(2026, 3, 3, 5, 0)),                   # before opening
    (at(2026, 3, 3, 3, 0), "app", at(2026, 3, 3, 8, 0)),                     # cut-off passed: after 08:00
    (at(2026, 3, 2, 19, 0), "app", at(2026, 3, 2, 19, 30)),
    (at(2026, 3, 2, 22, 55), "phone", at(2026, 3, 3, 5, 0)),                 # after closing: next morning
    (at(2026, 3, 2, 22, 55), "app", at(2026, 3, 3, 8, 0)),
    (at(2026, 3, 2, 22, 15), "phone", at(2026, 3, 3, 5, 0)),                 # the trip would end after 23:00
    (at(2026, 3, 28, 23, 0), "phone", at(2026, 3, 29, 5, 0)),                # into the DST day
])
def test_quote_without_a_time_gets_the_earliest_allowed(tt, now, channel, expected):
    d = dispatcher(tt, now)
    q = d.quote(req(d, channel=channel, rider_id=1 if channel == "app" else None))
    assert q.requested_time == expected
    assert q.offers and q.offers[0].pickup_earliest == expected and not q.offers[0].alternative
    # the earliest allowed time is itself allowed
    assert d.rules.check_pickup(expected, q.offers[0].pickup_latest + 60 + q.direct_s, now, channel) is None


def test_no_time_and_no_service_for_days(tt):
    d = dispatcher(tt, at(2026, 3, 3, 10), ServiceRules(operating_hours={}))
    assert rejected(d.quote(req(d)), RejectCause.OUTSIDE_OPERATING_HOURS)


# --------------------------------------------------------------------------- windows
def test_pickup_window_and_promises(tt):
    now = at(2026, 3, 3, 10)
    d = dispatcher(tt, now)
    r = d.rules
    q = d.quote(req(d, pickup_after=now + 3600, wheelchairs=1, passengers=2))
    o = q.offers[0]
    assert (o.pickup_earliest, o.pickup_latest) == (now + 3600, now + 3600 + r.window_s)
    assert o.max_ride_s == r.max_ride_s(q.direct_s)
    assert o.dropoff_latest == o.pickup_latest + r.pickup_service_s(1) + o.max_ride_s
    assert o.direct_s == d.travel_time_s(1, FAR) and o.direct_m == d.distance_m(1, FAR) > 0
    assert o.expires_at == now + r.offer_ttl_s
    assert not o.alternative


def test_arrive_by_windows(tt):
    now = at(2026, 3, 3, 10)
    d = dispatcher(tt, now)
    r = d.rules
    arrive = now + 3 * 3600
    q = d.quote(req(d, arrive_by=arrive))
    o = q.offers[0]
    assert o.dropoff_latest == arrive
    assert o.pickup_latest - o.pickup_earliest == r.window_s
    assert o.pickup_latest == arrive - r.pickup_service_s(0) - q.direct_s
    assert q.requested_time == o.pickup_earliest
    b = d.book(o.offer_id)
    assert b.dropoff_latest == arrive and b.planned_dropoff <= arrive


def test_alternatives_when_the_window_is_full(tt):
    now = at(2026, 3, 3, 10)
    step = max(60, ServiceRules().window_s // 2)
    t = now + 2 * 3600

    def busy(rules=None):
        """One vehicle with one seat, taken by a trip to the far corner at ``t``."""
        d = dispatcher(tt, now, rules, shifts=((0, 1, 0),))
        first = d.quote(req(d, 0, FAR, pickup_after=t)).offers[0]
        d.book(first.offer_id)
        return d, first

    d, first = busy()
    # the same trip again: the vehicle must first come back, so only a later window fits
    assert d.travel_time_s(0, FAR) + d.travel_time_s(FAR, 0) > d.rules.window_s
    q = d.quote(req(d, 0, FAR, pickup_after=t))
    o = q.offers[0]
    assert o.alternative and o.pickup_earliest > t and q.requested_time == t
    assert (o.pickup_earliest - t) % step == 0 and o.pickup_earliest - t <= d.rules.alternatives * step
    assert o.pickup_latest - o.pickup_earliest == d.rules.window_s
    assert o.pickup_earliest <= o.planned_pickup <= o.pickup_latest
    offered = [e for e in d.store.events if e.kind is EventKind.OFFER_MADE][-1]
    assert offered.data["alternative"] is True
    b = d.book(o.offer_id)
    assert b.pickup_earliest == o.pickup_earliest
    # arrive-by: the alternatives arrive earlier
    d, first = busy()
    arrive = t + 2000    # too late to go first, too early to go after the booked trip
    q = d.quote(req(d, 0, FAR, arrive_by=arrive))
    o = q.offers[0]
    assert o.alternative and o.dropoff_latest < arrive and (arrive - o.dropoff_latest) % step == 0
    assert o.pickup_latest == o.dropoff_latest - d.rules.pickup_service_s(0) - q.direct_s
    assert o.planned_dropoff <= o.dropoff_latest
    # no alternatives allowed: no offer
    d, _ = busy(ServiceRules(alternatives=0))
    assert rejected(d.quote(req(d, 0, FAR, pickup_after=t)), RejectCause.NO_VEHICLE_AVAILABLE)


def test_no_vehicle_fits_and_same_place(tt):
    now = at(2026, 3, 3, 10)
    d = dispatcher(tt, now, shifts=((0, 3, 0),))
    assert rejected(d.quote(req(d, pickup_after=now + 3600, passengers=4)), RejectCause.NO_VEHICLE_FITS)
    assert rejected(d.quote(req(d, pickup_after=now + 3600, passengers=1, wheelchairs=1)),
                    RejectCause.NO_VEHICLE_FITS)
    assert rejected(d.quote(req(d, 7, 7, pickup_after=now + 3600)), RejectCause.SAME_PLACE)
    rejects = [e for e in d.store.events if e.kind is EventKind.REQUEST_REJECTED]
    assert [e.cause for e in rejects] == ["no_vehicle_fits", "no_vehicle_fits", "same_place"]


# --------------------------------------------------------------------------- invalid input
def test_invalid_requests_raise_input_errors(tt):
    now = at(2026, 3, 3, 10)
    d = dispatcher(tt, now)
    good = dict(pickup_after=now + 3600)
    for bad in (dict(passengers=0), dict(passengers=50), dict(passengers=2, wheelchairs=3),
                dict(wheelchairs=-1), dict(passengers=1.5), dict(passengers=True),
                dict(pickup_after=now + 3600, arrive_by=now + 7200), dict(pickup_after="soon"),
                dict(pickup_after=float("nan")), dict(channel="fax")):
        with pytest.raises(DispatchInputError):
            d.quote(req(d, **{**good, **bad}))
    with pytest.raises(DispatchInputError):
        d.quote(TripRequest(rider_id=None, origin=Place(node=10**6, lat=51.2, lon=13.4),
                            destination=d.place_at_node(3), pickup_after=now + 3600))
    with pytest.raises(DispatchInputError):
        d.quote(TripRequest(rider_id=None, origin=Place(node=-1, lat=51.2, lon=13.4),
                            destination=d.place_at_node(3), pickup_after=now + 3600))
    # numpy numbers are fine, and come out as plain ints
    q = d.quote(req(d, passengers=np.int64(2), pickup_after=np.int64(now + 3600)))
    assert q.offers and type(q.offers[0].request.passengers) is int
    assert type(q.offers[0].request.pickup_after) is int
    # the bad ones never reached the event log
    assert [e.kind for e in d.store.events].count(EventKind.REQUEST_RECEIVED) == 1


def test_bad_coordinates_and_nodes(tt):
    d = dispatcher(tt, at(2026, 3, 3, 10))
    for lat, lon in ((91, 13.4), (51.2, 181), (float("nan"), 13.4), ("x", 13.4), (None, 13.4)):
        with pytest.raises(DispatchInputError):
            d.place(lat, lon)
    with pytest.raises(OutsideServiceArea):
        d.place(48.0, 11.0)         # far from every road of the network
    with pytest.raises(DispatchInputError):
        d.place_at_node(-1)
    with pytest.raises(DispatchInputError):
        d.place_at_node(10**6)
    with pytest.raises(DispatchInputError):
        d.vehicle_moved(0, 10**6)
    p = d.place(51.2001, 13.4001, name="Markt")
    assert p.node == 0 and p.name == "Markt"


def test_service_area_polygon(tt):
    now = at(2026, 3, 3, 10)
    # the western half of the grid (lon < 13.42)
    west = [[13.39, 51.19], [13.42, 51.19], [13.42, 51.23], [13.39, 51.23]]
    d = dispatcher(tt, now, service_area=west)
    assert d.service_area_polygon() == west
    assert d.place(51.2, 13.4).node == 0
    with pytest.raises(OutsideServiceArea) as exc:
        d.place(51.2, 13.43)
    assert exc.value.cause is RejectCause.OUTSIDE_SERVICE_AREA
    d.set_service_area({"type": "Polygon", "coordinates": [west]})
    assert d.service_area_polygon() == west
    for bad in ([[13.39, 51.19], [13.42, 51.19]], [[1, 2, 3]] * 4, "polygon", [["a", "b"]] * 3,
                [[200, 51.19], [13.42, 51.19], [13.42, 51.23]], [[13.39, 95], [13.42, 51.19], [13.42, 51.23]],
                [[float("nan"), 51.19], [13.42, 51.19], [13.42, 51.23]], {"type": "Polygon", "coordinates": []}):
        with pytest.raises(DispatchInputError):
            d.set_service_area(bad)
    assert d.service_area_polygon() == west             # a bad polygon leaves the old one
    d.set_service_area(None)
    assert d.service_area_polygon() is None and d.place(51.2, 13.43).node > 0
    # vehicles may report positions outside the area
    d.set_service_area(west)
    d.vehicle_location(0, 51.2, 13.43)
    assert d.shifts[0].lon == 13.43


# --------------------------------------------------------------------------- rules that cannot work
@pytest.mark.parametrize("data, words", [
    ({"min_lead": 5}, ["unknown service rule", "min_lead", "min_lead_s"]),
    ({"operating_hours": {"mon": ["25:00", "23:00"]}}, ["operating_hours.mon open", "HH:MM", "25:00"]),
    ({"operating_hours": {"mon": ["7:00", "23:00"]}}, ["operating_hours.mon open", "'7:00'"]),
    ({"operating_hours": {"mon": ["05:00", "24:30"]}}, ["operating_hours.mon close"]),
    ({"operating_hours": {"mon": ["23:00", "05:00"]}}, ["open 23:00 must be before close 05:00"]),
    ({"operating_hours": {"mon": ["05:00", "05:00"]}}, ["must be before"]),
    ({"operating_hours": {"monday": ["05:00", "23:00"]}}, ["'monday' is not a weekday"]),
    ({"operating_hours": {"mon": "05:00-23:00"}}, ["operating_hours.mon must be [open, close]"]),
    ({"operating_hours": ["05:00", "23:00"]}, ["operating_hours must map"]),
    ({"timezone": "Mars/Olympus"}, ["timezone", "Mars/Olympus"]),
    ({"early_trip_before": "8"}, ["early_trip_before"]),
    ({"early_trip_book_by": "20:60"}, ["early_trip_book_by"]),
    ({"min_lead_s": -1}, ["min_lead_s must not be negative"]),
    ({"min_lead_s": "soon"}, ["min_lead_s", "whole number"]),
    ({"window_s": 0}, ["window_s must be positive"]),
    ({"window_s": 12.5}, ["window_s", "whole number"]),
    ({"horizon_s": 600}, ["horizon_s must be longer than min_lead_s"]),
    ({"max_ride_factor": 0.9}, ["max_ride_factor"]),
    ({"max_ride_factor": "x"}, ["max_ride_factor", "number"]),
    ({"reoptimise_time_limit_s": 0}, ["reoptimise_time_limit_s"]),
    ({"delay_weight": -1}, ["delay_weight"]),
])
def test_bad_rules_say_what_to_fix(data, words):
    with pytest.raises(RulesError) as exc:
        ServiceRules.from_dict(data)
    for w in words:
        assert w in str(exc.value), str(exc.value)


def test_rules_round_trip_and_defaults():
    r = ServiceRules()
    assert ServiceRules.from_dict(r.to_dict()) == r
    assert ServiceRules.from_dict(None) == r and ServiceRules.from_dict({}) == r
    r2 = r.replace(window_s=900, operating_hours={"mon": ["06:00", "20:00"]})
    assert r2.window_s == 900 and r2.operating_span(at(2026, 3, 2, 12)) == (at(2026, 3, 2, 6), at(2026, 3, 2, 20))
    assert ServiceRules.from_dict({"window_s": 900.0}).window_s == 900     # a whole float is fine (JSON)
    assert r.max_ride_s(1000) == 1500 + 600
    assert r.pickup_service_s(0) == 60 and r.pickup_service_s(1) == 180 and r.dropoff_service_s(1) == 150
    with pytest.raises(RulesError):
        r.replace(window_s=-5)
