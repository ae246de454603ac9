"""The dial-a-ride problem as one frozen dataclass of flat, read-only numpy arrays.

Units are fixed once: every time is an integer number of **time units** (seconds in the live
service; benchmark instances scale their minutes, e.g. 1 unit = 1/1000 minute, see ``time_scale``).
Locations are indices into the ``travel_time`` / ``travel_cost`` matrices, which the caller builds
from the road network (or from an instance's coordinates).

Stops are coded as integers: request ``r`` has its pickup ``2 * r`` and its drop-off ``2 * r + 1``.
A plan is one stop sequence per vehicle (:class:`Plan`). Riders already on board appear only with
their drop-off, on the vehicle that carries them.

Time windows and the ride limit follow Cordeau (2006): a window bounds the *start of service* at a
stop; the ride time of request ``r`` is ``begin(dropoff) - (begin(pickup) + pickup_service)`` and
must not exceed ``max_ride_time``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from routing.errors import RoutingInputError

#: A time bound meaning "no limit" (fits int64 arithmetic without overflow when summed a few times).
NO_LIMIT = np.int64(2**52)
#: ``rejection_penalty`` of a request that must be served.
MUST_SERVE = np.int64(-1)
#: ``end_location`` of a vehicle whose route ends at its last stop (no return to a depot).
OPEN_END = -1


class DarpInputError(RoutingInputError):
    """The data given for a dial-a-ride problem is inconsistent; the message says what to fix."""


_REQUEST_FIELDS = {
    "pickup_location": np.int32,
    "dropoff_location": np.int32,
    "seats": np.int32,
    "wheelchairs": np.int32,
    "pickup_earliest": np.int64,
    "pickup_latest": np.int64,
    "dropoff_earliest": np.int64,
    "dropoff_latest": np.int64,
    "max_ride_time": np.int64,
    "pickup_service": np.int64,
    "dropoff_service": np.int64,
    "onboard_vehicle": np.int32,
    "pickup_begin": np.int64,
    "rejection_penalty": np.int64,
}
_VEHICLE_FIELDS = {
    "start_location": np.int32,
    "end_location": np.int32,
    "start_time": np.int64,
    "end_latest": np.int64,
    "seat_capacity": np.int32,
    "wheelchair_capacity": np.int32,
    "max_duration": np.int64,
}


@dataclass(frozen=True, eq=False)
class DarpProblem:
    """A static or dynamic dial-a-ride instance, validated once.

    Requests (one entry per request ``r``):
      ``pickup_location``/``dropoff_location`` (matrix indices), ``seats`` and ``wheelchairs``
      needed, the service-start windows ``pickup_earliest..pickup_latest`` and
      ``dropoff_earliest..dropoff_latest``, ``max_ride_time``, ``pickup_service`` and
      ``dropoff_service`` (boarding/alighting durations), ``onboard_vehicle`` (-1, or the vehicle
      that already carries the rider) with ``pickup_begin`` (when their pickup began; only read for
      riders on board), and ``rejection_penalty`` (``MUST_SERVE`` = -1, or the cost of leaving the
      request unserved in the static case).

    Vehicles (one entry per vehicle ``v``): ``start_location`` at ``start_time`` (a vehicle on the
    road starts where it will next be free to turn), ``end_location`` (a depot, or ``OPEN_END``)
    reached by ``end_latest``, ``seat_capacity``, ``wheelchair_capacity`` and ``max_duration`` of
    the route (``NO_LIMIT`` for none).
    """

    travel_time: np.ndarray
    pickup_location: np.ndarray
    dropoff_location: np.ndarray
    seats: np.ndarray
    wheelchairs: np.ndarray
    pickup_earliest: np.ndarray
    pickup_latest: np.ndarray
    dropoff_earliest: np.ndarray
    dropoff_latest: np.ndarray
    max_ride_time: np.ndarray
    pickup_service: np.ndarray
    dropoff_service: np.ndarray
    onboard_vehicle: np.ndarray
    pickup_begin: np.ndarray
    rejection_penalty: np.ndarray
    start_location: np.ndarray
    end_location: np.ndarray
    start_time: np.ndarray
    end_latest: np.ndarray
    seat_capacity: np.ndarray
    wheelchair_capacity: np.ndarray
    max_duration: np.ndarray
    #: cost of driving each leg (defaults to ``travel_time``); the objective sums it over routes
    travel_cost: np.ndarray | None = None
    #: how many time units make one unit of the source data (1 for seconds; 1000 for benchmarks)
    time_scale: int = 1
    name: str = ""
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        tt = np.ascontiguousarray(self.travel_time, dtype=np.int64)
        if tt.ndim != 2 or tt.shape[0] != tt.shape[1] or tt.shape[0] == 0:
            raise DarpInputError(f"travel_time must be a square, non-empty matrix, got shape {tt.shape}")
        if tt.min() < 0:
            raise DarpInputError("travel_time must not hold negative times")
        tt.flags.writeable = False
        object.__setattr__(self, "travel_time", tt)
        cost = tt if self.travel_cost is None else np.ascontiguousarray(self.travel_cost, dtype=np.int64)
        if cost.shape != tt.shape:
            raise DarpInputError(f"travel_cost has shape {cost.shape}, travel_time {tt.shape}: they must match")
        if cost is not tt:
            cost.flags.writeable = False
        object.__setattr__(self, "travel_cost", cost)
        for fields_, what in ((_REQUEST_FIELDS, "request"), (_VEHICLE_FIELDS, "vehicle")):
            size = None
            for name, dtype in fields_.items():
                value = np.ascontiguousarray(np.atleast_1d(getattr(self, name)), dtype=dtype)
                if getattr(self, name) is not None and np.ndim(getattr(self, name)) == 0 and size is not None:
                    value = np.full(size, value[0], dtype=dtype)
                if value.ndim != 1:
                    raise DarpInputError(f"{name} must be one-dimensional (one entry per {what})")
                if size is None:
                    size = len(value)
                elif len(value) != size:
                    raise DarpInputError(f"{name} has {len(value)} entries but there are {size} {what}s")
                value.flags.writeable = False
                object.__setattr__(self, name, value)
        self._validate()

    # ------------------------------------------------------------------ validation
    def _validate(self) -> None:
        n_loc = self.travel_time.shape[0]
        R, V = self.request_count, self.vehicle_count
        if V == 0:
            raise DarpInputError("the problem needs at least one vehicle")
        for name in ("pickup_location", "dropoff_location", "start_location"):
            a = getattr(self, name)
            if len(a) and (a.min() < 0 or a.max() >= n_loc):
                raise DarpInputError(f"{name} must index the travel-time matrix (0..{n_loc - 1})")
        if len(self.end_location) and (self.end_location.min() < OPEN_END or self.end_location.max() >= n_loc):
            raise DarpInputError(f"end_location must index the travel-time matrix or be OPEN_END ({OPEN_END})")
        for name in ("seats", "wheelchairs", "seat_capacity", "wheelchair_capacity"):
            if len(getattr(self, name)) and getattr(self, name).min() < 0:
                raise DarpInputError(f"{name} must not be negative")
        # a stop bound to its vehicle (``onboard_vehicle``) may carry nobody: a driver's planned break
        empty = (self.seats + self.wheelchairs == 0) & (self.onboard_vehicle < 0) if R else None
        if R and np.any(empty):
            r = int(np.argmax(empty))
            raise DarpInputError(f"request {r} carries nobody: seats + wheelchairs must be at least 1")
        for name in ("pickup_service", "dropoff_service", "max_ride_time"):
            if R and getattr(self, name).min() < 0:
                raise DarpInputError(f"{name} must not be negative")
        for lo, hi in (("pickup_earliest", "pickup_latest"), ("dropoff_earliest", "dropoff_latest")):
            bad = getattr(self, lo) > getattr(self, hi)
            if bad.any():
                r = int(np.argmax(bad))
                raise DarpInputError(f"request {r}: {lo} is after {hi}; a time window must not be empty")
        if V and np.any(self.start_time > self.end_latest):
            v = int(np.argmax(self.start_time > self.end_latest))
            raise DarpInputError(f"vehicle {v}: start_time is after end_latest")
        if V and np.any(self.max_duration < 0):
            raise DarpInputError("max_duration must not be negative")
        ob = self.onboard_vehicle
        if R and (ob.min() < -1 or ob.max() >= V):
            raise DarpInputError(f"onboard_vehicle must be -1 or a vehicle index (0..{V - 1})")
        if R and np.any((self.rejection_penalty < 0) & (self.rejection_penalty != MUST_SERVE)):
            raise DarpInputError("rejection_penalty must be MUST_SERVE (-1) or a non-negative cost")
        if R and np.any((ob >= 0) & (self.rejection_penalty != MUST_SERVE)):
            raise DarpInputError("a rider on board must be served: set rejection_penalty to MUST_SERVE")
        if R and (ob >= 0).any():
            on = ob >= 0
            seats_on = np.bincount(ob[on], weights=self.seats[on], minlength=V)
            chairs_on = np.bincount(ob[on], weights=self.wheelchairs[on], minlength=V)
            over = (seats_on > self.seat_capacity) | (chairs_on > self.wheelchair_capacity)
            if over.any():
                v = int(np.argmax(over))
                raise DarpInputError(
                    f"vehicle {v} carries {int(seats_on[v])} seated riders and {int(chairs_on[v])} wheelchairs, "
                    f"more than its {int(self.seat_capacity[v])} seats and {int(self.wheelchair_capacity[v])} "
                    "wheelchair places; correct the riders on board or the capacity")

    # ------------------------------------------------------------------ facts
    @property
    def request_count(self) -> int:
        return len(self.pickup_location)

    @property
    def vehicle_count(self) -> int:
        return len(self.start_location)

    @property
    def location_count(self) -> int:
        return self.travel_time.shape[0]

    def stop_location(self, stop: int) -> int:
        r, is_drop = divmod(int(stop), 2)
        return int(self.dropoff_location[r] if is_drop else self.pickup_location[r])

    def direct_ride_time(self) -> np.ndarray:
        """Direct travel time from each request's pickup to its drop-off."""
        return self.travel_time[self.pickup_location, self.dropoff_location]

    def request_error(self, r: int) -> str | None:
        """Why request ``r`` can never be served by any vehicle (None when it might be)."""
        direct = int(self.travel_time[self.pickup_location[r], self.dropoff_location[r]])
        if direct > self.max_ride_time[r]:
            return (f"request {r}: the direct trip takes {direct} time units, more than its maximum ride "
                    f"time {int(self.max_ride_time[r])}")
        if self.pickup_earliest[r] + self.pickup_service[r] + direct > self.dropoff_latest[r]:
            return f"request {r}: even a direct trip from the earliest pickup arrives after the drop-off window"
        fits = (self.seat_capacity >= self.seats[r]) & (self.wheelchair_capacity >= self.wheelchairs[r])
        if not fits.any():
            return (f"request {r}: needs {int(self.seats[r])} seats and {int(self.wheelchairs[r])} wheelchair "
                    f"places; no vehicle has that much room")
        return None

    def tightened(self) -> "DarpProblem":
        """The same problem with time windows narrowed by what the ride limit and travel times imply.

        Pickup no earlier than ``dropoff_earliest - pickup_service - max_ride_time`` and no later
        than ``dropoff_latest - pickup_service - direct``; drop-off no earlier than
        ``pickup_earliest + pickup_service + direct`` and no later than
        ``pickup_latest + pickup_service + max_ride_time`` (Cordeau 2006). Riders on board keep
        their drop-off bound from their actual pickup. Feasible plans are unchanged as long as travel
        times obey the triangle inequality (shortest paths and rounded-up Euclidean times do).
        """
        direct = self.direct_ride_time()
        ps, L = self.pickup_service, self.max_ride_time
        onboard = self.onboard_vehicle >= 0
        pe = np.maximum(self.pickup_earliest, self.dropoff_earliest - ps - L)
        pl = np.minimum(self.pickup_latest, self.dropoff_latest - ps - direct)
        de = np.maximum(self.dropoff_earliest, self.pickup_earliest + ps + direct)
        dl = np.minimum(self.dropoff_latest, self.pickup_latest + ps + L)
        dl = np.where(onboard, np.minimum(self.dropoff_latest, self.pickup_begin + ps + L), dl)
        de = np.where(onboard, self.dropoff_earliest, de)
        pe = np.where(onboard, self.pickup_earliest, pe)
        pl = np.where(onboard, self.pickup_latest, pl)
        # Never produce an empty window: leave an impossible request's window as it was, so the
        # insertion search reports it as infeasible rather than the constructor failing.
        keep = (pe > pl) | (de > dl)
        return self.replace(
            pickup_earliest=np.where(keep, self.pickup_earliest, pe),
            pickup_latest=np.where(keep, self.pickup_latest, pl),
            dropoff_earliest=np.where(keep, self.dropoff_earliest, de),
            dropoff_latest=np.where(keep, self.dropoff_latest, dl),
        )

    def replace(self, **changes) -> "DarpProblem":
        """A copy with some fields changed (validated again)."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        values.update(changes)
        return DarpProblem(**values)


@dataclass
class Plan:
    """One stop sequence per vehicle (stop codes ``2r`` pickup, ``2r+1`` drop-off).

    Requests in no route are unserved (rejected in the static case).
    """

    routes: list[list[int]]

    @classmethod
    def empty(cls, problem: DarpProblem) -> "Plan":
        return cls([[] for _ in range(problem.vehicle_count)])

    def copy(self) -> "Plan":
        return Plan([list(r) for r in self.routes])

    def served_requests(self) -> np.ndarray:
        stops = [s for route in self.routes for s in route if s % 2 == 1]
        return np.array(sorted(s // 2 for s in stops), dtype=np.int64)

    def vehicles_used(self) -> int:
        return sum(1 for r in self.routes if r)

    def vehicle_of_requests(self) -> dict[int, int]:
        """{request: index of the route with its stops} for every request in the plan."""
        return {c // 2: v for v, route in enumerate(self.routes) for c in route}

    def objective(self, problem: DarpProblem, vehicle_fixed_cost: int = 0, unserved_must_cost: int = 0) -> int:
        """:meth:`cost` + ``vehicle_fixed_cost`` per used vehicle + the rejection penalty of every
        request left out (``unserved_must_cost`` for a must-serve one)."""
        served = np.zeros(problem.request_count, dtype=bool)
        served[self.served_requests()] = True
        penalty = np.where(problem.rejection_penalty == MUST_SERVE, unserved_must_cost, problem.rejection_penalty)
        return self.cost(problem) + vehicle_fixed_cost * self.vehicles_used() + int(penalty[~served].sum())

    def cost(self, problem: DarpProblem) -> int:
        """Sum of ``travel_cost`` over every used vehicle's legs, depot to depot (unused vehicles cost 0)."""
        total = 0
        cost = problem.travel_cost
        for v, route in enumerate(self.routes):
            if not route:
                continue
            loc = int(problem.start_location[v])
            for stop in route:
                nxt = problem.stop_location(stop)
                total += int(cost[loc, nxt])
                loc = nxt
            end = int(problem.end_location[v])
            if end != OPEN_END:
                total += int(cost[loc, end])
        return total


