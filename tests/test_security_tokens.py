"""Issue 13, accounts and tokens: one key per deployment (1), revocable tokens (8), no tokens in
URLs (6), drivers see only their own bookings' streams (14), short secret keys refused (17).

Every test reproduces what the issue observed on main and shows it no longer holds."""

from __future__ import annotations

import logging
import shutil
import threading
import time
from types import SimpleNamespace

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, update
from typer.testing import CliRunner

from api_support import *  # noqa: F401,F403 - fixtures api, demo_api, live_api, clock and helpers
from api_support import OPERATOR, RIDER, SECRET, Fleet, assert_problem, make_app
from ride_pool.api import security
from ride_pool.api.security import InvalidToken
from ride_pool.db.accounts import deployment_identity
from ride_pool.db.engine import make_engine, read_session, write_session
from ride_pool.db.models import Deployment, RevokedToken, User
from ride_pool.db.repository import Repository
from ride_pool.settings import Settings, get_settings


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _login(api, email: str, password: str) -> str:
    """A new token (a new login) - ``api.token`` hands out the same one per account."""
    r = api.post("/api/v1/auth/token", data={"username": email, "password": password})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def _login_with(client, email: str, password: str) -> str:
    r = client.post("/api/v1/auth/token", data={"username": email, "password": password})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def _row(user_id: int, role: str, token_version: int = 0) -> SimpleNamespace:
    """What :meth:`Tokens.issue` needs of a ``users`` row."""
    return SimpleNamespace(id=user_id, role=role, token_version=token_version)


def _user_id(api, email: str) -> int:
    with read_session(api.service.engine) as s:
        return s.scalar(select(User.id).where(User.email == email))


class TokenClock:
    """The service's token clock, moved by the test (wall time plus an offset)."""

    def __init__(self):
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def token_clock(api) -> TokenClock:
    clock = TokenClock()
    api.service.tokens.clock = clock
    return clock


# --- 1. one key per deployment --------------------------------------------------------------------

@pytest.fixture
def second_deployment(sqlite_template, tmp_path, demo_network, clock):
    """Another deployment (its own fresh database) configured with the same RIDE_POOL_SECRET_KEY."""
    path = tmp_path / "second" / "ride_pool.db"
    path.parent.mkdir()
    shutil.copyfile(sqlite_template, path)
    with TestClient(make_app(f"sqlite:///{path}", demo_network, clock), headers={"Accept-Language": "en"}) as client:
        yield client


def test_token_of_another_deployment_is_refused_even_with_the_same_secret_key(api, second_deployment):
    operator = api.add_user(*OPERATOR, role="operator")
    assert api.get("/api/v1/ops/users", headers=operator).status_code == 200
    # the second deployment has an operator with the same id (1) and e-mail address
    other = second_deployment.app.state.service
    Repository(other.engine).create_user(OPERATOR[0], security.hash_password(OPERATOR[1]), "Other", "operator")
    other_operator = _login_with(second_deployment, *OPERATOR)
    assert api.service.settings.secret_key == other.settings.secret_key == SECRET
    assert api.service.tokens.issuer != other.tokens.issuer
    assert api.service.tokens.read(operator["Authorization"].split()[1]).user_id == 1
    assert other.tokens.read(other_operator).user_id == 1
    for path in ("/api/v1/ops/users", "/api/v1/auth/me"):
        assert_problem(api.get(path, headers=_bearer(other_operator)), 401, "not_authenticated")
        r = second_deployment.get(path, headers=operator)
        assert_problem(r, 401, "not_authenticated")
        assert "another deployment" in r.json()["detail"]["message"]
    r = second_deployment.post("/api/v1/ops/users", headers=operator, json={
        "email": "intruder@demo.local", "password": "intruder-123", "name": "Intruder", "role": "operator"})
    assert_problem(r, 401, "not_authenticated")


