"""Passwords, bearer tokens and stream tickets, and the settings' secret key."""

from __future__ import annotations

import os
import time

import jwt
import pytest
from pydantic import ValidationError

from ride_pool.api.security import (
    ALGORITHM,
    InvalidToken,
    create_access_token,
    create_stream_ticket,
    decode_access_token,
    decode_stream_ticket,
    hash_password,
    verify_and_update,
    verify_password,
)
from ride_pool.settings import Settings, get_settings

KEY = "test-secret-key-0123456789abcdef0123456789"
NOW = 1_767_250_800


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No RIDE_POOL_* variables, working and home folder in tmp_path (nothing may be written there),
    and a fresh get_settings()."""
    for name in list(os.environ):
        if name.startswith("RIDE_POOL_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


# --- passwords -----------------------------------------------------------------------------------

def test_password_hash_verifies():
    hashed = hash_password("korrekt Pferd Batterie")
    assert hashed.startswith("$argon2id$") and "m=19456,t=2,p=1" in hashed
    assert verify_password("korrekt Pferd Batterie", hashed)
    assert not verify_password("korrekt pferd batterie", hashed)
    assert hash_password("korrekt Pferd Batterie") != hashed  # salted


def test_unreadable_hash_is_a_wrong_password():
    assert not verify_password("secret123", "")
    assert not verify_password("secret123", "plain-text")
    assert not verify_password("secret123", "$argon2id$v=19$m=19456,t=2,p=1$broken")


def test_stronger_old_hash_still_verifies_and_is_updated():
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    old = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8192, parallelism=1),)).hash("secret123")
    valid, new_hash = verify_and_update("secret123", old)
    assert valid and new_hash is not None and verify_password("secret123", new_hash)
    assert verify_and_update("wrong", old) == (False, None)


def test_hashes_use_the_documented_argon2id_parameters():
    # Login cost is set by these parameters (OWASP minimum), not asserted as a time here: speed
    # targets belong in benchmarks/, not in timed unit tests.
    from ride_pool.api.security import ARGON2_MEMORY_KIB, ARGON2_PARALLELISM, ARGON2_TIME_COST

    hashed = hash_password("secret123")
    assert hashed.startswith("$argon2id$")
    assert f"m={ARGON2_MEMORY_KIB},t={ARGON2_TIME_COST},p={ARGON2_PARALLELISM}" in hashed


# --- tokens --------------------------------------------------------------------------------------

ISSUER = "ride_pool:00000000-0000-4000-8000-000000000001"


def _create(user_id=7, role="rider", key=KEY, minutes=30, **kw):
    return create_access_token(user_id, role, key, issuer=kw.pop("issuer", ISSUER), version=kw.pop("version", 0),
                               minutes=minutes, **kw)


def test_token_round_trip():
    token = _create(minutes=30, version=3)
    claims = decode_access_token(token, KEY, issuer=ISSUER)
    assert (claims.user_id, claims.role, claims["sub"], claims["role"]) == (7, "rider", "7", "rider")
    assert claims["iss"] == claims["aud"] == ISSUER and claims.version == 3 and len(claims.jti) >= 16
    assert claims.expires_at - claims.issued_at == 30 * 60
    assert jwt.get_unverified_header(token)["alg"] == ALGORITHM
    assert decode_access_token(_create(), KEY, issuer=ISSUER).jti != claims.jti     # every token its own id


def test_expired_token():
    token = _create(minutes=10, now=int(time.time()) - 11 * 60)
    with pytest.raises(InvalidToken, match="expired"):
        decode_access_token(token, KEY, issuer=ISSUER)
    # expiry is judged by the clock given (the service's token clock)
    assert decode_access_token(token, KEY, issuer=ISSUER, now=int(time.time()) - 11 * 60).user_id == 7


def test_token_of_another_deployment_is_refused_even_with_the_same_key():
    token = _create(issuer="ride_pool:another-deployment")
    with pytest.raises(InvalidToken, match="another deployment"):
        decode_access_token(token, KEY, issuer=ISSUER)


@pytest.mark.parametrize("forge", [
    lambda token: _create(7, "operator", "another-key-of-sufficient-length-0123456789", minutes=5),
    lambda token: jwt.encode({**jwt.decode(token, options={"verify_signature": False}), "role": "operator"},
                             "guess-guess-guess-guess-guess-guess", algorithm="HS256"),
    lambda token: token.rsplit(".", 1)[0] + ".AAAA",
])
def test_forged_token(forge):
    with pytest.raises(InvalidToken, match="signature"):
        decode_access_token(forge(_create(minutes=5)), KEY, issuer=ISSUER)


def test_unsigned_token_is_refused():
    unsigned = jwt.encode({"sub": "7", "role": "operator", "iss": ISSUER, "aud": ISSUER, "jti": "x", "ver": 0,
                           "iat": NOW, "exp": int(time.time()) + 600}, None, algorithm="none")
    with pytest.raises(InvalidToken, match="HS256"):
        decode_access_token(unsigned, KEY, issuer=ISSUER)


def _claims(**changes):
    claims = {"sub": "7", "role": "rider", "iss": ISSUER, "aud": ISSUER, "jti": "abc", "ver": 0, "iat": NOW,
              "exp": 2**40} | changes
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, KEY, algorithm="HS256")


@pytest.mark.parametrize(("token", "message"), [
    ("not-a-token", "not a valid bearer token"),
    ("", "not a valid bearer token"),
    (_claims(exp=None), "'exp' claim"),
    (_claims(iss=None), "'iss' claim"),
    (_claims(aud=None), "'aud' claim"),
    (_claims(jti=None), "'jti' claim"),
    (_claims(ver=None), "'ver' claim"),
    (_claims(sub="someone"), "user id"),
    (_claims(sub="\u0667"), "user id"),      # an Arabic-Indic seven read as user 7
    (_claims(sub="07"), "user id"),
    (_claims(ver="0"), "malformed"),
    (_claims(aud=ISSUER + "#event-stream"), "not meant for this use"),     # a stream ticket
])
def test_malformed_token(token, message):
    with pytest.raises(InvalidToken, match=message):
        decode_access_token(token, KEY, issuer=ISSUER)


def test_stream_ticket_is_bound_to_its_stream_and_is_no_bearer_token():
    ticket = create_stream_ticket(7, KEY, issuer=ISSUER, version=0, path="/api/v1/driver/events", seconds=60,
                                  token_jti="login-1")
    claims = decode_stream_ticket(ticket, KEY, issuer=ISSUER, path="/api/v1/driver/events")
    assert claims.user_id == 7 and claims.expires_at - claims.issued_at == 60
    with pytest.raises(InvalidToken, match="another event stream") as refused:
        decode_stream_ticket(ticket, KEY, issuer=ISSUER, path="/api/v1/bookings/abc/events")
    assert refused.value.code == "invalid_ticket"
    with pytest.raises(InvalidToken, match="expired"):
        decode_stream_ticket(ticket, KEY, issuer=ISSUER, path="/api/v1/driver/events", now=time.time() + 61)
    with pytest.raises(InvalidToken, match="not meant for this use"):
        decode_access_token(ticket, KEY, issuer=ISSUER)
    with pytest.raises(InvalidToken, match="not meant for this use"):
        decode_stream_ticket(_create(), KEY, issuer=ISSUER, path="/api/v1/driver/events")


# --- settings ------------------------------------------------------------------------------------

def test_settings_defaults(clean_environment):
    settings = Settings()
    assert (settings.database_url, settings.token_minutes, settings.network, settings.host, settings.port) == (
        "sqlite:///ride_pool.db", 720, "demo", "127.0.0.1", 8000)
    assert settings.data_dir.name == "data"
    # no key given: the deployment's own key (in its database) signs; nothing is written beside it
    assert settings.secret_key is None and settings.stream_ticket_seconds == 60
    assert list(clean_environment.iterdir()) == []


def test_settings_from_environment(clean_environment, monkeypatch):
    monkeypatch.setenv("RIDE_POOL_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    monkeypatch.setenv("RIDE_POOL_PORT", "9000")
    monkeypatch.setenv("RIDE_POOL_DATA_DIR", str(clean_environment))
    settings = get_settings()
    assert settings.port == 9000 and settings.data_dir == clean_environment
    assert get_settings() is settings
    assert settings.secret_key is None and not (clean_environment / "home" / ".ride_pool_secret").exists()
    monkeypatch.setenv("RIDE_POOL_SECRET_KEY", KEY)
    get_settings.cache_clear()
    assert get_settings().secret_key == KEY


@pytest.mark.parametrize("key", ["secret", "x" * 31, "ä" * 15])
def test_short_secret_key_is_refused(clean_environment, monkeypatch, key):
    monkeypatch.setenv("RIDE_POOL_SECRET_KEY", key)
    with pytest.raises(ValidationError, match="at least 32 bytes"):
        Settings()
    assert Settings(secret_key="ä" * 16).secret_key == "ä" * 16      # 32 bytes in UTF-8
