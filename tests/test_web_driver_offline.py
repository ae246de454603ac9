"""The driver page in dead zones (issue 14), on a real ``ride-pool demo`` server in Debian's Chromium.

A driver on a 390×844 phone starts the shift with two riders on the route (an app booking,
"Erika Mustermann", and a phone booking for "Erna Beispiel" with a wheelchair), then:

* loses the signal mid-route (``context.set_offline``), taps through the app rider's pickup and
  drop-off: every tap waits on its card as "wird gesendet", the connection line says since when
  the server is gone and how many reports wait; the page is reloaded without signal (the service
  worker serves it, IndexedDB keeps the route and the reports) and closed; the signal comes back
  and the page is opened again: the server has each report exactly once, at the time of the tap
  (the event's time), received later (``data.received_at``);
* taps "Eingestiegen" while the server's answer is lost after it applied the report (the request
  goes through, the answer is dropped): the page shows the route as the server has it and the
  report confirmed, with one boarding event;
* gets a drop-off refused (422) on its card in German, not at the top of the page;
* sees when a no-show becomes possible, rider names and needs, navigation links for Android and
  iPhone, the map opened from a card, the night theme (remembered), and a planned break with its
  start and end buttons.

Screenshots: ``tests/artifacts/driver_offline_*.png``.
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from web_support import canvas_is_drawn, log_in, running_vehicle, shot, wait_for_map

pytestmark = pytest.mark.browser

OPERATOR = ("operator@demo.local", "demo-operator")
PASSWORD = "funkloch-im-tal-1"
PHONE_390 = (390, 844)

#: the reports in the phone's outbox (IndexedDB), oldest first
OUTBOX = """() => new Promise((resolve, reject) => {
    const open = indexedDB.open('ride_pool_driver');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
        const db = open.result;
        const read = db.transaction('outbox').objectStore('outbox').getAll();
        read.onsuccess = () => { db.close(); resolve(read.result.sort((a, b) => a.seq - b.seq)); };
        read.onerror = () => reject(read.error);
    };
})"""


def epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp())


def events_of(web_server, booking_id: str) -> list[dict]:
    """The server's events about a booking, from its database (also the arrivals that name it)."""
    db = sqlite3.connect(f"file:{web_server.folder / 'web.db'}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT id, time, kind, booking_id, data FROM events ORDER BY id").fetchall()
    finally:
        db.close()
    out = []
    for _id, time, kind, booking, data in rows:
        data = json.loads(data) if isinstance(data, str) else (data or {})
        if booking == booking_id or booking_id in (data.get("bookings") or []):
            out.append({"time": time, "kind": kind, "data": data})
    return out


def shift_events(web_server, shift_id: int) -> list[dict]:
    """The server's events of a shift without a booking (started, ended, breaks), from its database."""
    db = sqlite3.connect(f"file:{web_server.folder / 'web.db'}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT time, kind, data FROM events WHERE shift_id = ? AND booking_id IS NULL ORDER BY id",
                          (shift_id,)).fetchall()
    finally:
        db.close()
    return [{"time": t, "kind": k, "data": json.loads(d) if isinstance(d, str) else (d or {})} for t, k, d in rows]


def book_app_ride(web_api, stops, name: str, origin: str, destination: str, passengers: int = 8) -> tuple[str, dict]:
    rider = web_api.register(f"offline-rider-{uuid.uuid4().hex[:8]}@example.org", PASSWORD, name)
    quote = web_api.post("/api/v1/quotes", {"origin": {"stop_id": stops[origin]["id"]},
                                            "destination": {"stop_id": stops[destination]["id"]},
                                            "passengers": passengers}, headers=rider)
    assert quote["offers"], quote
    booking = web_api.post("/api/v1/bookings", {"offer_id": quote["offers"][0]["offer_id"]},
                           headers={**rider, "Idempotency-Key": uuid.uuid4().hex})
    return booking["booking_id"], rider


def book_phone_ride(web_api, op, stops, origin: str, destination: str) -> str:
    quote = web_api.post("/api/v1/ops/quotes", {
        "origin": {"stop_id": stops[origin]["id"]}, "destination": {"stop_id": stops[destination]["id"]},
        "passengers": 8, "wheelchairs": 1, "caller_name": "Erna Beispiel", "caller_phone": "03521 123456"}, headers=op)
    assert quote["offers"], quote
    booking = web_api.post("/api/v1/ops/bookings", {"offer_id": quote["offers"][0]["offer_id"]},
                           headers={**op, "Idempotency-Key": uuid.uuid4().hex})
    return booking["booking_id"]


