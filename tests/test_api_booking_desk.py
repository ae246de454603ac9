"""The operator's bookings desk (issue 15 item 7): search by rider name, phone, booking id, stop and
day, filter by status, finished, cancelled and refused requests with their causes, CSV export with
formulas escaped."""

from __future__ import annotations

import csv
import io

from api_support import *  # noqa: F401,F403 - fixtures api, clock and helpers
from api_support import Fleet, assert_problem, iso, local


def test_search_filter_and_export(api, clock):
    fleet = Fleet(api, seats=1, vehicles=1)
    op = fleet.operator
    anna = api.register("anna@example.org", name="Anna Schulze")
    bernd = api.register("bernd@example.org", name="Bernd Krause")
    a = api.book(anna, api.offer(anna, *fleet.stops, pickup_after=iso(local(0, 10)))["offer_id"]).json()
    b = api.book(bernd, api.offer(bernd, *fleet.stops, pickup_after=iso(local(0, 12)))["offer_id"]).json()
    # a phone booking for a caller whose name is a formula
    r = api.post("/api/v1/ops/quotes", headers=op, json={
        "origin": fleet.stops[1], "destination": fleet.stops[0], "pickup_after": iso(local(0, 15)),
        "caller_name": "=HYPERLINK(\"x\")", "caller_phone": "03521 123456"})
    assert r.status_code == 200, r.text
    phone = api.post("/api/v1/ops/bookings", headers=op, json={"offer_id": r.json()["offers"][0]["offer_id"]})
    assert phone.status_code == 201, phone.text
    # Bernd cancels; a request at 23:30 is refused (outside the operating hours)
    assert api.post(f"/api/v1/bookings/{b['booking_id']}/cancel", headers=bernd).status_code == 200
    carla = api.register("carla@example.org", name="Carla Ritter")
    refused = api.quote(carla, *fleet.stops, pickup_after=iso(local(0, 23, 30)))
    assert refused.status_code == 200 and refused.json()["offers"] == []

    def find(**params):
        r = api.get("/api/v1/ops/bookings/search", headers=op, params=params)
        assert r.status_code == 200, r.text
        return r.json()

    assert [x["booking_id"] for x in find(q="schulze")] == [a["booking_id"]]
    assert [x["booking_id"] for x in find(q=a["booking_id"][:8])] == [a["booking_id"]]
    assert [x["booking_id"] for x in find(q="3521 1234")] == [phone.json()["booking_id"]]
    # the number as a caller says it, without the spaces it was stored with
    assert [x["booking_id"] for x in find(q="03521123456")] == [phone.json()["booking_id"]]
    assert {x["booking_id"] for x in find(q="Klipphausen")} >= {a["booking_id"], b["booking_id"]}
    cancelled = find(status="cancelled")
    assert [(x["booking_id"], x["cause"]) for x in cancelled] == [(b["booking_id"], "rider")]
    assert find(date="2026-03-04") == [] and len([x for x in find(date="2026-03-03") if x["booking_id"]]) == 3
    rows = find(status="refused")
    assert [(x["rider_name"], x["cause"]) for x in rows] == [("Carla Ritter", "outside_operating_hours")]
    assert rows[0]["cause_text"] and rows[0]["cause_text"] != rows[0]["cause"]
    assert find(status="refused", q="carla") == rows and find(status="refused", q="anna") == []
    every = find()
    assert {a["booking_id"], b["booking_id"], phone.json()["booking_id"]} <= {x["booking_id"] for x in every}
    assert_problem(api.get("/api/v1/ops/bookings/search", headers=op, params={"status": "lost"}), 422)
    assert_problem(api.get("/api/v1/ops/bookings/search", headers=op, params={"date": "morgen"}), 422)
    assert_problem(api.get("/api/v1/ops/bookings/search", headers=anna), 403)
    # the export: German headers, ';', the formula escaped
    r = api.get("/api/v1/ops/bookings/export.csv", headers={**op, "Accept-Language": "de"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    text = r.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:3] == ["Buchung", "Status", "Abholung ab"]
    caller = next(row for row in rows[1:] if row[0] == phone.json()["booking_id"])
    assert caller[5] == "'=HYPERLINK(\"x\")" and caller[6] == "03521 123456"
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)
    assert any(row[1] == "storniert" for row in rows[1:])
    # every status and channel in German: a refused request and a phone booking read as such
    assert any(row[1] == "abgelehnt" for row in rows[1:]) and caller[11] == "Telefon"
    assert not any(row[1] in ("refused", "confirmed") or row[11] in ("phone", "app") for row in rows[1:])
