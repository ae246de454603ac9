"""Fleet snapshots that rebuild only the vehicles whose inputs changed.

A live dispatcher asks for the whole fleet's snapshot before every quote, but between two quotes
only a few vehicles change (a booking, an arrival, a boarding). :class:`SnapshotCache` keeps each
vehicle's snapshot arrays (padded rows, one per vehicle) together with everything they were
computed from: the route's stop codes, the request fields of those stops, the vehicle's start,
end and limits and the seats taken on board. Each call compares those inputs with the current
ones (no travel-time look-ups: cheap) and recomputes only the vehicles whose inputs differ
(:func:`routing.darp.snapshot._vehicle_snapshot`, the same code as the whole-fleet kernel). So
the cache cannot return stale arrays whichever way the tables were changed; the one input not
compared is the travel-time matrix, which the caller names by ``tt_version`` (change it whenever
an entry the routes use may have changed; a new version rebuilds every vehicle).

The result is what :func:`routing.darp.snapshot.flat_snapshots` gives for every vehicle, array for
array (``tests/test_darp_snapshot_cache.py``), plus the pruning flags of
:func:`routing.darp.pruning.prune_bounds_ok`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from routing.darp.snapshot import _STOP_FIELDS, _onboard_loads, _vehicle_snapshot

#: request fields a stop's snapshot reads (with the stop code: a stop's compared inputs)
_REQUEST_FIELDS = ("pickup_location", "dropoff_location", "seats", "wheelchairs", "pickup_earliest",
                   "pickup_latest", "dropoff_earliest", "dropoff_latest", "max_ride_time", "pickup_service",
                   "dropoff_service", "onboard_vehicle", "pickup_begin")
_VEHICLE_FIELDS = ("start_location", "start_time", "end_location", "end_latest", "max_duration")
_STOP_DTYPES = (np.int64, np.int32, np.int64, np.int64, np.int64, np.int32, np.int32, np.int32, np.int32,
                np.int64, np.int64, np.int32, np.int32, np.bool_)
_STOP_SIG = 1 + len(_REQUEST_FIELDS)
_VEHICLE_SIG = 3 + len(_VEHICLE_FIELDS)


@njit(cache=True)
def _stale_vehicles(pickup_location, dropoff_location, seats, wheelchairs, pickup_earliest, pickup_latest,
                    dropoff_earliest, dropoff_latest, max_ride_time, pickup_service, dropoff_service,
                    onboard_vehicle, pickup_begin, start_location, start_time, end_location, end_latest,
                    max_duration, routes, lengths, valid, stop_sig, vehicle_sig):
    """Mark (``valid[v] = False``) every vehicle whose inputs differ from the recorded ones and
    record the current inputs for those; returns the stale vehicles."""
    V = len(start_location)
    onboard_seats, onboard_chairs = _onboard_loads(V, onboard_vehicle, seats, wheelchairs)
    stale = np.empty(V, dtype=np.int64)
    cur = np.empty(max(_STOP_SIG, _VEHICLE_SIG), dtype=np.int64)
    m = 0
    for v in range(V):
        n = lengths[v]
        same = valid[v]
        cur[0] = n
        cur[1] = onboard_seats[v]
        cur[2] = onboard_chairs[v]
        cur[3] = start_location[v]
        cur[4] = start_time[v]
        cur[5] = end_location[v]
        cur[6] = end_latest[v]
        cur[7] = max_duration[v]
        for f in range(_VEHICLE_SIG):
            if vehicle_sig[v, f] != cur[f]:
                same = False
                vehicle_sig[v, f] = cur[f]
        for pos in range(n):
            c = routes[v, pos]
            r = c // 2
            cur[0] = c
            cur[1] = pickup_location[r]
            cur[2] = dropoff_location[r]
            cur[3] = seats[r]
            cur[4] = wheelchairs[r]
            cur[5] = pickup_earliest[r]
            cur[6] = pickup_latest[r]
            cur[7] = dropoff_earliest[r]
            cur[8] = dropoff_latest[r]
            cur[9] = max_ride_time[r]
            cur[10] = pickup_service[r]
            cur[11] = dropoff_service[r]
            cur[12] = onboard_vehicle[r]
            cur[13] = pickup_begin[r]
            for f in range(_STOP_SIG):
                if stop_sig[v, pos, f] != cur[f]:
                    same = False
                    stop_sig[v, pos, f] = cur[f]
        if not same:
            valid[v] = False
            stale[m] = v
            m += 1
    return stale[:m]


@njit(cache=True)
def _rebuild(tt, pickup_location, dropoff_location, seats, wheelchairs, pickup_earliest, pickup_latest,
             dropoff_earliest, dropoff_latest, max_ride_time, pickup_service, dropoff_service, onboard_vehicle,
             pickup_begin, start_location, start_time, end_location, end_latest, max_duration, routes, lengths,
             stale, vehicle_sig, valid, loc, earliest, latest, service, seats_change, chairs_change, persons,
             pickup_position, ride_limit, begin, seats_after, chairs_after, suffix_ok, start_seats, start_chairs,
             end_time, departure, bounds_ok, lower):
    """Recompute the padded snapshot rows (and pruning flags) of the ``stale`` vehicles."""
    for k in range(len(stale)):
        v = stale[k]
        n = lengths[v]
        s_load = vehicle_sig[v, 1]
        w_load = vehicle_sig[v, 2]
        start_seats[v] = s_load
        start_chairs[v] = w_load
        end_time[v], departure[v] = _vehicle_snapshot(
            tt, pickup_location, dropoff_location, seats, wheelchairs, pickup_earliest, pickup_latest,
            dropoff_earliest, dropoff_latest, max_ride_time, pickup_service, dropoff_service, onboard_vehicle,
            pickup_begin, start_location[v], start_time[v], end_location[v], end_latest[v], max_duration[v],
            routes[v], n, s_load, w_load, loc[v], earliest[v], latest[v], service[v], seats_change[v],
            chairs_change[v], persons[v], pickup_position[v], ride_limit[v], begin[v], seats_after[v],
            chairs_after[v], suffix_ok[v], lower)
        # routing.darp.pruning's condition (b): no stop left earlier than driving there straight
        ok = True
        s = start_location[v]
        dep = departure[v]
        for q in range(n):
            if begin[v, q] + service[v, q] < dep + tt[s, loc[v, q]]:
                ok = False
                break
        bounds_ok[v] = ok
        valid[v] = True


@njit(cache=True)
def _flatten(rows, lengths, ptr, out):
    """Copy each vehicle's ``rows[v, :lengths[v]]`` to ``out[ptr[v]:ptr[v+1]]``."""
    for v in range(len(ptr) - 1):
        a = ptr[v]
        for q in range(lengths[v]):
            out[a + q] = rows[v, q]