def shift_now(web_api, own) -> dict:
    """The shift of ``running_vehicle`` as the operator sees it now."""
    return next(s for s in web_api.get("/api/v1/ops/shifts", headers=own["op"]) if s["id"] == own["shift"]["id"])


def set_rules(web_api, op, **rules) -> None:
    web_api.put("/api/v1/ops/service-area", {"rules": rules}, headers=op)


@pytest.fixture
def route_with_two_riders(web_server, web_api):
    """A vehicle with 8 seats (no demo vehicle takes 8 people), its driver, a shift running now and
    two bookings of 8 people on it: Erika Mustermann (app) Meißen → Coswig and Erna Beispiel
    (phone, one wheelchair) Coswig → Meißen. Reports right after booking are plausible (the
    journey runs in seconds)."""
    with running_vehicle(web_api, OPERATOR, PASSWORD, "Talbus") as own:
        op = own["op"]
        set_rules(web_api, op, early_arrival_s=7200, early_boarding_s=7200, min_ride_fraction=0)
        app, rider = book_app_ride(web_api, own["stops"], "Erika Mustermann", "Meißen, Bahnhof", "Coswig, Zentrum")
        phone = book_phone_ride(web_api, op, own["stops"], "Coswig, Zentrum", "Meißen, Bahnhof")
        yield {**own, "app": app, "phone": phone, "rider": rider}


def start_shift_on_phone(browser, web_server, own, *, user_agent: str | None = None):
    """A phone-sized context, logged in, the shift started, the route and the map shown and the
    service worker in control (so the page works without signal from now on)."""
    depot = own["stops"]["Meißen, Bahnhof"]
    options = dict(viewport={"width": PHONE_390[0], "height": PHONE_390[1]}, locale="de-DE",
                   timezone_id="Europe/Berlin", device_scale_factor=1, has_touch=True,
                   permissions=["geolocation"], geolocation={"latitude": depot["lat"], "longitude": depot["lon"]})
    if user_agent:
        options["user_agent"] = user_agent
    context = browser.new_context(**options)
    context.set_default_timeout(20_000)
    page = new_tab(context)
    page.goto(web_server.url("/driver"))
    log_in(page, own["email"], PASSWORD)
    page.click(f'.shift-card[data-shift-id="{own["shift"]["id"]}"] button')
    page.wait_for_selector("#work:not([hidden])")
    page.wait_for_selector("#steps .step")
    wait_for_map(page, "#map")
    page.wait_for_function("() => document.documentElement.dataset.offlineReady === 'true' "
                           "&& !!navigator.serviceWorker.controller")
    return context, page


def new_tab(context):
    page = context.new_page()
    page.console_messages = []
    page.on("pageerror", lambda e: page.console_messages.append(f"pageerror: {e}"))
    return page


def card(page, booking_id: str, kind: str) -> str:
    return f'.step[data-kind="{kind}"][data-booking-ids~="{booking_id}"]'


def tap(page, booking_id: str, kind: str, report: str) -> None:
    page.click(f'{card(page, booking_id, kind)} button[data-report="{report}"][data-booking="{booking_id}"]')
    page.wait_for_selector(f'{card(page, booking_id, kind)} [data-report-state][data-report="{report}"], '
                           f'#other-reports [data-report="{report}"]', state="attached")


def connection(page) -> str:
    return page.inner_text("#live-state")


def no_page_errors(page) -> None:
    errors = [m for m in page.console_messages if m.startswith("pageerror")]
    assert not errors, errors


