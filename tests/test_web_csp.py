"""Issue 13 item 10 in the browser: the pages and /docs work under the Content-Security-Policy
without a single violation (Debian's Chromium through Playwright). The headers themselves and the
static checks are in tests/test_security_http.py.

(A file of its own, named test_web_*: the browser fixture is one per session and is started after
test_sim_cli's own Playwright run.)"""

from __future__ import annotations

import pytest

from web_support import DESKTOP, shot, wait_for_map  # fixtures web_server, new_page: conftest.py

pytestmark = pytest.mark.browser

_CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation",
    (e) => window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI));
"""


def _open(new_page, web_server, path):
    page = new_page(*DESKTOP)
    page.add_init_script(_CSP_WATCH)
    page.failed_urls = []
    page.on("response", lambda r: page.failed_urls.append((r.status, r.url)) if r.status >= 400 else None)
    response = page.goto(web_server.url(path))
    assert response.status == 200
    assert response.headers["x-frame-options"] == "DENY"
    return page


def _violations(page) -> list[str]:
    found = page.evaluate("window.__cspViolations")
    console = [m for m in page.console_messages if "Content Security Policy" in m or "Refused to" in m]
    return found + console


@pytest.mark.browser
def test_docs_render_under_the_csp(new_page, web_server):
    page = _open(new_page, web_server, "/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)    # the operations are listed
    page.get_by_text("/api/v1/health", exact=True).first.wait_for()
    shot(page, "docs")
    assert _violations(page) == []


@pytest.mark.browser
@pytest.mark.parametrize("path, email, password, ready, map_selector", [
    ("/", "rider@demo.local", "demo-rider", "#view-book:not([hidden])", "#map"),
    ("/driver", "driver1@demo.local", "demo-driver", "#shifts:not([hidden]), #work:not([hidden])", None),
    ("/ops", "operator@demo.local", "demo-operator", "#dashboard:not([hidden])", "#map")])
def test_pages_run_without_csp_violations(new_page, web_server, path, email, password, ready, map_selector):
    """Each page logged in and working (its map drawn) without a single CSP violation or script error."""
    page = _open(new_page, web_server, path)
    page.fill("#login-form input[type=email]", email)
    page.fill("#login-form input[type=password]", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector(ready)
    if map_selector:
        wait_for_map(page, map_selector)
    page.wait_for_load_state("networkidle")
    assert _violations(page) == []
    # (the browser's own /favicon.ico request, which has no page, 404s: not counted)
    assert not [m for m in page.console_messages if m.startswith("pageerror")], page.console_messages
    assert page.failed_urls == []
