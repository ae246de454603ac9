"""The operator's control room in Debian's Chromium at 1440×900, German UI (issue 15): moving a
booking to another vehicle and giving it a new time, handling a breakdown, editing the operating
hours. The server is the session's shared ``ride-pool demo``: the vehicles made here are our own
(8 seats: an 8-person booking can only go to them) and are ended afterwards; the hours are set
back."""

from __future__ import annotations

import uuid
from contextlib import ExitStack
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from web_support import ALL_DAY, PHONE, log_in, running_vehicle, shot, wait_for_map  # fixtures: conftest.py

pytestmark = pytest.mark.browser

OPERATOR = ("operator@demo.local", "demo-operator")
WIDE = (1440, 900)
PASSWORD = "umzug-der-busse-7"
BERLIN = ZoneInfo("Europe/Berlin")


def open_dashboard(page, server):
    page.goto(server.url("/ops"))
    login = page.locator("#login-form")
    login.get_by_label("E-Mail").fill(OPERATOR[0])
    login.get_by_label("Passwort").fill(OPERATOR[1])
    login.get_by_role("button", name="Anmelden").click()
    page.wait_for_selector("#dashboard:not([hidden])")
    wait_for_map(page, "#map")
    # the operator event stream is connected (no polling every 5 s)
    page.wait_for_function("() => document.body.dataset.live === 'stream'")


def book_eight(web_api, op, stops, caller: str) -> str:
    """A phone booking of 8 people Meißen → Coswig as soon as possible (only our 8-seat vehicles fit)."""
    quote = web_api.post("/api/v1/ops/quotes", {
        "origin": {"stop_id": stops["Meißen, Bahnhof"]["id"]},
        "destination": {"stop_id": stops["Coswig, Bahnhof"]["id"]},
        "passengers": 8, "caller_name": caller, "caller_phone": "03521 765432"}, headers=op)
    assert quote["offers"], quote
    booking = web_api.post("/api/v1/ops/bookings", {"offer_id": quote["offers"][0]["offer_id"]},
                           headers={**op, "Idempotency-Key": uuid.uuid4().hex})
    return booking["booking_id"]


def open_booking(web_api, op, booking_id) -> dict:
    return next(b for b in web_api.get("/api/v1/ops/bookings", headers=op) if b["booking_id"] == booking_id)


