"""Contraction hierarchy with an uncontracted core, for fast one-to-all travel times (PHAST).

Preprocessing contracts nodes in rounds (each round an independent set of nodes whose edge
difference is a local minimum), adding a shortcut ``u -> x`` for each pair of neighbours whose
fastest connection runs through the contracted node (a bounded witness search decides; an
unneeded shortcut is harmless, a missing one impossible: without a witness the shortcut is added).
Nodes that would make the graph too dense stay in the *core*.

A one-to-all query (Delling et al., "PHAST", 2011) is a Dijkstra search on the upward edges and the
core's edges, then one sweep over the contracted nodes from the highest rank down, each taking the
best of its incoming downward edges. It gives exactly the travel times of plain Dijkstra
(:func:`routing.kernels.shortest_path_tree`; the tests compare them) in a fraction of the time on
road networks, because the sweep is a linear pass over flat arrays. The backward query (times *to*
the source) runs the same on the reversed edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numba
import numpy as np
from numba import njit, prange

from routing.kernels import _NODE_BITS, _NODE_MASK, UNREACHABLE, _heap_pop, _heap_push

#: most neighbours a node may have in either direction while contracting (denser nodes stay in the core)
MAX_DEGREE = 48
#: nodes settled by one witness search at most
WITNESS_SETTLED = 60


@njit(cache=True)
def _witness(out_to, out_w, out_deg, source, skip, limit, dist, touched, heap):
    """Bounded Dijkstra from ``source`` avoiding ``skip``; ``dist`` holds upper bounds on return.
    Returns the number of touched nodes (the caller resets their ``dist``)."""
    n_touched = 1
    touched[0] = source
    dist[source] = 0
    size = _heap_push(heap, 0, np.int64(source))
    settled = 0
    while size > 0:
        item, size = _heap_pop(heap, size)
        u = item & _NODE_MASK
        d = item >> _NODE_BITS
        if d > dist[u]:
            continue
        if d > limit:
            break
        settled += 1
        if settled > WITNESS_SETTLED:
            break
        for a in range(out_deg[u]):
            x = out_to[u, a]
            if x == skip:
                continue
            nd = d + out_w[u, a]
            if nd < dist[x] and nd <= limit:
                if dist[x] == UNREACHABLE:
                    touched[n_touched] = x
                    n_touched += 1
                dist[x] = nd
                size = _heap_push(heap, size, (nd << _NODE_BITS) | x)
    return n_touched


@njit(cache=True)
def _shortcuts(v, out_to, out_w, out_deg, in_from, in_w, in_deg, dist, touched, heap, sc_u, sc_x, sc_w):
    """Shortcuts contracting ``v`` now would need, into ``sc_*``; returns their number."""
    count = 0
    for a in range(in_deg[v]):
        u = in_from[v, a]
        wu = in_w[v, a]
        limit = -1
        for b in range(out_deg[v]):
            if out_to[v, b] != u:
                limit = max(limit, wu + out_w[v, b])
        if limit < 0:
            continue
        k = _witness(out_to, out_w, out_deg, u, v, limit, dist, touched, heap)
        for b in range(out_deg[v]):
            x = out_to[v, b]
            if x == u:
                continue
            w = wu + out_w[v, b]
            if dist[x] > w:
                sc_u[count] = u
                sc_x[count] = x
                sc_w[count] = w
                count += 1
        for q in range(k):
            dist[touched[q]] = UNREACHABLE
    return count


@njit(cache=True)
def _find(lst, deg, node, value):
    for a in range(deg[node]):
        if lst[node, a] == value:
            return a
    return -1


@njit(cache=True)
def _fits(count, sc_u, sc_x, out_to, out_deg, in_from, in_deg, extra_out, extra_in, D):
    """Whether adding the shortcuts keeps every list within ``D`` entries."""
    ok = True
    for s in range(count):
        u, x = sc_u[s], sc_x[s]
        if _find(out_to, out_deg, u, x) < 0:
            extra_out[u] += 1
            if out_deg[u] + extra_out[u] > D:
                ok = False
        if _find(in_from, in_deg, x, u) < 0:
            extra_in[x] += 1
            if in_deg[x] + extra_in[x] > D:
                ok = False
    for s in range(count):
        extra_out[sc_u[s]] = 0
        extra_in[sc_x[s]] = 0
    return ok


@njit(cache=True)
def _remove(lst, wts, deg, node, value):
    a = _find(lst, deg, node, value)
    if a >= 0:
        last = deg[node] - 1
        lst[node, a] = lst[node, last]
        wts[node, a] = wts[node, last]
        deg[node] = last


@njit(cache=True)
def _add_edge(out_to, out_w, out_deg, in_from, in_w, in_deg, u, x, w):
    a = _find(out_to, out_deg, u, x)
    if a >= 0:
        if w < out_w[u, a]:
            out_w[u, a] = w
            b = _find(in_from, in_deg, x, u)
            in_w[x, b] = w
        return
    out_to[u, out_deg[u]] = x
    out_w[u, out_deg[u]] = w
    out_deg[u] += 1
    in_from[x, in_deg[x]] = u
    in_w[x, in_deg[x]] = w
    in_deg[x] += 1


@njit(cache=True)
def _contract(indptr, head, weight, core_size, D):
    """Contract the graph; returns (order, in_ptr, in_node, in_w, out_ptr, out_node, out_w, core,
    core_out_ptr, core_out_node, core_out_w, core_in_ptr, core_in_node, core_in_w)."""
    n = len(indptr) - 1
    out_to = np.empty((n, D), dtype=np.int32)
    out_w = np.empty((n, D), dtype=np.int64)
    out_deg = np.zeros(n, dtype=np.int64)
    in_from = np.empty((n, D), dtype=np.int32)
    in_w = np.empty((n, D), dtype=np.int64)
    in_deg = np.zeros(n, dtype=np.int64)
    for u in range(n):
        for e in range(indptr[u], indptr[u + 1]):
            x = head[e]
            if x == u:
                continue
            _add_edge(out_to, out_w, out_deg, in_from, in_w, in_deg, u, x, np.int64(weight[e]))
    contracted = np.zeros(n, dtype=np.bool_)
    deleted = np.zeros(n, dtype=np.int64)
    prio = np.zeros(n, dtype=np.int64)
    dist = np.full(n, UNREACHABLE, dtype=np.int64)
    touched = np.empty(n, dtype=np.int32)
    heap = np.empty(n * D + 1, dtype=np.int64)
    sc_u = np.empty(D * D, dtype=np.int32)
    sc_x = np.empty(D * D, dtype=np.int32)
    sc_w = np.empty(D * D, dtype=np.int64)
    extra_out = np.zeros(n, dtype=np.int64)
    extra_in = np.zeros(n, dtype=np.int64)
    order = np.empty(n, dtype=np.int32)
    cap = 2 * D * n
    rec_in_node = np.empty(cap, dtype=np.int32)
    rec_in_w = np.empty(cap, dtype=np.int64)
    rec_out_node = np.empty(cap, dtype=np.int32)
    rec_out_w = np.empty(cap, dtype=np.int64)
    in_ptr = np.zeros(n + 1, dtype=np.int64)
    out_ptr = np.zeros(n + 1, dtype=np.int64)
    n_done = 0
    remaining = n
    blocked = 2**62
    while remaining > core_size:
        for v in range(n):
            if contracted[v]:
                continue
            count = _shortcuts(v, out_to, out_w, out_deg, in_from, in_w, in_deg, dist, touched, heap,
                               sc_u, sc_x, sc_w)
            if not _fits(count, sc_u, sc_x, out_to, out_deg, in_from, in_deg, extra_out, extra_in, D):
                prio[v] = blocked
            else:
                prio[v] = 4 * (count - in_deg[v] - out_deg[v]) + 2 * deleted[v]
        chosen = 0
        for v in range(n):
            if contracted[v] or prio[v] >= blocked or remaining <= core_size:
                continue
            local_min = True
            for a in range(out_deg[v]):
                x = out_to[v, a]
                if prio[x] < prio[v] or (prio[x] == prio[v] and x < v):
                    local_min = False
                    break
            if local_min:
                for a in range(in_deg[v]):
                    x = in_from[v, a]
                    if prio[x] < prio[v] or (prio[x] == prio[v] and x < v):
                        local_min = False
                        break
            if not local_min:
                continue
            count = _shortcuts(v, out_to, out_w, out_deg, in_from, in_w, in_deg, dist, touched, heap,
                               sc_u, sc_x, sc_w)
            if not _fits(count, sc_u, sc_x, out_to, out_deg, in_from, in_deg, extra_out, extra_in, D):
                continue
            # record v's edges (all to nodes contracted later, or to the core)
            p = in_ptr[n_done]
            for a in range(in_deg[v]):
                rec_in_node[p] = in_from[v, a]
                rec_in_w[p] = in_w[v, a]
                p += 1
            in_ptr[n_done + 1] = p
            p = out_ptr[n_done]
            for a in range(out_deg[v]):
                rec_out_node[p] = out_to[v, a]
                rec_out_w[p] = out_w[v, a]
                p += 1
            out_ptr[n_done + 1] = p
            order[n_done] = v
            n_done += 1
            contracted[v] = True
            remaining -= 1
            chosen += 1
            for a in range(in_deg[v]):
                u = in_from[v, a]
                _remove(out_to, out_w, out_deg, u, v)
                deleted[u] += 1
            for a in range(out_deg[v]):
                x = out_to[v, a]
                _remove(in_from, in_w, in_deg, x, v)
                deleted[x] += 1
            in_deg[v] = 0
            out_deg[v] = 0
            for s in range(count):
                _add_edge(out_to, out_w, out_deg, in_from, in_w, in_deg, sc_u[s], sc_x[s], sc_w[s])
            prio[v] = blocked      # neighbours of v wait for the next round
        if chosen == 0:
            break
    core = np.flatnonzero(~contracted).astype(np.int32)
    co_ptr = np.zeros(n + 1, dtype=np.int64)
    ci_ptr = np.zeros(n + 1, dtype=np.int64)
    for u in range(n):
        co_ptr[u + 1] = co_ptr[u] + (out_deg[u] if not contracted[u] else 0)
        ci_ptr[u + 1] = ci_ptr[u] + (in_deg[u] if not contracted[u] else 0)
    co_node = np.empty(co_ptr[n], dtype=np.int32)
    co_w = np.empty(co_ptr[n], dtype=np.int64)
    ci_node = np.empty(ci_ptr[n], dtype=np.int32)
    ci_w = np.empty(ci_ptr[n], dtype=np.int64)
    for u in range(n):
        if contracted[u]:
            continue
        for a in range(out_deg[u]):
            co_node[co_ptr[u] + a] = out_to[u, a]
            co_w[co_ptr[u] + a] = out_w[u, a]
        for a in range(in_deg[u]):
            ci_node[ci_ptr[u] + a] = in_from[u, a]
            ci_w[ci_ptr[u] + a] = in_w[u, a]
    m_in = in_ptr[n_done]
    m_out = out_ptr[n_done]
    return (order[:n_done].copy(), in_ptr[:n_done + 1].copy(), rec_in_node[:m_in].copy(), rec_in_w[:m_in].copy(),
            out_ptr[:n_done + 1].copy(), rec_out_node[:m_out].copy(), rec_out_w[:m_out].copy(), core,
            co_ptr, co_node, co_w, ci_ptr, ci_node, ci_w)


@njit(cache=True)
def _up_graph(n, order, rec_ptr, rec_node, rec_w, core_ptr, core_node, core_w):
    """CSR by node of the upward edges (recorded at contraction) and the core's edges."""
    indptr = np.zeros(n + 1, dtype=np.int64)
    count = np.zeros(n, dtype=np.int64)
    for k in range(len(order)):
        count[order[k]] += rec_ptr[k + 1] - rec_ptr[k]
    for u in range(n):
        count[u] += core_ptr[u + 1] - core_ptr[u]
    for u in range(n):
        indptr[u + 1] = indptr[u] + count[u]
    head = np.empty(indptr[n], dtype=np.int32)
    w = np.empty(indptr[n], dtype=np.int64)
    fill = indptr[:n].copy()
    for k in range(len(order)):
        u = order[k]
        for e in range(rec_ptr[k], rec_ptr[k + 1]):
            head[fill[u]] = rec_node[e]
            w[fill[u]] = rec_w[e]
            fill[u] += 1
    for u in range(n):
        for e in range(core_ptr[u], core_ptr[u + 1]):
            head[fill[u]] = core_node[e]
            w[fill[u]] = core_w[e]
            fill[u] += 1
    return indptr, head, w


