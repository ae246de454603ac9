"""assemble_network: self-loops, parallel edges, largest strongly connected component, long-edge
splitting (two-way roads share the inserted nodes, time and length are kept) and CSR layout."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from routing.build import assemble_network
from routing.errors import OsmInputError
from routing.geo import haversine_m


def assemble(nodes, edges, *, geometry=None, max_edge_length_m=300.0):
    """``nodes``: [(lon, lat)]; ``edges``: [(u, v, length_m, time_s, class)]."""
    lon, lat = np.array(nodes, dtype=float).T
    u, v, length, time, cls = (np.array(c) for c in zip(*edges))
    kwargs = {}
    if geometry is not None:
        g_indptr = [0]
        g_lon, g_lat = [], []
        for shape in geometry:
            g_lon += [p[0] for p in shape]
            g_lat += [p[1] for p in shape]
            g_indptr.append(len(g_lon))
        kwargs = dict(geometry_indptr=np.array(g_indptr), geometry_lon=np.array(g_lon), geometry_lat=np.array(g_lat))
    return assemble_network(
        name="t", source="test", synthetic=False, node_lon=lon, node_lat=lat,
        node_osm_id=np.arange(100, 100 + len(nodes)), edge_from=u, edge_to=v, edge_length_m=length,
        edge_time_s=time, edge_class=cls, max_edge_length_m=max_edge_length_m, **kwargs,
    )


SQUARE = [(11.0, 50.0), (11.001, 50.0), (11.001, 50.001), (11.0, 50.001)]


def test_self_loops_dropped_and_fastest_parallel_edge_kept():
    edges = [
        (0, 1, 72, 9, 6), (1, 0, 72, 9, 6),
        (1, 2, 111, 14, 6), (2, 1, 111, 14, 6),
        (2, 0, 140, 30, 6), (2, 0, 150, 12, 2), (2, 0, 140, 20, 5),  # three parallel edges
        (0, 2, 140, 20, 6),
        (1, 1, 10, 3, 6),  # self-loop
    ]
    net = assemble(SQUARE[:3], edges)
    assert net.node_count == 3 and net.edge_count == 6
    e = net.edge_index(2, 0)
    assert net.travel_time_s[e] == 12 and net.length_m[e] == 150 and net.road_class[e] == 2
    with pytest.raises(KeyError):
        net.edge_index(1, 1)


def test_only_the_largest_strongly_connected_component_is_kept():
    edges = [
        (0, 1, 72, 9, 6), (1, 2, 111, 14, 6), (2, 0, 140, 20, 6),  # a one-way ring: strongly connected
        (2, 3, 72, 9, 6),  # node 3 is reachable but cannot get back
    ]
    net = assemble(SQUARE, edges)
    assert net.node_count == 3 and net.edge_count == 3
    assert net.largest_component_share == pytest.approx(0.75)
    assert sorted(net.node_osm_id.tolist()) == [100, 101, 102]


def test_no_edges_or_bad_times_are_rejected():
    with pytest.raises(OsmInputError, match="no drivable roads"):
        assemble(SQUARE[:2], [(0, 0, 10, 1, 6)])
    with pytest.raises(OsmInputError, match="positive, finite travel time"):
        assemble(SQUARE[:2], [(0, 1, 72, 0, 6), (1, 0, 72, 9, 6)])
    with pytest.raises(OsmInputError, match="positive, finite travel time"):
        assemble(SQUARE[:2], [(0, 1, 72, np.nan, 6), (1, 0, 72, 9, 6)])


def test_long_two_way_edge_is_split_into_shared_nodes_keeping_time_and_length():
    a, b = (11.0, 50.0), (11.014, 50.0)  # about 1,000 m apart
    length = float(haversine_m(a[0], a[1], b[0], b[1]))
    net = assemble([a, b], [(0, 1, length, 100.4, 4), (1, 0, length, 100.4, 4)])
    pieces = int(np.ceil(length / 300))
    assert net.node_count == 2 + pieces - 1  # the inserted nodes serve both directions
    assert net.edge_count == 2 * pieces
    assert (net.node_osm_id == -1).sum() == pieces - 1
    assert net.length_m.max() <= 300
    # along either direction the pieces add up to the (rounded) whole
    assert net.travel_time_s.sum() == 2 * round(100.4)
    assert net.length_m.sum() == 2 * round(length)
    # inserted nodes lie evenly on the line between the end points
    inner = np.nonzero(net.node_osm_id == -1)[0]
    assert np.allclose(net.node_lat[inner], 50.0)
    assert np.allclose(np.sort(net.node_lon[inner]), 11.0 + 0.014 * np.arange(1, pieces) / pieces)
    # strongly connected, sorted CSR
    graph = csr_matrix((np.ones(net.edge_count), net.head, net.indptr))
    assert connected_components(graph, directed=True, connection="strong")[0] == 1
    for u in range(net.node_count):
        row = net.head[net.indptr[u]:net.indptr[u + 1]]
        assert np.all(np.diff(row) > 0)


def test_splitting_follows_the_road_shape():
    a, corner, b = (11.0, 50.0), (11.01, 50.0), (11.01, 50.01)
    length = float(haversine_m(a[0], a[1], corner[0], corner[1]) + haversine_m(corner[0], corner[1], b[0], b[1]))
    net = assemble([a, b], [(0, 1, length, 150, 5), (1, 0, length, 150, 5)], geometry=[[corner], [corner]])
    assert net.node_count == 2 + int(np.ceil(length / 300)) - 1
    # every inserted node lies on one of the two legs of the L
    inner = net.node_osm_id == -1
    on_first_leg = np.isclose(net.node_lat[inner], 50.0)
    on_second_leg = np.isclose(net.node_lon[inner], 11.01)
    assert np.all(on_first_leg | on_second_leg)
    # the corner survives as a shape point of the piece that goes round it
    corner_hits = np.isclose(net.geometry_lon, 11.01) & np.isclose(net.geometry_lat, 50.0)
    assert corner_hits.sum() == 2  # once per direction
    # the pieces of the way keep the shape length
    assert net.length_m.sum() == 2 * round(length)


def test_short_edges_are_not_split():
    net = assemble(SQUARE[:2], [(0, 1, 72, 9, 6), (1, 0, 72, 9, 6)])
    assert net.node_count == 2 and net.edge_count == 2
    assert net.travel_time_s.tolist() == [9, 9] and net.length_m.tolist() == [72, 72]
