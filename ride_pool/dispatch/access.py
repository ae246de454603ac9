"""How a rider gets on and off at a point that is not a stop: door-to-door where the rules allow
it, else at the nearest stop within walking distance (rule ``door_to_door``: ``"all"``,
``"wheelchair"`` - only trips with a wheelchair user - or ``"none"``; ``max_walk_m``).

The walking distance is the straight line from the asked point to its road plus the road
distance to the stop's road node (both directions; the shorter counts) plus the stop's own
distance from its road. The stops come from the service (:meth:`StopDirectory.replace`); places
keep the asked point and its label (:class:`~ride_pool.dispatch.domain.AskedPoint`), so drivers
and operators see both.
"""

from __future__ import annotations

import dataclasses
import math
import threading
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from ride_pool.dispatch.domain import AskedPoint, RejectCause, TripRequest
from ride_pool.dispatch.rules import ServiceRules
from ride_pool.messages import msg

#: how many of the straight-line nearest stops are compared by walking distance
CANDIDATES = 6


@dataclass(frozen=True)
class StopPoint:
    """A stop as the dispatcher needs it: id, name, point and road node."""

    stop_id: int
    name: str
    lat: float
    lon: float
    node: int


class StopDirectory:
    """The service's stops, found by distance (KD-tree on metres; replaced as a whole)."""

    def __init__(self, lat0: float = 51.0):
        self._lock = threading.Lock()
        self.kx = math.radians(1.0) * 6_371_008.8 * math.cos(math.radians(lat0))
        self.ky = math.radians(1.0) * 6_371_008.8
        self._stops: tuple[StopPoint, ...] = ()
        self._tree: cKDTree | None = None
        self.version: object = None

    def _xy(self, lat, lon) -> np.ndarray:
        return np.column_stack((np.asarray(lon, dtype=np.float64) * self.kx,
                                np.asarray(lat, dtype=np.float64) * self.ky))

    def replace(self, stops: list[StopPoint], version: object = None) -> None:
        stops = tuple(stops)
        tree = cKDTree(self._xy([s.lat for s in stops], [s.lon for s in stops])) if stops else None
        with self._lock:
            self._stops, self._tree, self.version = stops, tree, version

    def __len__(self) -> int:
        return len(self._stops)

    def near(self, lat: float, lon: float, radius_m: float, k: int = CANDIDATES) -> list[tuple[StopPoint, float]]:
        """Up to ``k`` stops within ``radius_m`` (straight line) of the point, nearest first."""
        with self._lock:
            stops, tree = self._stops, self._tree
        if tree is None:
            return []
        d, i = tree.query(self._xy([lat], [lon])[0], k=min(k, len(stops)), distance_upper_bound=radius_m)
        d, i = np.atleast_1d(d), np.atleast_1d(i)
        return [(stops[int(j)], float(dist)) for dist, j in zip(d, i) if np.isfinite(dist)]


def door_to_door_allowed(rules: ServiceRules, wheelchairs: int) -> bool:
    return rules.door_to_door == "all" or (rules.door_to_door == "wheelchair" and wheelchairs > 0)


def serve(request: TripRequest, rules: ServiceRules, stops: StopDirectory, place_at_node, walk_road_m,
          straight_m, usable=lambda stop: True) -> TripRequest | tuple[RejectCause, str]:
    """``request`` with each point that is not a stop served as the rules say: at the point itself
    (access ``door``) or at the nearest stop (``nearest_stop``, with the walking distance and the
    asked point), or the refusal (``no_stop_nearby``). ``place_at_node(node, name, stop_id)``,
    ``walk_road_m(a, b)`` (road metres between two nodes), ``straight_m(lat, lon, node)`` and
    ``usable(stop)`` (the stop lies in the service area) come from the dispatcher."""
    ends = {}
    for what, place in (("origin", request.origin), ("destination", request.destination)):
        if place.stop_id is not None:
            ends[what] = place if place.access else dataclasses.replace(place, access="stop")
            continue
        if place.access == "nearest_stop":      # served already (a re-quote of the same places)
            ends[what] = place
            continue
        if door_to_door_allowed(rules, request.wheelchairs):
            ends[what] = dataclasses.replace(place, access="door")
            continue
        asked = AskedPoint(place.name, place.lat, place.lon)
        to_road = straight_m(place.lat, place.lon, place.node)
        best: tuple[int, StopPoint] | None = None
        for stop, _ in stops.near(place.lat, place.lon, rules.max_walk_m):
            if not usable(stop):
                continue
            walk = to_road + walk_road_m(place.node, stop.node) + straight_m(stop.lat, stop.lon, stop.node)
            if walk <= rules.max_walk_m and (best is None or walk < best[0]):
                best = (int(round(walk)), stop)
        if best is None:
            return (RejectCause.NO_STOP_NEARBY, msg(
                "no_stop_nearby", where=msg("where_pickup" if what == "origin" else "where_dropoff"),
                place=place.name or f"{place.lat:.5f}, {place.lon:.5f}",
                who=msg("who_wheelchair" if rules.door_to_door == "wheelchair" else "who_nobody"),
                metres=rules.max_walk_m))
        walk, stop = best
        at_stop = place_at_node(stop.node, stop.name, stop.stop_id)
        ends[what] = dataclasses.replace(at_stop, lat=stop.lat, lon=stop.lon, access="nearest_stop", walk_m=walk,
                                         asked=asked)
    return dataclasses.replace(request, origin=ends["origin"], destination=ends["destination"])
