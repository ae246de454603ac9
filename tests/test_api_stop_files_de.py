"""Stop files as counties have them (issue 15 item 8): an Excel-style CSV saved on a German
Windows (Windows-1252, ``;``-separated, German headers, decimal commas), previewed with
line-numbered German errors before anything is written, then imported."""

from __future__ import annotations

from api_support import *  # noqa: F401,F403 - fixtures api, clock and helpers
from api_support import OPERATOR, assert_problem

#: as Excel writes "CSV (Trennzeichen-getrennt)": CRLF, ';', decimal commas, Windows-1252
EXCEL_CSV = ("Haltestelle;Ort;Breite;Länge;DHID\r\n"
             "Bahnhof;Coswig;51,135247;13,588342;de:14627:1001\r\n"
             "Zentrum;Klipphausen;51,076367;13,527816;de:14627:1002\r\n"
             "Schloßstraße;Meißen;51,1634;13,4737;de:14627:1003\r\n").encode("cp1252")

BROKEN_CSV = ("Haltestelle;Ort;Breite;Länge;DHID\r\n"
              "Bahnhof;Coswig;51,135247;13,588342;de:14627:1001\r\n"
              "Zentrum;Klipphausen;einundfünfzig;13,527816;de:14627:1002\r\n"
              "Schloßstraße;Meißen;;13,4737;de:14627:1003\r\n"
              "Markt;Weinböhla;51,16;200,5;de:14627:1001\r\n").encode("cp1252")


def _upload(api, body: bytes, **params):
    headers = {**api.operator, "Content-Type": "text/csv", "Accept-Language": "de"}
    return api.post("/api/v1/ops/stops/import", headers=headers, content=body, params=params)


def test_windows_1252_german_excel_csv_preview_then_import(api):
    api.add_user(*OPERATOR, role="operator")
    assert b"L\xe4nge" in EXCEL_CSV and b"Mei\xdfen" in EXCEL_CSV     # really Windows-1252
    r = _upload(api, EXCEL_CSV, preview="true")
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["preview"] is True and out["imported"] == 0 and out["errors"] == []
    assert [(s["name"], s["town"], s["code"]) for s in out["stops"]] == [
        ("Bahnhof", "Coswig", "de:14627:1001"), ("Zentrum", "Klipphausen", "de:14627:1002"),
        ("Schloßstraße", "Meißen", "de:14627:1003")]
    assert out["stops"][0]["lat"] == 51.135247 and out["stops"][0]["lon"] == 13.588342
    assert api.stops() == []        # a preview writes nothing
    r = _upload(api, EXCEL_CSV)
    assert r.status_code == 200, r.text
    assert r.json()["imported"] + r.json()["outside_area"] == 3 and r.json()["imported"] >= 2
    names = {(s["name"], s["town"]) for s in api.stops()}
    assert ("Bahnhof", "Coswig") in names and ("Zentrum", "Klipphausen") in names


def test_preview_lists_faulty_lines_in_german_and_import_writes_nothing(api):
    api.add_user(*OPERATOR, role="operator")
    r = _upload(api, BROKEN_CSV, preview="true")
    assert r.status_code == 200, r.text
    errors = r.json()["errors"]
    lines = [e["line"] for e in errors]
    assert lines == sorted(lines) and set(lines) == {3, 4, 5}
    text = " ".join(e["message"] for e in errors)
    assert "Breite" in text or "Breitengrad" in text
    assert "Zeile" in text or "Name" in text or "Haltestellennummer" in text
    assert "latitude" not in text and "line" not in text       # German, not English
    # the import itself refuses the whole file, naming the lines, and writes nothing
    detail = assert_problem(_upload(api, BROKEN_CSV), 422, "invalid_stop_file")
    assert "Zeile 3" in detail["message"] and "Zeile 5" in detail["message"]
    assert api.stops() == []


def test_utf8_with_bom_comma_separated_english_headers_still_work(api):
    api.add_user(*OPERATOR, role="operator")
    body = ("\ufeffname,city,lat,lon\n\"Coswig, Bahnhof\",Coswig,\"51,135247\",13.588342\n").encode("utf-8")
    r = _upload(api, body)
    assert r.status_code == 200 and r.json()["imported"] == 1, r.text
    assert api.stops()[0]["name"] == "Coswig, Bahnhof" and api.stops()[0]["lat"] == 51.135247
