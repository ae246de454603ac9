"""OSM sources: the shared extracts (.osm.gz, .osm.pbf, and .osm/.osm.bz2 made from them), drivable
filtering, clipped ways, speeds, the largest strongly connected component, bad files, and the
place-name path tested offline by standing in for osmnx's downloads."""

from __future__ import annotations

import bz2
import gzip
import shutil

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from routing.errors import OsmInputError, RoutingInputError
from routing.network import ROAD_CLASSES, RoadNetwork
from routing.osm import network_from_osm_file, network_from_place
from routing.sources import build_network

#: What a car may use (an allow-list, independent of routing.osm's exclusion rules).
DRIVABLE_HIGHWAYS = {
    "motorway", "trunk", "primary", "secondary", "tertiary", "unclassified", "residential",
    "living_street", "motorway_link", "trunk_link", "primary_link", "secondary_link", "tertiary_link",
    "road", "busway",
}


def same_arrays(a: RoadNetwork, b: RoadNetwork) -> bool:
    """Same graph, times, lengths, classes, coordinates and shapes (names and sources may differ)."""
    names = ("node_lon", "node_lat", "node_osm_id", "indptr", "head", "travel_time_s", "length_m",
             "road_class", "geometry_indptr", "geometry_lon", "geometry_lat")
    return all(np.array_equal(getattr(a, n), getattr(b, n)) for n in names) and (
        a.largest_component_share == b.largest_component_share
    )


def strong_components(net: RoadNetwork) -> int:
    graph = csr_matrix((np.ones(net.edge_count), net.head, net.indptr), shape=(net.node_count,) * 2)
    return connected_components(graph, directed=True, connection="strong")[0]


@pytest.fixture(scope="module")
def bayreuth_unsplit(bayreuth_osm):
    """north-bayreuth without long-edge splitting: comparable with the data README's numbers."""
    return network_from_osm_file(bayreuth_osm, max_edge_length_m=1e9)


@pytest.fixture(scope="module")
def lauf_unsplit(lauf_osm):
    return network_from_osm_file(lauf_osm, max_edge_length_m=1e9)


# --------------------------------------------------------------------------- the shared extracts
def test_north_bayreuth_matches_the_data_readme(bayreuth_unsplit):
    s = bayreuth_unsplit.summary()
    # README-osm.md: 622 nodes, 1,451 edges, 334 km of directed edges (osmnx multigraph; we keep
    # only the fastest of parallel edges, so a few fewer edges and km)
    assert s["nodes"] == 622
    assert 0.97 * 1451 <= s["edges"] <= 1451
    assert 0.97 * 334 <= s["directed_edge_km"] <= 334
    bbox = s["bbox"]
    assert bbox["min_lon"] == pytest.approx(11.4678, abs=5e-4) and bbox["max_lon"] == pytest.approx(11.6100, abs=5e-4)
    assert bbox["min_lat"] == pytest.approx(49.9676, abs=5e-4) and bbox["max_lat"] == pytest.approx(50.0603, abs=5e-4)
    assert s["kind"] == "OSM" and not bayreuth_unsplit.synthetic
    assert "OpenStreetMap contributors" in s["attribution"]
    assert bayreuth_unsplit.extra["ways_clipped_at_edge"] == 0


def test_lauf_pbf_matches_the_data_readme_and_copes_with_clipped_ways(lauf_unsplit):
    s = lauf_unsplit.summary()
    # README-osm.md: 704 nodes, 1,779 edges, 204 km; 42 drivable ways cut at the extract's edge
    assert s["nodes"] == 704
    assert 0.97 * 1779 <= s["edges"] <= 1779
    assert 0.97 * 204 <= s["directed_edge_km"] <= 204
    bbox = s["bbox"]
    assert bbox["min_lon"] == pytest.approx(11.2474, abs=5e-4) and bbox["max_lon"] == pytest.approx(11.3068, abs=5e-4)
    assert bbox["min_lat"] == pytest.approx(49.4995, abs=5e-4) and bbox["max_lat"] == pytest.approx(49.5304, abs=5e-4)
    assert lauf_unsplit.extra["ways_clipped_at_edge"] == 42
    assert np.all(np.isfinite(lauf_unsplit.node_lon)) and np.all(np.isfinite(lauf_unsplit.node_lat))


