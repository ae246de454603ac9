"""The live plans: every open shift's route over the active bookings, as flat arrays.

The dispatch core (:mod:`routing.darp`) reads plans as flat arrays indexed by *request slot* (one
per active booking, reused) and *vehicle slot* (one per shift); a route is a list of stop codes
``2 * request_slot + (0 pickup | 1 drop-off)``. :class:`LivePlans` keeps these arrays next to the
domain objects (shifts, bookings, offers) they mirror, builds fleet snapshots for the insertion
search and the live plan as a :class:`~routing.darp.problem.DarpProblem` for the optimiser.

Planning model: each vehicle shift is one vehicle of the dial-a-ride problem. It starts from its
*anchor* (where and when it is next free: the depot at shift start, the last stop served, the
place it last reported, or the stop it has committed to drive to) and must be back at its depot by
the shift end. Each active booking is one request whose pickup window is the promised window.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable, NamedTuple

import numpy as np

from ride_pool.dispatch.domain import Booking, BookingStatus, Offer, Place, Step, StepKind, VehicleShift
from ride_pool.dispatch.errors import DispatchError, NotFound
from ride_pool.dispatch.locations import LocationTable
from ride_pool.dispatch.needs import features_of
from ride_pool.dispatch.rules import ServiceRules
from ride_pool.messages import msg
from routing.darp.insertion import Insertions, NewRequest, best_insertions, insert_into_route
from routing.darp.problem import MUST_SERVE, NO_LIMIT, DarpProblem, Plan
from routing.darp.pruning import remember_bounds_ok
from routing.darp.snapshot import flat_snapshots, fleet_snapshots, route_snapshots
from routing.darp.snapshot_cache import SnapshotCache
from routing.travel_times import TravelTimes


class LiveProblem(NamedTuple):
    """The live plan as a dial-a-ride problem: open shifts in ``shift_ids`` order, active planned
    bookings in ``booking_ids`` order (request ``i`` of the problem is ``booking_ids[i]``)."""

    problem: DarpProblem
    plan: Plan
    shift_ids: list[int]
    booking_ids: list[str]


class PlanTables:
    """The live dial-a-ride data as the flat arrays :func:`routing.darp.snapshot.flat_snapshots` reads.

    Request arrays are indexed by request slot (one per active booking, reused), vehicle arrays
    by vehicle slot (one per shift)."""

    REQUEST_ARRAYS = {
        "pickup_location": np.int32, "dropoff_location": np.int32, "seats": np.int32, "wheelchairs": np.int32,
        "pickup_earliest": np.int64, "pickup_latest": np.int64, "dropoff_earliest": np.int64,
        "dropoff_latest": np.int64, "max_ride_time": np.int64, "pickup_service": np.int64,
        "dropoff_service": np.int64, "onboard_vehicle": np.int32, "pickup_begin": np.int64}
    VEHICLE_ARRAYS = {
        "start_location": np.int32, "end_location": np.int32, "start_time": np.int64, "end_latest": np.int64,
        "seat_capacity": np.int32, "wheelchair_capacity": np.int32, "max_duration": np.int64,
        # not read by the dispatch core: what the start time is derived from
        "anchor_time": np.int64, "shift_start": np.int64, "shift_end": np.int64, "ended": np.bool_,
        "route_length": np.int64}

    def __init__(self, locations: LocationTable):
        self.locations = locations
        for name, dt in self.REQUEST_ARRAYS.items():
            setattr(self, name, np.zeros(64, dtype=dt))
        self.onboard_vehicle[:] = -1
        for name, dt in self.VEHICLE_ARRAYS.items():
            setattr(self, name, np.zeros(0, dtype=dt))
        self.free_slots = list(range(63, -1, -1))

    @property
    def travel_time(self) -> np.ndarray:
        return self.locations.matrix

    @property
    def vehicle_count(self) -> int:
        return len(self.start_location)

    def alloc(self) -> int:
        """A free request slot (the arrays double when none is left)."""
        if not self.free_slots:
            old = len(self.pickup_location)
            for name in self.REQUEST_ARRAYS:
                arr = getattr(self, name)
                grown = np.zeros(2 * old, dtype=arr.dtype)
                grown[:old] = arr
                setattr(self, name, grown)
            self.onboard_vehicle[old:] = -1
            self.free_slots = list(range(2 * old - 1, old - 1, -1))
        return self.free_slots.pop()

    def release(self, r: int) -> None:
        self.onboard_vehicle[r] = -1
        self.seats[r] = 0
        self.wheelchairs[r] = 0
        self.free_slots.append(r)

    def add_vehicle(self) -> int:
        for name in self.VEHICLE_ARRAYS:
            setattr(self, name, np.append(getattr(self, name), 0).astype(self.VEHICLE_ARRAYS[name]))
        self.max_duration[-1] = NO_LIMIT
        return self.vehicle_count - 1

    def fill_request(self, rs: int, new: NewRequest) -> None:
        self.pickup_location[rs], self.dropoff_location[rs] = new.pickup_location, new.dropoff_location
        self.seats[rs], self.wheelchairs[rs] = new.seats, new.wheelchairs
        self.pickup_earliest[rs], self.pickup_latest[rs] = new.pickup_earliest, new.pickup_latest
        self.dropoff_earliest[rs], self.dropoff_latest[rs] = new.dropoff_earliest, new.dropoff_latest
        self.max_ride_time[rs] = new.max_ride_time
        self.pickup_service[rs], self.dropoff_service[rs] = new.pickup_service, new.dropoff_service
        self.onboard_vehicle[rs] = -1
        self.pickup_begin[rs] = 0

    def request(self, rs: int) -> NewRequest:
        """Request slot ``rs`` as the insertion search's :class:`NewRequest`."""
        return NewRequest(*(int(getattr(self, f.name)[rs]) for f in dataclasses.fields(NewRequest)))


