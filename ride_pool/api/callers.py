"""Who is calling: bearer tokens checked once per token, and accounts known to exist."""

from __future__ import annotations

import time

from sqlalchemy.engine import Engine

from ride_pool.api import security
from ride_pool.db.engine import read_session
from ride_pool.db.models import User


class Callers:
    """Caches of verified token claims and of existing accounts (accounts are never deleted)."""

    def __init__(self, secret_key: str, engine: Engine):
        self.secret_key = secret_key
        self.engine = engine
        self._tokens: dict[str, tuple[int, str, float]] = {}
        self._known_users: set[int] = set()

    def caller_of_token(self, token: str) -> tuple[int, str]:
        """(user id, role) of a bearer token; raises :class:`~ride_pool.api.security.InvalidToken`.

        A valid token's claims are remembered until it expires, so that the signature is checked
        once per token rather than on every request (the token is the cache key: a token that
        differs in any byte is decoded and verified afresh)."""
        known = self._tokens.get(token)
        if known is not None and time.time() < known[2]:
            return known[0], known[1]
        claims = security.decode_access_token(token, self.secret_key)
        if len(self._tokens) >= 10_000:
            self._tokens.clear()
        self._tokens[token] = (claims.user_id, claims.role, claims.expires_at)
        return claims.user_id, claims.role

    def user_known(self, user_id: int) -> bool:
        """Whether the account is known to exist without asking the database."""
        return user_id in self._known_users

    def user_exists(self, user_id: int) -> bool:
        """Whether the account exists (a yes is remembered)."""
        if user_id in self._known_users:
            return True
        with read_session(self.engine) as s:
            found = s.get(User, user_id) is not None
        if found:
            self._known_users.add(user_id)
        return found