def test_without_a_configured_key_each_deployment_signs_with_its_own(database_url, sqlite_template, tmp_path,
                                                                     demo_network, clock):
    second = tmp_path / "second.db"
    shutil.copyfile(sqlite_template, second)
    apps = [create_app_without_key(url, demo_network, clock) for url in (database_url, f"sqlite:///{second}")]
    english = {"Accept-Language": "en"}
    with TestClient(apps[0], headers=english) as first, TestClient(apps[1], headers=english) as other:
        a, b = first.app.state.service, other.app.state.service
        assert a.settings.secret_key is None and a.tokens.secret_key != b.tokens.secret_key
        assert len(a.tokens.secret_key) >= 32
        with read_session(a.engine) as s:
            row = s.get(Deployment, 1)
        assert (row.issuer, row.secret_key) == (a.tokens.issuer, a.tokens.secret_key)
        assert row.issuer.startswith("ride_pool:")
        token = a.tokens.issue(_row(1, "operator"))
        with pytest.raises(InvalidToken, match="signature"):
            b.tokens.read(token)
    # a restart keeps the identity: tokens stay valid
    with TestClient(create_app_without_key(database_url, demo_network, clock),
                    headers={"Accept-Language": "en"}) as again:
        assert again.app.state.service.tokens.read(token).user_id == 1


def create_app_without_key(url, network, clock):
    from ride_pool.api.app import create_app

    return create_app(Settings(database_url=url, secret_key=None), network=network, clock=clock, background=False)


