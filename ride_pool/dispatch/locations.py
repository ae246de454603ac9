"""Travel times between the road nodes the dispatcher currently uses.

The dispatcher works on a dense matrix over *slots*: each road node in use (a rider's origin or
destination, a vehicle's anchor or depot) gets a slot; adding a node costs one forward and one
backward shortest-path search restricted to the nodes in use. Slots of nodes no longer in use are
reused once the table is full, so the matrix stays as large as the live state, not the day.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from routing import kernels
from routing.kernels import _NODE_BITS, _NODE_MASK, _heap_pop, _heap_push, _search
from routing.travel_times import TravelTimes

#: travel time used where a node cannot be reached (keeps int64 sums far from overflow)
UNREACHABLE_S = 10**9
#: up to this many new nodes at once are searched one after the other in one thread; more go to
#: the parallel kernel (whose start-up costs more than a few searches, and which suffers most when
#: the machine is busy)
SERIAL_MAX = 4


@njit(cache=True)
def _to_and_from(indptr, head, weight, rindptr, rhead, rweight, sources, targets):
    """Travel times from each source to each target and from each target to each source
    (``[len(sources), len(targets)]`` each, UNREACHABLE where none): one forward and one backward
    search per source, serially, with work arrays reset only where a search went."""
    n = len(indptr) - 1
    forward = np.empty((len(sources), len(targets)), dtype=np.int64)
    backward = np.empty((len(sources), len(targets)), dtype=np.int64)
    is_target = np.zeros(n, dtype=np.bool_)
    distinct = 0
    for t in targets:
        if not is_target[t]:
            is_target[t] = True
            distinct += 1
    dist = np.full(n, kernels.UNREACHABLE, dtype=np.int64)
    pred_edge = np.full(n, -1, dtype=np.int32)
    done = np.zeros(n, dtype=np.bool_)
    touched = np.empty(n, dtype=np.int32)
    heap = np.empty(max(len(head), len(rhead)) + 1, dtype=np.int64)
    for i in range(len(sources)):
        for direction in range(2):
            if direction == 0:
                k = _search(indptr, head, weight, sources[i], kernels.NO_CUTOFF, dist, pred_edge, done, touched,
                            heap, is_target, distinct)
                out = forward
            else:
                k = _search(rindptr, rhead, rweight, sources[i], kernels.NO_CUTOFF, dist, pred_edge, done, touched,
                            heap, is_target, distinct)
                out = backward
            for j in range(len(targets)):
                t = targets[j]
                out[i, j] = dist[t] if done[t] else kernels.UNREACHABLE
            for q in range(k):
                v = touched[q]
                dist[v] = kernels.UNREACHABLE
                done[v] = False
                pred_edge[v] = -1
    return forward, backward


@njit(cache=True)
def _time_and_length(indptr, head, weight, length, source, target):
    """Dijkstra from ``source`` until ``target`` is settled: (seconds, metres) of the fastest path.

    The same search as :func:`routing.kernels._search` (packed heap, ties broken the same way,
    predecessor replaced only on a strictly faster path), so the length is exactly that of
    :meth:`routing.travel_times.TravelTimes.route`; it only stops early and skips the polyline.
    Returns (-1, 0) when ``target`` cannot be reached.
    """
    if source == target:
        return 0, 0
    n = len(indptr) - 1
    limit = kernels.UNREACHABLE - 1
    dist = np.full(n, kernels.UNREACHABLE, dtype=np.int64)
    metres = np.zeros(n, dtype=np.int64)
    done = np.zeros(n, dtype=np.bool_)
    heap = np.empty(len(head) + 1, dtype=np.int64)
    dist[source] = 0
    size = _heap_push(heap, 0, np.int64(source))
    while size > 0:
        item, size = _heap_pop(heap, size)
        u = item & _NODE_MASK
        if done[u]:
            continue
        done[u] = True
        if u == target:
            return dist[u], metres[u]
        d = item >> _NODE_BITS
        for e in range(indptr[u], indptr[u + 1]):
            v = head[e]
            nd = d + weight[e]
            if nd < dist[v] and nd <= limit:
                dist[v] = nd
                metres[v] = metres[u] + length[e]
                size = _heap_push(heap, size, (nd << _NODE_BITS) | v)
    return -1, 0


def fastest_path_time_and_length(travel_times: TravelTimes, source: int, target: int) -> tuple[int, int]:
    """Seconds and metres of the fastest path from ``source`` to ``target`` (the same path as
    ``TravelTimes.route``); ``(UNREACHABLE_S, 0)`` when there is none."""
    net = travel_times.network
    t, m = _time_and_length(net.indptr, net.head, net.travel_time_s, net.length_m, int(source), int(target))
    if t < 0:
        return UNREACHABLE_S, 0
    return int(t), int(m)


class LocationTable:
    """Slots for road nodes and the ``matrix[slot_from, slot_to]`` of travel seconds (int64)."""

    def __init__(self, travel_times: TravelTimes, capacity: int = 256):
        self.travel_times = travel_times
        net = travel_times.network
        tail = net.tail()
        order = np.argsort(net.head, kind="stable")
        counts = np.bincount(net.head, minlength=net.node_count)
        self._rev_indptr = np.zeros(net.node_count + 1, dtype=net.indptr.dtype)
        self._rev_indptr[1:] = np.cumsum(counts)
        self._rev_head = np.ascontiguousarray(tail[order]).astype(net.head.dtype)
        self._rev_weight = np.ascontiguousarray(net.travel_time_s[order])
        self.node = np.full(capacity, -1, dtype=np.int64)
        self.matrix = np.zeros((capacity, capacity), dtype=np.int64)
        self.slot_of: dict[int, int] = {}
        self._free: list[int] = list(range(capacity - 1, -1, -1))

    @property
    def capacity(self) -> int:
        return len(self.node)

    def slots(self, nodes, keep=None) -> list[int]:
        """Slots of ``nodes``, adding the missing ones; ``keep()`` names the nodes still in use
        (called only when the table is full, to free the others)."""
        nodes = [int(n) for n in nodes]
        new = list(dict.fromkeys(n for n in nodes if n not in self.slot_of))
        if new:
            if len(new) > len(self._free) and keep is not None:
                self._collect(set(keep()) | set(nodes))
            while len(new) > len(self._free):
                self._grow()
            self._add(new)
        return [self.slot_of[n] for n in nodes]

    def _add(self, new: list[int]) -> None:
        slots = [self._free.pop() for _ in new]
        for n, s in zip(new, slots):
            self.node[s] = n
            self.slot_of[n] = s
        used = np.flatnonzero(self.node >= 0)
        used_nodes = self.node[used]
        net = self.travel_times.network
        src = np.asarray(new, dtype=np.int64)
        if len(new) <= SERIAL_MAX:
            forward, backward = _to_and_from(net.indptr, net.head, net.travel_time_s, self._rev_indptr,
                                             self._rev_head, self._rev_weight, src, used_nodes)
        else:
            forward = kernels.many_to_many(net.indptr, net.head, net.travel_time_s, src, used_nodes,
                                           kernels.NO_CUTOFF)
            backward = kernels.many_to_many(self._rev_indptr, self._rev_head, self._rev_weight, src, used_nodes,
                                            kernels.NO_CUTOFF)
        forward = np.where(forward == kernels.UNREACHABLE, UNREACHABLE_S, forward).astype(np.int64)
        backward = np.where(backward == kernels.UNREACHABLE, UNREACHABLE_S, backward).astype(np.int64)
        for i, s in enumerate(slots):
            self.matrix[s, used] = forward[i]
            self.matrix[used, s] = backward[i]

    def _grow(self) -> None:
        old = self.capacity
        cap = old * 2
        node = np.full(cap, -1, dtype=np.int64)
        node[:old] = self.node
        matrix = np.zeros((cap, cap), dtype=np.int64)
        matrix[:old, :old] = self.matrix
        self.node, self.matrix = node, matrix
        self._free = list(range(cap - 1, old - 1, -1)) + self._free

    def _collect(self, keep: set[int]) -> None:
        for n, s in list(self.slot_of.items()):
            if n not in keep:
                del self.slot_of[n]
                self.node[s] = -1
                self._free.append(s)

    def time(self, from_node: int, to_node: int) -> int:
        a, b = self.slots([from_node, to_node])
        return int(self.matrix[a, b])
