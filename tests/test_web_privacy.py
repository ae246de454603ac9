"""Data protection in the pages (Debian's Chromium): the operator's audit log ("Protokoll") and the
rider's "Mein Konto" view (download my data, delete my account).

The server is the session's ``ride-pool demo``; everything made here has a name of its own.
Screenshots: ``tests/artifacts/ops_audit.png`` and ``tests/artifacts/rider_privacy.png``.
"""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from web_support import DESKTOP, PHONE, log_in, shot  # fixtures: conftest.py

pytestmark = pytest.mark.browser

OPERATOR = ("operator@demo.local", "demo-operator")


def test_operator_reads_the_audit_log(new_page, web_server, web_api):
    tag = uuid.uuid4().hex[:6]
    op = web_api.login(*OPERATOR)
    stop = web_api.post("/api/v1/ops/stops", {"name": f"Protokoll-Halt {tag}", "lat": 51.1352, "lon": 13.5883}, op)
    web_api.post("/api/v1/ops/users", {"email": f"fahrer-{tag}@demo.local", "password": "geheim-und-lang-42",
                                       "name": f"Fahrer {tag}", "role": "driver"}, op)

    page = new_page(*DESKTOP)
    page.goto(web_server.url("/ops"))
    log_in(page, *OPERATOR)
    page.wait_for_selector("#dashboard:not([hidden])")
    page.get_by_role("tab", name="Protokoll").click()
    row = page.locator('#audit-table tr[data-action="POST /api/v1/ops/stops"]', has_text=str(stop["id"])).first
    row.wait_for()
    assert "Haltestelle angelegt" in row.inner_text() and OPERATOR[0] in row.inner_text()
    created = page.locator('#audit-table tr[data-action="POST /api/v1/ops/users"]').first
    assert "***" in created.inner_text() and "geheim-und-lang-42" not in page.content()
    # newest first; the filter by area narrows the list
    page.select_option("#audit-kind", "stop")
    page.get_by_role("button", name="Anzeigen").click()
    page.wait_for_function("() => [...document.querySelectorAll('#audit-table tbody tr')]"
                           ".every(r => r.dataset.action.includes('/stops'))")
    page.select_option("#audit-kind", "")
    page.get_by_role("button", name="Anzeigen").click()
    page.locator('#audit-table tr[data-action="POST /api/v1/ops/users"]').first.wait_for()
    page.locator("#panel-audit").scroll_into_view_if_needed()
    shot(page, "ops_audit")
    # English too
    page.locator("[data-lang=en]").click()
    assert page.get_by_role("tab", name="Audit log").is_visible()
    assert "Stop created" in page.locator("#audit-table").inner_text()


def test_rider_downloads_data_and_deletes_the_account(new_page, web_server, web_api):
    tag = uuid.uuid4().hex[:6]
    email, password = f"privat-{tag}@demo.local", "mein-langes-passwort-7"
    op = web_api.login(*OPERATOR)
    web_api.post("/api/v1/ops/users", {"email": email, "password": password, "name": f"Paula {tag}",
                                       "role": "rider"}, op)

    page = new_page(*PHONE)
    page.goto(web_server.url("/"))
    log_in(page, email, password)
    page.wait_for_selector("#app:not([hidden])")
    page.get_by_role("link", name="Mein Konto").click()
    page.wait_for_selector("#view-account:not([hidden])")
    assert page.get_by_role("heading", name="Meine Daten herunterladen").is_visible()
    assert "kann nicht rückgängig gemacht werden" in page.locator("#delete-warning").inner_text()
    shot(page, "rider_privacy", full_page=True)

    with page.expect_download() as download:
        page.get_by_role("button", name="Meine Daten herunterladen").click()
    data = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert data["account"]["email"] == email and data["account"]["name"] == f"Paula {tag}"

    # a wrong password is refused; then the account is deleted for good
    page.once("dialog", lambda dialog: dialog.accept())
    page.fill("#delete-password", "falsch-falsch-falsch")
    page.check("#delete-confirm")
    page.get_by_role("button", name="Konto endgültig löschen").click()
    page.wait_for_function("() => document.getElementById('alert').textContent.includes('Passwort ist falsch')")
    page.once("dialog", lambda dialog: dialog.accept())
    page.fill("#delete-password", password)
    page.get_by_role("button", name="Konto endgültig löschen").click()
    page.wait_for_selector("#auth:not([hidden])")
    assert "Ihr Konto wurde gelöscht" in page.locator("#info").inner_text()
    r = httpx.post(web_server.url("/api/v1/auth/token"), data={"username": email, "password": password})
    assert r.status_code != 200