def test_operator_moves_a_booking_and_gives_it_a_new_time(new_page, web_server, web_api):
    with ExitStack() as stack:
        a = stack.enter_context(running_vehicle(web_api, OPERATOR, PASSWORD, "VerlegenA"))
        b = stack.enter_context(running_vehicle(web_api, OPERATOR, PASSWORD, "VerlegenB"))
        op = a["op"]
        # a rider with an account books 8 seats (only our vehicles have them)
        tag = uuid.uuid4().hex[:6]
        caller, rider_email = f"Frau Umzug {tag}", f"umzug-{tag}@example.org"
        rider_auth = web_api.register(rider_email, PASSWORD, caller)
        stops = a["stops"]
        quote = web_api.post("/api/v1/quotes", {
            "origin": {"stop_id": stops["Meißen, Bahnhof"]["id"]},
            "destination": {"stop_id": stops["Coswig, Bahnhof"]["id"]}, "passengers": 8}, headers=rider_auth)
        assert quote["offers"], quote
        booking_id = web_api.post("/api/v1/bookings", {"offer_id": quote["offers"][0]["offer_id"]},
                                  headers={**rider_auth, "Idempotency-Key": uuid.uuid4().hex})["booking_id"]
        before = open_booking(web_api, op, booking_id)
        mine = {a["shift"]["id"]: a, b["shift"]["id"]: b}
        now_on = before["shift_id"]
        assert now_on in mine
        other = next(s for s in mine if s != now_on)

        page = new_page(*WIDE)
        open_dashboard(page, web_server)
        # the desk: search by the caller's name
        page.get_by_label("Suche (Name, Telefon, Buchungsnummer, Haltestelle)").fill(caller)
        page.locator("#desk-form").get_by_role("button", name="Suchen").click()
        row = page.locator(f'#bookings-table tr[data-booking-id="{booking_id}"]')
        row.wait_for()
        # the desk's answer replaces the open bookings (the row above may be the open list's)
        expect(page.locator("#bookings-table tbody tr")).to_have_count(1)
        row.locator("button", has_text="Verschieben / Zeit").click()
        panel = page.locator(f'#move-form[data-booking-id="{booking_id}"][data-ready="true"]')
        panel.wait_for()
        panel.get_by_label("Auf Fahrzeug (Schicht)").select_option(str(other))
        panel.get_by_label("festhalten (die Optimierung verschiebt sie nicht)").check()
        panel.get_by_role("button", name="Verschieben").click()
        page.wait_for_function("() => document.querySelector('#bookings-status').textContent"
                               ".startsWith('Verschoben auf')")
        moved = open_booking(web_api, op, booking_id)
        assert moved["shift_id"] == other and moved["pinned"] is True
        assert (moved["pickup_earliest"], moved["pickup_latest"]) == (before["pickup_earliest"],
                                                                      before["pickup_latest"])
        shot(page, "ops_move")

        # a new time: 30 minutes later
        later = datetime.fromisoformat(before["pickup_earliest"]).astimezone(BERLIN) + timedelta(minutes=30)
        page.locator("#desk-status").select_option("open")
        page.get_by_label("Suche (Name, Telefon, Buchungsnummer, Haltestelle)").fill("")
        page.locator("#desk-form").get_by_role("button", name="Suchen").click()
        page.locator(f'#bookings-table tr[data-booking-id="{booking_id}"]').locator(
            "button", has_text="Verschieben / Zeit").click()
        panel.wait_for()
        page.locator("#retime-time").fill(later.strftime("%Y-%m-%dT%H:%M"))
        panel.get_by_role("button", name="Zeit ändern").click()
        page.wait_for_function("() => document.querySelector('#bookings-status').textContent"
                               ".startsWith('Neues Abholfenster')")
        retimed = open_booking(web_api, op, booking_id)
        assert datetime.fromisoformat(retimed["pickup_earliest"]) == later
        # the rider's view of it: two changes by the operator
        changes = web_api.get(f"/api/v1/bookings/{booking_id}/changes", headers=op)
        assert [(c["cause"], c["change"]) for c in changes] == [("operator", "moved"), ("operator", "retimed")]
        # its history in the panel
        page.locator(f'#bookings-table tr[data-booking-id="{booking_id}"]').locator(
            "button", has_text="Verschieben / Zeit").click()
        page.wait_for_function("() => document.querySelectorAll('#move-history li').length === 2")
        assert "Disposition" in page.locator("#move-history").inner_text()
        shot(page, "ops_retime")
        assert not [m for m in page.console_messages if m.startswith("pageerror")], page.console_messages

        # the rider's page says what changed and who changed it
        rider = new_page(*PHONE)
        rider.goto(web_server.url(f"/bookings/{booking_id}"))
        log_in(rider, rider_email, PASSWORD)
        rider.wait_for_selector('#booking-changes li[data-change="retimed"]')
        changes_text = rider.locator("#booking-changes").inner_text()
        assert "verlegt" in changes_text and "Abholfenster wurde" in changes_text and "Disposition" in changes_text
        rider.locator("#booking-changes-box").scroll_into_view_if_needed()
        shot(rider, "ops_rider_changes")


