"""Demand model: who asks for which ride, when, and how far ahead — from a municipality table.

All times here are **seconds since local midnight of the simulated day** (the run converts them to
epoch seconds). Every random draw comes from a ``numpy.random.Generator`` seeded with the run's
seed, so the same seed gives the same requests; the demand does not depend on the fleet, so
fleet sizes are compared on identical days (common random numbers).

Model (defaults in :class:`DemandConfig`):

* **Trip rate.** Each municipality produces Poisson(population × ``trips_per_1000`` / 1000 ×
  ``multiplier``) trips a day. Rural German on-demand services report about 1–5 trips per 1,000
  inhabitants per day, strong small-town services 8–15; the default is 4.
* **Destinations.** A share ``intra_share`` (default 0.3) stays inside the origin municipality;
  the rest follows a production-constrained gravity model: destination j of a trip from i is drawn
  with weight population_j / max(distance_ij, ``min_distance_km``) ^ ``gravity_beta`` (straight-line
  distance between the centres; beta 2 by default), so trips between i and j grow with
  population_i × population_j / distance^beta.
* **Places.** Door to door: a random road node within a radius of the municipality's centre that
  grows with its population, ``radius_m`` = ``radius_m_per_sqrt_1000`` × sqrt(population / 1000),
  clipped to [``min_radius_m``, ``max_radius_m``] (600 m × sqrt(pop/1000) in [700 m, 4 km]). With
  a stop table the rider walks from such a point to the nearest stop of that municipality (the
  nearest stop anywhere if the municipality has none). Origin and destination are redrawn (up to
  20 times) until they are at least ``min_trip_m`` (800 m) apart — shorter trips are walked.
* **Daily profile.** Desired times follow :data:`DEFAULT_HOURLY_WEIGHTS` (morning peak 07–08,
  afternoon peak 15–17; relative weights per local hour), restricted to the hours that start
  inside the operating hours and at least ``last_pickup_margin_s`` (1 h) before closing, uniform
  within the hour.
* **Booking lead.** ``advance_share`` (0.35) of trips are booked ahead: of those
  ``days_ahead_share`` (0.4) on an earlier day, the rest 1–12 h ahead (uniform). The others are
  short-notice: min_lead (the rules' 30 min) to 60 min ahead (uniform). Trips before the rules'
  early-trip time (08:00) must be booked the evening before, so they are always booked on an
  earlier day. In a one-day simulation "an earlier day" means at time 0 (midnight) of the run;
  requests made in the same second — all those at time 0 — are made in a seeded random order
  (bookings from earlier days arrive in no particular order).
* **Arrive-by.** ``arrive_by_share`` (0.15) of the advance bookings ask to arrive by their
  desired time instead of being picked up after it (appointments).
* **Groups and wheelchairs.** Party size 1/2/3/4 with probabilities 0.78/0.15/0.05/0.02
  (``group_size_weights``); ``wheelchair_share`` 2 % of requests include one wheelchair user.
* **Rider behaviour draws.** Each request carries three uniform numbers the rider agents compare
  with their shares (cancel, when to cancel, no-show), so behaviour is the same across fleets.

Requests can also be replayed from a CSV (:func:`read_request_csv`).
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from routing.errors import RoutingInputError
from routing.geo import haversine_m
from simulations.errors import SimulationInputError
from simulations.region import Region, _read_text

#: Relative demand per local hour (index 0 = 00:00–01:00). Rural on-demand profiles (school and
#: work trips in the morning, shopping, appointments and the way home in the afternoon).
DEFAULT_HOURLY_WEIGHTS: tuple[float, ...] = (
    0, 0, 0, 0, 0,            # 00–05
    1.5, 4.5, 8.0, 6.5,       # 05–09: morning peak 07–08
    5.5, 5.5, 6.0, 7.0,       # 09–13
    7.5, 7.5, 8.0, 8.0,       # 13–17: afternoon peak 15–17
    7.0, 5.5, 4.0, 3.0,       # 17–21
    2.0, 1.0, 0.5,            # 21–24
)

#: Saturday: no school or commuter peak; shopping and leisure late morning to afternoon.
SATURDAY_HOURLY_WEIGHTS: tuple[float, ...] = (
    0, 0, 0, 0, 0,
    0.5, 1.5, 3.0, 5.0,
    7.5, 8.0, 8.0, 7.5,
    6.5, 6.0, 6.0, 6.0,
    5.5, 5.0, 4.5, 4.0,
    3.0, 2.0, 1.0,
)
#: Sunday and holidays: visits and leisure from late morning, evening returns.
SUNDAY_HOURLY_WEIGHTS: tuple[float, ...] = (
    0, 0, 0, 0, 0,
    0.3, 0.8, 1.5, 3.0,
    5.0, 6.5, 7.0, 6.0,
    6.0, 6.5, 7.0, 7.0,
    6.5, 6.0, 5.0, 4.0,
    3.0, 2.0, 1.0,
)

#: Party size -> probability.
DEFAULT_GROUP_SIZE_WEIGHTS: dict[int, float] = {1: 0.78, 2: 0.15, 3: 0.05, 4: 0.02}

SHORT_NOTICE, HOURS_AHEAD, DAYS_AHEAD, REPLAYED = "short_notice", "hours_ahead", "days_ahead", "replayed"


@dataclass(frozen=True)
class DemandConfig:
    """Parameters of the demand model (see the module docstring for what each does)."""

    trips_per_1000: float = 4.0
    multiplier: float = 1.0
    gravity_beta: float = 2.0
    min_distance_km: float = 2.0
    intra_share: float = 0.3
    hourly_weights: tuple[float, ...] = DEFAULT_HOURLY_WEIGHTS
    last_pickup_margin_s: int = 3600
    advance_share: float = 0.35
    days_ahead_share: float = 0.4
    hours_ahead_range_s: tuple[int, int] = (3600, 12 * 3600)
    short_notice_max_lead_s: int = 3600
    arrive_by_share: float = 0.15
    group_size_weights: tuple[tuple[int, float], ...] = tuple(DEFAULT_GROUP_SIZE_WEIGHTS.items())
    wheelchair_share: float = 0.02
    radius_m_per_sqrt_1000: float = 600.0
    min_radius_m: float = 700.0
    max_radius_m: float = 4000.0
    min_trip_m: float = 800.0
    #: "county": settlements, zones, hubs, distance decay (:mod:`simulations.county`);
    #: "gravity": municipality-centre gravity model (the model before issue 19)
    model: str = "county"
    mean_trip_km: float = 5.0
    circuity: float = 1.3
    zone_count: int = 6
    zone_share: float = 0.8
    zones_on: bool = True
    hub_share: float = 0.3
    hub_min_population: float = 10_000
    hubs_csv: str | None = None
    #: with a stop table, its stations are hubs too (unless ``hubs_csv`` is given)
    station_hubs: bool = True
    #: demand on Saturdays and on Sundays/holidays relative to a weekday, and their profiles
    saturday_factor: float = 1.3
    sunday_factor: float = 0.6
    saturday_hourly_weights: tuple[float, ...] = SATURDAY_HOURLY_WEIGHTS
    sunday_hourly_weights: tuple[float, ...] = SUNDAY_HOURLY_WEIGHTS

    def __post_init__(self) -> None:
        def positive(name):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise SimulationInputError(f"demand: {name} must be a positive number, got {value!r}")

        def share(name):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and 0 <= value <= 1):
                raise SimulationInputError(f"demand: {name} must be a share between 0 and 1, got {value!r}")

        for name in ("trips_per_1000", "multiplier", "min_distance_km", "radius_m_per_sqrt_1000", "min_radius_m",
                     "max_radius_m", "mean_trip_km", "circuity", "zone_count", "hub_min_population"):
            positive(name)
        for name in ("intra_share", "advance_share", "days_ahead_share", "arrive_by_share", "wheelchair_share",
                     "zone_share", "hub_share"):
            share(name)
        if self.model not in ("county", "gravity"):
            raise SimulationInputError(f"demand: model must be 'county' or 'gravity', got {self.model!r}")
        if not (self.saturday_factor >= 0 and self.sunday_factor >= 0):
            raise SimulationInputError("demand: saturday_factor and sunday_factor must not be negative")
        if self.gravity_beta < 0:
            raise SimulationInputError("demand: gravity_beta must not be negative")
        for profile in (self.hourly_weights, self.saturday_hourly_weights, self.sunday_hourly_weights):
            if len(profile) != 24 or min(profile) < 0 or sum(profile) <= 0:
                raise SimulationInputError("demand: hourly_weights (and the Saturday and Sunday profiles) need 24 "
                                           "non-negative weights, not all zero")
        sizes = dict(self.group_size_weights)
        if not sizes or min(sizes) < 1 or min(sizes.values()) < 0 or sum(sizes.values()) <= 0:
            raise SimulationInputError("demand: group_size_weights maps party sizes ≥ 1 to non-negative weights")
        lo, hi = self.hours_ahead_range_s
        if not 0 < lo <= hi:
            raise SimulationInputError("demand: hours_ahead_range_s must be (low, high) with 0 < low ≤ high")

    def replace(self, **changes) -> "DemandConfig":
        import dataclasses

        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class ServiceDay:
    """The simulated day as the demand model needs it (seconds since local midnight)."""

    open_s: int
    close_s: int
    min_lead_s: int = 1800
    early_trip_before_s: int | None = 8 * 3600
    #: "weekday", "saturday" or "sunday" (Sundays and holidays)
    day_type: str = "weekday"


@dataclass(frozen=True)
class TripDemand:
    """One rider's request: when they ask, for when, from where to where."""

    request_id: int
    request_time: int                # seconds since midnight; 0 = booked before the day
    desired_time: int                # pickup_after, or arrive_by when ``arrive_by`` is set
    arrive_by: bool
    origin_node: int
    destination_node: int
    passengers: int = 1
    wheelchairs: int = 0
    origin_municipality: int = -1
    destination_municipality: int = -1
    origin_stop: int | None = None
    destination_stop: int | None = None
    booking: str = SHORT_NOTICE
    #: uniform draws for the rider agent: will they cancel, when, will they not show up
    u_cancel: float = 1.0
    u_cancel_time: float = 0.0
    u_no_show: float = 1.0
    #: replayed requests without a time ask for the earliest pickup
    asap: bool = False
    #: the hub at one end of the trip ("" for none)
    hub: str = ""
    #: a train or bus to meet (simulations.feeders): (stop_id, trip_id, direction, service_date)
    connection: tuple | None = None


