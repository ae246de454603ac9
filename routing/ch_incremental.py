"""A travel-time table that grows one node at a time, by buckets on the contraction hierarchy.

:class:`IncrementalTable` keeps, for each *slot* (a road node in use), what its two upward
searches (:func:`routing.ch._upward_search`, with stall-on-demand) leave behind:

* the contracted nodes each search settles unstalled, with their times (the slot's forward and
  backward *search space*, a few dozen nodes on road networks), and
* its times to and from every core node (``to_core[k, slot]``, ``from_core[k, slot]``), from the
  core nodes its searches reach and the core's table.

Adding a node costs its two upward searches plus, for every slot in use, a join of the small
search spaces and a minimum over the few core nodes the new node reaches — instead of two
one-to-all (PHAST) sweeps over the whole network. The times are exact, for the same reason as
:meth:`routing.ch.ContractionHierarchy.matrix`'s (Knopp et al. 2007): a fastest path either
stays below the core — its highest node is settled unstalled by both searches — or crosses the
core, entering it at a node the source's search reaches and leaving it at one the target's
search reaches. ``tests/test_ch_incremental.py`` compares with Dijkstra.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from routing.ch import ContractionHierarchy, _upward_search
from routing.kernels import UNREACHABLE


@njit(cache=True)
def _space(indptr, head, w, o_indptr, o_head, o_w, source, is_core, core_index, dist, stalled, touched, heap,
           sp_node, sp_time, core_k, core_time):
    """One upward search: its unstalled contracted nodes into ``sp_*`` and its core nodes into
    ``core_*``; returns (space size, core count) or (-1, -1) when an output is too small."""
    count = _upward_search(indptr, head, w, o_indptr, o_head, o_w, source, is_core, dist, stalled, touched, heap)
    m = 0
    c = 0
    ok = True
    for k in range(count):
        v = touched[k]
        if is_core[v]:
            if c < len(core_k):
                core_k[c] = core_index[v]
                core_time[c] = dist[v]
            else:
                ok = False
            c += 1
        elif not stalled[v]:
            if m < len(sp_node):
                sp_node[m] = v
                sp_time[m] = dist[v]
            else:
                ok = False
            m += 1
        dist[v] = UNREACHABLE
        stalled[v] = False
    if not ok:
        return -1 - m, -1 - c
    return m, c


@njit(cache=True)
def _meet_in_buckets(slot, own_len, own_time, own_node, other_head, other_time, other_next, pos_of, space, out):
    """Lower ``out[i]`` to the best meeting of ``slot``'s search space (forward or backward) with
    the other direction's space of the ``i``-th used slot, walking the other direction's bucket
    list at each node of ``slot``'s space (entry ``e`` is slot ``e // space``, position ``e % space``)."""
    for a in range(own_len[slot]):
        d = own_time[slot, a]
        e = other_head[own_node[slot, a]]
        while e >= 0:
            t = e // space
            i = pos_of[t]
            if i >= 0:
                x = d + other_time[t, e - t * space]
                if x < out[i]:
                    out[i] = x
            e = other_next[e]


@njit(cache=True)
def _keep_on_fastest(k, t, n, best):
    """Keep (in place, in order) the first ``n`` core entries ``k[a]`` reached at ``t[a]`` no later
    than ``best[k[a]]``; returns how many are kept."""
    m = 0
    for a in range(n):
        if t[a] <= best[k[a]]:
            k[m] = k[a]
            t[m] = t[a]
            m += 1
    return m


@njit(cache=True)
def _link(slot, space, nodes, n, head, nxt, prv):
    """Put the first ``n`` space entries of ``slot`` at the front of their nodes' buckets."""
    for a in range(n):
        e = slot * space + a
        u = nodes[slot, a]
        q = head[u]
        nxt[e] = q
        prv[e] = -1
        if q >= 0:
            prv[q] = e
        head[u] = e


@njit(cache=True)
def _unlink(slot, space, nodes, n, head, nxt, prv):
    """Take the first ``n`` space entries of ``slot`` out of their nodes' buckets."""
    for a in range(n):
        e = slot * space + a
        p = prv[e]
        q = nxt[e]
        if p >= 0:
            nxt[p] = q
        else:
            head[nodes[slot, a]] = q
        if q >= 0:
            prv[q] = p


