"""Shared request dependencies: the running service, the caller's identity and role checks."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from starlette.concurrency import run_in_threadpool

from ride_pool.api import security
from ride_pool.api.service import Service
from ride_pool.messages import Message, msg

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


@dataclass(frozen=True)
class Caller:
    """Who is calling, as the database says now (not as the token said when it was issued)."""

    user_id: int
    role: str
    #: the account's e-mail address is confirmed, or an operator confirmed it (unconfirmed
    #: accounts may hold fewer bookings, see the dispatcher's admission rules)
    confirmed: bool = True
    #: the ``jti`` of the login (bearer token) the request came with; None for a stream ticket
    token_jti: str | None = None


async def get_service(request: Request) -> Service:
    # async (like every dependency here): a plain ``def`` dependency costs a threadpool round trip
    return request.app.state.service


def _unauthorised(message: Message, code: str = "not_authenticated") -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail={"code": code, "message": message},
                         headers={"WWW-Authenticate": "Bearer"})


def _caller(state, token_jti: str | None = None) -> Caller:
    return Caller(user_id=state.user_id, role=state.role, confirmed=state.confirmed, token_jti=token_jti)


async def current_caller(request: Request, token: str | None = Depends(oauth2),
                         service: Service = Depends(get_service)) -> Caller:
    """The logged-in user from the bearer token, with the role and state the account has now.

    The token must be of this deployment, not ended (logging out, token version) and its account
    neither disabled nor deleted (:class:`~ride_pool.api.callers.Callers`; the database is read
    only when the caller's memory of the account is older than a few seconds)."""
    if not token:
        raise _unauthorised(msg("log_in_first"))
    callers = service.callers
    try:
        state = callers.cached(token)
        if state is None:
            state = await run_in_threadpool(callers.check, token)
    except security.InvalidToken as exc:
        message = exc.message if "log in" in str(exc) else msg("log_in_again", reason=exc.message)
        raise _unauthorised(message, exc.code) from None
    caller = _caller(state, callers.claims(token).jti)
    request.state.caller = caller      # who made the request, for the audit log (api/audit.py)
    return caller


async def stream_caller(request: Request, token: str | None = Depends(oauth2),
                        service: Service = Depends(get_service)) -> Caller:
    """The caller of an event stream: a ``?ticket=`` from ``POST <stream path>/ticket`` (browsers'
    EventSource cannot send headers), or else the bearer token as for every other request."""
    ticket = request.query_params.get("ticket")
    if ticket is None:
        return await current_caller(request, token, service)
    try:
        state = await run_in_threadpool(service.callers.check_ticket, ticket, request.url.path)
    except security.InvalidToken as exc:
        raise _unauthorised(exc.message, exc.code) from None
    return _caller(state)


def require(*roles: str, source=current_caller):
    """A dependency: the caller (from ``source``) when their account has one of ``roles``."""
    async def check(caller: Caller = Depends(source)) -> Caller:
        if caller.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail={
                "code": "forbidden", "message": msg("role_needed", roles=" / ".join(roles), role=caller.role)})
        return caller
    return check


rider_or_operator = require("rider", "operator")
operator_only = require("operator")
driver_only = require("driver", "operator")
