"""Shared request dependencies: the running service, the caller's identity and role checks."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from starlette.concurrency import run_in_threadpool

from ride_pool.api import security
from ride_pool.api.service import Service

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


@dataclass(frozen=True)
class Caller:
    """Who is calling, as the database says now (not as the token said when it was issued)."""

    user_id: int
    role: str
    #: the account's e-mail address is confirmed, or an operator confirmed it (unconfirmed
    #: accounts may hold fewer bookings, see the dispatcher's admission rules)
    confirmed: bool = True


async def get_service(request: Request) -> Service:
    # async (like every dependency here): a plain ``def`` dependency costs a threadpool round trip
    return request.app.state.service


def _unauthorised(message: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail={"code": "not_authenticated", "message": message},
                         headers={"WWW-Authenticate": "Bearer"})


async def current_caller(request: Request, token: str | None = Depends(oauth2),
                         service: Service = Depends(get_service)) -> Caller:
    """The logged-in user from the bearer token (or ``?access_token=`` for event streams).

    The role comes from the signed token; a token seen before is not decoded again until it expires
    (:meth:`Service.caller_of_token`), and the account's existence is checked in the database only
    the first time (accounts are never deleted)."""
    token = token or request.query_params.get("access_token")
    if not token:
        raise _unauthorised("log in first: send 'Authorization: Bearer <token>' from POST /api/v1/auth/token")
    try:
        user_id, role = service.callers.caller_of_token(token)
    except security.InvalidToken as exc:
        raise _unauthorised(f"{exc}; log in again") from None
    caller = Caller(user_id=user_id, role=role)
    if not service.callers.user_known(user_id) and not await run_in_threadpool(service.callers.user_exists, user_id):
        raise _unauthorised("the account of this token no longer exists; log in again")
    request.state.caller = caller      # who made the request, for the audit log (api/audit.py)
    return caller


def require(*roles: str):
    async def check(caller: Caller = Depends(current_caller)) -> Caller:
        if caller.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail={
                "code": "forbidden", "message": f"this needs the {' or '.join(roles)} role; you are a {caller.role}"})
        return caller
    return check


rider_or_operator = require("rider", "operator")
operator_only = require("operator")
driver_only = require("driver", "operator")
