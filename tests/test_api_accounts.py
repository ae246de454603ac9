"""HTTP API: accounts, log-in, bearer tokens, role checks and the error format."""

from __future__ import annotations

import time

import jwt

from api_support import *  # noqa: F401,F403 - fixtures api, demo_api, clock and helpers
from api_support import DRIVER_PASSWORD, OPERATOR, RIDER, SECRET, assert_problem
from ride_pool.db.repository import Repository


def test_register_log_in_and_me(api):
    r = api.post("/api/v1/auth/register", json={"email": "Anna.Berg@Example.org", "password": "sicher-123",
                                                "name": "Anna Berg"})
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "confirmation_sent" and r.json()["email"] == "anna.berg@example.org"

    # an unconfirmed account can log in (the dispatcher limits what it may book)
    r = api.post("/api/v1/auth/token", data={"username": "ANNA.BERG@example.org", "password": "sicher-123"})
    assert r.status_code == 200, r.text
    token = r.json()
    assert token["token_type"] == "bearer" and token["role"] == "rider"
    claims = api.service.tokens.read(token["access_token"])
    assert claims.user_id == token["user_id"] and claims.role == "rider"
    assert claims["iss"] == claims["aud"] == api.service.tokens.issuer and claims.version == 0

    me = api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert me.status_code == 200
    assert me.json() == {"id": token["user_id"], "email": "anna.berg@example.org", "name": "Anna Berg",
                         "role": "rider", "confirmed": False}


def test_register_refuses_bad_input_and_hides_duplicates(api):
    api.register("ben@example.org")
    # an existing address gets the answer a new one gets (see test_security_accounts.py)
    again = api.post("/api/v1/auth/register", json={"email": "BEN@example.org", "password": "password-2",
                                                    "name": "Ben"})
    assert again.status_code == 202 and again.json()["status"] == "confirmation_sent"
    detail = assert_problem(api.post("/api/v1/auth/register", json={"email": "not-an-address", "password": "short",
                                                                    "name": ""}), 422, "invalid_request")
    fields = {e["field"] for e in detail["errors"]}
    assert fields == {"email", "name"}
    assert_problem(api.post("/api/v1/auth/register", json={"email": "c@example.org", "password": "short",
                                                           "name": "C"}), 422, "password_too_short")
    assert_problem(api.post("/api/v1/auth/register", json={"email": "c@example.org", "password": "password-3",
                                                           "name": "C", "role": "operator"}), 422, "invalid_request")
    # self-registration only ever makes riders
    assert [u.role.value for u in Repository(api.service.engine).list_users()] == ["rider"]


def test_wrong_password_and_missing_fields(demo_api):
    assert_problem(demo_api.post("/api/v1/auth/token", data={"username": RIDER[0], "password": "wrong"}),
                   401, "wrong_login")
    assert_problem(demo_api.post("/api/v1/auth/token", data={"username": "nobody@example.org", "password": "x"}),
                   401, "wrong_login")
    assert_problem(demo_api.post("/api/v1/auth/token", data={}), 422, "invalid_request")
    # JSON instead of the OAuth2 form
    assert_problem(demo_api.post("/api/v1/auth/token", json={"username": RIDER[0], "password": RIDER[1]}),
                   422, "invalid_request")


def _token(api, user_id: int, role: str, key: str = SECRET, **changes) -> str:
    """A token as the service would issue it for ``api``'s deployment, with ``changes`` (a claim
    set to None is left out)."""
    now = int(time.time())
    issuer = api.service.tokens.issuer
    claims = {"sub": str(user_id), "role": role, "iss": issuer, "aud": issuer, "jti": "j" * 22, "ver": 0,
              "iat": now, "exp": now + 600} | changes
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, key, algorithm="HS256")


BAD_TOKEN_CASES = ["missing", "garbage", "wrong_key", "expired", "alg_none", "no_jti", "no_version",
                   "other_issuer", "ghost"]


