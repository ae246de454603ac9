"""The incremental bucket table (routing.ch_incremental) and the dispatcher's LocationTable built on
it give exactly Dijkstra's travel times, also when slots are freed and reused and the table grows."""

from __future__ import annotations

import numpy as np
import pytest

from ride_pool.dispatch.locations import UNREACHABLE_S, LocationTable
from routing.ch import ContractionHierarchy
from routing.ch_incremental import IncrementalTable
from routing.kernels import UNREACHABLE, shortest_path_tree
from routing.network import RoadNetwork
from routing.travel_times import TravelTimes


def _dijkstra(net: RoadNetwork, sources) -> np.ndarray:
    return np.array([shortest_path_tree(net.indptr, net.head, net.travel_time_s, int(s), UNREACHABLE)[0]
                     for s in sources])


def _random_network(seed: int, n: int = 400) -> RoadNetwork:
    """A random directed road-like graph (grid with one-way streets and gaps, some unreachable pairs)."""
    from routing.build import assemble_network

    rng = np.random.default_rng(seed)
    side = int(np.sqrt(n))
    lon, lat = np.meshgrid(np.arange(side) * 0.002 + 13.0, np.arange(side) * 0.0015 + 51.0)
    u, v = [], []
    for i in range(side):
        for j in range(side):
            a = i * side + j
            for b in ((i + 1) * side + j if i + 1 < side else -1, a + 1 if j + 1 < side else -1):
                if b < 0 or rng.uniform() < 0.1:
                    continue
                kind = rng.uniform()
                if kind < 0.75:
                    u += [a, b]
                    v += [b, a]
                elif kind < 0.9:
                    u.append(a)
                    v.append(b)
                else:
                    u.append(b)
                    v.append(a)
    m = len(u)
    length = rng.uniform(50, 400, m)
    return assemble_network(name="random", source="test", synthetic=True, node_lon=lon.ravel(), node_lat=lat.ravel(),
                            node_osm_id=np.full(side * side, -1), edge_from=np.array(u), edge_to=np.array(v),
                            edge_length_m=length, edge_time_s=length / rng.uniform(5, 25, m),
                            edge_class=np.zeros(m, dtype=np.uint8), max_edge_length_m=10_000.0)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("core_size", [0, 32])
def test_incremental_table_equals_dijkstra(seed, core_size):
    net = _random_network(seed)
    ch = ContractionHierarchy.build(net.indptr, net.head, net.travel_time_s, core_size=core_size)
    rng = np.random.default_rng(seed)
    nodes = rng.choice(net.node_count if hasattr(net, "node_count") else len(net.node_lon), 60, replace=False)
    exact = _dijkstra(net, nodes)[:, nodes]
    table = IncrementalTable(ch, capacity=8, space=2)   # tiny: forces growth of both (and of the bucket pool)
    got = np.full((len(nodes), len(nodes)), -1, dtype=np.int64)
    for i, node in enumerate(nodes):
        table.ensure_capacity(i + 1)
        used = np.arange(i + 1)
        forward, backward = table.add(i, node, used)
        got[i, : i + 1] = forward
        got[: i + 1, i] = backward
    assert np.array_equal(got, exact)


def test_location_table_on_demo_equals_dijkstra_with_reuse(demo_network):
    net = demo_network
    travel = TravelTimes(net)
    table = LocationTable(travel, capacity=16)
    rng = np.random.default_rng(7)
    n = len(net.node_lon)
    live: list[int] = []
    for _ in range(12):
        batch = [int(x) for x in rng.integers(0, n, 9)]
        keep = set(live[-10:])
        table.slots(batch, keep=lambda keep=keep: keep)
        live = list(keep) + batch
    nodes = sorted(table.slot_of)
    slots = [table.slot_of[x] for x in nodes]
    exact = _dijkstra(net, nodes)[:, nodes]
    exact = np.where(exact >= UNREACHABLE, UNREACHABLE_S, exact)
    assert np.array_equal(table.matrix[np.ix_(slots, slots)], exact)


@pytest.mark.parametrize("seed", [4, 5])
def test_released_slots_are_reused_exactly(seed):
    """Slots released and filled with other nodes still give Dijkstra's times, also when the
    caller asks for a subset of the slots only."""
    net = _random_network(seed)
    ch = ContractionHierarchy.build(net.indptr, net.head, net.travel_time_s, core_size=16)
    rng = np.random.default_rng(seed)
    n = len(net.node_lon)
    cap = 40
    table = IncrementalTable(ch, capacity=cap)
    node_of = np.full(cap, -1)
    got = np.full((cap, cap), -1, dtype=np.int64)
    for step in range(400):
        free = np.flatnonzero(node_of < 0)
        if len(free) == 0 or rng.uniform() < 0.3:
            s = int(rng.choice(np.flatnonzero(node_of >= 0)))
            table.release(s)
            node_of[s] = -1
            got[s, :] = got[:, s] = -1
            continue
        s = int(rng.choice(free))
        node_of[s] = int(rng.integers(0, n))
        live = np.flatnonzero(node_of >= 0)
        asked = live if step % 3 else np.union1d(rng.choice(live, (len(live) + 1) // 2), [s])
        forward, backward = table.add(s, node_of[s], asked)
        got[s, asked] = forward
        got[asked, s] = backward
    live = np.flatnonzero(node_of >= 0)
    exact = _dijkstra(net, node_of[live])[:, node_of[live]]
    known = got[np.ix_(live, live)] >= 0
    assert known.sum() > len(live)
    assert np.array_equal(got[np.ix_(live, live)][known], exact[known])


def test_location_table_frees_dead_slots_before_it_is_full(demo_network):
    """Unused nodes lose their slot once the table holds 1.5x the nodes in use at the last clean-up
    (every new node is joined with every slot held), so the table stays near the live size."""
    from ride_pool.dispatch.locations import COLLECT_FACTOR

    table = LocationTable(TravelTimes(demo_network), capacity=256)
    rng = np.random.default_rng(3)
    n = len(demo_network.node_lon)
    live: list[int] = []
    held = []
    for _ in range(300):
        batch = [int(x) for x in rng.integers(0, n, 2)]
        table.slots(batch, keep=lambda live=tuple(live): live)
        live = (live + batch)[-40:]
        held.append(len(table.slot_of))
    assert table.capacity == 256
    first = held.index(max(held))                    # the first clean-up: when the table was full
    assert max(held) > 200 and first < 150
    assert max(held[first + 1:]) <= COLLECT_FACTOR * 42 + 2   # after it: 1.5x the live nodes at most
