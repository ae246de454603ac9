"""Who may ask for what, and when: request validation, the rider rules and the earliest time the
service rules allow. Nothing here looks at the vehicles; :mod:`ride_pool.dispatch.quotes` does."""

from __future__ import annotations

import dataclasses
import math
import numbers

from ride_pool.dispatch.domain import CALLER_NAME_MAX, CALLER_PHONE_MAX, Place, RejectCause, TripRequest
from ride_pool.dispatch.errors import DispatchInputError
from ride_pool.dispatch.rules import ServiceRules
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
        raise DispatchInputError(f"passengers must be a whole number between 1 and {r.max_passengers}")
    if not _whole(request.wheelchairs) or not 0 <= request.wheelchairs <= r.max_wheelchairs:
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
    for name in ("origin", "destination"):
        place = getattr(request, name)
        if not isinstance(place, Place):
            raise DispatchInputError(f"{name} must be a place (use Dispatcher.place or place_at_node)")
        if not _whole(place.node) or not 0 <= place.node < network.node_count:
            raise DispatchInputError(f"{name}: node {place.node!r} is not in the road network "
                                     f"(0..{network.node_count - 1})")
    if request.channel not in CHANNELS:
        raise DispatchInputError(f"channel must be 'app', 'phone' or 'simulation', got {request.channel!r}")
    for name, longest in (("caller_name", CALLER_NAME_MAX), ("caller_phone", CALLER_PHONE_MAX)):
        value = getattr(request, name)
        if value is not None and (not isinstance(value, str) or not 1 <= len(value) <= longest):
            raise DispatchInputError(f"{name} must be a text of 1 to {longest} characters or None")
    return dataclasses.replace(request, passengers=int(request.passengers),
                               wheelchairs=int(request.wheelchairs), **times)


def rider_rule(request: TripRequest, rules: ServiceRules, ledger: RiderLedger, *,
               confirmed: bool | None = None) -> tuple[RejectCause, str] | None:
    """The rider rule ``request`` breaks, if any: the no-show limit (app), the open bookings and
    the places over them (``max_seats_per_rider``, the new request's passengers included), and
    for an account whose e-mail address is not confirmed (``confirmed``, default the request's
    ``rider_confirmed``) the smaller ``unconfirmed_*`` limits. Requests without a rider account
    (phone callers) and simulated ones are not limited."""
    if request.rider_id is None or request.channel == "simulation":
        return None
    if request.channel == "app" and ledger.no_shows.get(request.rider_id, 0) >= rules.no_show_limit:
        return (RejectCause.NO_SHOW_LIMIT, f"after {rules.no_show_limit} missed pickups, rides can only be "
                "booked by phone with the operator")
    active = ledger.active_count(request.rider_id)
    places = ledger.active_places(request.rider_id) + int(request.passengers)
    if not (request.rider_confirmed if confirmed is None else confirmed) and (
            active >= rules.unconfirmed_max_bookings or places > rules.unconfirmed_max_seats):
        return (RejectCause.ACCOUNT_UNCONFIRMED_LIMIT, "until your account is confirmed you can hold "
                f"{_count(rules.unconfirmed_max_bookings, 'open booking')} for at most "
                f"{_count(rules.unconfirmed_max_seats, 'person', 'people')} at a time; confirm your e-mail address "
                "with the code we sent you (or ask the operator to confirm your account)")
    if active >= rules.max_active_bookings:
        return (RejectCause.MAX_ACTIVE_BOOKINGS, f"you already have {active} open bookings, the most allowed; "
                "cancel one or wait until a ride is done")
    if places > rules.max_seats_per_rider:
        held = places - int(request.passengers)
        return (RejectCause.MAX_SEATS_PER_RIDER, f"one account can book for at most {rules.max_seats_per_rider} "
                f"people at a time and your open bookings are for {held}; book for fewer people, or ask the "
                "operator for a larger group")
    return None


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def earliest_allowed(rules: ServiceRules, now: int, channel: str, trip_s: int = 0) -> int:
    """The earliest pickup window start the rules allow for a booking made ``now``: after the
    lead time, in whole minutes, inside the operating hours with the whole trip (``trip_s``
    from the window start to the arrival) before the closing time, and (app) not an early
    trip whose booking cut-off has passed."""
    r = rules
    first = t = now + (r.min_lead_s if channel != "simulation" else 0)
    for _ in range(12):
        opening = r.next_opening(t)
        if opening is None:
            break
        t = -(-opening // 60) * 60   # whole minutes, rounded up
        until = r.open_until(t)
        if until is None:
            continue
        cutoff = r.early_cutoff(t)
        if cutoff is not None and now > cutoff and channel == "app":
            t = r.early_trip_start(t)
            continue
        if t + trip_s > until:
            t = until + 1          # the trip would end after closing: the next opening
            continue
        return t
    return -(-first // 60) * 60


def past_time_rule(request: TripRequest, rules: ServiceRules, now: int,
                   message: str) -> tuple[RejectCause, str]:
    """What a request whose pickup would lie in the past breaks.

    A time asked for that has passed (more than a minute ago) is ``in_the_past``, named by its
    field (the API answers it as bad input). An arrival that has not passed but is too soon for
    any pickup after now breaks the lead-time rule (``min_lead_time``) in the app and on the
    phone; the simulation has no lead time, so there it stays ``in_the_past``."""
    field, asked = ("arrive_by", request.arrive_by) if request.arrive_by is not None else \
        ("pickup_after", request.pickup_after)
    if asked is None or asked < now - 60 or request.channel == "simulation":
        return RejectCause.IN_THE_PAST, f"{field}: {message}" if asked is not None else message
    lead = rules.min_lead_s // 60
    return (RejectCause.MIN_LEAD_TIME, f"arriving by {rules.local(asked):%H:%M} would need a pickup before now; "
            f"pickups must be booked at least {lead} minutes ahead, so choose a later arrival")
