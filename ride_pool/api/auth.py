"""Accounts: self-registration of riders with an e-mail confirmation code, password login (OAuth2
password flow) with throttling, logout, password change, who am I.

What an attacker must not learn or do here:

* which e-mail addresses have accounts: log-in answers the same 401 for an unknown address after
  checking the password against a dummy hash (same work, same time); registration answers the same
  202 for a new and for an existing address (the owner of an existing one gets a mail instead);
  resending a code answers the same whether there is anything to send or not;
* guess passwords: after ``limit_login_account`` failed log-ins on one account (5 in 15 minutes)
  or ``limit_login_address`` from one client address (20 in 15 minutes) every log-in is answered
  429 with ``Retry-After``, the right password too; a successful log-in clears the account's count;
* stall the server: passwords are hashed on the service's password threads
  (:meth:`~ride_pool.api.service.Service.in_password_thread`), never on the event loop or the
  general thread pool.
"""

from __future__ import annotations

import logging
import secrets

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ride_pool.api import security
from ride_pool.api.deps import Caller, current_caller, get_service, oauth2
from ride_pool.api.limits import client_address
from ride_pool.api.passwords import require_good_password
from ride_pool.api.schemas import Email, RegisterIn, Strict, TokenOut, UserOut
from ride_pool.api.service import Service
from ride_pool.api.throttle import count, count_address, login_locked, password_attempt, setting_limit
from ride_pool.db.errors import DuplicateEmail
from ride_pool.db.repository import Repository, normalise_email
from ride_pool.messages import msg, render

router = APIRouter(prefix="/api/v1/auth", tags=["accounts"])
log = logging.getLogger(__name__)

#: digits of an e-mail confirmation code
CODE_DIGITS = 8


class RegistrationOut(BaseModel):
    """The answer to a registration and to a request for a new code: the same for every address."""

    status: str = Field(description="'confirmation_sent': a code was mailed to the address (if it can have one)")
    email: str
    message: str


class ConfirmIn(Strict):
    email: Email
    code: str = Field(pattern=r"^\s*[0-9]{6,8}\s*$", description="the code from the e-mail")


class ResendIn(Strict):
    email: Email


class ConfirmedOut(BaseModel):
    status: str = "confirmed"
    email: str


class PasswordChangeIn(Strict):
    current_password: str = Field(max_length=200)
    new_password: str = Field(max_length=200)


def user_out(user) -> UserOut:
    return UserOut(id=user.id, email=user.email, name=user.name, role=str(user.role.value),
                   confirmed=bool(user.confirmed))


def forget_caller(service: Service, user_id: int) -> None:
    """Drop what the service remembers about the account's callers (after any change of it)."""
    service.callers.forget(user_id)


# --- registration and confirmation ---------------------------------------------------------------

def _sent(email: str) -> RegistrationOut:
    return RegistrationOut(status="confirmation_sent", email=email, message=render(msg("confirmation_sent")))


def new_code() -> tuple[str, str]:
    """A new confirmation code and its hash (argon2, like a password)."""
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    return code, security.hash_password(code)


def send_code(service: Service, user, code: tuple[str, str] | None = None) -> None:
    """Keep the hash of a new confirmation ``code`` (made here if not given) for ``user`` and mail it."""
    code, code_hash = code or new_code()
    minutes = service.settings.confirm_code_minutes
    Repository(service.engine).set_confirmation_code(user.id, code_hash, service.clock() + minutes * 60)
    service.mailer.send(user.email, f"Rufbus: Ihr Bestätigungscode {code}", (
        f"Guten Tag {user.name},\n\n"
        f"Ihr Bestätigungscode für das Rufbus-Konto {user.email} lautet:\n\n    {code}\n\n"
        f"Er gilt {minutes} Minuten. Wenn Sie kein Konto angelegt haben, ignorieren Sie diese E-Mail.\n\n"
        f"---\n\nYour confirmation code for the Rufbus account {user.email} is {code}.\n"
        f"It is valid for {minutes} minutes. If you did not create an account, ignore this e-mail.\n"))


def _tell_owner(service: Service, user) -> None:
    """Tell the owner of an existing account that someone tried to register its address."""
    service.mailer.send(user.email, "Rufbus: Registrierung mit Ihrer E-Mail-Adresse", (
        f"Guten Tag {user.name},\n\n"
        f"gerade hat jemand versucht, mit Ihrer E-Mail-Adresse {user.email} ein neues Rufbus-Konto "
        "anzulegen. Sie haben schon ein Konto: melden Sie sich einfach an. Waren Sie das nicht, "
        "müssen Sie nichts tun; Ihr Konto bleibt unverändert.\n\n"
        f"---\n\nSomeone just tried to register a new Rufbus account with your address {user.email}. "
        "You already have an account: just log in. If it was not you, there is nothing to do; "
        "your account is unchanged.\n"))


def _register(service: Service, body: RegisterIn) -> None:
    """Create the unconfirmed rider account and mail its code; for an address that has an account
    already, hash all the same - the password and a code - and mail its owner instead, so that the
    answer takes as long either way (its time must not tell which addresses have accounts)."""
    password_hash = security.hash_password(body.password)
    code = new_code()
    repo = Repository(service.engine)
    existing = repo.get_user_by_email(body.email)
    if existing is None:
        try:
            user = repo.create_user(body.email, password_hash, body.name, "rider", now=service.clock(),
                                    confirmed=False)
        except DuplicateEmail:          # registered by a parallel request just now
            existing = repo.get_user_by_email(body.email)
        else:
            send_code(service, user, code)
            return
    if existing is not None:
        _tell_owner(service, existing)


