"""Issue 17 items 3, 4, 5: series of rides booked as simulated days pass (injected clock), mobility
needs (boarding times, vehicle fit, driver card, operator list), fares from quote to driver card
and KPIs."""

from __future__ import annotations

import pytest

from api_support import Fleet, iso, local
from notify_support import *  # noqa: F401,F403 - fixtures channels, notify_api
from ride_pool.dispatch.fares import DEFAULT_TARIFF, fare
from ride_pool.dispatch.rules import RulesError, ServiceRules

pytestmark = pytest.mark.database     # CI runs these again on PostgreSQL


# --------------------------------------------------------------------------- fares (pure)
def daily_shifts(api, fleet, days) -> None:
    """A 06:00-20:00 shift of the fleet's first vehicle on each of ``days`` (days of the test month)."""
    for day in days:
        r = api.post("/api/v1/ops/shifts", headers=fleet.operator, json={
            "vehicle_id": fleet.vehicles[0]["id"], "start": iso(local(day, 6)), "end": iso(local(day, 20))})
        assert r.status_code == 201, r.text


def test_distance_tariff_and_group_fare():
    t = {**DEFAULT_TARIFF, "base_cents": 200, "per_km_cents": 40}
    # 12.3 km: 2.00 + 4.92 = 6.92 -> 6.90 (rounded to 10 cents)
    f = fare(t, 12_300, 4, {"child": 1, "ticket": 1, "companion": 1})
    assert f["full_cents"] == 690
    assert {line["category"]: (line["count"], line["each_cents"]) for line in f["lines"]} == {
        "adult": (1, 690), "child": (1, 345), "ticket": (1, 100), "companion": (1, 0)}
    assert f["total_cents"] == 690 + 345 + 100


def test_zone_tariff_reduced_and_free():
    t = {"model": "zones", "zones": [[5000, 250], [15000, 400], [None, 600]], "reduced_percent": 50,
         "free": ["free", "child_under_6"]}
    assert fare(t, 4_000, 1)["total_cents"] == 250
    assert fare(t, 15_000, 1)["total_cents"] == 400
    assert fare(t, 40_000, 3, {"reduced": 1, "free": 1, "child_under_6": 1})["total_cents"] == 300
    with pytest.raises(RulesError):
        ServiceRules(tariff={"model": "per_minute"})
    with pytest.raises(RulesError):
        ServiceRules(need_extra_s={"jetpack": 10})


# --------------------------------------------------------------------------- through the API
def test_needs_and_fare_flow_from_quote_to_driver_card_operator_list_and_kpis(notify_api):
    api = notify_api
    fleet = Fleet(api, seats=4, wheelchair_places=1)
    rider = api.register("gerda@example.org")
    base = api.offer(rider, fleet.stops[0], fleet.stops[1], pickup_after=iso(local(0, 11)))
    offer = api.offer(rider, fleet.stops[0], fleet.stops[1], pickup_after=iso(local(0, 11)), passengers=3,
                      needs=["rollator", "assistance"], fare_group={"child": 1, "ticket": 1})
    # the rules' extra seconds for the needs (rollator 60 + assistance 120) at boarding
    rules = ServiceRules()
    extra = rules.need_extra_s["rollator"] + rules.need_extra_s["assistance"]
    from datetime import datetime
    ride = lambda o: (datetime.fromisoformat(o["planned_dropoff"]) -   # noqa: E731
                      datetime.fromisoformat(o["planned_pickup"])).total_seconds()
    assert ride(offer) - ride(base) == extra
    # the group's fare: adult + child (half) + Deutschlandticket holder (1 EUR)
    full = offer["fare"]["full_cents"]
    assert offer["fare"]["total_cents"] == full + full // 2 + 100
    assert offer["needs"] == ["assistance", "rollator"]
    r = api.book(rider, offer["offer_id"], key="needs-1")
    assert r.status_code == 201, r.text
    booking = r.json()
    assert booking["fare_cents"] == offer["fare"]["total_cents"] and booking["needs"] == ["assistance", "rollator"]
    # the operator's list
    listed = api.get("/api/v1/ops/bookings", headers=fleet.operator).json()
    assert [(b["needs"], b["fare_cents"]) for b in listed] == [(["assistance", "rollator"], booking["fare_cents"])]
    # the driver's card: needs and what to collect at the pickup
    driver = fleet.drivers[0]
    r = api.post("/api/v1/driver/shift/start", headers=driver, json={"vehicle_id": fleet.vehicles[0]["id"]})
    assert r.status_code == 200, r.text
    route = api.get("/api/v1/driver/route", headers=driver).json()
    pickup = next(s for s in route["steps"] if s["kind"] == "pickup")
    assert [(p["needs"], p["fare_cents"]) for p in pickup["riders"]] == [(["assistance", "rollator"],
                                                                         booking["fare_cents"])]
    dropoff = next(s for s in route["steps"] if s["kind"] == "dropoff")
    assert dropoff["riders"][0]["fare_cents"] is None
    # KPIs: booked, then collected once the rider boarded
    kpis = api.get("/api/v1/ops/kpis", headers=fleet.operator).json()
    assert kpis["fare_booked_eur"] == booking["fare_cents"] / 100 and kpis["fare_revenue_eur"] == 0
    bid = booking["booking_id"]
    api.clock.set(local(0, 11, 5))
    for report in ("arrived", "boarded"):
        r = api.post(f"/api/v1/driver/bookings/{bid}/{report}", headers=driver)
        assert r.status_code == 200, r.text
    kpis = api.get("/api/v1/ops/kpis", headers=fleet.operator).json()
    assert kpis["fare_revenue_eur"] == booking["fare_cents"] / 100


