"""Who may ask for what, and when: request validation, the rider rules and the earliest time the
service rules allow. Nothing here looks at the vehicles; :mod:`ride_pool.dispatch.quotes` does."""

from __future__ import annotations

import dataclasses
import math
import numbers

from ride_pool.dispatch.domain import CALLER_NAME_MAX, CALLER_PHONE_MAX, Place, RejectCause, TripRequest
from ride_pool.dispatch.errors import DispatchInputError
from ride_pool.dispatch.rules import ServiceRules
from ride_pool.messages import Clock, Duration, Field, Hours, Message, Moment, Plural, msg
from routing.network import RoadNetwork

CHANNELS = ("app", "phone", "simulation")


class RiderLedger:
    """Per rider: the open bookings with the places each takes, and the no-shows so far (what the
    rider rules count)."""

    def __init__(self, no_shows: dict[int, int] | None = None):
        self.no_shows: dict[int, int] = dict(no_shows or {})
        #: rider id -> {booking id: places (passengers, wheelchair users included)}
        self.active: dict[int, dict[str, int]] = {}

    def opened(self, rider_id: int | None, booking_id: str, places: int = 1) -> None:
        if rider_id is not None:
            self.active.setdefault(rider_id, {})[booking_id] = int(places)

    def closed(self, rider_id: int | None, booking_id: str, *, no_show: bool = False) -> None:
        if rider_id is None:
            return
        self.active.get(rider_id, {}).pop(booking_id, None)
        if no_show:
            self.no_shows[rider_id] = self.no_shows.get(rider_id, 0) + 1

    def active_count(self, rider_id: int) -> int:
        return len(self.active.get(rider_id, ()))

    def active_places(self, rider_id: int) -> int:
        """Places the rider's open bookings take together."""
        return sum(self.active.get(rider_id, {}).values())

    def active_bookings(self, rider_id: int) -> set[str]:
        return set(self.active.get(rider_id, ()))


