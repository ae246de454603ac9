"""Issue 16 in the browser: the village rider (74, on a phone, large text) books by village name,
by "Arzt" and by a tap on the map; messages appear where she looks; an expired offer is asked for
again by itself; favourites, the return trip and the ride history; the operator's phone booking
finds places too. Screenshots go to ``tests/artifacts/rider_*.png`` (looked at by a person).
"""

from __future__ import annotations

import re
import time
import uuid

import pytest

# the fixtures web_server, web_api, browser and new_page come from web_support through conftest.py
from web_support import canvas_is_drawn, log_in, running_vehicle, shot, wait_for_map

pytestmark = pytest.mark.browser

OPERATOR = ("operator@demo.local", "demo-operator")
PASSWORD = "Dorfstrasse-zwoelf-Kroegis"
PHONE = (390, 844)
#: English words that must not appear on the German page (whole words, any case)
ENGLISH = re.compile(r"\b(the|must|choose|booking|offer|please|not|with|stop|trip|pickup|error|cannot|"
                     r"already|between|minutes|outside)\b", re.IGNORECASE)


def large_text(page) -> None:
    """The browser's text size as a person with weak eyes sets it (22 px instead of 16 px)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Page.setFontSizes", {"fontSizes": {"standard": 22, "fixed": 18}})


def in_view(page, selector: str) -> bool:
    return page.evaluate("""(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
        return r.height > 0 && r.top >= 0 && r.top < window.innerHeight; }""", selector)


def fits_the_screen(page) -> None:
    """Nothing is wider than the phone's screen (no sideways scrolling with large text)."""
    width = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1], f"the page is {width[0]} px wide on a {width[1]} px screen"


def markers_clear_of_controls(page, selector: str = "#map") -> None:
    """The map's pins (``data-marker-boxes``) are inside the map and not under its zoom buttons."""
    boxes = page.evaluate(f"() => JSON.parse(document.querySelector('{selector}').dataset.markerBoxes || '[]')")
    assert boxes, "no pins drawn"
    map_box = page.locator(selector).bounding_box()
    controls = page.locator(f"{selector} .map-controls").bounding_box()
    cx0, cy0 = controls["x"] - map_box["x"], controls["y"] - map_box["y"]
    cx1, cy1 = cx0 + controls["width"], cy0 + controls["height"]
    for left, top, right, bottom in boxes:
        assert 0 <= left and right <= map_box["width"] and 0 <= top and bottom <= map_box["height"], boxes
        assert right <= cx0 or left >= cx1 or bottom <= cy0 or top >= cy1, (boxes, (cx0, cy0, cx1, cy1))


def choose_first(page, which: str, text: str, kind: str, expect: str | None = None) -> str:
    """Type ``text`` into the place search ``which`` and take the first result of ``kind`` (that
    shows ``expect``, once the results for the whole text are there); returns the label shown as
    chosen."""
    field = page.locator(f"#{which}-search")
    field.click()
    field.type(text, delay=60)
    option = page.locator(f'#{which}-results [role=option][data-kind="{kind}"]', has_text=expect or "").first
    option.wait_for(state="visible")
    option.click()
    page.wait_for_function(f"() => document.getElementById('{which}-chosen').textContent.trim().length > 0")
    return page.locator(f"#{which}-chosen").inner_text()


def german_only(page, selector: str = "#main") -> None:
    text = page.locator(selector).inner_text()
    found = sorted({m.group(0) for m in ENGLISH.finditer(text)})
    assert not found, f"English on the German page: {found}\n{text[:2000]}"


@pytest.fixture
def village_rider(web_api):
    """A confirmed rider account; afterwards its open bookings are cancelled, so that the demo's
    shifts can end for the other browser tests of the session."""
    email = f"oma-{uuid.uuid4().hex[:8]}@example.org"
    headers = web_api.register(email, PASSWORD, "Erika Krögis")
    yield email
    for b in web_api.get("/api/v1/bookings", headers=headers):
        if b["status"] == "confirmed":
            web_api.post(f"/api/v1/bookings/{b['booking_id']}/cancel", headers=headers)


