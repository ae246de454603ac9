"""Rider notifications over HTTP (issue 17): the rider's profile (channels, phone, quiet hours,
language, mobility needs, fare group), Web Push subscriptions and the deployment's VAPID public
key, the operator's outbox list, and what the start page shows (hotline, legal links)."""

from __future__ import annotations

import re
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ride_pool.api.channels import push_endpoint_allowed
from ride_pool.api.deps import Caller, get_service, operator_only, require
from ride_pool.api.schemas import CallerPhone, Strict
from ride_pool.api.service import Service
from ride_pool.db import outbox, profiles, vehicle_features
from ride_pool.dispatch.fares import CATEGORIES
from ride_pool.dispatch.needs import FEATURES, NEEDS
from ride_pool.messages import msg

router = APIRouter(prefix="/api/v1", tags=["notifications"])
rider_only = require("rider")
CHANNELS = ("email", "sms", "push")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class ProfileIn(Strict):
    channels: list[str] | None = Field(default=None, max_length=3, description="email, sms, push")
    phone: CallerPhone | None = None
    quiet_from: str | None = Field(default=None, max_length=5, description="local HH:MM, e.g. 22:00")
    quiet_until: str | None = Field(default=None, max_length=5, description="local HH:MM, e.g. 07:00")
    language: Literal["de", "en"] | None = None
    needs: list[str] | None = Field(default=None, max_length=7)
    fare_group: dict[str, int] | None = None


class ProfileOut(BaseModel):
    channels: list[str]
    phone: str | None = None
    quiet_from: str | None = None
    quiet_until: str | None = None
    language: str
    needs: list[str]
    fare_group: dict[str, int]
    push_subscriptions: int = 0


class PushKeys(Strict):
    p256dh: str = Field(min_length=20, max_length=200)
    auth: str = Field(min_length=8, max_length=100)


class PushSubscriptionIn(Strict):
    endpoint: str = Field(min_length=10, max_length=1000)
    keys: PushKeys
    expirationTime: int | None = None     # noqa: N815 - as the browser's PushSubscription.toJSON() names it


def _invalid(code: str, **params) -> HTTPException:
    return HTTPException(422, detail={"code": code, "message": msg(code, **params)})


@router.get("/me/profile", response_model=ProfileOut)
async def get_profile(caller: Caller = Depends(rider_only), service: Service = Depends(get_service)):
    """The rider's notification choices, needs and fare group (defaults: e-mail, no quiet hours)."""
    return await run_in_threadpool(profiles.get_profile, service.engine, caller.user_id)


@router.put("/me/profile", response_model=ProfileOut)
async def put_profile(body: ProfileIn, caller: Caller = Depends(rider_only), service: Service = Depends(get_service)):
    """Change the fields given. SMS needs a phone number; quiet hours are local HH:MM (both or
    none): nothing but "pickup soon" and "running late" is sent between them."""
    values = body.model_dump(exclude_unset=True)
    for channel in values.get("channels") or ():
        if channel not in CHANNELS:
            raise _invalid("notify_channel_unknown", channel=repr(channel), known=", ".join(CHANNELS))
    if "channels" in values:
        values["channels"] = sorted(set(values["channels"] or ()))
    for name in ("quiet_from", "quiet_until"):
        if values.get(name) is not None and not _HHMM.match(values[name]):
            raise _invalid("quiet_hours_invalid")
    for need in values.get("needs") or ():
        if need not in NEEDS:
            raise _invalid("need_unknown", need=repr(need), known=", ".join(NEEDS))
    group = values.get("fare_group") or {}
    if any(c not in CATEGORIES or n < 0 for c, n in group.items()) or sum(group.values()) > 8:
        raise _invalid("fare_group_invalid", known=", ".join(CATEGORIES), passengers=8)
    current = await run_in_threadpool(profiles.get_profile, service.engine, caller.user_id)
    merged = {**current, **values}
    if (merged["quiet_from"] is None) != (merged["quiet_until"] is None):
        raise _invalid("quiet_hours_invalid")
    if "sms" in (merged["channels"] or ()) and not merged["phone"]:
        raise _invalid("sms_needs_phone")
    return await run_in_threadpool(profiles.save_profile, service.engine, caller.user_id, values, service.clock())


