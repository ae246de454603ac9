"""Browser journey "zum Zug": on the demo server a rider books a ride to a train. The operator
gives the demo's stop "Coswig, Bahnhof" its VVO DHID and uploads a timetable (tests/gtfs_support.py,
a train every 20 minutes); the rider picks Meißen -> Coswig, ticks "Anschluss an Zug/Bus", chooses
a departure from the list, gets an offer that names the train and arrives before it, and books.
A trip planner's deep link opens the page filled in. Screenshots: tests/artifacts/gtfs_*.png."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest

from api_support import *  # noqa: F401,F403 - the fixtures live_api and clock
from api_support import Fleet, local
from gtfs_support import COSWIG, PRIESTEWITZ, daily_feed_bytes, feed_bytes
from web_support import ALL_DAY, log_in, shot, wait_for_map

pytestmark = pytest.mark.browser

OPERATOR = ("operator@demo.local", "demo-operator")
BERLIN = ZoneInfo("Europe/Berlin")


def no_page_errors(page) -> None:
    errors = [m for m in page.console_messages if m.startswith("pageerror")]
    assert not errors, errors


@pytest.fixture(scope="module")
def station(web_server, web_api):
    op = web_api.login(*OPERATOR)
    web_api.put("/api/v1/ops/service-area", {"rules": {
        "operating_hours": ALL_DAY, "early_trip_before": None}}, headers=op)
    stops = web_api.get("/api/v1/stops", q="Coswig", limit=50)
    coswig = next(s for s in stops if s["name"] == "Coswig, Bahnhof")
    r = web_api.client.patch(f"/api/v1/ops/stops/{coswig['id']}", json={"code": COSWIG}, headers=op)
    assert r.status_code == 200, r.text
    r = web_api.client.post("/api/v1/ops/timetable/import", content=daily_feed_bytes(),
                            headers={**op, "Content-Type": "application/zip"})
    assert r.status_code == 200, r.text
    return coswig


def test_zum_zug(web_server, web_api, new_page, station):
    email = f"zug-{uuid.uuid4().hex[:8]}@example.org"
    web_api.register(email, "sicheres-passwort", "Zug Fahrerin")
    page = new_page(390, 844)
    page.goto(web_server.url("/"))
    log_in(page, email, "sicheres-passwort")
    page.wait_for_selector("#view-book:not([hidden])")
    wait_for_map(page, "#map")
    for which, query, name in (("origin", "Meißen", "Meißen, Zentrum"), ("destination", "Coswig", "Coswig, Bahnhof")):
        page.fill(f"#{which}-search", query)
        page.click(f'#{which}-results [role=option]:has-text("{name}")')
        assert page.text_content(f"#{which}-chosen") == name
    # "Anschluss an Zug/Bus": the next departures at Coswig station
    assert page.text_content("#connection-box legend") == "Anschluss an Zug/Bus"
    page.check("#rider-conn-on")
    page.wait_for_selector(".conn-call input")
    calls = page.query_selector_all(".conn-call input")
    assert len(calls) == 6
    assert "RE50 nach Riesa" in page.text_content(".conn-call")
    # a train at least 90 minutes ahead (the minimum lead time plus the drive to it)
    soon = datetime.now(BERLIN) + timedelta(minutes=90)
    choice = next(c for c in calls if datetime.fromisoformat(c.get_attribute("data-time")) >= soon)
    trip_id = choice.get_attribute("data-trip-id")
    departs = datetime.fromisoformat(choice.get_attribute("data-time"))
    choice.check()
    page.locator("#connection-box").scroll_into_view_if_needed()
    shot(page, "gtfs_departures_phone")
    page.click("#find")
    offer = page.wait_for_selector("#offer-list .offer")
    line = offer.query_selector(".connection-line")
    assert line is not None and line.get_attribute("data-trip-id") == trip_id
    text = line.text_content()
    limit = (departs - timedelta(minutes=5)).strftime("%H:%M")
    assert f"RE50 um {departs.strftime('%H:%M')} Uhr" in text and f"spätestens {limit} Uhr" in text, text
    assert f"Ankunft spätestens {limit}" in offer.text_content() or "Ankunft spätestens" in offer.text_content()
    offer.scroll_into_view_if_needed()
    shot(page, "gtfs_offer_phone")
    offer.query_selector("button").click()
    page.wait_for_selector('#booking-status[data-status="confirmed"]')
    fact = page.text_content('dd[data-fact="fact"]')
    assert fact.startswith("RE50 um") and departs.strftime("%H:%M") in fact and "Riesa" in fact, fact
    shot(page, "gtfs_booking_phone", full_page=True)
    bookings = web_api.get("/api/v1/bookings", headers=web_api.login(email, "sicheres-passwort"))
    booked = bookings[0] if isinstance(bookings, list) else bookings["bookings"][0]
    assert booked["connection"]["trip_id"] == trip_id
    assert datetime.fromisoformat(booked["dropoff_latest"]) <= departs - timedelta(minutes=5)
    no_page_errors(page)


def test_deep_link_from_a_trip_planner_fills_the_page(web_server, web_api, new_page, station):
    email = f"link-{uuid.uuid4().hex[:8]}@example.org"
    web_api.register(email, "sicheres-passwort", "Link Nutzer")
    arrive = (datetime.now(BERLIN) + timedelta(hours=3)).replace(second=0, microsecond=0)
    arrive = arrive - timedelta(minutes=arrive.minute % 5)
    query = urlencode({"from": "51.1634,13.4737", "to": f"{station['lat']},{station['lon']}",
                       "arrive_by": arrive.strftime("%Y-%m-%dT%H:%M")})
    page = new_page(1280, 800)
    page.goto(web_server.url(f"/?{query}"))
    log_in(page, email, "sicheres-passwort")
    page.wait_for_selector("#view-book:not([hidden])")
    page.wait_for_function("() => document.querySelector('#destination-chosen').textContent.length > 0")
    assert page.is_checked('input[name="when"][value="arrive_by"]')
    assert page.input_value("#trip-date") == arrive.strftime("%Y-%m-%d")
    assert page.input_value("#trip-time") == arrive.strftime("%H:%M")
    assert page.text_content("#origin-chosen") and "?" not in page.url       # the query is gone from the address
    wait_for_map(page, "#map")
    shot(page, "gtfs_deeplink_desktop")
    page.click("#find")
    offer = page.wait_for_selector("#offer-list .offer")
    assert "Ankunft spätestens" in offer.text_content()
    no_page_errors(page)


def test_operator_books_a_caller_to_the_train(web_server, web_api, new_page, station, tmp_path):
    page = new_page(1280, 900)
    page.goto(web_server.url("/ops"))
    login = page.locator("#login-form")
    login.get_by_label("E-Mail").fill(OPERATOR[0])
    login.get_by_label("Passwort").fill(OPERATOR[1])
    login.get_by_role("button", name="Anmelden").click()
    page.wait_for_selector("#dashboard:not([hidden])")
    # the operator uploads the timetable on the stops tab (the same feed as the fixture's)
    page.click("#tab-stops")
    feed = tmp_path / "fahrplan.zip"
    feed.write_bytes(daily_feed_bytes())
    page.set_input_files("#timetable-file", str(feed))
    page.click("#timetable-form button[type=submit]")
    page.wait_for_function("() => document.querySelector('#timetable-status').textContent.length > 0")
    assert page.text_content("#timetable-status") == "Fahrplan geladen – Fahrten: 72, Haltestellen: 4, Linien: 1."
    page.locator("#timetable-form").scroll_into_view_if_needed()
    shot(page, "gtfs_timetable_upload_desktop")
    page.click("#tab-bookings")
    for field, text, name in (("origin", "Meißen", "Meißen, Zentrum"), ("destination", "Coswig", "Coswig, Bahnhof")):
        page.locator(f"#{field}-input").fill(text)
        page.locator(f"#{field}-list [role=option]", has_text=name).first.click()
    page.check("#phone-conn-on")
    page.wait_for_selector("#phone-connection .conn-call input")
    soon = datetime.now(BERLIN) + timedelta(minutes=90)
    calls = page.query_selector_all("#phone-connection .conn-call input")
    choice = next(c for c in calls if datetime.fromisoformat(c.get_attribute("data-time")) >= soon)
    trip_id = choice.get_attribute("data-trip-id")
    choice.check()
    page.locator("#phone-form").get_by_label("Name", exact=True).fill("Erna Zug")
    page.get_by_role("button", name="Angebote suchen").click()
    offer = page.locator("#phone-offers .offer").first
    offer.wait_for()
    assert offer.locator(".connection-line").get_attribute("data-trip-id") == trip_id
    offer.scroll_into_view_if_needed()
    shot(page, "gtfs_phone_desktop")
    offer.get_by_role("button").click()
    page.locator("#phone-confirmation").wait_for()
    booking_id = page.locator("#phone-confirmation").get_attribute("data-booking-id")
    booked = web_api.get(f"/api/v1/bookings/{booking_id}", headers=web_api.login(*OPERATOR))
    assert booked["connection"]["trip_id"] == trip_id and booked["caller_name"] == "Erna Zug"
    no_page_errors(page)


def test_a_connection_at_risk_is_shown_to_rider_and_operator(live_api, new_page):
    """On a server with a test clock: the only vehicle reports itself far away shortly before the
    pickup; the rider's booking page warns, the operator's list of bookings marks it."""
    api = live_api
    fleet = Fleet(api, seats=4, shift=(local(0, 6), local(0, 18)))
    r = api.post("/api/v1/ops/stops", headers=fleet.operator, json={
        "name": "Priestewitz, Bahnhof", "lat": 51.250739, "lon": 13.508757, "town": "Priestewitz",
        "code": PRIESTEWITZ})
    station_id = r.json()["id"]
    assert api.post("/api/v1/ops/timetable/import", headers={**fleet.operator, "Content-Type": "application/zip"},
                    content=feed_bytes()).status_code == 200
    rider = api.register("anna.zug@example.org", "sicheres-passwort", "Anna Zug")
    q = api.post("/api/v1/quotes", headers=rider, json={
        "origin": fleet.stops[0], "destination": {"stop_id": station_id},
        "connection": {"stop_id": PRIESTEWITZ, "trip_id": "RE50-1105", "direction": "to_departure"}}).json()
    booking = api.post("/api/v1/bookings", headers={**rider, "Idempotency-Key": "risk-1"},
                       json={"offer_id": q["offers"][0]["offer_id"]}).json()
    d = api.service.dispatcher
    d.start_shift(fleet.shifts[0]["id"])
    api.clock.set(d.bookings[booking["booking_id"]].pickup_latest - 300)
    d.vehicle_location(fleet.shifts[0]["id"], 51.41, 13.44)       # stuck in Gröditz
    assert d.connections.state(booking["booking_id"])[0]

    page = new_page(390, 844)
    page.goto(api.url + "/")
    log_in(page, "anna.zug@example.org", "sicheres-passwort")
    page.wait_for_selector("#view-book:not([hidden])")
    page.goto(api.url + f"/#/bookings/{booking['booking_id']}")
    warning = page.wait_for_selector("#connection-warning:not([hidden])")
    assert "Anschluss ist gefährdet" in warning.text_content() and "Min. zu spät" in warning.text_content()
    shot(page, "gtfs_at_risk_phone", full_page=True)

    ops = new_page(1280, 900)
    ops.goto(api.url + "/ops")
    login = ops.locator("#login-form")
    login.get_by_label("E-Mail").fill(OPERATOR[0])
    login.get_by_label("Passwort").fill(OPERATOR[1])
    login.get_by_role("button", name="Anmelden").click()
    badge = ops.wait_for_selector(f'#bookings-table tr[data-booking-id="{booking["booking_id"]}"] '
                                  '[data-connection="at_risk"]')
    assert badge.text_content() == "Anschluss gefährdet"
    badge.scroll_into_view_if_needed()
    shot(ops, "gtfs_at_risk_ops_desktop")
    no_page_errors(page)
    no_page_errors(ops)