def test_village_rider_books_by_village_name_by_arzt_and_by_a_map_tap(web_server, web_api, new_page,
                                                                      village_rider):
    with running_vehicle(web_api, OPERATOR, "Fahrerpasswort-1234", "DORF"):
        page = new_page(*PHONE)
        large_text(page)
        dialogs: list[str] = []

        def answer(dialog):
            dialogs.append(dialog.message)
            dialog.accept("Arzt") if dialog.type == "prompt" else dialog.accept()
        page.on("dialog", answer)
        page.goto(web_server.url("/"))
        log_in(page, village_rider, PASSWORD)
        page.wait_for_selector("#view-book:not([hidden])")
        wait_for_map(page, "#map")
        page.wait_for_function("() => Number(document.getElementById('map').dataset.places || 0) > 10")
        assert canvas_is_drawn(page, "#map")
        fits_the_screen(page)
        shot(page, "rider_01_start")

        # -- a message next to what caused it, read out by screen readers: the missing place, shown
        # at its field (focused, on screen), not under the sticky header or below the map
        page.click("#find")
        message = page.locator("#origin-problem")
        message.wait_for(state="visible")
        assert message.get_attribute("role") == "alert"
        assert "abgeholt" in message.inner_text()
        assert in_view(page, "#origin-problem") and in_view(page, "#origin-search")
        assert page.evaluate("() => document.activeElement.id") == "origin-search"
        assert page.locator("#origin-search").get_attribute("aria-invalid") == "true"
        shot(page, "rider_02_message_at_field")

        # -- by village name: "Käbschütztal" is a village, not a stop
        origin = choose_first(page, "origin", "Käbschütz", "settlement", "Käbschütztal")
        assert "Käbschütztal" in origin, origin
        # -- and to the doctor: "Arzt" finds the doctor's practice (a place, not a stop)
        page.locator("#destination-search").click()
        page.locator("#destination-search").type("Arzt", delay=60)
        page.locator('#destination-results [role=option][data-kind="poi"]', has_text="Arzt").first.wait_for(
            state="visible")
        options = page.locator("#destination-results [role=option]").all_inner_texts()
        assert any("Arztpraxis" in o for o in options), options
        shot(page, "rider_03_search_arzt")
        page.locator('#destination-results [role=option][data-kind="poi"]').first.click()
        destination = page.locator("#destination-chosen").inner_text()
        assert "Arztpraxis" in destination, destination

        # the doctor is kept as a favourite (a prompt asks for the name)
        page.click('#place-destination [data-action="save-favourite"]')
        page.wait_for_selector('#destination-favourites [data-favourite="Arzt"]')

        # both places are on the map, clear of its zoom buttons
        page.wait_for_function("() => JSON.parse(document.getElementById('map').dataset.markerBoxes || '[]')"
                               ".length === 2")
        page.wait_for_timeout(300)
        markers_clear_of_controls(page)

        # -- "Fahrt suchen": the answer scrolls into view, focused, with why the time is what it is
        page.click("#find")
        page.wait_for_selector("#offer-list .offer")
        page.wait_for_function("() => document.getElementById('find').getAttribute('aria-busy') === 'false'")
        assert in_view(page, "#offers")
        assert page.evaluate("() => document.getElementById('offers').contains(document.activeElement)")
        offer = page.locator("#offer-list .offer").first
        text = offer.inner_text()
        assert "Abholung" in text and ("Tür" in text or "zu Fuß" in text or "Haltestelle" in text), text
        reason = offer.locator(".time-reason")
        assert reason.count() == 1 and "Warum diese Zeit?" in reason.inner_text(), text
        assert re.search(r"\d+ (Min\.|Std\.)", reason.inner_text()), reason.inner_text()   # "30 Min.", German form
        german_only(page)
        fits_the_screen(page)
        page.wait_for_timeout(700)                     # the smooth scroll to the answer has ended
        shot(page, "rider_04_offer")

        # -- booked: the places keep their names (no "Mein Standort", no coordinates)
        offer.locator("button").click()
        page.wait_for_selector("#view-booking:not([hidden]) #booking-facts dd")
        facts = page.locator("#booking-facts").inner_text()
        assert "Käbschütztal" in facts and "Arztpraxis" in facts, facts
        assert "Punkt auf der Karte" not in facts and "Mein Standort" not in facts
        german_only(page)
        fits_the_screen(page)
        shot(page, "rider_05_booked")

        # -- the way back in one tap: the places swapped, "Abfahrt ab" an hour after the arrival
        page.click("#return-trip")
        page.wait_for_selector("#view-book:not([hidden])")
        assert "Arztpraxis" in page.locator("#origin-chosen").inner_text()
        assert "Käbschütztal" in page.locator("#destination-chosen").inner_text()
        assert page.locator('input[name="when"][value="pickup_after"]').is_checked()
        shot(page, "rider_06_return_trip")

        # -- by a tap on the map: the point gets the name of the street or village there
        page.click('#place-origin [data-action="pick"]')
        box = page.locator("#map canvas").bounding_box()
        # away from the stops (a tap on a stop takes the stop): the corner between the controls
        page.mouse.click(box["x"] + box["width"] * 0.15, box["y"] + box["height"] * 0.8)
        page.wait_for_function("""() => { const t = document.getElementById('origin-chosen').textContent;
            return t.length > 0 && !t.includes('Punkt auf der Karte') && !t.includes('Arztpraxis'); }""")
        tapped = page.locator("#origin-chosen").inner_text()
        assert "synthetisch" in tapped or "straße" in tapped.lower() or "Ortsteil" in tapped, tapped
        # the favourite "Arzt" sets the destination in one tap
        page.click('#destination-favourites [data-favourite="Arzt"]')
        assert "Arztpraxis" in page.locator("#destination-chosen").inner_text()
        page.check('input[name="when"][value="now"]')
        page.click("#find")
        page.wait_for_selector("#offer-list .offer")
        assert "Punkt auf der Karte" not in page.locator("#offer-list").inner_text()
        page.wait_for_timeout(700)                     # the smooth scroll to the answer has ended
        shot(page, "rider_07_map_tap_offer")
        page.locator("#offer-list .offer button").first.click()
        page.wait_for_selector("#view-booking:not([hidden]) #booking-facts dd")
        assert tapped.split(",")[0] in page.locator("#booking-facts").inner_text()

        # -- the ride history: upcoming rides, each with its return trip
        page.click("#tab-bookings")
        page.wait_for_selector("#booking-list .booking-item")
        assert page.locator("#booking-list .booking-item").count() >= 2
        assert page.locator('#booking-list [data-action="return-trip"]').count() >= 2
        german_only(page)
        fits_the_screen(page)
        shot(page, "rider_08_history")

        # the driver and the operator see the names the rider chose
        op = web_api.login(*OPERATOR)
        names = {b["origin"]["name"] for b in web_api.get("/api/v1/ops/bookings", headers=op)}
        assert any("Käbschütztal" in n for n in names) and not any(n in ("Mein Standort", "") for n in names)
        assert not [m for m in page.console_messages if m.startswith("pageerror")], page.console_messages


