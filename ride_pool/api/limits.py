"""Rate limits: how often one client address, one account or one login may do something.

Built on the ``limits`` library (moving windows in memory: the service is one process, see
``ride-pool serve``). Every limit is a setting (``RIDE_POOL_LIMIT_*``), so that a load test or a
trusted deployment can raise it; a limit of ``0`` switches it off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fastapi import HTTPException, Request
from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from ride_pool.messages import Message


@dataclass(frozen=True)
class Limit:
    """At most ``count`` times per ``seconds`` (``count`` 0: unlimited)."""

    count: int
    seconds: int

    @property
    def unlimited(self) -> bool:
        return self.count <= 0


class RateLimiter:
    """Moving-window counters per (name, key), e.g. ("register", "203.0.113.7")."""

    def __init__(self) -> None:
        self._storage = MemoryStorage()
        self._limiter = MovingWindowRateLimiter(self._storage)

    def _item(self, limit: Limit):
        return RateLimitItemPerSecond(limit.count, limit.seconds)

    def hit(self, name: str, key: str, limit: Limit) -> int | None:
        """Count one more; None if allowed, else the seconds until it would be allowed again."""
        if limit.unlimited:
            return None
        item = self._item(limit)
        if self._limiter.hit(item, name, key):
            return None
        return self.retry_after(name, key, limit)

    def test(self, name: str, key: str, limit: Limit) -> int | None:
        """Like :meth:`hit` without counting: None if one more would be allowed."""
        if limit.unlimited:
            return None
        item = self._item(limit)
        if self._limiter.test(item, name, key):
            return None
        return self.retry_after(name, key, limit)

    def retry_after(self, name: str, key: str, limit: Limit) -> int:
        import time

        reset, _remaining = self._limiter.get_window_stats(self._item(limit), name, key)
        return max(1, math.ceil(reset - time.time()))

    def clear(self, name: str, key: str, limit: Limit) -> None:
        """Forget the counts of ``key`` (e.g. the failed logins after a successful one)."""
        if not limit.unlimited:
            self._limiter.clear(self._item(limit), name, key)


def client_address(request: Request) -> str:
    """The address of the client that sent ``request`` (uvicorn replaces it with the one in
    ``X-Forwarded-For`` only for proxies listed in ``--forwarded-allow-ips``)."""
    client = request.client
    return client.host if client is not None else "unknown"


def too_many(retry_after: int, message: Message, code: str = "too_many_requests") -> HTTPException:
    """A 429 answer with ``Retry-After``."""
    return HTTPException(429, detail={"code": code, "message": message, "retry_after_s": retry_after},
                         headers={"Retry-After": str(retry_after)})
