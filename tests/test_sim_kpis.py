"""The planning KPIs (simulations/kpis.py) on a hand-made event log: every formula of the README's KPI
section checked against numbers worked out by hand."""

from __future__ import annotations

import json

import pytest

from ride_pool.dispatch.domain import Event
from ride_pool.dispatch.domain import EventKind as K
from simulations.errors import SimulationInputError
from simulations.kpis import DROPPED_KEYS, CostModel, standard_kpis


def request(t, quote, requested, direct_s, direct_m, passengers=1, wheelchairs=0):
    return Event(t, K.REQUEST_RECEIVED, "simulation", data={
        "quote_id": quote, "requested_time": requested, "direct_s": direct_s, "direct_m": direct_m,
        "passengers": passengers, "wheelchairs": wheelchairs, "channel": "simulation"})


def confirmed(t, quote, booking, vehicle, requested, earliest, passengers=1):
    return Event(t, K.BOOKING_CONFIRMED, "simulation", booking_id=booking, vehicle_id=vehicle, shift_id=vehicle,
                 data={"quote_id": quote, "offer_id": "o" + quote, "requested_time": requested,
                       "pickup_earliest": earliest, "pickup_latest": earliest + 1200, "passengers": passengers})


def drove(t, vehicle, shift, metres, on_board, seconds=120, purpose="service"):
    return Event(t, K.VEHICLE_DROVE, purpose, vehicle_id=vehicle, shift_id=shift, data={
        "distance_m": metres, "duration_s": seconds, "passengers": on_board, "purpose": purpose})


def shift_events(shift, vehicle, start, end, started, ended):
    return [Event(0, K.SHIFT_ADDED, "operator", vehicle_id=vehicle, shift_id=shift, data={"start": start, "end": end}),
            Event(started, K.SHIFT_STARTED, "driver", vehicle_id=vehicle, shift_id=shift,
                  data={"start": start, "end": end}),
            Event(ended, K.SHIFT_ENDED, "driver", vehicle_id=vehicle, shift_id=shift,
                  data={"start": start, "end": end})]


def day_log():
    """Vehicle 1 drives two shift parts around a break (the first one runs 5 min over), vehicle 2 one
    shift it starts 10 min late; two served bookings pooled on vehicle 1, two rejected requests."""
    return [
        *shift_events(1, 1, 0, 7200, 0, 7500), *shift_events(2, 1, 9000, 10800, 9000, 10800),
        *shift_events(3, 2, 0, 3600, 600, 3600),
        request(100, "q1", 1000, 600, 6000), confirmed(100, "q1", "b1", 1, 1000, 1000),
        request(200, "q2", 1200, 300, 3000, passengers=2), confirmed(200, "q2", "b2", 1, 1200, 1500, passengers=2),
        request(300, "q3", 5000, 600, 6000),
        Event(300, K.REQUEST_REJECTED, "no_vehicle_available", data={"quote_id": "q3"}),
        request(400, "q4", 9000, 600, 6000, wheelchairs=1),
        Event(400, K.REQUEST_REJECTED, "min_lead_time", data={"quote_id": "q4"}),
        drove(1300, 1, 1, 2000, 0),
        Event(1300, K.RIDER_BOARDED, "driver", booking_id="b1", vehicle_id=1, shift_id=1, data={"passengers": 1}),
        drove(1500, 1, 1, 1000, 1),
        Event(1500, K.RIDER_BOARDED, "driver", booking_id="b2", vehicle_id=1, shift_id=1, data={"passengers": 2}),
        drove(1900, 1, 1, 3000, 3),
        Event(1900, K.RIDER_DROPPED_OFF, "driver", booking_id="b2", vehicle_id=1, shift_id=1,
              data={"ride_s": 400, "direct_s": 300, "direct_m": 3000, "passengers": 2}),
        drove(2300, 1, 1, 2000, 1),
        Event(2300, K.RIDER_DROPPED_OFF, "driver", booking_id="b1", vehicle_id=1, shift_id=1,
              data={"ride_s": 1000, "direct_s": 600, "direct_m": 6000, "passengers": 1}),
        drove(7500, 1, 1, 5000, 0, seconds=600, purpose="depot"),
    ]


COSTS = CostModel(driver_eur_per_paid_hour=30, vehicle_eur_per_day=50, eur_per_km=0.5, control_centre_eur_per_day=100,
                  overhead_share=0.1, fare_eur_per_passenger=2.0, co2_kg_per_km=0.2)


@pytest.fixture(scope="module")
def k():
    return standard_kpis(day_log(), COSTS)


def test_misleading_keys_are_gone(k):
    for key in DROPPED_KEYS:
        assert key not in k or key == "cost_total_eur", key       # cost_total_eur: now from the cost model
    assert k["served"] == 2 and k["served_passengers"] == 3 and k["requests"] == 4