@njit(cache=True)
def phast(up_indptr, up_head, up_w, order, down_ptr, down_node, down_w, source, dist, heap):
    """Travel times from ``source`` to every node into ``dist`` (int64, UNREACHABLE where none).

    ``dist`` and ``heap`` are work arrays (any content on entry; ``heap`` one entry per upward edge
    plus one)."""
    n = len(dist)
    for v in range(n):
        dist[v] = UNREACHABLE
    dist[source] = 0
    size = _heap_push(heap, 0, np.int64(source))
    while size > 0:
        item, size = _heap_pop(heap, size)
        u = item & _NODE_MASK
        d = item >> _NODE_BITS
        if d > dist[u]:
            continue
        for e in range(up_indptr[u], up_indptr[u + 1]):
            x = up_head[e]
            nd = d + up_w[e]
            if nd < dist[x]:
                dist[x] = nd
                size = _heap_push(heap, size, (nd << _NODE_BITS) | x)
    for k in range(len(order) - 1, -1, -1):
        v = order[k]
        best = dist[v]
        for e in range(down_ptr[k], down_ptr[k + 1]):
            c = dist[down_node[e]] + down_w[e]
            if c < best:
                best = c
        dist[v] = best if best < UNREACHABLE else UNREACHABLE


@njit(cache=True)
def _rows(up_indptr, up_head, up_w, order, down_ptr, down_node, down_w, sources, targets, dist, heap):
    out = np.empty((len(sources), len(targets)), dtype=np.int64)
    for i in range(len(sources)):
        phast(up_indptr, up_head, up_w, order, down_ptr, down_node, down_w, sources[i], dist, heap)
        for j in range(len(targets)):
            out[i, j] = dist[targets[j]]
    return out