def test_operator_handles_a_breakdown(new_page, web_server, web_api):
    with ExitStack() as stack:
        a = stack.enter_context(running_vehicle(web_api, OPERATOR, PASSWORD, "PanneA"))
        b = stack.enter_context(running_vehicle(web_api, OPERATOR, PASSWORD, "PanneB"))
        op = a["op"]
        booking_id = book_eight(web_api, op, a["stops"], "Herr Panne")
        web_api.post(f"/api/v1/ops/bookings/{booking_id}/assign", {"shift_id": a["shift"]["id"], "pin": True},
                     headers=op)
        # both drivers start: two vehicles waiting at one depot
        for own in (a, b):
            driver = web_api.login(own["email"], PASSWORD)
            web_api.post("/api/v1/driver/shift/start", {"shift_id": own["shift"]["id"]}, headers=driver)
        page = new_page(*WIDE)
        open_dashboard(page, web_server)
        item = page.locator(f'#live-list li[data-vehicle-id="{a["vehicle"]["id"]}"]')
        item.wait_for()
        assert item.locator("[data-state]").inner_text() == "wartet"
        # their badges are stacked on the map, not drawn on top of each other
        boxes = page.evaluate("() => JSON.parse(document.querySelector('#map').dataset.vehicleBoxes || '[]')")
        assert len(boxes) >= 2
        overlapping = [(p, q) for i, p in enumerate(boxes) for q in boxes[i + 1:]
                       if p[0] < q[2] and q[0] < p[2] and p[1] < q[3] and q[1] < p[3]]
        assert overlapping == [], boxes
        shot(page, "ops_live")
        page.get_by_role("tab", name="Schichten").click()
        row = page.locator(f'#shifts-table tr[data-shift-id="{a["shift"]["id"]}"]')
        row.wait_for()
        page.once("dialog", lambda d: d.accept())
        row.locator("[data-action=breakdown]").click()
        result = page.locator("#breakdown-result")
        result.wait_for()
        result.locator(f'li[data-booking-id="{booking_id}"][data-result="moved"]').wait_for()
        assert "jetzt auf" in result.inner_text() and a["vehicle"]["label"] in result.inner_text()
        moved = open_booking(web_api, op, booking_id)
        assert moved["shift_id"] == b["shift"]["id"]
        shifts = {s["id"]: s for s in web_api.get("/api/v1/ops/shifts", headers=op, include_ended="true")}
        assert shifts[a["shift"]["id"]]["ended"]
        result.scroll_into_view_if_needed()
        shot(page, "ops_breakdown")
        assert not [m for m in page.console_messages if m.startswith("pageerror")], page.console_messages


def test_operator_edits_the_hours(new_page, web_server, web_api):
    op = web_api.login(*OPERATOR)
    before = web_api.get("/api/v1/ops/service-area", headers=op)["rules"]
    try:
        page = new_page(*WIDE)
        open_dashboard(page, web_server)
        page.get_by_role("tab", name="Bediengebiet").click()
        form = page.locator("#hours-form")
        form.get_by_label("Samstag").fill("07:00–12:00, 14:00–20:00")
        form.get_by_label("Sonntag").fill("")
        form.get_by_label("Feiertage ohne Betrieb (je Zeile ein Tag, TT.MM.JJJJ)").fill("25.12.2026\n26.12.2026")
        form.get_by_label("Abholfenster").fill("15")
        form.get_by_role("button", name="Speichern").click()
        page.wait_for_function("() => document.querySelector('#hours-status').textContent.startsWith('Gespeichert')")
        rules = web_api.get("/api/v1/ops/service-area", headers=op)["rules"]
        assert rules["operating_hours"]["sat"] == [["07:00", "12:00"], ["14:00", "20:00"]]
        assert "sun" not in rules["operating_hours"] and rules["holidays"] == ["2026-12-25", "2026-12-26"]
        assert rules["window_s"] == 900
        assert "bestätigte Zusagen bleiben" in page.locator("#rules-note").inner_text()
        # a wrong interval: a German message, nothing saved
        form.get_by_label("Montag").fill("25:00–26:00")
        form.get_by_role("button", name="Speichern").click()
        error = page.locator("#hours-error")
        error.wait_for()
        assert "Montag" in error.inner_text() and "25:00–26:00" in error.inner_text()
        form.get_by_label("Montag").fill("05:00–09:00, 08:00–12:00")
        form.get_by_role("button", name="Speichern").click()
        page.wait_for_function("() => document.querySelector('#hours-error').textContent"
                               " === 'Montag: Die Zeiträume überschneiden sich.'")
        form.scroll_into_view_if_needed()
        shot(page, "ops_hours")
        assert web_api.get("/api/v1/ops/service-area", headers=op)["rules"]["window_s"] == 900
        assert not [m for m in page.console_messages if m.startswith("pageerror")], page.console_messages
    finally:
        web_api.put("/api/v1/ops/service-area", {"rules": {
            "operating_hours": before.get("operating_hours", ALL_DAY), "holidays": [],
            "window_s": before["window_s"]}}, headers=op)


EXCEL_CSV = ("Haltestelle;Ort;Breite;Länge;DHID\r\n"
             "Bahnhof;Coswig;51,135247;13,588342;de:14627:9001\r\n"
             "Schloßstraße;Meißen;51,1634;13,4737;de:14627:9002\r\n").encode("cp1252")
