"""The embedded ``demo`` network: synthetic Landkreis Meißen from its 28 real municipalities."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from routing.errors import RoutingInputError
from routing.geo import haversine_m, local_projection
from routing.municipalities import load_municipalities
from routing.network import ROAD_CLASSES
from routing.sources import build_network
from routing.synthetic import ELBE, ELBE_BRIDGES
from routing.travel_times import TravelTimes


def test_builds_at_county_scale(demo_build):
    network, _seconds = demo_build   # build time is reported by benchmarks/, not asserted here
    assert network.node_count >= 10_000
    assert network.edge_count >= 2 * network.node_count
    assert network.summary()["road_km"] > 1_500
    assert network.length_m.max() <= 300  # long roads split like OSM ones: honest nearest-node snapping


def test_is_deterministic(demo_network):
    again = build_network("demo")
    assert again.same_as(demo_network)


def test_is_labelled_synthetic_everywhere(demo_network):
    assert demo_network.synthetic
    assert "SYNTHETIC" in demo_network.source
    assert "SYNTHETIC" in demo_network.attribution and "Destatis" in demo_network.attribution
    summary = demo_network.summary()
    assert summary["kind"] == "synthetic" and summary["synthetic"] is True
    assert "SYNTHETIC" in json.dumps(summary, ensure_ascii=False)
    assert np.all(demo_network.node_osm_id == -1)  # no node pretends to be an OSM node


def test_is_strongly_connected(demo_network):
    net = demo_network
    graph = csr_matrix((np.ones(net.edge_count), net.head, net.indptr), shape=(net.node_count,) * 2)
    assert connected_components(graph, directed=True, connection="strong")[0] == 1
    assert net.largest_component_share > 0.99  # a few grid corners cut off by skipped blocks


def test_uses_the_28_real_municipalities(demo_network):
    munis = load_municipalities()
    assert len(munis) == 28
    assert len({m.ags for m in munis}) == 28
    assert all(m.ags.startswith("14627") and len(m.ags) == 8 for m in munis)
    assert sum(m.population for m in munis) == 240_414  # Zensus 2022, Landkreis Meißen
    assert {"Meißen, Stadt", "Riesa, Stadt", "Radebeul, Stadt", "Großenhain, Stadt"} <= {m.name for m in munis}
    assert demo_network.extra["municipalities"] == 28
    assert demo_network.extra["county_ags"] == "14627"
    assert demo_network.extra["population"] == 240_414
    # every municipality centre lies on the network
    travel = TravelTimes(demo_network, max_snap_distance_m=200)
    nodes, distances = travel.snap_many([m.lon for m in munis], [m.lat for m in munis])
    assert distances.max() < 200
    bbox = demo_network.summary()["bbox"]
    assert 13.0 < bbox["min_lon"] < bbox["max_lon"] < 14.0
    assert 50.9 < bbox["min_lat"] < bbox["max_lat"] < 51.6


def test_has_a_road_hierarchy_with_realistic_speeds(demo_network):
    net = demo_network
    classes = {ROAD_CLASSES[c] for c in np.unique(net.road_class)}
    assert {"primary", "secondary", "tertiary", "unclassified", "residential", "living_street"} <= classes
    kph = net.length_m / net.travel_time_s * 3.6
    long_enough = net.length_m >= 100
    expected = {"primary": 80, "secondary": 70, "unclassified": 50, "residential": 30, "living_street": 7}
    for road_class, speed in expected.items():
        mask = long_enough & (net.road_class == ROAD_CLASSES.index(road_class))
        assert np.median(kph[mask]) == pytest.approx(speed, rel=0.08), road_class
    assert kph[long_enough].max() <= 90  # 80 km/h plus rounding to whole seconds


def test_towns_are_linked_by_winding_roads_in_plausible_times(demo_network):
    munis = {m.name: m for m in load_municipalities()}
    travel = TravelTimes(demo_network)
    ratios = []
    for a, b in [("Meißen, Stadt", "Riesa, Stadt"), ("Radebeul, Stadt", "Meißen, Stadt"),
                 ("Großenhain, Stadt", "Riesa, Stadt"), ("Nossen, Stadt", "Meißen, Stadt"),
                 ("Radeburg, Stadt", "Großenhain, Stadt")]:
        src, _ = travel.snap(munis[a].lon, munis[a].lat)
        dst, _ = travel.snap(munis[b].lon, munis[b].lat)
        route = travel.route(src, dst)
        straight = float(haversine_m(munis[a].lon, munis[a].lat, munis[b].lon, munis[b].lat))
        ratios.append(route.length_m / straight)
        average_kph = route.length_m / route.travel_time_s * 3.6
        assert 35 <= average_kph <= 80, (a, b, average_kph)
    assert all(1.0 <= r <= 2.0 for r in ratios), ratios
    assert np.mean(ratios) > 1.05, ratios


def test_the_elbe_is_crossed_only_at_the_bridges(demo_network):
    net = demo_network
    project = local_projection(13.45, 51.2)
    # every straight piece of every road: node -> shape points -> node
    tail = net.tail()
    seg_a, seg_b = [], []
    for e in range(net.edge_count):
        g0, g1 = net.geometry_indptr[e], net.geometry_indptr[e + 1]
        lon = np.concatenate(([net.node_lon[tail[e]]], net.geometry_lon[g0:g1], [net.node_lon[net.head[e]]]))
        lat = np.concatenate(([net.node_lat[tail[e]]], net.geometry_lat[g0:g1], [net.node_lat[net.head[e]]]))
        seg_a.append(np.column_stack((lon[:-1], lat[:-1])))
        seg_b.append(np.column_stack((lon[1:], lat[1:])))
    p = np.column_stack(project(*np.vstack(seg_a).T))
    r = np.column_stack(project(*np.vstack(seg_b).T)) - p
    river = np.column_stack(project(ELBE[:, 0], ELBE[:, 1]))
    q, s = river[:-1], river[1:] - river[:-1]
    denom = r[:, None, 0] * s[None, :, 1] - r[:, None, 1] * s[None, :, 0]
    qp = q[None, :, :] - p[:, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (qp[..., 0] * s[None, :, 1] - qp[..., 1] * s[None, :, 0]) / denom
        u = (qp[..., 0] * r[:, None, 1] - qp[..., 1] * r[:, None, 0]) / denom
    crossing = (denom != 0) & (t >= 0) & (t <= 1) & (u >= 0) & (u <= 1)
    seg_idx, _ = np.nonzero(crossing)
    assert len(seg_idx) > 0  # the river is crossed somewhere
    points = p[seg_idx] + r[seg_idx] * t[crossing][:, None]
    bridges = np.column_stack(project(ELBE_BRIDGES[:, 0], ELBE_BRIDGES[:, 1]))
    to_bridge = np.min(
        np.hypot(points[:, None, 0] - bridges[None, :, 0], points[:, None, 1] - bridges[None, :, 1]), axis=1)
    assert to_bridge.max() < 1000, f"a road crosses the Elbe {to_bridge.max():.0f} m from any bridge"
    # and all three bridges are used
    near = np.hypot(points[:, None, 0] - bridges[None, :, 0], points[:, None, 1] - bridges[None, :, 1]) < 1000
    assert near.any(axis=0).all()


def test_municipality_table_errors(tmp_path):
    with pytest.raises(RoutingInputError, match="no such municipality file"):
        load_municipalities(tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("ags,name,lat,lon\n14627010,Coswig,51.1,13.5\n", encoding="utf-8")
    with pytest.raises(RoutingInputError, match="missing column.*population"):
        load_municipalities(bad)
    bad.write_text("ags,name,population,lat,lon\n14627010,Coswig,many,51.1,13.5\n", encoding="utf-8")
    with pytest.raises(RoutingInputError, match="line 2"):
        load_municipalities(bad)
    bad.write_text("# only a comment\n", encoding="utf-8")
    with pytest.raises(RoutingInputError, match="no municipalities"):
        load_municipalities(bad)
    good = tmp_path / "good.csv"
    good.write_text("\ufeffags,name,population,lat,lon\n14627010,Coswig,20 369,51.1,13.5\n", encoding="utf-8")
    [m] = load_municipalities(good)
    assert (m.ags, m.population, m.area_km2) == ("14627010", 20369, None)