def test_two_processes_starting_at_once_make_one_deployment_row(database_url):
    engines = [make_engine(database_url) for _ in range(4)]
    barrier = threading.Barrier(len(engines))
    identities: list = [None] * len(engines)

    def start(i: int) -> None:
        barrier.wait(timeout=10)
        identities[i] = deployment_identity(engines[i], now=1_800_000_000 + i)

    threads = [threading.Thread(target=start, args=(i,)) for i in range(len(engines))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert all(identities) and len(set(identities)) == 1, identities
    with read_session(engines[0]) as s:
        assert s.scalar(select(func.count()).select_from(Deployment)) == 1
    for engine in engines:
        engine.dispose()


def test_role_comes_from_the_account_not_from_the_token(demo_api):
    rider_id = _user_id(demo_api, RIDER[0])
    # a token that says "operator", signed with the right key for the right deployment
    tokens = demo_api.service.tokens
    forged = security.create_access_token(rider_id, "operator", tokens.secret_key, issuer=tokens.issuer,
                                          version=0, minutes=10)
    assert tokens.read(forged).role == "operator"
    assert_problem(demo_api.get("/api/v1/ops/users", headers=_bearer(forged)), 403, "forbidden")
    assert demo_api.get("/api/v1/auth/me", headers=_bearer(forged)).json()["role"] == "rider"
    # a demoted operator loses the rights with the old token
    operator = demo_api.operator
    assert demo_api.get("/api/v1/ops/users", headers=operator).status_code == 200
    operator_id = _user_id(demo_api, OPERATOR[0])
    with write_session(demo_api.service.engine) as s:
        s.execute(update(User).where(User.id == operator_id).values(role="rider"))
    demo_api.service.callers.forget(operator_id)
    assert_problem(demo_api.get("/api/v1/ops/users", headers=operator), 403, "forbidden")


def test_account_changes_made_elsewhere_count_after_a_few_seconds(demo_api, token_clock):
    """Another process changes an account: the cache of account state lives a few seconds."""
    rider = demo_api.headers(*RIDER)
    rider_id = _user_id(demo_api, RIDER[0])
    assert demo_api.get("/api/v1/bookings", headers=rider).status_code == 200
    with write_session(demo_api.service.engine) as s:    # not through this process: no forget()
        s.execute(update(User).where(User.id == rider_id).values(token_version=User.token_version + 1))
    assert demo_api.get("/api/v1/bookings", headers=rider).status_code == 200     # cached
    token_clock.offset += 6
    assert_problem(demo_api.get("/api/v1/bookings", headers=rider), 401, "token_revoked")


def test_caller_confirmed_comes_from_the_account(demo_api):
    rider_id = _user_id(demo_api, RIDER[0])
    with write_session(demo_api.service.engine) as s:
        s.execute(update(User).where(User.id == rider_id).values(confirmed=False))
    demo_api.service.callers.forget(rider_id)
    assert demo_api.service.callers.account(rider_id).confirmed is False


# --- 8. revocable tokens --------------------------------------------------------------------------

def test_logout_ends_this_token_only(demo_api, demo_network, clock, database_url):
    first, second = _login(demo_api, *RIDER), _login(demo_api, *RIDER)
    r = demo_api.post("/api/v1/auth/logout", headers=_bearer(first))
    assert r.status_code == 204, r.text
    detail = assert_problem(demo_api.get("/api/v1/bookings", headers=_bearer(first)), 401, "token_revoked")
    assert "log in" in detail["message"]
    assert_problem(demo_api.post("/api/v1/auth/logout", headers=_bearer(first)), 401, "token_revoked")
    assert demo_api.get("/api/v1/bookings", headers=_bearer(second)).status_code == 200
    claims = demo_api.service.tokens.read(first)
    with read_session(demo_api.service.engine) as s:
        assert s.get(RevokedToken, claims.jti).expires_at == claims.expires_at
    # another process on the same database (or a restart) refuses it too
    with TestClient(make_app(database_url, demo_network, clock), headers={"Accept-Language": "en"}) as again:
        assert_problem(again.get("/api/v1/bookings", headers=_bearer(first)), 401, "token_revoked")
        assert again.get("/api/v1/bookings", headers=_bearer(second)).status_code == 200


def test_ended_tokens_are_pruned_after_their_expiry(demo_api):
    engine = demo_api.service.engine
    now = int(time.time())
    with write_session(engine) as s:
        s.add_all([RevokedToken(jti="long-expired", expires_at=now - 10),
                   RevokedToken(jti="still-valid", expires_at=now + 3600)])
    demo_api.service.callers._last_prune = 0     # noqa: SLF001 - prune with this logout
    assert demo_api.post("/api/v1/auth/logout", headers=_bearer(_login(demo_api, *RIDER))).status_code == 204
    with read_session(engine) as s:
        left = set(s.scalars(select(RevokedToken.jti)))
    assert "long-expired" not in left and "still-valid" in left and len(left) == 2


def test_operator_disables_and_enables_an_account(demo_api):
    operator = demo_api.operator
    rider = demo_api.headers(*RIDER)
    rider_id = _user_id(demo_api, RIDER[0])
    assert demo_api.get("/api/v1/bookings", headers=rider).status_code == 200
    r = demo_api.post(f"/api/v1/ops/users/{rider_id}/disable", headers=operator)
    assert r.status_code == 200 and r.json()["disabled"] is True, r.text
    detail = assert_problem(demo_api.get("/api/v1/bookings", headers=rider), 401, "account_disabled")
    assert "operator" in detail["message"]
    assert_problem(demo_api.post("/api/v1/auth/token", data={"username": RIDER[0], "password": RIDER[1]}),
                   403, "account_disabled")
    # a wrong password does not tell that the account exists and is disabled
    assert_problem(demo_api.post("/api/v1/auth/token", data={"username": RIDER[0], "password": "wrong-one"}),
                   401, "wrong_login")
    r = demo_api.post(f"/api/v1/ops/users/{rider_id}/enable", headers=operator)
    assert r.status_code == 200 and r.json()["disabled"] is False
    # tokens from before the disabling stay ended; a new login works
    assert_problem(demo_api.get("/api/v1/bookings", headers=rider), 401, "token_revoked")
    assert demo_api.get("/api/v1/bookings", headers=_bearer(_login(demo_api, *RIDER))).status_code == 200


def test_disabling_is_for_operators_and_not_of_oneself(demo_api):
    operator = demo_api.operator
    operator_id = _user_id(demo_api, OPERATOR[0])
    assert_problem(demo_api.post(f"/api/v1/ops/users/{operator_id}/disable", headers=operator), 409, "own_account")
    assert_problem(demo_api.post("/api/v1/ops/users/999999/disable", headers=operator), 404, "not_found")
    assert_problem(demo_api.post(f"/api/v1/ops/users/{operator_id}/disable", headers=demo_api.headers(*RIDER)),
                   403, "forbidden")
    assert demo_api.get("/api/v1/ops/users", headers=operator).status_code == 200


def test_raised_token_version_ends_the_accounts_other_logins(demo_api):
    """What a password change does (the registration/login stream raises ``token_version``)."""
    token = _login(demo_api, *RIDER)
    rider_id = _user_id(demo_api, RIDER[0])
    with write_session(demo_api.service.engine) as s:
        s.execute(update(User).where(User.id == rider_id).values(token_version=User.token_version + 1))
    demo_api.service.callers.forget(rider_id)
    assert_problem(demo_api.get("/api/v1/auth/me", headers=_bearer(token)), 401, "token_revoked")
    fresh = _login(demo_api, *RIDER)
    assert demo_api.service.tokens.read(fresh).version == 1
    assert demo_api.get("/api/v1/auth/me", headers=_bearer(fresh)).status_code == 200


def test_removed_account_token_is_refused_and_its_id_never_reused(api):
    old = api.register("gone@example.org", "gone-password-1")
    old_id = _user_id(api, "gone@example.org")
    assert api.get("/api/v1/auth/me", headers=old).status_code == 200
    with write_session(api.service.engine) as s:
        s.execute(delete(User).where(User.id == old_id))
    api.service.callers.forget(old_id)
    detail = assert_problem(api.get("/api/v1/bookings", headers=old), 401, "account_deleted")
    assert "no longer exists" in detail["message"]
    api.register("new@example.org", "new-password-1")
    new_id = _user_id(api, "new@example.org")
    assert new_id > old_id
    assert_problem(api.get("/api/v1/auth/me", headers=old), 401, "account_deleted")
    # an account marked deleted (kept for statistics) is refused the same way, and cannot log in
    marked = _login(api, "new@example.org", "new-password-1")
    with write_session(api.service.engine) as s:
        s.execute(update(User).where(User.id == new_id).values(deleted_at=1))
    api.service.callers.forget(new_id)
    assert_problem(api.get("/api/v1/auth/me", headers=_bearer(marked)), 401, "account_deleted")
    assert_problem(api.post("/api/v1/auth/token", data={"username": "new@example.org", "password": "new-password-1"}),
                   401, "wrong_login")


# --- 6. no tokens in URLs -------------------------------------------------------------------------

def test_access_token_in_the_query_string_is_refused(demo_api):
    token = demo_api.token(*RIDER)
    detail = assert_problem(demo_api.get("/api/v1/auth/me", params={"access_token": token}), 400, "token_in_url")
    assert "Authorization" in detail["message"] and "ticket" in detail["message"]
    # also together with a valid header, and on public paths
    assert_problem(demo_api.get("/api/v1/auth/me", params={"access_token": token}, headers=_bearer(token)),
                   400, "token_in_url")
    assert_problem(demo_api.get("/api/v1/health", params={"x": 1, "access_token": ""}), 400, "token_in_url")
    assert demo_api.get("/api/v1/stops", params={"q": "access_token"}).status_code == 200
    # a name written with escapes is the same name (found from outside: access%5Ftoken got past)
    for escaped in ("access%5Ftoken", "%61ccess_token", "access%5ftoken"):
        assert_problem(demo_api.get(f"/api/v1/auth/me?{escaped}={token}"), 400, "token_in_url")
    assert demo_api.get("/api/v1/stops?q=M%C3%BChle").status_code == 200


@pytest.fixture
def booked(api):
    """A fleet of two vehicles with drivers, and two riders with a booking each."""
    fleet = Fleet(api, seats=4, vehicles=2)
    riders, bookings = [], []
    for i in range(2):
        rider = api.register(f"rider{i}@example.org")
        bookings.append(api.book(rider, api.offer(rider, *fleet.stops)["offer_id"]).json()["booking_id"])
        riders.append(rider)
    return fleet, riders, bookings


def test_stream_ticket_opens_only_its_stream_once_and_expires(api, booked, token_clock):
    fleet, riders, (mine, theirs) = booked
    path = f"/api/v1/bookings/{mine}/events"
    r = api.post(f"{path}/ticket", headers=riders[0])
    assert r.status_code == 200, r.text
    ticket = r.json()
    assert ticket["expires_in"] == 60 and ticket["url"] == f"{path}?ticket={ticket['ticket']}"
    assert_problem(api.post(f"/api/v1/bookings/{theirs}/events/ticket", headers=riders[0]), 404, "not_found")
    # for stream Y, as a bearer token, as a driver's stream ticket: refused
    detail = assert_problem(api.get(f"/api/v1/bookings/{theirs}/events", params={"ticket": ticket["ticket"]}),
                            401, "invalid_ticket")
    assert "another event stream" in detail["message"]
    assert_problem(api.get("/api/v1/driver/events", params={"ticket": ticket["ticket"]}), 401, "invalid_ticket")
    assert_problem(api.get("/api/v1/auth/me", headers=_bearer(ticket["ticket"])), 401, "not_authenticated")
    # after its minute: refused
    token_clock.offset += 61
    detail = assert_problem(api.get(path, params={"ticket": ticket["ticket"]}), 401, "invalid_ticket")
    assert "expired" in detail["message"]
    # it opens one stream only
    token_clock.offset = 0
    fresh = api.post(f"{path}/ticket", headers=riders[0]).json()["ticket"]
    callers = api.service.callers
    assert callers.check_ticket(fresh, path).user_id == _user_id(api, "rider0@example.org")
    with pytest.raises(InvalidToken, match="used already"):
        callers.check_ticket(fresh, path)


def test_a_used_ticket_stays_used_after_a_restart(api, booked):
    """Found from outside: the used tickets were remembered in memory only, so within its minute a
    ticket opened its stream again after a restart (and in a second process)."""
    from ride_pool.api.callers import Callers

    fleet, riders, (mine, _) = booked
    path = f"/api/v1/bookings/{mine}/events"
    ticket = api.post(f"{path}/ticket", headers=riders[0]).json()["ticket"]
    assert api.service.callers.check_ticket(ticket, path).user_id == _user_id(api, "rider0@example.org")
    restarted = Callers(api.service.tokens, api.service.engine)     # the memory of a new process
    with pytest.raises(InvalidToken, match="used already"):
        restarted.check_ticket(ticket, path)


def test_a_ticket_of_a_login_that_ended_is_refused(api, booked):
    """Found from outside: a ticket asked for before logging out still opened its stream."""
    fleet, riders, (mine, _) = booked
    path = f"/api/v1/bookings/{mine}/events"
    token = _login(api, "rider0@example.org", "rider-password")
    ticket = api.post(f"{path}/ticket", headers=_bearer(token)).json()["ticket"]
    other = api.post(f"{path}/ticket", headers=riders[0]).json()["ticket"]     # another login of the rider
    assert api.post("/api/v1/auth/logout", headers=_bearer(token)).status_code == 204
    # checked at the ticket check (an accepted ticket would open a stream that never ends)
    with pytest.raises(InvalidToken, match="logging out") as refused:
        api.service.callers.check_ticket(ticket, path)
    assert refused.value.code == "token_revoked"
    assert api.service.callers.check_ticket(other, path).user_id == _user_id(api, "rider0@example.org")


def test_stream_ticket_of_a_disabled_account_is_refused(api, booked):
    fleet, riders, (mine, _) = booked
    path = f"/api/v1/bookings/{mine}/events"
    ticket = api.post(f"{path}/ticket", headers=riders[0]).json()["ticket"]
    operator = fleet.operator
    rider_id = _user_id(api, "rider0@example.org")
    assert api.post(f"/api/v1/ops/users/{rider_id}/disable", headers=operator).status_code == 200
    assert_problem(api.get(path, params={"ticket": ticket}), 401, "account_disabled")


def test_access_log_has_no_query_string(demo_network, clock, database_url):
    """Served as ``ride-pool serve`` serves it: uvicorn with the service's log configuration."""
    import uvicorn

    from ride_pool.api.url_secrets import uvicorn_log_config

    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    app = make_app(database_url, demo_network, clock)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=uvicorn_log_config(), log_level="info",
                            access_log=True, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    keep = Keep()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline
            time.sleep(0.02)
        logging.getLogger("uvicorn.access").addHandler(keep)
        port = server.servers[0].sockets[0].getsockname()[1]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30, headers={"Accept-Language": "en"}) as client:
            token = app.state.service.tokens.issue(_row(1, "operator"))
            assert client.get("/api/v1/stops", params={"q": "Anna Berg", "ticket": "abc"}).status_code == 200
            assert client.get("/api/v1/health", params={"access_token": token}).status_code == 400
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        logging.getLogger("uvicorn.access").removeHandler(keep)
    lines = [r.getMessage() for r in records]
    assert any('"GET /api/v1/stops?… HTTP/1.1" 200' in line for line in lines), lines
    assert any('"GET /api/v1/health?… HTTP/1.1" 400' in line for line in lines), lines
    assert not any("abc" in line or "Anna" in line or token in line for line in lines), lines