def test_vehicle_fit_for_a_pushchair_and_an_own_wheelchair(notify_api):
    api = notify_api
    fleet = Fleet(api, seats=4, wheelchair_places=1, vehicles=2)
    rider = api.register("hanna@example.org")
    first, second = (v["id"] for v in fleet.vehicles)
    # no vehicle has pushchair space yet: nothing fits
    r = api.quote(rider, fleet.stops[0], fleet.stops[1], pickup_after=iso(local(0, 11)), passengers=2,
                  needs=["pushchair"])
    assert r.status_code == 200 and r.json()["offers"] == [], r.text
    # the reason names the need (another time would not help), in German by default
    reason = api.quote({**rider, "Accept-Language": "de"}, fleet.stops[0], fleet.stops[1],
                       pickup_after=iso(local(0, 11)), passengers=2, needs=["pushchair"]).json()["reason"]
    assert reason["code"] == "no_vehicle_fits" and "Kinderwagen" in reason["message"], reason
    r = api.put(f"/api/v1/ops/vehicles/{second}/features", headers=fleet.operator, json={"features": ["pushchair"]})
    assert r.status_code == 200, r.text
    listed = {v["id"]: v["features"] for v in api.get("/api/v1/ops/vehicles", headers=fleet.operator).json()}
    assert listed == {first: None, second: ["pushchair"]}
    offer = api.offer(rider, fleet.stops[0], fleet.stops[1], pickup_after=iso(local(0, 11)), passengers=2,
                      needs=["pushchair"])
    booking = api.book(rider, offer["offer_id"], key="pushchair").json()
    assert booking["vehicle"]["vehicle_id"] == second
    # an own wheelchair needs a ramp or lift: the second vehicle now has features without one
    offer = api.offer(rider, fleet.stops[0], fleet.stops[1], pickup_after=iso(local(0, 11)),
                      needs=["wheelchair_own"])
    assert offer["wheelchairs"] == 1           # rides in a wheelchair place
    booking = api.book(rider, offer["offer_id"], key="wheelchair").json()
    assert booking["vehicle"]["vehicle_id"] == first
    r = api.quote(rider, fleet.stops[0], fleet.stops[1], needs=["jetpack"])
    assert r.status_code == 422 and r.json()["detail"]["code"] == "need_unknown"


def test_profile_needs_and_fare_group_are_the_default_of_a_quote(notify_api):
    api = notify_api
    fleet = Fleet(api, seats=4)
    rider = api.register("ida@example.org")
    r = api.put("/api/v1/me/profile", headers=rider, json={"needs": ["guide_dog"], "fare_group": {"reduced": 1}})
    assert r.status_code == 200, r.text
    offer = api.offer(rider, fleet.stops[0], fleet.stops[1], pickup_after=iso(local(0, 11)))
    assert offer["needs"] == ["guide_dog"]
    half = offer["fare"]["full_cents"] // 2
    assert offer["fare"]["lines"] == [{"category": "reduced", "count": 1, "each_cents": half, "cents": half}]


