"""Service KPIs computed purely from the dispatcher's event log.

Used by the fleet simulator (one dict per simulated day) and by the live operations API (any
window of the log, possibly a partial day). Every value is a plain ``int``, ``float``, ``str``,
``dict`` or ``None`` (JSON-serialisable); a ratio or statistic over zero items is ``None``, never
NaN. Times are seconds, distances kilometres where the key says ``_km``.

Definitions (the key names in brackets):

* requests [``requests``]: REQUEST_RECEIVED events (one per quote asked for).
* served share [``served_share``]: RIDER_DROPPED_OFF events ÷ requests.
* outcome of each request [``outcomes``]: exactly one of served, cancelled, no_show, open
  (booked, not finished yet), refused (booking the offer failed), rejected (no offer),
  declined (offers not taken), unanswered (offered, no decision in the log yet);
  the counts add up to ``requests``.
* served share net of rider withdrawals [``served_share_net``]: dropped off ÷ (requests − bookings
  the rider cancelled − no-shows): how much of the demand that stayed the service carried — the
  figure a fleet is sized on, since cancellations and no-shows are the riders' doing.
* wait [``wait_*_s``]: boarding time − the pickup time the rider asked for (``requested_time`` of
  the request; the promised window may start later when the rider took a later alternative). When
  the request is not in the log, the dispatcher's ``wait_s`` (from the promised window's start)
  stands in. A rider who boards before the asked time waited 0 s (not a negative wait).
  Late [``late_*``]: boarding after the promised window (``late_s`` > 0).
* ride [``ride_mean_s``]; detour ratio [``detour_ratio``]: Σ ride time ÷ Σ direct driving time
  of the dropped-off bookings (a ratio of sums, so short trips do not inflate it), with the
  per-trip ratio's 95th percentile [``detour_p95``].
* direct passenger-km per vehicle-km [``direct_km_per_vehicle_km``]: Σ passengers × direct
  distance of each dropped-off booking ÷ vehicle-km (from VEHICLE_DROVE; empty-km where nobody
  was on board). It is not the load on board (passengers ride detours); the planning KPIs of the
  simulator (``simulations/kpis.py``) measure that.
* pooled share [``pooled_share``]: share of dropped-off bookings that were on board together
  with another booking at some moment, from the order of boardings and drop-offs per vehicle.
* vehicle-hours [``vehicle_hours``]: SHIFT_STARTED to SHIFT_ENDED per shift (a shift still
  running counts until the end of the log, or ``now``).
* cost [``cost_*``]: :class:`CostModel` × vehicle-hours and vehicle-km.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from typing import Iterable, Mapping

import numpy as np

from ride_pool.dispatch.domain import EventKind

OUTCOMES = ("served", "cancelled", "no_show", "open", "refused", "rejected", "declined", "unanswered")


@dataclass(frozen=True)
class CostModel:
    """Operating cost of the fleet.

    Defaults are typical of German rural on-demand contracts (2024 prices):
    ``eur_per_vehicle_hour`` 35 € covers the driver (wage with employer costs, breaks) and the
    operator's dispatch overhead per vehicle in service; ``eur_per_vehicle_km`` 0.35 € covers
    fuel or energy, tyres, maintenance and distance-driven depreciation of a 9-seat minibus.
    """

    eur_per_vehicle_hour: float = 35.0
    eur_per_vehicle_km: float = 0.35

    def __post_init__(self) -> None:
        for name in ("eur_per_vehicle_hour", "eur_per_vehicle_km"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise ValueError(f"CostModel.{name} must be a finite number ≥ 0, got {value!r}")


# --------------------------------------------------------------------------- event access
def _field(event, name: str, default=None):
    if isinstance(event, Mapping):
        return event.get(name, default)
    return getattr(event, name, default)


def _kind(event) -> str:
    kind = _field(event, "kind")
    return kind.value if isinstance(kind, EventKind) else str(kind)


def _data(event) -> Mapping:
    return _field(event, "data") or {}


# --------------------------------------------------------------------------- statistics
def _number(value):
    """Plain Python number, None for missing or non-finite values."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _mean(values) -> float | None:
    return _number(np.mean(values)) if len(values) else None


def _percentile(values, q: float) -> float | None:
    return _number(np.percentile(np.asarray(values, dtype=np.float64), q)) if len(values) else None