@njit(cache=True)
def _rows_both(fwd_indptr, fwd_head, fwd_w, fwd_down_ptr, fwd_down_node, fwd_down_w, bwd_indptr, bwd_head, bwd_w,
               bwd_down_ptr, bwd_down_node, bwd_down_w, order, sources, targets, dist, heap):
    forward = _rows(fwd_indptr, fwd_head, fwd_w, order, fwd_down_ptr, fwd_down_node, fwd_down_w, sources, targets,
                    dist, heap)
    backward = _rows(bwd_indptr, bwd_head, bwd_w, order, bwd_down_ptr, bwd_down_node, bwd_down_w, sources, targets,
                     dist, heap)
    return forward, backward


@njit(cache=True)
def _upward_search(indptr, head, w, o_indptr, o_head, o_w, source, is_core, dist, stalled, touched, heap):
    """Dijkstra search from ``source`` upwards to the core, with stall-on-demand.

    Core nodes are reached but not expanded (the core is crossed with a table instead). A
    contracted node that some reached node ``x`` reaches faster over an edge from above (``o_*``:
    the opposite direction's upward graph, i.e. the edges ``x -> node``) is on no fastest path of
    this search: it is marked in ``stalled`` and not expanded. ``dist`` holds the times of the
    nodes in ``touched[:count]``; returns ``count``. ``dist`` must be UNREACHABLE and ``stalled``
    False everywhere on entry; the caller resets the touched nodes."""
    dist[source] = 0
    touched[0] = source
    count = 1
    size = _heap_push(heap, 0, np.int64(source))
    while size > 0:
        item, size = _heap_pop(heap, size)
        u = item & _NODE_MASK
        d = item >> _NODE_BITS
        if d > dist[u] or is_core[u]:
            continue
        stall = False
        for e in range(o_indptr[u], o_indptr[u + 1]):
            x = o_head[e]
            if dist[x] < UNREACHABLE and dist[x] + o_w[e] < d:
                stall = True
                break
        if stall:
            stalled[u] = True
            continue
        for e in range(indptr[u], indptr[u + 1]):
            x = head[e]
            nd = d + w[e]
            if nd < dist[x]:
                if dist[x] == UNREACHABLE:
                    touched[count] = x
                    count += 1
                dist[x] = nd
                size = _heap_push(heap, size, (nd << _NODE_BITS) | x)
    return count


