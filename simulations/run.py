"""One simulated service day: (region, fleet size, demand multiplier, seed) → KPI dict.

The day runs on the real :class:`~ride_pool.dispatch.dispatcher.Dispatcher` with an
:class:`~ride_pool.dispatch.store.InMemoryStore`; the dispatcher reads the simulated clock. KPIs
come from the store's event log through :func:`ride_pool.dispatch.kpis.compute_kpis`, exactly as
the live service computes them.

Fleet (:class:`FleetConfig`): N vehicles with 8 places each; a share of them (every second one by
default, at least one) has 1 wheelchair place in place of a seat. The vehicles run driver shifts
from a shift plan (:mod:`simulations.shifts`; default: staggered early and late shifts with
breaks, breaks modelled as gaps between dispatcher shifts); each part of a driver shift is one
dispatcher shift that starts and ends at the vehicle's depot. Depots lie at the centres of the
largest towns (at most ``depot_towns``), vehicles shared out in proportion to population
(D'Hondt).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from dataclasses import dataclass, field
from datetime import date as Date
from datetime import datetime
from datetime import time as Time
from functools import partial
from zoneinfo import ZoneInfo

import holidays
import numpy as np

from ride_pool.dispatch.dispatcher import Dispatcher
from ride_pool.dispatch.domain import EventKind
from ride_pool.dispatch.rules import WEEKDAYS, ServiceRules
from ride_pool.dispatch.store import Change, InMemoryStore, StoredState
from simulations.agents import RiderConfig, Riders, VehicleAgent, VehicleConfig, demand_weights
from simulations.demand import DemandConfig, ServiceDay, TripDemand, generate_demand, read_request_csv
from simulations.errors import SimulationInputError
from simulations.events import PRIORITY_OPTIMISE, PRIORITY_REQUEST, PRIORITY_SHIFT, EventLoop
from simulations.kpis import CostModel, standard_kpis
from simulations.region import Region, get_region
from simulations.shifts import ShiftPlanConfig, default_shift_plan

#: A Tuesday outside school holidays and clock changes.
DEFAULT_DATE = "2025-09-16"


@dataclass(frozen=True)
class FleetConfig:
    """Vehicles, places and depots (see the module docstring)."""

    places: int = 8
    wheelchair_vehicle_share: float = 0.5
    wheelchair_places: int = 1
    depot_towns: int = 6

    def __post_init__(self) -> None:
        if self.places < 1 or not 0 <= self.wheelchair_places <= self.places:
            raise SimulationInputError("fleet: places must be ≥ 1 and wheelchair_places between 0 and places")
        if not 0 <= self.wheelchair_vehicle_share <= 1:
            raise SimulationInputError("fleet: wheelchair_vehicle_share must be a share between 0 and 1")
        if self.depot_towns < 1:
            raise SimulationInputError("fleet: depot_towns must be at least 1")


@dataclass(frozen=True)
class ShiftPlan:
    shift_id: int
    vehicle_id: int
    label: str
    seats: int
    wheelchair_places: int
    start: int
    end: int
    depot_municipality: int
    depot_node: int
    #: the vehicle takes no new work from here on and drives home once its route is done
    close: int = 0
    driver_shift: str = ""


@dataclass(frozen=True)
class RunSpec:
    """Everything one simulated day depends on. ``demand`` multiplies the demand model's rate."""

    region: str = "demo"
    municipalities: str | None = None
    stops: str | None = None
    requests_csv: str | None = None
    fleet: int = 10
    demand: float = 1.0
    seed: int = 0
    date: str = DEFAULT_DATE
    demand_config: DemandConfig = field(default_factory=DemandConfig)
    riders: RiderConfig = field(default_factory=RiderConfig)
    vehicles: VehicleConfig = field(default_factory=VehicleConfig)
    fleet_config: FleetConfig = field(default_factory=FleetConfig)
    rules: ServiceRules = field(default_factory=ServiceRules)
    #: background optimiser every this many simulated seconds (None: off). Its time limit is wall
    #: clock, so runs with it on are not reproducible bit for bit.
    reoptimise_every_s: int | None = None
    reoptimise_time_limit_s: float = 1.0
    cost_model: CostModel = field(default_factory=CostModel)
    #: driver shifts (None: :func:`simulations.shifts.default_shift_plan` for the day's hours)
    shift_plan: ShiftPlanConfig | None = None
    #: return (origin node, destination node, outcome code) per request as ``trips``
    keep_trips: bool = False
    #: keep every object version in an InMemoryStore (slower) instead of the event log only
    full_store: bool = False
    #: the scheduled lines' timetable (plain data: ride_pool.gtfs.timetable.Timetable) and the share
    #: of requests that become feeder trips to and from its stations (simulations.feeders)
    timetable: object = None
    feeder_share: float = 0.0

    def __post_init__(self) -> None:
        if not (isinstance(self.fleet, int) and self.fleet >= 1):
            raise SimulationInputError(f"fleet size must be a whole number ≥ 1, got {self.fleet!r}")
        if not (isinstance(self.demand, (int, float)) and math.isfinite(self.demand) and self.demand > 0):
            raise SimulationInputError(f"demand multiplier must be a number > 0, got {self.demand!r}")
        if not (isinstance(self.feeder_share, (int, float)) and 0 <= self.feeder_share <= 1):
            raise SimulationInputError(f"feeder share must be between 0 and 1, got {self.feeder_share!r}")
        if self.reoptimise_every_s is not None and self.reoptimise_every_s <= 0:
            raise SimulationInputError("reoptimise_every_s must be positive (or None for off)")

    def replace(self, **changes) -> "RunSpec":
        return dataclasses.replace(self, **changes)


