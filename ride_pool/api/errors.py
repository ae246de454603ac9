"""Every error the API answers with: ``{"detail": {"code": ..., "message": ...}}`` and a 4xx status."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ride_pool.db.errors import DuplicateEmail, DuplicateVehicleLabel, ShiftOverlap, StopImportError, StoreError
from ride_pool.db.errors import NotFound as RowNotFound
from ride_pool.dispatch.errors import DispatchError
from ride_pool.dispatch.rules import RulesError
from ride_pool.text import InvalidName

log = logging.getLogger(__name__)

#: codes of the plain HTTP errors the framework raises itself (unknown path, wrong method, ...)
_HTTP_CODES = {400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 413: "too_large",
               415: "unsupported_media_type", 422: "invalid_request", 429: "too_many_requests"}


def problem(status: int, code: str, message: str, **extra) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": {"code": code, "message": message, **extra}})


def _field(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "request"


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        """Errors raised with ``HTTPException``: a dict detail is passed on as it is; the framework's
        own plain-text details (unknown path, wrong method) get a code and a clearer message."""
        headers = getattr(exc, "headers", None)
        if isinstance(exc.detail, dict):
            return JSONResponse(status_code=exc.status_code, content={"detail": exc.detail}, headers=headers)
        code = _HTTP_CODES.get(exc.status_code, "error")
        message = str(exc.detail or "")
        if exc.status_code == 404:
            message = f"there is no {request.method} {request.url.path}; see /docs for the API"
        elif exc.status_code == 405:
            message = f"{request.url.path} does not accept {request.method}; see /docs for the API"
        return JSONResponse(status_code=exc.status_code, content={"detail": {"code": code, "message": message}},
                            headers=headers)

    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError):
        """A value the database refuses (a number too large for its column, a NUL character)."""
        log.warning("database refused a value in %s %s: %s", request.method, request.url.path, exc.orig)
        return problem(422, "invalid_request", "a value in the request cannot be stored (a number too large "
                       "or a text with control characters); check the values and send the request again")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.exception("unexpected error in %s %s", request.method, request.url.path)
        return problem(500, "internal_error", "the server failed to handle this request (the error is logged); "
                       "try again, and tell the operator if it keeps failing")

    @app.exception_handler(RequestValidationError)
    async def validation(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        lines = []
        for e in errors[:5]:
            msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
            if e.get("type") == "json_invalid":
                lines.append("the request body is not valid JSON: " + str(e.get("ctx", {}).get("error", msg)))
            else:
                lines.append(f"{_field(e.get('loc', ()))}: {msg}")
        # names refused by the shared name rules (ride_pool.text) have their own code
        names_only = all(isinstance(e.get("ctx", {}).get("error"), InvalidName) for e in errors)
        return JSONResponse(status_code=422, content={"detail": {
            "code": "invalid_name" if errors and names_only else "invalid_request", "message": "; ".join(lines),
            "errors": [{"field": _field(e.get("loc", ())), "message": str(e.get("msg", ""))} for e in errors]}})

    @app.exception_handler(DispatchError)
    async def dispatch_error(request: Request, exc: DispatchError):
        """The dispatcher's refusals carry their own status and code (a refused booking also the
        booking that took the offer)."""
        booking = getattr(exc, "booking", None)
        extra = {"booking_id": booking.booking_id} if booking is not None else {}
        return problem(exc.status, exc.code, str(exc), **{**getattr(exc, "extra", {}), **extra})

    @app.exception_handler(RulesError)
    async def rules_error(request: Request, exc: RulesError):
        return problem(422, "invalid_rules", str(exc))

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError):
        if isinstance(exc, RowNotFound):
            return problem(404, "not_found", str(exc))
        if isinstance(exc, (DuplicateEmail, DuplicateVehicleLabel, ShiftOverlap)):
            return problem(409, "conflict", str(exc))
        if isinstance(exc, StopImportError):
            return problem(422, "invalid_stop_file", str(exc))
        return problem(409, "conflict", str(exc))