@router.post("/register", status_code=202, response_model=RegistrationOut)
async def register(body: RegisterIn, request: Request, service: Service = Depends(get_service)) -> RegistrationOut:
    """Register a rider account: a confirmation code is mailed to the address. The answer is the
    same whether the address has an account already or not (its owner then gets a mail)."""
    require_good_password(body.password)       # first: a refused password does not count as a registration
    count_address(service, request, "register")
    await service.in_password_thread(_register, service, body)
    return _sent(normalise_email(body.email))


def _confirm(service: Service, email: str, code: str):
    settings = service.settings
    return Repository(service.engine).confirm_with_code(
        email, lambda user: security.verify_password(code, user.confirm_code_hash), now=service.clock(),
        max_attempts=settings.confirm_max_attempts)


@router.post("/confirm", response_model=ConfirmedOut)
async def confirm(body: ConfirmIn, service: Service = Depends(get_service)) -> ConfirmedOut:
    """Confirm the e-mail address with the code mailed to it."""
    user = await service.in_password_thread(_confirm, service, body.email, body.code.strip())
    if user is None:
        raise HTTPException(422, detail={
            "code": "wrong_confirmation_code", "message": msg("wrong_confirmation_code"),
            "max_attempts": service.settings.confirm_max_attempts})
    forget_caller(service, user.id)
    return ConfirmedOut(email=user.email)


def _resend(service: Service, email: str) -> None:
    code = new_code()          # made for every address: the time must not tell which have accounts
    user = Repository(service.engine).get_user_by_email(email)
    if user is not None and not user.confirmed:
        send_code(service, user, code)


@router.post("/confirm/resend", status_code=202, response_model=RegistrationOut)
async def resend(body: ResendIn, request: Request, service: Service = Depends(get_service)) -> RegistrationOut:
    """Mail a new confirmation code (the old one stops working). The same answer for every address."""
    email = normalise_email(body.email)
    count_address(service, request, "register")
    count(service, "confirm_resend", email)
    await service.in_password_thread(_resend, service, email)
    return _sent(email)


# --- log-in ----------------------------------------------------------------------------------------

def _check_password(service: Service, email: str, password: str, address: str):
    """The user if ``password`` is theirs, else None (counted as a failed log-in). Unknown addresses
    are checked against a dummy hash (the same work, the same count)."""
    user = Repository(service.engine).get_user_by_email(email)
    ok = password_attempt(service, email, address, password,
                          user.password_hash if user is not None else security.dummy_hash())
    return user if ok and user is not None else None


def _wrong_login() -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail={
        "code": "wrong_login", "message": msg("wrong_login")}, headers={"WWW-Authenticate": "Bearer"})


@router.post("/token", response_model=TokenOut)
async def token(request: Request, form: OAuth2PasswordRequestForm = Depends(),
                service: Service = Depends(get_service)) -> TokenOut:
    """Log in with e-mail (``username``) and password; returns a bearer token. Too many failed
    tries on one account or from one address: 429 with ``Retry-After``."""
    email, address = normalise_email(form.username), client_address(request)
    login_locked(service, email, address)
    user = await service.in_password_thread(_check_password, service, email, form.password, address)
    if user is None or user.deleted_at is not None:
        raise _wrong_login()
    service.limiter.clear("login_account", email, setting_limit(service, "login_account"))
    if user.disabled:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail={
            "code": "account_disabled", "message": msg("account_disabled_login")})
    return TokenOut(access_token=service.tokens.issue(user), role=user.role.value, user_id=user.id)


@router.post("/logout", status_code=204)
async def logout(token: str | None = Depends(oauth2), caller: Caller = Depends(current_caller),
                 service: Service = Depends(get_service)) -> Response:
    """End this token (log out); the account's other logins stay valid."""
    claims = service.callers.claims(token)
    await run_in_threadpool(service.callers.end, claims)
    return Response(status_code=204)


# --- the account itself ----------------------------------------------------------------------------

@router.get("/me", response_model=UserOut)
def me(caller: Caller = Depends(current_caller), service: Service = Depends(get_service)) -> UserOut:
    user = Repository(service.engine).get_user(caller.user_id)
    if user is None:
        raise HTTPException(401, detail={"code": "not_authenticated", "message": msg("account_gone")})
    return user_out(user)


def _change_password(service: Service, user_id: int, current: str, new: str, address: str):
    """(the account, its password changed?); a wrong current password counts as a failed log-in."""
    repo = Repository(service.engine)
    user = repo.get_user(user_id)
    if user is None:
        raise HTTPException(401, detail={"code": "not_authenticated", "message": msg("account_gone")})
    if not password_attempt(service, user.email, address, current, user.password_hash):
        return user, False
    return repo.set_password(user_id, security.hash_password(new)), True


@router.post("/password", response_model=TokenOut)
async def change_password(body: PasswordChangeIn, request: Request, caller: Caller = Depends(current_caller),
                          service: Service = Depends(get_service)) -> TokenOut:
    """Change the password: the current one is checked, the new one must follow the rules. The
    account's other logins end; the answer carries a fresh token for this one."""
    require_good_password(body.new_password)
    user, changed = await service.in_password_thread(_change_password, service, caller.user_id,
                                                     body.current_password, body.new_password,
                                                     client_address(request))
    if not changed:
        raise HTTPException(422, detail={"code": "wrong_password", "message": msg("wrong_password")})
    forget_caller(service, user.id)
    return TokenOut(access_token=service.tokens.issue(user), role=user.role.value, user_id=user.id)
