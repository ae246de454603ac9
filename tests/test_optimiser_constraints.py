"""What the background optimiser must never do, whatever it saves: move a rider to a vehicle
without what they need (a pushchair space, a ramp or lift; issue 17). The dispatch core plans
seats and wheelchair places only, so such riders stay on their vehicle while the optimiser searches,
and the check where its plan is applied remains as a guard."""

from __future__ import annotations

import itertools

import pytest

from ride_pool.dispatch.dispatcher import Dispatcher
from ride_pool.dispatch.domain import TripRequest
from ride_pool.dispatch.rules import ServiceRules
from ride_pool.dispatch.store import InMemoryStore
from routing.travel_times import TravelTimes
from test_connections import ORIGIN, T0, Clock, _far_node, assert_live_plan_ok
from test_dispatcher import grid_network


@pytest.fixture(scope="module")
def tt() -> TravelTimes:
    return TravelTimes(grid_network(8, seed=3))

def test_the_optimiser_never_moves_a_rider_to_a_vehicle_without_what_they_need(tt):
    # a short ride next to vehicle 101, which has no pushchair space; vehicle 100 has one but
    # starts at the far corner. The booking goes to 100; handing it to 101 would save the long
    # drive, and re-optimisation must not take that plan while the rider needs the space
    near = 9                                       # one block diagonally from ORIGIN

    def fleet(clock, prefix):
        ids = itertools.count()
        d = Dispatcher(tt, rules=ServiceRules(), store=InMemoryStore(), clock=clock,
                       new_id=lambda: f"{prefix}{next(ids)}")
        far = _far_node(d, ORIGIN)
        d.add_shift(0, 100, "V0", 4, 0, T0, T0 + 10 * 3600, d.place_at_node(far))
        d.add_shift(1, 101, "V1", 4, 0, T0, T0 + 10 * 3600, d.place_at_node(ORIGIN))
        d.set_vehicle_features(100, ["pushchair"])
        d.set_vehicle_features(101, [])
        return d

    def ride(d, needs):
        return TripRequest(rider_id=7, origin=d.place_at_node(ORIGIN), destination=d.place_at_node(near),
                           channel="phone", needs=needs, pickup_after=T0 + 3600)

    clock = Clock(T0)
    d = fleet(clock, "a")
    booking = d.book(d.quote(ride(d, ("pushchair",))).offers[0].offer_id)
    assert booking.vehicle_id == 100
    assert not d.reoptimise(time_limit_s=1.0)
    assert d.bookings[booking.booking_id].vehicle_id == 100
    assert_live_plan_ok(d)
    # the same booking on 100 without the need: re-optimisation hands it to 101 (so the plan
    # refused above was really found, and refused for the need alone)
    d = fleet(clock, "b")
    booking = d.book(d.quote(ride(d, ())).offers[0].offer_id)
    if booking.vehicle_id != 100:
        booking = d.assign_booking(booking.booking_id, 0)
    assert d.reoptimise(time_limit_s=1.0)
    assert d.bookings[booking.booking_id].vehicle_id == 101


def test_a_rider_who_needs_a_space_stays_on_their_vehicle_while_the_optimiser_improves_the_rest(tt):
    # rider X needs the pushchair space only the far vehicle 100 has; rider Y, two hours later, needs
    # nothing (a hop next to vehicle 101's depot) but an operator put Y on 100 too. The optimiser
    # hands Y to 101 and keeps X on 100 (the search never moves X: before, it also moved X to 101,
    # which saves more, and the whole plan was dropped)
    near, hop = 9, 1
    ids = itertools.count()
    d = Dispatcher(tt, rules=ServiceRules(), store=InMemoryStore(), clock=Clock(T0), new_id=lambda: f"k{next(ids)}")
    d.add_shift(0, 100, "V0", 4, 0, T0, T0 + 10 * 3600, d.place_at_node(_far_node(d, ORIGIN)))
    d.add_shift(1, 101, "V1", 4, 0, T0, T0 + 10 * 3600, d.place_at_node(ORIGIN))
    d.set_vehicle_features(100, ["pushchair"])
    d.set_vehicle_features(101, [])

    def ride(needs, after, to):
        return TripRequest(rider_id=7, origin=d.place_at_node(ORIGIN), destination=d.place_at_node(to),
                           channel="phone", needs=needs, pickup_after=after)

    x = d.book(d.quote(ride(("pushchair",), T0 + 3600, near)).offers[0].offer_id)
    y = d.book(d.quote(ride((), T0 + 3 * 3600, hop)).offers[0].offer_id)
    if d.bookings[y.booking_id].vehicle_id != 100:
        d.assign_booking(y.booking_id, 0)
    assert (d.bookings[x.booking_id].vehicle_id, d.bookings[y.booking_id].vehicle_id) == (100, 100)
    assert d.reoptimise(time_limit_s=1.0)
    assert (d.bookings[x.booking_id].vehicle_id, d.bookings[y.booking_id].vehicle_id) == (100, 101)
    assert_live_plan_ok(d)
