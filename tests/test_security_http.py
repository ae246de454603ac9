"""Issue 13, request limits and HTTP hardening: body limits (item 4), security headers and API docs
without a CDN (10), stop files with huge fields (11c), names (15), CSV formulas (15), service-area
polygons (16) and a health check that writes (18b)."""

from __future__ import annotations

import re
import socket

import numpy as np
import pytest

from api_support import *  # noqa: F401,F403 - fixtures api, demo_api, live_api, clock; helpers
from api_support import OPERATOR, RIDER, assert_problem
from ride_pool.api.hardening import content_security_policy

pytestmark = pytest.mark.database

MB = 1_000_000


# --- item 4: request-body limit -----------------------------------------------------------------

def test_a_large_register_body_is_refused_with_413(api):
    r = api.post("/api/v1/auth/register", content=b"x" * (6 * MB), headers={"Content-Type": "application/json"})
    detail = assert_problem(r, 413, "too_large")
    assert "1 MB" in detail["message"]


def test_a_large_chunked_body_is_refused_with_413(api):
    """No Content-Length (chunked transfer): the bytes are counted as they come in."""
    sent = []

    def chunks():
        for _ in range(60):          # 6 MB in 100 KB chunks
            sent.append(1)
            yield b"y" * 100_000

    r = api.post("/api/v1/auth/register", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.request.headers.get("transfer-encoding") == "chunked"
    assert_problem(r, 413, "too_large")


def test_a_too_large_content_length_is_refused_before_the_body_is_read(live_api):
    """On a real server: the answer 413 comes right after the headers, before the (announced 200 MB)
    body is sent at all, so the server never holds it."""
    host, port = live_api.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(b"POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 200000000\r\n\r\n" + b"{" * 1000)
        answer = b""
        while b"\r\n\r\n" not in answer or b"too_large" not in answer:
            chunk = conn.recv(65536)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"too_large"' in answer


def test_a_chunked_stream_is_cut_off_once_it_passes_the_limit(live_api):
    """A chunked body that would never end: the server answers 413 after about 1 MB and does not
    wait for (or keep) the rest."""
    host, port = live_api.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(b"POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        chunk = b"z" * 65536
        sent = 0
        conn.settimeout(0.05)
        answer = b""
        while sent < 50 * MB and not answer:
            try:
                conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
                answer = conn.recv(65536)
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
        conn.settimeout(10)
        while b"too_large" not in answer:
            more = conn.recv(65536)
            if not more:
                break
            answer += more
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 5 * MB, f"the server read {sent} bytes before it refused the body"


def test_stop_files_have_a_larger_documented_limit(api):
    """A stop file of 2 MB (above the general 1 MB) is read; one above 20 MB is refused."""
    api.add_user(*OPERATOR, role="operator")
    header = "stop_id,stop_name,stop_lat,stop_lon\n"
    rows = "".join(f"s{i},Haltestelle {i},51.16,13.47\n" for i in range(60_000))
    assert MB < len(header + rows) < api.service.settings.max_stop_file_bytes
    r = api.post("/api/v1/ops/stops/import", content=(header + rows).encode(), headers={
        **api.operator, "Content-Type": "text/csv"})
    assert r.status_code != 413, r.text
    r = api.post("/api/v1/ops/stops/import", content=b"x" * (21 * MB), headers={
        **api.operator, "Content-Type": "text/csv"})
    assert "20 MB" in assert_problem(r, 413, "too_large")["message"]


# --- item 10: security headers, API docs without a CDN -----------------------------------------

SECURITY_HEADERS = {"x-frame-options": "DENY", "x-content-type-options": "nosniff",
                    "referrer-policy": "same-origin"}


@pytest.mark.parametrize("path", ["/", "/driver", "/ops", "/docs", "/api/v1/health", "/api/v1/stops",
                                  "/static/js/api.js", "/api/v1/no-such-thing"])
def test_every_answer_has_the_security_headers(api, path):
    r = api.get(path)
    for name, value in SECURITY_HEADERS.items():
        assert r.headers.get(name) == value, (path, name, r.headers)
    csp = r.headers["content-security-policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'",
                      "base-uri 'self'", "form-action 'self'", "img-src 'self' data:"):
        assert directive in csp, (path, csp)
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp


def test_the_413_answer_has_the_security_headers_too(api):
    r = api.post("/api/v1/auth/register", content=b"x" * (2 * MB))
    assert r.status_code == 413 and r.headers["x-frame-options"] == "DENY"


def test_the_tile_server_is_allowed_for_images_only():
    csp = content_security_policy("https://tiles.example.org/{z}/{x}/{y}.png")
    assert "img-src 'self' data: https://tiles.example.org;" in csp
    assert csp.count("tiles.example.org") == 1
    assert "img-src 'self' data:;" in content_security_policy(None)


def test_api_docs_load_nothing_from_outside(api):
    html = api.get("/docs").text
    assert not re.search(r"https?://", html), html
    assert "<script>" not in html.replace(" ", "")  # no inline script: every <script> has a src
    for asset in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert api.get(asset).status_code == 200, asset
    # ReDoc is off: it needs inline styles and loads its logo from its CDN
    assert api.get("/redoc").status_code == 404


def test_pages_have_no_inline_scripts_or_styles():
    """What the CSP refuses is not in the pages: no inline <script>, no style or on* attributes in
    the templates, no style attributes set from the scripts."""
    from ride_pool.web.pages import STATIC, TEMPLATES

    for template in TEMPLATES.glob("*.html"):
        html = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), template
        assert not re.search(r"\s(style|on[a-z]+)=", html), template
    for script in STATIC.rglob("*.js"):
        code = script.read_text(encoding="utf-8")
        # an element's style property is an inline style; Intl.NumberFormat's `style: "currency"` is not
        inline_style = r"""\bstyle:\s*["'`](?!(?:currency|percent|decimal|unit)["'`])"""
        assert not re.search(inline_style + r"""|setAttribute\(\s*["']style|\.cssText\b|\beval\(|new Function\(""",
                             code), script


# --- item 18 (b): health checks that the database accepts a write -------------------------------

def _read_only_engine(database_url: str):
    """A second engine on the test's database that cannot write (a read-only SQLite connection;
    a PostgreSQL session whose transactions are read-only), as after a full disk or a remount."""
    from sqlalchemy.engine import make_url

    from ride_pool.db.engine import make_engine

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return make_engine(f"sqlite:///file:{url.database}?mode=ro&uri=true")
    options = " ".join(filter(None, [url.query.get("options", ""), "-cdefault_transaction_read_only=on"]))
    return make_engine(url.update_query_dict({"options": options}))


def test_health_answers_503_when_the_database_cannot_be_written(api, database_url, monkeypatch):
    assert api.get("/api/v1/health").json()["status"] == "ok"
    engine = _read_only_engine(database_url)
    try:
        with engine.connect() as connection:      # it reads the same database
            assert connection.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar() == 1
        monkeypatch.setattr(api.service, "engine", engine)
        assert_problem(api.get("/api/v1/health"), 503, "database_not_writable")
    finally:
        engine.dispose()


def test_the_health_probe_changes_nothing(api):
    from sqlalchemy import text

    with api.service.engine.connect() as connection:
        before = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    for _ in range(3):
        assert api.get("/api/v1/health").status_code == 200
    with api.service.engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).all() == before