# --------------------------------------------------------------------------- places
def _radius_m(population: float, area_km2: float | None, config: DemandConfig) -> float:
    radius = config.radius_m_per_sqrt_1000 * math.sqrt(population / 1000.0)
    radius = min(max(radius, config.min_radius_m), config.max_radius_m)
    if area_km2:   # never beyond the circle of the municipality's own area
        radius = min(radius, max(config.min_radius_m, 1000.0 * math.sqrt(area_km2 / math.pi)))
    return radius


def municipality_nodes(region: Region, config: DemandConfig) -> list[np.ndarray]:
    """Per municipality: the road nodes (sorted) door-to-door trips start or end at."""
    key = ("nodes", config.radius_m_per_sqrt_1000, config.min_radius_m, config.max_radius_m)
    cache = region.__dict__.setdefault("_demand_cache", {})
    if key not in cache:
        out = []
        for m, xy in zip(region.municipalities, region.centre_xy):
            nodes = np.array(sorted(region.node_tree.query_ball_point(xy, _radius_m(m.population, m.area_km2, config))),
                             dtype=np.int64)
            if len(nodes) < 5:
                _, nearest = region.node_tree.query(xy, k=min(20, region.network.node_count))
                nodes = np.sort(np.atleast_1d(nearest)).astype(np.int64)
            out.append(nodes)
        cache[key] = out
    return cache[key]