# --------------------------------------------------------------------------- series
def test_series_books_each_ride_as_it_enters_the_horizon_skips_holidays_and_reports_refusals(notify_api):
    """Every Mon, Wed, Fri at 10:00 from Monday 30 March to Friday 10 April 2026: the simulated
    days pass from Friday 27 March; each ride is booked when it comes within the 7-day horizon.
    Good Friday (3 April) and Easter Monday (6 April) are public holidays in Saxony: the
    operator's series skips them, the rider's does not. No vehicle runs on 10 April: refused,
    told to the rider by e-mail and listed for the operator."""
    api = notify_api
    fleet = Fleet(api, seats=4)
    op = fleet.operator
    r = api.put("/api/v1/ops/service-area", headers=op, json={"rules": {"max_active_bookings": 20,
                                                                       "max_seats_per_rider": 20}})
    assert r.status_code == 200, r.text
    daily_shifts(api, fleet, range(27, 38))          # 30 March .. 9 April (none on 10 April)
    rider = api.register("jana@example.org")
    api.clock.set(local(24, 9))        # Friday 27 March 2026, 09:00
    body = {"origin": fleet.stops[0], "destination": fleet.stops[1], "weekdays": ["mon", "wed", "fri"],
            "pickup_time": "10:00", "first_date": "2026-03-30", "until": "2026-04-10"}
    r = api.post("/api/v1/series", headers=rider, json=body)
    assert r.status_code == 201, r.text
    mine = r.json()
    # within 7 days of Fri 27 March 09:00: Mon 30 March, Wed 1 April, Fri 3 April
    assert sorted((o["date"], o["status"]) for o in mine["occurrences"]) == [
        ("2026-03-30", "booked"), ("2026-04-01", "booked"), ("2026-04-03", "booked")]
    r = api.post("/api/v1/ops/series", headers=op, json={**body, "caller_name": "Herr Krause",
                                                         "caller_phone": "0171 3333333", "sms_consent": True,
                                                         "skip_holidays": True})
    assert r.status_code == 201, r.text
    phone = r.json()
    assert sorted((o["date"], o["status"]) for o in phone["occurrences"]) == [
        ("2026-03-30", "booked"), ("2026-04-01", "booked"), ("2026-04-03", "holiday")]
    service = api.service
    for day in range(25, 39):          # the days pass: each morning the job runs
        api.clock.set(local(day, 9))
        service.sender.run_once()
    series = {s["id"]: s for s in api.get("/api/v1/ops/series", headers=op).json()}
    got = {sid: sorted((o["date"], o["status"]) for o in s["occurrences"]) for sid, s in series.items()}
    assert got[mine["id"]] == [("2026-03-30", "booked"), ("2026-04-01", "booked"), ("2026-04-03", "booked"),
                               ("2026-04-06", "booked"), ("2026-04-08", "booked"), ("2026-04-10", "refused")]
    assert got[phone["id"]] == [("2026-03-30", "booked"), ("2026-04-01", "booked"), ("2026-04-03", "holiday"),
                                ("2026-04-06", "holiday"), ("2026-04-08", "booked"), ("2026-04-10", "refused")]
    # each booked ride is a normal booking at the series' time, with the series id
    from ride_pool.db.engine import read_session
    from ride_pool.db.models import BookingRow
    with read_session(service.engine) as s:
        booked = s.query(BookingRow).filter(BookingRow.series_id == mine["id"]).all()
        assert len(booked) == 5
        for b in booked:       # 10:00 local on its day (summer time from 29 March) lies in the window
            from datetime import datetime

            from api_support import BERLIN
            day = datetime.fromtimestamp(b.pickup_earliest, BERLIN)
            ten = int(day.replace(hour=10, minute=0, second=0).timestamp())
            assert b.pickup_earliest <= ten <= b.pickup_latest and b.series_id == mine["id"]
    refusals = api.get("/api/v1/ops/series/refusals", headers=op).json()
    assert sorted((x["series_id"], x["date"]) for x in refusals) == [(mine["id"], "2026-04-10"),
                                                                     (phone["id"], "2026-04-10")]
    assert refusals[0]["cause"]
    # the rider hears about the refusal (e-mail), the caller by SMS (consent recorded)
    subjects = [m.subject for m in api.mailbox.wait_for("jana@example.org", 6)]
    assert subjects.count("Fahrt Ihrer Serie nicht gebucht") == 1 and subjects.count("Fahrt bestätigt") == 5
    texts = [r["json"]["text"] for r in api.sms.delivered() if r["json"]["to"] == "0171 3333333"]
    assert sum("konnte nicht gebucht werden" in t for t in texts) == 1 and len(texts) == 4