@pytest.mark.parametrize("which", ["bayreuth", "lauf"])
def test_long_edges_split_without_changing_the_roads(which, request):
    net = request.getfixturevalue(f"{which}_network")
    unsplit = request.getfixturevalue(f"{which}_unsplit")
    assert net.length_m.max() <= 301
    assert net.node_count > unsplit.node_count
    # the original nodes are all still there, the inserted ones are marked -1
    original = unsplit.node_osm_id
    assert set(net.node_osm_id[net.node_osm_id >= 0].tolist()) == set(original.tolist())
    assert np.all(net.node_osm_id[unsplit.node_count:] == -1) or (net.node_osm_id == -1).sum() == (
        net.node_count - unsplit.node_count
    )
    # pieces add up to the whole: lengths exactly, times up to the 1-second minimum per piece
    assert net.length_m.sum() == unsplit.length_m.sum()
    assert abs(int(net.travel_time_s.sum()) - int(unsplit.travel_time_s.sum())) <= 0.01 * unsplit.travel_time_s.sum()
    assert net.summary()["road_km"] == pytest.approx(unsplit.summary()["road_km"], abs=0.2)


@pytest.mark.parametrize("which", ["bayreuth", "lauf"])
def test_largest_strongly_connected_component_is_kept(which, request):
    net = request.getfixturevalue(f"{which}_network")
    assert strong_components(net) == 1
    assert 0.9 < net.largest_component_share < 1.0  # some dead ends were dropped, most kept


def _ways(path):
    import osmium

    for way in osmium.FileProcessor(str(path), osmium.osm.WAY):
        yield {t.k: t.v for t in way.tags}, [n.ref for n in way.nodes]


@pytest.mark.parametrize("which", ["bayreuth", "lauf"])
def test_only_drivable_roads_are_kept(which, request):
    path = request.getfixturevalue(f"{which}_osm")
    net = request.getfixturevalue(f"{which}_network")
    drivable, other = set(), set()
    for tags, refs in _ways(path):
        ok = (
            tags.get("highway") in DRIVABLE_HIGHWAYS
            and tags.get("access") != "private"
            and tags.get("area") != "yes"
            and "no" not in (tags.get("motor_vehicle"), tags.get("motorcar"))
        )
        (drivable if ok else other).update(refs)
    osm_nodes = set(net.node_osm_id[net.node_osm_id >= 0].tolist())
    assert osm_nodes <= drivable
    # nodes that only tracks, paths, service roads, buildings, ... use never appear
    assert not osm_nodes & (other - drivable)
    classes = {ROAD_CLASSES[c] for c in np.unique(net.road_class)}
    assert classes <= DRIVABLE_HIGHWAYS
    assert {"residential", "unclassified", "tertiary", "primary"} <= classes


def test_speeds_on_a_real_network_are_plausible(bayreuth_unsplit):
    net = bayreuth_unsplit
    kph = net.length_m / net.travel_time_s * 3.6
    long_enough = net.length_m > 200  # rounding to whole seconds distorts very short edges
    for road_class, (low, high) in {"residential": (7, 50.1), "primary": (30, 100.1), "motorway": (60, 130)}.items():
        mask = long_enough & (net.road_class == ROAD_CLASSES.index(road_class))
        assert mask.any(), road_class
        assert low <= np.median(kph[mask]) <= high, road_class
    assert kph[long_enough].max() <= 135


@pytest.mark.parametrize("suffix", [".osm", ".osm.bz2"])
def test_plain_and_bzip2_xml_give_the_same_network(suffix, bayreuth_osm, bayreuth_network, tmp_path):
    target = tmp_path / f"north-bayreuth{suffix}"
    opener = open if suffix == ".osm" else bz2.open
    with gzip.open(bayreuth_osm, "rb") as src, opener(target, "wb") as dst:
        shutil.copyfileobj(src, dst)
    net = build_network(str(target))
    assert net.name == "north-bayreuth"
    assert net.source == f"OSM file {target.name}"
    assert same_arrays(net, bayreuth_network)


# --------------------------------------------------------------------------- speeds from tags
def _write_osm(path, ways, nodes):
    """``nodes``: {id: (lon, lat)}; ``ways``: [(id, [node ids], {tags})]."""
    lines = ["<?xml version='1.0' encoding='UTF-8'?>", '<osm version="0.6" generator="test">']
    lines += [f'<node id="{i}" lat="{lat:.7f}" lon="{lon:.7f}" version="1"/>' for i, (lon, lat) in nodes.items()]
    for way_id, refs, tags in ways:
        body = "".join(f'<nd ref="{r}"/>' for r in refs) + "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        lines.append(f'<way id="{way_id}" version="1">{body}</way>')
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


KM_LON = 1 / (111.195 * np.cos(np.radians(50.0)))  # degrees of longitude per km at latitude 50