# --------------------------------------------------------------------------- calendar and fleet
def _hhmm(text: str) -> int:
    hours, minutes = str(text).split(":")
    return int(hours) * 3600 + int(minutes) * 60


def service_day(rules: ServiceRules, day: str, state: str | None = None) -> tuple[int, ServiceDay]:
    """(epoch seconds of local midnight, the day's service hours) for ISO date ``day``.

    A public holiday of ``state`` (ISO 3166-2 code without ``DE-``, e.g. ``SN``; the region's own
    state in a simulation) is run as a Sunday: Sunday hours and the Sunday/holiday demand profile."""
    try:
        d = Date.fromisoformat(day)
    except ValueError:
        raise SimulationInputError(f"date {day!r} is not an ISO date (YYYY-MM-DD)") from None
    midnight = int(datetime.combine(d, Time(0), ZoneInfo(rules.timezone)).timestamp())
    weekday = WEEKDAYS[d.weekday()]
    holiday = public_holiday(d, state)
    if holiday:
        weekday = "sun"
    hours = rules.operating_hours.get(weekday)
    if not hours:
        what = f"public holiday {holiday} ({state})" if holiday else weekday
        raise SimulationInputError(f"the service does not operate on {what} {day}; choose another date")
    early = _hhmm(rules.early_trip_before) if rules.early_trip_before else None
    day_type = "saturday" if weekday == "sat" else "sunday" if weekday == "sun" else "weekday"
    return midnight, ServiceDay(_hhmm(hours[0]), _hhmm(hours[1]), int(rules.min_lead_s), early, day_type)


def public_holiday(d: Date, state: str | None) -> str | None:
    """The name of the statutory public holiday on ``d`` in German state ``state`` (None: not one,
    or no state given). The calendar is the `holidays` package's, which knows each state's own
    days (e.g. Buß- und Bettag in Saxony only)."""
    if not state:
        return None
    try:
        calendar = holidays.country_holidays("DE", subdiv=state, years=d.year)
    except NotImplementedError:
        raise SimulationInputError(f"unknown German state {state!r}: give an ISO 3166-2 code such as SN, HE "
                                   "or ST") from None
    return calendar.get(d)


def depot_allocation(population: np.ndarray, fleet: int, towns: int) -> list[int]:
    """Municipality index of each vehicle's depot: the ``towns`` largest, by D'Hondt on population."""
    order = sorted(range(len(population)), key=lambda i: (-population[i], i))[:towns]
    allocated = {i: 0 for i in order}
    out = []
    for _ in range(fleet):
        best = max(order, key=lambda i: (population[i] / (allocated[i] + 1), -order.index(i)))
        allocated[best] += 1
        out.append(best)
    return out


def shift_plan_for(spec_plan: ShiftPlanConfig | None, day: ServiceDay) -> ShiftPlanConfig:
    """The run's shift plan: the given one, or staggered early and late shifts over the day's hours."""
    return spec_plan if spec_plan is not None else default_shift_plan(day.open_s, day.close_s)


