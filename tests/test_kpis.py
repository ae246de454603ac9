"""KPIs from handmade event logs: counts, outcome partition, waits, occupancy, pooling, hours, cost,
partial logs and JSON safety."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

from ride_pool.dispatch.domain import Event
from ride_pool.dispatch.domain import EventKind as K
from ride_pool.dispatch.kpis import OUTCOMES, CostModel, compute_kpis


def request(t, quote, requested, direct_s=600, direct_m=6000, passengers=1):
    return Event(t, K.REQUEST_RECEIVED, "simulation", data={
        "quote_id": quote, "requested_time": requested, "direct_s": direct_s, "direct_m": direct_m,
        "passengers": passengers, "wheelchairs": 0, "channel": "simulation"})


def offer(t, quote, offer_id):
    return Event(t, K.OFFER_MADE, "dispatcher", data={"quote_id": quote, "offer_id": offer_id})


def confirmed(t, quote, offer_id, booking, vehicle, passengers=1, direct_s=600, direct_m=6000):
    return Event(t, K.BOOKING_CONFIRMED, "simulation", booking_id=booking, vehicle_id=vehicle, shift_id=vehicle,
                 data={"quote_id": quote, "offer_id": offer_id, "passengers": passengers, "direct_s": direct_s,
                       "direct_m": direct_m})


def drove(t, vehicle, metres, passengers, seconds=60, purpose="service"):
    return Event(t, K.VEHICLE_DROVE, purpose, vehicle_id=vehicle, shift_id=vehicle, data={
        "distance_m": metres, "duration_s": seconds, "passengers": passengers, "purpose": purpose})


def boarded(t, booking, vehicle, wait_s=0, late_s=0):
    return Event(t, K.RIDER_BOARDED, "driver", booking_id=booking, vehicle_id=vehicle, shift_id=vehicle,
                 data={"wait_s": wait_s, "late_s": late_s})


def dropped(t, booking, vehicle, ride_s, direct_s, direct_m, passengers=1):
    return Event(t, K.RIDER_DROPPED_OFF, "driver", booking_id=booking, vehicle_id=vehicle, shift_id=vehicle,
                 data={"ride_s": ride_s, "direct_s": direct_s, "direct_m": direct_m, "passengers": passengers})


def day_log():
    """Two shifts, eight requests with every outcome, one pooled pair on vehicle 1."""
    return [
        Event(0, K.SHIFT_STARTED, "driver", vehicle_id=1, shift_id=1, data={"start": 0, "end": 3600}),
        Event(0, K.SHIFT_STARTED, "driver", vehicle_id=2, shift_id=2, data={"start": 0, "end": 7200}),
        request(10, "q1", 100, 600, 6000), offer(10, "q1", "o1"), confirmed(10, "q1", "o1", "b1", 1),
        request(20, "q2", 200, 300, 3000, passengers=2), offer(20, "q2", "o2"),
        confirmed(20, "q2", "o2", "b2", 1, passengers=2, direct_s=300, direct_m=3000),
        request(30, "q3", 300),
        Event(30, K.REQUEST_REJECTED, "no_vehicle_available", data={"quote_id": "q3"}),
        request(40, "q4", 400), offer(40, "q4", "o4"),
        Event(40, K.OFFER_DECLINED, "pickup_too_late", data={"offer_id": "o4", "quote_id": "q4"}),
        request(50, "q5", 500), offer(50, "q5", "o5"), confirmed(50, "q5", "o5", "b5", 2),
        request(60, "q6", 600), offer(60, "q6", "o6"), confirmed(60, "q6", "o6", "b6", 2),
        request(70, "q7", 700), offer(70, "q7", "o7"),
        Event(70, K.BOOKING_REFUSED, "offer_expired", data={"offer_id": "o7", "quote_id": "q7"}),
        request(80, "q8", 800), offer(80, "q8", "o8"),   # never answered
        drove(150, 1, 2000, 0),
        boarded(160, "b1", 1, wait_s=60),
        drove(250, 1, 1000, 1),
        boarded(260, "b2", 1, wait_s=60),
        Event(300, K.BOOKING_CANCELLED, "rider", booking_id="b5", vehicle_id=2),
        drove(600, 1, 3000, 3),
        dropped(600, "b2", 1, 340, 300, 3000, passengers=2),
        drove(900, 1, 2000, 1),
        dropped(900, "b1", 1, 740, 600, 6000),
        drove(1000, 2, 4000, 0),
        Event(1100, K.RIDER_NO_SHOW, "driver", booking_id="b6", vehicle_id=2),
        Event(3600, K.SHIFT_ENDED, "driver", vehicle_id=1, shift_id=1, data={"start": 0, "end": 3600}),
    ]


def test_counts_and_outcome_partition():
    k = compute_kpis(day_log())
    assert k["requests"] == 8 and k["offered"] == 7 and k["confirmed"] == 4
    assert k["rejected"] == 1 and k["rejections_by_cause"] == {"no_vehicle_available": 1}
    assert k["declined"] == 1 and k["refused"] == 1 and k["refusals_by_cause"] == {"offer_expired": 1}
    assert k["cancelled"] == 1 and k["cancellations_by_cause"] == {"rider": 1} and k["no_shows"] == 1
    assert k["served"] == 2 and k["served_passengers"] == 3
    assert k["outcomes"] == {"served": 2, "cancelled": 1, "no_show": 1, "open": 0, "refused": 1, "rejected": 1,
                             "declined": 1, "unanswered": 1}
    assert sum(k["outcomes"].values()) == k["requests"]
    assert list(k["outcomes"]) == list(OUTCOMES)
    assert k["served_share"] == 0.25
    assert k["served_share_net"] == pytest.approx(2 / 6, abs=1e-4)   # 8 requests − 1 rider cancel − 1 no-show


def test_waits_rides_detour_direct_km_pooling():
    k = compute_kpis(day_log())
    assert k["wait_mean_s"] == 60 and k["wait_p50_s"] == 60 and k["wait_p95_s"] == 60
    assert k["late_share"] == 0
    assert k["ride_mean_s"] == 540
    assert k["detour_ratio"] == pytest.approx((340 + 740) / (300 + 600), abs=1e-4)
    assert k["passenger_km"] == 12.0          # 1 × 6 km + 2 × 3 km
    assert k["vehicle_km"] == 12.0 and k["empty_km"] == 6.0
    assert k["direct_km_per_vehicle_km"] == 1.0 and k["empty_km_share"] == 0.5
    assert k["pooled_share"] == 1.0           # b2 boarded while b1 was on board
    assert k["driving_hours"] == pytest.approx(5 * 60 / 3600, abs=1e-4)


def test_wait_counts_from_the_requested_time_not_the_window():
    # the rider asked for 100 but took a later window: the event's wait_s (from the window) is 0
    log = [request(0, "q", 100), offer(0, "q", "o"), confirmed(0, "q", "o", "b", 1), boarded(1300, "b", 1, wait_s=0)]
    assert compute_kpis(log)["wait_mean_s"] == 1200
    # without the request in the log (a partial window), the dispatcher's wait_s stands in
    assert compute_kpis(log[2:])["wait_mean_s"] == 0


def test_boarding_before_the_asked_time_is_a_zero_wait_not_a_negative_one():
    log = [request(0, "q", 1000), offer(0, "q", "o"), confirmed(0, "q", "o", "b", 1), boarded(700, "b", 1, wait_s=-300)]
    assert compute_kpis(log)["wait_mean_s"] == 0
    assert compute_kpis(log[2:])["wait_mean_s"] == 0


def test_vehicle_hours_and_cost():
    k = compute_kpis(day_log())
    # shift 1: 0..3600; shift 2 still running: until the last event (3600)
    assert k["shifts"] == 2 and k["vehicle_hours"] == 2.0
    assert k["cost_total_eur"] == pytest.approx(2 * 35 + 12 * 0.35)
    assert k["cost_per_served_trip_eur"] == pytest.approx((2 * 35 + 12 * 0.35) / 2)
    later = compute_kpis(day_log(), now=7200)
    assert later["vehicle_hours"] == 3.0 and later["period_end"] == 7200
    cheap = compute_kpis(day_log(), CostModel(eur_per_vehicle_hour=10, eur_per_vehicle_km=1))
    assert cheap["cost_total_eur"] == pytest.approx(2 * 10 + 12 * 1)
    assert cheap["cost_model"] == {"eur_per_vehicle_hour": 10, "eur_per_vehicle_km": 1}
    with pytest.raises(ValueError, match="eur_per_vehicle_hour"):
        CostModel(eur_per_vehicle_hour=-1)


def test_sequential_trips_are_not_pooled_even_in_the_same_second():
    log = [
        confirmed(0, "qa", "oa", "a", 7), confirmed(0, "qb", "ob", "b", 7),
        boarded(10, "a", 7), dropped(20, "a", 7, 10, 10, 100),
        boarded(20, "b", 7), dropped(30, "b", 7, 10, 10, 100),   # b boards right after a got off
    ]
    assert compute_kpis(log)["pooled_share"] == 0.0


def test_rider_events_without_vehicle_fall_back_to_the_booking_vehicle():
    log = [confirmed(0, "qa", "oa", "a", 3), confirmed(0, "qb", "ob", "b", 3),
           dataclasses.replace(boarded(10, "a", 3), vehicle_id=None),
           dataclasses.replace(boarded(12, "b", 3), vehicle_id=None),
           dataclasses.replace(dropped(20, "a", 3, 10, 10, 100), vehicle_id=None),
           dataclasses.replace(dropped(25, "b", 3, 13, 10, 100), vehicle_id=None)]
    assert compute_kpis(log)["pooled_share"] == 1.0


def test_dicts_give_the_same_kpis_as_events():
    as_dicts = [{**dataclasses.asdict(e), "kind": e.kind.value} for e in day_log()]
    assert compute_kpis(as_dicts) == compute_kpis(day_log())


def test_empty_log_gives_none_not_nan_and_is_json_safe():
    k = compute_kpis([])
    assert k["requests"] == 0 and k["served"] == 0
    for key in ("served_share", "served_share_net", "wait_mean_s", "wait_p95_s", "direct_km_per_vehicle_km",
                "pooled_share", "detour_ratio", "empty_km_share", "cost_per_served_trip_eur", "period_start"):
        assert k[key] is None, key
    json.dumps(k, allow_nan=False)
    json.dumps(compute_kpis(day_log()), allow_nan=False)


def test_partial_log_starting_mid_day():
    # the window begins after the requests were made and the shift started
    log = day_log()[27:]
    assert log[0].kind == K.RIDER_BOARDED and log[0].time == 260
    k = compute_kpis(log)
    assert k["requests"] == 0 and k["served"] == 2 and k["served_share"] is None
    # shift 1 ended in the window: counted from the window's start
    assert k["shifts"] == 1 and k["vehicle_hours"] == pytest.approx((3600 - 260) / 3600, abs=1e-4)
    assert not any(isinstance(v, float) and math.isnan(v) for v in k.values())
    json.dumps(k, allow_nan=False)


def test_log_order_within_a_second_is_kept():
    log = day_log()
    shuffled = sorted(log, key=lambda e: -e.time)      # out of time order: stable sort restores it
    assert compute_kpis(shuffled)["requests"] == 8
    assert compute_kpis(shuffled)["served"] == 2


def test_a_rider_picked_up_again_after_a_breakdown_counts_once():
    # b1 boards vehicle 1, which breaks down; vehicle 2 picks the rider up where it stopped. b2
    # boards vehicle 1 later (back on the road): b1 pays once, waits once, and is not counted as
    # pooled with b2, because b1 had left vehicle 1 by then
    fare = {"total_cents": 400}
    log = [
        request(10, "q1", 100), offer(10, "q1", "o1"),
        dataclasses.replace(confirmed(10, "q1", "o1", "b1", 1),
                            data={**confirmed(10, "q1", "o1", "b1", 1).data, "fare_cents": 400, "fare": fare}),
        request(20, "q2", 200), offer(20, "q2", "o2"), confirmed(20, "q2", "o2", "b2", 1),
        boarded(100, "b1", 1, wait_s=0),
        Event(200, K.SHIFT_BROKE_DOWN, "operator", vehicle_id=1, shift_id=1),
        boarded(400, "b1", 2, wait_s=300),
        boarded(450, "b2", 1, wait_s=250),
        dropped(700, "b1", 2, ride_s=600, direct_s=600, direct_m=6000),
        dropped(800, "b2", 1, ride_s=350, direct_s=600, direct_m=6000),
    ]
    k = compute_kpis(log)
    assert k["fare_revenue_eur"] == 4.0                 # not 8.0
    assert k["served"] == 2
    assert k["pooled_share"] == 0.0                     # b1 had left vehicle 1 before b2 boarded it
