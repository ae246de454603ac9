"""numba shortest-path kernels over the CSR arrays of a :class:`routing.network.RoadNetwork`.

All times are integer seconds. Unreached nodes get :data:`UNREACHABLE`. Each kernel has one job;
``routing.reference`` holds their plain-Python twins, which the tests compare against.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

#: Travel time reported for a node that cannot be reached (or lies beyond the cut-off).
UNREACHABLE = np.iinfo(np.int32).max
#: Cut-off meaning "no cut-off".
NO_CUTOFF = np.iinfo(np.int64).max


#: Heap entries pack (travel time, node) into one int64: ``time << 32 | node``. Ordering the packed
#: numbers orders by time (ties by node index), and one array instead of two halves the memory
#: traffic of the heap. Times must stay below 2**31, which UNREACHABLE already requires.
_NODE_BITS = 32
_NODE_MASK = (1 << _NODE_BITS) - 1


@njit(cache=True, inline="always")
def _heap_push(heap, size, item):
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        above = heap[parent]
        if above <= item:
            break
        heap[i] = above
        i = parent
    heap[i] = item
    return size + 1


@njit(cache=True, inline="always")
def _heap_pop(heap, size):
    top = heap[0]
    size -= 1
    if size > 0:
        last = heap[size]
        i = 0
        while True:
            child = 2 * i + 1
            if child >= size:
                break
            smaller = heap[child]
            if child + 1 < size:
                right = heap[child + 1]
                if right < smaller:
                    child += 1
                    smaller = right
            if smaller >= last:
                break
            heap[i] = smaller
            i = child
        heap[i] = last
    return top, size


@njit(cache=True)
def _search(indptr, head, weight, source, cutoff, dist, pred_edge, done, touched, heap, is_target, targets_left):
    """Dijkstra from ``source`` into pre-reset work arrays; returns how many nodes it touched.

    Stops when every target node is settled (``targets_left`` distinct targets, -1 for none),
    or when the next node is beyond ``cutoff``. ``dist``/``done``/``pred_edge`` must hold
    UNREACHABLE/False/-1 for all nodes on entry; the caller resets the touched ones afterwards.
    ``heap`` needs room for one entry per edge plus one.
    """
    limit = min(cutoff, UNREACHABLE - 1)  # times that do not fit the packed heap count as unreachable
    n_touched = 0
    dist[source] = 0
    touched[n_touched] = source
    n_touched += 1
    size = _heap_push(heap, 0, np.int64(source))
    while size > 0:
        item, size = _heap_pop(heap, size)
        u = item & _NODE_MASK
        if done[u]:
            continue
        done[u] = True
        if is_target[u]:
            targets_left -= 1
            if targets_left == 0:
                break
        d = item >> _NODE_BITS
        for e in range(indptr[u], indptr[u + 1]):
            v = head[e]
            nd = d + weight[e]
            if nd < dist[v] and nd <= limit:
                if dist[v] == UNREACHABLE:
                    touched[n_touched] = v
                    n_touched += 1
                dist[v] = nd
                pred_edge[v] = e
                size = _heap_push(heap, size, (nd << _NODE_BITS) | v)
    return n_touched


@njit(cache=True)
def shortest_path_tree(indptr, head, weight, source, cutoff):
    """One-to-all: travel time to every node and the edge each is reached by (-1 at the root)."""
    n = len(indptr) - 1
    dist = np.full(n, UNREACHABLE, dtype=np.int64)
    pred_edge = np.full(n, -1, dtype=np.int32)
    done = np.zeros(n, dtype=np.bool_)
    touched = np.empty(n, dtype=np.int32)
    heap = np.empty(len(head) + 1, dtype=np.int64)
    is_target = np.zeros(n, dtype=np.bool_)
    _search(indptr, head, weight, source, cutoff, dist, pred_edge, done, touched, heap, is_target, -1)
    for v in range(n):
        if dist[v] > cutoff:
            dist[v] = UNREACHABLE
    return dist, pred_edge


@njit(cache=True)
def one_to_many(indptr, head, weight, source, targets, cutoff):
    """Travel times from ``source`` to each of ``targets``; stops once all are settled."""
    n = len(indptr) - 1
    dist = np.full(n, UNREACHABLE, dtype=np.int64)
    pred_edge = np.full(n, -1, dtype=np.int32)
    done = np.zeros(n, dtype=np.bool_)
    touched = np.empty(n, dtype=np.int32)
    heap = np.empty(len(head) + 1, dtype=np.int64)
    is_target = np.zeros(n, dtype=np.bool_)
    distinct = 0
    for t in targets:
        if not is_target[t]:
            is_target[t] = True
            distinct += 1
    _search(indptr, head, weight, source, cutoff, dist, pred_edge, done, touched, heap, is_target, distinct)
    out = np.empty(len(targets), dtype=np.int64)
    for j in range(len(targets)):
        out[j] = dist[targets[j]] if done[targets[j]] else UNREACHABLE
    return out


@njit(cache=True)
def path_time_and_length(indptr, head, weight, length, source, target, dist, pred_edge, done, touched, heap,
                         is_target):
    """Seconds and metres of the fastest path ``source -> target``; ``(UNREACHABLE, 0)`` if there is none.

    The search of :func:`shortest_path_tree`, stopped once ``target`` is settled, so the path (ties
    included) is the one ``TravelTimes.route`` returns; its length is summed along the predecessor
    edges. The work arrays come from :func:`path_work_arrays` and are left as they were found (only
    the touched nodes are reset), so one set serves any number of calls.
    """
    is_target[target] = True
    n_touched = _search(indptr, head, weight, source, NO_CUTOFF, dist, pred_edge, done, touched, heap, is_target, 1)
    is_target[target] = False
    seconds, metres = UNREACHABLE, 0
    if done[target]:
        seconds = dist[target]
        node = target
        while node != source:
            e = pred_edge[node]
            metres += length[e]
            node = np.searchsorted(indptr, e, side="right") - 1   # the edge's tail: the CSR row holding it
    for k in range(n_touched):
        v = touched[k]
        dist[v] = UNREACHABLE
        done[v] = False
        pred_edge[v] = -1
    return seconds, metres


def path_work_arrays(node_count: int, edge_count: int) -> tuple:
    """Fresh work arrays for :func:`path_time_and_length` (one set per thread): dist, pred_edge,
    done, touched, heap, is_target."""
    return (np.full(node_count, UNREACHABLE, dtype=np.int64), np.full(node_count, -1, dtype=np.int32),
            np.zeros(node_count, dtype=np.bool_), np.empty(node_count, dtype=np.int32),
            np.empty(edge_count + 1, dtype=np.int64), np.zeros(node_count, dtype=np.bool_))


def many_to_many(indptr, head, weight, sources, targets, cutoff):
    """Travel-time matrix ``[len(sources), len(targets)]`` (int32), sources searched in parallel.

    Each thread keeps one set of work arrays and resets only the nodes a search touched, so a
    search costs what it explores, not the network size.
    """
    n_chunks = max(1, min(len(sources), 4 * numba.get_num_threads()))
    return _many_to_many(indptr, head, weight, sources, targets, cutoff, n_chunks)


@njit(cache=True, parallel=True)
def _many_to_many(indptr, head, weight, sources, targets, cutoff, n_chunks):
    n = len(indptr) - 1
    n_sources = len(sources)
    out = np.empty((n_sources, len(targets)), dtype=np.int32)
    is_target = np.zeros(n, dtype=np.bool_)
    distinct = 0
    for t in targets:
        if not is_target[t]:
            is_target[t] = True
            distinct += 1
    for c in prange(n_chunks):
        dist = np.full(n, UNREACHABLE, dtype=np.int64)
        pred_edge = np.full(n, -1, dtype=np.int32)
        done = np.zeros(n, dtype=np.bool_)
        touched = np.empty(n, dtype=np.int32)
        heap = np.empty(len(head) + 1, dtype=np.int64)
        for i in range(c, n_sources, n_chunks):
            n_touched = _search(indptr, head, weight, sources[i], cutoff, dist, pred_edge, done, touched,
                                heap, is_target, distinct)
            for j in range(len(targets)):
                t = targets[j]
                out[i, j] = dist[t] if done[t] else UNREACHABLE
            for k in range(n_touched):
                v = touched[k]
                dist[v] = UNREACHABLE
                done[v] = False
                pred_edge[v] = -1
    return out


def warm_up() -> None:
    """Compile (or load from cache) every kernel on a tiny graph, so first real calls are fast."""
    indptr = np.array([0, 1, 2], dtype=np.int64)
    head = np.array([1, 0], dtype=np.int32)
    weight = np.array([1, 1], dtype=np.int32)
    nodes = np.array([0, 1], dtype=np.int64)
    shortest_path_tree(indptr, head, weight, 0, NO_CUTOFF)
    one_to_many(indptr, head, weight, 0, nodes, NO_CUTOFF)
    many_to_many(indptr, head, weight, nodes, nodes, NO_CUTOFF)
    path_time_and_length(indptr, head, weight, weight, 0, 1, *path_work_arrays(2, 2))
