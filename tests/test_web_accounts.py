"""The rider page's account forms (issue 13): the password rules are shown before typing, a new
rider confirms the e-mail code received by a real SMTP server and is logged in, and a locked
login tells how long to wait, in words. Screenshots go to ``tests/artifacts/``."""

from __future__ import annotations

import re
import uuid

import pytest

# the fixtures web_server, web_api, browser and new_page come from web_support through conftest.py
from web_support import PHONE, shot

pytestmark = pytest.mark.browser


def test_rider_registers_confirms_the_mailed_code_and_is_logged_in(web_server, new_page):
    page = new_page(*PHONE)
    page.goto(web_server.url("/"))
    page.wait_for_selector("#auth:not([hidden])")
    rules = page.text_content("#register-password-rules")
    assert "10 Zeichen" in rules and page.get_attribute("#register-password", "aria-describedby") == \
        "register-password-rules"

    email = f"konto-{uuid.uuid4().hex[:8]}@example.org"
    page.fill("#register-name", "Konto Testerin")
    page.fill("#register-email", email)
    page.fill("#register-password", "password123")          # long enough, but common: the server refuses it
    page.click("#register-form button[type=submit]")
    page.wait_for_selector("#alert:has-text('zu gängig')")
    assert page.get_attribute("#register-password", "aria-invalid") == "true"

    page.fill("#register-password", "drei-gute-worte")
    page.click("#register-form button[type=submit]")
    page.wait_for_selector("#confirm-form:not([hidden])")
    assert email in page.text_content("#confirm-sent")
    page.fill("#confirm-code", "00000000" if web_server.mailbox.code_for(email) != "00000000" else "11111111")
    page.click("#confirm-form button[type=submit]")
    page.wait_for_selector("#alert:has-text('Code stimmt nicht')")
    page.fill("#confirm-code", web_server.mailbox.code_for(email))
    shot(page, "rider-confirm-code-filled-phone")
    page.click("#confirm-form button[type=submit]")
    page.wait_for_selector("#view-book:not([hidden])")
    assert page.text_content("#user-name") == "Konto Testerin"
    shot(page, "rider-confirmed-logged-in-phone")
    assert not [m for m in page.console_messages if m.startswith("pageerror")]


def test_a_locked_login_tells_the_wait_in_words(web_server, web_api, new_page):
    email = f"gesperrt-{uuid.uuid4().hex[:8]}@example.org"
    web_api.register(email, "richtiges-passwort", "Gesperrt")
    page = new_page(*PHONE)
    page.goto(web_server.url("/"))
    page.wait_for_selector("#auth:not([hidden])")
    for i in range(5):
        page.fill("#login-email", email)
        page.fill("#login-password", f"falsch-{i}")
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("#alert:has-text('falsch')")
        page.evaluate("document.getElementById('alert').textContent = ''")
    page.fill("#login-password", "richtiges-passwort")
    page.click("#login-form button[type=submit]")
    alert = page.wait_for_selector("#alert:has-text('Anmeldungen')")
    assert re.search(r"in 15 Minuten erneut", alert.text_content()), alert.text_content()
    shot(page, "rider-login-locked-phone")