@router.get("/push/public-key")
async def push_public_key(service: Service = Depends(get_service)):
    """The deployment's VAPID public key (base64url) for ``PushManager.subscribe``."""
    _, public = await run_in_threadpool(outbox.vapid_keys, service.engine, service.clock())
    return {"public_key": public, "enabled": service.settings.push_enabled}


@router.post("/me/push-subscriptions", status_code=201)
async def add_push_subscription(body: PushSubscriptionIn, caller: Caller = Depends(rider_only),
                                service: Service = Depends(get_service)):
    """Keep this browser's push subscription (``PushSubscription.toJSON()``) and switch push on."""
    if not push_endpoint_allowed(body.endpoint, service.settings.push_allowed_hosts):
        raise _invalid("push_subscription_invalid")
    sub_id = await run_in_threadpool(profiles.add_push_subscription, service.engine, caller.user_id, body.endpoint,
                                     body.keys.p256dh, body.keys.auth, service.clock())
    current = await run_in_threadpool(profiles.get_profile, service.engine, caller.user_id)
    if "push" not in current["channels"]:
        await run_in_threadpool(profiles.save_profile, service.engine, caller.user_id,
                                {"channels": sorted({*current["channels"], "push"})}, service.clock())
    return {"id": sub_id}


@router.delete("/me/push-subscriptions", status_code=204)
async def remove_push_subscription(endpoint: str = Query(max_length=1000), caller: Caller = Depends(rider_only),
                                   service: Service = Depends(get_service)):
    await run_in_threadpool(profiles.remove_push_subscription, service.engine, caller.user_id, endpoint)
    return Response(status_code=204)


@router.get("/ops/outbox")
async def ops_outbox(status: str | None = Query(default=None, max_length=16), limit: int = Query(200, ge=1, le=1000),
                     caller: Caller = Depends(operator_only), service: Service = Depends(get_service)):
    """The newest notifications with every delivery attempt, and the count per status (``unknown``:
    a sender stopped while sending it; it is not sent again)."""
    messages = await run_in_threadpool(outbox.outbox_list, service.engine, status=status, limit=limit)
    counts = await run_in_threadpool(outbox.status_counts, service.engine)
    return {"counts": counts, "messages": messages}


@router.get("/info")
def service_info(service: Service = Depends(get_service)):
    """What the start page shows: the service hotline and its hours, the legal notice and the
    privacy statement."""
    s = service.settings
    return {"hotline": s.service_hotline, "hotline_hours": s.service_hotline_hours,
            "legal_notice_url": s.legal_notice_url, "privacy_url": s.privacy_url}


class FeaturesIn(Strict):
    features: list[str] = Field(max_length=4, description="ramp, lift, low_floor, pushchair")


@router.put("/ops/vehicles/{vehicle_id}/features")
async def put_vehicle_features(body: FeaturesIn, vehicle_id: int = Path(ge=1, le=2**31),
                               caller: Caller = Depends(operator_only), service: Service = Depends(get_service)):
    """What the vehicle offers for mobility needs; riders with needs only get vehicles that fit."""
    if any(f not in FEATURES for f in body.features):
        raise _invalid("need_unknown", need=", ".join(body.features), known=", ".join(FEATURES))
    if not await run_in_threadpool(vehicle_features.set_vehicle_features, service.engine, vehicle_id, body.features):
        raise HTTPException(404, detail={"code": "not_found", "message": msg("unknown_vehicle", vehicle_id=vehicle_id)})
    service.dispatcher.set_vehicle_features(vehicle_id, body.features)
    return {"vehicle_id": vehicle_id, "features": sorted(set(body.features))}
