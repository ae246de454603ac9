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
                    end_latest, max_duration, routes, lengths, valid, codes, vehicle_sig, end_time, departure,
                    empty_drive):
    """Mark (``valid[v] = False``) and return every vehicle whose inputs differ from the recorded
    ones (route codes, requests on it, start, end, limits, load on board) and record the current
    inputs. An empty route whose only change is its start time is updated here (its snapshot is
    the start and the drive to the end: no travel-time look-up)."""
    V = len(start_location)
    onboard_seats, onboard_chairs = _onboard_loads(V, onboard_vehicle, seats, wheelchairs)
    stale = np.empty(V, dtype=np.int64)
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
        for pos in range(n):
            c = routes[v, pos]
            if codes[v, pos] != c:
                codes[v, pos] = c
                same = False
            if changed[c // 2]:
                same = False
        if same:
            continue
        if n == 0 and only_start and valid[v]:
            # least_schedule of an empty route: leave at the start time, arrive after the drive
            departure[v] = start_time[v]
            end_time[v] = start_time[v] + empty_drive[v]
            continue
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
             end_time, departure, bounds_ok, empty_drive, lower):
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
        empty_drive[v] = end_time[v] - departure[v]     # read for an empty route only
        valid[v] = True


@njit(cache=True)
def _flatten(lengths, ptr, code, loc, earliest, latest, service, seats_change, chairs_change, persons,
             pickup_position, ride_limit, begin, seats_after, chairs_after, suffix_ok):
    """The per-vehicle rows one after the other (vehicle ``v``'s at ``ptr[v]:ptr[v+1]``)."""
    S = ptr[-1]
    o_code = np.empty(S, dtype=np.int64)
    o_loc = np.empty(S, dtype=np.int32)
    o_earliest = np.empty(S, dtype=np.int64)
    o_latest = np.empty(S, dtype=np.int64)
    o_service = np.empty(S, dtype=np.int64)
    o_seats_change = np.empty(S, dtype=np.int32)
    o_chairs_change = np.empty(S, dtype=np.int32)
    o_persons = np.empty(S, dtype=np.int32)
    o_pickup_position = np.empty(S, dtype=np.int32)
    o_ride_limit = np.empty(S, dtype=np.int64)
    o_begin = np.empty(S, dtype=np.int64)
    o_seats_after = np.empty(S, dtype=np.int32)
    o_chairs_after = np.empty(S, dtype=np.int32)
    o_suffix_ok = np.empty(S, dtype=np.bool_)
    for v in range(len(ptr) - 1):
        a = ptr[v]
        for q in range(lengths[v]):
            o_code[a + q] = code[v, q]
            o_loc[a + q] = loc[v, q]
            o_earliest[a + q] = earliest[v, q]
            o_latest[a + q] = latest[v, q]
            o_service[a + q] = service[v, q]
            o_seats_change[a + q] = seats_change[v, q]
            o_chairs_change[a + q] = chairs_change[v, q]
            o_persons[a + q] = persons[v, q]
            o_pickup_position[a + q] = pickup_position[v, q]
            o_ride_limit[a + q] = ride_limit[v, q]
            o_begin[a + q] = begin[v, q]
            o_seats_after[a + q] = seats_after[v, q]
            o_chairs_after[a + q] = chairs_after[v, q]
            o_suffix_ok[a + q] = suffix_ok[v, q]
    return (o_code, o_loc, o_earliest, o_latest, o_service, o_seats_change, o_chairs_change, o_persons,
            o_pickup_position, o_ride_limit, o_begin, o_seats_after, o_chairs_after, o_suffix_ok)


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
        self._shadow = np.zeros((0, len(_REQUEST_FIELDS)), dtype=np.int64)
        self._changed = np.zeros(0, dtype=np.bool_)
        self._alloc(16, 16)

    def _alloc(self, vehicles: int, stops: int) -> None:
        get = self.__dict__.get
        self.valid = _grown(get("valid"), (vehicles,), np.bool_, False)
        self.vehicle_sig = _grown(get("vehicle_sig"), (vehicles, _VEHICLE_SIG), np.int64, -1)
        # rows[0]: the route codes the rows were computed for
        self.rows = tuple(_grown(old, (vehicles, stops), dt, -1 if k == 0 else 0) for k, (old, dt) in enumerate(
            zip(get("rows", (None,) * len(_STOP_DTYPES)), _STOP_DTYPES)))
        self.per_vehicle = tuple(_grown(old, (vehicles,), dt, 0) for old, dt in zip(
            get("per_vehicle", (None,) * 6), (np.int32, np.int32, np.int64, np.int64, np.bool_, np.int64)))
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
        R = len(req[0])
        if R != len(self._shadow):      # the request arrays grew: every request counts as changed
            self._shadow = np.full((R, len(_REQUEST_FIELDS)), -(2**62), dtype=np.int64)
            self._changed = np.zeros(R, dtype=np.bool_)
        _changed_requests(self._changed, *req, self._shadow)
        veh = tuple(getattr(problem, f) for f in _VEHICLE_FIELDS)
        start_seats, start_chairs, end_time, departure, bounds_ok, empty_drive = self.per_vehicle
        rows = self.rows
        stale = _stale_vehicles(self._changed, problem.onboard_vehicle, problem.seats, problem.wheelchairs, *veh,
                                routes, lengths, self.valid, rows[0], self.vehicle_sig, end_time, departure,
                                empty_drive)
        self.rebuilt = len(stale)
        if len(stale):
            _rebuild(problem.travel_time, *req, *veh, routes, lengths, stale, self.vehicle_sig, self.valid,
                     *rows[1:], *self.per_vehicle, self._lower)
        ptr = np.zeros(V + 1, dtype=np.int64)
        np.cumsum(lengths, out=ptr[1:])
        arrays = dict(zip(_STOP_FIELDS, _flatten(lengths, ptr, *rows)))
        arrays.update(stop_ptr=ptr, start_seats=start_seats[:V].copy(), start_wheelchairs=start_chairs[:V].copy(),
                      end_time=end_time[:V].copy(), start_departure=departure[:V].copy())
        return arrays, bounds_ok[:V].copy()
