"""Ride series over HTTP (issue 17): a rider's own series (``/api/v1/series``) and the
operator's (``/api/v1/ops/series``, for phone callers, with the holiday switch and the list of
occurrences that could not be booked). The booking itself is :mod:`ride_pool.api.series_jobs`."""

from __future__ import annotations

import re
from datetime import date, datetime

from fastapi import APIRouter, Depends, HTTPException, Path
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from ride_pool.api.deps import Caller, get_service, operator_only, require, rider_or_operator
from ride_pool.api.schemas import CallerName, CallerPhone, PlaceIn, Strict
from ride_pool.api.series_jobs import WEEKDAYS
from ride_pool.api.service import Service
from ride_pool.db import series as rows
from ride_pool.dispatch.fares import CATEGORIES
from ride_pool.dispatch.needs import NEEDS
from ride_pool.messages import msg

router = APIRouter(prefix="/api/v1", tags=["series"])
rider_only = require("rider")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
#: the longest series (days from its first date to its last)
MAX_DAYS = 2 * 366


class SeriesIn(Strict):
    origin: PlaceIn
    destination: PlaceIn
    weekdays: list[str] = Field(min_length=1, max_length=7, description="mon ... sun")
    pickup_time: str = Field(max_length=5, description="local HH:MM, e.g. 07:30")
    until: date = Field(description="the last date (inclusive), e.g. 2027-06-30")
    first_date: date | None = Field(default=None, description="default: today")
    passengers: int = Field(default=1, ge=1, le=8, strict=True)
    wheelchairs: int = Field(default=0, ge=0, le=2, strict=True)
    needs: list[str] = Field(default_factory=list, max_length=7)
    fare_group: dict[str, int] = Field(default_factory=dict)


class PhoneSeriesIn(SeriesIn):
    caller_name: CallerName | None = None
    caller_phone: CallerPhone | None = None
    sms_consent: bool = False
    skip_holidays: bool = False


class SeriesPatch(Strict):
    skip_holidays: bool | None = None
    status: str | None = Field(default=None, description="active, paused or ended")


def _invalid(detail: str) -> HTTPException:
    return HTTPException(422, detail={"code": "series_invalid", "message": msg("series_invalid", detail=detail)})


def _values(service: Service, body: SeriesIn) -> dict:
    days = sorted(set(body.weekdays), key=lambda d: WEEKDAYS.index(d) if d in WEEKDAYS else 99)
    if any(d not in WEEKDAYS for d in days):
        raise _invalid("weekdays: " + ", ".join(WEEKDAYS))
    if not _HHMM.match(body.pickup_time):
        raise _invalid("pickup_time HH:MM")
    if any(n not in NEEDS for n in body.needs):
        raise _invalid("needs: " + ", ".join(NEEDS))
    if any(c not in CATEGORIES or n < 0 for c, n in body.fare_group.items()) \
            or sum(body.fare_group.values()) > body.passengers:
        raise _invalid("fare_group: " + ", ".join(CATEGORIES))
    if body.wheelchairs > body.passengers:
        raise _invalid("wheelchairs > passengers")
    today = datetime.fromtimestamp(service.clock(), service.dispatcher.rules.local(service.clock()).tzinfo).date()
    first = body.first_date or today
    if body.until < max(first, today) or (body.until - first).days > MAX_DAYS:
        raise _invalid(f"until: after the first date, at most {MAX_DAYS} days later")
    # the places are checked now (a stop that exists, a point in the area), kept as asked
    from ride_pool.api.views import resolve_place
    from ride_pool.db.repository import Repository
    repo = Repository(service.engine)
    origin = resolve_place(service, repo, body.origin, "origin")
    destination = resolve_place(service, repo, body.destination, "destination")
    place = lambda p, resolved=None: {**p.model_dump(exclude_none=True),   # noqa: E731
                                      **({"name": resolved.name} if resolved is not None else {})}
    return {"origin": place(body.origin, origin), "destination": place(body.destination, destination),
            "weekdays": days, "pickup_time": body.pickup_time, "first_date": first.isoformat(),
            "until": body.until.isoformat(), "passengers": body.passengers, "wheelchairs": body.wheelchairs,
            "needs": sorted(set(body.needs)), "fare_group": {c: n for c, n in body.fare_group.items() if n}}


