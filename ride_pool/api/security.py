"""Passwords (argon2id via pwdlib) and bearer tokens (JWT, HS256 via PyJWT).

Argon2id parameters: 19 MiB memory, 2 passes, 1 lane - the OWASP minimum recommendation; one hash
takes about 20 ms on a 2-core machine and uses one core, so logins stay cheap under load. Hashes
made with other parameters still verify (the parameters are part of the hash);
:func:`verify_and_update` gives a re-hash with the current ones.

A token carries the user id (``sub``), the deployment it is for (``iss`` = ``aud``), a random id
(``jti``, to end it by logging out), the account's token version (``ver``: raising it ends every
token of the account), its issue and expiry times and, for the client's information, the role.
The service's :class:`ride_pool.api.tokens.Tokens` issues and reads them with the deployment's
issuer and key; requests take role and account state from the database (:mod:`ride_pool.api.callers`).
"""

from __future__ import annotations

import secrets
import time

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from ride_pool.messages import Message, msg

ALGORITHM = "HS256"
ARGON2_MEMORY_KIB = 19_456
ARGON2_TIME_COST = 2
ARGON2_PARALLELISM = 1

_password_hash = PasswordHash(
    (Argon2Hasher(time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_KIB, parallelism=ARGON2_PARALLELISM),)
)


class InvalidToken(Exception):
    """A bearer token (or stream ticket) that cannot be accepted; the message says why, ``code``
    names the reason for the API's answer (the fix is always to log in again)."""

    def __init__(self, message: Message, code: str = "not_authenticated"):
        super().__init__(str(message))
        self.code = code
        self.message = message