# --- item 11 (c): a stop file with a huge field ---------------------------------------------------

def test_a_stop_file_with_a_huge_field_is_422_naming_the_field(api):
    """A 5 MB stop name (under the upload limit, far over the csv module's field limit, which
    ended the request with 500 before): 422 with the line and the field's column name."""
    api.add_user(*OPERATOR, role="operator")
    body = "stop_id,stop_name,stop_lat,stop_lon\ns1,Bahnhof,51.16,13.47\ns2," + "A" * (5 * MB) + ",51.16,13.47\n"
    r = api.post("/api/v1/ops/stops/import", content=body.encode(),
                 headers={**api.operator, "Content-Type": "text/csv"})
    message = assert_problem(r, 422, "invalid_stop_file")["message"]
    assert "line 3" in message and "stop_name" in message and "at most 1000" in message, message
    assert api.stops() == []                       # nothing was imported


def test_a_50_mb_field_in_a_stop_file_is_named(tmp_path):
    """The file readers (database import, simulator) report a 50 MB field with line and column."""
    from ride_pool.db.errors import StopImportError
    from ride_pool.db.stops import parse_stops_file

    path = tmp_path / "stops.csv"
    path.write_text("stop_id;stop_name;stop_lat;stop_lon\n1;Markt;51,1;13,5\n2;Post;51,1;" + "9" * (50 * MB) + "\n")
    with pytest.raises(StopImportError) as error:
        parse_stops_file(path)
    assert "line 3: the field stop_lon has about 50000001 characters" in str(error.value)


