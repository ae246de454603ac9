"""End-to-end browser journey through the web pages (issue 6), on a real ``ride-pool demo`` server.

A rider registers and books a ride "now" on a phone-sized screen; the driver of the only running
vehicle, whose page is already open, sees the pickup appear live and reports arrived, boarded,
arrived, dropped off; the rider's page shows the ride completed; the operator dashboard counts it;
another rider cannot open the booking. Screenshots of every page at phone and desktop size go to
``tests/artifacts/``; every page's map must have drawn the network on its canvas.
"""

from __future__ import annotations

import re
import uuid

import pytest

# the fixtures web_server, web_api, browser and new_page come from web_support through conftest.py
from web_support import canvas_is_drawn, shot, wait_for_map

pytestmark = pytest.mark.browser

OPERATOR = ("operator@demo.local", "demo-operator")
RIDER = ("rider@demo.local", "demo-rider")
DRIVER_PASSWORD = "demo-driver"
ALL_DAY = {day: ["00:00", "24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def login_page(page, email: str, password: str) -> None:
    page.fill("#login-email", email)
    page.fill("#login-password", password)
    page.click("#login-form button[type=submit]")


def check_map(page, selector: str = "#map") -> None:
    wait_for_map(page, selector)
    assert canvas_is_drawn(page, selector), f"the map {selector} drew nothing on its canvas"


def no_page_errors(page) -> None:
    errors = [m for m in page.console_messages if m.startswith("pageerror")]
    assert not errors, errors


@pytest.fixture(scope="module")
def one_vehicle(web_server, web_api):
    """The demo with service all day (so the test runs at any hour) and only the first vehicle's
    shift left, so that every booking goes to it; returns (shift, driver e-mail)."""
    op = web_api.login(*OPERATOR)
    # the journey runs in seconds: the driver reports at once what takes half an hour and more in a
    # real trip, so the plausibility tolerances of driver reports are widened for it
    web_api.put("/api/v1/ops/service-area", {"rules": {
        "operating_hours": ALL_DAY, "early_trip_before": None, "early_arrival_s": 7200, "early_boarding_s": 7200,
        "min_ride_fraction": 0}}, headers=op)
    shifts = web_api.get("/api/v1/ops/shifts", headers=op)
    keep = min(shifts, key=lambda s: (s["start"], s["vehicle_id"]))
    # bookings other browser tests left on the shifts about to end (a shift with planned stops
    # cannot end) are cancelled, as an operator would before taking vehicles off the road
    for b in web_api.get("/api/v1/ops/bookings", headers=op):
        if b["status"] == "confirmed" and (b.get("vehicle") or {}).get("vehicle_id") != keep["vehicle_id"]:
            web_api.post(f"/api/v1/ops/bookings/{b['booking_id']}/cancel", headers=op)
    for s in shifts:
        if s["id"] != keep["id"]:
            web_api.post(f"/api/v1/ops/shifts/{s['id']}/end", headers=op)
    return keep, "driver1@demo.local"


def test_pages_are_served(web_server, web_api):
    for path in ("/", "/driver", "/ops", "/bookings/abc"):
        r = web_api.client.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), path
        assert 'lang="de"' in r.text and "https://" not in r.text, path      # nothing fetched from outside
    for path in ("/static/css/base.css", "/static/js/api.js", "/static/js/i18n.js", "/static/js/map.js",
                 "/static/js/rider.js", "/static/js/driver.js"):
        assert web_api.client.get(path).status_code == 200, path
    config = web_api.get("/api/v1/config")
    assert config["tile_url"] is None and config["timezone"] == "Europe/Berlin"


def test_rider_driver_operator_journey(web_server, web_api, new_page, one_vehicle):
    shift, driver_email = one_vehicle

    # -- the driver opens the page first and starts the shift (desktop size)
    driver = new_page(1280, 800)
    driver.goto(web_server.url("/driver"))
    login_page(driver, driver_email, DRIVER_PASSWORD)
    driver.click(f'.shift-card[data-shift-id="{shift["id"]}"] button')
    driver.wait_for_selector("#work:not([hidden])")
    driver.wait_for_selector("#route-empty:not([hidden])")
    check_map(driver)
    driver.evaluate("window.__sameDocument = true")      # to prove later that the page never reloaded

    # -- a new rider registers and books "as soon as possible" on a phone
    rider = new_page(360, 740)
    rider.goto(web_server.url("/"))
    rider.wait_for_selector("#auth:not([hidden])")
    shot(rider, "rider-login-phone")
    email = f"web-{uuid.uuid4().hex[:10]}@example.org"
    rider.fill("#register-name", "Web Testerin")
    rider.fill("#register-email", email)
    rider.fill("#register-password", "sicheres-passwort")
    rider.click("#register-form button[type=submit]")
    # the code arrives by e-mail (the test's SMTP server) and is typed in
    rider.wait_for_selector("#confirm-form:not([hidden])")
    assert email in rider.text_content("#confirm-sent")
    shot(rider, "rider-confirm-code-phone")
    rider.fill("#confirm-code", web_server.mailbox.code_for(email))
    rider.click("#confirm-form button[type=submit]")
    rider.wait_for_selector("#view-book:not([hidden])")
    check_map(rider)
    for which, query, name in (("origin", "Meißen", "Meißen, Bahnhof"), ("destination", "Coswig", "Coswig, Zentrum")):
        rider.fill(f"#{which}-search", query)
        rider.click(f'#{which}-results [role=option]:has-text("{name}")')
        assert rider.text_content(f"#{which}-chosen") == name
    rider.select_option("#passengers", "2")
    rider.click("#find")
    offer = rider.wait_for_selector("#offer-list .offer")
    offer_text = offer.text_content()
    assert re.search(r"Abholung \d\d:\d\d–\d\d:\d\d Uhr", offer_text), offer_text
    assert "Ankunft spätestens" in offer_text
    shot(rider, "rider-offers-phone")
    page_width = rider.evaluate("document.documentElement.scrollWidth")
    assert page_width <= 360, f"the rider page is {page_width} px wide on a 360 px phone"
    offer.query_selector("button").click()
    rider.wait_for_selector('#booking-status[data-status="confirmed"]')
    booking_id = re.search(r"#/bookings/([0-9A-Za-z_-]+)", rider.url).group(1)
    window = rider.text_content('dd[data-fact="window"]')
    assert re.search(r"\d\d:\d\d–\d\d:\d\d Uhr", window), window
    assert rider.text_content("#booking-status") == "Bestätigt"
    check_map(rider, "#booking-map")
    shot(rider, "rider-booking-phone")

    # -- the driver's page shows the pickup live, without a reload
    pickup = driver.wait_for_selector(f'.step[data-kind="pickup"][data-booking-ids~="{booking_id}"]', timeout=15_000)
    assert driver.evaluate("window.__sameDocument") is True
    assert "Meißen, Bahnhof" in pickup.text_content() and "2 Pers." in pickup.text_content()
    assert driver.get_attribute(f'.step[data-booking-ids~="{booking_id}"] a.btn', "href").startswith("geo:")
    shot(driver, "driver-route-desktop")
    driver.set_viewport_size({"width": 360, "height": 740})
    assert driver.evaluate("document.documentElement.scrollWidth") <= 360
    shot(driver, "driver-route-phone")
    driver.set_viewport_size({"width": 1280, "height": 800})

    def report(what: str) -> None:
        driver.click(f'button[data-report="{what}"][data-booking="{booking_id}"]')
        driver.wait_for_selector("#info:not(:empty)")
        assert driver.text_content("#alert") == "", driver.text_content("#alert")
        driver.evaluate("document.getElementById('info').textContent = ''")

    report("arrived")
    driver.wait_for_selector(f'button[data-report="arrived"][data-booking="{booking_id}"][aria-pressed="true"]')
    report("boarded")
    driver.wait_for_selector(f'.step[data-kind="dropoff"][data-booking-ids~="{booking_id}"]')
    # the drop-off card was there before; the pickup card goes once the page has the new route
    driver.wait_for_selector(f'.step[data-kind="pickup"][data-booking-ids~="{booking_id}"]', state="detached",
                             timeout=15_000)
    rider.wait_for_selector('#booking-status[data-status="onboard"]', timeout=20_000)
    report("arrived")
    report("dropped_off")
    driver.wait_for_selector("#route-empty:not([hidden])")

    # -- the rider's page follows to "completed" (live)
    rider.wait_for_selector('#booking-status[data-status="completed"]', timeout=20_000)
    assert "abgeschlossen" in rider.text_content("#booking-live").lower()
    shot(rider, "rider-completed-phone")
    rider.set_viewport_size({"width": 1280, "height": 800})
    rider.click("#tab-bookings")
    # a ride done is in the history ("Frühere Fahrten"), not among the upcoming ones
    rider.wait_for_selector(f'#history-list [data-booking-id="{booking_id}"]')
    assert rider.locator(f'#booking-list [data-booking-id="{booking_id}"]').count() == 0
    shot(rider, "rider-bookings-desktop")

    # -- the operator dashboard counts the ride
    ops = new_page(1280, 800)
    ops.goto(web_server.url("/ops"))
    login_page(ops, *OPERATOR)
    served = ops.locator('[data-kpi="served"] .tile-value')
    served.wait_for()
    ops.wait_for_function("() => /^[1-9]/.test("
                          "document.querySelector('[data-kpi=\"served\"] .tile-value').textContent.trim())",
                          timeout=15_000)
    op = web_api.login(*OPERATOR)
    kpis = web_api.get("/api/v1/ops/kpis", headers=op)
    assert kpis["served"] >= 1 and int(served.text_content().strip()) == kpis["served"]
    check_map(ops)
    shot(ops, "ops-desktop")
    ops.set_viewport_size({"width": 360, "height": 740})
    shot(ops, "ops-phone")

    # -- the driver page at phone size, the route done
    driver.set_viewport_size({"width": 360, "height": 740})
    shot(driver, "driver-done-phone")

    # -- another rider opening the booking sees "not found", not the booking
    other = new_page(360, 740)
    other.goto(web_server.url(f"/bookings/{booking_id}"))
    login_page(other, *RIDER)
    other.wait_for_selector("#booking-missing:not([hidden])")
    text = other.text_content("main")
    assert "gehört nicht zu Ihrem Konto" in text
    assert "Meißen, Bahnhof" not in text and "Coswig" not in text
    shot(other, "rider-not-yours-phone")
    for page in (driver, rider, ops, other):
        no_page_errors(page)


def test_rider_page_in_english_and_desktop(web_server, new_page, one_vehicle):
    page = new_page(1280, 800)
    page.goto(web_server.url("/"))
    login_page(page, *RIDER)
    page.wait_for_selector("#view-book:not([hidden])")
    check_map(page)
    page.click('[data-lang="en"]')
    assert page.get_attribute("html", "lang") == "en"
    assert page.text_content("#find") == "Find a ride"
    # a problem is shown as a plain sentence at its field: same stop as origin and destination
    page.fill("#origin-search", "Meißen")
    page.click('#origin-results [role=option]:has-text("Meißen, Zentrum")')
    page.fill("#destination-search", "Meißen")
    page.click('#destination-results [role=option]:has-text("Meißen, Zentrum")')
    page.click("#find")
    page.wait_for_selector("#destination-problem:not([hidden])")
    assert "same place" in page.text_content("#destination-problem")
    # tapping the map chooses a place
    page.click("#place-destination [data-action=pick]")
    box = page.locator("#map canvas").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.8)
    chosen = page.text_content("#destination-chosen")
    assert chosen != "Meißen, Zentrum" and chosen, chosen
    assert page.get_attribute("#place-destination [data-action=pick]", "aria-pressed") == "false"
    shot(page, "rider-desktop-en")
    # book a later ride and cancel it (the confirmation dialog is accepted)
    page.fill("#destination-search", "Coswig")
    page.click('#destination-results [role=option]:has-text("Coswig, Zentrum")')
    page.check('input[name="when"][value="pickup_after"]')
    assert page.input_value("#trip-date") and page.input_value("#trip-time")
    page.click("#find")
    page.click("#offer-list .offer button")
    page.wait_for_selector('#booking-status[data-status="confirmed"]')
    assert page.text_content("#booking-status") == "Confirmed"
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#cancel")
    page.wait_for_selector('#booking-status[data-status="cancelled"]')
    assert page.is_hidden("#cancel")
    page.reload()
    page.wait_for_selector('#booking-status[data-status="cancelled"]')      # the deep link still opens it
    assert page.get_attribute("html", "lang") == "en"      # the choice is kept
    page.click('[data-lang="de"]')
    no_page_errors(page)