def _stop_trees(region: Region) -> tuple[list, cKDTree]:
    cache = region.__dict__.setdefault("_demand_cache", {})
    if "stops" not in cache:
        per_muni = []
        for m in range(len(region.municipalities)):
            idx = np.flatnonzero(region.stop_municipality == m)
            per_muni.append((idx, cKDTree(region.stop_xy[idx])) if len(idx) else None)
        cache["stops"] = (per_muni, cKDTree(region.stop_xy))
    return cache["stops"]


def _snap_to_stop(region: Region, node: int, municipality: int) -> tuple[int, int | None]:
    """With a stop table: the nearest stop of the municipality (anywhere if it has none)."""
    if not len(region.stops):
        return int(node), None
    per_muni, everywhere = _stop_trees(region)
    local = per_muni[municipality]
    if local is not None:
        idx, tree = local
        _, k = tree.query(region.node_xy[node])
        stop = int(idx[int(k)])
    else:
        _, k = everywhere.query(region.node_xy[node])
        stop = int(k)
    return int(region.stop_nodes[stop]), stop


def day_factor(config: DemandConfig, day: ServiceDay) -> float:
    """Demand of the day type relative to a weekday."""
    return {"saturday": config.saturday_factor, "sunday": config.sunday_factor}.get(day.day_type, 1.0)


