"""Data-protection rights of an account holder (DSGVO Art. 15, 17, 20): download one's data, delete
one's account.

``GET /api/v1/me/export`` answers everything stored about the caller's own account as a JSON
file; ``POST /api/v1/me/delete`` (with the password again) cancels the active bookings through
the dispatcher (cause ``account_deleted``) and erases the account's personal data, keeping its
past trips for the statistics (:func:`ride_pool.db.privacy.delete_account`).
"""

from __future__ import annotations

import json
from datetime import datetime

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from ride_pool.api import throttle
from ride_pool.api.deps import Caller, current_caller, get_service
from ride_pool.api.limits import client_address
from ride_pool.api.schemas import Strict
from ride_pool.api.service import Service
from ride_pool.db import audit, privacy
from ride_pool.db.repository import Repository
from ride_pool.dispatch.domain import BookingStatus
from ride_pool.dispatch.errors import DispatchError
from ride_pool.messages import msg

router = APIRouter(prefix="/api/v1/me", tags=["accounts"])

#: keys of the export whose values are epoch seconds (shown as ISO 8601 local times)
_TIME_KEYS = frozenset({"created_at", "deleted_at", "requested_time", "pickup_earliest", "pickup_latest",
                        "dropoff_latest", "planned_pickup", "planned_dropoff", "boarded_at", "completed_at",
                        "cancelled_at", "anonymised_at", "expires_at", "time", "pickup_after", "arrive_by"})


def _with_iso_times(value, iso):
    """``value`` with the epoch-second fields (:data:`_TIME_KEYS`) as ISO 8601 local times."""
    if isinstance(value, dict):
        return {k: (iso(v).isoformat() if k in _TIME_KEYS and isinstance(v, int) else _with_iso_times(v, iso))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_with_iso_times(v, iso) for v in value]
    return value


@router.get("/export")
def export(caller: Caller = Depends(current_caller), service: Service = Depends(get_service)) -> Response:
    """Everything stored about your account as a JSON file: the account (e-mail, name, role, when
    created, confirmed), your bookings with places and times, your quotes, the events about you
    and your trips, and the audit entries by or about you."""
    service.store.flush()       # quotes written behind are part of the data too
    data = privacy.export_account(service.engine, caller.user_id)
    if data is None:
        raise HTTPException(401, detail={"code": "not_authenticated", "message": msg("account_gone_login")})
    body = {"exported_at": service.clock(), **data}
    content = json.dumps(_with_iso_times(body, service.times.iso), ensure_ascii=False, indent=1).encode()
    stamp = datetime.fromtimestamp(service.clock(), service.times.tz).strftime("%Y-%m-%d")
    return Response(content, media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="rufbus-daten-{caller.user_id}-{stamp}.json"',
        "Cache-Control": "no-store"})


class DeleteIn(Strict):
    password: str = Field(min_length=1, max_length=200, description="your password, to confirm it is you")


@router.post("/delete")
async def delete_account(body: DeleteIn, request: Request, caller: Caller = Depends(current_caller),
                         service: Service = Depends(get_service)) -> dict:
    """Delete your account. Your open bookings are cancelled; your past trips stay for the
    statistics without your name, e-mail or phone number; you are logged out everywhere and the
    e-mail address can be registered again. Refused while you are on board a ride."""
    repo = Repository(service.engine)
    user = await run_in_threadpool(repo.get_user, caller.user_id)
    if user is None or user.deleted_at is not None:
        raise HTTPException(401, detail={"code": "not_authenticated", "message": msg("account_gone_login")})
    # a wrong password counts as a failed log-in (a stolen token must not become a password oracle)
    address = client_address(request)
    throttle.login_locked(service, user.email, address)
    if not await service.in_password_thread(throttle.password_attempt, service, user.email, address, body.password,
                                            user.password_hash):
        raise HTTPException(403, detail={"code": "wrong_password", "message": msg("wrong_password_delete")})
    return await run_in_threadpool(_delete, service, caller)


def _delete(service: Service, caller: Caller) -> dict:
    d = service.dispatcher
    if any(b.status is BookingStatus.ONBOARD for b in d.active_bookings_of(caller.user_id)):
        raise HTTPException(409, detail={"code": "ride_in_progress", "message": msg("ride_in_progress")})
    cancelled = _cancel_active(service, caller.user_id)
    now = service.clock()
    booking_ids = privacy.delete_account(service.engine, caller.user_id, now)
    forget = getattr(service.callers, "forget", None)
    if forget is not None:
        forget(caller.user_id)
    late = _cancel_active(service, caller.user_id)   # booked meanwhile, with a token still valid
    if late:
        booking_ids = privacy.delete_account(service.engine, caller.user_id, now)
        cancelled += late
    d.forget_personal_data(booking_ids, rider_id=caller.user_id)
    audit.record(service.engine, time=now, actor_id=caller.user_id, actor_role=caller.role,
                 action="POST /api/v1/me/delete", target_kind="account", target_id=caller.user_id,
                 details={"status": 200, "cancelled_bookings": cancelled})
    return {"deleted": True, "cancelled_bookings": cancelled}


def _cancel_active(service: Service, user_id: int) -> list[str]:
    """Cancel the account's confirmed bookings through the dispatcher (events, plans, database)."""
    cancelled = []
    for booking in service.dispatcher.active_bookings_of(user_id):
        if booking.status is BookingStatus.CONFIRMED:
            try:
                service.dispatcher.cancel(booking.booking_id, cause="account_deleted")
                cancelled.append(booking.booking_id)
            except DispatchError:   # boarded meanwhile: it ends as a normal ride
                pass
    return cancelled
