"""Places: ``GET /api/v1/places`` (search) and ``GET /api/v1/places/reverse`` over the network's
gazetteer (settlements, streets, addresses, points of interest; built with the network, see
``routing/gazetteer.py``) and the service's stops, and the labels of points riders send without
one. Public like ``/stops``; limited per client address (``RIDE_POOL_LIMIT_PLACES_ADDRESS_*``)."""

from __future__ import annotations

import threading
import unicodedata

import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from scipy.spatial import cKDTree

from ride_pool.api import throttle
from ride_pool.api.deps import get_service
from ride_pool.api.schemas import PlaceResultOut
from ride_pool.api.service import Service
from ride_pool.db.repository import Repository, stops_generation
from routing.gazetteer import Gazetteer, GazetteerEntry, demo_gazetteer, empty_gazetteer
from routing.network import RoadNetwork
from routing.place_search import Found, PlaceIndex, Reverse

router = APIRouter(prefix="/api/v1", tags=["places"])

#: a point further than this from every road of the network is outside the area (reverse look-up)
OUTSIDE_M = 3000.0
#: labels pages used for points before they had reverse look-ups; the server labels such points itself
PLACEHOLDER_LABELS = ("mein standort", "punkt auf der karte", "my location", "point on the map")

_DEMO_PLACES: dict[tuple, Gazetteer] = {}
_DEMO_LOCK = threading.Lock()


def default_places(network: RoadNetwork) -> Gazetteer:
    """The synthetic demo's places for the demo network (built once per process); none else."""
    if not (network.synthetic and network.source.startswith("SYNTHETIC demo")):
        return empty_gazetteer(network)
    key = (network.source, network.node_count, network.edge_count)
    with _DEMO_LOCK:
        places = _DEMO_PLACES.get(key)
        if places is None:
            places = _DEMO_PLACES[key] = demo_gazetteer(network)
        return places


def stop_entry(stop) -> GazetteerEntry:
    town = (stop.town or "").strip()
    label = stop.name if not town or town.casefold() in stop.name.casefold() else f"{stop.name}, {town}"
    return GazetteerEntry("stop", stop.name, label, float(stop.lat), float(stop.lon), "Haltestelle " + town, 3,
                          int(stop.id))


class PlaceBook:
    """Search and reverse look-up for one service: the gazetteer's index (built once) and the
    stops' (rebuilt when a change of stops has committed)."""

    def __init__(self, network: RoadNetwork, places: Gazetteer | None, engine):
        self.places = places if places is not None else default_places(network)
        self.attribution = self.places.attribution or network.attribution
        centre = (float(np.mean(network.node_lat)), float(np.mean(network.node_lon)))
        self._centre = centre
        self.index = PlaceIndex(self.places.entries, projection_at=centre)
        self.reverse_index = Reverse(self.places)
        self.engine = engine
        self._lock = threading.Lock()
        self._stops: tuple[int | None, PlaceIndex] = (None, PlaceIndex([], projection_at=centre))
        self._nodes = cKDTree(self.index.projection.xy(network.node_lat, network.node_lon))

    def stop_index(self) -> PlaceIndex:
        generation = stops_generation()
        known, index = self._stops
        if known == generation:
            return index
        with self._lock:
            if self._stops[0] != generation:
                rows = Repository(self.engine).list_stops()
                self._stops = (generation, PlaceIndex([stop_entry(s) for s in rows], projection_at=self._centre))
            return self._stops[1]

    def search(self, q: str, limit: int = 10, lat: float | None = None, lon: float | None = None) -> list[Found]:
        found = self.stop_index().search(q, limit, lat, lon) + self.index.search(q, limit, lat, lon)
        if any(f.complete for f in found):      # places that match only some of the words are left out
            found = [f for f in found if f.complete]
        found.sort(key=lambda f: -f.score)
        return found[:limit]

    def inside(self, lat: float, lon: float) -> bool:
        d, _ = self._nodes.query(self.index.projection.xy([lat], [lon])[0])
        return bool(d <= OUTSIDE_M)

    def reverse(self, lat: float, lon: float) -> Found | None:
        """The nearest address, else street, else settlement; None outside the network's area or
        where the gazetteer knows nothing near."""
        if not self.inside(lat, lon):
            return None
        return self.reverse_index.nearest(lat, lon)

    def label(self, lat: float, lon: float, given: str | None) -> str:
        """The label a point is stored and shown with: the rider's, unless missing or a placeholder
        ("Mein Standort"); then the reverse look-up's ("Dorfstraße 12, Krögis"), else the
        coordinates."""
        if given and given.strip() and not given.strip().casefold().startswith(PLACEHOLDER_LABELS):
            return given.strip()
        hit = self.reverse(lat, lon)
        if hit is None:
            return f"{lat:.5f}, {lon:.5f}"
        return hit.entry.label if hit.distance_m is None or hit.distance_m < 60 or hit.entry.kind != "settlement" \
            else f"bei {hit.entry.label}"


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
        raise HTTPException(422, detail={"code": "invalid_request",
                                         "message": "give both lat and lon (the rider's position), or neither"})
    if "\x00" in q:
        raise HTTPException(422, detail={"code": "invalid_request", "message": "q: NUL characters are not allowed"})
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
        raise HTTPException(422, detail={"code": "outside_area", "message":
                                         f"the point lat={lat:.5f}, lon={lon:.5f} lies outside the area this "
                                         "service knows places of; choose a point inside the service area"})
    return Response(result_out(found).model_dump_json(), media_type="application/json",
                    headers={"X-Data-Attribution": _ascii_header(book.attribution)})
