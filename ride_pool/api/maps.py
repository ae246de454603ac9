"""The road network as the pages draw it: GeoJSON of the roads, path polylines, and which points
lie near a road (all cached per service)."""

from __future__ import annotations

import gzip
import hashlib
import json

import numpy as np

from routing.network import ROAD_CLASSES, RoadNetwork
from routing.travel_times import TravelTimes


class NetworkMaps:
    """Map renderings of one road network."""

    def __init__(self, network: RoadNetwork, travel_times: TravelTimes):
        self.network = network
        self.travel_times = travel_times
        self._geojson: dict | None = None
        self._geojson_bytes: tuple[bytes, bytes, str] | None = None
        self._route_cache: dict[tuple[int, int], list[list[float]]] = {}
        self._unbounded_snap: TravelTimes | None = None

    def network_geojson_bytes(self) -> tuple[bytes, bytes, str]:
        """(JSON bytes, their gzip, an ETag) of :meth:`network_geojson`, made once."""
        if self._geojson_bytes is None:
            plain = json.dumps(self.network_geojson(), separators=(",", ":")).encode()
            self._geojson_bytes = (plain, gzip.compress(plain, 6),
                                   '"' + hashlib.sha256(plain).hexdigest()[:32] + '"')
        return self._geojson_bytes

    def network_geojson(self) -> dict:
        """The road network as a GeoJSON FeatureCollection of lines with their road class (cached;
        each two-way road once)."""
        if self._geojson is not None:
            return self._geojson
        net = self.network
        tail, head = net.tail(), net.head
        features = []
        seen = set()
        for e in range(net.edge_count):
            u, v = int(tail[e]), int(head[e])
            key = (min(u, v), max(u, v))
            if key in seen:
                continue
            seen.add(key)
            g0, g1 = int(net.geometry_indptr[e]), int(net.geometry_indptr[e + 1])
            coords = [[round(float(net.node_lon[u]), 5), round(float(net.node_lat[u]), 5)]]
            coords += [[round(float(x), 5), round(float(y), 5)] for x, y in zip(net.geometry_lon[g0:g1],
                                                                              net.geometry_lat[g0:g1])]
            coords.append([round(float(net.node_lon[v]), 5), round(float(net.node_lat[v]), 5)])
            features.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": coords},
                             "properties": {"road_class": ROAD_CLASSES[int(net.road_class[e])]}})
        self._geojson = {"type": "FeatureCollection", "features": features,
                         "properties": {"name": net.name, "synthetic": bool(net.synthetic),
                                        "attribution": net.attribution}}
        return self._geojson

    def polyline(self, from_node: int, to_node: int) -> list[list[float]]:
        """[[lat, lon], ...] of the fastest path (cached)."""
        key = (int(from_node), int(to_node))
        line = self._route_cache.get(key)
        if line is None:
            if key[0] == key[1]:
                net = self.network
                line = [[round(float(net.node_lat[key[0]]), 6), round(float(net.node_lon[key[0]]), 6)]]
            else:
                route = self.travel_times.route(*key)
                line = [[round(float(a), 6), round(float(o), 6)] for a, o in zip(route.lat, route.lon)]
            if len(self._route_cache) > 20_000:
                self._route_cache.clear()
            self._route_cache[key] = line
        return line

    def near_road(self, lats, lons) -> np.ndarray:
        """For many points at once: whether each lies within the snapping distance of a road (the
        check :meth:`Dispatcher.place` makes one point at a time, vectorised for stop imports)."""
        if self._unbounded_snap is None:
            self._unbounded_snap = TravelTimes(self.network, max_snap_distance_m=float("inf"))
        if len(lats) == 0:
            return np.zeros(0, dtype=bool)
        _, distances = self._unbounded_snap.snap_many(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        return distances <= self.travel_times.max_snap_distance_m
