"""Every error the API answers with: ``{"detail": {"code": ..., "message": ...}}`` and a 4xx status."""

from __future__ import annotations

import logging

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ride_pool.db.errors import DuplicateEmail, DuplicateVehicleLabel, ShiftOverlap, StopImportError, StoreError
from ride_pool.db.errors import NotFound as RowNotFound
from ride_pool.dispatch.errors import DispatchError
from ride_pool.dispatch.rules import RulesError
from ride_pool.messages import Message, current_language, language_of, msg, render, scope_language
from ride_pool.text import InvalidName

log = logging.getLogger(__name__)

#: codes of the plain HTTP errors the framework raises itself (unknown path, wrong method, ...)
_HTTP_CODES = {400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 413: "too_large",
               415: "unsupported_media_type", 422: "invalid_request", 429: "too_many_requests"}


def problem(status: int, code: str, message: Message | str, lang: str | None = None, **extra) -> JSONResponse:
    """The answer ``{"detail": {"code", "message", ...extra}}``, the message in ``lang`` (default:
    the request's language)."""
    return JSONResponse(status_code=status, content={"detail": {"code": code, "message": render(message, lang),
                                                                **extra}})


def api_error(status: int, code: str, message: Message, *, headers: dict | None = None, **extra) -> HTTPException:
    """An ``HTTPException`` whose message is rendered in the client's language by the handler."""
    return HTTPException(status, detail={"code": code, "message": message, **extra}, headers=headers)


def _lang(request: Request) -> str:
    return language_of(request.headers.get("accept-language"))


class LanguageMiddleware:
    """Sets :data:`ride_pool.messages.current_language` from the request's ``Accept-Language``
    (German unless English is preferred), for messages rendered outside the error handlers
    (a quote's reasons). Pure ASGI: no extra task, the context reaches the handlers."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            token = current_language.set(scope_language(scope))
            try:
                await self.app(scope, receive, send)
            finally:
                current_language.reset(token)
            return
        await self.app(scope, receive, send)


#: pydantic's error types -> catalogue keys (the rest: v_other with pydantic's English text)
_VALIDATION = {"missing": "v_missing", "extra_forbidden": "v_extra_forbidden", "int_parsing": "v_int",
               "int_type": "v_int", "int_from_float": "v_int", "float_parsing": "v_float", "float_type": "v_float",
               "bool_parsing": "v_bool", "bool_type": "v_bool", "string_type": "v_string",
               "string_too_short": "v_too_short", "string_too_long": "v_too_long", "too_short": "v_too_short",
               "too_long": "v_too_long", "greater_than_equal": "v_greater_equal", "less_than_equal": "v_less_equal",
               "greater_than": "v_greater", "less_than": "v_less", "string_pattern_mismatch": "v_pattern",
               "datetime_parsing": "v_datetime", "datetime_type": "v_datetime", "datetime_from_date_parsing":
               "v_datetime", "enum": "v_enum", "literal_error": "v_enum"}


def _validation_text(e: dict, lang: str) -> str:
    ctx = e.get("ctx") or {}
    error = ctx.get("error")
    if isinstance(error, InvalidName) and isinstance(getattr(error, "message", None), Message):
        return error.message.render(lang)
    if isinstance(getattr(error, "message", None), Message):
        return error.message.render(lang)
    text = str(e.get("msg", "invalid")).removeprefix("Value error, ")
    key = _VALIDATION.get(e.get("type", ""))
    if key is None:
        if lang == "en":
            return text
        return msg("v_other", detail=text).render(lang)
    params = {k: v for k, v in ctx.items() if isinstance(v, (str, int, float))}
    return msg(key, **params).render(lang)


def _field(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "request"


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        """Errors raised with ``HTTPException``: a dict detail is passed on as it is; the framework's
        own plain-text details (unknown path, wrong method) get a code and a clearer message."""
        headers = getattr(exc, "headers", None)
        lang = _lang(request)
        if isinstance(exc.detail, dict):
            detail = {k: (render(v, lang) if isinstance(v, Message) else v) for k, v in exc.detail.items()}
            return JSONResponse(status_code=exc.status_code, content={"detail": detail}, headers=headers)
        code = _HTTP_CODES.get(exc.status_code, "error")
        message = msg(code)
        if exc.status_code == 404:
            message = msg("no_route", method=request.method, path=request.url.path)
        elif exc.status_code == 405:
            message = msg("wrong_method", method=request.method, path=request.url.path)
        return JSONResponse(status_code=exc.status_code, content={"detail": {
            "code": code, "message": render(message, lang)}}, headers=headers)

    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError):
        """A value the database refuses (a number too large for its column, a NUL character)."""
        log.warning("database refused a value in %s %s: %s", request.method, request.url.path, exc.orig)
        return problem(422, "invalid_request", msg("value_not_storable"), _lang(request))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.exception("unexpected error in %s %s", request.method, request.url.path)
        return problem(500, "internal_error", msg("internal_error"), _lang(request))

    @app.exception_handler(RequestValidationError)
    async def validation(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        lang = _lang(request)
        lines = []
        for e in errors[:5]:
            if e.get("type") == "json_invalid":
                detail = str(e.get("ctx", {}).get("error", e.get("msg", "")))
                lines.append(msg("invalid_json", detail=detail).render(lang))
            else:
                lines.append(f"{_field(e.get('loc', ()))}: {_validation_text(e, lang)}")
        # names refused by the shared name rules (ride_pool.text) have their own code
        names_only = all(isinstance(e.get("ctx", {}).get("error"), InvalidName) for e in errors)
        return JSONResponse(status_code=422, content={"detail": {
            "code": "invalid_name" if errors and names_only else "invalid_request", "message": "; ".join(lines),
            "errors": [{"field": _field(e.get("loc", ())), "message": _validation_text(e, lang)} for e in errors]}})

    @app.exception_handler(DispatchError)
    async def dispatch_error(request: Request, exc: DispatchError):
        """The dispatcher's refusals carry their own status and code (a refused booking also the
        booking that took the offer)."""
        booking = getattr(exc, "booking", None)
        extra = {"booking_id": booking.booking_id} if booking is not None else {}
        return problem(exc.status, exc.code, exc.message, _lang(request), **{**getattr(exc, "extra", {}), **extra})

    @app.exception_handler(RulesError)
    async def rules_error(request: Request, exc: RulesError):
        return problem(422, "invalid_rules", exc.message, _lang(request))

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError):
        message = getattr(exc, "message", None) or str(exc)
        lang = _lang(request)
        if isinstance(exc, RowNotFound):
            return problem(404, "not_found", message, lang)
        if isinstance(exc, (DuplicateEmail, DuplicateVehicleLabel, ShiftOverlap)):
            return problem(409, "conflict", message, lang)
        if isinstance(exc, StopImportError):
            return problem(422, "invalid_stop_file", message, lang)
        return problem(409, "conflict", message, lang)