def test_serve_installs_the_query_redaction(monkeypatch):
    import sys

    import uvicorn

    from ride_pool.cli import serve

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(kw))
    interval = sys.getswitchinterval()
    service = SimpleNamespace(settings=Settings(secret_key=None), stop=lambda: None)
    try:
        serve._run(SimpleNamespace(state=SimpleNamespace(service=service), router=SimpleNamespace()),  # noqa: SLF001
                   "127.0.0.1", 8000)
    finally:
        sys.setswitchinterval(interval)
    assert seen["log_config"]["loggers"]["uvicorn.access"]["filters"] == ["redact_query"]
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", "/api/v1/bookings/b/events?ticket=secret", "1.1", 200), None)
    from ride_pool.api.url_secrets import RedactQueryString

    assert RedactQueryString().filter(record) and "secret" not in record.getMessage()
    assert record.getMessage() == '127.0.0.1:5 - "GET /api/v1/bookings/b/events?… HTTP/1.1" 200'


# --- 14. drivers see only the bookings on their shifts ----------------------------------------------

def test_driver_opens_only_the_streams_of_bookings_on_a_shift_they_drive(live_api):
    api = live_api
    fleet = Fleet(api, seats=4, vehicles=2)
    rider = api.register("watched@example.org")
    bid = api.book(rider, api.offer(rider, *fleet.stops)["offer_id"]).json()["booking_id"]
    driver_ids = [_user_id(api, email) for email in fleet.driver_emails]
    on_shift = driver_ids.index(api.service.dispatcher.driver_of_booking(bid))
    own, other = fleet.drivers[on_shift], fleet.drivers[1 - on_shift]
    path = f"/api/v1/bookings/{bid}/events"
    with httpx.Client(base_url=api.url, timeout=10, headers={"Accept-Language": "en"}) as client:
        with client.stream("GET", path, headers=other) as r:
            assert r.status_code == 404, r.status_code
            assert r.read() and r.json()["detail"]["code"] == "not_found"
        assert_problem(client.post(f"{path}/ticket", headers=other), 404, "not_found")
        for allowed in (own, fleet.operator, rider):
            with client.stream("GET", path, headers=allowed) as r:
                assert r.status_code == 200
            ticket = client.post(f"{path}/ticket", headers=allowed).json()
            with client.stream("GET", ticket["url"]) as r:
                assert r.status_code == 200
                assert next(r.iter_lines()) == "retry: 3000"


# --- 17. secret keys under 32 bytes ---------------------------------------------------------------

@pytest.mark.parametrize("command", ["serve", "demo"])
def test_short_secret_key_stops_serve_and_demo(command, monkeypatch, tmp_path):
    from ride_pool.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RIDE_POOL_SECRET_KEY", "secret")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, [command, "--db", str(tmp_path / "x.db"), "--port", "1"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "RIDE_POOL_SECRET_KEY" in lines[0] and "at least 32 bytes" in lines[0], lines
    assert not (tmp_path / "x.db").exists()
