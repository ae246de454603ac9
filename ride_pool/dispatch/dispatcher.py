"""The dispatcher of one service area: quotes, bookings, driver reports and re-optimisation.

It holds the live plans in memory, reads time only from an injected ``clock`` (wall time in the
service, simulated time in the simulator) and hands every state change, with its named cause, to
a :class:`~ride_pool.dispatch.store.Store` in one atomic commit *before* the change becomes
visible. Routing decisions come from the dispatch core in :mod:`routing.darp`: the numba insertion
search for quotes and bookings, the optimiser (:func:`routing.darp.solver.solve`) for periodic
re-optimisation that may move riders only inside their promised windows.

Planning model: each vehicle shift is one vehicle of the dial-a-ride problem. It starts from its
*anchor* (where and when it is next free: the depot at shift start, the last stop served, the
place it last reported, or the stop it has committed to drive to) and must be back at its depot by
the shift end. Each active booking is one request whose pickup window is the promised window.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import math
import numbers
import threading
import uuid
from dataclasses import dataclass
from typing import Callable

import numpy as np

from routing.darp.insertion import NewRequest, best_insertions, insert_into_route
from routing.darp.problem import MUST_SERVE, NO_LIMIT, DarpProblem, Plan
from routing.darp.snapshot import fleet_snapshots, flat_snapshots, route_snapshots
from routing.errors import RoutingInputError
from routing.travel_times import TravelTimes
from ride_pool.dispatch.domain import (
    CALLER_NAME_MAX, CALLER_PHONE_MAX,
    Booking, BookingStatus, Event, EventKind, Offer, Place, RejectCause, Step, StepKind, TripRequest, VehicleShift,
    idempotency_scope,
)
from ride_pool.dispatch.locations import UNREACHABLE_S, LocationTable, fastest_path_time_and_length, path_work
from ride_pool.dispatch.rules import ServiceRules
from ride_pool.dispatch.store import Change, InMemoryStore, Store, StoredState

log = logging.getLogger(__name__)


class DispatchError(Exception):
    """An operation that does not fit the current state (the message says why)."""

    status = 409


class DispatchInputError(DispatchError):
    """Input the dispatcher cannot use (the message says what to fix)."""

    status = 422


class NotFound(DispatchError):
    status = 404


class BookingRefused(DispatchError):
    """Booking an offer failed: ``cause`` names why."""

    def __init__(self, cause: RejectCause, message: str, booking: Booking | None = None):
        super().__init__(message)
        self.cause = cause
        self.booking = booking


class OutsideServiceArea(DispatchInputError):
    cause = RejectCause.OUTSIDE_SERVICE_AREA


@dataclass
class Quote:
    quote_id: str
    offers: list[Offer]
    reject_cause: RejectCause | None = None
    reject_message: str = ""
    requested_time: int | None = None
    direct_s: int | None = None
    direct_m: int | None = None


@dataclass(frozen=True)
class PlannedStep:
    """One stop of a vehicle's plan with its planned times (epoch seconds)."""

    booking_id: str
    kind: StepKind
    node: int
    place: Place
    arrival: int
    begin: int
    departure: int
    passengers: int
    wheelchairs: int
    seats_after: int
    wheelchairs_after: int
    window_earliest: int
    window_latest: int


@dataclass
class _Leg:
    """A drive in progress: from the stop (or place) it started at, since ``started``.

    ``committed``: announced by ``vehicle_departed`` towards ``to_node``, which is then the
    vehicle's anchor until it arrives; otherwise seen only through position reports, and the
    anchor follows the latest one."""

    from_node: int
    to_node: int
    started: int
    committed: bool = True


class _Tables:
    """The live dial-a-ride data as the flat arrays :func:`build_snapshots` reads.

    Request arrays are indexed by request slot (one per active booking, reused), vehicle arrays
    by vehicle slot (one per open shift)."""

    _REQ = {"pickup_location": np.int32, "dropoff_location": np.int32, "seats": np.int32, "wheelchairs": np.int32,
            "pickup_earliest": np.int64, "pickup_latest": np.int64, "dropoff_earliest": np.int64,
            "dropoff_latest": np.int64, "max_ride_time": np.int64, "pickup_service": np.int64,
            "dropoff_service": np.int64, "onboard_vehicle": np.int32, "pickup_begin": np.int64}
    _VEH = {"start_location": np.int32, "end_location": np.int32, "start_time": np.int64, "end_latest": np.int64,
            "seat_capacity": np.int32, "wheelchair_capacity": np.int32, "max_duration": np.int64,
            # not read by the dispatch core: what the start time is derived from
            "anchor_time": np.int64, "shift_start": np.int64, "shift_end": np.int64, "ended": np.bool_,
            "route_length": np.int64}

    def __init__(self, locations: LocationTable):
        self.locations = locations
        for name, dt in self._REQ.items():
            setattr(self, name, np.zeros(64, dtype=dt))
        self.onboard_vehicle[:] = -1
        for name, dt in self._VEH.items():
            setattr(self, name, np.zeros(0, dtype=dt))
        self._free = list(range(63, -1, -1))

    @property
    def travel_time(self) -> np.ndarray:
        return self.locations.matrix

    @property
    def vehicle_count(self) -> int:
        return len(self.start_location)

    def alloc(self) -> int:
        if not self._free:
            old = len(self.pickup_location)
            for name in self._REQ:
                arr = getattr(self, name)
                grown = np.zeros(2 * old, dtype=arr.dtype)
                grown[:old] = arr
                setattr(self, name, grown)
            self.onboard_vehicle[old:] = -1
            self._free = list(range(2 * old - 1, old - 1, -1))
        return self._free.pop()

    def release(self, r: int) -> None:
        self.onboard_vehicle[r] = -1
        self.seats[r] = 0
        self.wheelchairs[r] = 0
        self._free.append(r)

    def add_vehicle(self) -> int:
        for name in self._VEH:
            setattr(self, name, np.append(getattr(self, name), 0).astype(self._VEH[name]))
        self.max_duration[-1] = NO_LIMIT
        return self.vehicle_count - 1


def _new_id() -> str:
    return uuid.uuid4().hex


