"""Operating hours with several intervals per weekday and closed holidays (issue 15 item 6):
they apply to new quotes, never to confirmed promises."""

from __future__ import annotations

from api_support import *  # noqa: F401,F403 - fixtures api, clock and helpers
from api_support import Fleet, assert_problem, iso, local
from ride_pool.dispatch.rules import ServiceRules
from ride_pool.messages import Hours


def test_several_intervals_and_holidays_in_the_rules():
    hours = {d: [["05:00", "09:00"], ["14:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    rules = ServiceRules(operating_hours={**hours, "sat": ["08:00", "12:00"]}, holidays=["2026-03-05"])
    t = int(local(0, 8).timestamp())
    assert rules.operating_span(t) == (int(local(0, 5).timestamp()), int(local(0, 9).timestamp()))
    assert rules.operating_span(int(local(0, 11).timestamp())) is None
    assert rules.next_opening(int(local(0, 11).timestamp())) == int(local(0, 14).timestamp())
    assert rules.operating_span(int(local(2, 8).timestamp())) is None        # Thursday 5 March: a holiday
    assert rules.next_opening(int(local(1, 21).timestamp())) == int(local(3, 5).timestamp())   # Friday
    assert Hours.of(rules.operating_hours).render("de") == "Mo–Fr 05:00–09:00 / 14:00–20:00, Sa 08:00–12:00"
    assert ServiceRules.from_dict(rules.to_dict()) == rules


def test_hours_changed_in_the_api_apply_to_new_quotes_not_to_promises(api):
    fleet = Fleet(api, seats=2, vehicles=1)
    op = fleet.operator
    rider = api.register("r@example.org")
    kept = api.book(rider, api.offer(rider, *fleet.stops, pickup_after=iso(local(0, 11)))["offer_id"]).json()
    hours = {d: [["05:00", "09:00"], ["14:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    r = api.put("/api/v1/ops/service-area", headers=op, json={"rules": {"operating_hours": hours,
                                                                        "holidays": ["2026-03-04"]}})
    assert r.status_code == 200, r.text
    assert r.json()["rules"]["holidays"] == ["2026-03-04"]
    assert r.json()["rules"]["operating_hours"]["mon"] == [["05:00", "09:00"], ["14:00", "20:00"]]
    # a new quote at 11:00 is refused (or moved to the afternoon); the booking made before stands
    q = api.quote(rider, *fleet.stops, pickup_after=iso(local(0, 11)))
    assert q.status_code == 200
    assert q.json()["offers"] == [] or q.json()["offers"][0]["pickup_earliest"] >= iso(local(0, 14))
    assert api.booking(rider, kept["booking_id"])["status"] == "confirmed"
    assert api.service.dispatcher.bookings[kept["booking_id"]].pickup_earliest == int(local(0, 11).timestamp())
    # bad hours: a clear 422 naming the weekday, in German by default
    for rules in ({"operating_hours": {"mon": [["05:00", "10:00"], ["09:00", "12:00"]]}},
                  {"holidays": ["5. März"]}, {"holidays": "2026-03-04"}):
        r = api.put("/api/v1/ops/service-area", headers={**op, "Accept-Language": "de"}, json={"rules": rules})
        assert r.status_code == 422, r.text
    detail = assert_problem(api.put("/api/v1/ops/service-area", headers=op, json={"rules": {
        "operating_hours": {"mon": [["05:00", "10:00"], ["09:00", "12:00"]]}}}), 422)
    assert "overlap" in detail["message"]
