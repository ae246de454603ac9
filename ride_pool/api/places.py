"""Places: ``GET /api/v1/places`` (search) and ``GET /api/v1/places/reverse`` over the network's
gazetteer (settlements, streets, addresses, points of interest; built with the network, see
``routing/gazetteer.py``) and the service's stops, and the labels of points riders send without
one. Public like ``/stops``; limited per client address (``RIDE_POOL_LIMIT_PLACES_ADDRESS_*``)."""

from __future__ import annotations

import unicodedata

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from ride_pool.api import throttle
from ride_pool.api.deps import get_service
from ride_pool.api.place_book import PlaceBook
from ride_pool.api.schemas import PlaceResultOut
from ride_pool.api.service import Service
from ride_pool.messages import msg
from routing.place_search import Found

router = APIRouter(prefix="/api/v1", tags=["places"])

def result_out(found: Found) -> PlaceResultOut:
    e = found.entry
    return PlaceResultOut(kind=e.kind, name=e.name, label=e.label, lat=round(e.lat, 7), lon=round(e.lon, 7),
                          stop_id=e.stop_id,
                          distance_m=None if found.distance_m is None else int(round(found.distance_m)))


def _ascii_header(text: str) -> str:
    """The attribution as a header value (ASCII: "(c)" for "©", letters without accents)."""
    text = unicodedata.normalize("NFKD", text.replace("©", "(c)"))
    return "".join(c for c in text if c.isascii() and c.isprintable())


@router.get("/places", response_model=list[PlaceResultOut],
            responses={429: {"description": "too many searches from this address (code too_many_requests)"}})
def search_places(request: Request,
                  q: str = Query(min_length=1, max_length=200, description="what the rider typed: a village, street "
                                 "and number, stop, or a category such as 'Arzt', 'Apotheke', 'Bahnhof'"),
                  limit: int = Query(default=10, ge=1, le=50),
                  lat: float | None = Query(default=None, ge=-90, le=90, description="the rider's position"),
                  lon: float | None = Query(default=None, ge=-180, le=180),
                  service: Service = Depends(get_service)) -> Response:
    """Places by name, ranked: stops, settlements, streets, addresses and points of interest.
    Insensitive to case, umlauts and ß, word order free, typo-tolerant, the last word a prefix;
    with ``lat`` and ``lon`` places near the rider come first among equal matches. Map data ©
    OpenStreetMap contributors (ODbL) for OSM networks (header ``X-Data-Attribution``)."""
    throttle.count_address(service, request, "places_address")
    if (lat is None) != (lon is None):
        raise HTTPException(422, detail={"code": "invalid_request", "message": msg("lat_and_lon")})
    if "\x00" in q:
        raise HTTPException(422, detail={"code": "invalid_request", "message": msg("q_nul")})
    book: PlaceBook = service.place_book
    found = book.search(q, limit, lat, lon)
    body = "[" + ",".join(result_out(f).model_dump_json() for f in found) + "]"
    return Response(body, media_type="application/json",
                    headers={"X-Data-Attribution": _ascii_header(book.attribution)})


@router.get("/places/reverse", response_model=PlaceResultOut,
            responses={422: {"description": "outside the area (code outside_area) or bad coordinates "
                                            "(code invalid_request)"},
                       429: {"description": "too many look-ups from this address (code too_many_requests)"}})
def reverse_place(request: Request, lat: float = Query(ge=-90, le=90), lon: float = Query(ge=-180, le=180),
                  service: Service = Depends(get_service)) -> Response:
    """The place at a point (a map tap, the rider's position): the nearest address, else the
    nearest named street with its settlement, else the nearest settlement; ``distance_m`` from the
    point. 422 ``outside_area`` when the point is outside the network's area or nothing is known
    near it."""
    throttle.count_address(service, request, "places_address")
    book: PlaceBook = service.place_book
    found = book.reverse(lat, lon)
    if found is None:
        raise HTTPException(422, detail={"code": "outside_area", "message": msg(
            "outside_area", lat=f"{lat:.5f}", lon=f"{lon:.5f}")})
    return Response(result_out(found).model_dump_json(), media_type="application/json",
                    headers={"X-Data-Attribution": _ascii_header(book.attribution)})
