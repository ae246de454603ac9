"""Ruin step of ruin-and-recreate in numba, on plans held as route arrays.

The search (:mod:`routing.darp.lns`) keeps its current plan as ``routes`` (``[V, cap]`` stop codes,
``2 r`` pickup and ``2 r + 1`` drop-off of request ``r``) and ``lengths`` (stops used per
vehicle), so an iteration never turns a plan into Python lists. On the largest Cordeau instances
the Python glue around the recreate kernel (objective, Shaw and worst removal, removing stops) took
more time than the kernel itself.

Random choices come in as uniform draws made by the caller, so each kernel and its plain-Python
twin (:func:`shaw_pick_reference`, :func:`worst_pick_reference`) choose the same requests
(``tests/test_darp_ruin.py``).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def route_totals(cost, code_location, start, end, routes, lengths, served):
    """(driving cost depot to depot, vehicles used); sets ``served[r]`` for every request planned."""
    total = 0
    used = 0
    for v in range(len(lengths)):
        n = lengths[v]
        if n == 0:
            continue
        used += 1
        prev = start[v]
        for q in range(n):
            code = routes[v, q]
            loc = code_location[code]
            total += cost[prev, loc]
            prev = loc
            served[code // 2] = True
        if end[v] >= 0:
            total += cost[prev, end[v]]
    return total, used


@njit(cache=True)
def served_free(routes, lengths, is_free):
    """Requests in the plan that the search may move (not riders already on board), ascending."""
    mark = np.zeros(len(is_free), dtype=np.bool_)
    for v in range(len(lengths)):
        for q in range(lengths[v]):
            code = routes[v, q]
            if code % 2 == 0 and is_free[code // 2]:
                mark[code // 2] = True
    return np.flatnonzero(mark)


@njit(cache=True)
def remove_requests(routes, lengths, removed):
    """Copies of ``routes`` and ``lengths`` without the stops of the requests with ``removed[r]``."""
    out = np.zeros_like(routes)
    out_len = np.zeros_like(lengths)
    for v in range(len(lengths)):
        m = 0
        for q in range(lengths[v]):
            code = routes[v, q]
            if not removed[code // 2]:
                out[v, m] = code
                m += 1
        out_len[v] = m
    return out, out_len


@njit(cache=True)
def shaw_pick(relatedness, served, q, u_first, u_ref, u_rank):
    """Shaw removal: a seed request (``u_first``), then ``q - 1`` more, each related to one chosen
    before (``u_ref``): the candidates are ranked by relatedness and rank ``len * u_rank**4`` is
    taken, so the closest are likely but not certain."""
    n = len(served)
    q = min(q, n)
    chosen = np.empty(q, dtype=np.int64)
    if q == 0:
        return chosen
    first = int(u_first * n)
    chosen[0] = served[first]
    candidates = np.empty(n - 1, dtype=np.int64)
    m = 0
    for k in range(n):
        if k != first:
            candidates[m] = served[k]
            m += 1
    keys = np.empty(n, dtype=np.int64)
    for c in range(1, q):
        ref = chosen[int(u_ref[c] * c)]
        for k in range(m):
            keys[k] = relatedness[ref, candidates[k]]
        order = np.argsort(keys[:m], kind="mergesort")
        k = order[int(m * u_rank[c] ** 4)]
        chosen[c] = candidates[k]
        for j in range(k, m - 1):
            candidates[j] = candidates[j + 1]
        m -= 1
    return chosen


def shaw_pick_reference(relatedness, served, q, u_first, u_ref, u_rank):
    """Plain-Python twin of :func:`shaw_pick`."""
    served = np.asarray(served, dtype=np.int64)
    q = min(q, len(served))
    if q == 0:
        return np.zeros(0, dtype=np.int64)
    first = int(u_first * len(served))
    chosen = [int(served[first])]
    candidates = np.delete(served, first)
    for c in range(1, q):
        ref = chosen[int(u_ref[c] * c)]
        order = np.argsort(relatedness[ref, candidates], kind="stable")
        k = int(order[int(len(order) * u_rank[c] ** 4)])
        chosen.append(int(candidates[k]))
        candidates = np.delete(candidates, k)
    return np.array(chosen, dtype=np.int64)


@njit(cache=True)
def worst_pick(cost, code_location, start, end, routes, lengths, served, q, u_rank):
    """Worst removal: requests ranked by the driving their two stops add (most first); rank
    ``len * u_rank**3`` is taken ``q`` times."""
    saving = np.zeros(len(code_location) // 2, dtype=np.int64)
    for v in range(len(lengths)):
        n = lengths[v]
        for idx in range(n):
            a = start[v] if idx == 0 else code_location[routes[v, idx - 1]]
            b = code_location[routes[v, idx]]
            c = end[v] if idx == n - 1 else code_location[routes[v, idx + 1]]
            rest = 0 if c < 0 else cost[b, c] - cost[a, c]
            saving[routes[v, idx] // 2] += cost[a, b] + rest
    m = len(served)
    keys = np.empty(m, dtype=np.int64)
    for k in range(m):
        keys[k] = -saving[served[k]]
    order = served[np.argsort(keys, kind="mergesort")]
    q = min(q, m)
    chosen = np.empty(q, dtype=np.int64)
    for c in range(q):
        k = int(m * u_rank[c] ** 3)
        chosen[c] = order[k]
        for j in range(k, m - 1):
            order[j] = order[j + 1]
        m -= 1
    return chosen


def worst_pick_reference(cost, code_location, start, end, routes, lengths, served, q, u_rank):
    """Plain-Python twin of :func:`worst_pick` (numpy per route)."""
    saving = np.zeros(len(code_location) // 2, dtype=np.int64)
    for v in range(len(lengths)):
        codes = np.asarray(routes[v, :lengths[v]], dtype=np.int64)
        if not len(codes):
            continue
        locs = np.concatenate(([start[v]], code_location[codes], [end[v]]))
        a, b, c = locs[:-2], locs[1:-1], locs[2:]
        open_end = c < 0
        c_safe = np.where(open_end, b, c)
        rest = np.where(open_end, 0, cost[b, c_safe] - cost[a, c_safe])
        np.add.at(saving, codes // 2, cost[a, b] + rest)
    served = np.asarray(served, dtype=np.int64)
    order = list(served[np.argsort(-saving[served], kind="stable")])
    chosen = []
    for c in range(min(q, len(order))):
        chosen.append(int(order.pop(int(len(order) * u_rank[c] ** 3))))
    return np.array(chosen, dtype=np.int64)
