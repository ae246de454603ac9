"""Passwords, bearer tokens, and the settings' secret key."""

from __future__ import annotations

import os
import stat
import time

import jwt
import pytest

from ride_pool.api.security import (
    ALGORITHM,
    InvalidToken,
    create_access_token,
    decode_access_token,
    hash_password,
    verify_and_update,
    verify_password,
)
from ride_pool.settings import Settings, get_settings, read_or_create_secret, secret_key_file

KEY = "test-secret-key-0123456789abcdef0123456789"
NOW = 1_767_250_800


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No RIDE_POOL_* variables, working and home folder in tmp_path (a generated secret key file
    lands there), and a fresh get_settings()."""
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

def test_token_round_trip():
    token = create_access_token(7, "rider", KEY, minutes=30)
    claims = decode_access_token(token, KEY)
    assert (claims.user_id, claims.role, claims["sub"], claims["role"]) == (7, "rider", "7", "rider")
    assert claims.expires_at - claims.issued_at == 30 * 60
    assert jwt.get_unverified_header(token)["alg"] == ALGORITHM


def test_expired_token():
    token = create_access_token(7, "rider", KEY, minutes=10, now=int(time.time()) - 11 * 60)
    with pytest.raises(InvalidToken, match="expired"):
        decode_access_token(token, KEY)


@pytest.mark.parametrize("forge", [
    lambda token: create_access_token(7, "operator", "another-key-of-sufficient-length-0123456789", minutes=5),
    lambda token: jwt.encode({**jwt.decode(token, options={"verify_signature": False}), "role": "operator"},
                             "guess-guess-guess-guess-guess-guess", algorithm="HS256"),
    lambda token: token.rsplit(".", 1)[0] + ".AAAA",
])
def test_forged_token(forge):
    with pytest.raises(InvalidToken, match="signature"):
        decode_access_token(forge(create_access_token(7, "rider", KEY, minutes=5)), KEY)


def test_unsigned_token_is_refused():
    unsigned = jwt.encode({"sub": "7", "role": "operator", "iat": NOW, "exp": int(time.time()) + 600}, None,
                          algorithm="none")
    with pytest.raises(InvalidToken, match="HS256"):
        decode_access_token(unsigned, KEY)


@pytest.mark.parametrize(("token", "message"), [
    ("not-a-token", "not a valid bearer token"),
    ("", "not a valid bearer token"),
    (jwt.encode({"sub": "7", "role": "rider", "iat": NOW}, KEY, algorithm="HS256"), "'exp' claim"),
    (jwt.encode({"sub": "someone", "role": "rider", "iat": NOW, "exp": 2**40}, KEY, algorithm="HS256"), "user id"),
    (jwt.encode({"sub": "7", "iat": NOW, "exp": 2**40}, KEY, algorithm="HS256"), "no role"),
])
def test_malformed_token(token, message):
    with pytest.raises(InvalidToken, match=message):
        decode_access_token(token, KEY)


def test_tokens_use_the_settings_by_default(clean_environment, monkeypatch):
    monkeypatch.setenv("RIDE_POOL_SECRET_KEY", KEY)
    monkeypatch.setenv("RIDE_POOL_TOKEN_MINUTES", "5")
    claims = decode_access_token(create_access_token(3, "driver"), KEY)
    assert claims.expires_at - claims.issued_at == 300
    assert decode_access_token(create_access_token(3, "driver")).user_id == 3


# --- settings ------------------------------------------------------------------------------------

def test_settings_defaults(clean_environment):
    settings = Settings()
    assert (settings.database_url, settings.token_minutes, settings.network, settings.host, settings.port) == (
        "sqlite:///ride_pool.db", 720, "demo", "127.0.0.1", 8000)
    assert settings.data_dir.name == "data"
    secret_file = clean_environment / "ride_pool.db.secret"
    assert settings.secret_key == secret_file.read_text().strip() and len(settings.secret_key) >= 32
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert Settings().secret_key == settings.secret_key  # generated once, then read


def test_settings_from_environment(clean_environment, monkeypatch):
    monkeypatch.setenv("RIDE_POOL_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    monkeypatch.setenv("RIDE_POOL_PORT", "9000")
    monkeypatch.setenv("RIDE_POOL_DATA_DIR", str(clean_environment))
    settings = get_settings()
    assert settings.port == 9000 and settings.data_dir == clean_environment
    assert get_settings() is settings
    home_secret = clean_environment / "home" / ".ride_pool_secret"
    assert settings.secret_key == home_secret.read_text().strip()
    monkeypatch.setenv("RIDE_POOL_SECRET_KEY", KEY)
    get_settings.cache_clear()
    assert get_settings().secret_key == KEY


def test_secret_key_file_location(tmp_path):
    assert secret_key_file(f"sqlite:///{tmp_path}/x/service.db") == tmp_path / "x" / "service.db.secret"
    assert secret_key_file("sqlite://").name == ".ride_pool_secret"
    assert secret_key_file("postgresql://u@h/db").name == ".ride_pool_secret"
    key = read_or_create_secret(tmp_path / "deep" / "key")
    assert read_or_create_secret(tmp_path / "deep" / "key") == key
