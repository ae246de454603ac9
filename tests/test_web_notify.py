"""Issue 17, browser journey: a rider reads the start page (how it works, hotline, legal links),
turns on push on this device, sees the fare of an offer, and sets up a series of rides; the
server (``ride-pool demo``, its outbox sender running) books today's ride of the series and
pushes "Fahrt bestätigt" to the subscription, encrypted for it; the page's service worker shows
a pushed message. Screenshots: ``tests/artifacts/notify_*.png``.

Headless Chromium here has no push service (Chrome's is Google's, unreachable and not wanted in
a test), so ``PushManager.subscribe`` is the one browser function replaced: it returns the
subscription of a local push endpoint (tests/notify_support.PushEndpoint) with its own key pair.
Everything after it is real: the page sends the subscription, the server encrypts and signs
(VAPID) for it, the endpoint decrypts; and the service worker receives a push through the
DevTools protocol (``ServiceWorker.deliverPushMessage``), as Chrome does from its push service.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from notify_support import PushEndpoint
from web_support import PHONE, log_in, running_vehicle, shot

pytestmark = pytest.mark.browser
OPERATOR = ("operator@demo.local", "demo-operator")

FAKE_SUBSCRIBE = """(subscription) => {
  const fake = {
    endpoint: subscription.endpoint,
    toJSON() { return { endpoint: subscription.endpoint, expirationTime: null, keys: subscription.keys }; },
    unsubscribe() { return Promise.resolve(true); },
  };
  PushManager.prototype.subscribe = function (options) {
    window.__subscribeOptions = { userVisibleOnly: options.userVisibleOnly,
                                  keyLength: options.applicationServerKey.byteLength };
    return Promise.resolve(fake);
  };
  PushManager.prototype.getSubscription = function () { return Promise.resolve(null); };
}"""


def test_rider_turns_on_push_and_sets_up_a_series(web_server, web_api, new_page):
    email = f"serie-{uuid.uuid4().hex[:8]}@example.org"
    rider = web_api.register(email, "drei-gute-worte", "Serien Fahrerin")
    with PushEndpoint() as push, running_vehicle(web_api, OPERATOR, "driver-pass-1", "NOTIFY") as fleet:
        page = new_page(*PHONE)
        page.context.grant_permissions(["notifications"], origin=web_server.base)
        page.goto(web_server.url("/"))
        page.evaluate(FAKE_SUBSCRIBE, push.subscription("journey"))
        # the start page: how it works, the hotline with its hours, legal notice and privacy
        page.wait_for_selector("#auth:not([hidden])")
        page.wait_for_selector("#hotline:has-text('Servicetelefon')")
        assert "So funktioniert's" in page.text_content("#how-it-works")
        assert page.get_attribute("#legal-link", "href") == "/impressum"
        assert page.get_attribute("#privacy-link", "href") == "/datenschutz"
        shot(page, "notify_start_page", full_page=True)

        log_in(page, email, "drei-gute-worte")
        page.wait_for_selector("#view-book:not([hidden])")
        # push on this device
        page.click("#tab-account")
        page.wait_for_selector("#notify-email:checked")
        page.evaluate(FAKE_SUBSCRIBE, push.subscription("journey"))
        page.click("#push-enable")
        page.wait_for_selector("#notify-status:has-text('Push ist auf diesem Gerät eingeschaltet')")
        assert page.is_checked("#notify-push") and page.is_checked("#notify-email")
        assert page.evaluate("window.__subscribeOptions") == {"userVisibleOnly": True, "keyLength": 65}
        assert page.evaluate("navigator.serviceWorker.controller !== null || true")
        profile = web_api.get("/api/v1/me/profile", headers=rider)
        assert profile["channels"] == ["email", "push"] and profile["push_subscriptions"] == 1
        page.locator("#notify-form").scroll_into_view_if_needed()
        shot(page, "notify_account_push_on")

        # places in "Neue Fahrt", an offer shows the fare of the group
        page.click("#tab-book")
        page.fill("#origin-search", "Meißen")
        page.click('#origin-results [role=option]:has-text("Meißen, Bahnhof")')
        page.fill("#destination-search", "Coswig")
        page.click('#destination-results [role=option]:has-text("Coswig, Zentrum")')
        page.select_option("#passengers", "2")
        page.click("#find")
        fare = page.wait_for_selector("#offer-list .offer .fare")
        assert "Fahrpreis für 2 Pers.:" in fare.text_content() and "€" in fare.text_content()
        fare.scroll_into_view_if_needed()
        shot(page, "notify_offer_fare")

        # a series: today's weekday, an hour from now, for a month
        berlin = ZoneInfo("Europe/Berlin")
        pickup = datetime.now(berlin) + timedelta(minutes=65)
        pickup = pickup.replace(minute=pickup.minute // 5 * 5, second=0, microsecond=0)
        weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[pickup.weekday()]
        page.click("#tab-series")
        page.wait_for_selector("#series-places:has-text('Meißen, Bahnhof')")
        page.check(f'#series-days input[value="{weekday}"]')
        page.fill("#series-time", pickup.strftime("%H:%M"))
        page.fill("#series-until", (pickup + timedelta(days=30)).date().isoformat())
        page.click("#series-create")
        page.wait_for_selector("#series-status:has-text('Angelegt')")
        item = page.wait_for_selector(f'#series-list li[data-status="active"] '
                                      f'li[data-date="{pickup.date().isoformat()}"][data-status="booked"]')
        assert "gebucht" in item.text_content()
        page.locator("#series-create").scroll_into_view_if_needed()
        shot(page, "notify_series_created")
        series = web_api.get("/api/v1/series", headers=rider)
        assert len(series) == 1 and series[0]["weekdays"] == [weekday]
        booked = [o["booking_id"] for o in series[0]["occurrences"] if o["status"] == "booked"]
        # the booked ride of the series shows its fare
        page.goto(web_server.url(f"/#/bookings/{booked[0]}"))
        page.wait_for_selector("#booking-facts:has-text('Fahrpreis')")
        assert "€" in page.text_content("#booking-facts")
        page.locator("#booking-facts > *").last.scroll_into_view_if_needed()
        shot(page, "notify_series_booking_fare")
        page.goto(web_server.url("/#/series"))
        page.wait_for_selector(f'#series-list li[data-series-id="{series[0]["id"]}"]')

        # the server's sender pushes "Fahrt bestätigt" to the subscription: decrypted there
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(
                r["payload"].get("booking_id") in booked for r in push.delivered()):
            time.sleep(0.5)
        payloads = [r["payload"] for r in push.delivered()]
        assert any(p["booking_id"] in booked and p["title"] == "Fahrt bestätigt" for p in payloads), payloads
        assert push.delivered()[0]["headers"]["authorization"].startswith("vapid t=")

        # the service worker shows a pushed message (delivered as Chrome's push service would)
        page.evaluate("""() => { window.__pushes = [];
            navigator.serviceWorker.addEventListener('message', (e) => window.__pushes.push(e.data)); }""")
        cdp = page.context.new_cdp_session(page)
        registrations = []
        cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
        cdp.send("ServiceWorker.enable")
        deadline = time.monotonic() + 10
        while not registrations and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        registration = next(r for r in registrations if r["scopeURL"].startswith(web_server.base))
        cdp.send("ServiceWorker.deliverPushMessage", {
            "origin": web_server.base, "registrationId": registration["registrationId"],
            "data": json.dumps(next(p for p in payloads if p["booking_id"] in booked))})
        deadline = time.monotonic() + 10       # (wait_for_function evaluates a string: the CSP forbids it)
        while not page.evaluate("() => window.__pushes.length") and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        assert page.evaluate("window.__pushes[0].title") == "Fahrt bestätigt"
        shown = page.evaluate("""async () => {
            const r = await navigator.serviceWorker.getRegistration('/');
            return (await r.getNotifications()).map((n) => n.title); }""")
        assert shown == ["Fahrt bestätigt"]

        # end the series and cancel its rides (the server is shared by the browser tests)
        page.once("dialog", lambda dialog: dialog.accept())
        page.click(f'#series-list li[data-series-id="{series[0]["id"]}"] .btn-danger')
        page.wait_for_selector('#series-list li[data-status="ended"]')
        page.locator("#series-list").scroll_into_view_if_needed()
        shot(page, "notify_series_ended")
        for booking_id in booked:
            web_api.post(f"/api/v1/bookings/{booking_id}/cancel", headers=rider)
        assert fleet["vehicle"]["id"]
        assert not [m for m in page.console_messages if m.startswith("pageerror")], page.console_messages

        # the operator's "Nachrichten" tab lists the notifications with their delivery state
        ops = new_page(1280, 900)
        ops.goto(web_server.url("/ops"))
        login = ops.locator("#login-form")
        login.get_by_label("E-Mail").fill(OPERATOR[0])
        login.get_by_label("Passwort").fill(OPERATOR[1])
        login.get_by_role("button", name="Anmelden").click()
        ops.wait_for_selector("#dashboard:not([hidden])")
        fare_tile = ops.locator('[data-kpi="fare_revenue_eur"] .tile-value')
        deadline = time.monotonic() + 10
        while fare_tile.inner_text().strip() == "–" and time.monotonic() < deadline:
            ops.wait_for_timeout(100)
        assert fare_tile.inner_text().strip().endswith("€")       # "0,00 €": nobody boarded yet
        # a phone caller's series, set up from the phone booking form
        ops.locator("#caller-name").fill("Herr Serie")
        ops.locator("#caller-phone").fill("0171 4444444")
        ops.check("#caller-sms-consent")
        ops.locator("#origin-input").fill("Meißen, Bahnhof")
        ops.click('#origin-list [role=option]:has-text("Meißen, Bahnhof")')
        ops.locator("#destination-input").fill("Coswig, Zentrum")
        ops.click('#destination-list [role=option]:has-text("Coswig, Zentrum")')
        ops.click("#phone-series summary")
        ops.check(f'#phone-form #series-days input[value="{weekday}"]')
        ops.fill("#phone-form #series-time", pickup.strftime("%H:%M"))
        ops.click("#series-create")
        result = ops.wait_for_selector("#series-result:has-text('angelegt')")
        assert "1 gebucht" in result.text_content(), result.text_content()
        phone_series = int(ops.get_attribute("#series-result", "data-series-id"))
        ops.locator("#phone-series").scroll_into_view_if_needed()
        shot(ops, "notify_ops_phone_series")
        op = web_api.login(*OPERATOR)
        for s in web_api.get("/api/v1/ops/series", headers=op):
            if s["id"] == phone_series:
                assert s["sms_consent"] and s["skip_holidays"] and s["caller_phone"] == "0171 4444444"
                web_api.post(f"/api/v1/series/{phone_series}/end", headers=op)
                for o in s["occurrences"]:
                    if o["booking_id"]:
                        web_api.post(f"/api/v1/ops/bookings/{o['booking_id']}/cancel", headers=op)
        ops.click("#tab-notify")
        ops.wait_for_selector('#outbox-table tr[data-kind="booking_confirmed"][data-status="sent"]')
        assert "Gesendet:" in ops.text_content("#outbox-counts")
        ops.locator("#panel-notify").scroll_into_view_if_needed()
        shot(ops, "notify_ops_messages")
        assert not [m for m in ops.console_messages if m.startswith("pageerror")], ops.console_messages