def _grown(old: np.ndarray | None, shape: tuple, dtype, fill) -> np.ndarray:
    new = np.full(shape, fill, dtype=dtype)
    if old is not None:
        new[tuple(slice(0, min(a, b)) for a, b in zip(old.shape, shape))] = \
            old[tuple(slice(0, min(a, b)) for a, b in zip(old.shape, shape))]
    return new


class SnapshotCache:
    """Per-vehicle snapshot rows of one fleet, recomputed only where their inputs changed (module doc)."""

    def __init__(self):
        self._vehicles = 0
        self._stops = 0
        self._tt_version = object()
        self.rebuilt = 0        # vehicles recomputed by the last call (for tests and benchmarks)
        self._alloc(16, 16)

    def _alloc(self, vehicles: int, stops: int) -> None:
        get = self.__dict__.get
        self.valid = _grown(get("valid"), (vehicles,), np.bool_, False)
        self.stop_sig = _grown(get("stop_sig"), (vehicles, stops, _STOP_SIG), np.int64, -1)
        self.vehicle_sig = _grown(get("vehicle_sig"), (vehicles, _VEHICLE_SIG), np.int64, -1)
        self.rows = tuple(_grown(old, (vehicles, stops), dt, 0)
                          for old, dt in zip(get("rows", (None,) * len(_STOP_DTYPES)), _STOP_DTYPES))
        self.per_vehicle = tuple(_grown(old, (vehicles,), dt, 0) for old, dt in zip(
            get("per_vehicle", (None,) * 5), (np.int32, np.int32, np.int64, np.int64, np.bool_)))
        self._lower = np.empty(stops, dtype=np.int64)
        self._vehicles, self._stops = vehicles, stops

    def invalidate(self) -> None:
        """Recompute every vehicle on the next call."""
        self.valid[:] = False

    def snapshots(self, problem, routes: np.ndarray, lengths: np.ndarray, tt_version) -> tuple[dict, np.ndarray]:
        """The :func:`~routing.darp.snapshot.flat_snapshots` arrays of every vehicle of ``problem``
        (an object with the request and vehicle arrays, as there) and their pruning flags.

        ``routes[v, :lengths[v]]`` (int64) is vehicle ``v``'s route; ``tt_version`` names the
        contents of ``problem.travel_time`` (a different one recomputes every vehicle)."""
        V = len(problem.start_location)
        lengths = np.asarray(lengths, dtype=np.int64)[:V]
        need_stops = max(int(lengths.max()) if V else 0, 1)
        if V > self._vehicles or need_stops > self._stops:
            self._alloc(max(V, 2 * self._vehicles) if V > self._vehicles else self._vehicles,
                        max(need_stops, 2 * self._stops) if need_stops > self._stops else self._stops)
        if tt_version != self._tt_version:
            self.invalidate()
            self._tt_version = tt_version
        req = tuple(getattr(problem, f) for f in _REQUEST_FIELDS)
        veh = tuple(getattr(problem, f) for f in _VEHICLE_FIELDS)
        stale = _stale_vehicles(*req, *veh, routes, lengths, self.valid, self.stop_sig, self.vehicle_sig)
        self.rebuilt = len(stale)
        if len(stale):
            rows = self.rows
            _rebuild(problem.travel_time, *req, *veh, routes, lengths, stale, self.vehicle_sig, self.valid,
                     *rows[1:], *self.per_vehicle, self._lower)
        ptr = np.zeros(V + 1, dtype=np.int64)
        np.cumsum(lengths, out=ptr[1:])
        S = int(ptr[-1])
        arrays = {}
        for name, rows_of, dt in zip(_STOP_FIELDS, (routes,) + self.rows[1:], _STOP_DTYPES):
            out = np.empty(S, dtype=dt)
            _flatten(rows_of, lengths, ptr, out)
            arrays[name] = out
        start_seats, start_chairs, end_time, departure, bounds_ok = self.per_vehicle
        arrays.update(stop_ptr=ptr, start_seats=start_seats[:V].copy(), start_wheelchairs=start_chairs[:V].copy(),
                      end_time=end_time[:V].copy(), start_departure=departure[:V].copy())
        return arrays, bounds_ok[:V].copy()
