"""The driver's phone shares its position, riders watch their vehicle come (Debian's Chromium).

On the session's shared ``ride-pool demo`` server this test brings its own vehicle (8 seats, more
than any demo vehicle has, so that an 8-person booking can only go to it), a driver account and a
shift running now; it ends that shift and cancels its booking at the end, so the other browser
tests see the demo as they left it (the journey's single running vehicle stays untouched).

* The driver's page runs in a phone-sized context with ``geolocation`` at a stop and the
  permission granted: after starting the shift, "Standort teilen" is on, the position arrives at
  the server (``GET /api/v1/ops/live``, the driver's shift) and shows on the driver's map; a new
  position of the context (more than 50 m away) arrives too; the switch off stops the reports
  (and is kept in localStorage); on again, the latest position is sent.
* The rider's booking page says plainly that the vehicle has not reported a position, then shows
  the vehicle on the map with "Position von HH:MM" (and in English "position from HH:MM"); the
  map's "Straßennetz: synthetisch (Demo)" note follows the language switch.
* Without the geolocation permission, or without a position fix, the driver's page says so in a
  sentence and keeps working.
"""

from __future__ import annotations

import re
import time
import uuid

import pytest

from web_support import PHONE, canvas_is_drawn, log_in, running_vehicle, shot, wait_for_map  # fixtures: conftest.py

pytestmark = pytest.mark.browser

OPERATOR = ("operator@demo.local", "demo-operator")
PASSWORD = "standort-teilen-1"


def close_to(a: float | None, b: float, eps: float = 1e-6) -> bool:
    return a is not None and abs(a - b) < eps