def _place(region: Region, municipality: int, candidates: list[np.ndarray], rng) -> tuple[int, int | None]:
    """A road node (and stop index, with stops) for a trip end in ``municipality``."""
    nodes = candidates[municipality]
    return _snap_to_stop(region, int(nodes[rng.integers(len(nodes))]), municipality)


# --------------------------------------------------------------------------- generation
def destination_weights(region: Region, config: DemandConfig) -> np.ndarray:
    """Row-stochastic matrix P[i, j]: probability that a trip from i goes to j (intra share on i)."""
    lon = np.array([m.lon for m in region.municipalities])
    lat = np.array([m.lat for m in region.municipalities])
    n = len(lon)
    distance_km = haversine_m(lon[:, None], lat[:, None], lon[None, :], lat[None, :]) / 1000.0
    gravity = region.population[None, :] / np.maximum(distance_km, config.min_distance_km) ** config.gravity_beta
    np.fill_diagonal(gravity, 0.0)
    out = np.zeros((n, n))
    for i in range(n):
        total = gravity[i].sum()
        if total > 0:
            out[i] = (1.0 - config.intra_share) * gravity[i] / total
            out[i, i] = config.intra_share
        else:   # a single municipality: every trip stays inside
            out[i, i] = 1.0
    return out


def hour_weights(config: DemandConfig, day: ServiceDay) -> np.ndarray:
    """Normalised weights of the hours desired pickup times are drawn from."""
    profile = {"saturday": config.saturday_hourly_weights, "sunday": config.sunday_hourly_weights}.get(
        day.day_type, config.hourly_weights)
    weights = np.array(profile, dtype=np.float64)
    starts = np.arange(24) * 3600
    allowed = (starts >= day.open_s - 3599) & (starts < day.close_s - config.last_pickup_margin_s)
    weights = np.where(allowed, weights, 0.0)
    if weights.sum() <= 0:
        raise SimulationInputError("no demand: the hourly weights are zero in every hour the service operates; "
                                   "widen the operating hours or change hourly_weights")
    return weights / weights.sum()


def generate_demand(region: Region, config: DemandConfig, day: ServiceDay, seed: int) -> list[TripDemand]:
    """A day's requests, sorted by request time (ties in a seeded random order)."""
    rng = np.random.default_rng([int(seed), 0x5EED])
    n_muni = len(region.municipalities)
    expected = region.population * config.trips_per_1000 / 1000.0 * config.multiplier * day_factor(config, day)
    counts = rng.poisson(expected)
    origins = np.repeat(np.arange(n_muni), counts)
    total = len(origins)
    if total == 0:
        return []
    probabilities = destination_weights(region, config)
    cumulative = np.cumsum(probabilities, axis=1)
    cumulative[:, -1] = 1.0
    destinations = np.array([int(np.searchsorted(cumulative[i], u, side="right"))
                             for i, u in zip(origins, rng.random(total))], dtype=np.int64)
    destinations = np.minimum(destinations, n_muni - 1)

    hours = rng.choice(24, size=total, p=hour_weights(config, day))
    desired = hours * 3600 + rng.integers(0, 3600, size=total)
    desired = np.clip(desired, day.open_s, max(day.open_s, day.close_s - config.last_pickup_margin_s))

    sizes, size_w = zip(*sorted(dict(config.group_size_weights).items()))
    size_p = np.array(size_w, dtype=np.float64) / sum(size_w)
    passengers = rng.choice(np.array(sizes), size=total, p=size_p)
    wheelchairs = (rng.random(total) < config.wheelchair_share).astype(np.int64)

    u_advance, u_days, u_lead, u_arrive = rng.random((4, total))
    u_order = rng.random(total)
    behaviour = rng.random((total, 3))

    candidates = municipality_nodes(region, config)
    place_rng = np.random.default_rng([int(seed), 0x91ACE])
    county = None
    if config.model == "county":
        from simulations.county import county_destinations, read_hubs

        hubs = read_hubs(config.hubs_csv, region) if config.hubs_csv else None
        county = county_destinations(region, config, origins, place_rng, hubs)
        muni_of = region.municipality_of
    records = []
    hub_names = []
    lo, hi = config.hours_ahead_range_s
    for k in range(total):
        i, j = int(origins[k]), int(destinations[k])
        if county is not None:
            o_node, d_node, hub, _ = county[k]
            i, j = (int(m) for m in muni_of(*region.node_xy[[o_node, d_node]].T))
            o_node, o_stop = _snap_to_stop(region, o_node, i)
            d_node, d_stop = _snap_to_stop(region, d_node, j)
            hub_names.append(hub)
        else:
            o_node, o_stop = _place(region, i, candidates, place_rng)
            best = None
            for _ in range(20):
                d_node, d_stop = _place(region, j, candidates, place_rng)
                gap = float(np.hypot(*(region.node_xy[o_node] - region.node_xy[d_node])))
                if best is None or gap > best[0]:
                    best = (gap, d_node, d_stop)
                if gap >= config.min_trip_m:
                    break
            _, d_node, d_stop = best
            hub_names.append("")
        t = int(desired[k])
        early = day.early_trip_before_s is not None and t < day.early_trip_before_s
        if early or u_advance[k] < config.advance_share:
            if early or u_days[k] < config.days_ahead_share:
                kind, request_time = DAYS_AHEAD, 0
            else:
                kind = HOURS_AHEAD
                request_time = max(0, t - int(lo + u_lead[k] * (hi - lo)))
            arrive_by = u_arrive[k] < config.arrive_by_share and t >= day.open_s + 3600
        else:
            kind, arrive_by = SHORT_NOTICE, False
            lead_hi = max(day.min_lead_s, config.short_notice_max_lead_s)
            request_time = max(0, t - int(day.min_lead_s + u_lead[k] * (lead_hi - day.min_lead_s)))
        records.append((request_time, float(u_order[k]), dict(
            request_time=request_time, desired_time=t, arrive_by=bool(arrive_by), origin_node=o_node,
            destination_node=int(d_node), passengers=int(passengers[k]),
            wheelchairs=int(min(wheelchairs[k], passengers[k])), origin_municipality=i, destination_municipality=j,
            origin_stop=o_stop, destination_stop=d_stop, booking=kind, u_cancel=float(behaviour[k, 0]),
            u_cancel_time=float(behaviour[k, 1]), u_no_show=float(behaviour[k, 2]), hub=hub_names[k])))
    records.sort(key=lambda r: (r[0], r[1]))
    return [TripDemand(request_id=n, **r[2]) for n, r in enumerate(records)]


