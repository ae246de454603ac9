"""Fleet snapshots that rebuild only the vehicles whose inputs changed.

A live dispatcher asks for the whole fleet's snapshot before every quote, but between two quotes
only a few vehicles change (a booking, an arrival, a boarding). :class:`SnapshotCache` keeps the
last fleet snapshot's flat arrays together with everything each vehicle's part was computed from:
the route's stop codes, the request fields of those stops (a shadow copy of the request arrays),
the vehicle's start, end and limits and the seats taken on board. Each call compares those inputs
with the current ones (no travel-time look-ups: cheap), recomputes the vehicles whose inputs differ
and copies the others' stops from the last arrays
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
def _changed_requests(changed, pickup_location, dropoff_location, seats, wheelchairs, pickup_earliest,
                      pickup_latest, dropoff_earliest, dropoff_latest, max_ride_time, pickup_service,
                      dropoff_service, onboard_vehicle, pickup_begin, shadow):
    """``changed[r]``: request ``r``'s fields differ from ``shadow[r]`` (then updated to them)."""
    for r in range(len(changed)):
        c = False
        row = shadow[r]
        for f, x in enumerate((np.int64(pickup_location[r]), np.int64(dropoff_location[r]), np.int64(seats[r]),
                               np.int64(wheelchairs[r]), np.int64(pickup_earliest[r]), np.int64(pickup_latest[r]),
                               np.int64(dropoff_earliest[r]), np.int64(dropoff_latest[r]),
                               np.int64(max_ride_time[r]), np.int64(pickup_service[r]),
                               np.int64(dropoff_service[r]), np.int64(onboard_vehicle[r]),
                               np.int64(pickup_begin[r]))):
            if row[f] != x:
                row[f] = x
                c = True
        changed[r] = c


