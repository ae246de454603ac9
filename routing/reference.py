"""Plain-Python twins of the numba kernels, for tests: slow, obvious, independent."""

from __future__ import annotations

import heapq

import numpy as np

from routing.kernels import UNREACHABLE


def dijkstra_reference(indptr, head, weight, source: int, cutoff: int | None = None) -> np.ndarray:
    """Travel time from ``source`` to every node (UNREACHABLE where none, or beyond ``cutoff``)."""
    n = len(indptr) - 1
    dist = [None] * n
    best = {int(source): 0}
    queue = [(0, int(source))]
    while queue:
        d, u = heapq.heappop(queue)
        if dist[u] is not None:
            continue
        dist[u] = d
        for e in range(int(indptr[u]), int(indptr[u + 1])):
            v = int(head[e])
            nd = d + int(weight[e])
            if cutoff is not None and nd > cutoff:
                continue
            if dist[v] is None and nd < best.get(v, nd + 1):
                best[v] = nd
                heapq.heappush(queue, (nd, v))
    return np.array([UNREACHABLE if d is None else d for d in dist], dtype=np.int64)
