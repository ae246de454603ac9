"""The gazetteer (routing/gazetteer.py) and its search and reverse look-up (routing/place_search.py)
on the real OSM extracts in ../shared/data/osm and on the synthetic demo county."""

from __future__ import annotations

import pytest

from routing.gazetteer import (
    Gazetteer,
    demo_gazetteer,
    gazetteer_from_osm_file,
    gazetteer_path,
)
from routing.municipalities import load_municipalities
from routing.place_search import ADDRESS_RADIUS_M, STREET_RADIUS_M, PlaceIndex, Reverse, fold, words


@pytest.fixture(scope="module")
def bayreuth_places(bayreuth_osm):
    return gazetteer_from_osm_file(bayreuth_osm)


@pytest.fixture(scope="module")
def bayreuth_index(bayreuth_places):
    return PlaceIndex(bayreuth_places.entries)


@pytest.fixture(scope="module")
def lauf_places(lauf_osm):
    return gazetteer_from_osm_file(lauf_osm)


@pytest.fixture(scope="module")
def lauf_index(lauf_places):
    return PlaceIndex(lauf_places.entries)


@pytest.fixture(scope="module")
def demo_places(demo_network):
    return demo_gazetteer(demo_network)


@pytest.fixture(scope="module")
def demo_index(demo_places):
    return PlaceIndex(demo_places.entries)


def labels(found) -> list[str]:
    return [f.entry.label for f in found]


def first(index, query, **kw):
    found = index.search(query, 5, **kw)
    assert found, f"nothing found for {query!r}"
    return found[0].entry


# ---------------------------------------------------------------------- folding
def test_fold_ignores_case_umlauts_and_sharp_s():
    assert fold("Meißen") == fold("MEISSEN") == "meissen"
    assert fold("Krögis") == "krogis"
    assert words("St.-Georgen-Straße 16") == ["st", "georgen", "strasse", "16"]
    assert words("Käbschütztal, Ortsteil 3") == ["kabschutztal", "ortsteil", "3"]


# ---------------------------------------------------------------------- OSM: what the gazetteer holds
def test_osm_gazetteer_has_settlements_streets_addresses_and_pois(bayreuth_places):
    counts = bayreuth_places.counts()
    # 71 place nodes in the extract: 22 villages, 48 hamlets, 1 isolated dwelling (README-osm)
    assert counts["settlement"] == 71
    assert counts["street"] > 150 and counts["address"] > 700 and counts["poi"] > 30
    assert bayreuth_places.attribution == "© OpenStreetMap contributors (ODbL)"
    assert not bayreuth_places.synthetic
    by_label = {e.label: e for e in bayreuth_places.entries}
    # a village with the municipality its addresses name, a street and an address with theirs
    assert "Altenplos (Heinersreuth)" in by_label
    assert by_label["Altenplos (Heinersreuth)"].kind == "settlement"
    assert "Hauptstraße 2, Altenplos (Heinersreuth)" in by_label
    assert by_label["Hauptstraße 2, Altenplos (Heinersreuth)"].kind == "address"
    # one entry per street name and settlement
    streets = [(e.name, e.label) for e in bayreuth_places.entries if e.kind == "street"]
    assert len(streets) == len(set(streets))
    assert sum(1 for name, _ in streets if name == "Hauptstraße") >= 3
    # every street point belongs to a street entry
    kinds = {bayreuth_places.entries[i].kind for i in set(bayreuth_places.street_entry.tolist())}
    assert kinds == {"street"}


def test_osm_pois_have_german_categories(bayreuth_places, lauf_places):
    pois = [e for e in bayreuth_places.entries + lauf_places.entries if e.kind == "poi"]
    categories = {e.words.split()[0] for e in pois}
    for word in ("Arzt", "Zahnarzt", "Apotheke", "Krankenhaus", "Schule", "Rathaus", "Bahnhof", "Supermarkt",
                 "Kirche", "Friedhof"):
        assert word in categories, word
    # a point of interest without a name is named by its category
    assert any(e.name == "Friedhof" for e in pois)


