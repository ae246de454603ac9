"""The comparison ranges of the report: every range names a reference that exists; a range without a
checked source says so (assumption, unsourced); a cited publication names authors or publisher,
year and where to find it."""

from __future__ import annotations

import re

from simulations.report import KPI_TABLE, PUBLISHED_RANGES, REFERENCES, UNSOURCED, _range_text


def test_every_range_has_a_known_reference():
    keys = {ref for ref, _, _ in REFERENCES}
    table_keys = {key for key, *_ in KPI_TABLE}
    for key, (lo, hi, ref) in PUBLISHED_RANGES.items():
        assert key in table_keys, key                     # shown in the KPI table
        assert lo < hi and ref in keys, (key, ref)


def test_unsourced_ranges_are_marked_as_such():
    texts = {ref: (de, en) for ref, de, en in REFERENCES}
    de, en = texts[UNSOURCED]
    assert de.startswith("Annahme, ohne Quelle") and en.startswith("Assumption, unsourced")
    for key, (_, _, ref) in PUBLISHED_RANGES.items():
        shown = _range_text(key)
        assert f"[{ref}]" in shown
        assert shown.endswith("*") == (ref == UNSOURCED), shown


def test_cited_publications_say_who_when_and_where():
    for ref, de, en in REFERENCES:
        if ref == UNSOURCED:
            continue
        for text in (de, en):
            assert re.search(r"\((19|20)\d\d\)|\b(19|20)\d\d\b", text), (ref, text)   # a year
            assert re.search(r"doi:10\.\d+/|Interreg Europe", text), (ref, text)       # where to find it