@njit(cache=True)
def _stale_vehicles(changed, onboard_vehicle, seats, wheelchairs, start_location, start_time, end_location,
                    end_latest, max_duration, routes, lengths, valid, prev_ptr, prev_code, vehicle_sig, end_time,
                    departure, empty_drive, is_stale):
    """Mark (``valid[v] = False``) and return every vehicle whose inputs differ from the recorded
    ones (route codes, requests on it, start, end, limits, load on board) and record the current
    inputs. An empty route whose only change is its start time is updated here (its snapshot is
    the start and the drive to the end: no travel-time look-up)."""
    V = len(start_location)
    onboard_seats, onboard_chairs = _onboard_loads(V, onboard_vehicle, seats, wheelchairs)
    cur = np.empty(_VEHICLE_SIG, dtype=np.int64)
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
        only_start = True
        for f in range(_VEHICLE_SIG):
            if vehicle_sig[v, f] != cur[f]:
                same = False
                if f != 4:
                    only_start = False
                vehicle_sig[v, f] = cur[f]
        if same:        # valid, so it was in the previous call with this length
            a = prev_ptr[v]
            for pos in range(n):
                c = routes[v, pos]
                if prev_code[a + pos] != c or changed[c // 2]:
                    same = False
                    break
        is_stale[v] = False
        if same:
            continue
        if n == 0 and only_start and valid[v]:
            # least_schedule of an empty route: leave at the start time, arrive after the drive
            departure[v] = start_time[v]
            end_time[v] = start_time[v] + empty_drive[v]
            continue
        valid[v] = False
        is_stale[v] = True
        m += 1
    return m


@njit(cache=True)
def _splice(tt, pickup_location, dropoff_location, seats, wheelchairs, pickup_earliest, pickup_latest,
            dropoff_earliest, dropoff_latest, max_ride_time, pickup_service, dropoff_service, onboard_vehicle,
            pickup_begin, start_location, start_time, end_location, end_latest, max_duration, routes, lengths, ptr,
            is_stale, vehicle_sig, valid, prev_ptr, p_loc, p_earliest, p_latest, p_service, p_seats_change,
            p_chairs_change, p_persons, p_pickup_position, p_ride_limit, p_begin, p_seats_after, p_chairs_after,
            p_suffix_ok, start_seats, start_chairs, end_time, departure, bounds_ok, empty_drive, lower):
    """The fleet's flat stop arrays: the stale vehicles' computed afresh (with their pruning
    flags), the others' copied from the previous call's arrays."""
    S = ptr[-1]
    code = np.empty(S, dtype=np.int64)
    loc = np.empty(S, dtype=np.int32)
    earliest = np.empty(S, dtype=np.int64)
    latest = np.empty(S, dtype=np.int64)
    service = np.empty(S, dtype=np.int64)
    seats_change = np.empty(S, dtype=np.int32)
    chairs_change = np.empty(S, dtype=np.int32)
    persons = np.empty(S, dtype=np.int32)
    pickup_position = np.empty(S, dtype=np.int32)
    ride_limit = np.empty(S, dtype=np.int64)
    begin = np.empty(S, dtype=np.int64)
    seats_after = np.empty(S, dtype=np.int32)
    chairs_after = np.empty(S, dtype=np.int32)
    suffix_ok = np.empty(S, dtype=np.bool_)
    for v in range(len(ptr) - 1):
        a = ptr[v]
        n = lengths[v]
        b = a + n
        for q in range(n):
            code[a + q] = routes[v, q]
        if is_stale[v]:
            s_load = vehicle_sig[v, 1]
            w_load = vehicle_sig[v, 2]
            start_seats[v] = s_load
            start_chairs[v] = w_load
            end_time[v], departure[v] = _vehicle_snapshot(
                tt, pickup_location, dropoff_location, seats, wheelchairs, pickup_earliest, pickup_latest,
                dropoff_earliest, dropoff_latest, max_ride_time, pickup_service, dropoff_service, onboard_vehicle,
                pickup_begin, start_location[v], start_time[v], end_location[v], end_latest[v], max_duration[v],
                code[a:b], n, s_load, w_load, loc[a:b], earliest[a:b], latest[a:b], service[a:b],
                seats_change[a:b], chairs_change[a:b], persons[a:b], pickup_position[a:b], ride_limit[a:b],
                begin[a:b], seats_after[a:b], chairs_after[a:b], suffix_ok[a:b], lower)
            # routing.darp.pruning's condition (b): no stop left earlier than driving there straight
            ok = True
            s = start_location[v]
            dep = departure[v]
            for q in range(a, b):
                if begin[q] + service[q] < dep + tt[s, loc[q]]:
                    ok = False
                    break
            bounds_ok[v] = ok
            empty_drive[v] = end_time[v] - departure[v]     # read for an empty route only
            valid[v] = True
        else:
            pa = prev_ptr[v] - a
            for q in range(a, b):
                loc[q] = p_loc[pa + q]
                earliest[q] = p_earliest[pa + q]
                latest[q] = p_latest[pa + q]
                service[q] = p_service[pa + q]
                seats_change[q] = p_seats_change[pa + q]
                chairs_change[q] = p_chairs_change[pa + q]
                persons[q] = p_persons[pa + q]
                pickup_position[q] = p_pickup_position[pa + q]
                ride_limit[q] = p_ride_limit[pa + q]
                begin[q] = p_begin[pa + q]
                seats_after[q] = p_seats_after[pa + q]
                chairs_after[q] = p_chairs_after[pa + q]
                suffix_ok[q] = p_suffix_ok[pa + q]
    return (code, loc, earliest, latest, service, seats_change, chairs_change, persons, pickup_position,
            ride_limit, begin, seats_after, chairs_after, suffix_ok)


def _grown(old: np.ndarray | None, shape: tuple, dtype, fill) -> np.ndarray:
    new = np.full(shape, fill, dtype=dtype)
    if old is not None:
        new[tuple(slice(0, min(a, b)) for a, b in zip(old.shape, shape))] = \
            old[tuple(slice(0, min(a, b)) for a, b in zip(old.shape, shape))]
    return new


class SnapshotCache:
    """The fleet snapshot of the last call, recomputed only where its inputs changed (module doc)."""

    def __init__(self):
        self._vehicles = 0
        self._tt_version = object()
        self.rebuilt = 0        # vehicles recomputed by the last call (for tests and benchmarks)
        self._shadow = np.zeros((0, len(_REQUEST_FIELDS)), dtype=np.int64)
        self._changed = np.zeros(0, dtype=np.bool_)
        self._lower = np.empty(16, dtype=np.int64)
        self._prev = (np.zeros(1, dtype=np.int64), tuple(np.zeros(0, dtype=dt) for dt in _STOP_DTYPES))
        self._alloc(16)

    def _alloc(self, vehicles: int) -> None:
        get = self.__dict__.get
        self.valid = _grown(get("valid"), (vehicles,), np.bool_, False)
        self.vehicle_sig = _grown(get("vehicle_sig"), (vehicles, _VEHICLE_SIG), np.int64, -1)
        self.per_vehicle = tuple(_grown(old, (vehicles,), dt, 0) for old, dt in zip(
            get("per_vehicle", (None,) * 6), (np.int32, np.int32, np.int64, np.int64, np.bool_, np.int64)))
        self._is_stale = np.zeros(vehicles, dtype=np.bool_)
        self._vehicles = vehicles

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
        if V > self._vehicles:
            self._alloc(max(V, 2 * self._vehicles))
        if len(self._lower) < routes.shape[1]:
            self._lower = np.empty(routes.shape[1], dtype=np.int64)
        if tt_version != self._tt_version:
            self.invalidate()
            self._tt_version = tt_version
        req = tuple(getattr(problem, f) for f in _REQUEST_FIELDS)
        R = len(req[0])
        if R != len(self._shadow):      # the request arrays grew: every request counts as changed
            self._shadow = np.full((R, len(_REQUEST_FIELDS)), -(2**62), dtype=np.int64)
            self._changed = np.zeros(R, dtype=np.bool_)
        _changed_requests(self._changed, *req, self._shadow)
        veh = tuple(getattr(problem, f) for f in _VEHICLE_FIELDS)
        start_seats, start_chairs, end_time, departure, bounds_ok, empty_drive = self.per_vehicle
        prev_ptr, prev = self._prev
        self.rebuilt = _stale_vehicles(self._changed, problem.onboard_vehicle, problem.seats, problem.wheelchairs,
                                       *veh, routes, lengths, self.valid, prev_ptr, prev[0], self.vehicle_sig,
                                       end_time, departure, empty_drive, self._is_stale)
        ptr = np.zeros(V + 1, dtype=np.int64)
        np.cumsum(lengths, out=ptr[1:])
        flat = _splice(problem.travel_time, *req, *veh, routes, lengths, ptr, self._is_stale, self.vehicle_sig,
                       self.valid, prev_ptr, *prev[1:], *self.per_vehicle, self._lower)
        self._prev = (ptr, flat)
        arrays = dict(zip(_STOP_FIELDS, flat))
        arrays.update(stop_ptr=ptr, start_seats=start_seats[:V].copy(), start_wheelchairs=start_chairs[:V].copy(),
                      end_time=end_time[:V].copy(), start_departure=departure[:V].copy())
        return arrays, bounds_ok[:V].copy()
