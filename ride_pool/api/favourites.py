"""A rider's favourite places, kept with the account: ``GET /api/v1/favourites``,
``POST /api/v1/favourites`` (``{name, label, lat, lon, stop_id?}``; the same name again replaces
its place) and ``DELETE /api/v1/favourites/{id}``. Riders only; part of the data export, erased
with the account."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Path
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ride_pool.api.deps import Caller, get_service, require
from ride_pool.api.schemas import MAX_ID, Strict
from ride_pool.api.service import Service
from ride_pool.db import favourites as rows
from ride_pool.messages import msg
from ride_pool.text import Name

router = APIRouter(prefix="/api/v1", tags=["riders"])
rider_only = require("rider")


class FavouriteIn(Strict):
    name: Name = Field(max_length=60, description="what the rider calls it: 'Zuhause', 'Arzt'")
    label: Name = Field(max_length=200, description="the place's label from the search or places/reverse")
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    stop_id: int | None = Field(default=None, ge=1, le=MAX_ID)


class FavouriteOut(BaseModel):
    id: int
    name: str
    label: str
    lat: float
    lon: float
    stop_id: int | None = None


def _out(f: rows.Favourite) -> FavouriteOut:
    return FavouriteOut(id=f.id, name=f.name, label=f.label, lat=f.lat, lon=f.lon, stop_id=f.stop_id)


@router.get("/favourites", response_model=list[FavouriteOut])
async def list_favourites(caller: Caller = Depends(rider_only), service: Service = Depends(get_service)):
    """The rider's favourite places, oldest first."""
    found = await run_in_threadpool(rows.list_favourites, service.engine, caller.user_id)
    return [_out(f) for f in found]


@router.post("/favourites", status_code=201, response_model=FavouriteOut)
async def save_favourite(body: FavouriteIn, caller: Caller = Depends(rider_only),
                         service: Service = Depends(get_service)):
    """Keep a place under a name (at most 20 per account; the same name again replaces its place).
    The point must lie in the service area (422 ``outside_service_area``)."""
    service.dispatcher.place(body.lat, body.lon)      # 422 outside the area, like a quote's point
    try:
        saved = await run_in_threadpool(rows.save_favourite, service.engine, caller.user_id, body.name,
                                        body.label, body.lat, body.lon, body.stop_id, service.clock())
    except rows.TooManyFavourites:
        raise HTTPException(409, detail={"code": "too_many_favourites", "message": msg(
            "too_many_favourites", most=rows.MAX_FAVOURITES)}) from None
    return _out(saved)


@router.delete("/favourites/{favourite_id}", status_code=204)
async def delete_favourite(favourite_id: int = Path(ge=1, le=2**62), caller: Caller = Depends(rider_only),
                           service: Service = Depends(get_service)):
    if not await run_in_threadpool(rows.delete_favourite, service.engine, caller.user_id, favourite_id):
        raise HTTPException(404, detail={"code": "not_found", "message": msg("favourite_unknown",
                                                                            favourite_id=favourite_id)})
    return Response(status_code=204)
