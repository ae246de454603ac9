"""Feeder demand in the simulator (simulations.feeders): a share of the day's requests goes to and
from the trains of an imported timetable (given as plain data, never through the database), the
dispatcher books them as connections, and the KPIs report connections kept and missed."""

from __future__ import annotations

import pytest

from gtfs_support import COSWIG, GROSSENHAIN, PRIESTEWITZ, RIESA, feed_bytes
from ride_pool.dispatch.domain import EventKind
from ride_pool.dispatch.rules import WEEKDAYS, ServiceRules
from ride_pool.gtfs.timetable import read_feed
from simulations.agents import RiderConfig
from simulations.feeders import feeder_demand, hubs_on_region
from simulations.region import load_region
from simulations.run import RunSpec, Simulation

MORNING = ServiceRules(operating_hours={d: ["06:00", "11:00"] for d in WEEKDAYS})


@pytest.fixture(scope="module")
def region(demo_network):
    return load_region("demo", network=demo_network)


@pytest.fixture(scope="module")
def timetable():
    return read_feed(feed_bytes(start_date="20250101"))


def test_hubs_are_the_stations_on_the_network(region, timetable):
    hubs = {h.stop_id for h in hubs_on_region(region, timetable)}
    assert hubs <= {RIESA, PRIESTEWITZ, COSWIG, GROSSENHAIN} and len(hubs) >= 3


def test_the_share_decides_how_many_requests_become_feeders(region, timetable):
    sim = Simulation(region, RunSpec(fleet=4, demand=0.06, seed=3, rules=MORNING))
    base = sim.requests
    feeders = feeder_demand(region, timetable, base, share=0.5, seed=3, day_start=sim.day_start)
    assert len(feeders) == len(base)
    connected = [r for r in feeders if r.connection]
    assert 0.3 * len(base) < len(connected) < 0.7 * len(base)
    for r in connected:
        stop_id, trip_id, direction, day = r.connection
        assert trip_id in timetable.trips and day == "2025-09-16"
        hub_node = r.destination_node if direction == "to_departure" else r.origin_node
        assert r.hub and hub_node in {h.node for h in hubs_on_region(region, timetable)}
    assert feeder_demand(region, timetable, base, share=0.0, seed=3, day_start=sim.day_start) == base
    again = feeder_demand(region, timetable, base, share=0.5, seed=3, day_start=sim.day_start)
    assert again == feeders     # the same seed converts the same requests


def test_a_day_with_feeders_reports_connections_kept(region, timetable):
    sim = Simulation(region, RunSpec(fleet=8, demand=0.05, seed=5, rules=MORNING, timetable=timetable,
                                     feeder_share=0.4, riders=RiderConfig(no_show_share=0.0, cancel_share=0.0)))
    kpis = sim.run()
    booked = kpis["connection_bookings"]
    assert booked > 0
    events = sim.events
    settled = [e for e in events if e.kind in (EventKind.CONNECTION_KEPT, EventKind.CONNECTION_MISSED)]
    assert kpis["connections_kept"] + kpis["connections_missed"] == len(settled) > 0
    # vehicles keep their promises in a calm simulation: every connection booked and served is kept
    assert kpis["connections_kept"] >= 0.9 * len(settled)
    for e in settled:
        if e.kind is EventKind.CONNECTION_KEPT and e.data["direction"] == "to_departure":
            assert e.data["at"] <= e.data["limit"] < e.data["scheduled"]
    assert sim.unfinished()["bookings_active"] == 0


def test_feeder_share_is_checked():
    with pytest.raises(Exception, match="feeder share"):
        RunSpec(feeder_share=1.5)