# --- item 15: names, and formulas in CSV files ----------------------------------------------------

BAD_NAMES = {
    "right-to-left override": "Anna\u202eUrlaub",
    "left-to-right embedding": "\u202aBen",
    "first strong isolate": "Carla\u2068x\u2069",
    "right-to-left mark": "Dora\u200f",
    "line break": "Emil\nFranz",
    "tab": "Emil\tFranz",
    "bell": "Gustav\x07",
    "DEL": "Hanna\x7f",
    "C1 control": "I\x85da",
    "only blanks": "   ",
    "only a no-break space": "\u00a0",
    "empty": "",
}


@pytest.mark.parametrize("kind", list(BAD_NAMES))
def test_bad_names_are_refused_everywhere(api, kind):
    """One rule for every name: registration, operator-made accounts, vehicles, stops, phone
    callers; each answers 422 ``invalid_name``."""
    bad = BAD_NAMES[kind]
    op = api.add_user(*OPERATOR, role="operator")
    depot = {"depot_lat": 51.126687, "depot_lon": 13.580526}
    attempts = [
        ("post", "/api/v1/auth/register", {"email": "n@example.org", "password": "long-enough-1", "name": bad}),
        ("post", "/api/v1/ops/users", {"email": "d@example.org", "password": "long-enough-1", "name": bad,
                                       "role": "driver"}),
        ("post", "/api/v1/ops/vehicles", {"label": bad, "seats": 4, **depot}),
        ("post", "/api/v1/ops/stops", {"name": bad, "lat": 51.135247, "lon": 13.588342}),
        ("post", "/api/v1/ops/stops", {"name": "Coswig", "town": bad, "lat": 51.135247, "lon": 13.588342})
        if bad.strip() else None,                   # a blank town is "no town"
        ("post", "/api/v1/ops/quotes", {"origin": {"lat": 51.135247, "lon": 13.588342},
                                        "destination": {"lat": 51.076367, "lon": 13.527816}, "caller_name": bad}),
    ]
    for method, path, body in filter(None, attempts):
        r = getattr(api, method)(path, json=body, headers=op)
        assert_problem(r, 422, "invalid_name")
    r = api.post("/api/v1/ops/vehicles", json={"label": "Bus 1", "seats": 4, **depot}, headers=op)
    assert r.status_code == 201, r.text
    assert_problem(api.patch(f"/api/v1/ops/vehicles/{r.json()['id']}", json={"label": bad}, headers=op), 422,
                   "invalid_name")
    assert api.stops() == []