@njit(cache=True)
def _core_table(indptr, head, w, core, core_index):
    """Travel times between all core nodes (``[K, K]``) on the core's own edges: contraction keeps
    every fastest path between uncontracted nodes, so these are the network's times."""
    k_count = len(core)
    table = np.full((k_count, k_count), UNREACHABLE, dtype=np.int64)
    dist = np.full(k_count, UNREACHABLE, dtype=np.int64)
    heap = np.empty(len(head) + 1, dtype=np.int64)
    for a in range(k_count):
        dist[:] = UNREACHABLE
        dist[a] = 0
        size = _heap_push(heap, 0, np.int64(a))
        while size > 0:
            item, size = _heap_pop(heap, size)
            i = item & _NODE_MASK
            d = item >> _NODE_BITS
            if d > dist[i]:
                continue
            u = core[i]
            for e in range(indptr[u], indptr[u + 1]):
                j = core_index[head[e]]
                nd = d + w[e]
                if j >= 0 and nd < dist[j]:
                    dist[j] = nd
                    size = _heap_push(heap, size, (nd << _NODE_BITS) | j)
        table[a, :] = dist
    return table


@njit(cache=True)
def _buckets(fwd_indptr, fwd_head, fwd_w, bwd_indptr, bwd_head, bwd_w, targets, is_core, core_index, table):
    """Backward searches from every target: bucket entries ``(target index, time to it)`` of the
    contracted nodes they settle unstalled (CSR by node), and ``via[c, j]``, the fastest time from
    core node ``c`` through the core to target ``j`` (UNREACHABLE where none)."""
    n = len(is_core)
    dist = np.full(n, UNREACHABLE, dtype=np.int64)
    stalled = np.zeros(n, dtype=np.bool_)
    touched = np.empty(n, dtype=np.int32)
    heap = np.empty(len(bwd_head) + 1, dtype=np.int64)
    k_count = table.shape[0]
    via = np.full((k_count, len(targets)), UNREACHABLE, dtype=np.int64)
    cap = max(16, 16 * len(targets))
    e_node = np.empty(cap, dtype=np.int32)
    e_target = np.empty(cap, dtype=np.int32)
    e_time = np.empty(cap, dtype=np.int64)
    m = 0
    for j in range(len(targets)):
        count = _upward_search(bwd_indptr, bwd_head, bwd_w, fwd_indptr, fwd_head, fwd_w, targets[j], is_core, dist,
                               stalled, touched, heap)
        if m + count > cap:
            cap = max(2 * cap, m + count)
            e_node2 = np.empty(cap, dtype=np.int32)
            e_target2 = np.empty(cap, dtype=np.int32)
            e_time2 = np.empty(cap, dtype=np.int64)
            e_node2[:m] = e_node[:m]
            e_target2[:m] = e_target[:m]
            e_time2[:m] = e_time[:m]
            e_node, e_target, e_time = e_node2, e_target2, e_time2
        for k in range(count):
            v = touched[k]
            if is_core[v]:
                c2 = core_index[v]
                dv = dist[v]
                for c1 in range(k_count):          # from every core node through c2 to the target
                    if table[c1, c2] < UNREACHABLE and table[c1, c2] + dv < via[c1, j]:
                        via[c1, j] = table[c1, c2] + dv
            elif not stalled[v]:
                e_node[m] = v
                e_target[m] = j
                e_time[m] = dist[v]
                m += 1
            dist[v] = UNREACHABLE
            stalled[v] = False
    ptr = np.zeros(n + 1, dtype=np.int64)
    for b in range(m):
        ptr[e_node[b] + 1] += 1
    for v in range(n):
        ptr[v + 1] += ptr[v]
    fill = ptr[:n].copy()
    b_target = np.empty(m, dtype=np.int32)
    b_time = np.empty(m, dtype=np.int64)
    for b in range(m):
        v = e_node[b]
        b_target[fill[v]] = e_target[b]
        b_time[fill[v]] = e_time[b]
        fill[v] += 1
    return ptr, b_target, b_time, via