def _one_road(tmp_path, tags, km=1.0):
    nodes = {1: (11.0, 50.0), 2: (11.0 + km * KM_LON / 2, 50.0), 3: (11.0 + km * KM_LON, 50.0)}
    return network_from_osm_file(_write_osm(tmp_path / "road.osm", [(100, [1, 2, 3], tags)], nodes))


def _time_and_length(net, a_osm, b_osm):
    """Travel time and length of the (possibly split) road from OSM node a to OSM node b."""
    from routing.travel_times import TravelTimes

    index = {int(o): i for i, o in enumerate(net.node_osm_id) if o >= 0}
    route = TravelTimes(net).route(index[a_osm], index[b_osm])
    return route.travel_time_s, route.length_m


@pytest.mark.parametrize(
    "tags,kph",
    [
        ({"highway": "residential"}, 30),
        ({"highway": "living_street"}, 7),
        ({"highway": "tertiary"}, 60),
        ({"highway": "primary"}, 80),
        ({"highway": "residential", "maxspeed": "DE:urban"}, 50),
        ({"highway": "secondary", "maxspeed": "DE:rural"}, 100),
        ({"highway": "motorway", "maxspeed": "none"}, 120),
        ({"highway": "unclassified", "maxspeed": "30 mph"}, 30 * 1.609344),
        ({"highway": "tertiary", "maxspeed": "70;50"}, 50),
        ({"highway": "primary", "maxspeed": "DE:zone:30"}, 30),
    ],
)
def test_speed_tags_on_a_one_km_road(tmp_path, tags, kph):
    net = _one_road(tmp_path, tags)
    seconds, metres = _time_and_length(net, 1, 3)
    assert metres == pytest.approx(1000, abs=2)
    assert seconds == pytest.approx(metres / (kph / 3.6), abs=1)
    assert _time_and_length(net, 3, 1)[0] == seconds  # two-way road, same both ways


def test_mixed_speeds_are_summed_per_segment_before_merging(tmp_path):
    # A -(1 km at 100)- B -(1 km at 50)- C: osmnx merges A-B-C into one edge; its time must be
    # 36 s + 72 s = 108 s, not 2 km at the average speed (96 s)
    nodes = {1: (11.0, 50.0), 2: (11.0 + KM_LON, 50.0), 3: (11.0 + 2 * KM_LON, 50.0)}
    ways = [(100, [1, 2], {"highway": "secondary", "maxspeed": "100"}),
            (101, [2, 3], {"highway": "secondary", "maxspeed": "50"})]
    net = network_from_osm_file(_write_osm(tmp_path / "mixed.osm", ways, nodes))
    assert 2 not in net.node_osm_id.tolist()  # B was merged away by simplification
    seconds, metres = _time_and_length(net, 1, 3)
    assert metres == pytest.approx(2000, abs=2)
    assert seconds == pytest.approx(1000 / (100 / 3.6) + 1000 / (50 / 3.6), abs=1)


def test_clipped_way_is_trimmed_to_the_nodes_the_file_has(tmp_path):
    # a star around node 2; way 100 also refers to nodes 8 and 9, which the extract does not
    # contain (cut at its edge), once in the middle and once at the end
    nodes = {1: (11.0, 50.0), 2: (11.001, 50.0), 3: (11.001, 50.001), 4: (11.002, 50.0), 5: (11.003, 50.0)}
    ways = [(100, [1, 2, 4, 8, 5, 9], {"highway": "residential"}),
            (101, [2, 3], {"highway": "residential"}),
            (102, [3, 8], {"highway": "residential"})]  # only one node left: dropped
    net = network_from_osm_file(_write_osm(tmp_path / "clipped.osm", ways, nodes))
    assert net.extra["ways_clipped_at_edge"] == 2
    assert net.extra["drivable_ways"] == 2
    assert set(net.node_osm_id[net.node_osm_id >= 0].tolist()) == {1, 2, 3, 4}
    assert strong_components(net) == 1


# --------------------------------------------------------------------------- bad input
def _no_drivable_roads(path):
    nodes = {1: (11.0, 50.0), 2: (11.001, 50.0), 3: (11.001, 50.001)}
    ways = [(10, [1, 2, 3, 1], {"building": "yes"}), (11, [1, 2], {"highway": "footway"}),
            (12, [2, 3], {"highway": "track"}), (13, [1, 3], {"highway": "service", "service": "driveway"}),
            (14, [3, 1], {"highway": "residential", "access": "private"})]
    return _write_osm(path, ways, nodes)


