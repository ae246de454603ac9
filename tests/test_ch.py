"""The contraction hierarchy's one-to-all queries (PHAST) against plain Dijkstra and its Python twin."""

from __future__ import annotations

import numpy as np
import pytest

from routing import kernels
from routing.ch import ContractionHierarchy
from routing.kernels import NO_CUTOFF, UNREACHABLE
from routing.reference import dijkstra_reference


def random_graph(seed: int, n: int):
    """A random directed graph: a jittered grid of two-way roads, some one-way, some missing, a few
    long links, zero and equal weights, parallel edges and self-loops (so parts may be unreachable)."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    edges = []
    for u in range(n):
        r, c = divmod(u, side)
        for v in (u + 1 if c + 1 < side else -1, u + side):
            if 0 <= v < n and rng.random() < 0.9:
                w = int(rng.integers(0, 30)) if rng.random() < 0.95 else 5
                kind = rng.random()
                if kind < 0.8:
                    edges += [(u, v, w), (v, u, w if rng.random() < 0.8 else int(rng.integers(1, 40)))]
                elif kind < 0.9:
                    edges.append((u, v, w))
                else:
                    edges.append((v, u, w))
    for _ in range(n // 10):
        u, v = (int(x) for x in rng.integers(0, n, 2))
        edges.append((u, v, int(rng.integers(1, 200))))          # long links, parallel edges, self-loops
    edges.sort()
    tail = np.array([e[0] for e in edges], dtype=np.int64)
    head = np.array([e[1] for e in edges], dtype=np.int32)
    weight = np.array([e[2] for e in edges], dtype=np.int32)
    indptr = np.zeros(n + 1, dtype=np.int64)
    indptr[1:] = np.cumsum(np.bincount(tail, minlength=n))
    return indptr, head, weight, tail


def reverse(indptr, head, weight, tail):
    n = len(indptr) - 1
    order = np.argsort(head, kind="stable")
    rindptr = np.zeros(n + 1, dtype=np.int64)
    rindptr[1:] = np.cumsum(np.bincount(head, minlength=n))
    return rindptr, tail[order].astype(np.int32), weight[order]


@pytest.mark.parametrize("seed", range(12))
def test_queries_equal_dijkstra_on_random_graphs(seed):
    n = [30, 120, 400][seed % 3]
    indptr, head, weight, tail = random_graph(seed, n)
    ch = ContractionHierarchy.build(indptr, head, weight, core_size=[4, 16, 40][seed % 3])
    assert len(ch.order) + len(ch.core) == n
    rindptr, rhead, rweight = reverse(indptr, head, weight, tail)
    sources = np.random.default_rng(seed).choice(n, size=min(n, 25), replace=False)
    everyone = np.arange(n)
    forward = ch.from_sources(sources, everyone)
    backward = ch.to_sources(sources, everyone)
    both = ch.to_and_from(sources, everyone)
    np.testing.assert_array_equal(both[0], forward)
    np.testing.assert_array_equal(both[1], backward)
    for i, s in enumerate(sources):
        np.testing.assert_array_equal(forward[i], dijkstra_reference(indptr, head, weight, int(s)))
        np.testing.assert_array_equal(backward[i], dijkstra_reference(rindptr, rhead, rweight, int(s)))


def test_queries_equal_dijkstra_on_the_demo_network(demo_network):
    net = demo_network
    ch = ContractionHierarchy.build(net.indptr, net.head, net.travel_time_s)
    assert len(ch.core) <= net.node_count // 20
    rindptr, rhead, rweight = reverse(net.indptr, net.head, net.travel_time_s, net.tail())
    rng = np.random.default_rng(5)
    sources = rng.integers(0, net.node_count, 20)
    targets = rng.integers(0, net.node_count, 300)
    work = ch.work_arrays()
    forward = ch.from_sources(sources, targets, work)
    backward = ch.to_sources(sources, targets, work)
    for i, s in enumerate(sources):
        d, _ = kernels.shortest_path_tree(net.indptr, net.head, net.travel_time_s, int(s), NO_CUTOFF)
        np.testing.assert_array_equal(forward[i], d[targets])
        d, _ = kernels.shortest_path_tree(rindptr, rhead, rweight, int(s), NO_CUTOFF)
        np.testing.assert_array_equal(backward[i], d[targets])
    assert (forward < UNREACHABLE).all()


# ------------------------------------------------------------------ many-to-many by buckets
@pytest.mark.parametrize("seed", range(12))
def test_bucket_matrix_equals_dijkstra_on_random_graphs(seed):
    """Random graphs with one-way roads, unreachable parts, zero weights, parallel edges and
    self-loops; cores from a handful of nodes to a tenth of the graph; repeated and equal
    sources and targets."""
    n = [30, 120, 400][seed % 3]
    indptr, head, weight, _ = random_graph(seed, n)
    ch = ContractionHierarchy.build(indptr, head, weight, core_size=[1, 16, 40][seed % 3])
    rng = np.random.default_rng(seed)
    sources = np.r_[rng.integers(0, n, 30), 0, 0]
    targets = np.r_[rng.integers(0, n, 40), sources[:3]]
    got = ch.matrix(sources, targets)
    for i, s in enumerate(sources):
        np.testing.assert_array_equal(got[i], dijkstra_reference(indptr, head, weight, int(s))[targets])
    assert ch.matrix([], targets).shape == (0, len(targets)) and ch.matrix(sources, []).shape == (len(sources), 0)


def test_bucket_matrix_equals_dijkstra_on_the_demo_network(demo_network):
    net = demo_network
    ch = ContractionHierarchy.build(net.indptr, net.head, net.travel_time_s)
    rng = np.random.default_rng(11)
    sources = rng.integers(0, net.node_count, 40)
    targets = rng.integers(0, net.node_count, 500)
    expected = kernels.many_to_many(net.indptr, net.head, net.travel_time_s, sources, targets, NO_CUTOFF)
    np.testing.assert_array_equal(ch.matrix(sources, targets), expected.astype(np.int64))
