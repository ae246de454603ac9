"""Driver shift plans: the default staggered early/late plan, the JSON format and its errors, vehicles
shared out to groups, breaks as gaps in a simulated day, and paid hours in the KPIs."""

from __future__ import annotations

import json

import pytest

from ride_pool.dispatch.domain import EventKind as K
from ride_pool.dispatch.rules import WEEKDAYS, ServiceRules
from simulations.agents import RiderConfig
from simulations.errors import SimulationInputError
from simulations.region import load_region
from simulations.run import FleetConfig, RunSpec, Simulation, plan_fleet, service_day
from simulations.shifts import default_shift_plan, parse_shift_plan, read_shift_plan

H = 3600


def test_default_plan_is_staggered_early_and_late_shifts_with_breaks():
    plan = default_shift_plan(5 * H, 23 * H)
    a, b = plan.groups
    assert a.share == b.share == 0.5
    assert [s.name for s in a.shifts] == ["early A", "late A"] and [s.name for s in b.shifts] == ["early B", "late B"]
    assert a.shifts[0].start == 4.5 * H and b.shifts[-1].end == 23.5 * H          # covers opening and closing
    assert b.shifts[0].start - a.shifts[0].start == 1.5 * H                        # staggered
    for group in plan.groups:
        assert group.shifts[0].end == group.shifts[1].start                        # handover at the depot
        for shift in group.shifts:
            work = shift.paid_s
            assert work <= 10 * H                                                  # ArbZG § 3
            assert sum(e - s for s, e in shift.breaks) >= (1800 if work > 6 * H else 0)
    # every operating hour has vehicles on duty, the peak hours all of them
    for hour in range(5, 23):
        assert plan.on_duty_seconds(10, hour * H, (hour + 1) * H) > 0, hour
    assert plan.on_duty_seconds(10, 15 * H, 16 * H) == 10 * H


def test_vehicles_are_shared_out_to_groups():
    plan = default_shift_plan(5 * H, 23 * H)
    assert plan.vehicle_groups(5) == [0, 1, 0, 1, 0]
    fixed = parse_shift_plan({"groups": [
        {"vehicles": 2, "shifts": [{"start": "06:00", "end": "14:00"}]},
        {"vehicles": "100%", "shifts": [{"start": "10:00", "end": "18:00"}]}]})
    assert fixed.vehicle_groups(5) == [0, 0, 1, 1, 1]
    with pytest.raises(SimulationInputError, match="more than the fleet of 1"):
        fixed.vehicle_groups(1)


@pytest.mark.parametrize("data, message", [
    ({}, "expected"),
    ({"groups": [{"vehicles": "50%", "shifts": []}]}, "non-empty"),
    ({"groups": [{"shifts": [{"start": "6:00", "end": "5:00"}]}]}, "ends"),
    ({"groups": [{"shifts": [{"start": "25:99", "end": "26:00"}]}]}, "is not a time"),
    ({"groups": [{"shifts": [{"start": "06:00", "end": "14:00"}, {"start": "13:00", "end": "20:00"}]}]},
     "one shift at a time"),
    ({"groups": [{"shifts": [{"start": "06:00", "end": "14:00", "breaks": [["05:00", "05:30"]]}]}]},
     "inside the shift"),
    ({"groups": [{"vehicles": 1.5, "shifts": [{"start": "06:00", "end": "14:00"}]}]}, "vehicles must be"),
    ({"groups": [{"vehicles": 2, "shifts": [{"start": "06:00", "end": "14:00"}]}]}, "gives work to 2 vehicles"),
])
def test_shift_file_errors(data, message):
    with pytest.raises(SimulationInputError, match=message):
        parse_shift_plan(data).vehicle_groups(3)


def test_shift_file_is_read(tmp_path):
    path = tmp_path / "shifts.json"
    path.write_text(json.dumps({"groups": [{"vehicles": "100%", "shifts": [
        {"name": "day", "start": "06:30", "end": "11:30", "breaks": [["09:00", "09:20"]]}]}]}))
    plan = read_shift_plan(path)
    assert plan.groups[0].shifts[0].parts() == [(6.5 * H, 9 * H), (9 * H + 1200, 11.5 * H)]
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(SimulationInputError, match="not a JSON shift plan"):
        read_shift_plan(tmp_path / "bad.json")


MORNING = ServiceRules(operating_hours={d: ["07:00", "11:00"] for d in WEEKDAYS})
WITH_BREAK = parse_shift_plan({"groups": [{"vehicles": "100%", "shifts": [
    {"name": "morning", "start": "06:30", "end": "11:30", "breaks": [["09:00", "09:20"]]}]}],
    "return_margin_min": 20})


@pytest.fixture(scope="module")
def region(demo_network):
    return load_region("demo", network=demo_network)


def test_breaks_are_gaps_in_a_simulated_day(region):
    day_start, day = service_day(MORNING, "2025-09-16")
    plans = plan_fleet(region, 3, FleetConfig(), day_start, day, WITH_BREAK)
    assert len(plans) == 6 and {p.vehicle_id for p in plans} == {1, 2, 3}
    sim = Simulation(region, RunSpec(fleet=3, demand=0.08, seed=3, rules=MORNING, shift_plan=WITH_BREAK,
                                     riders=RiderConfig(cancel_share=0, no_show_share=0)))
    k = sim.run()
    assert k["served"] > 10 and sim.unfinished() == {"shifts_not_ended": 0, "bookings_active": 0}
    break_start, break_end = day_start + 9 * H, day_start + 9 * H + 1200
    for e in sim.events:
        if e.kind in (K.RIDER_BOARDED, K.RIDER_DROPPED_OFF, K.VEHICLE_DROVE):
            assert not break_start < e.time < break_end, e         # nobody is driven during the break
        if e.kind == K.SHIFT_ENDED:
            assert e.time <= e.data["end"] + 1800
    # paid: 5 h less the 20 min break per driver, more only where a part ran over
    assert k["driver_hours_paid"] >= 3 * (5 - 1 / 3) - 1e-6
    assert k["vehicles"] == 3 and k["shifts"] == 6