async def _with_occurrences(service: Service, s: dict) -> dict:
    return {**s, "occurrences": await run_in_threadpool(rows.occurrences, service.engine, series_id=s["id"])}


async def _own(service: Service, series_id: int, caller: Caller) -> dict:
    s = await run_in_threadpool(rows.get_series, service.engine, series_id)
    if s is None or (caller.role == "rider" and s["rider_id"] != caller.user_id):
        raise HTTPException(404, detail={"code": "series_not_found",
                                         "message": msg("series_not_found", series_id=series_id)})
    return s


@router.post("/series", status_code=201)
async def create_series(body: SeriesIn, caller: Caller = Depends(rider_only),
                        service: Service = Depends(get_service)):
    """A rider's series of rides; the rides within the booking horizon are booked at once, later
    ones as they enter it. Answers the series with its occurrences (booked or refused)."""
    values = _values(service, body)
    s = await run_in_threadpool(rows.create_series, service.engine,
                                {**values, "rider_id": caller.user_id, "channel": "app"}, service.clock())
    await service.in_dispatch_thread(service.series.run_once)
    return await _with_occurrences(service, s)


@router.get("/series")
async def my_series(caller: Caller = Depends(rider_or_operator), service: Service = Depends(get_service)):
    found = await run_in_threadpool(rows.list_series, service.engine,
                                    rider_id=caller.user_id if caller.role == "rider" else None)
    return [await _with_occurrences(service, s) for s in found]


@router.post("/series/{series_id}/{action}")
async def change_series(action: str = Path(pattern="^(pause|resume|end)$"), series_id: int = Path(ge=1, le=2**31),
                        caller: Caller = Depends(rider_or_operator), service: Service = Depends(get_service)):
    """Pause (no new rides are booked; booked ones stay), resume or end a series."""
    s = await _own(service, series_id, caller)
    if s["status"] == "ended":
        raise HTTPException(409, detail={"code": "series_ended", "message": msg("series_ended", series_id=series_id)})
    status = {"pause": "paused", "resume": "active", "end": "ended"}[action]
    await run_in_threadpool(rows.set_status, service.engine, series_id, status)
    if status == "active":
        await service.in_dispatch_thread(service.series.run_once)
    return await _with_occurrences(service, await _own(service, series_id, caller))


@router.post("/ops/series", status_code=201)
async def ops_create_series(body: PhoneSeriesIn, caller: Caller = Depends(operator_only),
                            service: Service = Depends(get_service)):
    """A series for a phone caller (``sms_consent``: the caller agreed to SMS to ``caller_phone``;
    ``skip_holidays``: no rides on the public holidays of the area's state)."""
    values = _values(service, body)
    values.update(rider_id=None, channel="phone", caller_name=body.caller_name, caller_phone=body.caller_phone,
                  sms_consent=bool(body.sms_consent and body.caller_phone), skip_holidays=body.skip_holidays)
    s = await run_in_threadpool(rows.create_series, service.engine, values, service.clock())
    await service.in_dispatch_thread(service.series.run_once)
    return await _with_occurrences(service, s)


@router.get("/ops/series")
async def ops_series(caller: Caller = Depends(operator_only), service: Service = Depends(get_service)):
    found = await run_in_threadpool(rows.list_series, service.engine)
    return [await _with_occurrences(service, s) for s in found]


@router.get("/ops/series/refusals")
async def ops_refusals(caller: Caller = Depends(operator_only), service: Service = Depends(get_service)):
    """The rides of series that could not be booked, newest date first, with the cause."""
    return await run_in_threadpool(rows.occurrences, service.engine, status="refused")


@router.patch("/ops/series/{series_id}")
async def ops_patch_series(body: SeriesPatch, series_id: int = Path(ge=1, le=2**31),
                           caller: Caller = Depends(operator_only), service: Service = Depends(get_service)):
    await _own(service, series_id, caller)
    if body.status is not None and body.status not in ("active", "paused", "ended"):
        raise _invalid("status: active, paused, ended")
    await run_in_threadpool(rows.update_series, service.engine, series_id,
                            body.model_dump(exclude_none=True))
    return await _with_occurrences(service, await _own(service, series_id, caller))
