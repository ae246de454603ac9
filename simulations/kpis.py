"""Standard planning KPIs of a simulated day, from the dispatcher's event log.

Every KPI is defined once, with formula and unit, in ``simulations/README.md`` (section
"KPIs"); this module is the one place that computes them. The counts (requests, outcomes,
served, rejections by cause, pooled share, driving hours) come from
:func:`ride_pool.dispatch.kpis.compute_kpis`, the function the live operations view uses; this
module adds what a county planner compares services on (load on board, passengers per revenue
hour, detour as a ratio of sums, waits from the requested time and from the promised window,
booking lead, deadhead, costs from paid driver hours, subsidy, CO2) and leaves out the live
view's KPIs a plan measures otherwise (direct passenger-km per vehicle-km, the live detour, costs
from vehicle presence).

Inputs are the log only (``Event`` objects or dicts with the same fields) and the
:class:`CostModel`; a ratio over zero items is ``None``.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Iterable

import numpy as np

from ride_pool.dispatch.domain import EventKind
from ride_pool.dispatch.kpis import compute_kpis
from simulations.errors import SimulationInputError

#: keys of :func:`compute_kpis` the plan leaves out or computes itself (``detour_ratio`` is the same
#: ratio of sums, computed below with its per-trip p95), and costs from vehicle presence (replaced
#: by the cost model below) — see the README's KPI section
DROPPED_KEYS = ("direct_km_per_vehicle_km", "detour_p95", "wait_mean_s", "wait_p50_s", "wait_p95_s",
                "cost_total_eur", "cost_per_served_trip_eur", "cost_per_served_passenger_eur", "cost_model")


@dataclass(frozen=True)
class CostModel:
    """What a service day costs (defaults and their sources: ``simulations/README.md``).

    * ``driver_eur_per_paid_hour``: employer's cost of one paid driver hour (wage, social
      security, paid leave and sickness spread over the hours worked).
    * ``vehicle_eur_per_day``: a vehicle's fixed cost per service day (lease or depreciation,
      insurance, tax, equipment), for every vehicle of the fleet.
    * ``eur_per_km``: energy, tyres, maintenance per vehicle-km.
    * ``control_centre_eur_per_day``: booking and dispatch centre staff and software per day.
    * ``overhead_share``: operator's overhead and margin on top of all of the above.
    * ``fare_eur_per_passenger``: mean fare revenue per passenger carried; ``None`` = no fare
      model, then ``subsidy_per_passenger_eur`` is ``None`` too.
    * ``co2_kg_per_km``: tank-to-wheel emission factor of a vehicle-km.
    """

    driver_eur_per_paid_hour: float = 30.0
    vehicle_eur_per_day: float = 65.0
    eur_per_km: float = 0.25
    control_centre_eur_per_day: float = 700.0
    overhead_share: float = 0.15
    fare_eur_per_passenger: float | None = None
    co2_kg_per_km: float = 0.265

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if value is None and name == "fare_eur_per_passenger":
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or value < 0:
                raise SimulationInputError(f"cost model: {name} must be a number ≥ 0, got {value!r}")
        if self.overhead_share > 1:
            raise SimulationInputError(f"cost model: overhead_share is a share (0.15 = 15 %), got "
                                       f"{self.overhead_share!r}")

    @classmethod
    def from_mapping(cls, data: dict, source: str = "cost model") -> "CostModel":
        if not isinstance(data, dict):
            raise SimulationInputError(f"{source}: expected a JSON object with the cost model's fields")
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise SimulationInputError(f"{source}: unknown field(s) {', '.join(unknown)}; known: "
                                       f"{', '.join(sorted(known))}")
        return cls(**data)


# --------------------------------------------------------------------------- helpers
def _f(event, name, default=None):
    if isinstance(event, dict):
        return event.get(name, default)
    return getattr(event, name, default)


def _kind(event) -> str:
    kind = _f(event, "kind")
    return kind.value if isinstance(kind, EventKind) else str(kind)


def _num(value):
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _ratio(a, b, digits=4):
    return None if not b else round(float(a) / float(b), digits)


def _pct(values, q, digits=1):
    return round(float(np.percentile(np.asarray(values, dtype=np.float64), q)), digits) if len(values) else None


def _mean(values, digits=1):
    return round(float(np.mean(values)), digits) if len(values) else None


# --------------------------------------------------------------------------- the KPIs
def standard_kpis(events: Iterable, cost: CostModel | None = None, *,
                  stop_service_s: tuple[int, int, int] = (60, 30, 120), peak_window_s: int = 3600,
                  day_start: int | None = None) -> dict:
    """The planning KPIs of one service day's log (see the README for every definition).

    ``stop_service_s``: (boarding, alighting, extra per wheelchair) seconds — the rules' stop
    durations, used by the peak-hour demand figures. ``day_start``: epoch seconds of local
    midnight (peak hour reported as seconds since then; default: as epoch seconds).
    """
    cost = cost or CostModel()
    events = list(events)
    order = sorted(range(len(events)), key=lambda i: int(_f(events[i], "time")))
    events = [events[i] for i in order]
    base = compute_kpis(events)

    quote_request: dict = {}
    pickup_earliest: dict = {}
    booking_lead: list[float] = []
    wait_window: list[float] = []
    ride_sum = direct_sum = 0.0
    detours: list[float] = []
    served_passengers = 0
    load_km = vehicle_km = occupied_km = occupied_load_km = empty_km = 0.0
    shift_planned: dict = {}
    shift_started: dict = {}
    shift_ended: dict = {}
    depot_drive_s = 0.0
    vehicles: set = set()
    rejections = Counter()
    requests = 0
    served_direct_s = 0.0
    for e in events:
        kind, data, t = _kind(e), _f(e, "data") or {}, int(_f(e, "time"))
        if kind == EventKind.REQUEST_RECEIVED:
            requests += 1
            if data.get("quote_id") is not None:
                quote_request[data["quote_id"]] = (t, data)
        elif kind == EventKind.REQUEST_REJECTED:
            rejections[_f(e, "cause") or "unknown"] += 1
        elif kind == EventKind.BOOKING_CONFIRMED:
            booking = _f(e, "booking_id")
            if data.get("pickup_earliest") is not None:
                pickup_earliest[booking] = int(data["pickup_earliest"])
            if data.get("requested_time") is not None:
                booking_lead.append(max(0.0, float(data["requested_time"]) - t))
        elif kind == EventKind.RIDER_BOARDED:
            booking = _f(e, "booking_id")
            if booking in pickup_earliest:
                wait_window.append(float(max(0, t - pickup_earliest[booking])))
        elif kind == EventKind.RIDER_DROPPED_OFF:
            served_passengers += int(data.get("passengers") or 1)
            ride, direct = data.get("ride_s"), data.get("direct_s")
            if ride is not None and direct:
                ride_sum += float(ride)
                direct_sum += float(direct)
                detours.append(float(ride) / float(direct))
            if direct:
                served_direct_s += float(direct)
        elif kind == EventKind.VEHICLE_DROVE:
            km = float(data.get("distance_m") or 0) / 1000.0
            on_board = int(data.get("passengers") or 0)
            vehicle_km += km
            load_km += on_board * km
            if on_board:
                occupied_km += km
                occupied_load_km += on_board * km
            else:
                empty_km += km
            if data.get("purpose") == "depot" or _f(e, "cause") == "depot":
                depot_drive_s += float(data.get("duration_s") or 0)
        elif kind == EventKind.SHIFT_ADDED:
            shift_planned[_f(e, "shift_id")] = (int(data["start"]), int(data["end"]))
            vehicles.add(_f(e, "vehicle_id"))
        elif kind == EventKind.SHIFT_STARTED:
            shift_started[_f(e, "shift_id")] = t
            vehicles.add(_f(e, "vehicle_id"))
        elif kind == EventKind.SHIFT_ENDED:
            shift_ended[_f(e, "shift_id")] = t
            if _f(e, "shift_id") not in shift_planned and data.get("start") is not None:
                shift_planned[_f(e, "shift_id")] = (int(data["start"]), int(data["end"]))

    last = int(_f(events[-1], "time")) if events else 0
    # vehicle-hours in service: shift started → ended, less the drives back to the depot
    in_service_s = 0.0
    for shift, start in shift_started.items():
        in_service_s += max(0, shift_ended.get(shift, last) - start)
    revenue_h = max(0.0, in_service_s - depot_drive_s) / 3600.0
    # paid driver hours: the planned shift, longer when it ran over (breaks are gaps between shifts)
    paid_s = 0.0
    for shift, (start, end) in shift_planned.items():
        started, ended = shift_started.get(shift, start), shift_ended.get(shift, end)
        paid_s += max(end, ended) - min(start, started)
    paid_h = paid_s / 3600.0

    driver_eur = paid_h * cost.driver_eur_per_paid_hour
    vehicle_eur = len(vehicles) * cost.vehicle_eur_per_day
    km_eur = vehicle_km * cost.eur_per_km
    direct_eur = driver_eur + vehicle_eur + km_eur + cost.control_centre_eur_per_day
    total_eur = direct_eur * (1.0 + cost.overhead_share)
    fares = None if cost.fare_eur_per_passenger is None else served_passengers * cost.fare_eur_per_passenger

    # the busiest hour of asked-for pickups: trips' direct driving and stop times (vehicle-hours)
    boarding, alighting, chair = stop_service_s
    demand = sorted((int(d["requested_time"]), float(d.get("direct_s") or 0),
                     boarding + alighting + 2 * chair * int(d.get("wheelchairs") or 0))
                    for _, d in quote_request.values() if d.get("requested_time") is not None
                    and d.get("direct_s") is not None and float(d["direct_s"]) < 10 ** 7)
    peak = {"peak_hour_start_s": None, "peak_hour_requests": 0, "peak_hour_direct_hours": 0.0,
            "peak_hour_stop_hours": 0.0}
    if demand:
        times = np.array([d[0] for d in demand], dtype=np.int64)
        direct = np.cumsum([0.0] + [d[1] for d in demand])
        stops = np.cumsum([0.0] + [d[2] for d in demand])
        step = 900
        best = (-1.0, 0, 0, 0)
        for s in range(int(times[0]) - int(times[0]) % step, int(times[-1]) + 1, step):
            lo, hi = np.searchsorted(times, s), np.searchsorted(times, s + peak_window_s)
            work = direct[hi] - direct[lo] + stops[hi] - stops[lo]
            if work > best[0]:
                best = (float(work), s, int(lo), int(hi))
        _, s, lo, hi = best
        peak = {"peak_hour_start_s": s - (day_start or 0), "peak_hour_requests": hi - lo,
                "peak_hour_direct_hours": round(float(direct[hi] - direct[lo]) / 3600.0, 4),
                "peak_hour_stop_hours": round(float(stops[hi] - stops[lo]) / 3600.0, 4)}

    driving_s = (base.get("driving_hours") or 0.0) * 3600.0
    out = {k: v for k, v in base.items() if k not in DROPPED_KEYS}
    out.update({
        "passengers_per_vehicle_hour": _ratio(served_passengers, revenue_h, 3),
        "revenue_hours": round(revenue_h, 4),
        "driver_hours_paid": round(paid_h, 4),
        "vehicles": len(vehicles),
        "mean_load_on_board": _ratio(load_km, vehicle_km),
        "mean_load_when_occupied": _ratio(occupied_load_km, occupied_km),
        "detour_ratio": _ratio(ride_sum, direct_sum),
        "detour_ratio_trip_p95": _pct(detours, 95, 4),
        "wait_from_requested_mean_s": base.get("wait_mean_s"),
        "wait_from_requested_p50_s": base.get("wait_p50_s"),
        "wait_from_requested_p95_s": base.get("wait_p95_s"),
        "wait_from_window_mean_s": _mean(wait_window),
        "wait_from_window_p95_s": _pct(wait_window, 95),
        "booking_lead_mean_s": _mean(booking_lead),
        "deadhead_km": round(empty_km, 3),
        "empty_km_share": _ratio(empty_km, vehicle_km),
        "pooling_factor": _ratio(served_direct_s, driving_s),
        "rejected_share": _ratio(sum(rejections.values()), requests),
        "rejected_share_by_cause": {c: _ratio(n, requests) for c, n in sorted(rejections.items())},
        "cost_driver_eur": round(driver_eur, 2),
        "cost_vehicles_eur": round(vehicle_eur, 2),
        "cost_km_eur": round(km_eur, 2),
        "cost_control_centre_eur": round(cost.control_centre_eur_per_day, 2),
        "cost_overhead_eur": round(total_eur - direct_eur, 2),
        "cost_total_eur": round(total_eur, 2),
        "cost_per_passenger_eur": _ratio(total_eur, served_passengers, 2),
        "fare_revenue_eur": None if fares is None else round(fares, 2),
        "subsidy_per_passenger_eur": None if fares is None else _ratio(total_eur - fares, served_passengers, 2),
        "co2_kg": round(vehicle_km * cost.co2_kg_per_km, 2),
        **peak,
    })
    return out


__all__ = ["CostModel", "standard_kpis", "DROPPED_KEYS"]
