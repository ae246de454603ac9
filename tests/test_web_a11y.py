"""Accessibility audit of the web pages with axe-core (WCAG 2 A and AA rules) in Debian's Chromium.

``axe-playwright-python`` bundles axe-core's script (nothing is fetched at run time) and injects it
into the page. Audited, each in the state a person actually sees:

* the rider page logged out (log-in and registration forms) on a 360×740 phone,
* the rider page logged in with the trip form (and its map),
* the driver page logged in: the list of shift cards, then the started shift with its route,
* the operator dashboard logged in (map, KPI tiles, phone booking, lists).

A test fails on any violation of impact "serious" or "critical", listing each one's rule id,
impact, the failing selectors and axe's help text. Nothing is excluded from the audit.

On the session's shared ``ride-pool demo`` server the driver test brings its own vehicle, driver
and shift running now (with one booking, so the route has stops); the booking is cancelled and
the shift ended afterwards, so the other browser tests see the demo as they left it.
"""

from __future__ import annotations

import uuid

import pytest

from web_support import DESKTOP, PHONE, log_in, running_vehicle, wait_for_map  # fixtures: conftest.py

pytestmark = pytest.mark.browser

axe_playwright = pytest.importorskip("axe_playwright_python.sync_playwright",
                                     reason="axe-playwright-python is not installed (pip install -e '.[test]')")

OPERATOR = ("operator@demo.local", "demo-operator")
RIDER = ("rider@demo.local", "demo-rider")
PASSWORD = "barrierefrei-1"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = {"serious", "critical"}


def audit(page, what: str) -> None:
    """Run axe (WCAG 2.x A/AA) on ``page``; fail on serious or critical violations."""
    results = axe_playwright.Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA},
                                                      "resultTypes": ["violations"]})
    found = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
    lines = []
    for v in found:
        targets = ", ".join(" ".join(map(str, n["target"])) for n in v["nodes"][:8])
        more = f" (+{len(v['nodes']) - 8} more)" if len(v["nodes"]) > 8 else ""
        lines.append(f"- {v['id']} [{v['impact']}] {v['help']} ({v['helpUrl']})\n    at {targets}{more}")
    assert not found, f"axe found {len(found)} serious/critical violation(s) on {what}:\n" + "\n".join(lines)


def map_is_named(page, selector: str, name: str) -> None:
    """The map's canvas is announced as an interactive map with a name of its own (axe only checks
    that a name exists: once it was the source text of a JavaScript function)."""
    canvas = page.locator(f"{selector} canvas")
    assert canvas.get_attribute("aria-label") == name, canvas.get_attribute("aria-label")[:120]
    assert page.get_by_role("application", name=name, exact=True).count() == 1


@pytest.fixture
def own_shift(web_server, web_api):
    """A vehicle, its driver and a shift running now with one booking (so the route has stops)."""
    with running_vehicle(web_api, OPERATOR, PASSWORD, "A11y") as own:
        stops = own["stops"]
        rider_email = f"a11y-rider-{uuid.uuid4().hex[:6]}@example.org"
        rider = web_api.register(rider_email, PASSWORD, "Fahrgast")
        quote = web_api.post("/api/v1/quotes", {
            "origin": {"stop_id": stops["Meißen, Bahnhof"]["id"]},
            "destination": {"stop_id": stops["Coswig, Zentrum"]["id"]}, "passengers": 8, "wheelchairs": 0},
            headers=rider)
        if quote["offers"]:
            web_api.post("/api/v1/bookings", {"offer_id": quote["offers"][0]["offer_id"]},
                         headers={**rider, "Idempotency-Key": uuid.uuid4().hex})
        yield {"shift": own["shift"], "email": own["email"]}


def test_rider_page_logged_out_on_a_phone(new_page, web_server):
    page = new_page(*PHONE)
    page.goto(web_server.url("/"))
    page.wait_for_selector("#auth:not([hidden])")
    audit(page, "the rider page, logged out (360×740)")


def test_rider_page_with_the_trip_form(new_page, web_server):
    page = new_page(*PHONE)
    page.goto(web_server.url("/"))
    log_in(page, *RIDER)
    page.wait_for_selector("#view-book:not([hidden])")
    wait_for_map(page, "#map")
    map_is_named(page, "#map", "Tippen Sie auf die Karte, um Start oder Ziel zu wählen.")
    audit(page, "the rider page with the trip form (360×740)")


def test_driver_page_shifts_and_route(new_page, web_server, own_shift):
    page = new_page(*DESKTOP)
    page.goto(web_server.url("/driver"))
    log_in(page, own_shift["email"], PASSWORD)
    card = page.wait_for_selector(f'.shift-card[data-shift-id="{own_shift["shift"]["id"]}"] button')
    audit(page, "the driver page, list of shifts")
    card.click()
    page.wait_for_selector("#work:not([hidden])")
    page.wait_for_selector("#steps .step, #route-empty:not([hidden])")
    wait_for_map(page, "#map")
    map_is_named(page, "#map", "Route")
    audit(page, "the driver page, shift started with its route")


def test_operator_dashboard(new_page, web_server):
    page = new_page(*DESKTOP)
    page.goto(web_server.url("/ops"))
    log_in(page, *OPERATOR)
    page.wait_for_selector("#dashboard:not([hidden])")
    wait_for_map(page, "#map")
    page.wait_for_function("() => document.querySelector('[data-kpi=requests] .tile-value').textContent !== '–'")
    page.wait_for_selector("#live-list li[data-vehicle-id]")
    map_is_named(page, "#map", "Karte des Bediengebiets mit Fahrzeugen, nächsten Halten und offenen Buchungen")
    audit(page, "the operator dashboard")
