"""Issue 16 item 5 over HTTP: the API answers in German by default and in English with
``Accept-Language: en``, errors and refusals as ``{"detail": {"code", "message"}}``; a quote for
"as soon as possible" says why the offered time is what it is (``time_reason``)."""

from __future__ import annotations

from api_support import *  # noqa: F401,F403 - fixtures api, demo_api, clock and helpers
from api_support import RIDER, iso, local

GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}
NO_PREFERENCE = {"Accept-Language": ""}
ENGLISH = {"Accept-Language": "en"}
COSWIG = "Coswig, Bahnhof"
KLIPPHAUSEN = "Klipphausen, Zentrum"


def detail(r) -> dict:
    body = r.json()
    assert set(body) == {"detail"} and {"code", "message"} <= set(body["detail"]), body
    return body["detail"]


def test_errors_are_german_by_default_and_english_on_request(api):
    for headers in (GERMAN, NO_PREFERENCE):
        d = detail(api.client.get("/api/v1/bookings", headers=headers))
        assert d["code"] == "not_authenticated" and d["message"].startswith("Bitte melden Sie sich zuerst an"), d
        d = detail(api.client.get("/api/v1/nowhere", headers=headers))
        assert d["code"] == "not_found" and "Diese Adresse gibt es nicht: GET /api/v1/nowhere" in d["message"], d
    d = detail(api.client.get("/api/v1/bookings", headers=ENGLISH))
    assert d["message"].startswith("log in first"), d
    # a refused request body: pydantic's checks in German too
    rider = api.register("erika@example.org", "Dorfstrasse-zwoelf")
    r = api.client.post("/api/v1/quotes", headers={**rider, **GERMAN}, json={
        "origin": {"lat": 51.13, "lon": 13.58}, "destination": {"lat": 51.07, "lon": 13.52}, "passengers": 0})
    d = detail(r)
    assert r.status_code == 422 and "passengers: muss mindestens 1 sein" in d["message"], d
    r = api.client.post("/api/v1/auth/token", headers=GERMAN, data={"username": "erika@example.org",
                                                                     "password": "falsch-falsch"})
    assert detail(r)["message"] == "E-Mail oder Passwort ist falsch."


def test_a_refusal_names_the_rule_in_german(demo_api):
    rider = demo_api.headers(*RIDER)
    r = demo_api.client.post("/api/v1/quotes", headers={**rider, **GERMAN}, json={
        "origin": demo_api.stop(COSWIG), "destination": demo_api.stop(KLIPPHAUSEN),
        "pickup_after": iso(local(0, 23, 30))})
    reason = r.json()["reason"]
    assert reason == {"code": "outside_operating_hours",
                      "message": "Die Fahrt liegt außerhalb der Betriebszeiten (Mo–So 05:00–23:00)."}, reason
    r = demo_api.client.post("/api/v1/quotes", headers={**rider, **GERMAN}, json={
        "origin": demo_api.stop(COSWIG), "destination": demo_api.stop(KLIPPHAUSEN),
        "pickup_after": iso(local(0, 9, 10))})
    assert r.json()["reason"]["code"] == "min_lead_time"
    assert "mindestens 30 Min. im Voraus" in r.json()["reason"]["message"]


def test_as_soon_as_possible_at_night_says_why(demo_api, clock):
    op = demo_api.operator
    hours = {d: ["08:00", "20:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    r = demo_api.put("/api/v1/ops/service-area", headers=op, json={"rules": {"operating_hours": hours,
                                                                             "early_trip_before": None}})
    assert r.status_code == 200, r.text
    clock.set(local(1, 0, 20))            # Wednesday 00:20: the service opens at 08:00
    rider = demo_api.headers(*RIDER)
    body = {"origin": demo_api.stop(COSWIG),
            "destination": demo_api.stop(KLIPPHAUSEN)}
    out = demo_api.client.post("/api/v1/quotes", headers={**rider, **GERMAN}, json=body).json()
    assert out["offers"] and out["offers"][0]["pickup_earliest"] == iso(local(1, 8, 0)), out
    assert out["time_reason"] == {"code": "earliest_operating_hours", "message": "Der Rufbus fährt erst wieder ab "
                                  "heute 08:00 Uhr (Betriebszeiten: Mo–So 08:00–20:00)."}
    out = demo_api.client.post("/api/v1/quotes", headers={**rider, **ENGLISH}, json=body).json()
    assert out["time_reason"]["message"] == \
        "the service runs again from today 08:00 (operating hours: Mon–Sun 08:00–20:00)"
    # during the day the lead time decides
    clock.set(local(1, 9, 0))
    out = demo_api.client.post("/api/v1/quotes", headers={**rider, **GERMAN}, json=body).json()
    assert out["time_reason"]["code"] == "earliest_lead_time", out
    assert "30 Min." in out["time_reason"]["message"]


def test_kpi_causes_have_names_in_german(demo_api):
    rider = demo_api.headers(*RIDER)
    demo_api.quote(rider, demo_api.stop(COSWIG), demo_api.stop(KLIPPHAUSEN), pickup_after=iso(local(0, 23, 30)))
    kpis = demo_api.client.get("/api/v1/ops/kpis", headers={**demo_api.operator, **GERMAN}).json()
    assert kpis["rejections_by_cause"] == {"outside_operating_hours": 1}, kpis
    assert kpis["cause_names"] == {"outside_operating_hours": "außerhalb der Betriebszeiten"}
    kpis = demo_api.client.get("/api/v1/ops/kpis", headers={**demo_api.operator, **ENGLISH}).json()
    assert kpis["cause_names"] == {"outside_operating_hours": "outside the operating hours"}