def test_bad_tokens_are_refused_with_401(demo_api):
    rider_id = demo_api.service.tokens.read(demo_api.token(*RIDER)).user_id
    for case in BAD_TOKEN_CASES:
        headers, params, code = {}, {}, "not_authenticated"
        if case == "garbage":
            headers = {"Authorization": "Bearer abc.def.ghi"}
        elif case == "wrong_key":   # forged: an operator token signed with another key
            forged = _token(demo_api, rider_id, "operator", key="another-key-" + "x" * 32)
            headers = {"Authorization": f"Bearer {forged}"}
        elif case == "expired":
            headers = {"Authorization": f"Bearer {_token(demo_api, rider_id, 'rider', iat=1, exp=2)}"}
        elif case == "alg_none":
            forged = jwt.encode({"sub": str(rider_id), "role": "operator", "iat": int(time.time()),
                                 "exp": int(time.time()) + 600}, None, algorithm="none")
            headers = {"Authorization": f"Bearer {forged}"}
        elif case == "no_jti":      # every claim is required
            headers = {"Authorization": f"Bearer {_token(demo_api, rider_id, 'rider', jti=None)}"}
        elif case == "no_version":
            headers = {"Authorization": f"Bearer {_token(demo_api, rider_id, 'rider', ver=None)}"}
        elif case == "other_issuer":    # the right key, another deployment
            other = _token(demo_api, rider_id, "rider", iss="ride_pool:x", aud="ride_pool:x")
            headers = {"Authorization": f"Bearer {other}"}
        elif case == "ghost":   # correctly signed, but the account does not exist
            headers = {"Authorization": f"Bearer {_token(demo_api, 999_999, 'operator')}"}
            code = "account_deleted"
        for method, path in [("get", "/api/v1/bookings"), ("post", "/api/v1/quotes"),
                             ("get", "/api/v1/ops/vehicles"), ("get", "/api/v1/driver/route"),
                             ("get", "/api/v1/auth/me"), ("get", "/api/v1/bookings/abc/events"),
                             ("get", "/api/v1/driver/events")]:
            kw = {"headers": headers, "params": params}
            if method == "post":
                kw["json"] = {"origin": {"stop_id": 1}, "destination": {"stop_id": 2}}
            r = getattr(demo_api.client, method)(path, **kw)
            detail = assert_problem(r, 401, code)
            assert r.headers.get("www-authenticate") == "Bearer", case
            assert "log in" in detail["message"], (case, detail)


def test_token_in_query_parameter_is_refused(demo_api):
    token = demo_api.token(*RIDER)
    for params in ({"access_token": token}, {"access_token": "nonsense"}):
        for path in ("/api/v1/bookings", "/api/v1/stops", "/api/v1/driver/events"):
            assert_problem(demo_api.get(path, params=params), 400, "token_in_url")


OPS_ENDPOINTS = [
    ("get", "/api/v1/ops/vehicles"), ("get", "/api/v1/ops/shifts"), ("get", "/api/v1/ops/kpis"),
    ("get", "/api/v1/ops/live"), ("get", "/api/v1/ops/bookings"), ("get", "/api/v1/ops/service-area"),
    ("get", "/api/v1/ops/users"), ("post", "/api/v1/ops/vehicles"), ("patch", "/api/v1/ops/vehicles/1"),
    ("post", "/api/v1/ops/shifts"), ("post", "/api/v1/ops/shifts/1/end"), ("post", "/api/v1/ops/stops"),
    ("post", "/api/v1/ops/stops/import"), ("put", "/api/v1/ops/service-area"), ("post", "/api/v1/ops/quotes"),
    ("post", "/api/v1/ops/bookings"), ("post", "/api/v1/ops/bookings/abc/cancel"), ("post", "/api/v1/ops/users"),
]


def test_operations_need_the_operator_role(demo_api):
    rider = demo_api.headers(*RIDER)
    driver = demo_api.headers("driver1@demo.local", DRIVER_PASSWORD)
    before = demo_api.snapshot()
    for method, path in OPS_ENDPOINTS:
        for headers, role in ((rider, "rider"), (driver, "driver")):
            kw = {"headers": headers}
            if method in ("post", "put", "patch"):
                kw["json"] = {}
            detail = assert_problem(getattr(demo_api.client, method)(path, **kw), 403, "forbidden")
            assert "operator" in detail["message"] and role in detail["message"], (path, detail)
    assert demo_api.snapshot() == before
    assert demo_api.get("/api/v1/ops/vehicles", headers=demo_api.operator).status_code == 200