def test_hours_revenue_and_paid(k):
    # in service 7500 + 1800 + 3000 s, less the 600 s drive back to the depot
    assert k["revenue_hours"] == pytest.approx(11700 / 3600, abs=1e-4)
    # paid: planned shifts, the first one 300 s longer (ran over), the late start still paid from 0
    assert k["driver_hours_paid"] == pytest.approx((7500 + 1800 + 3600) / 3600, abs=1e-4)
    assert k["vehicles"] == 2
    assert k["passengers_per_vehicle_hour"] == pytest.approx(3 / (11700 / 3600), abs=1e-3)


def test_loads_detour_and_deadhead(k):
    # legs (km × on board): 2×0, 1×1, 3×3, 2×1, 5×0 → 12 pkm on 13 vkm; 6 occupied km carry 12 pkm
    assert k["mean_load_on_board"] == pytest.approx(12 / 13, abs=1e-4)
    assert k["mean_load_when_occupied"] == pytest.approx(2.0)
    assert k["deadhead_km"] == 7.0 and k["empty_km_share"] == pytest.approx(7 / 13, abs=1e-4)
    # Σ ride ÷ Σ direct, not the mean of the ratios (which would be 1.5)
    assert k["detour_ratio"] == pytest.approx(1400 / 900, abs=1e-4)
    assert k["detour_ratio_trip_p95"] == pytest.approx(4 / 3 + 0.95 * (5 / 3 - 4 / 3), abs=1e-4)
    assert k["pooled_share"] == 1.0


def test_waits_from_requested_time_and_from_window(k):
    # b1: asked 1000, window from 1000, boarded 1300; b2: asked 1200, window from 1500, boarded 1500
    assert k["wait_from_requested_mean_s"] == 300 and k["wait_from_requested_p95_s"] == 300
    assert k["wait_from_window_mean_s"] == 150
    assert k["wait_from_window_p95_s"] == pytest.approx(285.0)
    assert k["booking_lead_mean_s"] == pytest.approx((900 + 1000) / 2)


def test_costs_subsidy_co2(k):
    driver = (12900 / 3600) * 30
    direct = driver + 2 * 50 + 13 * 0.5 + 100
    assert k["cost_driver_eur"] == pytest.approx(driver, abs=0.01)
    assert k["cost_vehicles_eur"] == 100 and k["cost_km_eur"] == 6.5 and k["cost_control_centre_eur"] == 100
    assert k["cost_total_eur"] == pytest.approx(direct * 1.1, abs=0.01)
    assert k["cost_overhead_eur"] == pytest.approx(direct * 0.1, abs=0.01)
    assert k["cost_per_passenger_eur"] == pytest.approx(direct * 1.1 / 3, abs=0.01)
    assert k["fare_revenue_eur"] == 6.0
    assert k["subsidy_per_passenger_eur"] == pytest.approx((direct * 1.1 - 6) / 3, abs=0.01)
    assert k["co2_kg"] == pytest.approx(13 * 0.2)


def test_no_fares_no_subsidy():
    k = standard_kpis(day_log(), CostModel())
    assert k["fare_revenue_eur"] is None and k["subsidy_per_passenger_eur"] is None
    assert k["cost_per_passenger_eur"] is not None


def test_rejected_share_by_cause(k):
    assert k["rejected_share"] == 0.5
    assert k["rejected_share_by_cause"] == {"min_lead_time": 0.25, "no_vehicle_available": 0.25}


def test_peak_hour_demand(k):
    # asked-for pickups at 1000 and 1200 fall in [900, 4500): 900 s direct driving, 2 × 90 s stops
    assert k["peak_hour_start_s"] == 900 and k["peak_hour_requests"] == 2
    assert k["peak_hour_direct_hours"] == pytest.approx(0.25) and k["peak_hour_stop_hours"] == pytest.approx(0.05)
    # relative to a day start, the wheelchair trip's stop time counts twice the extra (on and off)
    late = standard_kpis([request(0, "q", 40_000, 600, 6000, wheelchairs=1)], day_start=36_000)
    assert late["peak_hour_start_s"] == 3600
    assert late["peak_hour_stop_hours"] == pytest.approx((90 + 240) / 3600, abs=1e-4)


def test_empty_log_and_json():
    k = standard_kpis([])
    for key in ("passengers_per_vehicle_hour", "mean_load_on_board", "detour_ratio", "wait_from_window_p95_s",
                "booking_lead_mean_s", "cost_per_passenger_eur", "rejected_share", "peak_hour_start_s"):
        assert k[key] is None, key
    json.dumps(k, allow_nan=False)
    json.dumps(standard_kpis(day_log(), COSTS), allow_nan=False)


def test_cost_model_checks():
    with pytest.raises(SimulationInputError, match="driver_eur_per_paid_hour"):
        CostModel(driver_eur_per_paid_hour=-1)
    with pytest.raises(SimulationInputError, match="overhead_share"):
        CostModel(overhead_share=15)
    with pytest.raises(SimulationInputError, match="unknown field"):
        CostModel.from_mapping({"driver_eur_per_hour": 30})
    assert CostModel.from_mapping({"fare_eur_per_passenger": 2.5}).fare_eur_per_passenger == 2.5