def test_an_expired_offer_is_asked_for_again(web_server, web_api, new_page, village_rider):
    with running_vehicle(web_api, OPERATOR, "Fahrerpasswort-1234", "TTL"):
        op = web_api.login(*OPERATOR)
        web_api.put("/api/v1/ops/service-area", {"rules": {"offer_ttl_s": 4}}, headers=op)
        try:
            page = new_page(*PHONE)
            page.goto(web_server.url("/"))
            log_in(page, village_rider, PASSWORD)
            page.wait_for_selector("#view-book:not([hidden])")
            choose_first(page, "origin", "Meißen Bahnhof", "stop", "Meißen")
            choose_first(page, "destination", "Arzt Meißen", "poi", "Meißen")
            page.click("#find")
            page.wait_for_selector("#offer-list .offer")
            first = page.locator("#offer-list .offer").first.get_attribute("data-offer-id")
            # no "Diese Fahrt buchen" on a dead offer: a fresh one replaces it by itself
            page.wait_for_function("""(old) => { const o = document.querySelector('#offer-list .offer');
                return o && o.dataset.offerId !== old; }""", arg=first, timeout=20_000)
            note = page.locator("#find-status").inner_text() + page.locator("#offers-note").inner_text()
            assert "abgelaufen" in note, note
            shot(page, "rider_09_offer_renewed")
        finally:
            web_api.put("/api/v1/ops/service-area", {"rules": {"offer_ttl_s": 300}}, headers=op)


def test_my_location_is_named_by_the_street_or_village_there(web_server, web_api, new_page, village_rider):
    with running_vehicle(web_api, OPERATOR, "Fahrerpasswort-1234", "GPS"):
        stops = {s["name"]: s for s in web_api.get("/api/v1/stops", limit=5000)}
        near = stops["Meißen, Bahnhof"]
        page = new_page(*PHONE)
        page.context.grant_permissions(["geolocation"])
        page.context.set_geolocation({"latitude": near["lat"] + 0.002, "longitude": near["lon"] + 0.002})
        page.goto(web_server.url("/"))
        log_in(page, village_rider, PASSWORD)
        page.wait_for_selector("#view-book:not([hidden])")
        page.click('#place-origin [data-action="locate"]')
        page.wait_for_function("() => { const t = document.getElementById('origin-chosen').textContent;"
                               " return t.startsWith('Mein Standort: ') && t.length > 16; }")
        chosen = page.locator("#origin-chosen").inner_text()
        assert "Punkt auf der Karte" not in chosen and not re.search(r"\d+\.\d{3}", chosen), chosen
        label = chosen.removeprefix("Mein Standort: ")
        choose_first(page, "destination", "Arzt", "poi", "Arzt")
        page.click("#find")
        page.locator("#offer-list .offer button").first.click()
        page.wait_for_selector("#view-booking:not([hidden]) #booking-facts dd")
        facts = page.locator("#booking-facts").inner_text()
        assert label in facts and "Mein Standort" not in facts, facts
        shot(page, "rider_10_my_location_booked")


def test_operator_phone_booking_finds_a_callers_village_and_doctor(web_server, web_api, new_page):
    page = new_page(1280, 900)
    page.goto(web_server.url("/ops"))
    log_in(page, *OPERATOR)
    field = page.locator("#origin-input")
    field.wait_for(state="visible")
    field.type("meissen bahnhof", delay=40)
    page.locator('#origin-list [role=option][data-kind="stop"]').first.wait_for(state="visible")
    assert any("Meißen" in o for o in page.locator("#origin-list [role=option]").all_inner_texts())
    page.locator("#origin-list [role=option]").first.click()
    page.locator("#destination-input").type("Arzt", delay=40)
    page.locator('#destination-list [role=option][data-kind="poi"]', has_text="Arzt").first.wait_for(state="visible")
    time.sleep(0.3)
    # near the caller's pickup first: the doctor in Meißen before the ones in other towns
    first = page.locator('#destination-list [role=option][data-kind="poi"]').first.inner_text()
    assert "Meißen" in first, first
    shot(page, "ops_phone_places")
