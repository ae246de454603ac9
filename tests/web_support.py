"""Fixtures of the browser tests (``tests/test_web_*.py``): a real server and Debian's Chromium.

* ``web_server``: ``ride-pool demo`` started as a subprocess on a free localhost port with a fresh
  SQLite database (one per test session), waited for until ``GET /api/v1/health`` answers; its
  log is in the session's temporary folder and is shown when it fails to start. The demo network
  file is kept in that folder too, so it is built once per session.
* ``browser``: Playwright's Chromium driving ``/usr/bin/chromium`` (never a downloaded browser)
  headless; the tests are skipped, with the reason, when that file or Playwright is missing.
* ``new_page(width, height)``: a page in a fresh browser context (own localStorage) of that
  viewport size; ``shot(page, name)`` saves a PNG screenshot to ``tests/artifacts/<name>.png``.
* ``web_api``: a small ``httpx`` client of the server (``web_api.login(email, password)``).

Import with ``from web_support import *`` (tests/ is on ``sys.path``) and mark the tests with
``pytest.mark.browser``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from mail_support import Mailbox

# the fixtures (web_server, web_api, browser, new_page) are registered once, in conftest.py: a
# session fixture imported into two test modules would be two fixtures, i.e. two servers and two
# Playwright instances (the second fails inside the first one's event loop)
__all__ = ["CHROMIUM", "ARTIFACTS", "PHONE", "DESKTOP", "WebServer", "WebApi", "shot", "canvas_is_drawn",
           "ALL_DAY", "log_in", "running_vehicle",
           "wait_for_map"]

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PHONE = (360, 740)
DESKTOP = (1280, 800)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-dev-shm-usage"]
START_TIMEOUT_S = 180


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebApi:
    """A tiny JSON client of the running server (for test setup and checks)."""

    def __init__(self, base: str):
        self.base = base
        self.client = httpx.Client(base_url=base, timeout=30, headers={"Accept-Language": "en"})

    def login(self, email: str, password: str) -> dict:
        r = self.client.post("/api/v1/auth/token", data={"username": email, "password": password})
        r.raise_for_status()
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def register(self, email: str, password: str, name: str) -> dict:
        """Register a rider, confirm with the code from the server's mail, log in; auth headers."""
        self.post("/api/v1/auth/register", {"email": email, "password": password, "name": name})
        self.post("/api/v1/auth/confirm", {"email": email, "code": self.mailbox.code_for(email)})
        return self.login(email, password)

    def get(self, path: str, headers: dict | None = None, **params):
        r = self.client.get(path, headers=headers, params=params or None)
        r.raise_for_status()
        return r.json()

    def post(self, path: str, body=None, headers: dict | None = None):
        r = self.client.post(path, json=body, headers=headers)
        r.raise_for_status()
        return r.json()

    def put(self, path: str, body=None, headers: dict | None = None):
        r = self.client.put(path, json=body, headers=headers)
        r.raise_for_status()
        return r.json()

    def close(self):
        self.client.close()


class WebServer:
    def __init__(self, base: str, process: subprocess.Popen, log: Path, folder: Path, mailbox: Mailbox | None = None):
        self.base, self.process, self.log, self.folder = base, process, log, folder
        #: the SMTP server the demo sends its mail to (confirmation codes)
        self.mailbox = mailbox

    def url(self, path: str = "/") -> str:
        return self.base + path

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _ride_pool_command() -> list[str]:
    exe = Path(sys.executable).with_name("ride-pool")
    if exe.is_file():
        return [str(exe)]
    found = shutil.which("ride-pool")
    return [found] if found else [sys.executable, "-m", "ride_pool.cli"]


@pytest.fixture(scope="session")
def web_server(tmp_path_factory):
    """``ride-pool demo`` on a free port with a fresh database (one server per test session)."""
    folder = tmp_path_factory.mktemp("web_server")
    port = _free_port()
    log = folder / "server.log"
    mailbox = Mailbox().__enter__()            # the demo's mail goes to this test SMTP server
    env = {**os.environ, "RIDE_POOL_SECRET_KEY": "web-tests-secret-" + "w" * 40, "PYTHONUNBUFFERED": "1",
           "RIDE_POOL_SMTP_HOST": "127.0.0.1", "RIDE_POOL_SMTP_PORT": str(mailbox.port),
           # the browser tests register several riders from one address within the hour
           "RIDE_POOL_LIMIT_REGISTER_COUNT": "50",
           # the rider's push subscription in test_web_notify names a local push endpoint
           "RIDE_POOL_PUSH_ALLOWED_HOSTS": "127.0.0.1"}
    env.pop("RIDE_POOL_DATABASE_URL", None)    # the browser tests always use their own SQLite file
    command = _ride_pool_command() + ["demo", "--db", f"sqlite:///{folder / 'web.db'}", "--port", str(port),
                                      "--host", "127.0.0.1"]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=folder, stdout=out, stderr=subprocess.STDOUT, env=env)
    server = WebServer(f"http://127.0.0.1:{port}", process, log, folder, mailbox)
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"ride-pool demo exited with {process.returncode}:\n{server.log_tail()}")
            try:
                if httpx.get(server.url("/api/v1/health"), timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"ride-pool demo did not answer within {START_TIMEOUT_S} s:\n{server.log_tail()}")
            time.sleep(0.3)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        mailbox.__exit__(None, None, None)


