"""Who is calling: a bearer token (or stream ticket) checked against the account as it is now.

A token says who the caller is; what the caller may do comes from the database: role, whether
the account is confirmed, disabled or deleted, and its token version (a token issued before the
version was raised - password change, account disabled - is refused). To keep requests cheap,
:class:`Callers` remembers

* the verified claims of each token (the signature is checked once per token),
* each account's state and, for each token, that it was not ended by logging out - both for
  :data:`ACCOUNT_SECONDS` at most, so a change made by another process takes effect within that
  time. Code of this process that changes an account calls :meth:`Callers.forget`, which makes
  the change take effect at once.
"""

from __future__ import annotations

import threading

from sqlalchemy.engine import Engine

from ride_pool.api.security import InvalidToken, TokenClaims
from ride_pool.api.tokens import Tokens
from ride_pool.db import accounts
from ride_pool.db.accounts import AccountState
from ride_pool.messages import msg

#: how long an account's state (and a token's not being ended) is taken from memory
ACCOUNT_SECONDS = 5.0
#: how often ended tokens that have expired anyway are removed from the database
PRUNE_EVERY_S = 3600
_CACHE_LIMIT = 10_000


class Callers:
    """Checks bearer tokens and stream tickets against the accounts (thread-safe)."""

    def __init__(self, tokens: Tokens, engine: Engine, *, account_seconds: float = ACCOUNT_SECONDS):
        self.tokens = tokens
        self.engine = engine
        self.account_seconds = account_seconds
        self._claims: dict[str, TokenClaims] = {}
        self._accounts: dict[int, tuple[AccountState | None, float]] = {}
        self._live_jtis: dict[str, float] = {}       # jti -> when it was last seen not ended
        self._ended: set[str] = set()                # jtis ended by logging out in this process
        self._lock = threading.Lock()
        self._last_prune = 0.0

    def now(self) -> float:
        return self.tokens.clock()

    # --- bearer tokens
    def claims(self, token: str) -> TokenClaims:
        """The verified claims of ``token`` (signature checked once per token, expiry every time)."""
        claims = self._claims.get(token)
        if claims is None:
            claims = self.tokens.read(token)
            if len(self._claims) >= _CACHE_LIMIT:
                self._claims.clear()
            self._claims[token] = claims
        elif claims.expires_at <= self.now():
            raise InvalidToken(msg("token_expired", what=msg("what_token")))
        return claims

    def cached(self, token: str) -> AccountState | None:
        """The caller's account when memory knows enough to accept ``token`` (no database access);
        None when :meth:`check` must read the database. Raises InvalidToken."""
        claims = self.claims(token)
        now = self.now()
        known = self._accounts.get(claims.user_id)
        checked = self._live_jtis.get(claims.jti)
        if claims.jti in self._ended:
            return self._accept(claims, None, ended=True)
        if known is None or now - known[1] > self.account_seconds or checked is None \
                or now - checked > self.account_seconds:
            return None
        return self._accept(claims, known[0], ended=False)

    def check(self, token: str) -> AccountState:
        """The caller's account for ``token``, read from the database when memory is not fresh."""
        state = self.cached(token)
        if state is not None:
            return state
        claims = self.claims(token)
        state, ended = accounts.account_state(self.engine, claims.user_id, claims.jti)
        now = self.now()
        self._remember(claims.user_id, state, now)
        if not ended:
            if len(self._live_jtis) >= _CACHE_LIMIT:
                self._live_jtis.clear()
            self._live_jtis[claims.jti] = now
        return self._accept(claims, state, ended=ended)

    # --- stream tickets
    def check_ticket(self, ticket: str, path: str) -> AccountState:
        """The caller's account for a ticket of the stream at ``path``. A ticket opens one stream:
        its use is kept in the database (``revoked_tokens`` until it expires), so it stays used
        after a restart and in every process; a ticket of a login that was ended is refused too."""
        claims = self.tokens.read_ticket(ticket, path)
        state, ended = accounts.account_state(self.engine, claims.user_id, claims["tok"])
        self._remember(claims.user_id, state, self.now())
        self._accept(claims, state, ended=ended or claims["tok"] in self._ended)
        if not accounts.use_once(self.engine, claims.jti, claims.expires_at):
            raise InvalidToken(msg("ticket_used", path=path),
                               "invalid_ticket")
        return state

    # --- accounts
    def account(self, user_id: int) -> AccountState | None:
        """The account ``user_id`` (None: no such row), from memory when fresh."""
        known = self._accounts.get(user_id)
        now = self.now()
        if known is not None and now - known[1] <= self.account_seconds:
            return known[0]
        state, _ = accounts.account_state(self.engine, user_id)
        self._remember(user_id, state, now)
        return state

    def forget(self, user_id: int) -> None:
        """Read the account ``user_id`` from the database on its next request (call it after
        changing the account: role, password, disabled, deleted, confirmed)."""
        self._accounts.pop(user_id, None)

    def _remember(self, user_id: int, state: AccountState | None, now: float) -> None:
        if len(self._accounts) >= _CACHE_LIMIT:
            self._accounts.clear()
        self._accounts[user_id] = (state, now)

    # --- logging out
    def end(self, claims: TokenClaims) -> None:
        """End the token with ``claims`` (logging out); other tokens of the account stay valid."""
        accounts.revoke_token(self.engine, claims.jti, claims.expires_at)
        self._ended.add(claims.jti)
        self._live_jtis.pop(claims.jti, None)
        now = self.now()
        if now - self._last_prune >= PRUNE_EVERY_S:
            self._last_prune = now
            accounts.prune_revoked(self.engine, int(now))
            if len(self._ended) >= _CACHE_LIMIT:
                self._ended.clear()     # still in the database until they expire

    @staticmethod
    def _accept(claims: TokenClaims, state: AccountState | None, *, ended: bool) -> AccountState:
        if ended:
            raise InvalidToken(msg("token_logged_out"), "token_revoked")
        if state is None or state.deleted:
            raise InvalidToken(msg("account_deleted"),
                               "account_deleted")
        if state.disabled:
            raise InvalidToken(msg("account_disabled"),
                               "account_disabled")
        if claims.version != state.token_version:
            raise InvalidToken(msg("token_revoked"), "token_revoked")
        return state
