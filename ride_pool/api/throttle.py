"""The request limits of registration, log-in, quotes and bookings, each read from the settings
(``RIDE_POOL_LIMIT_<NAME>_COUNT`` per ``RIDE_POOL_LIMIT_<NAME>_SECONDS``; count 0 switches it off)
and counted in the service's :class:`~ride_pool.api.limits.RateLimiter`."""

from __future__ import annotations

import threading
import zlib

from fastapi import Request

from ride_pool.api import security
from ride_pool.api.limits import Limit, client_address, too_many
from ride_pool.api.service import Service
from ride_pool.message_catalogue import CATALOGUE
from ride_pool.messages import Duration, msg

#: locks that make one password attempt of an account (or from an address) wait for the one
#: before it: a key's lock is ``_ATTEMPT_LOCKS[crc32(key) % len]`` (striped: no lock per key kept)
_ATTEMPT_LOCKS = tuple(threading.Lock() for _ in range(64))


def setting_limit(service: Service, name: str) -> Limit:
    """The limit ``name`` (e.g. ``register``) as the settings give it."""
    s = service.settings
    return Limit(int(getattr(s, f"limit_{name}_count")), int(getattr(s, f"limit_{name}_seconds")))


def count(service: Service, name: str, key: str) -> None:
    """Count one more of ``name`` for ``key``; a 429 with ``Retry-After`` when over the limit."""
    limit = setting_limit(service, name)
    wait = service.limiter.hit(name, key, limit)
    if wait is not None:
        raise too_many(wait, msg("too_many_requests_of", what=msg("limit_" + name) if "limit_" + name in CATALOGUE
                                 else name, count=limit.count, span=Duration(limit.seconds), wait=Duration(wait)))


def count_address(service: Service, request: Request, name: str) -> None:
    """:func:`count` keyed by the client's address."""
    count(service, name, client_address(request))


def quote_allowed(service: Service, request: Request, rider_id: int | None) -> None:
    """The limits of one quote: per client address, and per rider account."""
    count_address(service, request, "quotes_address")
    if rider_id is not None:
        count(service, "quotes_rider", str(rider_id))


def login_locked(service: Service, email: str, address: str) -> None:
    """429 ``too_many_logins`` if the account or the client address had too many failed password
    attempts lately (log-ins, password changes, account deletions)."""
    for name, key, what in (("login_account", email, msg("limit_this_account")),
                            ("login_address", address, msg("limit_your_address"))):
        limit = setting_limit(service, name)
        wait = service.limiter.test(name, key, limit)
        if wait is not None:
            raise too_many(wait, msg("too_many_logins", what=what, count=limit.count, span=Duration(limit.seconds),
                                     wait=Duration(wait)), code="too_many_logins")


def login_failed(service: Service, email: str, address: str) -> None:
    """Count one failed password attempt of the account ``email`` from ``address``."""
    for name, key in (("login_account", email), ("login_address", address)):
        service.limiter.hit(name, key, setting_limit(service, name))


def password_attempt(service: Service, email: str, address: str, password: str, password_hash: str) -> bool:
    """Whether ``password`` matches ``password_hash``, as one attempt on the account ``email`` from
    ``address`` (run it on the password threads): 429 while the account or the address is locked,
    and a wrong password counts as a failed log-in. The look at the lock, the hash and the count
    happen under the account's and the address's locks, so that parallel guesses queue and none
    gets past the limit (a burst of 60 at once gets exactly 5 answers before the 429s)."""
    stripes = sorted({zlib.crc32(("account:" + email).encode()) % len(_ATTEMPT_LOCKS),
                      zlib.crc32(("address:" + address).encode()) % len(_ATTEMPT_LOCKS)})
    locks = [_ATTEMPT_LOCKS[i] for i in stripes]      # always taken in the same order: no deadlock
    for lock in locks:
        lock.acquire()
    try:
        login_locked(service, email, address)
        ok = security.verify_password(password, password_hash)
        if not ok:
            login_failed(service, email, address)
        return ok
    finally:
        for lock in reversed(locks):
            lock.release()