@pytest.fixture(scope="session")
def web_api(web_server):
    client = WebApi(web_server.base)
    client.mailbox = web_server.mailbox
    yield client
    client.close()


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium from /usr/bin/chromium through Playwright (skipped when either is missing)."""
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} not found: the browser tests drive Debian's chromium package "
                    "(apt-get install chromium); a downloaded browser is never used")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser):
    """``new_page(width, height)``: a page in its own context (own storage), closed after the test."""
    contexts = []

    def make(width: int = DESKTOP[0], height: int = DESKTOP[1], *, locale: str = "de-DE"):
        context = browser.new_context(viewport={"width": width, "height": height}, locale=locale,
                                      timezone_id="Europe/Berlin", device_scale_factor=1,
                                      has_touch=width < 600, is_mobile=False)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.console_messages = []
        page.on("console", lambda m: page.console_messages.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: page.console_messages.append(f"pageerror: {e}"))
        return page

    yield make
    for context in contexts:
        context.close()


def shot(page, name: str, *, full_page: bool = False) -> Path:
    """Save a PNG screenshot of ``page`` as ``tests/artifacts/<name>.png``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def wait_for_map(page, selector: str, timeout: float = 20_000) -> None:
    """Wait until the map in ``selector`` has drawn the network (``data-rendered="true"``)."""
    page.wait_for_selector(f'{selector}[data-rendered="true"]', state="attached", timeout=timeout)


def canvas_is_drawn(page, selector: str) -> bool:
    """Whether the canvas of the map in ``selector`` shows more than one colour (roads on the
    background), judged on a grid of samples."""
    return page.evaluate("""(selector) => {
        const canvas = document.querySelector(selector + ' canvas');
        if (!canvas || !canvas.width || !canvas.height) return false;
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        const colours = new Set();
        const step = Math.max(1, Math.floor(data.length / 4 / 20000));
        for (let i = 0; i < data.length / 4; i += step) {
            colours.add((data[4*i] << 16) | (data[4*i+1] << 8) | data[4*i+2]);
            if (colours.size > 3) return true;
        }
        return false;
    }""", selector)


#: operating hours of every day, all day: browser tests then run at any hour
ALL_DAY = {day: ["00:00", "24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def log_in(page, email: str, password: str) -> None:
    """Log in through the page's login form (rider and driver pages)."""
    page.fill("#login-email", email)
    page.fill("#login-password", password)
    page.click("#login-form button[type=submit]")


@contextmanager
def running_vehicle(web_api, operator: tuple[str, str], password: str, prefix: str, shift_fields: dict | None = None):
    """A vehicle with 8 seats (the demo's have 6 or 7: an 8-person booking can only go to it), its
    driver (``password``) and a shift running now, on the shared server; service hours all day.

    ``shift_fields`` adds fields to the new shift (e.g. a planned break).
    Yields ``{"vehicle", "shift", "email", "stops", "op"}``. Afterwards (also when the test failed
    half-way) its open bookings are cancelled and riders on board dropped off (a shift with open
    bookings cannot end) and the shift is ended, so that nothing keeps running for the other
    browser tests.
    """
    op = web_api.login(*operator)
    web_api.put("/api/v1/ops/service-area", {"rules": {"operating_hours": ALL_DAY, "early_trip_before": None}},
                headers=op)
    stops = {s["name"]: s for s in web_api.get("/api/v1/stops", limit=5000)}
    tag = uuid.uuid4().hex[:6]
    depot = stops["Meißen, Bahnhof"]
    vehicle = web_api.post("/api/v1/ops/vehicles", {
        "label": f"{prefix} {tag}", "seats": 8, "wheelchair_places": 2,
        "depot_lat": depot["lat"], "depot_lon": depot["lon"]}, headers=op)
    email = f"{prefix.lower()}-driver-{tag}@example.org"
    web_api.post("/api/v1/ops/users", {"email": email, "password": password, "name": f"Fahrer:in {tag}",
                                       "role": "driver"}, headers=op)
    now = datetime.now(ZoneInfo("Europe/Berlin")).replace(microsecond=0)
    shift = web_api.post("/api/v1/ops/shifts", {
        "vehicle_id": vehicle["id"], "start": (now - timedelta(minutes=5)).isoformat(),
        "end": (now + timedelta(hours=3)).isoformat(), "driver_email": email, **(shift_fields or {})}, headers=op)
    try:
        yield {"vehicle": vehicle, "shift": shift, "email": email, "stops": stops, "op": op}
    finally:
        driver = None
        for b in web_api.get("/api/v1/ops/bookings", headers=op):
            if (b.get("vehicle") or {}).get("vehicle_id") == vehicle["id"]:
                if b["status"] == "onboard":           # a rider on board cannot be cancelled: dropped off
                    driver = driver or web_api.login(email, password)
                    web_api.post(f"/api/v1/driver/bookings/{b['booking_id']}/dropped_off", headers=driver)
                else:
                    web_api.post(f"/api/v1/ops/bookings/{b['booking_id']}/cancel", headers=op)
        live = {s["id"]: s for s in web_api.get("/api/v1/ops/shifts", headers=op)}
        if shift["id"] in live and not live[shift["id"]]["ended"]:
            web_api.post(f"/api/v1/ops/shifts/{shift['id']}/end", headers=op)
