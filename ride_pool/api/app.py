"""The FastAPI application: routes split by audience (riders, drivers, operations), one service."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response

from ride_pool.api import (
    audit,
    auth,
    docs,
    drivers,
    errors,
    favourites,
    hardening,
    map_places,
    notify,
    ops,
    privacy,
    riders,
    series,
    series_jobs,
)
from ride_pool.api import places as places_api
from ride_pool.api.deps import get_service
from ride_pool.api.service import Service, wall_clock
from ride_pool.api.url_secrets import RefuseTokenInUrl
from ride_pool.db.engine import write_problem
from ride_pool.messages import msg
from ride_pool.settings import Settings, get_settings
from routing.network import RoadNetwork

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, network: RoadNetwork | None = None, clock=wall_clock,
               background: bool = True, places=None) -> FastAPI:
    """The API for ``settings`` (database, network); ``network`` given skips loading it. ``places``:
    the network's :class:`~routing.gazetteer.Gazetteer` (loaded from beside the network file when
    the network is loaded here; else the demo's for the demo network, none for others)."""
    settings = settings or get_settings()
    if network is None:
        from routing.sources import open_gazetteer, open_network
        network = open_network(settings.network)
        if places is None:
            places = open_gazetteer(settings.network, network)
    service = Service(settings=settings, network=network, clock=clock, background=background, places=places)
    service.series = series_jobs.SeriesBooker(service)     # ride series, booked by the sender's loop (issue 17)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        service.start()
        try:
            yield
        finally:
            service.stop()

    app = FastAPI(title="ride_pool", version="0.1.0", lifespan=lifespan,
                  description="On-demand ride pooling (Rufbus): rider bookings, driver route lists, operations.",
                  docs_url=None, redoc_url=None)   # docs.install serves them from shipped assets
    app.state.service = service
    errors.install(app)
    app.add_middleware(RefuseTokenInUrl)    # ?access_token= is refused everywhere (url_secrets)
    app.add_middleware(errors.LanguageMiddleware)   # messages in the language of Accept-Language
    for module in (auth, places_api, map_places, riders, favourites, drivers, ops, notify, series):
        app.include_router(module.router)
    app.include_router(privacy.router)      # a rider's data export and account deletion
    from ride_pool.api import gtfs
    app.include_router(gtfs.router)         # GTFS-Flex feed, departures
    app.include_router(gtfs.ops_router)     # timetable import
    app.include_router(audit.router)        # GET /api/v1/ops/audit
    from ride_pool.api import control_room
    app.include_router(control_room.router)         # the operator's control room (issue 15)
    app.include_router(control_room.stream_router)
    from ride_pool.api import booking_changes
    app.include_router(booking_changes.router)      # GET /api/v1/bookings/{id}/changes
    from ride_pool.api import shift_plan
    app.include_router(shift_plan.router)           # /api/v1/ops/shift-templates
    from ride_pool.api import booking_desk
    app.include_router(booking_desk.router)         # /api/v1/ops/bookings/search, export.csv
    app.add_middleware(audit.AuditMiddleware)   # records every change an operator makes
    from ride_pool.web import pages
    pages.install(app)      # the rider, driver and operator pages and /static
    docs.install(app)       # /docs without a CDN
    app.add_middleware(hardening.BodyLimit, limit=settings.max_body_bytes,
                       limits_by_path={hardening.STOP_UPLOAD_PATH: settings.max_stop_file_bytes,
                                       "/api/v1/ops/timetable/import": settings.max_stop_file_bytes})
    # added last = outermost: its headers are on every answer, the body limit's 413 too
    app.add_middleware(hardening.SecurityHeaders, tile_url=settings.tile_url)

    @app.get("/api/v1/health", tags=["service"], responses={503: {"description": "the database does not "
                                                                   "accept writes (code database_not_writable)"}})
    def health(service: Service = Depends(get_service)):
        """``ok`` when the service runs and its database accepts a write (a full disk or a
        read-only database answers 503 ``database_not_writable``)."""
        problem = write_problem(service.engine)
        if problem is not None:
            log.error("health: the database does not accept writes: %s", problem)
            return errors.problem(503, "database_not_writable", msg("database_not_writable"))
        d = service.dispatcher
        return {"status": "ok", "network": service.network.name, "synthetic": bool(service.network.synthetic),
                "shifts": len(d.shifts), "active_bookings": len(d.active_bookings()),
                "database": service.engine.dialect.name}

    @app.get("/api/v1/network.geojson", tags=["service"])
    def network_geojson(request: Request, service: Service = Depends(get_service)):
        """The road network as GeoJSON lines (for maps without a tile server); gzip-compressed
        when the client accepts it, and cacheable (phones on rural mobile networks load it once)."""
        plain, compressed, etag = service.maps.network_geojson_bytes()
        headers = {"ETag": etag, "Cache-Control": "public, max-age=3600", "Vary": "Accept-Encoding"}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        if "gzip" in request.headers.get("accept-encoding", ""):
            return Response(compressed, media_type="application/geo+json",
                            headers={**headers, "Content-Encoding": "gzip"})
        return Response(plain, media_type="application/geo+json", headers=headers)

    return app