BAD_OSM_FILES = {
    "empty.osm": lambda p: p.write_bytes(b""),
    "empty.osm.pbf": lambda p: p.write_bytes(b""),
    "random.osm": lambda p: p.write_bytes(np.random.default_rng(2).bytes(5000)),
    "random.osm.gz": lambda p: p.write_bytes(np.random.default_rng(3).bytes(5000)),
    "random.osm.bz2": lambda p: p.write_bytes(np.random.default_rng(4).bytes(5000)),
    "random.osm.pbf": lambda p: p.write_bytes(np.random.default_rng(5).bytes(5000)),
    "text.osm": lambda p: p.write_text("hello, I am not a map\n"),
    "html.osm": lambda p: p.write_text("<html><body>Not found</body></html>\n"),
    "no-ways.osm": lambda p: p.write_text('<?xml version="1.0"?>\n<osm version="0.6"></osm>\n'),
    "no-drivable-roads.osm": _no_drivable_roads,
}


@pytest.mark.parametrize("name", list(BAD_OSM_FILES))
def test_bad_osm_files_give_one_clear_error(tmp_path, name):
    path = tmp_path / name
    BAD_OSM_FILES[name](path)
    with pytest.raises(OsmInputError) as info:
        network_from_osm_file(path)
    message = str(info.value)
    assert message.startswith(str(path))
    assert "\n" not in message


@pytest.mark.parametrize("what", ["truncated gzip", "truncated pbf", "gzip named bz2", "xml named pbf"])
def test_corrupt_copies_of_the_shared_files(tmp_path, bayreuth_osm, lauf_osm, what):
    if what == "truncated gzip":
        path = tmp_path / "cut.osm.gz"
        path.write_bytes(bayreuth_osm.read_bytes()[:100_000])
    elif what == "truncated pbf":
        path = tmp_path / "cut.osm.pbf"
        path.write_bytes(lauf_osm.read_bytes()[:300_000])
    elif what == "gzip named bz2":
        path = tmp_path / "wrong.osm.bz2"
        shutil.copy(bayreuth_osm, path)
    else:
        path = tmp_path / "wrong.osm.pbf"
        path.write_bytes(gzip.decompress(bayreuth_osm.read_bytes())[:200_000])
    with pytest.raises(OsmInputError, match="corrupt or truncated"):
        network_from_osm_file(path)


def test_no_drivable_roads_message(tmp_path):
    with pytest.raises(OsmInputError, match="no drivable roads"):
        network_from_osm_file(_no_drivable_roads(tmp_path / "paths.osm"))


@pytest.mark.parametrize("name", ["roads.txt", "roads.geojson", "roads.osm.zip", "roads.npz", "roads"])
def test_unknown_file_type(tmp_path, name):
    path = tmp_path / name
    path.write_text("something")
    with pytest.raises(OsmInputError, match="unknown file type"):
        network_from_osm_file(path)
    with pytest.raises(OsmInputError, match="unknown file type"):
        build_network(str(path))


def test_missing_files_and_sources(tmp_path):
    with pytest.raises(OsmInputError, match="no such file"):
        build_network(str(tmp_path / "missing.osm.pbf"))
    with pytest.raises(OsmInputError, match="not a network source"):
        build_network(str(tmp_path / "missing.shp"))
    with pytest.raises(OsmInputError, match="not a network source"):
        build_network("Meissen")
    with pytest.raises(RoutingInputError, match="positive"):
        build_network("demo", max_edge_length_m=0)


# --------------------------------------------------------------------------- place names, offline
def _drive_graph_from_file(path, tmp_path):
    """What osmnx's download gives for ``network_type="drive"``, built offline from a file."""
    import osmnx as ox

    from routing.osm import write_drivable_xml

    xml = tmp_path / "drive.osm"
    write_drivable_xml(path, xml)
    return ox.graph_from_xml(xml, simplify=False, retain_all=True)


def test_place_name_runs_the_file_code_after_the_download(monkeypatch, tmp_path, bayreuth_osm, bayreuth_network):
    import osmnx as ox

    calls = []

    def fake_graph_from_place(query, **kwargs):
        calls.append((query, kwargs))
        return _drive_graph_from_file(bayreuth_osm, tmp_path)

    monkeypatch.setattr(ox, "graph_from_place", fake_graph_from_place)
    net = build_network('place:"Landkreis Bayreuth, Bayern"')
    assert calls == [("Landkreis Bayreuth, Bayern",
                      {"network_type": "drive", "simplify": False, "retain_all": True, "truncate_by_edge": True})]
    assert net.name == "Landkreis Bayreuth"
    assert net.source == "OSM place Landkreis Bayreuth, Bayern"
    assert not net.synthetic and "OpenStreetMap" in net.attribution
    assert same_arrays(net, bayreuth_network)