def _ratio(numerator, denominator) -> float | None:
    if not denominator:
        return None
    return _number(numerator / denominator)


def _round(value, digits: int = 4):
    return None if value is None else round(float(value), digits)


# --------------------------------------------------------------------------- the KPIs
def compute_kpis(events: Iterable, cost_model: CostModel | None = None, *, now: int | None = None) -> dict:
    """KPIs of an event log (``Event`` objects or dicts with the same fields), in log order.

    ``now``: end of the period for shifts still running (default: the last event's time).
    """
    cost_model = cost_model or CostModel()
    events = list(events)
    times = [int(_field(e, "time")) for e in events]
    # log order is commit order; a stable sort by time only repairs logs merged out of order
    order = sorted(range(len(events)), key=times.__getitem__)
    period_start = min(times) if times else None
    period_end = max([*times, now] if now is not None else times) if (times or now is not None) else None

    requests: dict[str, Mapping] = {}        # quote id -> request data
    request_count = 0
    quotes_offered: set[str] = set()
    offer_quote: dict[str, str] = {}
    rejected_quotes: set[str] = set()
    rejections = Counter()
    declined_quotes: set[str] = set()
    refused_quotes: set[str] = set()
    refusals = Counter()
    booking_quote: dict[str, str] = {}
    booking_vehicle: dict[str, int] = {}
    booking_status: dict[str, str] = {}
    cancellations = Counter()
    confirmed = no_shows = 0
    wait, late = [], []
    ride, detour, ride_direct = [], [], []
    served = served_passengers = 0
    passenger_m = 0.0
    vehicle_m = empty_m = 0.0
    driving_s = 0.0
    reposition_m = 0.0
    shift_started: dict[int, int] = {}
    shift_ended: dict[int, int] = {}
    shift_planned_start: dict[int, int] = {}
    onboard: dict[object, list[str]] = defaultdict(list)   # vehicle -> bookings on board, boarding order
    pooled: set[str] = set()
    served_bookings: set[str] = set()
    boarded_on: dict[str, object] = {}      # booking -> the vehicle it last boarded
    connections = Counter()      # connection_kept / _missed / _at_risk / _replanned
    connection_bookings: set[str] = set()
    #: issue 17: the fare of each booking (from its booking_confirmed event); collected at boarding
    booking_fare: dict[str, int] = {}
    fare_booked = fare_collected = 0

    for i in order:
        e = events[i]
        kind = _kind(e)
        data = _data(e)
        t = times[i]
        booking_id = _field(e, "booking_id")
        if kind == EventKind.REQUEST_RECEIVED:
            request_count += 1
            quote = data.get("quote_id")
            if quote is not None:
                requests[quote] = data
        elif kind == EventKind.OFFER_MADE:
            quotes_offered.add(data.get("quote_id"))
            if data.get("offer_id") is not None:
                offer_quote[data["offer_id"]] = data.get("quote_id")
        elif kind == EventKind.REQUEST_REJECTED:
            rejected_quotes.add(data.get("quote_id"))
            rejections[_field(e, "cause") or "unknown"] += 1
        elif kind == EventKind.OFFER_DECLINED:
            declined_quotes.add(data.get("quote_id") or offer_quote.get(data.get("offer_id")))
        elif kind == EventKind.BOOKING_REFUSED:
            refusals[_field(e, "cause") or "unknown"] += 1
            refused_quotes.add(data.get("quote_id") or offer_quote.get(data.get("offer_id")))
        elif kind == EventKind.BOOKING_CONFIRMED:
            confirmed += 1
            booking_quote[booking_id] = data.get("quote_id") or offer_quote.get(data.get("offer_id"))
            booking_status[booking_id] = "open"
            if data.get("fare_cents") is not None:
                booking_fare[booking_id] = int(data["fare_cents"])
                fare_booked += int(data["fare_cents"])
            if _field(e, "vehicle_id") is not None:
                booking_vehicle[booking_id] = _field(e, "vehicle_id")
        elif kind == EventKind.BOOKING_CANCELLED:
            cancellations[_field(e, "cause") or "unknown"] += 1
            fare_booked -= booking_fare.get(booking_id, 0)
            booking_status[booking_id] = "cancelled"
        elif kind == EventKind.RIDER_NO_SHOW:
            no_shows += 1
            booking_status[booking_id] = "no_show"
        elif kind == EventKind.RIDER_BOARDED:
            vehicle = _field(e, "vehicle_id")
            vehicle = booking_vehicle.get(booking_id) if vehicle is None else vehicle
            if booking_id in boarded_on:
                # boarding again after a breakdown (the replacement vehicle picked the rider up
                # where the first one stopped): one fare, one wait; the rider left the first vehicle
                first = onboard[boarded_on[booking_id]]
                if booking_id in first:
                    first.remove(booking_id)
            else:
                fare_collected += booking_fare.get(booking_id, 0)
                request = requests.get(booking_quote.get(booking_id))
                if request is not None and request.get("requested_time") is not None:
                    wait.append(float(max(0, t - int(request["requested_time"]))))
                elif data.get("wait_s") is not None:
                    wait.append(float(max(0, data["wait_s"])))
                if data.get("late_s") is not None:
                    late.append(float(data["late_s"]))
            boarded_on[booking_id] = vehicle
            riders = onboard[vehicle]
            if riders:
                pooled.add(booking_id)
                pooled.update(riders)
            riders.append(booking_id)
        elif kind == EventKind.RIDER_DROPPED_OFF:
            served += 1
            booking_status[booking_id] = "served"
            served_bookings.add(booking_id)
            passengers = int(data.get("passengers") or 1)
            served_passengers += passengers
            direct_s, direct_m = data.get("direct_s"), data.get("direct_m")
            if data.get("ride_s") is not None:
                ride.append(float(data["ride_s"]))
                if direct_s:
                    detour.append(float(data["ride_s"]) / float(direct_s))
                    ride_direct.append((float(data["ride_s"]), float(direct_s)))
            if direct_m is not None:
                passenger_m += passengers * float(direct_m)
            vehicle = _field(e, "vehicle_id")
            vehicle = booking_vehicle.get(booking_id) if vehicle is None else vehicle
            riders = onboard.get(vehicle)
            if riders and booking_id in riders:
                riders.remove(booking_id)
        elif kind == EventKind.VEHICLE_DROVE:
            distance = float(data.get("distance_m") or 0)
            vehicle_m += distance
            driving_s += float(data.get("duration_s") or 0)
            if not data.get("passengers"):
                empty_m += distance
            if data.get("purpose") == "reposition":
                reposition_m += distance
        elif kind == EventKind.SHIFT_STARTED:
            shift_started[_field(e, "shift_id")] = t
        elif kind in (EventKind.CONNECTION_KEPT, EventKind.CONNECTION_MISSED, EventKind.CONNECTION_AT_RISK,
                      EventKind.CONNECTION_REPLANNED):
            connections[str(kind)] += 1
        elif kind == EventKind.SHIFT_ENDED:
            shift_ended[_field(e, "shift_id")] = t
            if data.get("start") is not None:
                shift_planned_start[_field(e, "shift_id")] = int(data["start"])
        if kind == EventKind.BOOKING_CONFIRMED and data.get("connection"):
            connection_bookings.add(booking_id)

    # one outcome per request seen in this log
    outcomes = Counter({name: 0 for name in OUTCOMES})
    quote_booking_status = {q: booking_status[b] for b, q in booking_quote.items() if q is not None}
    quoted = set(requests)
    for quote in quoted:
        if quote in quote_booking_status:
            outcomes[quote_booking_status[quote]] += 1
        elif quote in rejected_quotes:
            outcomes["rejected"] += 1
        elif quote in refused_quotes:
            outcomes["refused"] += 1
        elif quote in declined_quotes:
            outcomes["declined"] += 1
        else:
            outcomes["unanswered"] += 1
    outcomes["unanswered"] += request_count - len(quoted)   # requests logged without a quote id


    vehicle_seconds = 0
    for shift, start in shift_started.items():
        end = shift_ended.get(shift, period_end if period_end is not None else start)
        vehicle_seconds += max(0, end - start)
    for shift, end in shift_ended.items():   # started before this log's window
        if shift not in shift_started and period_start is not None:
            start = max(period_start, shift_planned_start.get(shift, period_start))
            vehicle_seconds += max(0, end - start)
    vehicle_hours = vehicle_seconds / 3600.0
    vehicle_km, empty_km, passenger_km = vehicle_m / 1000.0, empty_m / 1000.0, passenger_m / 1000.0
    cost_total = vehicle_hours * cost_model.eur_per_vehicle_hour + vehicle_km * cost_model.eur_per_vehicle_km
    direct_s = [float(r["direct_s"]) for r in requests.values() if r.get("direct_s") is not None]
    direct_m = [float(r["direct_m"]) for r in requests.values() if r.get("direct_m") is not None]
    request_passengers = sum(int(r.get("passengers") or 1) for r in requests.values())

    return {
        "period_start": period_start,
        "period_end": period_end,
        "requests": request_count,
        "request_passengers": request_passengers,
        "offered": len(quotes_offered & quoted) if quoted else len(quotes_offered),
        "rejected": sum(rejections.values()),
        "rejections_by_cause": dict(sorted(rejections.items())),
        "declined": outcomes["declined"],
        "confirmed": confirmed,
        "refused": sum(refusals.values()),
        "refusals_by_cause": dict(sorted(refusals.items())),
        "cancelled": sum(cancellations.values()),
        "cancellations_by_cause": dict(sorted(cancellations.items())),
        "no_shows": no_shows,
        "served": served,
        "served_passengers": served_passengers,
        "served_share": _round(_ratio(served, request_count)),
        "served_share_net": _round(_ratio(served, request_count - cancellations.get("rider", 0) - no_shows)),
        "outcomes": {name: outcomes[name] for name in OUTCOMES},
        "direct_mean_s": _round(_mean(direct_s), 1),
        "direct_mean_km": _round(_ratio(sum(direct_m), len(direct_m) * 1000.0), 3),
        "wait_mean_s": _round(_mean(wait), 1),
        "wait_p50_s": _round(_percentile(wait, 50), 1),
        "wait_p95_s": _round(_percentile(wait, 95), 1),
        "late_share": _round(_ratio(sum(1 for x in late if x > 0), len(late))),
        "late_p95_s": _round(_percentile(late, 95), 1),
        "ride_mean_s": _round(_mean(ride), 1),
        "detour_ratio": _round(_ratio(sum(r for r, _ in ride_direct), sum(d for _, d in ride_direct))),
        "detour_p95": _round(_percentile(detour, 95)),
        "pooled_share": _round(_ratio(len(pooled & served_bookings), served)),
        "passenger_km": round(passenger_km, 3),
        "vehicle_km": round(vehicle_km, 3),
        "empty_km": round(empty_km, 3),
        "reposition_km": round(reposition_m / 1000.0, 3),
        "empty_km_share": _round(_ratio(empty_km, vehicle_km)),
        "direct_km_per_vehicle_km": _round(_ratio(passenger_km, vehicle_km)),
        "shifts": len(set(shift_started) | set(shift_ended)),
        "vehicle_hours": round(vehicle_hours, 4),
        "driving_hours": round(driving_s / 3600.0, 4),
        "cost_total_eur": round(cost_total, 2),
        "cost_per_served_trip_eur": _round(_ratio(cost_total, served), 2),
        "cost_per_served_passenger_eur": _round(_ratio(cost_total, served_passengers), 2),
        "cost_model": asdict(cost_model),
        # connections to trains and buses (ride_pool.dispatch.connections)
        "connection_bookings": len(connection_bookings),
        "connections_kept": connections[EventKind.CONNECTION_KEPT.value],
        "connections_missed": connections[EventKind.CONNECTION_MISSED.value],
        "connections_at_risk": connections[EventKind.CONNECTION_AT_RISK.value],
        "connections_replanned": connections[EventKind.CONNECTION_REPLANNED.value],
        "connections_kept_share": _round(_ratio(connections[EventKind.CONNECTION_KEPT.value],
                                                connections[EventKind.CONNECTION_KEPT.value]
                                                + connections[EventKind.CONNECTION_MISSED.value])),
        # issue 17: fares (no online payment: the driver collects at boarding)
        "fare_revenue_eur": round(fare_collected / 100, 2),
        "fare_booked_eur": round(fare_booked / 100, 2),
        "fare_per_served_trip_eur": _round(_ratio(fare_collected / 100, served), 2),
    }
