"""Pruning for the insertion kernel: skip vehicles that cannot reach the pickup in time.

A vehicle can serve a new request only if, from some point of its route, it reaches the pickup
by the pickup window's end: for some position ``i``, departure from the start or from planned
stop ``i`` + travel time to the pickup ≤ ``pickup_latest``. Checking that for every position
costs as much as the kernel's own first test. The **O(1) lower bound** used here is

    start_departure[v] + tt[start_location[v], pickup] > pickup_latest  →  prune v

It is valid when (a) ``tt`` keeps the triangle inequality (shortest-path travel times do:
:class:`ride_pool.dispatch.locations.LocationTable` holds exact ones) and (b) the vehicle's plan
cannot leave any stop earlier than it could drive there straight from its start:
``begin[k] + service[k] >= start_departure[v] + tt[start, stop_k]`` for all its stops (true of
every schedule computed on ``tt``). Then every position's departure + travel time to the pickup
is at least ``start_departure + tt[start, pickup]`` (by (b) and then (a)), so when that exceeds
the window's end the kernel rejects every position of the vehicle, and pruning changes nothing.
(b) does not depend on the request: :func:`prune_bounds_ok` checks it once per fleet snapshot
(and travel-time matrix); vehicles failing it are never pruned.
``tests/test_darp_insertion.py`` compares pruned and unpruned results on seeded random cases.
"""

from __future__ import annotations

import weakref

import numpy as np
from numba import njit


@njit(cache=True)
def _bounds_ok(tt, start_location, start_departure, stop_ptr, stop_location, begin, service, out):
    for v in range(len(start_location)):
        ok = True
        s = start_location[v]
        dep = start_departure[v]
        for k in range(stop_ptr[v], stop_ptr[v + 1]):
            if begin[k] + service[k] < dep + tt[s, stop_location[k]]:
                ok = False
                break
        out[v] = ok


_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def prune_bounds_ok(snapshots, travel_time: np.ndarray) -> np.ndarray:
    """Per vehicle: may the O(1) bound prune it (condition (b) of the module docstring)?
    Cached per snapshot object and travel-time matrix object."""
    cached = _CACHE.get(snapshots)
    if cached is not None and cached[0] is travel_time:
        return cached[1]
    s = snapshots
    out = np.empty(s.vehicle_count, dtype=np.bool_)
    _bounds_ok(travel_time, s.start_location, s.start_departure, s.stop_ptr, s.stop_location, s.begin, s.service,
               out)
    _CACHE[snapshots] = (travel_time, out)
    return out


def remember_bounds_ok(snapshots, travel_time: np.ndarray, ok: np.ndarray) -> None:
    """Record flags computed elsewhere (:class:`routing.darp.snapshot_cache.SnapshotCache` keeps
    them per vehicle) as :func:`prune_bounds_ok`'s answer for ``snapshots`` and ``travel_time``."""
    _CACHE[snapshots] = (travel_time, ok)