def _whole(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def validate_request(request: TripRequest, rules: ServiceRules, network: RoadNetwork) -> TripRequest:
    """``request`` checked, with plain ``int`` counts and times (numpy numbers are fine too)."""
    r = rules
    if not _whole(request.passengers) or not 1 <= request.passengers <= r.max_passengers:
        raise DispatchInputError(msg("passengers_range", most=r.max_passengers))
    if not _whole(request.wheelchairs) or not 0 <= request.wheelchairs <= r.max_wheelchairs:
        raise DispatchInputError(msg("wheelchairs_range", most=r.max_wheelchairs))
    if request.wheelchairs > request.passengers:
        raise DispatchInputError(msg("wheelchairs_exceed_passengers"))
    if request.pickup_after is not None and request.arrive_by is not None:
        raise DispatchInputError(msg("pickup_after_and_arrive_by"))
    times = {}
    for name in ("pickup_after", "arrive_by"):
        value = getattr(request, name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise DispatchInputError(msg("time_not_epoch", field=name))
        times[name] = int(value)
    for name in ("origin", "destination"):
        place = getattr(request, name)
        if not isinstance(place, Place):
            raise DispatchInputError(msg("not_a_place", field=Field(name)))
        if not _whole(place.node) or not 0 <= place.node < network.node_count:
            raise DispatchInputError(msg("place_node_unknown", field=Field(name), node=repr(place.node),
                                         last=network.node_count - 1))
    if request.channel not in CHANNELS:
        raise DispatchInputError(msg("channel_unknown", channel=repr(request.channel)))
    for name, longest in (("caller_name", CALLER_NAME_MAX), ("caller_phone", CALLER_PHONE_MAX)):
        value = getattr(request, name)
        if value is not None and (not isinstance(value, str) or not 1 <= len(value) <= longest):
            raise DispatchInputError(msg("caller_text", field=name, longest=longest))
    return dataclasses.replace(request, passengers=int(request.passengers),
                               wheelchairs=int(request.wheelchairs), **times)


def rider_rule(request: TripRequest, rules: ServiceRules, ledger: RiderLedger, *,
               confirmed: bool | None = None) -> tuple[RejectCause, Message] | None:
    """The rider rule ``request`` breaks, if any: the no-show limit (app), the open bookings and
    the places over them (``max_seats_per_rider``, the new request's passengers included), and
    for an account whose e-mail address is not confirmed (``confirmed``, default the request's
    ``rider_confirmed``) the smaller ``unconfirmed_*`` limits. Requests without a rider account
    (phone callers) and simulated ones are not limited."""
    if request.rider_id is None or request.channel == "simulation":
        return None
    if request.channel == "app" and ledger.no_shows.get(request.rider_id, 0) >= rules.no_show_limit:
        return (RejectCause.NO_SHOW_LIMIT, msg("no_show_limit", limit=rules.no_show_limit))
    active = ledger.active_count(request.rider_id)
    places = ledger.active_places(request.rider_id) + int(request.passengers)
    if not (request.rider_confirmed if confirmed is None else confirmed) and (
            active >= rules.unconfirmed_max_bookings or places > rules.unconfirmed_max_seats):
        return (RejectCause.ACCOUNT_UNCONFIRMED_LIMIT, msg(
            "account_unconfirmed_limit",
            bookings=Plural(rules.unconfirmed_max_bookings, "offene Buchung", "offene Buchungen",
                            "open booking", "open bookings"),
            people=Plural(rules.unconfirmed_max_seats, "Person", "Personen", "person", "people")))
    if active >= rules.max_active_bookings:
        return (RejectCause.MAX_ACTIVE_BOOKINGS, msg("max_active_bookings", active=active))
    if places > rules.max_seats_per_rider:
        held = places - int(request.passengers)
        return (RejectCause.MAX_SEATS_PER_RIDER, msg("max_seats_per_rider", most=rules.max_seats_per_rider,
                                                     held=held))
    return None


def earliest_allowed(rules: ServiceRules, now: int, channel: str, trip_s: int = 0) -> int:
    """The earliest pickup window start the rules allow for a booking made ``now``: after the
    lead time, in whole minutes, inside the operating hours with the whole trip (``trip_s``
    from the window start to the arrival) before the closing time, and (app) not an early
    trip whose booking cut-off has passed."""
    return earliest_allowed_why(rules, now, channel, trip_s)[0]


def earliest_allowed_why(rules: ServiceRules, now: int, channel: str,
                         trip_s: int = 0) -> tuple[int, tuple[str, Message] | None]:
    """:func:`earliest_allowed` and why it is that time: ``(code, message)`` naming the rule that
    decided it (the lead time, the operating hours, the early-trip cut-off, the closing time),
    or None when it is simply now."""
    r = rules
    first = t = now + (r.min_lead_s if channel != "simulation" else 0)
    why: tuple[str, Message] | None = None
    if t > now:
        why = ("earliest_lead_time", msg("earliest_lead_time", lead=Duration(r.min_lead_s)))
    closing = None
    for _ in range(12):
        opening = r.next_opening(t)
        if opening is None:
            break
        if opening > t and closing is None:
            why = ("earliest_operating_hours", msg("earliest_operating_hours",
                                                   at=Moment(r.local(opening), r.local(now)),
                                                   hours=Hours.of(r.operating_hours)))
        elif opening > t:
            why = ("earliest_closing", msg("earliest_closing", close=Clock(r.local(closing)),
                                           at=Moment(r.local(opening), r.local(now))))
        t = -(-opening // 60) * 60   # whole minutes, rounded up
        until = r.open_until(t)
        if until is None:
            continue
        cutoff = r.early_cutoff(t)
        if cutoff is not None and now > cutoff and channel == "app":
            t = r.early_trip_start(t)
            why = ("earliest_early_cutoff", msg("earliest_early_cutoff", before=r.early_trip_before,
                                                book_by=r.early_trip_book_by, at=Moment(r.local(t), r.local(now))))
            continue
        if t + trip_s > until:
            closing = until
            t = until + 1          # the trip would end after closing: the next opening
            continue
        return t, why
    return -(-first // 60) * 60, why


def past_time_rule(request: TripRequest, rules: ServiceRules, now: int,
                   message: Message) -> tuple[RejectCause, Message]:
    """What a request whose pickup would lie in the past breaks.

    A time asked for that has passed (more than a minute ago) is ``in_the_past``, named by its
    field (the API answers it as bad input). An arrival that has not passed but is too soon for
    any pickup after now breaks the lead-time rule (``min_lead_time``) in the app and on the
    phone; the simulation has no lead time, so there it stays ``in_the_past``."""
    field, asked = ("arrive_by", request.arrive_by) if request.arrive_by is not None else \
        ("pickup_after", request.pickup_after)
    if asked is None or asked < now - 60 or request.channel == "simulation":
        return RejectCause.IN_THE_PAST, msg("field_message", field=field, message=message) \
            if asked is not None else message
    return (RejectCause.MIN_LEAD_TIME, msg("arrival_too_soon", at=Clock(rules.local(asked)),
                                           lead=Duration(rules.min_lead_s)))