class TokenClaims(dict):
    """The claims of a valid token (``sub``, ``iss``, ``aud``, ``jti``, ``ver``, ``iat``, ``exp``,
    and the informative ``role``), with typed shortcuts."""

    @property
    def user_id(self) -> int:
        return int(self["sub"])

    @property
    def role(self) -> str | None:
        """The role when the token was issued; informative only (requests read the account's)."""
        return self.get("role")

    @property
    def jti(self) -> str:
        return self["jti"]

    @property
    def version(self) -> int:
        return int(self["ver"])

    @property
    def issued_at(self) -> int:
        return int(self["iat"])

    @property
    def expires_at(self) -> int:
        return int(self["exp"])


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (salted; store it, never the password)."""
    return _password_hash.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    """Whether ``password`` matches ``password_hash``; False for a hash it cannot read."""
    try:
        return _password_hash.verify(password, password_hash)
    except Exception:  # unknown or damaged hash: treat like a wrong password
        return False


def verify_and_update(password: str, password_hash: str) -> tuple[bool, str | None]:
    """Whether ``password`` matches, and a new hash to store if the old one used weaker parameters."""
    try:
        return _password_hash.verify_and_update(password, password_hash)
    except Exception:
        return False, None


#: the audience of a stream ticket: ``<issuer>`` + this (a ticket is no bearer token, and back)
TICKET_AUDIENCE_SUFFIX = "#event-stream"
_REQUIRED_CLAIMS = ["sub", "iss", "aud", "jti", "ver", "iat", "exp"]


def create_access_token(user_id: int, role: str, secret_key: str, *, issuer: str, version: int, minutes: int,
                        now: float | None = None) -> str:
    """A bearer token for ``user_id`` signed with ``secret_key``, for the deployment ``issuer``
    (issuer and audience), with the account's ``version`` (``users.token_version``), a random id
    (``jti``) and valid for ``minutes`` from ``now`` (epoch s; default: the current time).
    ``role`` is written for the client's information; requests read the role from the account.

    The service issues tokens with :meth:`ride_pool.api.tokens.Tokens.issue`."""
    issued_at = int(time.time() if now is None else now)
    claims = {"sub": str(int(user_id)), "role": str(role), "iss": issuer, "aud": issuer,
              "jti": secrets.token_urlsafe(16), "ver": int(version), "iat": issued_at,
              "exp": issued_at + int(minutes) * 60}
    return jwt.encode(claims, secret_key, algorithm=ALGORITHM)


def decode_access_token(token: str, secret_key: str, *, issuer: str, now: float | None = None) -> TokenClaims:
    """The claims of ``token``; raises :class:`InvalidToken` if it is expired (at ``now``, default
    the current time), forged (signed with another key or algorithm), of another deployment
    (another ``issuer``), a stream ticket, or lacks a claim."""
    return _decode(token, secret_key, issuer=issuer, audience=issuer, now=now, what="token")


def create_stream_ticket(user_id: int, secret_key: str, *, issuer: str, version: int, path: str, seconds: int,
                         token_jti: str, now: float | None = None) -> str:
    """A ticket that opens the event stream at ``path`` for ``user_id`` once, within ``seconds``;
    ``token_jti`` names the login it was asked for with (logging out ends its tickets too)."""
    issued_at = int(time.time() if now is None else now)
    claims = {"sub": str(int(user_id)), "iss": issuer, "aud": issuer + TICKET_AUDIENCE_SUFFIX,
              "jti": secrets.token_urlsafe(16), "ver": int(version), "path": path, "tok": str(token_jti),
              "iat": issued_at, "exp": issued_at + int(seconds)}
    return jwt.encode(claims, secret_key, algorithm=ALGORITHM)


def decode_stream_ticket(ticket: str, secret_key: str, *, issuer: str, path: str,
                         now: float | None = None) -> TokenClaims:
    """The claims of a stream ticket for the stream at ``path``; :class:`InvalidToken` (code
    ``invalid_ticket``) for an expired or forged one, or one for another stream."""
    try:
        claims = _decode(ticket, secret_key, issuer=issuer, audience=issuer + TICKET_AUDIENCE_SUFFIX, now=now,
                         what="ticket")
    except InvalidToken as error:
        raise InvalidToken(msg("ticket_invalid", reason=error.message, path=path), "invalid_ticket") from None
    if claims.get("path") != path:
        raise InvalidToken(msg("ticket_other_stream", path=path), "invalid_ticket")
    if not isinstance(claims.get("tok"), str):
        raise InvalidToken(msg("ticket_no_login", path=path), "invalid_ticket")
    return claims


def _decode(token: str, secret_key: str, *, issuer: str, audience: str, now: float | None, what: str) -> TokenClaims:
    what = msg("what_" + what)
    try:
        # expiry is checked below against ``now`` (an injected clock in tests), not by PyJWT
        claims = jwt.decode(token, secret_key, algorithms=[ALGORITHM], issuer=issuer, audience=audience,
                            options={"require": _REQUIRED_CLAIMS, "verify_exp": False, "verify_iat": False})
    except jwt.InvalidSignatureError:
        raise InvalidToken(msg("token_signature", what=what)) from None
    except jwt.MissingRequiredClaimError as error:
        raise InvalidToken(msg("token_claim_missing", what=what, claim=repr(error.claim))) from None
    except jwt.InvalidIssuerError:
        raise InvalidToken(msg("token_other_issuer", what=what)) from None
    except jwt.InvalidAudienceError:
        raise InvalidToken(msg("token_other_audience", what=what)) from None
    except jwt.InvalidAlgorithmError:
        raise InvalidToken(msg("token_algorithm", what=what, algorithm=ALGORITHM)) from None
    except jwt.InvalidTokenError as error:
        raise InvalidToken(msg("token_malformed", what=what, detail=str(error))) from None
    # ASCII digits only, no leading zero: "01" or an Arabic-Indic "١" would also read as user 1
    if not (isinstance(claims["sub"], str) and claims["sub"].isascii() and claims["sub"].isdigit()
            and claims["sub"] == str(int(claims["sub"]))):
        raise InvalidToken(msg("token_subject", what=what))
    if not isinstance(claims["ver"], int) or not isinstance(claims["exp"], int) \
            or not isinstance(claims["iat"], int) or not isinstance(claims["jti"], str) or not claims["jti"]:
        raise InvalidToken(msg("token_claims", what=what))
    if claims["exp"] <= int(time.time() if now is None else now):
        raise InvalidToken(msg("token_expired", what=what))
    return TokenClaims(claims)


_dummy_hashes: dict[int, str] = {}


def dummy_hash() -> str:
    """The hash of a random password, made once with the current parameters: a log-in for an
    unknown e-mail address is checked against it, so that it costs as much time as one for an
    existing account (the answer time does not tell which addresses have accounts)."""
    hasher = _password_hash
    known = _dummy_hashes.get(id(hasher))
    if known is None:
        import secrets

        known = _dummy_hashes[id(hasher)] = hasher.hash(secrets.token_urlsafe(24))
    return known