def test_driver_endpoints_refuse_riders_and_rider_endpoints_refuse_drivers(demo_api):
    rider = demo_api.headers(*RIDER)
    driver = demo_api.headers("driver1@demo.local", DRIVER_PASSWORD)
    for method, path in [("get", "/api/v1/driver/route"), ("get", "/api/v1/driver/shifts"),
                         ("post", "/api/v1/driver/shift/end"), ("post", "/api/v1/driver/location"),
                         ("post", "/api/v1/driver/bookings/abc/boarded"), ("get", "/api/v1/driver/events")]:
        assert_problem(getattr(demo_api.client, method)(path, headers=rider), 403, "forbidden")
    for method, path in [("get", "/api/v1/bookings"), ("post", "/api/v1/quotes"), ("post", "/api/v1/bookings"),
                         ("get", "/api/v1/bookings/abc"), ("post", "/api/v1/bookings/abc/cancel")]:
        assert_problem(getattr(demo_api.client, method)(path, headers=driver), 403, "forbidden")


def test_ops_vehicles_lists_the_fleet_for_operators(demo_api):
    r = demo_api.get("/api/v1/ops/vehicles", headers=demo_api.operator)
    assert r.status_code == 200
    vehicles = r.json()
    assert len(vehicles) == 8
    assert {"id", "label", "seats", "wheelchair_places", "depot_lat", "depot_lon", "active"} <= set(vehicles[0])
    assert sum(v["wheelchair_places"] for v in vehicles) == 4


def test_unknown_paths_and_methods_answer_in_the_error_format(api):
    detail = assert_problem(api.get("/api/v1/nothing-here"), 404, "not_found")
    assert "/api/v1/nothing-here" in detail["message"]
    detail = assert_problem(api.client.delete("/api/v1/stops"), 405, "method_not_allowed")
    assert "DELETE" in detail["message"]


def test_operator_creates_driver_and_operator_accounts_with_local_addresses(demo_api):
    op = demo_api.operator
    r = demo_api.post("/api/v1/ops/users", headers=op, json={"email": "fahrer9@demo.local", "password": "drive-9999",
                                                             "name": "Fahrer 9", "role": "driver"})
    assert r.status_code == 201, r.text
    assert r.json()["role"] == "driver"
    assert_problem(demo_api.post("/api/v1/ops/users", headers=op, json={
        "email": "FAHRER9@demo.local", "password": "drive-9999", "name": "Again", "role": "driver"}), 409, "conflict")
    assert_problem(demo_api.post("/api/v1/ops/users", headers=op, json={
        "email": "x@demo.local", "password": "drive-9999", "name": "X", "role": "admin"}), 422, "invalid_request")
    drivers = demo_api.get("/api/v1/ops/users", params={"role": "driver"}, headers=op).json()
    assert "fahrer9@demo.local" in {u["email"] for u in drivers} and len(drivers) == 9
    token = demo_api.token("fahrer9@demo.local", "drive-9999")
    assert demo_api.service.tokens.read(token).role == "driver"
    assert_problem(demo_api.get("/api/v1/ops/users", params={"role": "admin"}, headers=op), 422, "invalid_request")


def test_health_and_network(api):
    r = api.get("/api/v1/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok" and r.json()["database"] in ("sqlite", "postgresql")
    geo = api.get("/api/v1/network.geojson").json()
    assert geo["type"] == "FeatureCollection" and geo["features"]
    # compressed for phones when asked, cacheable, and not sent again when unchanged
    raw = api.get("/api/v1/network.geojson", headers={"Accept-Encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip" and raw.json() == geo
    assert int(raw.headers["content-length"]) < len(raw.content) / 4
    plain = api.get("/api/v1/network.geojson", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.json() == geo
    again = api.get("/api/v1/network.geojson", headers={"If-None-Match": raw.headers["etag"]})
    assert again.status_code == 304 and not again.content
    assert OPERATOR  # the demo operator is not there without the seed
    assert api.post("/api/v1/auth/token", data={"username": OPERATOR[0], "password": OPERATOR[1]}).status_code == 401