def test_offline_pickup_and_dropoff_reach_the_server_once_with_the_tap_times(browser, web_server, web_api,
                                                                              route_with_two_riders):
    own = route_with_two_riders
    app, phone = own["app"], own["phone"]
    context, page = start_shift_on_phone(browser, web_server, own)
    try:
        # -- the cards: who, how many, wheelchairs, the phone booking's caller and number
        pickup = page.inner_text(card(page, app, "pickup"))
        assert "Erika M." in pickup and "Mustermann" not in pickup, pickup
        assert "Steigen ein: 8 Pers." in pickup
        phone_card = page.inner_text(card(page, phone, "pickup"))
        assert "Erna Beispiel" in phone_card and "03521 123456" in phone_card and "davon 1 im Rollstuhl" in phone_card
        assert page.get_attribute(f'{card(page, phone, "pickup")} a.rider-phone', "href") == "tel:03521123456"
        assert re.search(r"Live verbunden|Verbunden", connection(page)), connection(page)

        # -- the signal goes: four taps, each kept with its time and shown as waiting on its card
        context.set_offline(True)
        page.wait_for_selector('#connection[data-state="offline"]')
        for kind, report in (("pickup", "arrived"), ("pickup", "boarded"), ("dropoff", "arrived"),
                             ("dropoff", "dropped_off")):
            tap(page, app, kind, report)
            page.wait_for_timeout(1100)          # tap times a second apart (they are sent to the second)
        outbox = page.evaluate(OUTBOX)
        assert [(r["report"], r["step_kind"], r["state"]) for r in outbox] == [
            ("arrived", "pickup", "waiting"), ("boarded", "pickup", "waiting"),
            ("arrived", "dropoff", "waiting"), ("dropped_off", "dropoff", "waiting")]
        assert len({r["id"] for r in outbox}) == 4
        taps = {(r["report"], r["step_kind"]): r["reported_at"] for r in outbox}
        assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", t) for t in taps.values()), taps
        waiting = page.locator(f'{card(page, app, "pickup")} [data-report-state="waiting"]')
        assert waiting.count() == 2 and "wird gesendet" in waiting.first.inner_text()
        assert re.fullmatch(r"Offline seit \d+ (Sek|Min)\. — 4 Meldungen warten", connection(page)), connection(page)
        assert page.text_content("#alert") == ""
        page.evaluate("window.scrollTo(0, 0)")
        shot(page, "driver_offline_waiting")

        # -- reloaded without signal: the page, the route and the waiting reports are all there
        page.reload()
        page.wait_for_selector(f'{card(page, phone, "pickup")}')
        page.wait_for_selector(f'{card(page, app, "dropoff")} [data-report-state="waiting"][data-report="dropped_off"]')
        assert page.locator('[data-report-state="waiting"]').count() == 4
        assert re.fullmatch(r"Offline seit \d+ (Sek|Min)\. — 4 Meldungen warten", connection(page)), connection(page)
        wait_for_map(page, "#map")                # the road network came from the service worker's cache
        assert canvas_is_drawn(page, "#map")
        shot(page, "driver_offline_reloaded")
        # the map from the card, over the whole phone screen, still without signal
        page.click(f'{card(page, phone, "pickup")} button[data-map]')
        page.wait_for_selector("#map-panel.map-open")
        assert page.evaluate("document.querySelector('#map').getBoundingClientRect().height") > 600
        page.wait_for_timeout(300)
        shot(page, "driver_offline_map")
        page.keyboard.press("Escape")
        page.wait_for_selector("#map-panel:not(.map-open)")

        # -- the page is closed; the server has none of it yet
        page.close()
        booking = web_api.get(f"/api/v1/bookings/{app}", headers=own["rider"])
        assert booking["status"] == "confirmed" and booking["boarded_at"] is None

        # -- the signal is back and the page opened again: the reports go out in order, once each
        context.set_offline(False)
        page = new_tab(context)
        page.goto(web_server.url("/driver"))
        page.wait_for_selector('#connection[data-waiting="0"]:not([data-state="offline"])', timeout=30_000)
        page.wait_for_selector(card(page, app, "dropoff"), state="detached")
        assert page.locator(card(page, app, "pickup")).count() == 0
        assert page.locator("[data-report-state]").count() == 0
        assert page.evaluate(OUTBOX) == []
        page.wait_for_selector(card(page, phone, "pickup"))
        shot(page, "driver_offline_synced")

        booking = web_api.get(f"/api/v1/bookings/{app}", headers=own["rider"])
        assert booking["status"] == "completed"
        assert epoch(booking["boarded_at"]) == epoch(taps[("boarded", "pickup")])
        assert epoch(booking["completed_at"]) == epoch(taps[("dropped_off", "dropoff")])
        events = events_of(web_server, app)
        kinds = [e["kind"] for e in events]
        assert kinds.count("rider_boarded") == 1 and kinds.count("rider_dropped_off") == 1, kinds
        arrivals = [e for e in events if e["kind"] == "vehicle_arrived"]
        assert len(arrivals) == 2, arrivals
        expected = {"vehicle_arrived": [taps[("arrived", "pickup")], taps[("arrived", "dropoff")]],
                    "rider_boarded": [taps[("boarded", "pickup")]],
                    "rider_dropped_off": [taps[("dropped_off", "dropoff")]]}
        for kind, times in expected.items():
            got = [e for e in events if e["kind"] == kind]
            assert [e["time"] for e in got] == [epoch(t) for t in times], (kind, got)
            for e in got:           # sent after the signal came back, so received later than tapped
                assert e["data"]["reported_at"] == e["time"] and e["data"]["received_at"] > e["time"], e
        no_page_errors(page)
    finally:
        context.close()