def test_save_and_load_beside_the_network(tmp_path, bayreuth_places):
    path = gazetteer_path(tmp_path / "bayreuth.npz")
    assert path.name == "bayreuth.places.json.gz"
    bayreuth_places.save(path)
    again = Gazetteer.load(path)
    assert again.entries == bayreuth_places.entries
    assert (again.street_entry == bayreuth_places.street_entry).all()
    assert again.attribution == bayreuth_places.attribution


def test_load_refuses_other_files(tmp_path):
    from routing.errors import NetworkFileError

    bad = tmp_path / "x.places.json.gz"
    bad.write_bytes(b"not gzip")
    with pytest.raises(NetworkFileError, match="not a ride_pool places file"):
        Gazetteer.load(bad)
    with pytest.raises(NetworkFileError, match="no such places file"):
        Gazetteer.load(tmp_path / "missing.places.json.gz")


# ---------------------------------------------------------------------- OSM: search
@pytest.mark.parametrize("query", ["Altenplos", "altenplos", "ALTENPLOS", "Altenplso", "Altenplos Heinersreuth",
                                   "Heinersreuth Altenplos", "Altenp"])
def test_settlement_found_by_name_case_typo_order_prefix(bayreuth_index, query):
    entry = first(bayreuth_index, query)
    assert (entry.kind, entry.name) == ("settlement", "Altenplos")


def test_umlaut_and_sharp_s_variants(bayreuth_index):
    for query in ("Stöckigstraße 2", "Stockigstrasse 2", "stoeckigstrasse 2", "STÖCKIGSTR 2"):
        entry = first(bayreuth_index, query)
        assert entry.kind == "address" and entry.name == "Stöckigstraße 2", query
    assert first(bayreuth_index, "Dorflas").name == "Dörflas"


def test_address_with_settlement_and_municipality_in_its_label(bayreuth_index):
    entry = first(bayreuth_index, "Hauptstrasse 2 Altenplos")
    assert entry.label == "Hauptstraße 2, Altenplos (Heinersreuth)"
    assert (entry.lat, entry.lon) != (0, 0)


def test_street_found_and_near_the_rider_first(bayreuth_index, bayreuth_places):
    streets = [e for e in bayreuth_places.entries if e.kind == "street" and e.name == "Hauptstraße"]
    assert len(streets) >= 3
    for street in streets:
        found = bayreuth_index.search("Hauptstraße", 10, lat=street.lat, lon=street.lon)
        top = [f for f in found if f.entry.kind == "street"][0]
        assert top.entry == street
        assert top.distance_m == pytest.approx(0, abs=1)


def test_pois_found_by_name_and_category(bayreuth_index, lauf_index):
    assert first(bayreuth_index, "Apotheke").label.startswith("Apotheke am Schlossberg")
    assert first(bayreuth_index, "Apoteke").label.startswith("Apotheke am Schlossberg")
    assert first(bayreuth_index, "Friedhof Harsdorf").label == "Friedhof, Harsdorf"
    assert first(bayreuth_index, "Rathaus Harsdorf").label.startswith("Gemeindeverwaltung Harsdorf (Rathaus)")
    assert first(bayreuth_index, "Edeka").name == "Edeka"
    doctors = lauf_index.search("Arzt", 20)
    assert len(doctors) >= 10 and all(f.entry.kind == "poi" for f in doctors)
    assert all("arzt" in fold(f.entry.words + f.entry.name) for f in doctors)
    assert "Zahnarzt" in first(lauf_index, "zahnarzt").words
    hospital = first(lauf_index, "Krankenhaus Lauf")
    assert hospital.kind == "poi" and hospital.name == "Krankenhaus Lauf"
    assert first(lauf_index, "Marktplatz 24").label == "Marktplatz 24, Lauf an der Pegnitz"
    stations = [f.entry for f in lauf_index.search("Bahnhof", 10) if f.entry.kind == "poi"]
    assert {"Lauf West", "Ludwigshöhe"} <= {e.name for e in stations}


def test_nothing_for_nonsense_and_empty(bayreuth_index):
    assert bayreuth_index.search("xqzvw", 5) == []
    assert bayreuth_index.search("   ", 5) == []
    assert bayreuth_index.search("Altenplos", 0) == []


