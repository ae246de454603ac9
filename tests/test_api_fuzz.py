"""Schema-driven fuzzing of the whole HTTP API with schemathesis (in-process, no server).

The app runs on a fresh SQLite database seeded with the demo (stops, vehicles with shifts,
accounts). Every operation of the OpenAPI schema gets generated requests, sent with the bearer
token of a role that may call it (operator for ``/ops``, driver for ``/driver``, rider for the
rest), so the requests get past authentication into the handlers. Each answer must not be a server
error, and when it is a success it must match the documented response schema (error bodies are not
checked against the schema: see :func:`success_schema_conformance`).

Server-sent-event streams (``.../events``) are skipped: they never end. The number of examples per
operation is limited (``FUZZ_EXAMPLES``, default 25) so that the module runs in about a minute.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

pytestmark = pytest.mark.database

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
SKIP_PATHS = r"/events$"
_calls: Counter = Counter()


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    from fastapi.testclient import TestClient

    from ride_pool.api.app import create_app
    from ride_pool.demo import DRIVER_PASSWORD, OPERATOR, RIDER, seed_demo
    from ride_pool.settings import Settings
    from routing.sources import open_network

    path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    app = create_app(Settings(database_url=f"sqlite:///{path}", secret_key="fuzz-" + "k" * 40),
                     network=open_network("demo"), background=False)
    app.state.service.start()
    seed_demo(app.state.service, vehicles=3)
    with TestClient(app, headers={"Accept-Language": "en"}) as client:
        def token(email, password):
            r = client.post("/api/v1/auth/token", data={"username": email, "password": password})
            assert r.status_code == 200, r.text
            return {"Authorization": "Bearer " + r.json()["access_token"]}

        app.state.fuzz_headers = {"operator": token(*OPERATOR), "rider": token(*RIDER),
                                  "driver": token("driver1@demo.local", DRIVER_PASSWORD)}
    yield app
    app.state.service.stop()
    if _calls:
        print("\nfuzzed requests by operation and status:")
        for (op, status), n in sorted(_calls.items()):
            print(f"  {n:4d}  {status}  {op}")
        print(f"  total {sum(_calls.values())}")


@pytest.fixture(scope="module")
def api_schema(fuzz_app):
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    return schema.exclude(path_regex=SKIP_PATHS)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(autouse=True)
def _schemathesis_pytest9_node_id(request):
    """schemathesis' lazy schemas read ``request.node._nodeid``, which pytest 9 no longer has."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


def success_schema_conformance(ctx, response, case):
    """A success answer matches its documented schema. (Error answers are not checked: every error
    is ``{"detail": {"code", "message"}}`` while the schema still documents FastAPI's default
    ``HTTPValidationError`` for 422.)"""
    if 200 <= response.status_code < 300:
        return response_schema_conformance(ctx, response, case)
    return None


def role_for(path: str) -> str:
    if path.startswith("/api/v1/ops"):
        return "operator"
    if path.startswith("/api/v1/driver"):
        return "driver"
    return "rider"


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_answers_without_server_errors(case, fuzz_app):
    headers = dict(fuzz_app.state.fuzz_headers[role_for(case.path)])
    if case.headers and "authorization" in {k.lower() for k in case.headers}:
        headers = {}      # the generated case tries its own credentials
    response = case.call_and_validate(headers=headers, checks=[not_a_server_error, success_schema_conformance])
    _calls[(f"{case.method} {case.path}", response.status_code)] += 1