def plan_fleet(region: Region, fleet: int, config: FleetConfig, day_start: int, day: ServiceDay,
               shifts: ShiftPlanConfig | None = None) -> list[ShiftPlan]:
    """Dispatcher shifts of ``fleet`` vehicles: each vehicle's driver shifts (its group's in the
    shift plan) cut at their breaks; depots at the largest towns."""
    shifts = shift_plan_for(shifts, day)
    depots = depot_allocation(region.population, fleet, config.depot_towns)
    groups = shifts.vehicle_groups(fleet)
    numbering: dict[int, itertools.count] = {}
    plans = []
    shift_id = itertools.count(1)
    for i, municipality in enumerate(depots):
        wheelchair = config.wheelchair_places > 0 and \
            math.ceil((i + 1) * config.wheelchair_vehicle_share) > math.ceil(i * config.wheelchair_vehicle_share)
        wheelchair_places = config.wheelchair_places if wheelchair else 0
        town = region.municipalities[municipality].name.split(",")[0]
        k = next(numbering.setdefault(municipality, itertools.count(1)))
        label = f"{town} {k}" + (" (wheelchair)" if wheelchair else "")
        for template in shifts.groups[groups[i]].shifts:
            for a, b in template.parts():
                plans.append(ShiftPlan(
                    shift_id=next(shift_id), vehicle_id=i + 1, label=f"{label} · {template.name}",
                    seats=config.places - wheelchair_places, wheelchair_places=wheelchair_places,
                    start=day_start + a, end=day_start + b, depot_municipality=municipality,
                    depot_node=int(region.centre_nodes[municipality]),
                    close=day_start + max(a, b - shifts.return_margin_s), driver_shift=template.name))
    return plans


# --------------------------------------------------------------------------- the simulation
class EventLogStore:
    """A dispatcher store that keeps only the event log (all the KPIs need).

    :class:`~ride_pool.dispatch.store.InMemoryStore` also deep-copies every changed shift on each
    commit so that it can :meth:`load` the state after a restart; a simulated day never restarts,
    and those copies cost about a fifth of its run time.
    """

    def __init__(self):
        self.events: list = []
        self.commits = 0

    def commit(self, change: Change) -> None:
        self.commits += 1
        self.events.extend(change.events)

    def load(self, now: int) -> StoredState:
        raise NotImplementedError("EventLogStore keeps only events; use InMemoryStore to restore a dispatcher")


