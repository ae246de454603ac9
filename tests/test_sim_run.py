"""Short simulated days on the real dispatcher: KPI identities, promised windows kept, vehicles
consistent with the plans, determinism, repositioning, replay, fleet planning, and Dask == serial."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from ride_pool.dispatch.domain import EventKind as K
from ride_pool.dispatch.rules import WEEKDAYS, ServiceRules
from simulations.agents import OUTCOME_CODES, RiderConfig, VehicleConfig
from simulations.region import load_region
from simulations.run import FleetConfig, RunSpec, Simulation, depot_allocation, plan_fleet, run_simulation, service_day
from simulations.shifts import single_shift_plan
from simulations.sweep import grid, run_sweep
from simulations.world import NoShows, World

#: a short service day: 07:00–11:00 (pickups until 10:00)
MORNING = ServiceRules(operating_hours={d: ["07:00", "11:00"] for d in WEEKDAYS})


@pytest.fixture(scope="module")
def region(demo_network):
    return load_region("demo", network=demo_network)


@pytest.fixture(scope="module")
def busy_day(region):
    """A few hours, a small fleet, riders who cancel and do not show up."""
    sim = Simulation(region, RunSpec(fleet=6, demand=0.12, seed=1, rules=MORNING,
                                     riders=RiderConfig(cancel_share=0.1, no_show_share=0.05)))
    return sim, sim.run()


@pytest.fixture(scope="module")
def quiet_day(region):
    """An uncongested morning without no-shows: every promise must hold."""
    sim = Simulation(region, RunSpec(fleet=10, demand=0.04, seed=2, rules=MORNING,
                                     riders=RiderConfig(no_show_share=0.0)))
    return sim, sim.run()


def test_every_request_has_exactly_one_outcome(busy_day):
    sim, k = busy_day
    assert k["requests"] == len(sim.requests) > 50
    o = k["outcomes"]
    assert sum(o.values()) == k["requests"]
    assert o["open"] == 0 and o["unanswered"] == 0
    assert (k["served"] + k["rejected"] + k["declined"] + k["refused"] + k["cancelled"] + k["no_shows"]
            == k["requests"])
    assert k["confirmed"] == k["served"] + k["cancelled"] + k["no_shows"]
    assert k["offered"] == k["requests"] - k["rejected"]
    assert k["cancelled"] > 0 and k["no_shows"] > 0 and k["served"] > 0
    # the agents' own record of outcomes agrees with the event log
    codes = np.bincount(sim.trips()[:, 2], minlength=len(OUTCOME_CODES))
    assert codes[OUTCOME_CODES["served"]] == k["served"]
    assert codes[OUTCOME_CODES["rejected"]] == k["rejected"]
    assert codes[OUTCOME_CODES["declined"]] == k["declined"]
    assert codes[OUTCOME_CODES["cancelled"]] == k["cancelled"]
    assert codes[OUTCOME_CODES["no_show"]] == k["no_shows"]


def test_the_simulation_is_the_world_its_agents_act_in(busy_day):
    sim, _ = busy_day
    assert isinstance(sim, World) and isinstance(sim.riders, NoShows)
    assert all(agent.sim is sim for agent in sim.vehicles.values()) and sim.riders.sim is sim


def test_day_ends_cleanly(busy_day):
    sim, k = busy_day
    assert sim.unfinished() == {"shifts_not_ended": 0, "bookings_active": 0}
    assert k["shifts"] == 6 and all(a.state == "ended" and a.node == a.depot for a in sim.vehicles.values())
    assert k["vehicle_hours"] > 6 * 4            # 06:30 .. after 11:00
    assert 0 < k["driving_hours"] < k["vehicle_hours"]
    assert 0 < k["mean_load_on_board"] <= k["mean_load_when_occupied"] and 0 <= k["pooled_share"] <= 1
    assert k["cost_per_passenger_eur"] > 0 and "occupancy" not in k


def test_vehicles_carry_out_the_plan(busy_day):
    """Per vehicle: drives chain up, riders board before they get off, never over capacity, and the
    passengers of each drive are the riders on board."""
    sim, _ = busy_day
    capacity = {p.vehicle_id: p.seats + p.wheelchair_places for p in sim.shift_plans}
    bookings = {e.booking_id: e for e in sim.events if e.kind == K.BOOKING_CONFIRMED}
    onboard: dict[int, dict[str, int]] = defaultdict(dict)
    position: dict[int, int] = {}
    for e in sim.events:
        v = e.vehicle_id
        if e.kind == K.VEHICLE_DROVE:
            if v in position:
                assert e.data["from_node"] == position[v]
            position[v] = e.data["to_node"]
            assert e.data["passengers"] == sum(onboard[v].values())
            assert e.data["distance_m"] > 0 and e.data["duration_s"] >= 0
        elif e.kind == K.RIDER_BOARDED:
            onboard[v][e.booking_id] = bookings[e.booking_id].data["passengers"]
            assert sum(onboard[v].values()) <= capacity[v]
        elif e.kind == K.RIDER_DROPPED_OFF:
            assert e.booking_id in onboard[v]
            del onboard[v][e.booking_id]
    assert not any(onboard.values())


def test_promises_hold_in_an_uncongested_morning(quiet_day):
    sim, k = quiet_day
    assert k["served"] > 20 and k["rejected"] == 0
    assert k["late_share"] == 0
    promised = {e.booking_id: e.data for e in sim.events if e.kind == K.BOOKING_CONFIRMED}
    boarded = {}
    for e in sim.events:
        if e.kind == K.RIDER_BOARDED:
            window = promised[e.booking_id]
            assert window["pickup_earliest"] <= e.time <= window["pickup_latest"]
            assert e.data["late_s"] == 0
            boarded[e.booking_id] = e.time
        elif e.kind == K.RIDER_DROPPED_OFF:
            assert e.time <= promised[e.booking_id]["dropoff_latest"]
            # ride limit: from the end of boarding to the drop-off
            rules = sim.dispatcher.rules
            boarding = rules.pickup_service_s(promised[e.booking_id]["wheelchairs"])
            assert e.data["ride_s"] - boarding <= rules.max_ride_s(e.data["direct_s"])
    assert len(boarded) == k["served"]


def test_same_seed_identical_kpis_twice(region):
    spec = RunSpec(fleet=4, demand=0.05, seed=7, rules=MORNING)
    a, b = run_simulation(spec, region), run_simulation(spec, region)
    a.pop("wall_s"), b.pop("wall_s")
    assert a == b
    c = run_simulation(spec.replace(seed=8), region)
    assert c["requests"] != a["requests"] or c["wait_mean_s"] != a["wait_mean_s"]


def test_reposition_moves_idle_vehicles_to_town_centres(region):
    spec = RunSpec(fleet=6, demand=0.05, seed=3, rules=MORNING,
                   vehicles=VehicleConfig(reposition=True, reposition_after_idle_s=300))
    sim = Simulation(region, spec)
    k = sim.run()
    moves = [e for e in sim.events if e.kind == K.VEHICLE_DROVE and e.data["purpose"] == "reposition"]
    assert moves and k["reposition_km"] > 0
    centres = set(region.centre_nodes.tolist())
    # a move ends at a centre unless a booking stopped it on the way
    assert sum(e.data["to_node"] in centres for e in moves) >= len(moves) / 2
    assert all(e.data["passengers"] == 0 for e in moves)
    assert sim.unfinished() == {"shifts_not_ended": 0, "bookings_active": 0}
    assert k["outcomes"]["open"] == 0 and sum(k["outcomes"].values()) == k["requests"]
    # off (the default): no repositioning at all
    off = Simulation(region, spec.replace(vehicles=VehicleConfig()))
    assert off.run()["reposition_km"] == 0


def test_reposition_target_prefers_demand(region):
    sim = Simulation(region, RunSpec(fleet=1, demand=0.05, seed=0, rules=MORNING,
                                     vehicles=VehicleConfig(reposition=True)))
    agent = next(iter(sim.vehicles.values()))
    biggest = int(np.argmax(sim.demand_weights))
    agent.node = int(region.centre_nodes[biggest])
    assert agent.reposition_target() is None           # already where most demand starts
    smallest = int(np.argmin(region.population))
    agent.node = int(region.centre_nodes[smallest])
    target = agent.reposition_target()
    assert target in set(region.centre_nodes.tolist()) and target != agent.node


def test_replayed_requests_run(region, tmp_path):
    path = tmp_path / "requests.csv"
    path.write_text("request_time,pickup_after,arrive_by,origin_lat,origin_lon,destination_lat,destination_lon\n"
                    "07:00,07:40,,51.1634,13.4737,51.3086,13.2939\n"
                    "07:05,,09:30,51.3086,13.2939,51.1634,13.4737\n"
                    "07:10,,,51.2930,13.5230,51.1634,13.4737\n")
    row = run_simulation(RunSpec(fleet=2, requests_csv=str(path), rules=MORNING, seed=0,
                                 riders=RiderConfig(cancel_share=0, no_show_share=0)), region)
    assert row["requests"] == 3 and row["served"] == 3


def test_fleet_plan_depots_and_wheelchair_places(region):
    day_start, day = service_day(ServiceRules(), "2025-09-16")
    one_shift = single_shift_plan(day.open_s, day.close_s)
    plans = plan_fleet(region, 5, FleetConfig(), day_start, day, one_shift)
    largest = sorted(range(len(region.municipalities)), key=lambda i: -region.population[i])[:5]
    assert sorted(p.depot_municipality for p in plans) == sorted(largest)
    assert [p.wheelchair_places for p in plans] == [1, 0, 1, 0, 1]
    assert all(p.seats + p.wheelchair_places == 8 for p in plans)
    assert all(p.start == day_start + 5 * 3600 - 1800 and p.end == day_start + 24 * 3600 for p in plans)
    assert plan_fleet(region, 1, FleetConfig(), day_start, day, one_shift)[0].wheelchair_places == 1
    # D'Hondt: twice the population, twice the vehicles
    allocation = depot_allocation(np.array([200.0, 100.0, 10.0]), 6, 2)
    assert allocation == [0, 0, 1, 0, 0, 1] and allocation.count(0) == 2 * allocation.count(1)


def test_spec_and_date_errors():
    from simulations.errors import SimulationInputError

    with pytest.raises(SimulationInputError, match="fleet size"):
        RunSpec(fleet=0)
    with pytest.raises(SimulationInputError, match="demand multiplier"):
        RunSpec(demand=0)
    with pytest.raises(SimulationInputError, match="does not operate on sun"):
        service_day(ServiceRules(operating_hours={"mon": ["05:00", "23:00"]}), "2025-09-21")
    with pytest.raises(SimulationInputError, match="ISO date"):
        service_day(ServiceRules(), "16.09.2025")


def test_public_holidays_of_the_regions_state_run_as_sundays(region):
    from simulations.errors import SimulationInputError

    rules = ServiceRules(operating_hours={"mon": ["05:00", "23:00"], "tue": ["05:00", "23:00"],
                                          "wed": ["05:00", "23:00"], "sun": ["09:00", "18:00"]})
    assert region.state == "SN"                    # the demo's municipalities are Landkreis Meißen's (AGS 14…)
    # Buß- und Bettag (Wednesday 19 Nov 2025) is a holiday in Saxony only
    _, saxony = service_day(rules, "2025-11-19", "SN")
    _, hesse = service_day(rules, "2025-11-19", "HE")
    assert (saxony.day_type, saxony.open_s, saxony.close_s) == ("sunday", 9 * 3600, 18 * 3600)
    assert (hesse.day_type, hesse.open_s, hesse.close_s) == ("weekday", 5 * 3600, 23 * 3600)
    assert service_day(rules, "2025-11-19")[1].day_type == "weekday"       # no state: no holidays
    # Easter Monday everywhere; closed on Sundays means closed on that holiday too
    closed_sundays = ServiceRules(operating_hours={"mon": ["05:00", "23:00"]})
    with pytest.raises(SimulationInputError, match="public holiday .*2025-04-21"):
        service_day(closed_sundays, "2025-04-21", "SN")
    assert service_day(closed_sundays, "2025-04-14", "SN")[1].day_type == "weekday"
    with pytest.raises(SimulationInputError, match="unknown German state"):
        service_day(rules, "2025-11-19", "XX")


def test_dask_sweep_equals_serial(saved_networks):
    specs = grid(RunSpec(region=str(saved_networks["demo"]), demand=0.03), fleets=[2, 4], demands=[0.03], seeds=[0])
    assert len(specs) == 2
    serial = run_sweep(specs, serial=True)
    seen = []
    parallel = run_sweep(specs, workers=2, on_result=lambda i, row: seen.append(i))
    assert sorted(seen) == [0, 1]
    for a, b in zip(serial, parallel):
        a, b = dict(a), dict(b)
        a.pop("wall_s"), b.pop("wall_s")
        assert a == b
    assert [r["fleet"] for r in parallel] == [2, 4]


def test_cached_fleet_snapshots_equal_fresh_ones(region, monkeypatch):
    """Every fleet snapshot the dispatcher uses in a busy morning (bookings, cancellations,
    no-shows, boardings, arrivals) equals one computed afresh for every vehicle; the cache
    recomputes only some vehicles most of the time."""
    from ride_pool.dispatch.plans import LivePlans
    from routing.darp.pruning import prune_bounds_ok
    from routing.darp.snapshot import flat_snapshots, fleet_snapshots

    original = LivePlans.snapshots
    calls = []

    def checked(self, now):
        snap = original(self, now)
        t = self.tables
        V = t.vehicle_count
        ptr = np.zeros(V + 1, dtype=np.int64)
        np.cumsum(t.route_length, out=ptr[1:])
        codes = np.concatenate(self._route_arrays) if V else np.zeros(0, dtype=np.int64)
        fresh = fleet_snapshots(t, flat_snapshots(t, np.arange(V, dtype=np.int64), ptr, codes))
        for name in fresh.__dataclass_fields__:
            np.testing.assert_array_equal(getattr(snap, name), getattr(fresh, name), err_msg=name)
        np.testing.assert_array_equal(prune_bounds_ok(snap, t.travel_time), prune_bounds_ok(fresh, t.travel_time))
        calls.append((self._snapshot_cache.rebuilt, V))
        return snap

    monkeypatch.setattr(LivePlans, "snapshots", checked)
    sim = Simulation(region, RunSpec(fleet=6, demand=0.12, seed=1, rules=MORNING,
                                     riders=RiderConfig(cancel_share=0.1, no_show_share=0.05)))
    sim.run()
    assert len(calls) > 50
    assert sum(rebuilt < V for rebuilt, V in calls) > len(calls) // 2