def test_an_answer_lost_after_the_server_applied_the_report(browser, web_server, web_api, route_with_two_riders):
    own = route_with_two_riders
    app = own["app"]
    context, page = start_shift_on_phone(browser, web_server, own)
    try:
        tap(page, app, "pickup", "arrived")
        page.wait_for_selector(f'{card(page, app, "pickup")} button[data-report="arrived"][aria-pressed="true"]')
        page.wait_for_selector('#connection[data-waiting="0"]')

        # the boarding goes through to the server, which applies it; its answer never arrives, and
        # every try to send it again fails too, until the test lets them through
        sent = []

        def lose_answer(route):
            sent.append(route.request.headers.get("idempotency-key"))
            if len(sent) == 1:
                response = route.fetch()
                assert response.status == 200, response.text()
            route.abort("connectionreset")

        page.route(f"**/api/v1/driver/bookings/{app}/boarded", lose_answer)
        tap(page, app, "pickup", "boarded")
        page.wait_for_function("() => document.getElementById('connection').dataset.waiting === '1'")
        # the route as the server has it: the rider is on board, the report is still waiting
        page.evaluate("window.dispatchEvent(new Event('online'))")
        page.wait_for_selector(card(page, app, "pickup"), state="detached")
        # ... said as such: the server has it, the confirmation follows
        page.wait_for_selector('#other-reports [data-report="boarded"][data-report-state="waiting"]'
                               '[data-applied="true"]')
        assert page.text_content("#alert") == ""
        shot(page, "driver_offline_lost_answer")
        # the page keeps trying (every 2 s and more, and on "online"): a second send comes, with the same key
        for _ in range(60):
            if len(sent) >= 2:
                break
            page.wait_for_timeout(500)
        assert len(sent) >= 2 and len(set(sent)) == 1, sent

        page.unroute(f"**/api/v1/driver/bookings/{app}/boarded")
        page.evaluate("window.dispatchEvent(new Event('online'))")
        page.wait_for_selector('#connection[data-waiting="0"]:not([data-state="offline"])', timeout=40_000)
        page.wait_for_selector("#other-reports", state="hidden")
        page.wait_for_selector(card(page, app, "dropoff"))
        assert page.evaluate(OUTBOX) == []
        kinds = [e["kind"] for e in events_of(web_server, app)]
        assert kinds.count("rider_boarded") == 1, kinds
        booking = web_api.get(f"/api/v1/bookings/{app}", headers=own["rider"])
        assert booking["status"] == "onboard"
        no_page_errors(page)
    finally:
        context.close()