def _overpass_elements(path):
    """The drivable ways of a file (all their tags) and their nodes, as Overpass JSON elements.

    The Overpass server applies osmnx's drive filter; routing.osm.is_drivable stands in for it.
    """
    import osmium

    from routing.osm import is_drivable

    nodes, ways = {}, []
    for way in osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_locations().with_filter(
        osmium.filter.EntityFilter(osmium.osm.WAY)
    ):
        tags = {t.k: t.v for t in way.tags}
        if not is_drivable(tags):
            continue
        for ref in way.nodes:
            nodes[ref.ref] = {"type": "node", "id": ref.ref, "lat": ref.location.lat, "lon": ref.location.lon}
        ways.append({"type": "way", "id": way.id, "nodes": [r.ref for r in way.nodes], "tags": tags})
    return list(nodes.values()) + ways


def test_place_name_through_osmnx_with_nominatim_and_overpass_stood_in(
    monkeypatch, bayreuth_osm, bayreuth_network
):
    """Real osmnx.graph_from_place (geocoding result -> polygon -> graph -> truncation); only the two
    HTTP answers are canned: Nominatim's polygon around the extract and Overpass's drivable ways."""
    import osmnx._nominatim
    import osmnx._overpass

    elements = _overpass_elements(bayreuth_osm)
    lons = [e["lon"] for e in elements if e["type"] == "node"]
    lats = [e["lat"] for e in elements if e["type"] == "node"]
    w, e, s, n = min(lons) - 0.01, max(lons) + 0.01, min(lats) - 0.01, max(lats) + 0.01
    nominatim_answer = [{
        "place_id": 1, "osm_type": "relation", "osm_id": 1, "lat": str((s + n) / 2), "lon": str((w + e) / 2),
        "class": "boundary", "type": "administrative", "place_rank": 12, "importance": 0.6,
        "addresstype": "county", "name": "Testkreis", "display_name": "Testkreis, Bayern, Deutschland",
        "boundingbox": [str(s), str(n), str(w), str(e)],
        "geojson": {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]},
    }]
    asked = []
    monkeypatch.setattr(osmnx._nominatim, "_nominatim_request",
                        lambda params, request_type="search": asked.append(dict(params)) or nominatim_answer)
    monkeypatch.setattr(osmnx._overpass, "_download_overpass_network",
                        lambda polygon, network_type, custom_filter: iter([{"elements": elements}]))
    net = network_from_place("Testkreis, Bayern")
    assert asked and asked[0]["q"] == "Testkreis, Bayern"
    assert net.name == "Testkreis"
    assert same_arrays(net, bayreuth_network)


def test_unresolvable_place_gives_one_clear_error(monkeypatch):
    import osmnx._nominatim

    # Nominatim answers an empty list for names it cannot find; osmnx then raises
    monkeypatch.setattr(osmnx._nominatim, "_nominatim_request", lambda params, request_type="search": [])
    with pytest.raises(OsmInputError) as info:
        build_network("place:Nirgendwo an der Nix")
    message = str(info.value)
    assert "'Nirgendwo an der Nix'" in message and "could not resolve" in message
    assert "\n" not in message


def test_place_that_is_only_a_point_gives_one_clear_error(monkeypatch):
    import osmnx._nominatim

    point = [{"osm_type": "node", "osm_id": 5, "lat": "50.0", "lon": "11.5", "class": "place", "type": "village",
              "importance": 0.3, "display_name": "Dorf", "boundingbox": ["49.99", "50.01", "11.49", "11.51"],
              "geojson": {"type": "Point", "coordinates": [11.5, 50.0]}}]
    monkeypatch.setattr(osmnx._nominatim, "_nominatim_request", lambda params, request_type="search": point)
    with pytest.raises(OsmInputError, match="could not resolve"):
        network_from_place("Dorf")


def test_place_without_internet_gives_one_clear_error(monkeypatch):
    import osmnx._nominatim
    import requests

    def offline(params, request_type="search"):
        raise requests.exceptions.ConnectionError("Name or service not known")

    monkeypatch.setattr(osmnx._nominatim, "_nominatim_request", offline)
    with pytest.raises(OsmInputError, match="could not download OSM data .*internet"):
        network_from_place("Landkreis Meißen, Sachsen")


@pytest.mark.parametrize("source", ["place:", "place:   ", 'place:""'])
def test_empty_place_name(source):
    with pytest.raises(OsmInputError, match="place name is empty"):
        build_network(source)
