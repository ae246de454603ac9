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
        assert (lo is None or lo <= hi) and ref in keys, (key, ref)


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
            assert re.search(r"doi:10\.\d+/|Interreg Europe|mobil-am-land\.at|Der Nahverkehr", text), (ref, text)


def test_sourced_figures_show_what_the_source_says():
    # Q5 is a range over services, Q6 an upper bound ("no more than two to three"), Q7 one modelled value:
    # the report must not widen any of them into a range the source does not give
    assert _range_text("direct_mean_km") == "1.31–7.9 [Q5]"
    assert _range_text("passengers_per_vehicle_hour") == "≤ 3 [Q6]"
    assert _range_text("subsidy_per_passenger_eur") == "≈ 12.86 [Q7]"
    assert _range_text("pooled_share") == "20 %–60 % [A] *"
    sourced = {key for key, (_, _, ref) in PUBLISHED_RANGES.items() if ref != UNSOURCED}
    assert sourced == {"direct_mean_km", "passengers_per_vehicle_hour", "subsidy_per_passenger_eur"}
