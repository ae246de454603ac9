"""Issue 16 item 5: every message the server sends is a catalogue entry with a German text (the
default) and an English one (``Accept-Language: en``); no code raised anywhere lacks an entry; no
English word is left in a German text, neither in the server's catalogue nor in the pages'
translation tables (``ride_pool/web/static/js/i18n``)."""

from __future__ import annotations

import re
import string
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ride_pool.dispatch.domain import BookingStatus, RejectCause
from ride_pool.dispatch.rules import ServiceRules
from ride_pool.message_catalogue import CATALOGUE
from ride_pool.messages import Day, Duration, Hours, Moment, Plural, language_of, msg

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(p for p in (ROOT / "ride_pool").rglob("*.py") if "migrations" not in p.parts)
I18N = sorted((ROOT / "ride_pool" / "web" / "static" / "js" / "i18n").glob("*.js"))
BERLIN = ZoneInfo("Europe/Berlin")

#: English words that are not also German words (so "will", "was", "also", "die", "an", "man",
#: "Name", "Start", "Code", "Ticket" are not here)
ENGLISH = frozenset("""
the and is are must not choose with your you booking bookings offer offers please cannot already between only
from this that there has have been when where which after before ride rides trip trips stop stops pickup pickups
driver drivers operator shift shifts vehicle vehicles account password passwords minutes hours days error request
failed try again later send give should would could than then into too many more less least most here of for to
or it be by at on if out up new invalid valid unknown known allowed number value field place places point area
service road network wheelchair wheelchairs passenger passengers rider riders seat seats log logged check wrong
expired ahead earliest latest window arrival destination origin closed booked cancelled confirmed none null
doctor home today tomorrow yes please sorry found search""".split())


def _source_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in SOURCES)


def codes_in_source() -> set[str]:
    """Every error code and message key the source raises or sends."""
    text = _source_text()
    found: set[str] = set()
    patterns = [
        r'msg\(\s*"([a-z0-9_]+)"',                      # catalogue keys
        r'"code":\s*"([a-z0-9_]+)"',                    # {"code": "..."} answers
        r'\bcode\s*=\s*"([a-z0-9_]+)"',                 # code="..." arguments
        r'default_code\s*=\s*"([a-z0-9_]+)"',           # error classes
        r'INVALID_AREA\s*=\s*"([a-z0-9_]+)"',
        r'WeakPassword\(\s*"([a-z0-9_]+)"',             # password rules
        r'InvalidToken\([^()]*(?:\([^()]*\)[^()]*)*,\s*"([a-z0-9_]+)"\s*\)',   # token refusals
    ]
    for pattern in patterns:
        # a key ending in "_" is the prefix of a key made at run time (checked below)
        found.update(k for k in re.findall(pattern, text, flags=re.S) if not k.endswith("_"))
    # dynamic keys: a booking's status, the limits' names, what a token is
    found.update(f"status_{s.value}" for s in BookingStatus)
    found.update(f"limit_{n}" for n in re.findall(r'count(?:_address)?\(service,\s*(?:request,\s*)?"([a-z_]+)"',
                                                     text))
    found.update(f"what_{w}" for w in re.findall(r'what="([a-z]+)"', text))
    found.update(c.value for c in RejectCause)
    found.update(f"cause_{c.value}" for c in RejectCause)          # the KPIs name every cause
    found.update(f"stops_{w}" for w in re.findall(r'_coordinate\([^,]+,\s*"([a-z]+)"', text))
    from ride_pool.api.errors import _HTTP_CODES, _VALIDATION
    found.update(_HTTP_CODES.values())
    found.update(_VALIDATION.values())
    return found


def test_every_code_raised_in_the_source_has_a_german_and_an_english_text():
    codes = codes_in_source()
    assert len(codes) > 150, sorted(codes)          # the walk finds the codes (not an empty pattern)
    missing = sorted(c for c in codes if c not in CATALOGUE)
    assert not missing, f"codes without a catalogue entry: {missing}"
    for key, (de, en) in CATALOGUE.items():
        assert de.strip() and en.strip(), key
        assert de != en or key in ("field_message", "place_outside", "name_problem", "log_in_again"), key


def test_the_walk_notices_a_code_without_an_entry(tmp_path, monkeypatch):
    """The walk reads the source: a new ``raise`` with an unknown key is a finding, not ignored."""
    fake = tmp_path / "fake.py"
    fake.write_text('raise DispatchError(msg("no_such_message_key"))\nraise X(code="no_such_code")\n')
    monkeypatch.setattr(__import__(__name__), "SOURCES", SOURCES + [fake])
    codes = codes_in_source()
    assert {"no_such_message_key", "no_such_code"} <= codes
    assert "no_such_message_key" not in CATALOGUE


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_german_and_english_texts_take_the_same_parameters(key):
    de, en = CATALOGUE[key]
    # German may leave out a technical detail the English text names (a routing error's text)
    assert _fields(de) <= _fields(en), key