@njit(cache=True, parallel=True)
def _bucket_matrix(fwd_indptr, fwd_head, fwd_w, bwd_indptr, bwd_head, bwd_w, sources, targets, is_core, core_index,
                   table, n_chunks):
    """Many-to-many travel times by buckets (Knopp et al. 2007) over a hierarchy with a core.

    A search backwards from each target leaves ``(target, time)`` in a bucket at every contracted
    node it settles and, at the core nodes it reaches, the time through the core (``via``); a
    search from each source (sources in parallel) reads the buckets of the nodes it settles and
    ``via`` at the core nodes it reaches. A fastest path either stays below the core - its highest
    node is settled by both searches - or enters the core where the source's search reaches it,
    so the minimum is exact."""
    n = len(is_core)
    ptr, b_target, b_time, via = _buckets(fwd_indptr, fwd_head, fwd_w, bwd_indptr, bwd_head, bwd_w, targets,
                                          is_core, core_index, table)
    n_targets = len(targets)
    out = np.full((len(sources), n_targets), UNREACHABLE, dtype=np.int64)
    per_chunk = (len(sources) + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        dist = np.full(n, UNREACHABLE, dtype=np.int64)
        stalled = np.zeros(n, dtype=np.bool_)
        touched = np.empty(n, dtype=np.int32)
        heap = np.empty(len(fwd_head) + 1, dtype=np.int64)
        for i in range(c * per_chunk, min(len(sources), (c + 1) * per_chunk)):
            count = _upward_search(fwd_indptr, fwd_head, fwd_w, bwd_indptr, bwd_head, bwd_w, sources[i], is_core,
                                   dist, stalled, touched, heap)
            for k in range(count):
                u = touched[k]
                du = dist[u]
                if is_core[u]:
                    row = via[core_index[u]]
                    for j in range(n_targets):
                        if row[j] < UNREACHABLE and du + row[j] < out[i, j]:
                            out[i, j] = du + row[j]
                elif not stalled[u]:
                    for b in range(ptr[u], ptr[u + 1]):
                        t = du + b_time[b]
                        if t < out[i, b_target[b]]:
                            out[i, b_target[b]] = t
                dist[u] = UNREACHABLE
                stalled[u] = False
    return out


@dataclass(frozen=True, eq=False)
class ContractionHierarchy:
    """Both query directions of one network's hierarchy (see the module docstring)."""

    node_count: int
    order: np.ndarray           # contracted nodes, lowest rank first
    core: np.ndarray            # nodes left uncontracted
    fwd: tuple                  # (up_indptr, up_head, up_w, down_ptr, down_node, down_w): times from a source
    bwd: tuple                  # the same on the reversed edges: times to a source

    @classmethod
    def build(cls, indptr, head, weight, core_size: int | None = None) -> "ContractionHierarchy":
        n = len(indptr) - 1
        if core_size is None:
            core_size = max(32, n // 50)
        indptr = np.asarray(indptr, dtype=np.int64)
        head = np.asarray(head, dtype=np.int32)
        degree = max(int(np.diff(indptr).max(initial=0)), int(np.bincount(head, minlength=n).max(initial=0)))
        (order, in_ptr, in_node, in_w, out_ptr, out_node, out_w, core, co_ptr, co_node, co_w,
         ci_ptr, ci_node, ci_w) = _contract(indptr, head, np.asarray(weight, dtype=np.int64), int(core_size),
                                            max(MAX_DEGREE, 2 * degree))
        fwd_up = _up_graph(n, order, out_ptr, out_node, out_w, co_ptr, co_node, co_w)
        bwd_up = _up_graph(n, order, in_ptr, in_node, in_w, ci_ptr, ci_node, ci_w)
        return cls(node_count=n, order=order, core=core, fwd=(*fwd_up, in_ptr, in_node, in_w),
                   bwd=(*bwd_up, out_ptr, out_node, out_w))

    def work_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        size = max(len(self.fwd[1]), len(self.bwd[1])) + 1
        return np.empty(self.node_count, dtype=np.int64), np.empty(size, dtype=np.int64)

    def _run(self, graph, sources, targets, work=None) -> np.ndarray:
        dist, heap = work if work is not None else self.work_arrays()
        up_indptr, up_head, up_w, down_ptr, down_node, down_w = graph
        return _rows(up_indptr, up_head, up_w, self.order, down_ptr, down_node, down_w,
                     np.asarray(sources, dtype=np.int64), np.asarray(targets, dtype=np.int64), dist, heap)

    def from_sources(self, sources, targets, work=None) -> np.ndarray:
        """``[len(sources), len(targets)]`` travel times from each source (int64, UNREACHABLE where none)."""
        return self._run(self.fwd, sources, targets, work)

    def to_sources(self, sources, targets, work=None) -> np.ndarray:
        """``[len(sources), len(targets)]`` travel times from each target *to* each source."""
        return self._run(self.bwd, sources, targets, work)

    def matrix(self, sources, targets) -> np.ndarray:
        """``[len(sources), len(targets)]`` travel times (int64, UNREACHABLE where none) by the bucket
        algorithm: one search per source and per target up to the core, and a table of the core -
        instead of a search per source over the whole network. For many-to-many tables such as a
        fleet's or a planner's; exact (the tests compare it with Dijkstra)."""
        sources = np.asarray(sources, dtype=np.int64)
        targets = np.asarray(targets, dtype=np.int64)
        if len(sources) == 0 or len(targets) == 0:
            return np.zeros((len(sources), len(targets)), dtype=np.int64)
        is_core, core_index, table = self.core_table
        n_chunks = max(1, min(len(sources), 4 * numba.get_num_threads()))
        return _bucket_matrix(self.fwd[0], self.fwd[1], self.fwd[2], self.bwd[0], self.bwd[1], self.bwd[2],
                              sources, targets, is_core, core_index, table, n_chunks)

    @cached_property
    def core_table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(is_core, core_index, table)``: which nodes are in the core, each core node's row in
        ``table``, and the travel times between core nodes (computed on first use, then kept)."""
        is_core = np.zeros(self.node_count, dtype=np.bool_)
        is_core[self.core] = True
        core_index = np.full(self.node_count, -1, dtype=np.int64)
        core_index[self.core] = np.arange(len(self.core))
        table = _core_table(self.fwd[0], self.fwd[1], self.fwd[2], np.asarray(self.core, dtype=np.int64), core_index)
        return is_core, core_index, table

    def to_and_from(self, sources, targets, work=None) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`from_sources` and :meth:`to_sources` in one call."""
        dist, heap = work if work is not None else self.work_arrays()
        return _rows_both(*self.fwd, *self.bwd, self.order, np.asarray(sources, dtype=np.int64),
                          np.asarray(targets, dtype=np.int64), dist, heap)