@njit(cache=True)
def _join(slot, used, f_node, f_time, f_len, b_node, b_time, b_len, to_core, from_core, fc_k, fc_t, fc_n, bc_k,
          bc_t, bc_n, table, table_t, space, f_head, f_next, b_head, b_next, pos_of, out_from, out_to, matrix, none):
    """Times from ``slot`` to every slot in ``used`` (``out_from``) and from them to it (``out_to``);
    with a non-empty ``matrix`` also written to ``matrix[slot, used]`` and ``matrix[used, slot]``
    (``none`` where there is no path). ``table_t`` is the core table transposed (rows: times *to*
    a core node), for contiguous reads. ``f_head``/``f_next`` (``b_*``): the buckets of the
    forward (backward) space entries (entry ``slot * space + a``: ``f_node[slot, a]``), the new
    slot's included; ``pos_of``: -1 for every slot (restored on return)."""
    k_count = table.shape[0]
    # the new slot's times to and from every core node
    best_to = np.full(k_count, UNREACHABLE, dtype=np.int64)
    best_from = np.full(k_count, UNREACHABLE, dtype=np.int64)
    for a in range(fc_n):
        row = table[fc_k[a]]
        d = fc_t[a]
        for k in range(k_count):
            if row[k] < UNREACHABLE and d + row[k] < best_to[k]:
                best_to[k] = d + row[k]
    for a in range(bc_n):
        row = table_t[bc_k[a]]
        d = bc_t[a]
        for k in range(k_count):
            if row[k] < UNREACHABLE and row[k] + d < best_from[k]:
                best_from[k] = row[k] + d
    for k in range(k_count):
        to_core[k, slot] = best_to[k]
        from_core[k, slot] = best_from[k]
    # a core node the search reached later than the core's table reaches it from another one is on
    # no fastest path (that other one's candidate is as good): drop it from the joins below
    fc_n = _keep_on_fastest(fc_k, fc_t, fc_n, best_to)
    bc_n = _keep_on_fastest(bc_k, bc_t, bc_n, best_from)
    for i in range(len(used)):
        out_from[i] = UNREACHABLE
        out_to[i] = UNREACHABLE
    # slot -> t through the core: leave at a core node the slot's search reaches
    for a in range(fc_n):
        row = from_core[fc_k[a]]
        d = fc_t[a]
        for i in range(len(used)):
            x = row[used[i]]
            if x < UNREACHABLE and d + x < out_from[i]:
                out_from[i] = d + x
    # t -> slot through the core
    for a in range(bc_n):
        row = to_core[bc_k[a]]
        d = bc_t[a]
        for i in range(len(used)):
            x = row[used[i]]
            if x < UNREACHABLE and x + d < out_to[i]:
                out_to[i] = x + d
    # below the core: the slot's forward space meets t's backward space (and the other way round),
    # found through the buckets of the meeting nodes: only the few slots whose spaces share a
    # node with the new slot's are visited (on the state network well under 1 % of the pairs)
    for i in range(len(used)):
        pos_of[used[i]] = i
    _meet_in_buckets(slot, f_len, f_time, f_node, b_head, b_time, b_next, pos_of, space, out_from)
    _meet_in_buckets(slot, b_len, b_time, b_node, f_head, f_time, f_next, pos_of, space, out_to)
    for i in range(len(used)):
        pos_of[used[i]] = -1
    if matrix.shape[0] > 0:
        for i in range(len(used)):
            t = used[i]
            matrix[slot, t] = out_from[i] if out_from[i] < UNREACHABLE else none
            matrix[t, slot] = out_to[i] if out_to[i] < UNREACHABLE else none


_NO_MATRIX = np.zeros((0, 0), dtype=np.int64)


