"""Shared request dependencies: the running service, the caller's identity and role checks."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer

from ride_pool.api import security
from ride_pool.api.service import Service

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


@dataclass(frozen=True)
class Caller:
    user_id: int
    role: str


def get_service(request: Request) -> Service:
    return request.app.state.service


def _unauthorised(message: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail={"code": "not_authenticated", "message": message},
                         headers={"WWW-Authenticate": "Bearer"})


def current_caller(request: Request, token: str | None = Depends(oauth2),
                   service: Service = Depends(get_service)) -> Caller:
    """The logged-in user from the bearer token (or ``?access_token=`` for event streams)."""
    token = token or request.query_params.get("access_token")
    if not token:
        raise _unauthorised("log in first: send 'Authorization: Bearer <token>' from POST /api/v1/auth/token")
    try:
        claims = security.decode_access_token(token, service.settings.secret_key)
    except security.InvalidToken as exc:
        raise _unauthorised(f"{exc}; log in again") from None
    caller = Caller(user_id=int(claims["sub"]), role=str(claims["role"]))
    if not service.user_exists(caller.user_id):
        raise _unauthorised("the account of this token no longer exists; log in again")
    return caller


def require(*roles: str):
    def check(caller: Caller = Depends(current_caller)) -> Caller:
        if caller.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail={
                "code": "forbidden", "message": f"this needs the {' or '.join(roles)} role; you are a {caller.role}"})
        return caller
    return check


rider_or_operator = require("rider", "operator")
operator_only = require("operator")
driver_only = require("driver", "operator")
