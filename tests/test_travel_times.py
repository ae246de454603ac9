"""Travel times: numba kernels against scipy.sparse.csgraph.dijkstra on the shared networks and
against their plain-Python twins on random graphs; matrices, paths and snapping."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from routing import kernels
from routing.errors import PointOutsideNetworkError, RoutingInputError
from routing.geo import haversine_m
from routing.kernels import NO_CUTOFF, UNREACHABLE
from routing.network import RoadNetwork
from routing.reference import dijkstra_reference, path_time_and_length_reference
from routing.travel_times import TravelTimes

NETWORKS = ["bayreuth", "lauf", "demo"]


@pytest.fixture(params=NETWORKS)
def network(request) -> RoadNetwork:
    return request.getfixturevalue(f"{request.param}_network")


def scipy_times(net: RoadNetwork, sources, cutoff=None) -> np.ndarray:
    matrix = csr_matrix((net.travel_time_s.astype(np.float64), net.head, net.indptr), shape=(net.node_count,) * 2)
    dist = dijkstra(matrix, indices=np.asarray(sources), limit=np.inf if cutoff is None else cutoff)
    return np.where(np.isinf(dist), UNREACHABLE, dist).astype(np.int64)


# --------------------------------------------------------------------------- against scipy
@pytest.mark.parametrize("cutoff", [None, 0, 300, 900])
def test_one_to_all_equals_scipy(network, cutoff):
    travel = TravelTimes(network)
    rng = np.random.default_rng(11)
    sources = rng.choice(network.node_count, size=12, replace=False)
    expected = scipy_times(network, sources, cutoff)
    for row, s in zip(expected, sources):
        got = travel.one_to_all(int(s), cutoff_s=cutoff)
        assert got.dtype == np.int64
        assert np.array_equal(got, row)
    if cutoff is None:
        assert np.all(expected < UNREACHABLE)  # strongly connected: everything reachable
    elif cutoff == 0:
        assert np.all((expected == 0).sum(axis=1) == 1)  # only the source itself


@pytest.mark.parametrize("cutoff", [None, 600])
def test_one_to_many_equals_scipy(network, cutoff):
    travel = TravelTimes(network)
    rng = np.random.default_rng(12)
    targets = rng.choice(network.node_count, size=40)
    for s in rng.choice(network.node_count, size=8, replace=False):
        expected = scipy_times(network, [s], cutoff)[0][targets]
        assert np.array_equal(travel.one_to_many(int(s), targets, cutoff_s=cutoff), expected)


@pytest.mark.parametrize("cutoff", [None, 600])
def test_matrix_equals_scipy(network, cutoff):
    travel = TravelTimes(network)
    rng = np.random.default_rng(13)
    sources = rng.choice(network.node_count, size=150)  # with repeats
    targets = rng.choice(network.node_count, size=220)
    got = travel.matrix(sources, targets, cutoff_s=cutoff)
    assert got.dtype == np.int32 and got.shape == (150, 220)
    assert np.array_equal(got.astype(np.int64), scipy_times(network, sources, cutoff)[:, targets])


def test_matrix_edge_cases(bayreuth_network):
    travel = TravelTimes(bayreuth_network)
    assert travel.matrix([], [1, 2]).shape == (0, 2)
    assert travel.matrix([1, 2], []).shape == (2, 0)
    one = travel.matrix([5], [5, 5, 7])
    assert one[0, 0] == 0 and one[0, 1] == 0 and one[0, 2] == travel.one_to_all(5)[7]
    # numpy integer types of any width are accepted
    assert np.array_equal(travel.matrix(np.array([5], np.int32), np.array([7], np.uint16)), one[:, 2:])


# --------------------------------------------------------------------------- against the twins
@st.composite
def small_graphs(draw):
    n = draw(st.integers(1, 25))
    m = draw(st.integers(0, 80))
    tails = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    heads = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    weights = draw(st.lists(st.integers(1, 60), min_size=m, max_size=m))
    order = np.lexsort((heads, tails)) if m else np.zeros(0, dtype=np.int64)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(np.asarray(tails, dtype=np.int64), minlength=n), out=indptr[1:])
    head = np.asarray(heads, dtype=np.int32)[order]
    weight = np.asarray(weights, dtype=np.int32)[order]
    return indptr, head, weight


@settings(max_examples=150, deadline=None)
@given(graph=small_graphs(), data=st.data())
def test_kernels_equal_the_reference_twin(graph, data):
    indptr, head, weight = graph
    n = len(indptr) - 1
    source = data.draw(st.integers(0, n - 1))
    cutoff = data.draw(st.one_of(st.none(), st.integers(0, 150)))
    targets = np.asarray(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=10)), dtype=np.int64)
    expected = dijkstra_reference(indptr, head, weight, source, cutoff)
    kernel_cutoff = NO_CUTOFF if cutoff is None else cutoff

    dist, pred_edge = kernels.shortest_path_tree(indptr, head, weight, source, kernel_cutoff)
    assert np.array_equal(dist, expected)
    # the tree is consistent: each reached node's predecessor edge ends there and is tight
    tail = np.repeat(np.arange(n), np.diff(indptr))
    for v in range(n):
        if v == source or dist[v] == UNREACHABLE:
            assert pred_edge[v] == -1
        else:
            e = pred_edge[v]
            assert head[e] == v and dist[tail[e]] + weight[e] == dist[v]

    assert np.array_equal(kernels.one_to_many(indptr, head, weight, source, targets, kernel_cutoff), expected[targets])

    sources = np.asarray(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=6)), dtype=np.int64)
    matrix = kernels.many_to_many(indptr, head, weight, sources, targets, kernel_cutoff)
    for i, s in enumerate(sources):
        assert np.array_equal(matrix[i].astype(np.int64), dijkstra_reference(indptr, head, weight, s, cutoff)[targets])


@settings(max_examples=150, deadline=None)
@given(graph=small_graphs(), data=st.data())
def test_path_time_and_length_equals_the_reference_twin(graph, data):
    indptr, head, weight = graph
    n = len(indptr) - 1
    length = np.asarray(data.draw(st.lists(st.integers(0, 900), min_size=len(head), max_size=len(head))),
                        dtype=np.int32)
    tail = np.repeat(np.arange(n), np.diff(indptr))
    work = kernels.path_work_arrays(n, len(head))   # one set for every query: each must leave it clean
    for _ in range(5):
        source, target = data.draw(st.integers(0, n - 1)), data.draw(st.integers(0, n - 1))
        got = kernels.path_time_and_length(indptr, head, weight, length, source, target, *work)
        assert got == path_time_and_length_reference(indptr, head, weight, length, source, target)
        assert got[0] == dijkstra_reference(indptr, head, weight, source)[target]
        # the same path as the shortest-path tree TravelTimes.route walks (ties included)
        dist, pred_edge = kernels.shortest_path_tree(indptr, head, weight, source, NO_CUTOFF)
        metres, node = 0, target
        while dist[target] != UNREACHABLE and node != source:
            metres += int(length[pred_edge[node]])
            node = int(tail[pred_edge[node]])
        assert got == (int(dist[target]), metres)
    dist, pred_edge, done, _, _, is_target = work
    assert (dist == UNREACHABLE).all() and (pred_edge == -1).all() and not done.any() and not is_target.any()


@settings(max_examples=200, deadline=None)
@given(graph=small_graphs(), data=st.data())
def test_goal_directed_path_equals_the_dijkstra_twin(graph, data):
    """The A* with landmarks finds path_time_and_length's path (ties included: small integer
    times give many), whichever landmarks and however few; its work arrays stay clean."""
    indptr, head, weight = graph
    n = len(indptr) - 1
    length = np.asarray(data.draw(st.lists(st.integers(0, 900), min_size=len(head), max_size=len(head))),
                        dtype=np.int32)
    xy = np.asarray(data.draw(st.lists(st.floats(0, 1000), min_size=2 * n, max_size=2 * n))).reshape(n, 2)
    tables = (*kernels.reverse_graph(indptr, head),
              *kernels.landmark_tables(indptr, head, weight, xy[:, 0], xy[:, 1], data.draw(st.integers(1, 4))))
    work = kernels.path_work_arrays(n, len(head))
    goal_work = kernels.goal_work_arrays(n, len(head))
    for _ in range(6):
        source, target = data.draw(st.integers(0, n - 1)), data.draw(st.integers(0, n - 1))
        expected = kernels.path_time_and_length(indptr, head, weight, length, source, target, *work)
        assert kernels.path_time_and_length_goal(indptr, head, weight, length, *tables, source, target,
                                                 *goal_work) == expected
    dist, _, done, _, _ = goal_work
    assert (dist == UNREACHABLE).all() and not done.any()


def test_goal_directed_path_on_a_grid_of_equal_times():
    """Every street takes the same time but not the same metres: many equally fast paths, and
    the metres tell which one was taken."""
    side = 12
    rng = np.random.default_rng(5)
    edges = []
    for r in range(side):
        for c in range(side):
            u = r * side + c
            for v in ((r + 1) * side + c if r + 1 < side else -1, u + 1 if c + 1 < side else -1):
                if v >= 0:
                    edges += [(u, v), (v, u)]
    edges.sort()
    tails = np.array([e[0] for e in edges])
    indptr = np.zeros(side * side + 1, dtype=np.int64)
    np.cumsum(np.bincount(tails, minlength=side * side), out=indptr[1:])
    head = np.array([e[1] for e in edges], dtype=np.int32)
    weight = np.full(len(edges), 30, dtype=np.int32)
    length = rng.integers(200, 400, len(edges)).astype(np.int32)
    x, y = np.arange(side * side) % side * 300.0, np.arange(side * side) // side * 300.0
    tables = (*kernels.reverse_graph(indptr, head), *kernels.landmark_tables(indptr, head, weight, x, y))
    work = kernels.path_work_arrays(side * side, len(head))
    goal_work = kernels.goal_work_arrays(side * side, len(head))
    for source, target in rng.integers(0, side * side, (300, 2)):
        assert kernels.path_time_and_length_goal(indptr, head, weight, length, *tables, source, target,
                                                 *goal_work) == \
            kernels.path_time_and_length(indptr, head, weight, length, source, target, *work)


@pytest.mark.parametrize("which", ["bayreuth", "demo"])
def test_time_and_length_equals_route_and_scipy(which, request):
    net = request.getfixturevalue(f"{which}_network")
    travel = TravelTimes(net)
    rng = np.random.default_rng(23)
    work = travel.path_work()
    sources = rng.choice(net.node_count, size=6, replace=False)
    expected = scipy_times(net, sources)
    for row, s in zip(expected, sources):
        for t in rng.choice(net.node_count, size=8, replace=False):
            route = travel.route(int(s), int(t))
            assert travel.time_and_length(s, t, work) == (route.travel_time_s, route.length_m)
            assert route.travel_time_s == row[t]
    assert travel.time_and_length(5, 5) == (0, 0)


# --------------------------------------------------------------------------- paths
@pytest.mark.parametrize("which", ["bayreuth", "demo"])
def test_route_is_a_contiguous_fastest_path(which, request):
    net = request.getfixturevalue(f"{which}_network")
    travel = TravelTimes(net)
    rng = np.random.default_rng(21)
    tail = net.tail()
    for _ in range(15):
        src, dst = (int(x) for x in rng.choice(net.node_count, size=2, replace=False))
        route = travel.route(src, dst)
        assert route.nodes[0] == src and route.nodes[-1] == dst
        assert len(route.nodes) == len(route.edges) + 1
        for k, e in enumerate(route.edges):
            assert tail[e] == route.nodes[k] and net.head[e] == route.nodes[k + 1]
            assert net.edge_index(route.nodes[k], route.nodes[k + 1]) == e
        assert len(set(route.nodes.tolist())) == len(route.nodes)  # no node twice
        assert route.travel_time_s == int(net.travel_time_s[route.edges].sum())
        assert route.travel_time_s == travel.one_to_all(src)[dst]  # and it is the fastest
        assert route.length_m == int(net.length_m[route.edges].sum())
        # the polyline runs from node to node through every shape point
        assert (route.lon[0], route.lat[0]) == (net.node_lon[src], net.node_lat[src])
        assert (route.lon[-1], route.lat[-1]) == (net.node_lon[dst], net.node_lat[dst])
        shape_points = int(sum(net.geometry_indptr[e + 1] - net.geometry_indptr[e] for e in route.edges))
        assert len(route.lon) == len(route.lat) == len(route.nodes) + shape_points
        polyline = set(zip(route.lon.tolist(), route.lat.tolist()))
        assert all((net.node_lon[v], net.node_lat[v]) in polyline for v in route.nodes)
        # polyline length agrees with the edge lengths (shape points follow the road)
        along = float(haversine_m(route.lon[:-1], route.lat[:-1], route.lon[1:], route.lat[1:]).sum())
        assert along == pytest.approx(route.length_m, rel=0.02, abs=len(route.edges))
        feature = route.to_geojson(extra="x")
        assert feature["geometry"]["type"] == "LineString"
        assert len(feature["geometry"]["coordinates"]) == len(route.lon)
        assert feature["properties"] == {"travel_time_s": route.travel_time_s, "length_m": route.length_m, "extra": "x"}


def test_route_to_the_same_node(bayreuth_network):
    route = TravelTimes(bayreuth_network).route(3, 3)
    assert route.nodes.tolist() == [3] and len(route.edges) == 0
    assert route.travel_time_s == 0 and route.length_m == 0
    coordinates = route.to_geojson()["geometry"]["coordinates"]
    assert len(coordinates) == 2 and coordinates[0] == coordinates[1]  # a valid GeoJSON LineString


def test_route_between_points_gives_geojson(bayreuth_network):
    travel = TravelTimes(bayreuth_network)
    feature = travel.route_between((11.50, 50.00), (11.58, 50.04))
    json.dumps(feature)
    props = feature["properties"]
    assert props["network"] == "north-bayreuth" and props["synthetic"] is False
    assert "OpenStreetMap" in props["attribution"]
    assert 0 <= props["origin_snap_m"] <= 500 and 0 <= props["destination_snap_m"] <= 500
    o, _ = travel.snap(11.50, 50.00)
    d, _ = travel.snap(11.58, 50.04)
    assert props["travel_time_s"] == travel.one_to_all(o)[d]
    coords = feature["geometry"]["coordinates"]
    assert coords[0] == [round(bayreuth_network.node_lon[o], 7), round(bayreuth_network.node_lat[o], 7)]
    assert coords[-1] == [round(bayreuth_network.node_lon[d], 7), round(bayreuth_network.node_lat[d], 7)]


def test_unreachable_target():
    # two nodes, one one-way road: 0 -> 1
    net = RoadNetwork(
        name="oneway", source="test", synthetic=True, node_lon=np.array([11.0, 11.001]),
        node_lat=np.array([50.0, 50.0]), node_osm_id=np.array([-1, -1]), indptr=np.array([0, 1, 1]),
        head=np.array([1]), travel_time_s=np.array([10]), length_m=np.array([72]), road_class=np.array([6]),
        geometry_indptr=np.array([0, 0]), geometry_lon=np.zeros(0), geometry_lat=np.zeros(0),
    )
    travel = TravelTimes(net)
    assert travel.one_to_all(1).tolist() == [UNREACHABLE, 0]
    assert travel.matrix([0, 1], [0, 1]).tolist() == [[0, 10], [UNREACHABLE, 0]]
    assert travel.route(0, 1).travel_time_s == 10
    assert travel.time_and_length(0, 1) == (10, 72)
    assert travel.time_and_length(1, 0) == (UNREACHABLE, 0)
    with pytest.raises(RoutingInputError, match="cannot be reached"):
        travel.route(1, 0)


# --------------------------------------------------------------------------- snapping
@pytest.mark.parametrize("which", ["bayreuth", "lauf", "demo"])
def test_snapping_finds_the_nearest_node(which, request):
    net = request.getfixturevalue(f"{which}_network")
    travel = TravelTimes(net, max_snap_distance_m=1e7)
    rng = np.random.default_rng(31)
    lon = rng.uniform(net.node_lon.min() - 0.01, net.node_lon.max() + 0.01, 200)
    lat = rng.uniform(net.node_lat.min() - 0.01, net.node_lat.max() + 0.01, 200)
    nodes, distances = travel.snap_many(lon, lat)
    for x, y, node, dist in zip(lon, lat, nodes, distances):
        brute = haversine_m(x, y, net.node_lon, net.node_lat)
        best = brute.min()
        # the equirectangular projection is within a fraction of a percent of the great circle
        assert brute[node] <= best * 1.003 + 0.5
        assert dist == pytest.approx(best, rel=0.005, abs=0.5)
    single = travel.snap(float(lon[0]), float(lat[0]))
    assert single == (int(nodes[0]), float(distances[0]))
    # a node's own position snaps to itself
    some = rng.choice(net.node_count, size=50, replace=False)
    own, own_distance = travel.snap_many(net.node_lon[some], net.node_lat[some])
    assert np.all(own_distance < 1e-6)
    assert np.allclose(net.node_lon[own], net.node_lon[some]) and np.allclose(net.node_lat[own], net.node_lat[some])


def test_points_far_from_every_road_are_rejected(bayreuth_network):
    travel = TravelTimes(bayreuth_network)
    with pytest.raises(PointOutsideNetworkError) as info:
        travel.snap(13.4737, 51.1634)  # Meißen, far away from Bayreuth
    message = str(info.value)
    assert "lon=13.473700, lat=51.163400" in message and "north-bayreuth" in message
    assert "limit 500 m" in message and "lon 11.46" in message
    # the one bad point is named among good ones
    with pytest.raises(PointOutsideNetworkError, match="lon=11.000000"):
        travel.snap_many([11.5, 11.0], [50.0, 50.0])


def test_the_snap_limit_is_configurable(bayreuth_network):
    net = bayreuth_network
    # a point about 1.2 km north of the network's northernmost node
    top = int(np.argmax(net.node_lat))
    lon, lat = float(net.node_lon[top]), float(net.node_lat[top]) + 0.011
    _, distance = TravelTimes(net, max_snap_distance_m=1e6).snap(lon, lat)
    assert 1000 < distance < 1300
    with pytest.raises(PointOutsideNetworkError):
        TravelTimes(net).snap(lon, lat)
    with pytest.raises(PointOutsideNetworkError):
        TravelTimes(net, max_snap_distance_m=distance - 1).snap(lon, lat)
    assert TravelTimes(net, max_snap_distance_m=distance + 1).snap(lon, lat)[0] == top
    with pytest.raises(RoutingInputError, match="positive"):
        TravelTimes(net, max_snap_distance_m=0)


@pytest.mark.parametrize(
    "lon,lat",
    [(float("nan"), 50.0), (11.5, float("nan")), (float("inf"), 50.0), (11.5, 91.0), (181.0, 50.0),
     (11.5, -90.5), ([11.5, 11.6], [50.0])],
)
def test_invalid_coordinates_are_input_errors(bayreuth_network, lon, lat):
    travel = TravelTimes(bayreuth_network)
    with pytest.raises(RoutingInputError) as info:
        travel.snap_many(lon, lat)
    assert not isinstance(info.value, PointOutsideNetworkError)


def test_invalid_nodes_and_cutoffs_are_input_errors(bayreuth_network):
    travel = TravelTimes(bayreuth_network)
    n = bayreuth_network.node_count
    for bad in (-1, n, [0, n]):
        with pytest.raises(RoutingInputError, match=r"node indices in \[0, "):
            travel.matrix(bad, [0])
    with pytest.raises(RoutingInputError, match="integer node indices"):
        travel.one_to_all(1.5)
    with pytest.raises(RoutingInputError, match="integer node indices"):
        travel.one_to_many(0, ["a"])
    with pytest.raises(RoutingInputError, match="node indices"):
        travel.route(0, n)
    with pytest.raises(RoutingInputError, match="node indices"):
        travel.time_and_length(-1, 0)
    with pytest.raises(RoutingInputError, match="cutoff_s must not be negative"):
        travel.one_to_all(0, cutoff_s=-1)
