"""Secrets stay out of URLs: ``?access_token=`` is refused, and the access log leaves query strings out.

URLs end up in access logs, proxy logs and browser histories. Bearer tokens therefore only
travel in the ``Authorization`` header; event streams, which browsers open without headers, take a
short-lived single-use ``?ticket=`` (see :mod:`ride_pool.api.live`). Query strings can still carry
such tickets or personal data (stop searches), so the access log shows ``/path?…`` instead.
"""

from __future__ import annotations

import copy
import logging
from urllib.parse import parse_qsl

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from ride_pool.messages import msg, scope_language

#: what replaces a query string in the access log
REDACTED = "…"


class RefuseTokenInUrl:
    """ASGI middleware: a request with ``access_token`` in its query string is answered 400
    ``token_in_url`` (whatever the path), before any route sees it."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # the raw bytes first (cheap); a name written with escapes (access%5Ftoken) is decoded too
        raw = scope.get("query_string", b"") if scope["type"] == "http" else b""
        if b"access_token" in raw or b"%" in raw:
            query = raw.decode("latin-1")
            if any(name == "access_token" for name, _ in parse_qsl(query, keep_blank_values=True)):
                response = JSONResponse(status_code=400, content={"detail": {
                    "code": "token_in_url",
                    "message": msg("token_in_url").render(scope_language(scope))}})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def redact_query(target: str) -> str:
    """``target`` (a request's path and query) without the query: ``/x?ticket=abc`` -> ``/x?…``."""
    path, question, _ = target.partition("?")
    return f"{path}?{REDACTED}" if question else path


class RedactQueryString(logging.Filter):
    """A filter for uvicorn's access logger: the request's query string is left out of the line.

    uvicorn logs ``'%s - "%s %s HTTP/%s" %d'`` with (client, method, path with query, HTTP
    version, status); the third argument loses its query."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], redact_query(args[2]), *args[3:])
        return True


def uvicorn_log_config() -> dict:
    """uvicorn's logging configuration with :class:`RedactQueryString` on the access log (pass it
    as ``log_config`` to ``uvicorn.run``/``uvicorn.Config``)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_query"] = {"()": f"{__name__}.RedactQueryString"}
    # on the logger, not a handler: every handler of the access log gets the redacted line
    config["loggers"]["uvicorn.access"].setdefault("filters", []).append("redact_query")
    return config
