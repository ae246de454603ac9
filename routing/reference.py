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


def path_time_and_length_reference(indptr, head, weight, length, source: int, target: int) -> tuple[int, int]:
    """Seconds and metres of the fastest path ``source -> target`` (``(UNREACHABLE, 0)`` if none).

    Among equally fast paths it takes the kernels' one: nodes are settled in (time, node) order and
    a node keeps the first edge that reached it fastest.
    """
    best = {int(source): 0}
    pred_edge: dict[int, int] = {}
    done = set()
    queue = [(0, int(source))]
    while queue:
        d, u = heapq.heappop(queue)
        if u in done:
            continue
        done.add(u)
        if u == target:
            break
        for e in range(int(indptr[u]), int(indptr[u + 1])):
            v = int(head[e])
            nd = d + int(weight[e])
            if nd < best.get(v, UNREACHABLE):
                best[v] = nd
                pred_edge[v] = e
                heapq.heappush(queue, (nd, v))
    if target not in done:
        return UNREACHABLE, 0
    tail = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    metres, node = 0, int(target)
    while node != source:
        metres += int(length[pred_edge[node]])
        node = int(tail[pred_edge[node]])
    return best[int(target)], metres