@dataclass
class Leg:
    """A drive in progress: from the stop (or place) it started at, since ``started``.

    ``committed``: announced by ``vehicle_departed`` towards ``to_node``, which is then the
    vehicle's anchor until it arrives; otherwise seen only through position reports, and the
    anchor follows the latest one."""

    from_node: int
    to_node: int
    started: int
    committed: bool = True


def step_pair(booking_id: str) -> tuple[Step, Step]:
    if booking_id.startswith(BREAK_PREFIX):
        return Step(booking_id, StepKind.BREAK), Step(booking_id, StepKind.BREAK)
    return Step(booking_id, StepKind.PICKUP), Step(booking_id, StepKind.DROPOFF)


#: the id a shift's planned break has in the plans (instead of a booking id)
BREAK_PREFIX = "break:"


def break_id(shift_id: int) -> str:
    return f"{BREAK_PREFIX}{int(shift_id)}"


def break_shift_id(step_id: str) -> int | None:
    """The shift of a break's id (None for a booking id)."""
    return int(step_id[len(BREAK_PREFIX):]) if step_id.startswith(BREAK_PREFIX) else None


class LivePlans:
    """Shifts, bookings and offers of one service area with the plan tables that mirror them.

    Not thread-safe by itself: the :class:`~ride_pool.dispatch.dispatcher.Dispatcher` holds its lock
    around every use."""

    def __init__(self, travel_times: TravelTimes, rules: ServiceRules, clock: Callable[[], int], *,
                 name: str = "default", location_capacity: int = 256):
        self.tt = travel_times
        self.clock = clock
        #: the service rules in force (service durations and the insertion cost read them)
        self.rules = rules
        self.name = name
        self.locations = LocationTable(travel_times, capacity=location_capacity)
        self.tables = PlanTables(self.locations)
        self.shifts: dict[int, VehicleShift] = {}
        self.bookings: dict[str, Booking] = {}
        self.offers: dict[str, Offer] = {}
        #: vehicle id -> its features for mobility needs (ramp, lift, low_floor, pushchair; issue 17)
        self.vehicle_features: dict[int, list[str]] = {}
        self.request_slot_of: dict[str, int] = {}      # booking id -> request slot
        self.shift_of_slot: list[int] = []            # vehicle slot -> shift id
        self.vehicle_slot_of: dict[int, int] = {}      # shift id -> vehicle slot
        self.routes: list[list[int]] = []              # vehicle slot -> route as stop codes
        self._route_arrays: list[np.ndarray] = []      # the same as int64 arrays
        self._route_rows = np.zeros((16, 16), dtype=np.int64)   # the same padded, one row per vehicle slot
        self._snapshot_cache = SnapshotCache()         # per-vehicle snapshots, recomputed where inputs changed
        self._last_insertions = None                   # (snapshot, matrix, key, Insertions) of the last search
        self._snap = None                              # the last fleet snapshot and its key
        self._snap_key = None
        self._slot_steps: dict[int, tuple[Step, Step]] = {}   # request slot -> its (pickup, drop-off) steps
        self._slot_vehicle: dict[int, int] = {}        # request slot -> vehicle slot whose route holds it
        self.legs: dict[int, Leg] = {}                 # shift id -> the drive in progress
        self.breaks: dict[int, int] = {}               # shift id -> request slot of its planned break
        self._distance_cache: dict[tuple[int, int], int] = {}
        self._path_work = None
        self.version = 0                               # bumped by every plan change

    # ------------------------------------------------------------------ travel times
    def keep_nodes(self) -> set[int]:
        """Road nodes the live state still needs travel times for (the rest may lose their slot)."""
        keep = set()
        for b in self.bookings.values():
            if b.status.active:
                keep.add(b.origin.node)
                keep.add(b.destination.node)
        now = int(self.clock())
        for o in self.offers.values():     # only offers that can still be booked
            if o.booking_id is None and o.expires_at >= now:
                keep.add(o.request.origin.node)
                keep.add(o.request.destination.node)
        for s in self.shifts.values():
            keep.add(s.anchor_node)
            keep.add(s.depot.node)
            if s.break_place is not None and s.shift_id in self.breaks:
                keep.add(s.break_place.node)
        return keep

    def slots(self, nodes) -> list[int]:
        """Location slots of ``nodes`` (travel times to new ones computed now)."""
        return self.locations.slots(nodes, keep=self.keep_nodes)

    def travel_time_s(self, from_node: int, to_node: int) -> int:
        a, b = self.slots([from_node, to_node])
        return int(self.locations.matrix[a, b])

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
            if self._path_work is None:
                self._path_work = self.tt.path_work()
            d = self.tt.time_and_length(*key, self._path_work)[1]
            self._distance_cache[key] = d
        return d

    # ------------------------------------------------------------------ shifts
    def shift(self, shift_id: int) -> VehicleShift:
        try:
            return self.shifts[shift_id]
        except KeyError:
            raise NotFound(msg("shift_not_known", shift_id=shift_id)) from None

    def shift_at(self, v: int) -> VehicleShift:
        """The shift of vehicle slot ``v``."""
        return self.shifts[self.shift_of_slot[v]]

    def install_shift(self, shift: VehicleShift) -> int:
        """Add ``shift`` to the plans as a new vehicle slot (empty route); returns the slot."""
        self.shifts[shift.shift_id] = shift
        self.slots([shift.depot.node, shift.anchor_node])
        v = self.tables.add_vehicle()
        self.shift_of_slot.append(shift.shift_id)
        self.vehicle_slot_of[shift.shift_id] = v
        self.routes.append([])
        self._route_arrays.append(np.zeros(0, dtype=np.int64))
        self._route_row(v, [])
        self.set_vehicle_arrays(v, shift)
        return v

    def set_vehicle_arrays(self, v: int, shift: VehicleShift) -> None:
        t = self.tables
        open_ = not shift.ended
        t.seat_capacity[v] = shift.seats if open_ else 0
        t.wheelchair_capacity[v] = shift.wheelchair_places if open_ else 0
        t.end_location[v] = self.slots([shift.depot.node])[0]
        t.end_latest[v] = shift.end if open_ else NO_LIMIT
        t.start_location[v] = self.slots([shift.anchor_node])[0]
        t.anchor_time[v] = shift.anchor_time
        t.shift_start[v] = shift.start
        t.shift_end[v] = shift.end
        t.ended[v] = shift.ended

    def move_anchor(self, shift: VehicleShift, node: int, when: int) -> None:
        """The vehicle of ``shift`` is next free at ``node`` at ``when``."""
        self.slots([node])
        shift.anchor_node, shift.anchor_time = int(node), int(when)
        v = self.vehicle_slot_of[shift.shift_id]
        self.tables.anchor_time[v] = int(when)
        self.tables.start_location[v] = self.locations.slot_of[node]
        self.touch()

    def passengers_on_board(self, shift: VehicleShift) -> int:
        v = self.vehicle_slot_of[shift.shift_id]
        t = self.tables
        on = t.onboard_vehicle == v
        return int(t.seats[on].sum() + t.wheelchairs[on].sum())

    # ------------------------------------------------------------------ snapshots
    def touch(self) -> None:
        self.version += 1

    def refresh_start(self, v: int, now: int) -> None:
        """Vehicle ``v`` starts from its anchor (``start_location``, kept by :meth:`move_anchor`),
        not before ``now`` nor its shift start, and not after the end of an open shift."""
        t = self.tables
        start = max(int(t.anchor_time[v]), now, int(t.shift_start[v]))
        if not t.ended[v] and start > t.shift_end[v]:
            start = int(t.shift_end[v])
        t.start_time[v] = start

    def refresh_starts(self, now: int) -> None:
        """:meth:`refresh_start` for every vehicle at once."""
        t = self.tables
        start = np.maximum(np.maximum(t.anchor_time, now), t.shift_start)
        t.start_time[:] = np.where(~t.ended & (start > t.shift_end), t.shift_end, start)

    def snapshots(self, now: int):
        """Snapshots of the whole fleet as of ``now`` (one numba call). The last one is kept
        while nothing changed (same plan version, time and fleet): a booking right after its
        quote reuses the quote's."""
        if self.breaks:
            self.relax_overdue_breaks(now)
        t = self.tables
        V = t.vehicle_count
        key = (self.version, now, V)
        if self._snap_key == key:
            return self._snap
        self.refresh_starts(now)
        # only the vehicles whose route, requests, start or load changed are recomputed; the
        # location table's generation names the travel times (slots are reused after a clean-up)
        arrays, bounds_ok = self._snapshot_cache.snapshots(t, self._route_rows, t.route_length,
                                                           self.locations.generation)
        self._snap = fleet_snapshots(t, arrays)
        remember_bounds_ok(self._snap, t.travel_time, bounds_ok)
        self._snap_key = key
        return self._snap

    def _route_row(self, v: int, codes: list[int]) -> None:
        """Write route ``codes`` into row ``v`` of the padded routes (grown as needed)."""
        rows = self._route_rows
        if v >= rows.shape[0] or len(codes) > rows.shape[1]:
            grown = np.zeros((max(rows.shape[0], 2 * (v + 1)), max(rows.shape[1], 2 * len(codes))), dtype=np.int64)
            grown[:rows.shape[0], :rows.shape[1]] = rows
            self._route_rows = rows = grown
        rows[v, :len(codes)] = codes

    def insertions(self, now: int, new: NewRequest) -> Insertions:
        """Each vehicle's cheapest insertion of ``new`` into the plans as of ``now`` (pruned: the
        matrix holds exact times). The last search is reused for the same request on the same
        fleet snapshot and travel times: a booking made right after its quote repeats it otherwise.
        The arrays are copies (callers mask them)."""
        snaps = self.snapshots(now)
        M = self.locations.matrix
        key = (new, self.rules.delay_weight, self.locations.generation)
        last = self._last_insertions
        if last is not None and last[0] is snaps and last[1] is M and last[2] == key:
            ins = last[3]
        else:
            ins = best_insertions(snaps, new, M, M, delay_weight=self.rules.delay_weight, prune=True)
            self._last_insertions = (snaps, M, key, ins)
        return Insertions(ins.cost.copy(), ins.pickup_position.copy(), ins.dropoff_position.copy())

    def schedule(self, v: int, codes: list[int] | None = None, now: int | None = None) -> dict:
        """Snapshot arrays of route ``codes`` (default: its planned route) on vehicle ``v`` alone
        (least feasible schedule); its start is refreshed first when ``now`` is given."""
        if now is not None:
            if self.breaks:
                self.relax_overdue_breaks(now)
            self.refresh_start(v, now)
        if codes is None:
            arr = self._route_arrays[v]
            return flat_snapshots(self.tables, np.array([v], dtype=np.int64),
                                  np.array([0, len(arr)], dtype=np.int64), arr)
        return route_snapshots(self.tables, [codes], [v])

    def planned_times(self, v: int, codes: list[int], rs: int) -> tuple[int, int]:
        """Planned pickup and drop-off begin of request slot ``rs`` in route ``codes`` of ``v``."""
        begin = self.schedule(v, codes)["begin"]
        return int(begin[codes.index(2 * rs)]), int(begin[codes.index(2 * rs + 1)])

    def planned_for(self, v: int, new: NewRequest, i: int, j: int) -> tuple[int, int]:
        """Planned pickup and drop-off of ``new`` inserted at positions ``i``, ``j`` of ``v``'s route."""
        rs = self.tables.alloc()
        try:
            self.tables.fill_request(rs, new)
            return self.planned_times(v, insert_into_route(self.routes[v], rs, i, j), rs)
        finally:
            self.tables.release(rs)

    # ------------------------------------------------------------------ requests and routes
    def new_request(self, promise: Booking | Offer, origin: Place, destination: Place, seats: int,
                    wheelchairs: int) -> NewRequest:
        """The insertion search's request for the window ``promise`` (a booking or an offer) holds."""
        w, r = promise, self.rules
        needs = promise.needs if isinstance(promise, Booking) else promise.request.needs
        so, sd = self.slots([origin.node, destination.node])
        return NewRequest(so, sd, seats, wheelchairs, w.pickup_earliest, w.pickup_latest, w.pickup_earliest,
                          w.dropoff_latest, w.max_ride_s, r.pickup_service_s(wheelchairs, needs),
                          r.dropoff_service_s(wheelchairs, needs))

    def slot_features(self) -> list[set[str]]:
        """Each vehicle slot's features (see :func:`ride_pool.dispatch.needs.features_of`)."""
        out = []
        for v in range(self.tables.vehicle_count):
            shift = self.shift_at(v)
            out.append(features_of(self.vehicle_features.get(shift.vehicle_id), shift.wheelchair_places))
        return out

    def request_slot(self, b: Booking, v: int | None) -> int:
        """A request slot filled with booking ``b`` (on board vehicle ``v`` if so), bound to it."""
        rs = self.tables.alloc()
        self.tables.fill_request(rs, self.new_request(b, b.origin, b.destination, b.seats, b.wheelchairs))
        if b.status is BookingStatus.ONBOARD and v is not None:
            self.tables.onboard_vehicle[rs] = v
            self.tables.pickup_begin[rs] = b.boarded_at or b.pickup_earliest
        self.bind(b.booking_id, rs)
        return rs

    def steps(self, codes: list[int], extra: dict[int, str] | None = None) -> list[Step]:
        """The steps of route ``codes``; ``extra`` names request slots not yet bound to a booking."""
        steps = self._slot_steps
        if extra:
            # look the few extra slots up first rather than copying the whole table (a copy per
            # booking cost ~0.2 ms with a few thousand active bookings)
            pairs = {rs: step_pair(b) for rs, b in extra.items()}
            return [(pairs.get(c >> 1) or steps[c >> 1])[c & 1] for c in codes]
        return [steps[c >> 1][c & 1] for c in codes]

    def bind(self, booking_id: str, rs: int) -> None:
        self.request_slot_of[booking_id] = rs
        self._slot_steps[rs] = step_pair(booking_id)

    def unbind(self, booking_id: str) -> int | None:
        rs = self.request_slot_of.pop(booking_id, None)
        if rs is not None:
            self._slot_steps.pop(rs, None)
        return rs

    def set_route(self, v: int, codes: list[int]) -> None:
        """Vehicle slot ``v`` now drives route ``codes`` (its shift's steps follow)."""
        for c in self.routes[v]:
            if self._slot_vehicle.get(c // 2) == v:
                del self._slot_vehicle[c // 2]
        self.routes[v] = list(codes)
        self._route_arrays[v] = np.array(codes, dtype=np.int64)
        self._route_row(v, self._route_arrays[v])
        self.tables.route_length[v] = len(codes)
        for c in codes:
            self._slot_vehicle[c // 2] = v
        self.shift_at(v).route = self.steps(codes)
        self.touch()

    def vehicle_of(self, booking: Booking) -> int | None:
        """The vehicle slot whose route holds ``booking`` (None if none does)."""
        rs = self.request_slot_of.get(booking.booking_id)
        if rs is None:
            return None
        return self._slot_vehicle.get(rs)

    def shift_of_booking(self, booking: Booking, shift_id: int | None) -> VehicleShift:
        """The shift planned to serve ``booking`` (which must be ``shift_id`` when given)."""
        v = self.vehicle_of(booking)
        if v is None:
            raise DispatchError(msg("booking_not_planned", booking_id=booking.booking_id))
        shift = self.shift_at(v)
        if shift_id is not None and shift.shift_id != shift_id:
            raise DispatchError(msg("booking_on_other_vehicle", booking_id=booking.booking_id, shift_id=shift_id))
        return shift

    def step_place(self, step: Step) -> Place:
        if step.kind is StepKind.BREAK:
            shift = self.shifts[break_shift_id(step.booking_id)]
            return shift.break_place or shift.depot
        b = self.bookings[step.booking_id]
        return b.origin if step.kind is StepKind.PICKUP else b.destination

    # ------------------------------------------------------------------ breaks
    @staticmethod
    def booking_steps(shift: VehicleShift) -> list[Step]:
        """The shift's planned steps without its break."""
        return [s for s in shift.route if s.kind is not StepKind.BREAK]

    def plan_break(self, shift: VehicleShift) -> None:
        """Put the shift's planned break into its plan (at the end of its route; call it on a
        shift without bookings, or when restoring with ``position``): a stop at its
        ``break_place`` (default: the depot) whose
        service of ``break_s`` begins within [``break_earliest``, ``break_latest``], as a request
        already on board of the vehicle (so no search moves it to another one) that takes no
        seat. Insertions and the optimiser then keep the vehicle free for it."""
        self.insert_break(shift, len(self.routes[self.vehicle_slot_of[shift.shift_id]]))

    def insert_break(self, shift: VehicleShift, position: int) -> None:
        bid = break_id(shift.shift_id)
        if not shift.has_break or shift.break_started_at is not None or shift.ended or \
                bid in self.request_slot_of:
            return
        v = self.vehicle_slot_of[shift.shift_id]
        t = self.tables
        rs = t.alloc()
        depot = self.slots([(shift.break_place or shift.depot).node])[0]
        held = min(int(shift.start), int(shift.break_earliest))
        t.pickup_location[rs] = t.dropoff_location[rs] = depot
        t.seats[rs] = t.wheelchairs[rs] = 0
        t.pickup_earliest[rs] = t.pickup_latest[rs] = held
        t.dropoff_earliest[rs], t.dropoff_latest[rs] = int(shift.break_earliest), int(shift.break_latest)
        t.max_ride_time[rs] = int(NO_LIMIT // 4)
        t.pickup_service[rs], t.dropoff_service[rs] = 0, int(shift.break_s)
        t.onboard_vehicle[rs] = v
        t.pickup_begin[rs] = held
        self.bind(bid, rs)
        self.breaks[shift.shift_id] = rs
        codes = list(self.routes[v])
        codes.insert(position, 2 * rs + 1)
        self.set_route(v, codes)

    def drop_break(self, shift: VehicleShift) -> bool:
        """Take the shift's planned break out of its plan (it began, or the shift ends); True if
        it was planned."""
        bid = break_id(shift.shift_id)
        rs = self.request_slot_of.get(bid)
        if rs is None:
            return False
        v = self.vehicle_slot_of[shift.shift_id]
        self.set_route(v, [c for c in self.routes[v] if c // 2 != rs])
        self.unbind(bid)
        self.breaks.pop(shift.shift_id, None)
        self.tables.release(rs)
        return True

    def relax_overdue_breaks(self, now: int) -> None:
        """A break not begun by its latest start may begin any time until the shift's end allows
        it (the driver takes it as soon as they can; the riders' promises stay as they are)."""
        t = self.tables
        for shift_id, rs in self.breaks.items():
            if t.dropoff_latest[rs] < now:
                shift = self.shifts[shift_id]
                t.dropoff_latest[rs] = max(int(t.dropoff_latest[rs]), int(shift.end) - int(shift.break_s), now)
                self.touch()

    def unplanned_bookings(self) -> list[str]:
        """Active bookings that no vehicle's route holds (none, unless a restore could not place one)."""
        return [b for b, bk in self.bookings.items() if bk.status.active and b not in self.request_slot_of]

    # ------------------------------------------------------------------ the live problem
    def live_problem(self, now: int) -> LiveProblem | None:
        """The live plan as a compact :class:`DarpProblem` (open shifts, active bookings); None when
        there is no open shift or no active booking."""
        if self.breaks:
            self.relax_overdue_breaks(now)
        self.refresh_starts(now)
        t = self.tables
        vslots = [v for v, sid in enumerate(self.shift_of_slot) if not self.shifts[sid].ended]
        if not vslots:
            return None
        requests = list(self.request_slot_of)
        if not requests:
            return None
        rs = np.array([self.request_slot_of[b] for b in requests], dtype=np.int64)
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
        plan = Plan([[2 * index[c // 2] + c % 2 for c in self.routes[v]] for v in vslots])
        return LiveProblem(problem, plan, [self.shift_of_slot[v] for v in vslots], requests)