def expected_trips(region: Region, config: DemandConfig, day: ServiceDay | None = None) -> float:
    """Expected number of requests a day: population × rate / 1000 × multiplier (× the day type's factor)."""
    factor = day_factor(config, day) if day is not None else 1.0
    return float(region.population.sum() * config.trips_per_1000 / 1000.0 * config.multiplier * factor)


# --------------------------------------------------------------------------- replay
REPLAY_REQUIRED = ("request_time", "origin_lat", "origin_lon", "destination_lat", "destination_lon")
REPLAY_OPTIONAL = ("pickup_after", "arrive_by", "passengers", "wheelchairs")
_CLOCK = re.compile(r"^(\d{1,2}):([0-5]\d)(?::([0-5]\d))?$")


def parse_day_time(text: str) -> int:
    """Seconds since midnight from ``HH:MM``, ``HH:MM:SS`` (up to 47:59:59) or a number of seconds."""
    text = str(text).strip()
    m = _CLOCK.match(text)
    if m:
        hours = int(m.group(1))
        if hours > 47:
            raise ValueError(f"{text!r}: hours must be below 48")
        return hours * 3600 + int(m.group(2)) * 60 + int(m.group(3) or 0)
    if re.fullmatch(r"\d+", text):
        return int(text)
    raise ValueError(f"{text!r} is not a time; write HH:MM, HH:MM:SS or whole seconds since midnight")