def test_ordinary_names_pass(api):
    op = api.add_user(*OPERATOR, role="operator")
    for name in ("Zoë O'Brien-Müller", "Łukasz Żółć", "محمد", "Anna (Rollstuhl)", "-Minus", "👩‍👧 Familie"):
        # through the operator (registration answers the same 202 for every address, and is limited)
        r = api.post("/api/v1/ops/users", json={"email": f"{abs(hash(name))}@example.org", "role": "rider",
                                                "password": "long-enough-1", "name": f"  {name}  "}, headers=op)
        assert r.status_code == 201, r.text
        assert r.json()["name"] == name
    r = api.post("/api/v1/ops/stops", json={"name": "Coswig, Bahnhof", "town": "", "lat": 51.135247,
                                            "lon": 13.588342}, headers=op)
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x","y")', "+49 Bahnhof", "@SUM(A1)"])
def test_formula_stop_names_are_refused(api, name):
    op = api.add_user(*OPERATOR, role="operator")
    assert_problem(api.post("/api/v1/ops/stops", json={"name": name, "lat": 51.135247, "lon": 13.588342},
                            headers=op), 422, "invalid_name")
    csv_name = '"' + name.replace('"', '""') + '"'
    body = f"stop_id,stop_name,stop_lat,stop_lon\ns1,Bahnhof,51.135247,13.588342\ns2,{csv_name},51.13,13.58\n"
    r = api.post("/api/v1/ops/stops/import", content=body.encode(), headers={**op, "Content-Type": "text/csv"})
    message = assert_problem(r, 422, "invalid_stop_file")["message"]
    assert "line 3" in message and "formula" in message, message
    assert api.stops() == []


def test_stop_file_names_with_control_characters_are_refused():
    from ride_pool.stop_files import StopFileError, read_stop_text

    text = "id,name,city,latitude,longitude\n1,Markt\u202e,Riesa,51.3,13.29\n2,Post,\"Rie\nsa\",51.3,13.29\n"
    with pytest.raises(StopFileError) as error:
        read_stop_text(text)
    assert "line 2: the stop name" in str(error.value) and "U+202E" in str(error.value)
    assert "the town" in str(error.value) and "U+000A" in str(error.value)


def test_csv_cells_never_start_a_formula():
    from ride_pool.text import csv_cell

    for text in ('=HYPERLINK("http://x","y")', "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx", "=1"):
        assert csv_cell(text) == "'" + text
    for value in ("-3.5", "+4", "-1e3", ".5", -3.5, 7, None, "Bahnhof", "", "a=b"):
        assert csv_cell(value) == value


def test_the_kpi_csv_escapes_formulas(tmp_path):
    """kpis.csv, the one CSV the service writes (``ride-pool simulate``): a text cell such as a
    region name from a file cannot run as a formula; negative numbers stay numbers."""
    import csv

    from simulations.report import write_kpis_csv

    path = tmp_path / "kpis.csv"
    write_kpis_csv([{"region": '=HYPERLINK("http://x","y")', "fleet": 5, "delta": -3.5, "note": "-x"}], path)
    row = next(csv.DictReader(path.open(encoding="utf-8")))
    assert row["region"] == '\'=HYPERLINK("http://x","y")'
    assert row["delta"] == "-3.5" and row["fleet"] == "5" and row["note"] == "'-x"


# --- item 16: service-area polygons ---------------------------------------------------------------

COSWIG, KLIPPHAUSEN, WEINBOEHLA = "Coswig, Bahnhof", "Klipphausen, Zentrum", "Weinböhla, Zentrum"
#: a box around Coswig, Weinböhla and Klipphausen ([lon, lat])
AREA = [[13.45, 51.0], [13.7, 51.0], [13.7, 51.25], [13.45, 51.25], [13.45, 51.0]]
#: a hole around Klipphausen
HOLE = [[13.50, 51.06], [13.55, 51.06], [13.55, 51.09], [13.50, 51.09], [13.50, 51.06]]


def _put_area(api, polygon):
    return api.put("/api/v1/ops/service-area", headers=api.operator, json={"polygon": polygon})


def test_a_self_crossing_polygon_is_refused_saying_where(demo_api):
    bowtie = [[13.45, 51.0], [13.7, 51.25], [13.7, 51.0], [13.45, 51.25]]
    detail = assert_problem(_put_area(demo_api, bowtie), 422, "invalid_area")
    assert "crosses itself at lon 13.575000, lat 51.125000" in detail["message"], detail
    assert demo_api.get("/api/v1/ops/service-area", headers=demo_api.operator).json()["polygon"] is None


