"""HTTP hardening: a request-body limit and strict security headers on every answer.

Both are pure ASGI middlewares (no buffering, no ``BaseHTTPMiddleware``), so they see every
request, including event streams and static files:

* :class:`BodyLimit` counts the request body as it streams in (with or without Content-Length)
  and answers 413 ``too_large`` as soon as it passes the limit; a Content-Length above the limit
  is refused before a byte of the body is read. Stop-file uploads have a larger limit.
* :class:`SecurityHeaders` adds a Content-Security-Policy (scripts and styles only from this
  server, no inline scripts, no framing), ``X-Frame-Options: DENY``,
  ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: same-origin`` to every answer.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ride_pool.messages import Message as MessageText
from ride_pool.messages import msg, scope_language

#: the path whose bodies are stop files (``POST /api/v1/ops/stops/import``), with their own limit
STOP_UPLOAD_PATH = "/api/v1/ops/stops/import"


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:g} MB"


class BodyTooLarge(HTTPException):
    """A request body above its limit: 413 ``too_large``. An ``HTTPException`` so that FastAPI
    passes it on unchanged when it is raised while a route reads the body."""

    def __init__(self, limit: int):
        super().__init__(413, detail={
            "code": "too_large", "limit_bytes": limit,
            "message": msg("too_large_body", size=_megabytes(limit), limit=limit)})


class BodyLimit:
    """Refuse request bodies above ``limit`` bytes (``limits_by_path`` overrides it for exact
    paths) with 413, counting bytes as they arrive."""

    def __init__(self, app: ASGIApp, limit: int, limits_by_path: dict[str, int] | None = None):
        self.app = app
        self.limit = limit
        self.limits_by_path = limits_by_path or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits_by_path.get(scope["path"].rstrip("/") or "/", self.limit)
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            # refused before the body is read; the server closes the connection afterwards
            await _too_large(limit, scope_language(scope))(scope, receive, send)
            return

        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            # raised where no exception handler turned it into an answer (e.g. in a middleware)
            if response_started:
                raise
            await _too_large(limit, scope_language(scope))(scope, receive, send)


def _too_large(limit: int, lang: str) -> JSONResponse:
    error = BodyTooLarge(limit)
    detail = {k: (v.render(lang) if isinstance(v, MessageText) else v) for k, v in error.detail.items()}
    return JSONResponse({"detail": detail}, status_code=413, headers={"Connection": "close"})


def origin_of(url: str | None) -> str | None:
    """``scheme://host[:port]`` of ``url`` (a tile URL template), None if it has none."""
    if not url:
        return None
    parts = urlsplit(url.replace("{z}", "0").replace("{x}", "0").replace("{y}", "0").replace("{s}", "a"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(tile_url: str | None = None) -> str:
    """The CSP of every answer: everything from this server only, images also as ``data:`` URLs
    and from the map tile server (if one is configured), no inline scripts or styles, no
    framing. ``worker-src`` is named although ``default-src`` covers it: the driver page's service
    worker (``/driver-sw.js``) comes from this server only."""
    images = " ".join(filter(None, ["'self'", "data:", origin_of(tile_url)]))
    return "; ".join([
        "default-src 'self'", "script-src 'self'", "style-src 'self'", f"img-src {images}",
        "connect-src 'self'", "font-src 'self'", "worker-src 'self'", "manifest-src 'self'", "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'self'", "form-action 'self'"])


class SecurityHeaders:
    """Add the security headers to every HTTP answer (a route's own headers are kept)."""

    def __init__(self, app: ASGIApp, tile_url: str | None = None):
        self.app = app
        self.headers = [(b"content-security-policy", content_security_policy(tile_url).encode()),
                        (b"x-frame-options", b"DENY"), (b"x-content-type-options", b"nosniff"),
                        (b"referrer-policy", b"same-origin")]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (name, value) for name, value in self.headers if name not in present]
            await send(message)

        await self.app(scope, receive, send_with_headers)