def test_refusal_on_its_card_in_german_and_no_show_explained(browser, web_server, web_api, route_with_two_riders):
    own = route_with_two_riders
    phone, op = own["phone"], own["op"]
    context, page = start_shift_on_phone(browser, web_server, own)
    try:
        # the no-show of the phone booking: from when, in German, with the button not yet usable
        route = web_api.get("/api/v1/driver/route", headers=web_api.login(own["email"], PASSWORD))
        rider = next(r for s in route["steps"] if s["kind"] == "pickup" and phone in s["booking_ids"]
                     for r in s["riders"] if r["booking_id"] == phone)
        possible = datetime.fromisoformat(rider["no_show_from"]).astimezone(ZoneInfo("Europe/Berlin"))
        hint = page.inner_text(f'{card(page, phone, "pickup")} .no-show-hint')
        assert f"ab {possible:%H:%M} Uhr möglich" in hint, hint
        assert page.is_disabled(f'{card(page, phone, "pickup")} button[data-report="no_show"]')
        page.locator(f'{card(page, phone, "pickup")} .no-show-hint').scroll_into_view_if_needed()
        shot(page, "driver_offline_no_show_hint")

        # a drop-off right after boarding is implausible for this test (the whole direct drive)
        set_rules(web_api, op, min_ride_fraction=1.0)
        context.set_offline(True)
        page.wait_for_selector('#connection[data-state="offline"]')
        for kind, report in (("pickup", "arrived"), ("pickup", "boarded"), ("dropoff", "dropped_off")):
            tap(page, own["app"], kind, report)
        context.set_offline(False)
        refused = page.wait_for_selector(f'{card(page, own["app"], "dropoff")} [data-report-state="refused"]',
                                         timeout=30_000)
        text = refused.inner_text()
        assert "wurde nicht angenommen" in text and "Ausgestiegen" in text, text
        assert "zu kurz nach dem Einstieg" in text and not re.search(r"\b(the|rider|boarded|cannot)\b", text), text
        assert page.text_content("#alert") == "", "the refusal belongs on the card, not at the top"
        assert "1 Meldung abgelehnt" in connection(page)
        page.locator(f'{card(page, own["app"], "dropoff")}').scroll_into_view_if_needed()
        shot(page, "driver_offline_refused")
        pytest.importorskip("test_web_a11y").audit(page, "the driver page with a refused report on its card")
        # taken note of: the drop-off can be reported again
        page.click(f'{card(page, own["app"], "dropoff")} [data-report-state="refused"] button')
        page.wait_for_selector(f'{card(page, own["app"], "dropoff")} [data-report-state="refused"]', state="detached")
        assert page.is_enabled(f'{card(page, own["app"], "dropoff")} button[data-report="dropped_off"]')
        no_page_errors(page)
    finally:
        set_rules(web_api, op, min_ride_fraction=0)
        context.close()


def test_night_theme_navigation_links_and_map_from_the_card(browser, web_server, web_api, route_with_two_riders):
    own = route_with_two_riders
    android = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/126.0 Mobile Safari/537.36")
    context, page = start_shift_on_phone(browser, web_server, own, user_agent=android)
    try:
        stop = own["stops"]["Meißen, Bahnhof"]
        links = page.locator(f'{card(page, own["app"], "pickup")} .step-navigate a')
        assert links.nth(0).get_attribute("href").startswith("google.navigation:q=")
        assert links.nth(1).get_attribute("href").startswith("geo:")
        assert f"{stop['lat']}" in links.nth(0).get_attribute("href")

        page.click("#theme-toggle")
        assert page.get_attribute("html", "data-theme") == "dark"
        assert page.get_attribute("#theme-toggle", "aria-pressed") == "true"
        context.set_offline(True)
        page.reload()                                   # remembered, also from the cache
        page.wait_for_selector("#steps .step")
        assert page.get_attribute("html", "data-theme") == "dark"
        tap(page, own["app"], "pickup", "arrived")
        page.evaluate("window.scrollTo(0, 0)")
        shot(page, "driver_offline_dark")
        audit = pytest.importorskip("test_web_a11y").audit        # axe-core, WCAG 2 A/AA
        audit(page, "the driver page at night, offline, with a waiting report")
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(14, 19, 24)", background
        context.set_offline(False)
        page.wait_for_selector('#connection[data-waiting="0"]:not([data-state="offline"])', timeout=30_000)
        page.click("#theme-toggle")
        assert page.get_attribute("html", "data-theme") is None
        no_page_errors(page)
    finally:
        context.close()

    iphone = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
              "Version/17.5 Mobile/15E148 Safari/604.1")
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="de-DE", user_agent=iphone,
                                  timezone_id="Europe/Berlin")
    try:
        page = new_tab(context)
        page.goto(web_server.url("/driver"))
        log_in(page, own["email"], PASSWORD)
        page.wait_for_selector(f'{card(page, own["phone"], "pickup")}')
        links = page.locator(f'{card(page, own["phone"], "pickup")} .step-navigate a')
        assert links.count() == 1
        assert links.nth(0).get_attribute("href").startswith("https://maps.apple.com/?daddr=")
    finally:
        context.close()


