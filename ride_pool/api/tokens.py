"""Issuing and reading this deployment's bearer tokens and stream tickets.

One :class:`Tokens` per running service (``service.tokens``): it knows the deployment's issuer
(from the database), the signing key (``RIDE_POOL_SECRET_KEY`` or the deployment's stored key) and
the lifetimes. Every token the service hands out comes from :meth:`Tokens.issue`.
"""

from __future__ import annotations

import time
from typing import Callable

from ride_pool.api import security


class Tokens:
    """Bearer tokens and stream tickets of one deployment; ``clock`` (epoch seconds, the wall
    clock by default) decides issue and expiry times."""

    def __init__(self, issuer: str, secret_key: str, *, minutes: int, ticket_seconds: int,
                 clock: Callable[[], float] = time.time):
        self.issuer = issuer
        self.secret_key = secret_key
        self.minutes = minutes
        self.ticket_seconds = ticket_seconds
        self.clock = clock

    def issue(self, user) -> str:
        """A bearer token for ``user`` (a ``users`` row, or anything with ``id``, ``role`` and
        ``token_version``): the one function that makes tokens for logins."""
        role = getattr(user.role, "value", user.role)
        return security.create_access_token(user.id, role, self.secret_key, issuer=self.issuer,
                                            version=int(user.token_version or 0), minutes=self.minutes,
                                            now=self.clock())

    def read(self, token: str) -> security.TokenClaims:
        """The claims of a bearer token of this deployment; :class:`~ride_pool.api.security.InvalidToken`."""
        return security.decode_access_token(token, self.secret_key, issuer=self.issuer, now=self.clock())

    def ticket(self, user_id: int, version: int, path: str, token_jti: str) -> str:
        """A ticket that opens the event stream at ``path`` once (see :meth:`read_ticket`), for the
        login ``token_jti``."""
        return security.create_stream_ticket(user_id, self.secret_key, issuer=self.issuer, version=version,
                                             token_jti=token_jti,
                                             path=path, seconds=self.ticket_seconds, now=self.clock())

    def read_ticket(self, ticket: str, path: str) -> security.TokenClaims:
        """The claims of a ticket for the stream at ``path``; InvalidToken (``invalid_ticket``)."""
        return security.decode_stream_ticket(ticket, self.secret_key, issuer=self.issuer, path=path,
                                             now=self.clock())
