"""Accounts: self-registration of riders, password login (OAuth2 password flow), logout, who am I."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Response, status
from fastapi.security import OAuth2PasswordRequestForm
from starlette.concurrency import run_in_threadpool

from ride_pool.api import security
from ride_pool.api.deps import Caller, current_caller, get_service, oauth2
from ride_pool.api.schemas import RegisterIn, TokenOut, UserOut
from ride_pool.api.service import Service
from ride_pool.db.repository import Repository

router = APIRouter(prefix="/api/v1/auth", tags=["accounts"])


def _user_out(user) -> UserOut:
    return UserOut(id=user.id, email=user.email, name=user.name, role=str(user.role.value))


@router.post("/register", status_code=201, response_model=UserOut)
def register(body: RegisterIn, service: Service = Depends(get_service)) -> UserOut:
    """Create a rider account."""
    user = Repository(service.engine).create_user(body.email, security.hash_password(body.password), body.name,
                                                  "rider", now=service.clock())
    return _user_out(user)


@router.post("/token", response_model=TokenOut)
def token(form: OAuth2PasswordRequestForm = Depends(), service: Service = Depends(get_service)) -> TokenOut:
    """Log in with e-mail (``username``) and password; returns a bearer token."""
    user = Repository(service.engine).get_user_by_email(form.username)
    if user is None or not security.verify_password(form.password, user.password_hash) \
            or user.deleted_at is not None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail={
            "code": "wrong_login", "message": "e-mail or password is wrong"}, headers={"WWW-Authenticate": "Bearer"})
    if user.disabled:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail={
            "code": "account_disabled", "message": "this account is disabled; ask the operator to enable it"})
    return TokenOut(access_token=service.tokens.issue(user), role=user.role.value, user_id=user.id)


@router.post("/logout", status_code=204)
async def logout(token: str | None = Depends(oauth2), caller: Caller = Depends(current_caller),
                 service: Service = Depends(get_service)) -> Response:
    """End this token (log out); the account's other logins stay valid."""
    claims = service.callers.claims(token)
    await run_in_threadpool(service.callers.end, claims)
    return Response(status_code=204)


@router.get("/me", response_model=UserOut)
def me(caller: Caller = Depends(current_caller), service: Service = Depends(get_service)) -> UserOut:
    user = Repository(service.engine).get_user(caller.user_id)
    if user is None:
        raise HTTPException(401, detail={"code": "not_authenticated", "message": "this account no longer exists"})
    return _user_out(user)
