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


@njit(cache=True, inline="always")
def _landmark_potential(v, t, from_lm, to_lm):
    """ALT lower bound on the time ``v -> t`` (triangle inequality with each landmark), or -1
    when a landmark shows that ``v`` cannot reach ``t``."""
    best = 0
    for k in range(from_lm.shape[1]):
        a = from_lm[t, k]       # landmark -> t
        b = from_lm[v, k]       # landmark -> v
        if a < UNREACHABLE and b < UNREACHABLE and a - b > best:
            best = a - b
        c = to_lm[v, k]         # v -> landmark
        e = to_lm[t, k]         # t -> landmark
        if e < UNREACHABLE:
            if c >= UNREACHABLE:
                return -1       # t reaches the landmark, v does not: v cannot reach t
            if c - e > best:
                best = c - e
    return best


@njit(cache=True)
def path_time_and_length_goal(indptr, head, weight, length, r_indptr, r_tail, r_edge, from_lm, to_lm, source,
                              target, dist, potential, done, touched, heap):
    """:func:`path_time_and_length`'s answer (the same path, ties included) from a goal-directed search.

    A* with landmark potentials (ALT: ``from_lm[v, k]``/``to_lm[v, k]`` the times from/to landmark
    ``k``, :func:`landmark_tables`), which are consistent. It settles every node whose time plus
    potential is at most the target's time, and so every node on a fastest path with its exact
    time. The path is then walked back from the target choosing, at each node, the edge
    :func:`path_time_and_length`'s Dijkstra keeps: of the edges ``u -> v`` with
    ``time(u) + weight == time(v)`` from a node that search settles before ``v`` (in (time, node)
    order), the one from the first such ``u``, and of its parallel edges the first in ``u``'s
    list. ``r_*``: the reverse graph (:func:`reverse_graph`). Work arrays as from
    :func:`goal_work_arrays`, left clean.
    """
    n_touched = 0
    dist[source] = 0
    touched[n_touched] = source
    n_touched += 1
    size = 0
    p = _landmark_potential(source, target, from_lm, to_lm)
    if p >= 0:
        potential[source] = p
        size = _heap_push(heap, 0, (np.int64(p) << _NODE_BITS) | source)
    bound = NO_CUTOFF
    while size > 0:
        item, size = _heap_pop(heap, size)
        f = item >> _NODE_BITS
        if f > bound:
            break
        u = item & _NODE_MASK
        if done[u]:
            continue
        done[u] = True
        d = dist[u]
        if u == target:
            bound = d
        for e in range(indptr[u], indptr[u + 1]):
            v = head[e]
            nd = d + weight[e]
            if nd < dist[v]:
                if dist[v] == UNREACHABLE:
                    touched[n_touched] = v
                    n_touched += 1
                    potential[v] = _landmark_potential(v, target, from_lm, to_lm)
                dist[v] = nd
                if potential[v] >= 0:
                    size = _heap_push(heap, size, ((nd + potential[v]) << _NODE_BITS) | v)
    seconds, metres = UNREACHABLE, 0
    if done[target]:
        seconds = dist[target]
        v = target
        while v != source:
            best_u = -1
            best_e = -1
            for j in range(r_indptr[v], r_indptr[v + 1]):
                u = r_tail[j]
                e = r_edge[j]
                if not done[u] or dist[u] + weight[e] != dist[v]:
                    continue
                if dist[u] > dist[v] or (dist[u] == dist[v] and u > v):
                    continue        # settled after v by the Dijkstra: it never reached v first
                if best_u < 0 or dist[u] < dist[best_u] or (dist[u] == dist[best_u] and u < best_u) or \
                        (u == best_u and e < best_e):
                    best_u = u
                    best_e = e
            metres += length[best_e]
            v = best_u
    for k in range(n_touched):
        v = touched[k]
        dist[v] = UNREACHABLE
        done[v] = False
    return seconds, metres


def landmark_tables(indptr, head, weight, node_x, node_y, count: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Times from and to ``count`` landmarks spread over the network's edge (farthest points in
    the plane), per node: ``(from_lm[n, count], to_lm[n, count])`` (int64, UNREACHABLE where none)."""
    n = len(indptr) - 1
    count = max(1, min(count, n))
    r_indptr, r_tail, r_edge = reverse_graph(indptr, head)
    r_weight = np.asarray(weight)[r_edge]
    x, y = np.asarray(node_x, dtype=np.float64), np.asarray(node_y, dtype=np.float64)
    nearest = np.hypot(x - x.mean(), y - y.mean())
    from_lm = np.empty((n, count), dtype=np.int64)
    to_lm = np.empty((n, count), dtype=np.int64)
    for k in range(count):
        lm = int(np.argmax(nearest))
        from_lm[:, k] = shortest_path_tree(indptr, head, weight, lm, NO_CUTOFF)[0]
        to_lm[:, k] = shortest_path_tree(r_indptr, r_tail, r_weight, lm, NO_CUTOFF)[0]
        nearest = np.minimum(nearest, np.hypot(x - x[lm], y - y[lm])) if k else np.hypot(x - x[lm], y - y[lm])
    return from_lm, to_lm


def reverse_graph(indptr, head) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per node its incoming edges: (indptr, tail node, forward edge index), in forward-edge order."""
    n = len(indptr) - 1
    order = np.argsort(head, kind="stable").astype(np.int64)
    tail = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    r_indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(head, minlength=n), out=r_indptr[1:])
    return r_indptr, tail[order], order


def goal_work_arrays(node_count: int, edge_count: int) -> tuple:
    """Fresh work arrays for :func:`path_time_and_length_goal`: dist, potential, done, touched, heap."""
    return (np.full(node_count, UNREACHABLE, dtype=np.int64), np.zeros(node_count, dtype=np.int64),
            np.zeros(node_count, dtype=np.bool_), np.empty(node_count, dtype=np.int32),
            np.empty(edge_count + 1, dtype=np.int64))


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
