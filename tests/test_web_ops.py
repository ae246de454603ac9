"""Operator dashboard (/ops) in Debian's Chromium: log-in, live map, KPI tiles, a phone booking,
vehicles, stops (create, edit, import) and the refusal of a rider account.

The server is the session's ``ride-pool demo`` (shared with the other browser tests): everything
made here has a name of its own, and nothing of the demo county is changed.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from web_support import DESKTOP, PHONE, canvas_is_drawn, shot, wait_for_map  # fixtures: conftest.py

pytestmark = pytest.mark.browser

OPERATOR = ("operator@demo.local", "demo-operator")
RIDER = ("rider@demo.local", "demo-rider")
TABLET = (820, 1180)
BERLIN = ZoneInfo("Europe/Berlin")


def log_in(page, server, email, password):
    page.goto(server.url("/ops"))
    login = page.locator("#login-form")
    login.get_by_label("E-Mail").fill(email)
    login.get_by_label("Passwort").fill(password)
    login.get_by_role("button", name="Anmelden").click()


def open_dashboard(page, server):
    log_in(page, server, *OPERATOR)
    page.wait_for_selector("#dashboard:not([hidden])")
    wait_for_map(page, "#map")
    # the KPI tiles carry numbers once loaded
    page.wait_for_function("() => document.querySelector('[data-kpi=requests] .tile-value').textContent !== '–'")


def kpi(page, key: str) -> str:
    return page.locator(f'[data-kpi="{key}"] .tile-value').inner_text().strip()


def choose_stop(page, field: str, text: str, name: str):
    box = page.locator(f"#{field}-input")
    box.fill(text)
    page.locator(f"#{field}-list [role=option]", has_text=name).first.click()
    assert box.input_value() == name


def pickup_time() -> str:
    """A pickup time the demo fleet serves whatever the time of day the tests run: in an hour,
    or 10:00 when that is at night (the demo shifts cover the next 24 hours)."""
    now = datetime.now(BERLIN)
    t = now + timedelta(minutes=60)
    if not 6 <= t.hour < 21:
        t = now.replace(hour=10, minute=0) + (timedelta(days=1) if now.hour >= 10 else timedelta())
    t = t.replace(second=0, microsecond=0, minute=t.minute - t.minute % 5)
    return t.strftime("%Y-%m-%dT%H:%M")


def test_operator_runs_the_service(new_page, web_server, web_api, tmp_path):
    tag = uuid.uuid4().hex[:6]
    page = new_page(*DESKTOP)
    open_dashboard(page, web_server)
    assert canvas_is_drawn(page, "#map")
    for key in ("requests", "confirmed", "served", "rejected", "vehicle_km"):
        assert re.fullmatch(r"[\d.,]+", kpi(page, key)), (key, kpi(page, key))
    # the vehicles on shift are listed beside the map
    page.wait_for_selector("#live-list li[data-vehicle-id]")
    requests_before = int(kpi(page, "requests").replace(".", ""))

    # --- a phone booking for a caller without an account
    choose_stop(page, "origin", "Coswig", "Coswig, Bahnhof")
    choose_stop(page, "destination", "Radebeul", "Radebeul, Zentrum")
    phone = page.locator("#phone-form")
    phone.get_by_label("Abholung ab").check()
    phone.get_by_label("Uhrzeit").fill(pickup_time())
    phone.get_by_label("Fahrgäste").fill("2")
    phone.get_by_label("Name", exact=True).fill("Erna Beispiel")
    phone.get_by_label("Telefon").fill("03521 123456")
    # the caller needs help getting in (more time at the stop; any vehicle will do)
    phone.get_by_label("Hilfe beim Ein- und Aussteigen").check()
    phone.get_by_role("button", name="Angebote suchen").click()
    offer = page.locator("#phone-offers .offer").first
    offer.wait_for()
    assert "Abholung" in offer.inner_text()
    shot(page, "ops_desktop_offers")
    offer.get_by_role("button").click()
    confirmation = page.locator("#phone-confirmation")
    confirmation.wait_for()
    text = confirmation.inner_text()
    assert "Gebucht für Erna Beispiel, Tel. 03521 123456" in text and "zwischen" in text, text
    booking_id = confirmation.get_attribute("data-booking-id")
    earliest = datetime.fromisoformat(confirmation.get_attribute("data-pickup-earliest"))
    latest = datetime.fromisoformat(confirmation.get_attribute("data-pickup-latest"))
    assert latest - earliest == timedelta(minutes=20)
    assert f"{earliest.astimezone(BERLIN):%H:%M}" in text and f"{latest.astimezone(BERLIN):%H:%M}" in text
    # the booking is in the list of open bookings with its caller, and the KPIs count the request
    row = page.locator(f'#bookings-table tr[data-booking-id="{booking_id}"]')
    row.wait_for()
    assert "Erna Beispiel, Tel. 03521 123456" in row.locator(".caller").inner_text()
    assert row.locator(".needs").inner_text() == "Hilfe beim Ein- und Aussteigen"   # the need travels with it
    page.wait_for_function("(before) => Number(document.querySelector('[data-kpi=requests]').dataset.value) > before",
                           arg=requests_before)
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "ops_desktop")
    shot(page, "ops_desktop_full", full_page=True)

    # --- a stop cannot be asked for without choosing one: a plain sentence
    page.get_by_role("button", name="Neue Telefonbuchung").click()
    page.get_by_role("button", name="Angebote suchen").click()
    alert = page.locator("#phone-error")
    assert alert.get_attribute("role") == "alert"
    assert "Bitte wählen Sie den Startort" in alert.inner_text()

    # --- vehicles: create one, a depot outside the area is refused with a sentence
    page.get_by_role("tab", name="Fahrzeuge").click()
    form = page.locator("#vehicle-form")
    label = f"TEST-OPS {tag}"
    form.get_by_label("Kennzeichen").fill(label)
    form.get_by_label("Sitze").fill("5")
    form.get_by_label("Rollstuhlplätze").fill("1")
    form.get_by_label("Breite (lat)").fill("48.137")      # Munich
    form.get_by_label("Länge (lon)").fill("11.575")
    form.get_by_role("button", name="Speichern").click()
    error = page.locator("#vehicle-error")
    error.wait_for()
    assert len(error.inner_text()) > 20 and "{" not in error.inner_text()
    form.get_by_label("Breite (lat)").fill("51.1267")
    form.get_by_label("Länge (lon)").fill("13.5805")
    form.get_by_role("button", name="Speichern").click()
    row = page.locator("#vehicles-table tbody tr", has_text=label)
    row.wait_for()
    assert page.locator("#vehicle-error").is_hidden()
    # and edit it
    row.get_by_role("button", name=f"Fahrzeug {label} bearbeiten").click()
    form.get_by_label("Sitze").fill("6")
    form.get_by_role("button", name="Speichern").click()
    page.wait_for_function(f"""() => [...document.querySelectorAll('#vehicles-table tbody tr')]
        .some(r => r.textContent.includes('{label}') && r.children[1].textContent === '6')""")
    vehicles = web_api.get("/api/v1/ops/vehicles", headers=web_api.login(*OPERATOR))
    assert [(v["seats"], v["wheelchair_places"]) for v in vehicles if v["label"] == label] == [(6, 1)]

    # --- stops: create one, edit it, import a small file
    page.get_by_role("tab", name="Haltestellen").click()
    form = page.locator("#stop-form")
    name = f"Coswig, Testhalt {tag}"
    form.get_by_label("Name").fill(name)
    form.get_by_label("Ort").fill("Coswig")
    form.get_by_label("Breite (lat)").fill("51.1300")
    form.get_by_label("Länge (lon)").fill("13.5830")
    form.get_by_role("button", name="Speichern").click()
    page.locator("#stop-status", has_text="Angelegt").wait_for()
    page.get_by_label("Haltestellen filtern").fill(tag)
    row = page.locator("#stops-table tbody tr", has_text=name)
    row.get_by_role("button", name=f"Haltestelle {name} bearbeiten").click()
    form.get_by_label("Name").fill(name + " Nord")
    form.get_by_label("Kennung").fill(f"ops-test:{tag}")
    form.get_by_role("button", name="Speichern").click()
    page.locator("#stops-table tbody tr", has_text=name + " Nord").wait_for()
    found = web_api.get("/api/v1/stops", q="Coswig, Testhalt")
    assert [(s["name"], s["code"]) for s in found if tag in s["name"]] == [(name + " Nord", f"ops-test:{tag}")]

    csv = tmp_path / "stops.txt"
    csv.write_text("stop_id,stop_name,stop_lat,stop_lon\n"
                   f"imp-{tag}-1,Weinböhla Import {tag},51.1631,13.5715\n"
                   f"imp-{tag}-2,Niederau Import {tag},51.1760,13.5359\n"
                   f"imp-{tag}-3,München Import {tag},48.1372,11.5755\n", encoding="utf-8")
    page.locator("#import-file").set_input_files(str(csv))
    page.get_by_role("button", name="Importieren").click()
    status = page.locator("#import-status")
    status.wait_for()
    page.wait_for_function("() => document.querySelector('#import-status').textContent.includes('importiert')")
    assert "2 Haltestellen importiert, 1 außerhalb" in status.inner_text()
    page.get_by_label("Haltestellen filtern").fill(f"Import {tag}")
    assert page.locator("#stops-table tbody tr").count() == 2
    # a broken file: a plain sentence, nothing imported
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    page.locator("#import-file").set_input_files(str(bad))
    page.get_by_role("button", name="Importieren").click()
    page.locator("#import-error").wait_for()
    assert "Haltestellen-Datei" in page.locator("#import-error").inner_text()
    shot(page, "ops_desktop_stops")

    # --- service area and operating hours
    page.get_by_role("tab", name="Bediengebiet").click()
    hours = web_api.get("/api/v1/ops/service-area", headers=web_api.login(*OPERATOR))["rules"]["operating_hours"]
    opening, closing = hours["mon"]
    # the hours editor (issue 15)
    assert page.locator("#hours-form").get_by_label("Montag").input_value() == f"{opening}–{closing}"

    # --- the booking is cancelled from the list
    page.get_by_role("tab", name="Buchungen").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f'#bookings-table tr[data-booking-id="{booking_id}"] button', has_text="Stornieren").click()
    page.wait_for_selector(f'#bookings-table tr[data-booking-id="{booking_id}"]', state="detached")
    # no script errors (the refused requests above are logged by the browser as failed loads)
    errors = [m for m in page.console_messages if m.startswith(("error", "pageerror"))
              and "Failed to load resource" not in m]
    assert not errors, errors


@pytest.mark.parametrize("size,name", [(TABLET, "ops_tablet"), (PHONE, "ops_phone")])
def test_dashboard_on_smaller_screens(new_page, web_server, size, name):
    page = new_page(*size)
    open_dashboard(page, web_server)
    shot(page, name)
    # English on request; the tiles and tabs follow
    page.get_by_role("button", name="EN", exact=True).click()
    assert page.get_by_role("tab", name="Vehicles").is_visible()
    assert page.locator('[data-kpi="served"] .tile-label').inner_text() == "Trips completed"
    shot(page, name + "_en", full_page=size == TABLET)
    # every form control on the page has a label (or an accessible name)
    unnamed = page.evaluate("""() => [...document.querySelectorAll('input:not([type=hidden]), select, button')]
        .filter(el => el.offsetParent !== null)
        .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.textContent.trim())
        .map(el => el.outerHTML.slice(0, 80))""")
    assert unnamed == []
    page.get_by_role("button", name="DE", exact=True).click()


def test_rider_cannot_use_the_dashboard(new_page, web_server):
    page = new_page(*DESKTOP)
    log_in(page, web_server, *RIDER)
    alert = page.locator("#login-error")
    alert.wait_for()
    assert alert.get_attribute("role") == "alert"
    assert "Mit diesem Konto (Fahrgast) können Sie die Disposition nicht benutzen" in alert.inner_text()
    assert page.locator("#dashboard").is_hidden()
    shot(page, "ops_rider_refused")
    # no token is kept: a reload shows the log-in again
    page.reload()
    page.locator("#login-form").wait_for()
    assert page.locator("#dashboard").is_hidden()
    # a wrong password is a sentence too
    log_in(page, web_server, OPERATOR[0], "wrong-password")
    page.wait_for_function("() => document.querySelector('#login-error').textContent.length > 5")
    assert "falsch" in page.locator("#login-error").inner_text()
    shot(page, "ops_login_wrong_password")