class Dispatcher:
    """Dispatcher of one service area (thread-safe: one lock around every operation)."""

    def __init__(self, travel_times: TravelTimes, *, rules: ServiceRules | None = None, store: Store | None = None,
                 clock: Callable[[], int], new_id: Callable[[], str] | None = None,
                 service_area: list | None = None, name: str = "default", location_capacity: int = 256):
        self.tt = travel_times
        self.rules = rules or ServiceRules()
        self.store = store if store is not None else InMemoryStore()
        self.clock = clock
        self.name = name
        self.new_id = new_id or _new_id
        self.service_area = None
        self.set_service_area(service_area)
        self.locations = LocationTable(travel_times, capacity=location_capacity)
        self._tables = _Tables(self.locations)
        self._lock = threading.RLock()
        self.shifts: dict[int, VehicleShift] = {}
        self.bookings: dict[str, Booking] = {}
        self.offers: dict[str, Offer] = {}
        self._prune_at = 512
        self.no_shows: dict[int, int] = {}
        self._rider_active: dict[int, set[str]] = {}
        self._idempotent: dict[tuple[str, str], str] = {}
        self._rslot: dict[str, int] = {}            # booking id -> request slot
        self._vslots: list[int | None] = []         # vehicle slot -> shift id (None: closed slot)
        self._vslot_of: dict[int, int] = {}
        self._codes: list[list[int]] = []           # vehicle slot -> route as stop codes
        self._code_arrays: list[np.ndarray] = []    # the same as int64 arrays
        self._snap = None                           # the last fleet snapshot and its key
        self._snap_key = None
        self._slot_booking: dict[int, str] = {}     # request slot -> booking id (inverse of _rslot)
        self._slot_steps: dict[int, tuple[Step, Step]] = {}   # request slot -> its (pickup, drop-off) steps
        self._slot_vehicle: dict[int, int] = {}     # request slot -> vehicle slot whose route holds it
        self._legs: dict[int, _Leg] = {}
        self._distance_cache: dict[tuple[int, int], int] = {}
        self._path_work = None
        self._listeners: list[Callable[[Event], None]] = []
        self.version = 0                            # bumped by every plan change
        self._stop_background = threading.Event()
        self._background: threading.Thread | None = None

    # ------------------------------------------------------------------ infrastructure
    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback(event)`` after every committed event; returns an unsubscribe function."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    def _now(self) -> int:
        return int(self.clock())

    def _commit(self, change: Change, *, durable: bool = True) -> None:
        """Persist ``change``; ``durable=False`` for records whose loss in a crash costs a rider
        only a new quote (quotes, offers, declines, refusals): a store with ``commit_soon`` then
        writes them behind, outside the answer's critical path. Bookings and plan changes are
        always durable before they become visible."""
        if not change:
            return
        if not durable:
            commit_soon = getattr(self.store, "commit_soon", None)
            if commit_soon is not None:
                commit_soon(change)
                return
        self.store.commit(change)

    def _publish(self, events) -> None:
        for event in events:
            for callback in list(self._listeners):
                try:
                    callback(event)
                except Exception:  # a listener must never break dispatching
                    log.exception("event listener failed")

    def _keep_nodes(self):
        keep = set()
        for b in self.bookings.values():
            if b.status.active:
                keep.add(b.origin.node)
                keep.add(b.destination.node)
        now = self._now()
        for o in self.offers.values():     # only offers that can still be booked
            if o.booking_id is None and o.expires_at >= now:
                keep.add(o.request.origin.node)
                keep.add(o.request.destination.node)
        for s in self.shifts.values():
            keep.add(s.anchor_node)
            keep.add(s.depot.node)
        return keep

    def _slots(self, nodes) -> list[int]:
        return self.locations.slots(nodes, keep=self._keep_nodes)

    def distance_m(self, from_node: int, to_node: int) -> int:
        """Length in metres of the fastest path (the one ``TravelTimes.route`` gives; cached; 0 when
        there is none)."""
        key = (int(from_node), int(to_node))
        if key[0] == key[1]:
            return 0
        d = self._distance_cache.get(key)
        if d is None:
            if len(self._distance_cache) > 200_000:
                self._distance_cache.clear()
            net = self.tt.network
            if not (0 <= key[0] < net.node_count and 0 <= key[1] < net.node_count):
                return 0
            with self._lock:    # one set of work arrays
                if self._path_work is None:
                    self._path_work = path_work(self.tt)
                d = fastest_path_time_and_length(self.tt, *key, work=self._path_work)[1]
            self._distance_cache[key] = d
        return d

    def travel_time_s(self, from_node: int, to_node: int) -> int:
        with self._lock:
            a, b = self._slots([from_node, to_node])
            return int(self.locations.matrix[a, b])

    # ------------------------------------------------------------------ places and area
    def set_service_area(self, polygon) -> None:
        """Limit pickups and drop-offs to a polygon: a list of ``[lon, lat]`` points (or a GeoJSON
        Polygon dict); None means everywhere near the road network."""
        if polygon is None:
            self.service_area = None
            return
        from matplotlib.path import Path as _Path

        ring = polygon
        if isinstance(polygon, dict):
            rings = polygon.get("coordinates")
            ring = rings[0] if isinstance(rings, (list, tuple)) and rings else None
        try:
            pts = np.asarray(ring, dtype=np.float64)
        except (TypeError, ValueError):
            pts = np.zeros((0, 0))
        if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 3 or not np.isfinite(pts).all():
            raise DispatchInputError("the service area must be a polygon of at least 3 [lon, lat] points")
        if np.any(np.abs(pts[:, 0]) > 180) or np.any(np.abs(pts[:, 1]) > 90):
            raise DispatchInputError("service area points must be [lon, lat] in WGS84 degrees")
        self.service_area = _Path(pts)
        self._area_points = pts.tolist()

    def service_area_polygon(self):
        return None if self.service_area is None else self._area_points

    def place(self, lat: float, lon: float, name: str = "", stop_id: int | None = None) -> Place:
        """A pickup/drop-off place at a coordinate (snapped to the nearest road node)."""
        try:
            lat, lon = float(lat), float(lon)
        except (TypeError, ValueError):
            raise DispatchInputError("lat and lon must be numbers (WGS84 degrees)") from None
        if not (np.isfinite(lat) and np.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
            raise DispatchInputError(f"invalid coordinate lat={lat}, lon={lon}: latitude must be in [-90, 90] and "
                                     "longitude in [-180, 180]")
        if self.service_area is not None and not self.service_area.contains_point((lon, lat)):
            raise OutsideServiceArea(f"the point lat={lat:.5f}, lon={lon:.5f} lies outside the service area")
        try:
            node, _ = self.tt.snap(lon, lat)
        except RoutingInputError as exc:
            raise OutsideServiceArea(f"the point lat={lat:.5f}, lon={lon:.5f} lies outside the service area "
                                     f"({exc})") from None
        return Place(node=node, lat=lat, lon=lon, name=name, stop_id=stop_id)

    def place_at_node(self, node: int, name: str = "", stop_id: int | None = None) -> Place:
        net = self.tt.network
        if not 0 <= int(node) < net.node_count:
            raise DispatchInputError(f"node {node} is not in the road network (0..{net.node_count - 1})")
        return Place(node=int(node), lat=float(net.node_lat[node]), lon=float(net.node_lon[node]), name=name,
                     stop_id=stop_id)

    # ------------------------------------------------------------------ fleet
    def add_shift(self, shift_id: int, vehicle_id: int, label: str, seats: int, wheelchair_places: int,
                  start: int, end: int, depot: Place, driver_id: int | None = None) -> VehicleShift:
        """Put a vehicle shift into service (it can take bookings for its hours right away)."""
        with self._lock:
            if shift_id in self.shifts:
                raise DispatchError(f"shift {shift_id} exists already")
            if seats < 0 or wheelchair_places < 0 or seats + wheelchair_places == 0:
                raise DispatchInputError("a vehicle needs at least one seat or wheelchair place")
            if end <= start:
                raise DispatchInputError("a shift must end after it starts")
            shift = VehicleShift(shift_id=shift_id, vehicle_id=vehicle_id, label=label, seats=seats,
                                 wheelchair_places=wheelchair_places, start=int(start), end=int(end), depot=depot,
                                 anchor_node=depot.node, anchor_time=int(start), driver_id=driver_id)
            event = Event(self._now(), EventKind.SHIFT_ADDED, "operator", vehicle_id=vehicle_id, shift_id=shift_id,
                          data={"start": int(start), "end": int(end), "seats": seats,
                                "wheelchair_places": wheelchair_places})
            self._commit(Change(shifts=[shift], events=[event]))
            self._install_shift(copy.deepcopy(shift))
            self._publish([event])
            return shift

    def _install_shift(self, shift: VehicleShift) -> int:
        self.shifts[shift.shift_id] = shift
        self._slots([shift.depot.node, shift.anchor_node])
        t = self._tables
        v = t.add_vehicle()
        self._vslots.append(shift.shift_id)
        self._vslot_of[shift.shift_id] = v
        self._codes.append([])
        self._code_arrays.append(np.zeros(0, dtype=np.int64))
        self._set_vehicle_arrays(v, shift)
        return v

    def _set_vehicle_arrays(self, v: int, shift: VehicleShift) -> None:
        t = self._tables
        open_ = not shift.ended
        t.seat_capacity[v] = shift.seats if open_ else 0
        t.wheelchair_capacity[v] = shift.wheelchair_places if open_ else 0
        t.end_location[v] = self._slots([shift.depot.node])[0]
        t.end_latest[v] = shift.end if open_ else NO_LIMIT
        t.start_location[v] = self._slots([shift.anchor_node])[0]
        t.anchor_time[v] = shift.anchor_time
        t.shift_start[v] = shift.start
        t.shift_end[v] = shift.end
        t.ended[v] = shift.ended

    def shift(self, shift_id: int) -> VehicleShift:
        try:
            return self.shifts[shift_id]
        except KeyError:
            raise NotFound(f"shift {shift_id} is not known to the dispatcher") from None

    def start_shift(self, shift_id: int, driver_id: int | None = None) -> VehicleShift:
        with self._lock:
            shift = self.shift(shift_id)
            if shift.ended:
                raise DispatchError(f"shift {shift_id} has ended already")
            now = self._now()
            new = dataclasses.replace(shift, started=True, driver_id=driver_id if driver_id is not None
                                      else shift.driver_id)
            event = Event(now, EventKind.SHIFT_STARTED, "driver", vehicle_id=shift.vehicle_id, shift_id=shift_id,
                          data={"start": shift.start, "end": shift.end, "driver_id": new.driver_id})
            self._commit(Change(shifts=[new], events=[event]))
            shift.started, shift.driver_id = True, new.driver_id
            self._publish([event])
            return shift

    def end_shift(self, shift_id: int, cause: str = "driver") -> VehicleShift:
        """End a shift; refused while it still has planned stops."""
        with self._lock:
            shift = self.shift(shift_id)
            if shift.ended:
                return shift
            if shift.route:
                raise DispatchError(f"shift {shift_id} still has {len(shift.route)} planned stops; serve or "
                                    "cancel them before ending it")
            now = self._now()
            new = dataclasses.replace(shift, ended=True)
            event = Event(now, EventKind.SHIFT_ENDED, cause, vehicle_id=shift.vehicle_id, shift_id=shift_id,
                          data={"start": shift.start, "end": shift.end, "ended_at": now,
                                "started_at": shift.start})
            self._commit(Change(shifts=[new], events=[event]))
            shift.ended = True
            v = self._vslot_of[shift_id]
            self._set_vehicle_arrays(v, shift)
            self._touch()
            self._publish([event])
            return shift

    # ------------------------------------------------------------------ snapshots
    def _touch(self) -> None:
        self.version += 1

    def _refresh_start(self, v: int, now: int) -> None:
        """Vehicle ``v`` starts from its anchor (``start_location``, kept by :meth:`_move_anchor`),
        not before ``now`` nor its shift start, and not after the end of an open shift."""
        t = self._tables
        start = max(int(t.anchor_time[v]), now, int(t.shift_start[v]))
        if not t.ended[v] and start > t.shift_end[v]:
            start = int(t.shift_end[v])
        t.start_time[v] = start

    def _refresh_starts(self, now: int) -> None:
        """:meth:`_refresh_start` for every vehicle at once."""
        t = self._tables
        start = np.maximum(np.maximum(t.anchor_time, now), t.shift_start)
        t.start_time[:] = np.where(~t.ended & (start > t.shift_end), t.shift_end, start)

    def _snapshots(self, now: int):
        """Snapshots of the whole fleet as of ``now`` (one numba call). The last one is kept
        while nothing changed (same plan version, time and fleet): a booking right after its
        quote reuses the quote's."""
        t = self._tables
        V = t.vehicle_count
        key = (self.version, now, V)
        if self._snap_key == key:
            return self._snap
        self._refresh_starts(now)
        ptr = np.zeros(V + 1, dtype=np.int64)
        np.cumsum(t.route_length, out=ptr[1:])
        codes = np.concatenate(self._code_arrays) if V else np.zeros(0, dtype=np.int64)
        self._snap = fleet_snapshots(t, flat_snapshots(t, np.arange(V, dtype=np.int64), ptr, codes))
        self._snap_key = key
        return self._snap

    def _schedule(self, v: int, codes: list[int] | None = None, now: int | None = None) -> dict:
        """Snapshot arrays of route ``codes`` (default: its planned route) on vehicle ``v`` alone
        (least feasible schedule); its start is refreshed first when ``now`` is given."""
        if now is not None:
            self._refresh_start(v, now)
        if codes is None:
            arr = self._code_arrays[v]
            return flat_snapshots(self._tables, np.array([v], dtype=np.int64),
                                  np.array([0, len(arr)], dtype=np.int64), arr)
        return route_snapshots(self._tables, [codes], [v])

    # ------------------------------------------------------------------ quotes
    def _validate_request(self, request: TripRequest) -> TripRequest:
        """``request`` checked, with plain ``int`` counts and times (numpy numbers are fine too)."""
        r = self.rules

        def whole(value) -> bool:
            return isinstance(value, numbers.Integral) and not isinstance(value, bool)

        if not whole(request.passengers) or not 1 <= request.passengers <= r.max_passengers:
            raise DispatchInputError(f"passengers must be a whole number between 1 and {r.max_passengers}")
        if not whole(request.wheelchairs) or not 0 <= request.wheelchairs <= r.max_wheelchairs:
            raise DispatchInputError(f"wheelchairs must be a whole number between 0 and {r.max_wheelchairs}")
        if request.wheelchairs > request.passengers:
            raise DispatchInputError("wheelchairs cannot exceed passengers (a wheelchair user is a passenger too)")
        if request.pickup_after is not None and request.arrive_by is not None:
            raise DispatchInputError("give either pickup_after or arrive_by, not both")
        times = {}
        for name in ("pickup_after", "arrive_by"):
            value = getattr(request, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
                raise DispatchInputError(f"{name} must be a time in epoch seconds")
            times[name] = int(value)
        net = self.tt.network
        for name in ("origin", "destination"):
            place = getattr(request, name)
            if not isinstance(place, Place):
                raise DispatchInputError(f"{name} must be a place (use Dispatcher.place or place_at_node)")
            if not whole(place.node) or not 0 <= place.node < net.node_count:
                raise DispatchInputError(f"{name}: node {place.node!r} is not in the road network "
                                         f"(0..{net.node_count - 1})")
        if request.channel not in ("app", "phone", "simulation"):
            raise DispatchInputError(f"channel must be 'app', 'phone' or 'simulation', got {request.channel!r}")
        for name, longest in (("caller_name", CALLER_NAME_MAX), ("caller_phone", CALLER_PHONE_MAX)):
            value = getattr(request, name)
            if value is not None and (not isinstance(value, str) or not 1 <= len(value) <= longest):
                raise DispatchInputError(f"{name} must be a text of 1 to {longest} characters or None")
        return dataclasses.replace(request, passengers=int(request.passengers),
                                   wheelchairs=int(request.wheelchairs), **times)

    def _rider_rule(self, request: TripRequest) -> tuple[RejectCause, str] | None:
        if request.rider_id is None or request.channel == "simulation":
            return None
        if request.channel == "app" and self.no_shows.get(request.rider_id, 0) >= self.rules.no_show_limit:
            return (RejectCause.NO_SHOW_LIMIT, f"after {self.rules.no_show_limit} missed pickups, rides can only be "
                    "booked by phone with the operator")
        active = len(self._rider_active.get(request.rider_id, ()))
        if active >= self.rules.max_active_bookings:
            return (RejectCause.MAX_ACTIVE_BOOKINGS, f"you already have {active} open bookings, the most allowed; "
                    "cancel one or wait until a ride is done")
        return None

    def _earliest_allowed(self, now: int, channel: str, trip_s: int = 0) -> int:
        """The earliest pickup window start the rules allow for a booking made ``now``: after the
        lead time, in whole minutes, inside the operating hours with the whole trip (``trip_s``
        from the window start to the arrival) before the closing time, and (app) not an early
        trip whose booking cut-off has passed."""
        r = self.rules
        first = t = now + (r.min_lead_s if channel != "simulation" else 0)
        for _ in range(12):
            opening = r.next_opening(t)
            if opening is None:
                break
            t = -(-opening // 60) * 60   # whole minutes, rounded up
            span = r.operating_span(t)
            if span is None:
                continue
            cutoff = r.early_cutoff(t)
            if cutoff is not None and now > cutoff and channel == "app":
                t = r.early_trip_start(t)
                continue
            if t + trip_s > span[1]:
                t = span[1] + 1          # the trip would end after closing: the next opening
                continue
            return t
        return -(-first // 60) * 60

    def quote(self, request: TripRequest) -> Quote:
        """Offers (binding pickup windows) for ``request``, or the reason there is none."""
        request = self._validate_request(request)
        with self._lock:
            now = self._now()
            quote_id = self.new_id()
            r = self.rules
            o, d = request.origin, request.destination
            so, sd = self._slots([o.node, d.node])
            M = self.locations.matrix
            direct_s = int(M[so, sd])
            direct_m = self.distance_m(o.node, d.node) if direct_s < UNREACHABLE_S else 0
            if request.arrive_by is not None:
                requested = int(request.arrive_by) - r.pickup_service_s(request.wheelchairs) - direct_s - r.window_s
            elif request.pickup_after is not None:
                requested = int(request.pickup_after)
            else:
                requested = self._earliest_allowed(now, request.channel, r.window_s
                                                   + r.pickup_service_s(request.wheelchairs) + direct_s)
            received = Event(now, EventKind.REQUEST_RECEIVED, request.channel, rider_id=request.rider_id, data={
                "quote_id": quote_id, "origin_node": o.node, "destination_node": d.node,
                "passengers": request.passengers, "wheelchairs": request.wheelchairs, "requested_time": requested,
                "direct_s": direct_s, "direct_m": direct_m, "channel": request.channel,
                "arrive_by": request.arrive_by})

            def reject(cause: RejectCause, message: str) -> Quote:
                event = Event(now, EventKind.REQUEST_REJECTED, cause.value, rider_id=request.rider_id,
                              data={"quote_id": quote_id, "message": message})
                self._commit(Change(events=[received, event]), durable=False)
                self._publish([received, event])
                return Quote(quote_id, [], cause, message, requested, direct_s, direct_m)

            if o.node == d.node:
                return reject(RejectCause.SAME_PLACE, "origin and destination are the same place; choose a different "
                              "destination")
            if direct_s >= UNREACHABLE_S:
                return reject(RejectCause.OUTSIDE_SERVICE_AREA, "the destination cannot be reached by road from the "
                              "origin within the service area")
            broken = self._rider_rule(request)
            if broken:
                return reject(*broken)
            seats = request.passengers - request.wheelchairs
            t = self._tables
            if not np.any(~t.ended & (t.seat_capacity >= seats) & (t.wheelchair_capacity >= request.wheelchairs)):
                return reject(RejectCause.NO_VEHICLE_FITS, f"no vehicle has room for {request.passengers} passengers "
                              f"with {request.wheelchairs} wheelchairs; split the group or call the operator")
            ps, ds = r.pickup_service_s(request.wheelchairs), r.dropoff_service_s(request.wheelchairs)
            max_ride = r.max_ride_s(direct_s)
            W, step = r.window_s, max(60, r.window_s // 2)
            if request.arrive_by is not None and int(request.arrive_by) < now:
                return reject(RejectCause.IN_THE_PAST, "the arrival time has already passed; choose a later time")
            snaps = self._snapshots(now)
            for k in range(r.alternatives + 1):
                if request.arrive_by is not None:
                    dl = int(request.arrive_by) - k * step
                    pl = dl - ps - direct_s
                    pe = pl - W
                else:
                    pe = requested + k * step
                    pl = pe + W
                    dl = pl + ps + max_ride
                broken = r.check_pickup(pe, pl + ps + direct_s, now, request.channel)
                if broken:
                    if k == 0:      # the time asked for (or the earliest allowed) breaks a rule
                        return reject(*broken)
                    continue
                new = NewRequest(so, sd, seats, request.wheelchairs, pe, pl, pe, dl, max_ride, ps, ds)
                ins = best_insertions(snaps, new, M, M, delay_weight=r.delay_weight)
                v = ins.best_vehicle
                if v < 0:
                    continue
                offer = self._make_offer(quote_id, request, v, ins, new, now, direct_s, direct_m, alternative=k > 0)
                self.offers[offer.offer_id] = offer
                event = Event(now, EventKind.OFFER_MADE, "dispatcher", rider_id=request.rider_id, data={
                    "quote_id": quote_id, "offer_id": offer.offer_id, "pickup_earliest": pe, "pickup_latest": pl,
                    "dropoff_latest": dl, "alternative": k > 0})
                try:
                    self._commit(Change(offers=[offer], events=[received, event]), durable=False)
                except Exception:
                    del self.offers[offer.offer_id]
                    raise
                self._publish([received, event])
                self._prune_offers(now)
                return Quote(quote_id, [offer], None, "", requested, direct_s, direct_m)
            return reject(RejectCause.NO_VEHICLE_AVAILABLE, "no vehicle can make this trip around that time; try "
                          "another time")

    def _make_offer(self, quote_id, request, v, ins, new: NewRequest, now, direct_s, direct_m, alternative) -> Offer:
        i, j = int(ins.pickup_position[v]), int(ins.dropoff_position[v])
        planned = self._planned_for(v, new, i, j)
        return Offer(offer_id=self.new_id(), quote_id=quote_id, request=request, pickup_earliest=new.pickup_earliest,
                     pickup_latest=new.pickup_latest, dropoff_latest=new.dropoff_latest, planned_pickup=planned[0],
                     planned_dropoff=planned[1], vehicle_id=self.shifts[self._vslots[v]].vehicle_id,
                     expires_at=now + self.rules.offer_ttl_s, direct_s=direct_s, direct_m=direct_m,
                     max_ride_s=new.max_ride_time, alternative=alternative)

    def _fill_request(self, rs: int, new: NewRequest) -> None:
        t = self._tables
        t.pickup_location[rs], t.dropoff_location[rs] = new.pickup_location, new.dropoff_location
        t.seats[rs], t.wheelchairs[rs] = new.seats, new.wheelchairs
        t.pickup_earliest[rs], t.pickup_latest[rs] = new.pickup_earliest, new.pickup_latest
        t.dropoff_earliest[rs], t.dropoff_latest[rs] = new.dropoff_earliest, new.dropoff_latest
        t.max_ride_time[rs] = new.max_ride_time
        t.pickup_service[rs], t.dropoff_service[rs] = new.pickup_service, new.dropoff_service
        t.onboard_vehicle[rs] = -1
        t.pickup_begin[rs] = 0

    def _planned_for(self, v: int, new: NewRequest, i: int, j: int) -> tuple[int, int]:
        rs = self._tables.alloc()
        try:
            self._fill_request(rs, new)
            codes = insert_into_route(self._codes[v], rs, i, j)
            begin = self._schedule(v, codes)["begin"]
            return int(begin[codes.index(2 * rs)]), int(begin[codes.index(2 * rs + 1)])
        finally:
            self._tables.release(rs)

    def _prune_offers(self, now: int) -> None:
        """Forget offers expired over an hour ago, once more than 512 (and 256 more than after the
        last pruning) are kept: each offer is looked at a bounded number of times."""
        if len(self.offers) > self._prune_at:
            for oid in [k for k, o in self.offers.items() if o.expires_at < now - 3600]:
                del self.offers[oid]
            self._prune_at = max(512, len(self.offers) + 256)

    def decline(self, offer_id: str, cause: str = "rider") -> None:
        """The rider does not take an offer (recorded for the KPIs)."""
        with self._lock:
            offer = self.offers.get(offer_id)
            if offer is None:
                raise NotFound(f"offer {offer_id} is not known")
            event = Event(self._now(), EventKind.OFFER_DECLINED, cause, rider_id=offer.request.rider_id,
                          data={"offer_id": offer_id, "quote_id": offer.quote_id})
            self._commit(Change(events=[event]), durable=False)
            del self.offers[offer_id]
            self._publish([event])

    # ------------------------------------------------------------------ bookings
    def book(self, offer_id: str, *, idempotency_key: str | None = None, idempotency_scope: str = "",
             rider_id: int | None = None) -> Booking:
        """Confirm an offer: the booking and the plan change commit together, or nothing does.

        The same ``idempotency_key`` (within ``idempotency_scope``) returns the same booking.
        Without a scope, the rider's own (:func:`idempotency_scope` of the offer's rider and
        channel) is used, the one :meth:`restore` and the database use.
        ``rider_id`` given: the offer must belong to that rider.
        """
        with self._lock:
            now = self._now()
            if idempotency_key and not idempotency_scope:
                idempotency_scope = self._default_scope(offer_id, rider_id)
            if idempotency_key:
                known = self._idempotent.get((idempotency_scope, idempotency_key))
                if known is not None:
                    return self.bookings[known]
            offer = self.offers.get(offer_id)
            if offer is None or (rider_id is not None and offer.request.rider_id != rider_id):
                raise BookingRefused(RejectCause.OFFER_UNKNOWN, f"offer {offer_id} is not known; ask for a new quote")
            if offer.booking_id is not None:
                raise BookingRefused(RejectCause.OFFER_ALREADY_BOOKED,
                                     f"offer {offer_id} has already been booked as booking {offer.booking_id}",
                                     self.bookings.get(offer.booking_id))
            req = offer.request

            def refuse(cause: RejectCause, message: str):
                event = Event(now, EventKind.BOOKING_REFUSED, cause.value, rider_id=req.rider_id,
                              data={"offer_id": offer_id, "quote_id": offer.quote_id, "message": message})
                self._commit(Change(events=[event]), durable=False)
                self._publish([event])
                raise BookingRefused(cause, message)

            if offer.expires_at < now:
                refuse(RejectCause.OFFER_EXPIRED, "the offer has expired; ask for a new quote")
            broken = self._rider_rule(req)
            if broken:
                refuse(*broken)
            r = self.rules
            so, sd = self._slots([req.origin.node, req.destination.node])
            seats = req.passengers - req.wheelchairs
            new = NewRequest(so, sd, seats, req.wheelchairs, offer.pickup_earliest, offer.pickup_latest,
                             offer.pickup_earliest, offer.dropoff_latest, offer.max_ride_s,
                             r.pickup_service_s(req.wheelchairs), r.dropoff_service_s(req.wheelchairs))
            ins = best_insertions(self._snapshots(now), new, self.locations.matrix, self.locations.matrix,
                                  delay_weight=r.delay_weight)
            v = ins.best_vehicle
            if v < 0:
                refuse(RejectCause.OFFER_NO_LONGER_AVAILABLE, "another booking took the place this offer needed; "
                       "ask for a new quote")
            shift = self.shifts[self._vslots[v]]
            rs = self._tables.alloc()
            self._fill_request(rs, new)
            booking_id = self.new_id()
            codes = insert_into_route(self._codes[v], rs, int(ins.pickup_position[v]), int(ins.dropoff_position[v]))
            begin = self._schedule(v, codes)["begin"]
            requested = offer.pickup_earliest
            booking = Booking(
                booking_id=booking_id, rider_id=req.rider_id, origin=req.origin, destination=req.destination,
                passengers=req.passengers, wheelchairs=req.wheelchairs, pickup_earliest=offer.pickup_earliest,
                pickup_latest=offer.pickup_latest, dropoff_latest=offer.dropoff_latest, max_ride_s=offer.max_ride_s,
                direct_s=offer.direct_s, direct_m=offer.direct_m, requested_time=requested,
                status=BookingStatus.CONFIRMED, vehicle_id=shift.vehicle_id, created_at=now, channel=req.channel,
                offer_id=offer_id, idempotency_key=idempotency_key,
                planned_pickup=int(begin[codes.index(2 * rs)]), planned_dropoff=int(begin[codes.index(2 * rs + 1)]),
                caller_name=req.caller_name, caller_phone=req.caller_phone)
            steps = self._steps(codes, {rs: booking_id})
            new_shift = dataclasses.replace(shift, route=steps)
            booked_offer = dataclasses.replace(offer, booking_id=booking_id)
            event = Event(now, EventKind.BOOKING_CONFIRMED, req.channel, booking_id=booking_id,
                          vehicle_id=shift.vehicle_id, shift_id=shift.shift_id, rider_id=req.rider_id, data={
                              "quote_id": offer.quote_id, "offer_id": offer_id,
                              "pickup_earliest": offer.pickup_earliest, "pickup_latest": offer.pickup_latest,
                              "dropoff_latest": offer.dropoff_latest, "requested_time": requested,
                              "passengers": req.passengers, "wheelchairs": req.wheelchairs,
                              "direct_s": offer.direct_s, "direct_m": offer.direct_m,
                              "planned_pickup": booking.planned_pickup,
                              "idempotency_scope": idempotency_scope})
            try:
                self._commit(Change(bookings=[booking], offers=[booked_offer], shifts=[new_shift], events=[event]))
            except Exception:
                self._tables.release(rs)
                raise
            self._bind(booking_id, rs)
            self.bookings[booking_id] = booking
            self.offers[offer_id] = booked_offer
            self._set_route(v, codes)
            if req.rider_id is not None:
                self._rider_active.setdefault(req.rider_id, set()).add(booking_id)
            if idempotency_key:
                self._idempotent[(idempotency_scope, idempotency_key)] = booking_id
            self._publish([event])
            return booking

    def _default_scope(self, offer_id: str, rider_id: int | None) -> str:
        offer = self.offers.get(offer_id)
        if offer is not None:
            return idempotency_scope(offer.request.rider_id, offer.request.channel)
        for b in self.bookings.values():     # a booked offer no longer kept (e.g. after a restart)
            if b.offer_id == offer_id:
                return self._scope_of(b)
        return idempotency_scope(rider_id, "app") if rider_id is not None else ""

    def _steps(self, codes: list[int], extra: dict[int, str] | None = None) -> list[Step]:
        """The steps of route ``codes``; ``extra`` names request slots not yet bound to a booking."""
        steps = self._slot_steps
        if extra:
            steps = {**steps, **{rs: _step_pair(b) for rs, b in extra.items()}}
        return [steps[c >> 1][c & 1] for c in codes]

    def _bind(self, booking_id: str, rs: int) -> None:
        self._rslot[booking_id] = rs
        self._slot_booking[rs] = booking_id
        self._slot_steps[rs] = _step_pair(booking_id)

    def _unbind(self, booking_id: str) -> int | None:
        rs = self._rslot.pop(booking_id, None)
        if rs is not None:
            self._slot_booking.pop(rs, None)
            self._slot_steps.pop(rs, None)
        return rs

    def _set_route(self, v: int, codes: list[int]) -> None:
        for c in self._codes[v]:
            if self._slot_vehicle.get(c // 2) == v:
                del self._slot_vehicle[c // 2]
        self._codes[v] = list(codes)
        self._code_arrays[v] = np.array(codes, dtype=np.int64)
        self._tables.route_length[v] = len(codes)
        for c in codes:
            self._slot_vehicle[c // 2] = v
        self.shifts[self._vslots[v]].route = self._steps(codes)
        self._touch()

    def booking(self, booking_id: str) -> Booking:
        try:
            return self.bookings[booking_id]
        except KeyError:
            raise NotFound(f"booking {booking_id} is not known") from None

    def cancel(self, booking_id: str, cause: str = "rider") -> Booking:
        """Cancel a confirmed booking (not once the rider is on board)."""
        with self._lock:
            booking = self.booking(booking_id)
            if booking.status is BookingStatus.CANCELLED:
                return booking
            if booking.status is not BookingStatus.CONFIRMED:
                raise DispatchError(f"booking {booking_id} is {booking.status.value} and can no longer be cancelled")
            now = self._now()
            return self._finish(booking, BookingStatus.CANCELLED, now, Event(
                now, EventKind.BOOKING_CANCELLED, cause, booking_id=booking_id, vehicle_id=booking.vehicle_id,
                rider_id=booking.rider_id, data={"pickup_earliest": booking.pickup_earliest}),
                cancelled_at=now)

    def _vehicle_of(self, booking: Booking) -> int | None:
        rs = self._rslot.get(booking.booking_id)
        if rs is None:
            return None
        return self._slot_vehicle.get(rs)

    def _finish(self, booking: Booking, status: BookingStatus, now: int, event: Event, *,
                shift_changes: dict | None = None, no_show: bool = False, before: list | None = None,
                **fields) -> Booking:
        """Take a booking out of the plan with ``status``, committing it with ``event``."""
        rs = self._rslot.get(booking.booking_id)
        v = self._vehicle_of(booking)
        new_booking = dataclasses.replace(booking, status=status, **fields)
        shifts, codes = [], None
        if v is not None:
            codes = [c for c in self._codes[v] if c // 2 != rs]
            shift = self.shifts[self._vslots[v]]
            steps = [s for s in shift.route if s.booking_id != booking.booking_id]
            shifts.append(dataclasses.replace(shift, route=steps, **(shift_changes or {})))
        if shifts and event.shift_id is None:
            event = dataclasses.replace(event, shift_id=shifts[0].shift_id)
        events = [e for e in (before or []) if e] + [event]
        riders = [booking.rider_id] if no_show and booking.rider_id is not None else []
        self._commit(Change(bookings=[new_booking], shifts=shifts, events=events, no_show_riders=riders))
        self.bookings[booking.booking_id] = new_booking
        if v is not None:
            if shift_changes:
                self._legs.pop(self._vslots[v], None)   # the vehicle is at the stop: any drive ended
            for k, val in (shift_changes or {}).items():
                setattr(self.shifts[self._vslots[v]], k, val)
            self._set_route(v, codes)
            if shift_changes and "anchor_node" in shift_changes:
                self._move_anchor(self.shifts[self._vslots[v]], shift_changes["anchor_node"],
                                  shift_changes["anchor_time"])
        if rs is not None:
            self._unbind(booking.booking_id)
            self._tables.release(rs)
        if booking.rider_id is not None:
            self._rider_active.get(booking.rider_id, set()).discard(booking.booking_id)
            if no_show:
                self.no_shows[booking.rider_id] = self.no_shows.get(booking.rider_id, 0) + 1
        self._publish(events)
        return new_booking

    # ------------------------------------------------------------------ vehicles and drivers
    def _shift_of_booking(self, booking: Booking, shift_id: int | None) -> VehicleShift:
        v = self._vehicle_of(booking)
        if v is None:
            raise DispatchError(f"booking {booking.booking_id} is not planned on any vehicle")
        shift = self.shifts[self._vslots[v]]
        if shift_id is not None and shift.shift_id != shift_id:
            raise DispatchError(f"booking {booking.booking_id} is planned on another vehicle, not on shift {shift_id}")
        return shift

    def _passengers_on_board(self, shift: VehicleShift) -> int:
        v = self._vslot_of[shift.shift_id]
        t = self._tables
        on = t.onboard_vehicle == v
        return int(t.seats[on].sum() + t.wheelchairs[on].sum())

    def _drove_event(self, shift: VehicleShift, from_node: int, to_node: int, started: int, now: int,
                     purpose: str) -> Event | None:
        if from_node == to_node:
            return None
        return Event(now, EventKind.VEHICLE_DROVE, purpose, vehicle_id=shift.vehicle_id, shift_id=shift.shift_id,
                     data={"from_node": int(from_node), "to_node": int(to_node),
                           "distance_m": int(self.distance_m(from_node, to_node)),
                           "duration_s": int(max(0, now - started)),
                           "passengers": self._passengers_on_board(shift), "purpose": purpose})

    def _drive_ending_at(self, shift: VehicleShift, node: int, now: int, purpose: str = "service") -> Event | None:
        """The VEHICLE_DROVE event of the drive that brought the vehicle to ``node`` (None if it
        was there already): from where the drive in progress started, else from the anchor."""
        leg = self._legs.get(shift.shift_id)
        if leg is not None:
            from_node, started = leg.from_node, leg.started
        else:
            from_node, started = shift.anchor_node, min(shift.anchor_time, now)
        return self._drove_event(shift, from_node, int(node), started, now, purpose)

    def vehicle_departed(self, shift_id: int) -> None:
        """The vehicle now drives to its first planned step; that step's place becomes its anchor
        (it is committed to that stop) with the expected arrival time.

        Reporting it again on the way changes nothing while the first step stays the same."""
        with self._lock:
            shift = self.shift(shift_id)
            if shift.ended:
                raise DispatchError(f"shift {shift_id} has ended already")
            if not shift.route:
                raise DispatchError(f"shift {shift_id} has no planned stop to drive to")
            now = self._now()
            target = self._step_place(shift.route[0]).node
            if shift.anchor_node == target:
                return      # there already, or on the way there
            leg = self._legs.get(shift_id)
            eta = now + self.travel_time_s(shift.anchor_node, target)
            new_leg = _Leg(leg.from_node, target, leg.started) if leg is not None else \
                _Leg(shift.anchor_node, target, now)
            self._commit(Change(shifts=[dataclasses.replace(shift, anchor_node=target, anchor_time=eta)]))
            self._legs[shift_id] = new_leg
            self._move_anchor(shift, target, eta)

    def _move_anchor(self, shift: VehicleShift, node: int, when: int) -> None:
        self._slots([node])
        shift.anchor_node, shift.anchor_time = int(node), int(when)
        v = self._vslot_of[shift.shift_id]
        self._tables.anchor_time[v] = int(when)
        self._tables.start_location[v] = self.locations.slot_of[node]
        self._touch()

    def _step_place(self, step: Step) -> Place:
        b = self.bookings[step.booking_id]
        return b.origin if step.kind is StepKind.PICKUP else b.destination

    def _check_node(self, node) -> int:
        net = self.tt.network
        if isinstance(node, bool) or not isinstance(node, numbers.Integral) or not 0 <= node < net.node_count:
            raise DispatchInputError(f"node {node!r} is not in the road network (0..{net.node_count - 1})")
        return int(node)

    def vehicle_arrived(self, shift_id: int, node: int | None = None, purpose: str = "service") -> list[Step]:
        """The vehicle reached ``node`` (default: its first planned step); returns the steps due there."""
        with self._lock:
            shift = self.shift(shift_id)
            now = self._now()
            if node is None:
                if not shift.route:
                    raise DispatchError(f"shift {shift_id} has no planned stop to arrive at")
                node = self._step_place(shift.route[0]).node
            node = self._check_node(node)
            events = []
            drove = self._drive_ending_at(shift, node, now, purpose)
            if drove:
                events.append(drove)
            due = [s for s in shift.route if self._step_place(s).node == node]
            events.append(Event(now, EventKind.VEHICLE_ARRIVED, "driver", vehicle_id=shift.vehicle_id,
                                shift_id=shift_id, data={"node": int(node),
                                                         "bookings": [s.booking_id for s in due]}))
            new = dataclasses.replace(shift, anchor_node=int(node), anchor_time=now)
            self._commit(Change(shifts=[new], events=events))
            self._legs.pop(shift_id, None)
            self._move_anchor(shift, node, now)
            self._publish(events)
            return due

    def vehicle_moved(self, shift_id: int, node: int, purpose: str = "reposition") -> None:
        """An idle vehicle drove to ``node`` (repositioning, return to the depot)."""
        with self._lock:
            shift = self.shift(shift_id)
            now = self._now()
            node = self._check_node(node)
            events = [e for e in [self._drive_ending_at(shift, node, now, purpose)] if e]
            new = dataclasses.replace(shift, anchor_node=int(node), anchor_time=now)
            self._commit(Change(shifts=[new], events=events))
            self._legs.pop(shift_id, None)
            self._move_anchor(shift, node, now)
            self._publish(events)

    def vehicle_location(self, shift_id: int, lat: float, lon: float) -> VehicleShift:
        """A position report from the driver's phone: shown to riders; the plan starts from it.

        While the vehicle drives to a stop it announced (``vehicle_departed``) it stays committed
        to that stop; otherwise the plan starts from the reported place at the time of the report,
        and the drive since the last stop goes on until the vehicle arrives somewhere."""
        with self._lock:
            shift = self.shift(shift_id)
            now = self._now()
            place = self.place(lat, lon) if self.service_area is None else self._snap_anyway(lat, lon)
            new = dataclasses.replace(shift, lat=float(lat), lon=float(lon), location_time=now)
            leg = self._legs.get(shift_id)
            moved = (leg is None or not leg.committed) and place.node != shift.anchor_node
            new_leg = None
            if moved:
                new = dataclasses.replace(new, anchor_node=place.node, anchor_time=now)
                if leg is None:
                    # it left its anchor at the latest when it could just have driven here since
                    left = now - min(self.travel_time_s(shift.anchor_node, place.node), UNREACHABLE_S)
                    new_leg = _Leg(shift.anchor_node, place.node, max(min(shift.anchor_time, now), left),
                                   committed=False)
                else:
                    new_leg = dataclasses.replace(leg, to_node=place.node)
            event = Event(now, EventKind.VEHICLE_LOCATION, "driver", vehicle_id=shift.vehicle_id, shift_id=shift_id,
                          data={"lat": float(lat), "lon": float(lon), "node": place.node})
            self._commit(Change(shifts=[new], events=[event]))
            shift.lat, shift.lon, shift.location_time = float(lat), float(lon), now
            if moved:
                self._legs[shift_id] = new_leg
                self._move_anchor(shift, place.node, now)
            self._publish([event])
            return shift

    def _snap_anyway(self, lat, lon) -> Place:
        try:
            node, _ = self.tt.snap(float(lon), float(lat))
        except (RoutingInputError, TypeError, ValueError) as exc:
            raise DispatchInputError(str(exc)) from None
        return Place(node=node, lat=float(lat), lon=float(lon))

    def rider_boarded(self, booking_id: str, shift_id: int | None = None) -> Booking:
        with self._lock:
            booking = self.booking(booking_id)
            if booking.status is not BookingStatus.CONFIRMED:
                raise DispatchError(f"booking {booking_id} is {booking.status.value}; only a confirmed rider can board")
            shift = self._shift_of_booking(booking, shift_id)
            now = self._now()
            v = self._vslot_of[shift.shift_id]
            rs = self._rslot[booking_id]
            codes = [c for c in self._codes[v] if c != 2 * rs]
            steps = [s for s in shift.route if not (s.booking_id == booking_id and s.kind is StepKind.PICKUP)]
            service_end = now + int(self._tables.pickup_service[rs])
            new_booking = dataclasses.replace(booking, status=BookingStatus.ONBOARD, boarded_at=now)
            new_shift = dataclasses.replace(shift, route=steps, anchor_node=booking.origin.node,
                                            anchor_time=service_end)
            drove = self._drive_ending_at(shift, booking.origin.node, now)
            event = Event(now, EventKind.RIDER_BOARDED, "driver", booking_id=booking_id, vehicle_id=shift.vehicle_id,
                          shift_id=shift.shift_id, rider_id=booking.rider_id, data={
                              "wait_s": now - booking.requested_time,
                              "late_s": max(0, now - booking.pickup_latest),
                              "passengers": booking.passengers, "wheelchairs": booking.wheelchairs})
            events = [drove, event] if drove else [event]
            self._commit(Change(bookings=[new_booking], shifts=[new_shift], events=events))
            self.bookings[booking_id] = new_booking
            t = self._tables
            t.onboard_vehicle[rs] = v
            t.pickup_begin[rs] = now
            self._set_route(v, codes)
            self._legs.pop(shift.shift_id, None)
            self._move_anchor(shift, booking.origin.node, service_end)
            self._publish(events)
            return new_booking

    def rider_no_show(self, booking_id: str, shift_id: int | None = None) -> Booking:
        with self._lock:
            booking = self.booking(booking_id)
            if booking.status is not BookingStatus.CONFIRMED:
                raise DispatchError(f"booking {booking_id} is {booking.status.value}; only a confirmed rider can be "
                                    "reported as not showing up")
            shift = self._shift_of_booking(booking, shift_id)
            now = self._now()
            if now < booking.pickup_earliest:
                raise DispatchError(f"the pickup window of booking {booking_id} has not started yet; wait until "
                                    f"{self.rules.local(booking.pickup_earliest):%H:%M} before reporting a no-show")
            event = Event(now, EventKind.RIDER_NO_SHOW, "driver", booking_id=booking_id, vehicle_id=shift.vehicle_id,
                          shift_id=shift.shift_id, rider_id=booking.rider_id)
            return self._finish(booking, BookingStatus.NO_SHOW, now, event, no_show=True,
                                shift_changes={"anchor_node": booking.origin.node, "anchor_time": now},
                                before=[self._drive_ending_at(shift, booking.origin.node, now)], completed_at=now)

    def rider_dropped_off(self, booking_id: str, shift_id: int | None = None) -> Booking:
        with self._lock:
            booking = self.booking(booking_id)
            if booking.status is not BookingStatus.ONBOARD:
                raise DispatchError(f"booking {booking_id} is {booking.status.value}; only a rider on board can be "
                                    "dropped off")
            shift = self._shift_of_booking(booking, shift_id)
            now = self._now()
            rs = self._rslot[booking_id]
            service_end = now + int(self._tables.dropoff_service[rs])
            event = Event(now, EventKind.RIDER_DROPPED_OFF, "driver", booking_id=booking_id,
                          vehicle_id=shift.vehicle_id, shift_id=shift.shift_id, rider_id=booking.rider_id, data={
                              "ride_s": now - (booking.boarded_at or now), "direct_s": booking.direct_s,
                              "direct_m": booking.direct_m, "passengers": booking.passengers,
                              "late_s": max(0, now - booking.dropoff_latest)})
            return self._finish(booking, BookingStatus.COMPLETED, now, event, completed_at=now,
                                shift_changes={"anchor_node": booking.destination.node, "anchor_time": service_end},
                                before=[self._drive_ending_at(shift, booking.destination.node, now)])

    # ------------------------------------------------------------------ views
    def planned_schedule(self, shift_id: int, limit: int | None = None) -> list[PlannedStep]:
        """The shift's planned steps with arrival, service begin and departure times (only the
        first ``limit`` ones when given)."""
        with self._lock:
            shift = self.shift(shift_id)
            now = self._now()
            v = self._vslot_of[shift_id]
            snaps = self._schedule(v, now=now)
            a, b = 0, len(snaps["stop_code"])
            M = self.locations.matrix
            prev = int(self._tables.start_location[v])
            t = int(snaps["start_departure"][0])
            stop_location, begins, service = snaps["stop_location"], snaps["begin"], snaps["service"]
            seats_after, wheelchairs_after = snaps["seats_after"], snaps["wheelchairs_after"]
            out = []
            route = shift.route if limit is None else shift.route[:limit]
            for k, step in enumerate(route):
                loc = int(stop_location[a + k])
                arrival = t + int(M[prev, loc])
                begin = int(begins[a + k])
                departure = begin + int(service[a + k])
                booking = self.bookings[step.booking_id]
                pickup = step.kind is StepKind.PICKUP
                out.append(PlannedStep(
                    booking_id=step.booking_id, kind=step.kind, node=self._step_place(step).node,
                    place=self._step_place(step), arrival=min(arrival, begin), begin=begin, departure=departure,
                    passengers=booking.passengers, wheelchairs=booking.wheelchairs,
                    seats_after=int(seats_after[a + k]), wheelchairs_after=int(wheelchairs_after[a + k]),
                    window_earliest=booking.pickup_earliest,
                    window_latest=booking.pickup_latest if pickup else booking.dropoff_latest))
                prev, t = loc, departure
            assert b - a == len(shift.route)
            return out

    def eta(self, booking_id: str) -> dict:
        """Planned pickup and drop-off times of an active booking, and its vehicle."""
        with self._lock:
            booking = self.booking(booking_id)
            if not booking.status.active:
                return {}
            v = self._vehicle_of(booking)
            if v is None:
                return {}
            shift = self.shifts[self._vslots[v]]
            times = {}
            for step in self.planned_schedule(shift.shift_id):
                if step.booking_id == booking_id:
                    times[step.kind.value] = step.begin
            return {"shift_id": shift.shift_id, "vehicle_id": shift.vehicle_id, "pickup": times.get("pickup"),
                    "dropoff": times.get("dropoff"), "vehicle_lat": shift.lat, "vehicle_lon": shift.lon,
                    "vehicle_location_time": shift.location_time}

    def active_bookings_of(self, rider_id: int) -> list[Booking]:
        return [self.bookings[b] for b in self._rider_active.get(rider_id, ())]

    # ------------------------------------------------------------------ re-optimisation
    def reoptimise(self, time_limit_s: float | None = None, seed: int = 0, use_ortools: bool = True) -> bool:
        """Improve the plans with the optimiser, keeping every promised window; True if applied."""
        from routing.darp.checker import check_plan
        from routing.darp.solver import solve

        with self._lock:
            now = built_at = self._now()
            version = self.version
            built = self._problem(now)
        if built is None:
            return False
        problem, plan, vslots, requests = built
        before = plan.cost(problem)
        try:
            result = solve(problem, time_limit_s=time_limit_s or self.rules.reoptimise_time_limit_s, seed=seed,
                           start=plan, use_ortools=use_ortools)
        except (ValueError, RoutingInputError) as exc:   # e.g. a vehicle running late: plan kept as it is
            log.info("re-optimisation skipped: %s", exc)
            return False
        if result.status == "no_solution" or len(result.plan.served_requests()) != problem.request_count:
            return False
        after = result.plan.cost(problem)
        if after >= before:
            return False
        with self._lock:
            if self.version != version:
                return False    # the plan changed meanwhile; the next round starts from the new one
            now = self._now()
            if now != built_at:
                # time went on while solving: the new plan must still keep every promise now
                current = self._problem(now)
                if current is None or current[2] != vslots or current[3] != requests or not check_plan(current[0], result.plan).feasible:
                    log.info("re-optimisation discarded: its plan no longer fits at the current time")
                    return False
            new_codes = {v: [2 * self._rslot[requests[c // 2]] + c % 2 for c in route]
                         for v, route in zip(vslots, result.plan.routes)}
            moved_bookings, shifts = [], []
            for v, codes in new_codes.items():
                if codes == self._codes[v]:
                    continue
                shift = self.shifts[self._vslots[v]]
                steps = self._steps(codes)
                shifts.append(dataclasses.replace(shift, route=steps))
                for s in steps:
                    b = self.bookings[s.booking_id]
                    if b.vehicle_id != shift.vehicle_id and s.kind is StepKind.DROPOFF:
                        moved_bookings.append(dataclasses.replace(b, vehicle_id=shift.vehicle_id))
            event = Event(now, EventKind.PLAN_REOPTIMISED, "background_optimiser", data={
                "cost_before": int(before), "cost_after": int(after), "vehicles_changed": len(shifts),
                "bookings_moved": [b.booking_id for b in moved_bookings]})
            self._commit(Change(bookings=moved_bookings, shifts=shifts, events=[event]))
            for b in moved_bookings:
                self.bookings[b.booking_id] = b
            for v, codes in new_codes.items():
                if codes != self._codes[v]:
                    self._set_route(v, codes)
            self._publish([event])
            return True

    def _problem(self, now: int):
        """The live plan as a compact :class:`DarpProblem` (open shifts, active bookings)."""
        self._refresh_starts(now)
        t = self._tables
        vslots = [v for v, sid in enumerate(self._vslots) if not self.shifts[sid].ended]
        if not vslots:
            return None
        requests = [b for b in self._rslot]
        if not requests:
            return None
        rs = np.array([self._rslot[b] for b in requests], dtype=np.int64)
        vs = np.array(vslots, dtype=np.int64)
        used = np.unique(np.concatenate([t.pickup_location[rs], t.dropoff_location[rs], t.start_location[vs],
                                         t.end_location[vs]]).astype(np.int64))
        local = {int(s): i for i, s in enumerate(used)}
        remap = np.vectorize(lambda s: local[int(s)], otypes=[np.int64])
        M = self.locations.matrix[np.ix_(used, used)]
        onboard = t.onboard_vehicle[rs]
        vpos = {int(v): i for i, v in enumerate(vslots)}
        problem = DarpProblem(
            travel_time=M, pickup_location=remap(t.pickup_location[rs]), dropoff_location=remap(t.dropoff_location[rs]),
            seats=t.seats[rs], wheelchairs=t.wheelchairs[rs], pickup_earliest=t.pickup_earliest[rs],
            pickup_latest=t.pickup_latest[rs], dropoff_earliest=t.dropoff_earliest[rs],
            dropoff_latest=t.dropoff_latest[rs], max_ride_time=t.max_ride_time[rs],
            pickup_service=t.pickup_service[rs], dropoff_service=t.dropoff_service[rs],
            onboard_vehicle=np.array([vpos.get(int(o), -1) if o >= 0 else -1 for o in onboard], dtype=np.int32),
            pickup_begin=t.pickup_begin[rs], rejection_penalty=np.full(len(rs), MUST_SERVE),
            start_location=remap(t.start_location[vs]), end_location=remap(t.end_location[vs]),
            start_time=t.start_time[vs], end_latest=np.maximum(t.end_latest[vs], t.start_time[vs]),
            seat_capacity=t.seat_capacity[vs], wheelchair_capacity=t.wheelchair_capacity[vs],
            max_duration=np.full(len(vs), NO_LIMIT), name=f"live-{self.name}")
        index = {int(s): i for i, s in enumerate(rs)}
        plan = Plan([[2 * index[c // 2] + c % 2 for c in self._codes[v]] for v in vslots])
        return problem, plan, vslots, requests

    def start_background(self) -> None:
        """Re-optimise every ``rules.reoptimise_every_s`` seconds in a daemon thread (the service)."""
        if self._background is not None:
            return
        self._stop_background.clear()

        def loop():
            while not self._stop_background.wait(self.rules.reoptimise_every_s):
                try:
                    self.reoptimise()
                except Exception:
                    log.exception("background re-optimisation failed")

        self._background = threading.Thread(target=loop, name=f"reoptimise-{self.name}", daemon=True)
        self._background.start()

    def stop_background(self) -> None:
        self._stop_background.set()
        if self._background is not None:
            self._background.join(timeout=30)
            self._background = None

    # ------------------------------------------------------------------ recovery
    def restore(self, state: StoredState) -> None:
        """Rebuild the live state from a store after a restart: every confirmed booking comes back
        with its promised window, in its vehicle's planned order."""
        with self._lock:
            if self.shifts or self.bookings:
                raise DispatchError("restore() needs a fresh dispatcher")
            self.no_shows = dict(state.no_shows)
            for booking in state.bookings:
                self.bookings[booking.booking_id] = booking
                if booking.rider_id is not None:
                    self._rider_active.setdefault(booking.rider_id, set()).add(booking.booking_id)
                if booking.idempotency_key:
                    self._idempotent[(self._scope_of(booking), booking.idempotency_key)] = booking.booking_id
            for offer in state.offers:
                self.offers[offer.offer_id] = offer
            for shift in sorted(state.shifts, key=lambda s: s.shift_id):
                route = list(shift.route)
                shift = dataclasses.replace(shift, route=[])
                v = self._install_shift(shift)
                steps = []
                for step in route:
                    b = self.bookings.get(step.booking_id)
                    if b is not None and b.status.active and b.booking_id not in self._rslot:
                        steps.append((b, step.kind))
                # each booking must appear as its status needs (confirmed: pickup, then drop-off; on
                # board: the drop-off); one that does not is planned again below
                kinds: dict[str, list[StepKind]] = {}
                for b, kind in steps:
                    kinds.setdefault(b.booking_id, []).append(kind)
                good = {bid for bid, ks in kinds.items() if ks == (
                    [StepKind.DROPOFF] if self.bookings[bid].status is BookingStatus.ONBOARD
                    else [StepKind.PICKUP, StepKind.DROPOFF])}
                codes = []
                for b, kind in steps:
                    if b.booking_id not in good:
                        continue
                    rs = self._rslot.get(b.booking_id)
                    if rs is None:
                        rs = self._request_slot(b, v)
                    codes.append(2 * rs + (1 if kind is StepKind.DROPOFF else 0))
                self._set_route(v, codes)
            self._replan_lost()

    def _request_slot(self, b: Booking, v: int | None) -> int:
        """A request slot filled with booking ``b`` (on board vehicle ``v`` if so)."""
        r = self.rules
        rs = self._tables.alloc()
        so, sd = self._slots([b.origin.node, b.destination.node])
        self._fill_request(rs, NewRequest(
            so, sd, b.seats, b.wheelchairs, b.pickup_earliest, b.pickup_latest, b.pickup_earliest,
            b.dropoff_latest, b.max_ride_s, r.pickup_service_s(b.wheelchairs), r.dropoff_service_s(b.wheelchairs)))
        if b.status is BookingStatus.ONBOARD and v is not None:
            self._tables.onboard_vehicle[rs] = v
            self._tables.pickup_begin[rs] = b.boarded_at or b.pickup_earliest
        self._bind(b.booking_id, rs)
        return rs

    def _replan_lost(self) -> None:
        """After a restore: put active bookings that no stored route holds back into the plan
        (confirmed ones where the insertion search finds room in their promised window, riders on
        board at the end of their vehicle's route), committing the changed routes."""
        lost = [b for b in self.bookings.values() if b.status.active and b.booking_id not in self._rslot]
        if not lost:
            return
        now = self._now()
        changed_shifts, changed_bookings = {}, []
        for b in sorted(lost, key=lambda b: b.pickup_earliest):
            if b.status is BookingStatus.ONBOARD:
                v = next((v for v, sid in enumerate(self._vslots) if self.shifts[sid].vehicle_id == b.vehicle_id
                          and not self.shifts[sid].ended), None)
                if v is None:
                    log.error("booking %s: rider on board of vehicle %s, which has no open shift", b.booking_id,
                              b.vehicle_id)
                    continue
                rs = self._request_slot(b, v)
                self._set_route(v, self._codes[v] + [2 * rs + 1])
            else:
                rs = self._request_slot(b, None)
                t = self._tables
                new = NewRequest(*(int(getattr(t, name)[rs]) for name in (
                    "pickup_location", "dropoff_location", "seats", "wheelchairs", "pickup_earliest", "pickup_latest",
                    "dropoff_earliest", "dropoff_latest", "max_ride_time", "pickup_service", "dropoff_service")))
                ins = best_insertions(self._snapshots(now), new, self.locations.matrix, self.locations.matrix,
                                      delay_weight=self.rules.delay_weight)
                v = ins.best_vehicle
                if v < 0:
                    log.error("booking %s has no place in any plan after the restore and none can take it in its "
                              "promised window; the operator must rebook it", b.booking_id)
                    self._unbind(b.booking_id)
                    self._tables.release(rs)
                    continue
                self._set_route(v, insert_into_route(self._codes[v], rs, int(ins.pickup_position[v]),
                                           int(ins.dropoff_position[v])))
                vehicle_id = self.shifts[self._vslots[v]].vehicle_id
                if vehicle_id != b.vehicle_id:
                    b = dataclasses.replace(b, vehicle_id=vehicle_id)
                    self.bookings[b.booking_id] = b
                    changed_bookings.append(b)
            log.warning("booking %s was in no stored route; planned again on shift %s", b.booking_id,
                        self._vslots[v])
            changed_shifts[self._vslots[v]] = self.shifts[self._vslots[v]]
        self._commit(Change(bookings=changed_bookings, shifts=[copy.deepcopy(s) for s in changed_shifts.values()]))

    def _scope_of(self, booking: Booking) -> str:
        return idempotency_scope(booking.rider_id, booking.channel)


def _step_pair(booking_id: str) -> tuple[Step, Step]:
    return Step(booking_id, StepKind.PICKUP), Step(booking_id, StepKind.DROPOFF)