class Simulation:
    """A simulated day: event loop, dispatcher, riders and vehicles. Build, then :meth:`run`."""

    def __init__(self, region: Region, spec: RunSpec, requests: list[TripDemand] | None = None):
        self.region = region
        self.spec = spec
        self.day_start, self.day = service_day(spec.rules, spec.date, region.state)
        self.loop = EventLoop(start=self.day_start)
        ids = itertools.count(1)
        self.store = InMemoryStore() if spec.full_store else EventLogStore()
        self.dispatcher = Dispatcher(region.travel, rules=spec.rules, store=self.store, clock=self.loop.clock,
                                     new_id=lambda: f"{next(ids):08d}", name=f"sim-{region.name}")
        if requests is not None:
            self.requests = list(requests)
        elif spec.requests_csv:
            self.requests = read_request_csv(spec.requests_csv, region, seed=spec.seed, rules=spec.rules)
        else:
            config = spec.demand_config.replace(multiplier=float(spec.demand))
            self.requests = generate_demand(region, config, self.day, spec.seed)
        if spec.timetable is not None:
            self.dispatcher.set_timetable(spec.timetable)
            if spec.feeder_share > 0:
                from simulations.feeders import feeder_demand

                self.requests = feeder_demand(region, spec.timetable, self.requests, share=spec.feeder_share,
                                              seed=spec.seed, day_start=self.day_start,
                                              buffer_s=spec.rules.transfer_buffer_s, min_lead_s=spec.rules.min_lead_s)
        self.demand_weights = demand_weights(self.requests, len(region.municipalities), region.population)
        self.riders = Riders(self, spec.riders)
        self.shift_config = shift_plan_for(spec.shift_plan, self.day)
        self.shift_plans = plan_fleet(region, spec.fleet, spec.fleet_config, self.day_start, self.day,
                                      self.shift_config)
        self.vehicles: dict[int, VehicleAgent] = {}
        for plan in self.shift_plans:
            depot = self.dispatcher.place_at_node(plan.depot_node, name=f"Depot {plan.label}")
            self.dispatcher.add_shift(plan.shift_id, plan.vehicle_id, plan.label, plan.seats, plan.wheelchair_places,
                                      plan.start, plan.end, depot)
            agent = VehicleAgent(self, plan.shift_id, plan.depot_node, spec.vehicles)
            self.vehicles[plan.shift_id] = agent
            self.loop.at(max(plan.start, self.loop.now), agent.start, priority=PRIORITY_SHIFT, label="shift start")
            self.loop.at(max(plan.close, plan.start), agent.close, priority=PRIORITY_SHIFT, label="closing")
        self.dispatcher.subscribe(self._on_event)
        for trip in self.requests:
            self.loop.at(self.day_start + trip.request_time, partial(self.riders.ask, trip), priority=PRIORITY_REQUEST,
                         label="request")
        if spec.reoptimise_every_s:
            self.loop.at(self.day_start + self.day.open_s, self._reoptimise, priority=PRIORITY_OPTIMISE)
        self.wall_s: float | None = None
        self.cpu_s: float | None = None     # processor time of the run (this process), for busy machines

    def _on_event(self, event) -> None:
        if event.shift_id is not None:
            agent = self.vehicles.get(event.shift_id)
            if agent is not None:
                agent.notify(event)
        elif event.kind == EventKind.PLAN_REOPTIMISED:
            for agent in self.vehicles.values():
                agent.notify(event)

    def _reoptimise(self) -> None:
        self.dispatcher.reoptimise(self.spec.reoptimise_time_limit_s, seed=self.spec.seed)
        if self.loop.now + self.spec.reoptimise_every_s < self.day_start + self.day.close_s:
            self.loop.after(self.spec.reoptimise_every_s, self._reoptimise, priority=PRIORITY_OPTIMISE)

    def run(self) -> dict:
        """Run the day to its end; the KPI dict of the event log."""
        start, cpu = time.perf_counter(), time.process_time()
        self.loop.run()
        self.wall_s = time.perf_counter() - start
        self.cpu_s = time.process_time() - cpu
        rules = self.spec.rules
        kpis = standard_kpis(self.store.events, self.spec.cost_model, day_start=self.day_start,
                             stop_service_s=(rules.boarding_s, rules.alighting_s, rules.wheelchair_extra_s))
        start = kpis.get("peak_hour_start_s")
        kpis["peak_hour_on_duty_share"] = None if start is None else round(
            self.shift_config.on_duty_seconds(self.spec.fleet, start, start + 3600) / (3600.0 * self.spec.fleet), 4)
        return kpis

    @property
    def events(self):
        return self.store.events

    def unfinished(self) -> dict:
        """What is left at the end of the day (all zero after a clean day)."""
        return {
            "shifts_not_ended": sum(1 for s in self.dispatcher.shifts.values() if not s.ended),
            "bookings_active": sum(1 for b in self.dispatcher.bookings.values() if b.status.active),
        }

    def trips(self) -> np.ndarray:
        """(origin node, destination node, outcome code) per request."""
        codes = self.riders.outcomes(self.requests)
        return np.column_stack([
            np.array([r.origin_node for r in self.requests], dtype=np.int64),
            np.array([r.destination_node for r in self.requests], dtype=np.int64),
            codes.astype(np.int64)]) if self.requests else np.zeros((0, 3), dtype=np.int64)


def run_simulation(spec: RunSpec, region: Region | None = None) -> dict:
    """Simulate one day; a flat result row: the run's parameters, its KPIs and bookkeeping."""
    region = region if region is not None else get_region(spec.region, spec.municipalities, spec.stops)
    sim = Simulation(region, spec)
    kpis = sim.run()
    row = {"region": region.name, "fleet": spec.fleet, "demand": float(spec.demand), "seed": spec.seed,
           **kpis, **sim.unfinished(), "loop_calls": sim.loop.calls_run, "events": len(sim.events),
           "wall_s": round(sim.wall_s, 3)}
    if spec.keep_trips:
        row["trips"] = sim.trips()
    return row