def test_all_words_must_match_when_some_place_matches_them_all(bayreuth_index):
    found = bayreuth_index.search("Friedhof Harsdorf", 10)
    complete = [f for f in found if f.complete]
    assert complete and all("harsdorf" in fold(f.entry.label) and "friedhof" in fold(f.entry.label + f.entry.words)
                            for f in complete)


# ---------------------------------------------------------------------- OSM: reverse
def test_reverse_address_then_street_then_settlement(bayreuth_places):
    reverse = Reverse(bayreuth_places)
    address = next(e for e in bayreuth_places.entries if e.label == "Hauptstraße 2, Altenplos (Heinersreuth)")
    hit = reverse.nearest(address.lat + 0.0001, address.lon)          # 11 m north of it
    assert hit.entry.kind == "address" and hit.distance_m < ADDRESS_RADIUS_M
    # a street point far from every address: the street with its settlement
    addresses = [(e.lat, e.lon) for e in bayreuth_places.entries if e.kind == "address"]
    lone = None
    for lat, lon, k in zip(bayreuth_places.street_lat, bayreuth_places.street_lon, bayreuth_places.street_entry):
        if min(abs(lat - a) * 111_000 + abs(lon - b) * 71_000 for a, b in addresses) > 300:
            lone = (lat, lon, bayreuth_places.entries[k])
            break
    assert lone is not None
    hit = reverse.nearest(lone[0], lone[1])
    assert hit.entry.kind == "street" and hit.distance_m < STREET_RADIUS_M
    assert hit.entry.label.startswith(lone[2].name)
    # a field next to a hamlet: the settlement
    hamlet = next(e for e in bayreuth_places.entries if e.kind == "settlement" and e.name == "Forsthaus")
    hit = reverse.nearest(hamlet.lat + 0.004, hamlet.lon + 0.004)
    assert hit.entry.kind in ("settlement", "street", "address")
    far = reverse.nearest(52.5, 13.4)        # Berlin
    assert far is None


# ---------------------------------------------------------------------- the synthetic demo
def test_demo_places_name_the_municipalities_and_are_synthetic(demo_places, demo_network):
    assert demo_places.synthetic and "SYNTHETIC" in demo_places.attribution
    counts = demo_places.counts()
    assert counts["settlement"] == demo_network.extra["settlements"]
    names = {e.name for e in demo_places.entries if e.kind == "settlement"}
    for m in load_municipalities():
        assert m.name.split(",")[0] in names
    assert all(e.label.endswith("(synthetisch)") for e in demo_places.entries)
    assert "Käbschütztal Ortsteil 1" in names


def test_demo_search(demo_index):
    assert first(demo_index, "meissen").name == "Meißen"
    assert first(demo_index, "Kabschutztal").name == "Käbschütztal"
    assert first(demo_index, "kaebschuetztal").name == "Käbschütztal"
    assert first(demo_index, "Käbschütztal Ortsteil 3").name == "Käbschütztal Ortsteil 3"
    doctor = first(demo_index, "Arzt Meißen")
    assert doctor.kind == "poi" and doctor.name == "Arztpraxis Meißen"
    # the rider's position decides among equal matches
    riesa = first(demo_index, "Arzt", lat=51.3025, lon=13.3046)
    assert riesa.name == "Arztpraxis Riesa"


def test_open_gazetteer_beside_the_network_file(tmp_path, bayreuth_network, bayreuth_places, demo_network, caplog):
    from routing.sources import open_gazetteer

    path = bayreuth_network.save(tmp_path / "bayreuth.npz")
    # no places file (a network built before places existed): the service runs, search finds stops only
    assert open_gazetteer(str(path), bayreuth_network).entries == ()
    assert "no places file" in caplog.text
    # places of another network are not used
    Gazetteer(bayreuth_places.entries, network_source="another network").save(gazetteer_path(path))
    assert open_gazetteer(str(path), bayreuth_network).entries == ()
    assert "belong to another network" in caplog.text
    Gazetteer(bayreuth_places.entries, network_source=bayreuth_network.source).save(gazetteer_path(path))
    assert open_gazetteer(str(path), bayreuth_network).entries == bayreuth_places.entries
    # the demo's are built when missing
    demo_path = demo_network.save(tmp_path / "demo.npz")
    assert open_gazetteer(str(demo_path), demo_network).counts()["settlement"] == demo_network.extra["settlements"]
