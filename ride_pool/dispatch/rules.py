"""Rural service rules of one service area, with documented defaults.

All durations are seconds. Local clock times ("HH:MM") are in the area's ``timezone``.

| rule | default | meaning |
| --- | --- | --- |
| ``operating_hours`` | 05:00–23:00 every day | pickups and drop-offs happen inside these hours; a weekday has |
|  |  | one ``[open, close]`` or several (``[[open, close], ...]``, e.g. a midday pause) |
| ``holidays`` | none | local dates (``YYYY-MM-DD``) without service, e.g. public holidays |
| ``min_lead_s`` | 1,800 (30 min) | earliest pickup is this long after booking |
| ``horizon_s`` | 604,800 (7 days) | latest pickup is this long after booking |
| ``early_trip_before`` / ``early_trip_book_by`` | 08:00 / 20:00 | a pickup before 08:00 must be booked by 20:00 |
|  |  | the evening before |
| ``max_active_bookings`` | 4 | confirmed, not yet completed bookings per rider |
| ``max_seats_per_rider`` | 8 | places (passengers, wheelchair users included) over all of a rider's open |
|  |  | bookings, the new one included: one account cannot book out the fleet |
| ``unconfirmed_max_bookings`` / ``unconfirmed_max_seats`` | 1 / 2 | what an account whose e-mail address is |
|  |  | not confirmed yet may hold: open bookings, and places over them |
| ``no_show_limit`` | 3 | after this many no-shows a rider books by phone (operators) |
| ``window_s`` | 1,200 (20 min) | width of the promised pickup window |
| ``offer_ttl_s`` | 300 | an offer can be booked for this long |
| ``max_ride_factor`` / ``max_ride_extra_s`` | 1.5 / 600 | ride time ≤ 1.5 × direct + 10 min |
| ``boarding_s`` / ``alighting_s`` / ``wheelchair_extra_s`` | 60 / 30 / 120 | stop durations |
| ``max_passengers`` / ``max_wheelchairs`` | 8 / 2 | per booking |
| ``early_arrival_s`` / ``early_boarding_s`` | 1,800 / 600 | how long before the pickup window opens a driver |
|  |  | may report arriving at the pickup / the rider boarding (earlier reports are refused as implausible) |
| ``min_ride_fraction`` | 0.3 | a drop-off reported sooner after boarding than this share of the direct |
|  |  | driving time is refused as implausible |
| ``report_clock_skew_s`` | 120 | how far a report's ``reported_at`` may lie after the service's clock |
| ``report_max_age_s`` | 43,200 (12 h) | how old a report's ``reported_at`` may be (a phone offline longer) |
| ``no_show_wait_s`` | 180 | a no-show can be reported this long after the pickup window opened |
| ``alternatives`` | 4 | later (or earlier, for arrive-by) windows tried, each half a window apart |
| ``reoptimise_every_s`` / ``reoptimise_time_limit_s`` | 60 / 2 | background optimiser cadence and budget |
| ``door_to_door`` | "all" | who is picked up and set down at a point that is not a stop: ``"all"``, |
|  |  | ``"wheelchair"`` (trips with a wheelchair user; everyone else at the nearest stop), ``"none"`` |
| ``max_walk_m`` | 1,000 | the nearest stop may be at most this far on foot from the asked point |
| ``transfer_buffer_s`` | 300 | a connection booking arrives this long before the train or bus leaves, and is |
|  |  | picked up this long after it arrives (see :mod:`ride_pool.dispatch.connections`) |
| ``tariff`` | distance: 2.00 € + 0.40 €/km | the fares (see ``ride_pool.dispatch.fares``): base, per km or |
|  |  | distance zones, reduced and child shares, who rides free, public-transport ticket surcharge |
| ``need_extra_s`` | rollator 60, wheelchair_transfer 120, | extra boarding and alighting seconds per mobility |
|  | pushchair 60, assistance 120, guide_dog 30 | need (see ``ride_pool.dispatch.needs``) |
| ``holiday_state`` | "SN" | the German state whose public holidays a series skips when the operator says so |
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ride_pool.dispatch.domain import RejectCause
from ride_pool.dispatch.fares import DEFAULT_TARIFF, TariffError, check_tariff
from ride_pool.dispatch.needs import DEFAULT_EXTRA_S, NEEDS
from ride_pool.dispatch.needs import extra_s as need_extra_s
from ride_pool.messages import Duration, Hours, Message, msg

_HHMM = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: the values of the rule ``door_to_door``
DOOR_TO_DOOR = ("all", "wheelchair", "none")


#: the largest number a rule may have (about 115 days in seconds)
RULE_MAX = 10_000_000


class RulesError(ValueError):
    """Service rules that cannot work; the message (a catalogue message) says which field to fix."""

    def __init__(self, message: Message | str):
        super().__init__(str(message))
        self.message = message


def _minutes(text: str, what: str) -> int:
    m = _HHMM.match(str(text))
    if not m or (m.group(1) == "24" and m.group(2) != "00"):
        raise RulesError(msg("rule_not_hhmm", what=what, got=repr(text)))
    return int(m.group(1)) * 60 + int(m.group(2))


#: rules that are whole numbers (seconds or counts), and rules that are any real number
_WHOLE = ("min_lead_s", "horizon_s", "max_active_bookings", "max_seats_per_rider", "unconfirmed_max_bookings",
          "unconfirmed_max_seats", "no_show_limit", "window_s", "offer_ttl_s",
          "max_ride_extra_s", "boarding_s", "alighting_s", "wheelchair_extra_s", "max_passengers", "max_wheelchairs",
          "alternatives", "reoptimise_every_s", "early_arrival_s", "early_boarding_s",
          "report_clock_skew_s", "report_max_age_s", "no_show_wait_s", "max_walk_m", "transfer_buffer_s")
_REAL = ("max_ride_factor", "reoptimise_time_limit_s", "delay_weight", "min_ride_fraction")


def intervals(span) -> list:
    """A weekday's operating hours as a list of ``[open, close]`` (the one-interval form
    ``["05:00", "23:00"]`` or several ``[["05:00", "09:00"], ["14:00", "20:00"]]``)."""
    if isinstance(span, (list, tuple)) and span and all(isinstance(x, str) for x in span):
        return [span]
    if isinstance(span, (list, tuple)):
        return list(span)
    return [span]


def _default_hours() -> dict[str, list[str]]:
    return {day: ["05:00", "23:00"] for day in WEEKDAYS}


@dataclass(frozen=True)
class ServiceRules:
    timezone: str = "Europe/Berlin"
    #: weekday ("mon".."sun") -> [open, close] local "HH:MM", or several such intervals
    #: ([[open, close], ...]); a missing weekday has no service
    operating_hours: dict = field(default_factory=_default_hours)
    #: local dates ("YYYY-MM-DD") without service (public holidays)
    holidays: tuple = ()
    min_lead_s: int = 1800
    horizon_s: int = 7 * 86400
    early_trip_before: str | None = "08:00"
    early_trip_book_by: str = "20:00"
    max_active_bookings: int = 4
    #: places (passengers) a rider account may hold over all its open bookings
    max_seats_per_rider: int = 8
    #: open bookings and places over them an account with an unconfirmed e-mail address may hold
    unconfirmed_max_bookings: int = 1
    unconfirmed_max_seats: int = 2
    no_show_limit: int = 3
    window_s: int = 1200
    offer_ttl_s: int = 300
    max_ride_factor: float = 1.5
    max_ride_extra_s: int = 600
    boarding_s: int = 60
    alighting_s: int = 30
    wheelchair_extra_s: int = 120
    max_passengers: int = 8
    max_wheelchairs: int = 2
    #: plausibility of driver reports (see ride_pool.dispatch.reports)
    early_arrival_s: int = 1800
    early_boarding_s: int = 600
    min_ride_fraction: float = 0.3
    #: how far a reported time may lie ahead of the service's clock, how old it may be, and how
    #: long a driver waits at the pickup before a no-show can be reported
    report_clock_skew_s: int = 120
    report_max_age_s: int = 12 * 3600
    no_show_wait_s: int = 180
    alternatives: int = 4
    reoptimise_every_s: int = 60
    reoptimise_time_limit_s: float = 2.0
    #: cost per second of delay of a planned rider when comparing insertions (0 = driving cost only)
    delay_weight: float = 0.0
    #: who is served at a point that is not a stop (see ride_pool.dispatch.access): "all",
    #: "wheelchair" or "none"; the others walk to the nearest stop, at most max_walk_m metres
    door_to_door: str = "all"
    max_walk_m: int = 1000
    #: time between the bus and a train or bus it connects to (see ride_pool.dispatch.connections)
    transfer_buffer_s: int = 300
    #: the fares of the area (issue 17; see ride_pool.dispatch.fares)
    tariff: dict = field(default_factory=lambda: dict(DEFAULT_TARIFF))
    #: extra boarding/alighting seconds per mobility need (see ride_pool.dispatch.needs)
    need_extra_s: dict = field(default_factory=lambda: dict(DEFAULT_EXTRA_S))
    #: the state (ISO 3166-2 subdivision: SN, BY, HE, ST ...) whose holidays series may skip
    holiday_state: str = "SN"

    def __post_init__(self) -> None:
        for name in _WHOLE:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
                    or value != int(value):
                raise RulesError(msg("rule_not_whole", name=name, got=repr(value)))
            object.__setattr__(self, name, int(value))
        for name in _REAL:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
                raise RulesError(msg("rule_not_number", name=name, got=repr(value)))
            object.__setattr__(self, name, float(value))
        try:
            object.__setattr__(self, "_tz", ZoneInfo(self.timezone))
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise RulesError(msg("rule_timezone", timezone=repr(self.timezone))) from None
        if not isinstance(self.operating_hours, dict):
            raise RulesError(msg("rule_hours_form"))
        hours = {}
        for day, span in dict(self.operating_hours).items():
            if day not in WEEKDAYS:
                raise RulesError(msg("rule_hours_weekday", day=repr(day), known=", ".join(WEEKDAYS)))
            spans = []
            for one in intervals(span):
                if not isinstance(one, (list, tuple)) or len(one) != 2:
                    raise RulesError(msg("rule_hours_span", day=day))
                a, b = _minutes(one[0], f"operating_hours.{day} open"), _minutes(one[1], f"operating_hours.{day} close")
                if a >= b:
                    raise RulesError(msg("rule_hours_order", day=day, open=one[0], close=one[1]))
                spans.append((a, b))
            if not spans:
                raise RulesError(msg("rule_hours_span", day=day))
            spans.sort()
            for (_, b0), (a1, _) in zip(spans, spans[1:]):
                if a1 <= b0:
                    raise RulesError(msg("rule_hours_overlap", day=day))
            hours[day] = spans
        object.__setattr__(self, "_hours", hours)
        if isinstance(self.holidays, str) or not isinstance(self.holidays, (list, tuple)):
            raise RulesError(msg("rule_holidays_form"))
        days = set()
        for text in self.holidays:
            try:
                days.add(date.fromisoformat(text) if isinstance(text, str) and len(text) == 10 else None)
            except ValueError:
                days.add(None)
            if None in days:
                raise RulesError(msg("rule_holiday_date", got=repr(text)))
        object.__setattr__(self, "holidays", tuple(sorted(str(d) for d in days)))
        object.__setattr__(self, "_holidays", frozenset(days))
        for name in ("min_lead_s", "max_active_bookings", "max_seats_per_rider", "unconfirmed_max_bookings",
                     "unconfirmed_max_seats", "no_show_limit", "boarding_s", "alighting_s",
                     "wheelchair_extra_s", "max_ride_extra_s", "alternatives", "max_wheelchairs", "early_arrival_s",
                     "early_boarding_s", "report_clock_skew_s", "no_show_wait_s"):
            if int(getattr(self, name)) < 0:
                raise RulesError(msg("rule_negative", name=name))
        for name in ("horizon_s", "window_s", "offer_ttl_s", "max_passengers", "reoptimise_every_s",
                     "report_max_age_s"):
            if int(getattr(self, name)) <= 0:
                raise RulesError(msg("rule_not_positive", name=name))
        if self.horizon_s <= self.min_lead_s:
            raise RulesError(msg("rule_horizon_lead"))
        if not self.max_ride_factor >= 1.0:
            raise RulesError(msg("rule_ride_factor"))
        if not self.reoptimise_time_limit_s > 0:
            raise RulesError(msg("rule_not_positive", name="reoptimise_time_limit_s"))
        if self.door_to_door not in DOOR_TO_DOOR:
            raise RulesError(msg("rule_door_to_door", known=", ".join(DOOR_TO_DOOR), got=repr(self.door_to_door)))
        if self.max_walk_m < 0:
            raise RulesError(msg("rule_negative", name="max_walk_m"))
        if self.transfer_buffer_s < 0:
            raise RulesError(msg("rule_negative", name="transfer_buffer_s"))
        if self.delay_weight < 0:
            raise RulesError(msg("rule_negative", name="delay_weight"))
        if not 0 <= self.min_ride_fraction <= 1:
            raise RulesError(msg("rule_ride_fraction"))
        if self.early_trip_before is not None and not isinstance(self.early_trip_before, str):
            raise RulesError(msg("rule_early_before"))
        if self.early_trip_before is not None:
            object.__setattr__(self, "_early_before", _minutes(self.early_trip_before, "early_trip_before"))
        object.__setattr__(self, "_book_by", _minutes(self.early_trip_book_by, "early_trip_book_by"))
        try:
            check_tariff(self.tariff)
        except TariffError as exc:
            raise RulesError(msg("rule_tariff", part=str(exc))) from None
        if not isinstance(self.need_extra_s, dict) or any(
                n not in NEEDS or isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 3600
                for n, v in self.need_extra_s.items()):
            raise RulesError(msg("rule_need_extra", known=", ".join(NEEDS)))

    # ------------------------------------------------------------------ (de)serialisation
    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, data: dict | None) -> "ServiceRules":
        data = dict(data or {})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise RulesError(msg("rule_unknown", unknown=", ".join(unknown), known=", ".join(sorted(known))))
        return cls(**data)

    def replace(self, **changes) -> "ServiceRules":
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------------ derived facts
    def with_changes(self, changes: dict) -> "ServiceRules":
        """These rules with ``changes`` (as JSON gives them); :class:`RulesError` naming the rule
        when a value has the wrong type or size (``__post_init__`` checks how they fit together)."""
        current = {f.name: getattr(self, f.name) for f in dataclasses.fields(ServiceRules)}
        for name, value in changes.items():
            if name not in current:
                continue    # from_dict names the unknown rules
            default = ServiceRules.__dataclass_fields__[name].default
            if name == "operating_hours":
                if not isinstance(value, dict) or not all(
                        isinstance(span, list) and span and all(
                            isinstance(one, list) and len(one) == 2 and all(isinstance(t, str) for t in one)
                            for one in intervals(span)) for span in value.values()):
                    raise RulesError(msg("rule_hours_form_json"))
            elif name == "holidays":
                if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
                    raise RulesError(msg("rule_holidays_form"))
                changes = {**changes, "holidays": tuple(value)}
            elif name == "early_trip_before":
                if value is not None and not isinstance(value, str):
                    raise RulesError(msg("rule_early_before_null"))
            elif isinstance(default, str):
                if not isinstance(value, str):
                    raise RulesError(msg("rule_not_text", name=name, example=repr(default)))
            elif isinstance(default, float):
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                        or abs(value) > RULE_MAX:
                    raise RulesError(msg("rule_number_example", name=name, example=repr(default)))
            elif isinstance(default, int):
                if isinstance(value, bool) or not isinstance(value, int) or abs(value) > RULE_MAX:
                    raise RulesError(msg("rule_whole_example", name=name, most=f"{RULE_MAX:,}",
                                         example=repr(default)))
        try:
            return ServiceRules.from_dict({**current, **changes})
        except RulesError:
            raise
        except (TypeError, ValueError) as exc:
            raise RulesError(msg("rule_misfit", detail=str(exc))) from None

    def local(self, t: int) -> datetime:
        return datetime.fromtimestamp(t, self._tz)

    def max_ride_s(self, direct_s: int) -> int:
        return int(math.ceil(direct_s * self.max_ride_factor)) + int(self.max_ride_extra_s)

    def pickup_service_s(self, wheelchairs: int, needs=()) -> int:
        return int(self.boarding_s) + (int(self.wheelchair_extra_s) if wheelchairs else 0) \
            + (need_extra_s(needs, self.need_extra_s) if needs else 0)

    def dropoff_service_s(self, wheelchairs: int, needs=()) -> int:
        return int(self.alighting_s) + (int(self.wheelchair_extra_s) if wheelchairs else 0) \
            + (need_extra_s(needs, self.need_extra_s) if needs else 0)

    def _day_spans(self, day: datetime) -> list[tuple[int, int]]:
        """Operating spans (epoch seconds) of the local calendar day ``day``, in order (none on
        a holiday)."""
        hours = self._hours.get(WEEKDAYS[day.weekday()])
        if not hours or day.date() in self._holidays:
            return []
        midnight = datetime.combine(day.date(), time(0), self._tz)
        return [(int((midnight + timedelta(minutes=a)).timestamp()), int((midnight + timedelta(minutes=b)).timestamp()))
                for a, b in hours]

    def _day_span(self, day: datetime) -> tuple[int, int] | None:
        """The first operating span of the local calendar day ``day``, or None."""
        spans = self._day_spans(day)
        return spans[0] if spans else None

    def operating_span(self, t: int) -> tuple[int, int] | None:
        """The operating span containing time ``t``, or None when the service is closed then."""
        for delta in (0, -1):   # a span may be reached from the previous day when it closes at 24:00
            for span in self._day_spans(self.local(t) + timedelta(days=delta)):
                if span[0] <= t <= span[1]:
                    return span
        return None

    def open_until(self, t: int) -> int | None:
        """When the uninterrupted operation containing ``t`` ends (None: closed at ``t``). Days whose
        hours meet at midnight (one closing at 24:00, the next opening at 00:00) are one operation,
        so a trip of a service running through the night may cross midnight."""
        span = self.operating_span(t)
        if span is None:
            return None
        end = span[1]
        for _ in range(8):
            following = self.operating_span(end + 1)
            if following is None or following[0] != end:
                break
            end = following[1]
        return end

    def next_opening(self, t: int) -> int | None:
        """The first time at or after ``t`` the service operates (None if never within 8 days)."""
        if self.operating_span(t):
            return t
        day = self.local(t)
        for delta in range(0, 9):
            for span in self._day_spans(day + timedelta(days=delta)):
                if span[0] >= t:
                    return span[0]
        return None

    def early_trip_start(self, t: int) -> int:
        """``early_trip_before`` on the local day of ``t`` (epoch s): where early trips end."""
        day = datetime.combine(self.local(t).date(), time(0), self._tz)
        return int((day + timedelta(minutes=self._early_before)).timestamp())

    def early_cutoff(self, pickup: int) -> int | None:
        """Latest booking time for a pickup at ``pickup``, when it counts as an early trip."""
        if self.early_trip_before is None:
            return None
        local = self.local(pickup)
        if local.hour * 60 + local.minute >= self._early_before:
            return None
        evening = datetime.combine((local - timedelta(days=1)).date(), time(0), self._tz)
        return int((evening + timedelta(minutes=self._book_by)).timestamp())

    def check_pickup(self, pickup_earliest: int, arrival: int, now: int, channel: str,
                     *, dropoff_only: bool = False) -> tuple[RejectCause, Message] | None:
        """Which rule a trip with this pickup window start and expected arrival breaks, if any."""
        if pickup_earliest < now - 60 and not dropoff_only:
            return RejectCause.IN_THE_PAST, msg("in_the_past")
        if pickup_earliest < now + self.min_lead_s and channel != "simulation":
            return (RejectCause.MIN_LEAD_TIME, msg("min_lead_time", lead=Duration(self.min_lead_s)))
        if pickup_earliest > now + self.horizon_s:
            return (RejectCause.BOOKING_HORIZON, msg("booking_horizon", horizon=Duration(self.horizon_s)))
        until = self.open_until(pickup_earliest)
        if until is None or arrival > until:
            return (RejectCause.OUTSIDE_OPERATING_HOURS, msg("outside_operating_hours",
                                                             hours=Hours.of(self.operating_hours)))
        cutoff = self.early_cutoff(pickup_earliest)
        if cutoff is not None and now > cutoff and channel == "app":
            return (RejectCause.EARLY_MORNING_CUTOFF, msg("early_morning_cutoff", before=self.early_trip_before,
                                                          book_by=self.early_trip_book_by))
        return None