def wait_until(check, timeout: float = 20.0, interval: float = 0.25, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


def phone_context(browser, *, geolocation: dict | None, allow: bool):
    context = browser.new_context(
        viewport={"width": PHONE[0], "height": PHONE[1]}, locale="de-DE", timezone_id="Europe/Berlin",
        device_scale_factor=1, has_touch=True, is_mobile=False,
        geolocation=geolocation, permissions=["geolocation"] if allow else [])
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.console_messages = []
    page.on("console", lambda m: page.console_messages.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: page.console_messages.append(f"pageerror: {e}"))
    return context, page


# counts the page's open navigator.geolocation watches (window.__geoWatches)
COUNT_WATCHES = """(() => {
  const geo = navigator.geolocation;
  if (!geo) return;
  const watch = geo.watchPosition.bind(geo), clear = geo.clearWatch.bind(geo);
  const open = new Set();
  window.__geoWatches = () => open.size;
  geo.watchPosition = (...args) => { const id = watch(...args); open.add(id); return id; };
  geo.clearWatch = (id) => { open.delete(id); clear(id); };
})();"""


# a phone without a position fix: every watch reports POSITION_UNAVAILABLE
NO_FIX = """(() => {
  const geo = navigator.geolocation;
  geo.watchPosition = (ok, fail) => { setTimeout(() => fail({code: 2, message: "no fix"}), 50); return 4711; };
  geo.clearWatch = () => {};
})();"""


def no_page_errors(page) -> None:
    errors = [m for m in page.console_messages if m.startswith("pageerror")]
    assert not errors, errors


@pytest.fixture
def own_vehicle(web_server, web_api):
    """A vehicle with 8 seats (the demo's have 6 or 7), its driver and a shift running now."""
    with running_vehicle(web_api, OPERATOR, PASSWORD, "GPS") as own:
        yield own


def live_entry(web_api, op, shift_id: int) -> dict | None:
    return next((v for v in web_api.get("/api/v1/ops/live", headers=op) if v["shift_id"] == shift_id), None)


def test_driver_shares_location_and_rider_sees_the_vehicle(web_server, web_api, browser, own_vehicle):
    op, shift, stops = own_vehicle["op"], own_vehicle["shift"], own_vehicle["stops"]
    first = stops["Meißen, Zentrum"]            # where the driver's phone is at first ...
    second = stops["Meißen, Bahnhof"]           # ... and then (about a kilometre away)

    # -- a rider books 8 seats: only this vehicle has them
    rider_email = f"gps-rider-{uuid.uuid4().hex[:8]}@example.org"
    rider_auth = web_api.register(rider_email, PASSWORD, "Fahrgast GPS")
    quote = web_api.post("/api/v1/quotes", {
        "origin": {"stop_id": second["id"]}, "destination": {"stop_id": stops["Coswig, Zentrum"]["id"]},
        "passengers": 8, "wheelchairs": 0}, headers=rider_auth)
    assert quote["offers"], quote
    booking = web_api.post("/api/v1/bookings", {"offer_id": quote["offers"][0]["offer_id"]},
                           headers={**rider_auth, "Idempotency-Key": uuid.uuid4().hex})
    booking_id = booking["booking_id"]
    assert booking["vehicle"]["vehicle_id"] == own_vehicle["vehicle"]["id"], booking["vehicle"]
    assert booking["vehicle"]["lat"] is None

    contexts = []
    try:
        # -- the rider's page before any position: says so plainly
        rider_ctx, rider = phone_context(browser, geolocation=None, allow=False)
        contexts.append(rider_ctx)
        rider.goto(web_server.url(f"/bookings/{booking_id}"))
        log_in(rider, rider_email, PASSWORD)
        rider.wait_for_selector('#booking-status[data-status="confirmed"]')
        note = rider.locator("#vehicle-position")
        note.wait_for()
        assert note.get_attribute("data-located") == "false"
        assert "noch keine Position gemeldet" in note.inner_text()
        wait_for_map(rider, "#booking-map")
        assert rider.get_attribute("#booking-map", "data-vehicle-lat") == ""

        # -- the driver starts the shift on a phone that knows where it is
        driver_ctx, driver = phone_context(browser, geolocation={"latitude": first["lat"], "longitude": first["lon"]},
                                           allow=True)
        contexts.append(driver_ctx)
        driver_ctx.add_init_script(COUNT_WATCHES)
        driver.goto(web_server.url("/driver"))
        log_in(driver, own_vehicle["email"], PASSWORD)
        driver.click(f'.shift-card[data-shift-id="{shift["id"]}"] button')
        driver.wait_for_selector("#work:not([hidden])")
        switch = driver.get_by_role("switch", name="Standort teilen")
        assert switch.is_checked(), "sharing the location is on by default"
        driver.wait_for_selector('#location-state[data-state="sent"]')
        assert driver.evaluate("window.__geoWatches()") == 1
        sent_text = driver.inner_text("#location-sent")
        assert re.fullmatch(r"Zuletzt gesendet um \d\d:\d\d:\d\d Uhr\.", sent_text), sent_text
        assert "Fahrgäste sehen Ihr Fahrzeug" in driver.inner_text("#location-state")

        live = live_entry(web_api, op, shift["id"])
        assert live and live["started"], live
        assert close_to(live["lat"], first["lat"]) and close_to(live["lon"], first["lon"]), live
        driver_auth = web_api.login(own_vehicle["email"], PASSWORD)
        mine = next(s for s in web_api.get("/api/v1/driver/shifts", headers=driver_auth) if s["id"] == shift["id"])
        assert close_to(mine["lat"], first["lat"]) and close_to(mine["lon"], first["lon"]), mine
        # the driver's own position on the driver's map
        wait_for_map(driver, "#map")
        assert canvas_is_drawn(driver, "#map")
        assert driver.get_attribute("#map", "data-vehicle-source") == "device"
        assert close_to(float(driver.get_attribute("#map", "data-vehicle-lat")), first["lat"])

        # -- the rider's page follows live: the vehicle on the map, "Position von HH:MM"
        rider.wait_for_selector('#vehicle-position[data-located="true"]', timeout=20_000)
        text = note.inner_text()
        assert re.search(r"Position von \d\d:\d\d Uhr", text), text
        assert close_to(float(rider.get_attribute("#booking-map", "data-vehicle-lat")), first["lat"])

        # -- the phone moves about a kilometre: the new position arrives within seconds
        driver_ctx.set_geolocation({"latitude": second["lat"], "longitude": second["lon"]})
        wait_until(lambda: (lambda v: v and close_to(v["lat"], second["lat"]) and close_to(v["lon"], second["lon"]))(
            live_entry(web_api, op, shift["id"])), timeout=20, what="the second position at the server")
        driver.wait_for_function(
            "(lat) => Math.abs(+document.getElementById('map').dataset.vehicleLat - lat) < 1e-6", arg=second["lat"])
        rider.wait_for_function(
            "(lat) => Math.abs(+document.getElementById('booking-map').dataset.vehicleLat - lat) < 1e-6",
            arg=second["lat"], timeout=20_000)
        b = web_api.get(f"/api/v1/bookings/{booking_id}", headers=rider_auth)
        assert close_to(b["vehicle"]["lat"], second["lat"]) and b["vehicle"]["location_time"], b["vehicle"]

        driver.wait_for_timeout(800)            # the map's fit to the new position
        driver.click('[data-lang="en"]')
        assert driver.get_by_role("switch", name="Share location").is_checked()
        assert re.fullmatch(r"Last sent at \d\d:\d\d:\d\d( [AP]M)?\.", driver.inner_text("#location-sent")), \
            driver.inner_text("#location-sent")
        assert "riders see your vehicle" in driver.inner_text("#location-state")
        assert driver.inner_text("#map .map-status") == "Road network: synthetic (demo)"
        driver.click('[data-lang="de"]')
        driver.evaluate("window.scrollTo(0, 0)")
        shot(driver, "driver-location-phone", full_page=True)
        shot(rider, "rider-vehicle-position-phone")

        # -- the rider switches to English: the note and the map's network note follow
        assert rider.inner_text("#booking-map .map-status") == "Straßennetz: synthetisch (Demo)"
        rider.click('[data-lang="en"]')
        assert re.search(r"position from \d\d:\d\d\)", note.inner_text()), note.inner_text()
        assert rider.inner_text("#booking-map .map-status") == "Road network: synthetic (demo)"
        rider.click('[data-lang="de"]')
        assert rider.inner_text("#booking-map .map-status") == "Straßennetz: synthetisch (Demo)"

        # -- the switch off: no more reports, kept in localStorage; on again: the latest is sent
        switch.uncheck()
        driver.wait_for_selector('#location-state[data-state="off"]')
        assert driver.evaluate("localStorage.getItem('ride_pool.driver.share_location')") == "off"
        assert driver.inner_text("#location-sent") == ""
        assert driver.evaluate("window.__geoWatches()") == 0, "the position is still watched"
        back = first
        driver_ctx.set_geolocation({"latitude": back["lat"], "longitude": back["lon"]})
        driver.wait_for_timeout(4000)           # longer than the 3 s between two reports of a move
        v = live_entry(web_api, op, shift["id"])
        assert close_to(v["lat"], second["lat"]), f"a position was sent with the switch off: {v}"
        driver.reload()
        driver.wait_for_selector("#work:not([hidden])")
        assert not switch.is_checked(), "the switch stays off after a reload"
        assert driver.get_attribute("#location-state", "data-state") == "off"
        switch.check()
        assert driver.evaluate("localStorage.getItem('ride_pool.driver.share_location')") == "on"
        driver.wait_for_selector('#location-state[data-state="sent"]')
        wait_until(lambda: close_to(live_entry(web_api, op, shift["id"])["lat"], back["lat"]), timeout=10,
                   what="the position sent after switching on again")

        # -- the same driver on a phone that does not allow the location: a sentence, the page works
        denied_ctx, denied = phone_context(browser, geolocation=None, allow=False)
        contexts.append(denied_ctx)
        denied.goto(web_server.url("/driver"))
        log_in(denied, own_vehicle["email"], PASSWORD)
        denied.wait_for_selector("#work:not([hidden])")
        denied.wait_for_selector('#location-state[data-state="denied"]')
        assert "nicht erlaubt" in denied.inner_text("#location-state")
        assert denied.is_visible("#route-title") and denied.is_visible("#end-shift")
        shot(denied, "driver-location-denied-phone")
        # ... and on one that finds no position
        denied.add_init_script(NO_FIX)
        denied.reload()
        denied.wait_for_selector('#location-state[data-state="unavailable"]')
        assert "gerade nicht verfügbar" in denied.inner_text("#location-state")
        assert denied.is_visible("#end-shift")

        # -- the ride is cancelled, the shift ended on the page: the watching stops
        web_api.post(f"/api/v1/bookings/{booking_id}/cancel", headers=rider_auth)
        driver.once("dialog", lambda dialog: dialog.accept())
        driver.click("#end-shift")
        driver.wait_for_selector("#shifts:not([hidden])")
        assert driver.evaluate("document.getElementById('location-sent').textContent") == ""
        assert driver.evaluate("window.__geoWatches()") == 0, "the position is still watched after the shift"
        ended = live_entry(web_api, op, shift["id"])
        assert ended is None, ended
        for page in (driver, rider, denied):
            no_page_errors(page)
    finally:
        for context in contexts:
            context.close()