def test_holes_are_outside_the_area(demo_api):
    rider = demo_api.headers(*RIDER)
    r = _put_area(demo_api, {"type": "Polygon", "coordinates": [AREA, HOLE]})
    assert r.status_code == 200, r.text
    assert r.json()["polygon"] == {"type": "Polygon", "coordinates": [AREA, HOLE]}   # kept, not dropped
    detail = assert_problem(demo_api.quote(rider, demo_api.stop(COSWIG), demo_api.stop(KLIPPHAUSEN)), 422,
                            "outside_service_area")
    assert detail["message"].startswith("destination")
    assert demo_api.offer(rider, demo_api.stop(COSWIG), demo_api.stop(WEINBOEHLA))
    # without the hole Klipphausen is inside again
    assert _put_area(demo_api, AREA).status_code == 200
    assert demo_api.offer(rider, demo_api.stop(COSWIG), demo_api.stop(KLIPPHAUSEN))


@pytest.mark.parametrize("holes, words", [
    ([[[14.0, 52.0], [14.1, 52.0], [14.1, 52.1]]], "lies outside its outer ring"),
    ([HOLE, [[13.51, 51.07], [13.52, 51.07], [13.52, 51.08]]], "inside another hole"),
    ([[[13.5, 51.06], [13.5, 51.06], [13.5, 51.06]]], "fewer than 3 different points"),
])
def test_bad_holes_are_refused(demo_api, holes, words):
    detail = assert_problem(_put_area(demo_api, {"type": "Polygon", "coordinates": [AREA, *holes]}), 422,
                            "invalid_area")
    assert words in detail["message"], detail


def _circle(points: int) -> list[list[float]]:
    angles = np.linspace(0, 2 * np.pi, points, endpoint=False)
    return np.column_stack([13.575 + 0.2 * np.cos(angles), 51.125 + 0.15 * np.sin(angles)]).tolist()


def test_the_point_count_is_capped(demo_api):
    from ride_pool.dispatch.area import MAX_AREA_POINTS

    detail = assert_problem(_put_area(demo_api, _circle(MAX_AREA_POINTS + 1)), 422, "invalid_area")
    assert f"at most {MAX_AREA_POINTS}" in detail["message"]
    assert _put_area(demo_api, _circle(MAX_AREA_POINTS)).status_code == 200
    rider = demo_api.headers(*RIDER)
    assert demo_api.offer(rider, demo_api.stop(COSWIG), demo_api.stop(WEINBOEHLA))


def test_a_stored_invalid_polygon_still_loads():
    """A database from before these checks may hold a self-crossing polygon: the service starts
    with its repaired form instead of failing."""
    from ride_pool.dispatch.area import area_of
    from ride_pool.dispatch.errors import DispatchInputError

    bowtie = [[0, 0], [1, 1], [1, 0], [0, 1]]
    with pytest.raises(DispatchInputError):
        area_of(bowtie)
    area = area_of(bowtie, checked=False)
    assert area.contains(0.9, 0.5) and area.contains(0.1, 0.5) and not area.contains(0.5, 0.1)


def test_holes_survive_a_restart(database_url, demo_network, clock):
    from fastapi.testclient import TestClient

    from api_support import Api, make_app

    polygon = {"type": "Polygon", "coordinates": [AREA, HOLE]}
    with TestClient(make_app(database_url, demo_network, clock), headers={"Accept-Language": "en"}) as client:
        api = Api(client, clock)
        api.add_user(*OPERATOR, role="operator")
        assert _put_area(api, polygon).status_code == 200
    with TestClient(make_app(database_url, demo_network, clock), headers={"Accept-Language": "en"}) as client:
        api = Api(client, clock)
        assert api.get("/api/v1/ops/service-area", headers=api.operator).json()["polygon"] == polygon
        assert not api.service.dispatcher.places.area.contains(13.527816, 51.076367)   # Klipphausen, in the hole