BROKEN_CSV = ("Haltestelle;Ort;Breite;Länge;DHID\r\n"
              "Bahnhof;Coswig;51,135247;13,588342;de:14627:9001\r\n"
              "Zentrum;Klipphausen;einundfünfzig;13,527816;de:14627:9002\r\n").encode("cp1252")


def test_operator_previews_a_german_stop_file_and_plans_the_week(new_page, web_server, web_api):
    op = web_api.login(*OPERATOR)
    tag = uuid.uuid4().hex[:6]
    stops = {s["name"]: s for s in web_api.get("/api/v1/stops", limit=5000)}
    depot = stops["Meißen, Bahnhof"]
    vehicle = web_api.post("/api/v1/ops/vehicles", {"label": f"Plan {tag}", "seats": 6, "wheelchair_places": 1,
                                                    "depot_lat": depot["lat"], "depot_lon": depot["lon"]}, headers=op)
    page = new_page(*WIDE)
    try:
        open_dashboard(page, web_server)
        # --- a stop file from Excel (Windows-1252, ';', decimal commas): preview, nothing written
        page.get_by_role("tab", name="Haltestellen").click()
        upload = {"name": "haltestellen.csv", "mimeType": "text/csv", "buffer": EXCEL_CSV}
        page.locator("#import-file").set_input_files(upload)
        page.get_by_role("button", name="Vorschau", exact=True).first.click()
        preview = page.locator("#import-preview-out")
        preview.locator("table").wait_for()
        assert "Schloßstraße" in preview.inner_text() and "Meißen" in preview.inner_text()
        page.locator("#import-file").set_input_files({**upload, "buffer": BROKEN_CSV})
        page.locator("#import-preview").click()
        preview.locator("li[data-line='3']").wait_for()
        assert "Zeile 3" in preview.inner_text()
        preview.scroll_into_view_if_needed()
        shot(page, "ops_stops_preview")

        # --- the weekly plan: Mon-Fri 05:00-13:00 with a 30-minute break
        page.get_by_role("tab", name="Schichten").click()
        form = page.locator("#template-form")
        form.get_by_label("Fahrzeug").select_option(str(vehicle["id"]))
        for day in ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag"):
            form.get_by_label(day).check()
        form.get_by_label("Beginn").fill("05:00")
        form.get_by_label("Ende").fill("13:00")
        form.get_by_label("Pause frühestens").fill("08:30")
        form.get_by_label("Pause spätestens").fill("10:00")
        form.get_by_label("Pausenlänge (Minuten)").fill("30")
        form.get_by_role("button", name="Speichern").click()
        page.wait_for_function("() => document.querySelectorAll('#templates-table tbody tr').length >= 5")
        page.locator("#plan-weeks").fill("1")
        page.locator("#plan-preview").click()
        page.locator("#plan-table tbody tr").first.wait_for()
        mine = page.locator("#plan-table tbody tr", has_text=f"Plan {tag}")
        assert mine.count() >= 4 and "30 min, Beginn 08:30–10:00" in mine.first.inner_text()
        page.locator("#plan-section").scroll_into_view_if_needed()
        shot(page, "ops_plan")
        page.locator("#plan-generate").click()
        page.wait_for_function("() => /\\d+ Schichten angelegt/"
                               ".test(document.querySelector('#plan-status').textContent)")
        made = [s for s in web_api.get("/api/v1/ops/shifts", headers=op) if s["vehicle_id"] == vehicle["id"]]
        assert len(made) == mine.count() and all(s["break_minutes"] == 30 for s in made)
        assert not [m for m in page.console_messages if m.startswith("pageerror")], page.console_messages
    finally:
        for t in web_api.get("/api/v1/ops/shift-templates", headers=op):
            if t["vehicle_id"] == vehicle["id"]:
                web_api.client.delete(f"/api/v1/ops/shift-templates/{t['id']}", headers=op)
        for s in web_api.get("/api/v1/ops/shifts", headers=op):
            if s["vehicle_id"] == vehicle["id"]:
                web_api.post(f"/api/v1/ops/shifts/{s['id']}/end", headers=op)
