"""Public transport endpoints: the service's GTFS-Flex feed (``GET /api/v1/gtfs-flex.zip``,
public, cached, ``ETag``), the departures of the imported timetable at a stop
(``GET /api/v1/departures``) and the operator's timetable upload
(``POST /api/v1/ops/timetable/import``, a GTFS zip as the body or the form field ``file``)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from datetime import datetime

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from ride_pool.api.deps import get_service, operator_only
from ride_pool.api.service import Service
from ride_pool.db.repository import Repository, stops_generation
from ride_pool.db.timetable import flex_feed, flex_stops, load_timetable, save_timetable
from ride_pool.gtfs.flex import Publisher, feed_zip
from ride_pool.gtfs.timetable import FeedError, read_feed
from ride_pool.messages import msg

router = APIRouter(tags=["public transport"])
ops_router = APIRouter(prefix="/api/v1/ops", tags=["operations"], dependencies=[Depends(operator_only)])

_lock = threading.Lock()
# the app's state keeps ``gtfs_timetable`` (a 1-tuple: the timetable read from the database, None
# when none was imported) and ``gtfs_feed`` (key, bytes, ETag of the last feed built)


def publisher_for(service: Service, base_url: str) -> Publisher:
    s = service.settings
    return Publisher(agency_name=s.agency_name, agency_url=base_url, phone=s.agency_phone, booking_url=base_url,
                     route_name=s.agency_name)


def timetable_of(service: Service, state):
    """The imported timetable, read once and kept (in the app's ``state``) until the next import."""
    cached = getattr(state, "gtfs_timetable", None)
    if cached is None:
        tt = load_timetable(service.engine, service.dispatcher.rules.timezone)
        state.gtfs_timetable = cached = (tt,)
        service.dispatcher.set_timetable(tt)
    return cached[0]


def _feed(service: Service, state, base_url: str) -> tuple[bytes, str]:
    d = service.dispatcher
    rules, polygon = d.rules, d.service_area_polygon()
    today = datetime.fromtimestamp(service.clock(), rules.local(0).tzinfo).date()
    key = json.dumps([stops_generation(), rules.to_dict(), polygon, today.isoformat(), base_url], sort_keys=True,
                     default=str)
    with _lock:
        cached = getattr(state, "gtfs_feed", None)
        if cached is not None and cached[0] == key:
            return cached[1], cached[2]
    net = service.network
    corners = [(float(net.node_lon.min()), float(net.node_lat.min())),
               (float(net.node_lon.max()), float(net.node_lat.max()))]
    data = feed_zip(flex_feed(rules, polygon, flex_stops(service.engine), publisher_for(service, base_url), today,
                              fallback=corners))
    etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
    with _lock:
        state.gtfs_feed = (key, data, etag)
    return data, etag


@router.get("/api/v1/gtfs-flex.zip", responses={200: {"content": {"application/zip": {}}}})
def gtfs_flex(request: Request, service: Service = Depends(get_service)):
    """The service as a GTFS-Flex v2 feed (zone, stops, operating hours, booking rules) for trip
    planners and the national access point; cached until the rules, the area or the stops change,
    with an ``ETag`` (``If-None-Match`` answers 304)."""
    base = str(request.base_url)
    data, etag = _feed(service, request.app.state, base)
    headers = {"ETag": etag, "Cache-Control": "public, max-age=3600",
               "Content-Disposition": 'attachment; filename="gtfs-flex.zip"'}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type="application/zip", headers=headers)


@router.get("/api/v1/departures")
def departures(request: Request,
               stop_id: str = Query(min_length=1, max_length=100, description="a GTFS stop id (DHID) or the "
                                    "id of one of the service's stops"),
               after: datetime | None = Query(default=None, description="ISO 8601; default now"),
               limit: int = Query(default=10, ge=1, le=50),
               arrivals: bool = Query(default=False, description="arrivals instead of departures"),
               service: Service = Depends(get_service)):
    """The next departures (or arrivals) of the imported timetable at a stop and its platforms."""
    tt = timetable_of(service, request.app.state)
    gtfs_id = stop_id
    service_stop = None
    if stop_id.isdigit():
        service_stop = Repository(service.engine).get_stop(int(stop_id))
        if service_stop is None or not service_stop.code:
            raise HTTPException(404, detail={"code": "not_found", "message": msg("departures_stop_unknown",
                                                                               stop_id=stop_id)})
        gtfs_id = service_stop.code
    if tt is None:
        return {"stop_id": gtfs_id, "departures": []}
    if gtfs_id not in tt.stops and not tt.stop_ids(gtfs_id)[1:]:
        raise HTTPException(404, detail={"code": "not_found", "message": msg("departures_stop_unknown",
                                                                           stop_id=stop_id)})
    start = service.clock() if after is None else service.times.epoch(after, "after")
    calls = tt.departures(gtfs_id, start, limit, arrivals=arrivals)
    return {"stop_id": gtfs_id, "stop_name": tt.stops[gtfs_id].name if gtfs_id in tt.stops else "",
            "service_stop_id": service_stop.id if service_stop is not None else None,
            "departures": [{"trip_id": c.trip_id, "stop_id": c.stop_id, "stop_name": c.stop_name,
                            "service_date": c.service_date, "route": c.route_name, "route_type": c.route_type,
                            "headsign": c.headsign, "arrival": service.times.iso(c.arrival),
                            "departure": service.times.iso(c.departure)} for c in calls]}


@ops_router.post("/timetable/import")
async def import_timetable(request: Request, service: Service = Depends(get_service)):
    """Replace the timetable by a GTFS feed (zip) sent as the body or the form field ``file``."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        raw = await upload.read() if upload is not None and hasattr(upload, "read") else b""
    else:
        raw = await request.body()

    def work():
        try:
            tt = read_feed(raw)
        except FeedError as exc:
            raise HTTPException(422, detail={"code": "invalid_timetable_file",
                                             "message": msg("timetable_file_invalid", detail=str(exc))}) from None
        counts = save_timetable(service.engine, tt)
        request.app.state.gtfs_timetable = None
        timetable_of(service, request.app.state)
        return counts

    return await asyncio.to_thread(work)
