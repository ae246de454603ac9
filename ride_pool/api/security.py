"""Passwords (argon2id via pwdlib) and bearer tokens (JWT, HS256 via PyJWT).

Argon2id parameters: 19 MiB memory, 2 passes, 1 lane - the OWASP minimum recommendation; one hash
takes about 20 ms on a 2-core machine and uses one core, so logins stay cheap under load. Hashes
made with other parameters still verify (the parameters are part of the hash);
:func:`verify_and_update` gives a re-hash with the current ones.

A token carries the user id (``sub``), the role, and its issue and expiry times; it is signed with
the settings' ``secret_key`` unless a key is passed.
"""

from __future__ import annotations

import time

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

ALGORITHM = "HS256"
ARGON2_MEMORY_KIB = 19_456
ARGON2_TIME_COST = 2
ARGON2_PARALLELISM = 1

_password_hash = PasswordHash(
    (Argon2Hasher(time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_KIB, parallelism=ARGON2_PARALLELISM),)
)


class InvalidToken(Exception):
    """A bearer token that cannot be accepted; the message says why (the fix is always to log in
    again and use the new token)."""


class TokenClaims(dict):
    """The claims of a valid token (``sub``, ``role``, ``iat``, ``exp``), with typed shortcuts."""

    @property
    def user_id(self) -> int:
        return int(self["sub"])

    @property
    def role(self) -> str:
        return self["role"]

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


def _secret(secret_key: str | None) -> str:
    if secret_key:
        return secret_key
    from ride_pool.settings import get_settings

    return get_settings().secret_key


def create_access_token(user_id: int, role: str, secret_key: str | None = None, minutes: int | None = None,
                        *, now: int | None = None) -> str:
    """A bearer token for ``user_id`` with ``role`` signed with ``secret_key`` (default: the
    settings' key), valid for ``minutes`` (default: the settings' ``token_minutes``) from ``now``
    (epoch s; default: the current time)."""
    if secret_key is not None and not isinstance(secret_key, str):
        raise TypeError(f"secret_key must be a string, not {secret_key!r}: pass the lifetime as minutes=...")
    if minutes is None:
        from ride_pool.settings import get_settings

        minutes = get_settings().token_minutes
    issued_at = int(time.time()) if now is None else int(now)
    claims = {"sub": str(int(user_id)), "role": str(role), "iat": issued_at, "exp": issued_at + int(minutes) * 60}
    return jwt.encode(claims, _secret(secret_key), algorithm=ALGORITHM)


def decode_access_token(token: str, secret_key: str | None = None) -> TokenClaims:
    """The claims of ``token``; raises :class:`InvalidToken` if it is expired, forged (signed with
    another key or algorithm), or not a token of this service."""
    try:
        claims = jwt.decode(token, _secret(secret_key), algorithms=[ALGORITHM],
                            options={"require": ["sub", "exp", "iat"]})
    except jwt.ExpiredSignatureError:
        raise InvalidToken("the token has expired") from None
    except jwt.InvalidSignatureError:
        raise InvalidToken("the token's signature is not valid (not issued by this service, or the "
                           "server's secret key changed)") from None
    except jwt.MissingRequiredClaimError as error:
        raise InvalidToken(f"the token lacks the {error.claim!r} claim") from None
    except jwt.InvalidAlgorithmError:
        raise InvalidToken(f"the token is not signed with {ALGORITHM}") from None
    except jwt.InvalidTokenError as error:
        raise InvalidToken(f"not a valid bearer token ({error}): send 'Authorization: Bearer <token>' "
                           "with the token from logging in") from None
    if not str(claims["sub"]).isdigit():
        raise InvalidToken("the token's subject is not a user id")
    role = claims.get("role")
    if not isinstance(role, str) or not role:
        raise InvalidToken("the token carries no role")
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