def english_words(text: str) -> list[str]:
    """English words in a German text, outside quotes, API names and placeholders."""
    text = re.sub(r"\{[^{}]*\}", " ", text)                              # placeholders
    text = re.sub(r"'[^']*'|\"[^\"]*\"|„[^“]*“|<[^>]*>", " ", text)      # quoted examples, <token>
    words = []
    for token in text.split():
        if re.search(r"[/_=?]|\w\.\w", token):                            # paths, field names, e.g. Dispatcher.place
            continue
        for word in re.findall(r"[A-Za-zÄÖÜäöüß]+", token):
            if word.isupper():                                            # POST, JSON, CSV, UTF, NUL, ISO, IANA
                continue
            if word.lower() in ENGLISH:
                words.append(word)
    return words


def test_no_english_word_is_left_in_the_german_catalogue():
    bad = {key: english_words(de) for key, (de, _) in CATALOGUE.items() if english_words(de)}
    assert not bad, bad


def test_the_english_word_check_finds_english():
    assert english_words("Die Fahrt liegt außerhalb der Betriebszeiten (the trip lies outside)") == ["the", "trip"]
    assert english_words("Senden Sie 'Authorization: Bearer <token>' aus POST /api/v1/auth/token.") == []


def german_tables() -> dict[str, dict[str, str]]:
    """The German entries of every page translation table: file -> {key: text}."""
    tables = {}
    for path in I18N:
        text = path.read_text(encoding="utf-8")
        start, end = text.index("de: {"), text.index("\n  en: {")
        entries = dict(re.findall(r'"([^"]+)":\s*"((?:[^"\\]|\\.)*)"', text[start:end]))
        assert len(entries) > 5, path.name
        tables[path.name] = entries
    return tables


def test_no_english_word_is_left_in_the_pages_german_texts():
    bad = {f"{name}:{key}": english_words(value) for name, table in german_tables().items()
           for key, value in table.items() if english_words(value)}
    assert not bad, bad


def test_every_german_page_text_has_an_english_one():
    for path in I18N:
        text = path.read_text(encoding="utf-8")
        split = text.index("\n  en: {")
        de = set(re.findall(r'"([^"]+)":\s*"', text[:split]))
        en = set(re.findall(r'"([^"]+)":\s*"', text[split:]))
        assert de == en, (path.name, sorted(de ^ en))


# ---------------------------------------------------------------------- German forms
def test_durations_weekdays_and_hours_in_german_form():
    assert Duration(8 * 3600 + 12 * 60).render("de") == "8 Std. 12 Min."
    assert Duration(8 * 3600 + 12 * 60).render("en") == "8 hours 12 minutes"
    assert Duration(30 * 60).render("de") == "30 Min." and Duration(14 * 86400).render("de") == "14 Tage"
    weekdays = {d: ["05:00", "23:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
    hours = Hours.of({**weekdays, "sat": ["07:00", "20:00"]})
    assert hours.render("de") == "Mo–Fr 05:00–23:00, Sa 07:00–20:00"
    assert hours.render("en") == "Mon–Fri 05:00–23:00, Sat 07:00–20:00"
    assert Hours.of({d: ["05:00", "23:00"] for d in ServiceRules().operating_hours}).render("de") == \
        "Mo–So 05:00–23:00"
    at = datetime(2026, 12, 7, 8, 0, tzinfo=BERLIN)
    assert Day(at).render("de") == "Mo, 07.12.2026 08:00"
    assert Moment(at, datetime(2026, 12, 7, 0, 20, tzinfo=BERLIN)).render("de") == "heute 08:00 Uhr"
    assert Moment(at, datetime(2026, 12, 6, 23, 0, tzinfo=BERLIN)).render("de") == "morgen 08:00 Uhr"
    assert Moment(at, datetime(2026, 12, 5, 9, 0, tzinfo=BERLIN)).render("en") == "Mon 2026-12-07 08:00"
    assert Plural(1, "Buchung", "Buchungen", "booking", "bookings").render("de") == "1 Buchung"


def test_a_refusal_renders_in_either_language_with_its_parameters():
    rules = ServiceRules()
    m = msg("outside_operating_hours", hours=Hours.of(rules.operating_hours))
    assert m.render("de") == "Die Fahrt liegt außerhalb der Betriebszeiten (Mo–So 05:00–23:00)."
    assert str(m) == "the trip lies outside the operating hours (Mon–Sun 05:00–23:00)"
    nested = msg("place_outside", field=msg("status_cancelled"), message=msg("same_place"))
    assert nested.render("de").startswith("storniert: Start und Ziel sind derselbe Ort")


@pytest.mark.parametrize("header, lang", [(None, "de"), ("", "de"), ("en", "en"), ("en-US,en;q=0.9", "en"),
                                          ("de-DE,de;q=0.9,en;q=0.8", "de"), ("fr-FR, en;q=0.5", "en"),
                                          ("fr", "de"), ("en;q=0.3, de;q=0.7", "de"), ("de;q=0", "de")])
def test_the_language_follows_accept_language(header, lang):
    assert language_of(header) == lang
