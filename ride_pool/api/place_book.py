"""Place search and reverse look-up of one service (:class:`PlaceBook`): the network's gazetteer
(built with the network, see ``routing/gazetteer.py``), indexed once, and the service's stops,
indexed again whenever a change of stops has committed; and the labels of points riders send
without one."""

from __future__ import annotations

import threading

import numpy as np
from scipy.spatial import cKDTree

from ride_pool.db.repository import Repository, stops_generation
from routing.gazetteer import Gazetteer, GazetteerEntry, demo_gazetteer, empty_gazetteer
from routing.network import RoadNetwork
from routing.place_search import Found, PlaceIndex, Reverse

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
