"""The request limits of registration, log-in, quotes and bookings, each read from the settings
(``RIDE_POOL_LIMIT_<NAME>_COUNT`` per ``RIDE_POOL_LIMIT_<NAME>_SECONDS``; count 0 switches it off)
and counted in the service's :class:`~ride_pool.api.limits.RateLimiter`."""

from __future__ import annotations

from fastapi import Request

from ride_pool.api.limits import Limit, client_address, too_many
from ride_pool.api.service import Service

#: what each limit counts, for the 429 message
_WHAT = {
    "register": "registrations from your address",
    "confirm_resend": "new confirmation codes for this address",
    "quotes_address": "quotes from your address",
    "quotes_rider": "quotes for your account",
    "bookings_address": "bookings from your address",
}


def setting_limit(service: Service, name: str) -> Limit:
    """The limit ``name`` (e.g. ``register``) as the settings give it."""
    s = service.settings
    return Limit(int(getattr(s, f"limit_{name}_count")), int(getattr(s, f"limit_{name}_seconds")))


def count(service: Service, name: str, key: str) -> None:
    """Count one more of ``name`` for ``key``; a 429 with ``Retry-After`` when over the limit."""
    limit = setting_limit(service, name)
    wait = service.limiter.hit(name, key, limit)
    if wait is not None:
        raise too_many(wait, f"too many {_WHAT.get(name, name)}: at most {limit.count} in {limit.seconds} s; "
                       f"try again in {wait} s")


def count_address(service: Service, request: Request, name: str) -> None:
    """:func:`count` keyed by the client's address."""
    count(service, name, client_address(request))


def quote_allowed(service: Service, request: Request, rider_id: int | None) -> None:
    """The limits of one quote: per client address, and per rider account."""
    count_address(service, request, "quotes_address")
    if rider_id is not None:
        count(service, "quotes_rider", str(rider_id))