def warm_up_problem() -> DarpProblem:
    """One request, one vehicle, two places: the argument types of real calls for the warm-ups that
    compile (or load from numba's cache) the kernels before the first real call."""
    tt = np.array([[0, 5], [5, 0]], dtype=np.int64)
    return DarpProblem(travel_time=tt, pickup_location=[0], dropoff_location=[1], seats=[1], wheelchairs=[0],
                       pickup_earliest=[0], pickup_latest=[100], dropoff_earliest=[0], dropoff_latest=[100],
                       max_ride_time=[50], pickup_service=[0], dropoff_service=[0], onboard_vehicle=[-1],
                       pickup_begin=[0], rejection_penalty=[-1], start_location=[0], end_location=[0],
                       start_time=[0], end_latest=[100], seat_capacity=[3], wheelchair_capacity=[0],
                       max_duration=[NO_LIMIT])


def euclidean_matrix(x: np.ndarray, y: np.ndarray, scale: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact float distances and the integer matrix ``ceil(distance * scale)`` used as time.

    Rounding *up* keeps every plan feasible under the integer times feasible under the exact
    ones too (a vehicle can only arrive earlier and wait).
    """
    dx = x[:, None] - x[None, :]
    dy = y[:, None] - y[None, :]
    exact = np.sqrt(dx * dx + dy * dy)
    scaled = np.ceil(exact * scale).astype(np.int64)
    return exact, scaled
