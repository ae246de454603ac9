"""``GET /api/v1/places/map``: the names the maps of the pages write on the road network (the
settlements of the gazetteer: towns, villages, hamlets), so that riders see where they are without
map tiles. Public like ``/stops``, cacheable; one request per page."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ride_pool.api.deps import get_service
from ride_pool.api.service import Service

router = APIRouter(prefix="/api/v1", tags=["places"])

#: a settlement's search rank (routing.gazetteer.SETTLEMENT_RANK) -> the type the map styles by
_TYPES = {6: "city", 5: "town", 4: "village", 3: "village", 2: "hamlet", 1: "isolated_dwelling"}


@router.get("/places/map")
def map_places(request: Request, service: Service = Depends(get_service)) -> Response:
    """``[{name, type, lat, lon}]``: the settlements of the network's gazetteer, the biggest
    first (``type`` one of ``city``, ``town``, ``village``, ``hamlet``, ``isolated_dwelling``)."""
    book = service.place_book
    body = getattr(book, "_map_places", None)
    if body is None:
        items = [{"name": e.name, "type": _TYPES.get(int(e.rank), "village"), "lat": round(float(e.lat), 6),
                  "lon": round(float(e.lon), 6)}
                 for e in book.places.entries if e.kind == "settlement"]
        items.sort(key=lambda p: -next((k for k, v in _TYPES.items() if v == p["type"]), 0))
        body = book._map_places = json.dumps(items, ensure_ascii=False).encode()
    return Response(body, media_type="application/json", headers={"Cache-Control": "public, max-age=3600"})