def test_planned_break_with_start_and_end(browser, web_server, web_api):
    now = datetime.now(ZoneInfo("Europe/Berlin")).replace(microsecond=0)
    planned = {"break_start_earliest": (now - timedelta(minutes=1)).isoformat(),
               "break_start_latest": (now + timedelta(minutes=40)).isoformat(), "break_minutes": 20}
    with running_vehicle(web_api, OPERATOR, PASSWORD, "Pause", shift_fields=planned) as own:
        context, page = start_shift_on_phone(browser, web_server, own)
        try:
            step = page.wait_for_selector('.step[data-kind="break"]')
            assert "Pause, 20 Min." in step.inner_text()
            page.click('.step[data-kind="break"] button[data-report="break_start"]')
            page.wait_for_selector('.step[data-kind="break"][data-state="started"] button[data-report="break_end"]')
            page.wait_for_selector('#connection[data-waiting="0"]:not([data-state="offline"])')
            assert "Pause seit" in page.inner_text('.step[data-kind="break"]')
            shot(page, "driver_offline_break")
            context.set_offline(True)
            page.click('.step[data-kind="break"] button[data-report="break_end"]')
            page.wait_for_selector('.step[data-kind="break"] [data-report-state="waiting"][data-report="break_end"]')
            context.set_offline(False)
            page.wait_for_selector('.step[data-kind="break"]', state="detached", timeout=30_000)
            shift = shift_now(web_api, own)
            assert shift["break_started_at"] and shift["break_ended_at"], shift
            no_page_errors(page)
        finally:
            context.close()


def test_shift_started_and_ended_without_signal(browser, web_server, web_api):
    """The shift list was loaded with signal; the driver starts the shift without it (the page
    shows the shift as starting), the server gets the start at the tap's time; the end likewise."""
    with running_vehicle(web_api, OPERATOR, PASSWORD, "Talbus") as own:
        context = browser.new_context(viewport={"width": PHONE_390[0], "height": PHONE_390[1]},
                                      locale="de-DE", timezone_id="Europe/Berlin", has_touch=True)
        context.set_default_timeout(20_000)
        try:
            page = new_tab(context)
            page.goto(web_server.url("/driver"))
            log_in(page, own["email"], PASSWORD)
            start = f'.shift-card[data-shift-id="{own["shift"]["id"]}"] button'
            page.wait_for_selector(start)
            page.wait_for_function("() => !!navigator.serviceWorker.controller")
            context.set_offline(True)
            page.click(start)
            page.wait_for_selector("#work:not([hidden])")
            page.wait_for_selector('#shift-records [data-report="shift_start"][data-report-state="waiting"]')
            assert page.is_visible("#route-pending")
            tapped = page.evaluate(OUTBOX)[0]["reported_at"]
            page.wait_for_timeout(1100)
            context.set_offline(False)
            page.wait_for_selector("#route-empty:not([hidden])", timeout=30_000)
            page.wait_for_selector('#connection[data-waiting="0"]:not([data-state="offline"])')
            shift = shift_now(web_api, own)
            assert shift["started"] and epoch(shift["started_at"]) == epoch(tapped), (shift, tapped)

            context.set_offline(True)
            page.wait_for_selector('#connection[data-state="offline"]')
            page.once("dialog", lambda dialog: dialog.accept())
            page.click("#end-shift")
            page.wait_for_selector('#shift-records [data-report="shift_end"][data-report-state="waiting"]')
            assert page.is_disabled("#end-shift")
            ended_at = page.evaluate(OUTBOX)[-1]["reported_at"]
            shot(page, "driver_offline_shift_end")
            context.set_offline(False)
            page.wait_for_selector("#shifts:not([hidden])", timeout=30_000)
            ended = [e for e in shift_events(web_server, own["shift"]["id"]) if e["kind"] == "shift_ended"]
            assert len(ended) == 1 and ended[0]["time"] == epoch(ended_at), (ended, ended_at)
            no_page_errors(page)
        finally:
            context.close()