def test_a_riders_series_takes_the_needs_of_the_profile(notify_api):
    # a Rollator noted in "Mein Konto" travels on every ride of a series set up without needs
    api = notify_api
    fleet = Fleet(api, seats=4)
    op = fleet.operator
    daily_shifts(api, fleet, range(1, 10))
    assert api.put(f"/api/v1/ops/vehicles/{fleet.vehicles[0]['id']}/features", headers=op,
                   json={"features": ["low_floor"]}).status_code == 200
    rider = api.register("gertrud@example.org")
    assert api.put("/api/v1/me/profile", headers=rider, json={"needs": ["rollator"]}).status_code == 200
    r = api.post("/api/v1/series", headers=rider, json={
        "origin": fleet.stops[0], "destination": fleet.stops[1], "weekdays": ["wed", "thu"],
        "pickup_time": "08:30", "until": "2026-03-20"})
    assert r.status_code == 201, r.text
    from ride_pool.db.engine import read_session
    from ride_pool.db.models import BookingRow
    with read_session(api.service.engine) as s:
        booked = s.query(BookingRow).filter(BookingRow.series_id == r.json()["id"]).all()
        assert len(booked) == 2 and all(b.needs == ["rollator"] for b in booked)


def test_pausing_and_ending_a_series(notify_api):
    api = notify_api
    fleet = Fleet(api, seats=4)
    daily_shifts(api, fleet, range(1, 10))
    rider = api.register("karl@example.org")
    r = api.post("/api/v1/series", headers=rider, json={
        "origin": fleet.stops[0], "destination": fleet.stops[1], "weekdays": ["wed", "thu"],
        "pickup_time": "08:30", "until": "2026-03-20"})
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    assert [o["date"] for o in r.json()["occurrences"] if o["status"] == "booked"] == ["2026-03-05", "2026-03-04"]
    r = api.post(f"/api/v1/series/{sid}/pause", headers=rider)
    assert r.status_code == 200 and r.json()["status"] == "paused"
    api.clock.set(local(3, 9))     # Friday: Wednesday 11 March enters the horizon, but paused
    api.service.sender.run_once()
    assert len(api.get("/api/v1/series", headers=rider).json()[0]["occurrences"]) == 2
    r = api.post(f"/api/v1/series/{sid}/resume", headers=rider)
    assert sorted((o["date"], o["status"]) for o in r.json()["occurrences"]) == [
        ("2026-03-04", "booked"), ("2026-03-05", "booked"), ("2026-03-11", "booked"), ("2026-03-12", "booked")]
    assert api.post(f"/api/v1/series/{sid}/end", headers=rider).json()["status"] == "ended"
    r = api.post(f"/api/v1/series/{sid}/resume", headers=rider)
    assert r.status_code == 409 and r.json()["detail"]["code"] == "series_ended"
    other = api.register("lena@example.org")
    assert api.post(f"/api/v1/series/{sid}/pause", headers=other).status_code == 404
    r = api.post("/api/v1/series", headers=rider, json={
        "origin": fleet.stops[0], "destination": fleet.stops[1], "weekdays": ["someday"],
        "pickup_time": "08:30", "until": "2026-03-20"})
    assert r.status_code == 422 and r.json()["detail"]["code"] == "series_invalid"


def test_a_ride_booked_before_a_crash_is_recorded_not_booked_again(notify_api):
    """The booking of an occurrence commits before its record: after a crash in between, the next
    run finds the booking by its idempotency key instead of booking (or refusing) again."""
    from ride_pool.db import series as rows
    api = notify_api
    fleet = Fleet(api, seats=4)
    daily_shifts(api, fleet, range(1, 4))
    rider = api.register("mara@example.org")
    r = api.post("/api/v1/series", headers=rider, json={
        "origin": fleet.stops[0], "destination": fleet.stops[1], "weekdays": ["wed"],
        "pickup_time": "08:30", "until": "2026-03-04"})
    assert r.status_code == 201, r.text
    series = r.json()
    booking_id = series["occurrences"][0]["booking_id"]
    # forget the record, as if the process had died right after the booking
    from ride_pool.db.engine import write_session
    from ride_pool.db.models import SeriesOccurrence
    with write_session(api.service.engine) as s:
        s.query(SeriesOccurrence).delete()
    assert api.service.series.run_once() == 1
    again = rows.occurrences(api.service.engine, series_id=series["id"])
    assert [(o["status"], o["booking_id"]) for o in again] == [("booked", booking_id)]
    assert len([b for b in api.service.dispatcher.bookings.values() if b.series_id == series["id"]]) == 1