class IncrementalTable:
    """Per-slot search spaces of one hierarchy; :meth:`add` gives a new slot's rows (see module doc)."""

    def __init__(self, ch: ContractionHierarchy, capacity: int = 256, space: int = 64):
        self.ch = ch
        self.is_core, self.core_index, self.table = ch.core_table
        self.table_t = np.ascontiguousarray(self.table.T)
        n = ch.node_count
        self._dist = np.full(n, UNREACHABLE, dtype=np.int64)
        self._stalled = np.zeros(n, dtype=np.bool_)
        self._touched = np.empty(n, dtype=np.int32)
        self.f_head = np.full(n, -1, dtype=np.int64)    # per road node its first bucket entry
        self.b_head = np.full(n, -1, dtype=np.int64)
        self._heap = np.empty(max(len(ch.fwd[1]), len(ch.bwd[1])) + 1, dtype=np.int64)
        self._capacity = 0
        self._space = space
        self._alloc(capacity, space)

    def _alloc(self, capacity: int, space: int) -> None:
        k_count = self.table.shape[0]

        def grown(old, shape, dtype, fill):
            new = np.full(shape, fill, dtype=dtype)
            if old is not None:
                new[tuple(slice(0, s) for s in old.shape)] = old
            return new

        get = self.__dict__.get
        self.f_node = grown(get("f_node"), (capacity, space), np.int32, 0)
        self.f_time = grown(get("f_time"), (capacity, space), np.int64, UNREACHABLE)
        self.b_node = grown(get("b_node"), (capacity, space), np.int32, 0)
        self.b_time = grown(get("b_time"), (capacity, space), np.int64, UNREACHABLE)
        self.f_len = grown(get("f_len"), (capacity,), np.int64, 0)
        self.b_len = grown(get("b_len"), (capacity,), np.int64, 0)
        # int32 (UNREACHABLE is int32's largest value): half the memory of the largest arrays
        self.to_core = grown(get("to_core"), (k_count, capacity), np.int32, UNREACHABLE)
        self.from_core = grown(get("from_core"), (k_count, capacity), np.int32, UNREACHABLE)
        # bucket links of the space entries (entry ``slot * space + a``); a new width renumbers
        # the entries, so the buckets are then built again
        old_space = self._space if self._capacity else space
        self._pos_of = grown(get("_pos_of"), (capacity,), np.int64, -1)
        self._linked = grown(get("_linked"), (capacity,), np.bool_, False)
        if space == old_space:
            for name in ("f_next", "f_prev", "b_next", "b_prev"):
                setattr(self, name, grown(get(name), (capacity * space,), np.int64, -1))
        else:
            for name in ("f_next", "f_prev", "b_next", "b_prev"):
                setattr(self, name, np.full(capacity * space, -1, dtype=np.int64))
            self.f_head[:] = -1
            self.b_head[:] = -1
            for slot in np.flatnonzero(self._linked):
                _link(slot, space, self.f_node, self.f_len[slot], self.f_head, self.f_next, self.f_prev)
                _link(slot, space, self.b_node, self.b_len[slot], self.b_head, self.b_next, self.b_prev)
        fc, bc = get("_fc", (None, None)), get("_bc", (None, None))
        self._fc = tuple(grown(old, (space,), np.int64, 0) for old in fc)
        self._bc = tuple(grown(old, (space,), np.int64, 0) for old in bc)
        self._capacity, self._space = capacity, space

    def release(self, slot: int) -> None:
        """The node in ``slot`` is no longer used: its space entries leave the buckets (the rest
        is overwritten when the slot is filled again)."""
        if self._linked[slot]:
            _unlink(slot, self._space, self.f_node, self.f_len[slot], self.f_head, self.f_next, self.f_prev)
            _unlink(slot, self._space, self.b_node, self.b_len[slot], self.b_head, self.b_next, self.b_prev)
            self._linked[slot] = False

    def ensure_capacity(self, capacity: int) -> None:
        if capacity > self._capacity:
            self._alloc(capacity, self._space)

    def _search(self, graph, other, node, slot, nodes, times):
        ch = self.ch
        while True:
            core = self._fc if graph is ch.fwd else self._bc
            m, c = _space(graph[0], graph[1], graph[2], other[0], other[1], other[2], node, self.is_core,
                          self.core_index, self._dist, self._stalled, self._touched, self._heap, nodes[slot],
                          times[slot], core[0], core[1])
            if m >= 0:
                return m, c
            self._alloc(self._capacity, 2 * max(self._space, -1 - m, -1 - c))
            nodes = self.f_node if graph is ch.fwd else self.b_node
            times = self.f_time if graph is ch.fwd else self.b_time

    def add(self, slot: int, node: int, used: np.ndarray, matrix: np.ndarray | None = None,
            none: int = UNREACHABLE) -> tuple[np.ndarray, np.ndarray]:
        """Record ``node`` in ``slot`` and return its times to and from the slots in ``used``
        (which may include ``slot`` itself), int64 with UNREACHABLE where none; with ``matrix``
        (int64, slots × slots) also write them into its row and column ``slot`` (``none`` where
        there is no path)."""
        ch = self.ch
        self.release(slot)      # its entries from an earlier node leave the buckets
        self.f_len[slot], fc_n = self._search(ch.fwd, ch.bwd, int(node), slot, self.f_node, self.f_time)
        self.b_len[slot], bc_n = self._search(ch.bwd, ch.fwd, int(node), slot, self.b_node, self.b_time)
        used = np.asarray(used, dtype=np.int64)
        out_from = np.empty(len(used), dtype=np.int64)
        out_to = np.empty(len(used), dtype=np.int64)
        _link(slot, self._space, self.f_node, self.f_len[slot], self.f_head, self.f_next, self.f_prev)
        _link(slot, self._space, self.b_node, self.b_len[slot], self.b_head, self.b_next, self.b_prev)
        self._linked[slot] = True
        _join(slot, used, self.f_node, self.f_time, self.f_len, self.b_node, self.b_time, self.b_len, self.to_core,
              self.from_core, self._fc[0], self._fc[1], fc_n, self._bc[0], self._bc[1], bc_n, self.table, self.table_t,
              self._space, self.f_head, self.f_next, self.b_head, self.b_next, self._pos_of, out_from, out_to,
              _NO_MATRIX if matrix is None else matrix, int(none))
        return out_from, out_to