def read_request_csv(path: str | Path, region: Region, seed: int = 0, rules=None) -> list[TripDemand]:
    """Requests replayed from a CSV.

    Columns: ``request_time`` (when the rider asks), ``pickup_after`` or ``arrive_by`` (at most
    one per row; both empty = as early as possible), ``origin_lat``, ``origin_lon``,
    ``destination_lat``, ``destination_lon`` (WGS84 degrees), ``passengers`` (default 1),
    ``wheelchairs`` (default 0). Times are local clock times of the simulated day ``HH:MM[:SS]``
    or whole seconds since midnight. Points are snapped to the nearest road node. With ``rules``
    (:class:`~ride_pool.dispatch.rules.ServiceRules`) party sizes are checked against its limits.
    """
    path = Path(path)
    text = _read_text(path, "request")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not lines:
        raise SimulationInputError(f"{path}: the request file is empty; it needs a header row "
                                   f"({', '.join(REPLAY_REQUIRED + REPLAY_OPTIONAL)}) and one row per request")
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REPLAY_REQUIRED if c not in header]
    if missing:
        raise SimulationInputError(f"{path}: missing column(s) {', '.join(missing)}; request files need "
                                   f"{', '.join(REPLAY_REQUIRED)} and optionally {', '.join(REPLAY_OPTIONAL)}")
    rng = np.random.default_rng([int(seed), 0xCA5E])
    raw = []
    for number, row in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        where = f"{path}, row {number}"
        try:
            request_time = parse_day_time(row["request_time"])
            pickup_after = parse_day_time(row["pickup_after"]) if row.get("pickup_after") else None
            arrive_by = parse_day_time(row["arrive_by"]) if row.get("arrive_by") else None
            coords = [float(row[c]) for c in ("origin_lat", "origin_lon", "destination_lat", "destination_lon")]
            passengers = int(row.get("passengers") or 1)
            wheelchairs = int(row.get("wheelchairs") or 0)
        except ValueError as exc:
            raise SimulationInputError(f"{where}: {exc}") from None
        if pickup_after is not None and arrive_by is not None:
            raise SimulationInputError(f"{where}: give pickup_after or arrive_by, not both")
        desired = pickup_after if pickup_after is not None else arrive_by
        if desired is not None and desired < request_time:
            raise SimulationInputError(f"{where}: the desired time {row.get('pickup_after') or row.get('arrive_by')} "
                                       f"lies before the request_time {row['request_time']}")
        if passengers < 1 or not 0 <= wheelchairs <= passengers:
            raise SimulationInputError(f"{where}: passengers must be ≥ 1 and wheelchairs between 0 and passengers")
        if rules is not None and (passengers > rules.max_passengers or wheelchairs > rules.max_wheelchairs):
            raise SimulationInputError(f"{where}: at most {rules.max_passengers} passengers and "
                                       f"{rules.max_wheelchairs} wheelchairs per booking (the service rules)")
        try:
            (o_node, d_node), _ = region.travel.snap_many([coords[1], coords[3]], [coords[0], coords[2]])
        except RoutingInputError as exc:
            raise SimulationInputError(f"{where}: {exc}") from None
        raw.append((request_time, number, dict(
            request_time=request_time, desired_time=desired if desired is not None else request_time,
            arrive_by=arrive_by is not None, asap=desired is None, origin_node=int(o_node),
            destination_node=int(d_node), passengers=passengers, wheelchairs=wheelchairs, booking=REPLAYED)))
    if not raw:
        raise SimulationInputError(f"{path}: the request file has a header but no requests")
    raw.sort(key=lambda r: (r[0], r[1]))
    munis = region.municipality_of(region.node_xy[[r[2]["origin_node"] for r in raw], 0],
                                   region.node_xy[[r[2]["origin_node"] for r in raw], 1])
    mund = region.municipality_of(region.node_xy[[r[2]["destination_node"] for r in raw], 0],
                                  region.node_xy[[r[2]["destination_node"] for r in raw], 1])
    behaviour = rng.random((len(raw), 3))
    return [TripDemand(request_id=n, origin_municipality=int(munis[n]), destination_municipality=int(mund[n]),
                       u_cancel=float(behaviour[n, 0]), u_cancel_time=float(behaviour[n, 1]),
                       u_no_show=float(behaviour[n, 2]), **r[2]) for n, r in enumerate(raw)]


def demand_summary(requests: list[TripDemand]) -> dict:
    """Counts and shares of a request list (for reports and tests)."""
    n = len(requests)
    if not n:
        return {"requests": 0}
    hours = np.bincount([r.desired_time // 3600 for r in requests], minlength=48)[:24]
    return {
        "requests": n,
        "passengers": int(sum(r.passengers for r in requests)),
        "intra_share": sum(r.origin_municipality == r.destination_municipality for r in requests) / n,
        "wheelchair_share": sum(r.wheelchairs > 0 for r in requests) / n,
        "booking_shares": {k: sum(r.booking == k for r in requests) / n
                           for k in (SHORT_NOTICE, HOURS_AHEAD, DAYS_AHEAD, REPLAYED)},
        "arrive_by_share": sum(r.arrive_by for r in requests) / n,
        "requests_by_hour": [int(h) for h in hours],
    }


__all__ = [
    "DemandConfig", "ServiceDay", "TripDemand", "generate_demand", "read_request_csv", "expected_trips",
    "destination_weights", "hour_weights", "municipality_nodes", "demand_summary", "parse_day_time",
    "DEFAULT_HOURLY_WEIGHTS", "DEFAULT_GROUP_SIZE_WEIGHTS",
]
