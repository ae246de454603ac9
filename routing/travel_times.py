"""Travel times over a road network: snapping, one-to-many, matrices and paths.

Wraps the numba kernels of :mod:`routing.kernels` with input checks; all times in integer
seconds, distances in metres.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from routing import kernels
from routing.errors import PointOutsideNetworkError, RoutingInputError
from routing.geo import local_projection
from routing.kernels import NO_CUTOFF, UNREACHABLE
from routing.network import RoadNetwork

#: Default for how far a point may lie from the nearest road node and still be served.
DEFAULT_MAX_SNAP_DISTANCE_M = 500.0


@dataclass(frozen=True)
class Route:
    """The fastest path between two nodes, for the driver's navigation and for maps."""

    nodes: np.ndarray
    edges: np.ndarray
    travel_time_s: int
    length_m: int
    lon: np.ndarray
    lat: np.ndarray

    def to_geojson(self, **properties) -> dict:
        """A GeoJSON Feature (LineString) with travel time and distance as properties."""
        coordinates = [[round(float(x), 7), round(float(y), 7)] for x, y in zip(self.lon, self.lat)]
        if len(coordinates) == 1:  # origin and destination on the same node: a LineString needs two positions
            coordinates.append(list(coordinates[0]))
        return {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": coordinates},
            "properties": {"travel_time_s": self.travel_time_s, "length_m": self.length_m, **properties},
        }


class TravelTimes:
    """Travel-time queries on one :class:`RoadNetwork`."""

    def __init__(self, network: RoadNetwork, *, max_snap_distance_m: float = DEFAULT_MAX_SNAP_DISTANCE_M):
        if not max_snap_distance_m > 0:
            raise RoutingInputError("max_snap_distance_m must be a positive number of metres")
        self.network = network
        self.max_snap_distance_m = float(max_snap_distance_m)
        self._project = local_projection(float(np.mean(network.node_lon)), float(np.mean(network.node_lat)))
        x, y = self._project(network.node_lon, network.node_lat)
        self._tree = cKDTree(np.column_stack((x, y)))
        self._hierarchy = None
        self._hierarchy_lock = threading.Lock()
        self._goal = None

    @property
    def project(self):
        """The network's local projection: ``project(lon, lat) -> (x, y)`` in metres."""
        return self._project

    @property
    def node_tree(self) -> cKDTree:
        """KD-tree over the projected road nodes (``node_tree.data`` holds their x/y in metres)."""
        return self._tree

    def hierarchy(self):
        """The network's :class:`~routing.ch.ContractionHierarchy` (built on first use, then kept)."""
        if self._hierarchy is None:
            with self._hierarchy_lock:
                if self._hierarchy is None:
                    from routing.ch import ContractionHierarchy

                    net = self.network
                    self._hierarchy = ContractionHierarchy.build(net.indptr, net.head, net.travel_time_s)
        return self._hierarchy

    # ------------------------------------------------------------------ snapping
    def snap(self, lon: float, lat: float) -> tuple[int, float]:
        """Nearest node to a point and its distance in metres; error if beyond the limit."""
        nodes, distances = self.snap_many([lon], [lat])
        return int(nodes[0]), float(distances[0])

    def snap_many(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        """Nearest nodes for many points (KD-tree on projected coordinates)."""
        lon = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        lat = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        if lon.shape != lat.shape:
            raise RoutingInputError("give as many longitudes as latitudes")
        bad = ~np.isfinite(lon) | ~np.isfinite(lat) | (np.abs(lat) > 90) | (np.abs(lon) > 180)
        if bad.any():
            i = int(np.argmax(bad))
            raise RoutingInputError(
                f"invalid coordinate lon={lon[i]}, lat={lat[i]}: longitude must be in [-180, 180] "
                "and latitude in [-90, 90] (WGS84 degrees, longitude first)"
            )
        x, y = self._project(lon, lat)
        distances, nodes = self._tree.query(np.column_stack((x, y)))
        too_far = distances > self.max_snap_distance_m
        if too_far.any():
            i = int(np.argmax(too_far))
            s = self.network.summary()["bbox"]
            raise PointOutsideNetworkError(
                f"point lon={lon[i]:.6f}, lat={lat[i]:.6f} is {distances[i]:,.0f} m from the nearest road of "
                f"network '{self.network.name}' (limit {self.max_snap_distance_m:,.0f} m); choose a point "
                f"inside the network's area lon {s['min_lon']}..{s['max_lon']}, lat {s['min_lat']}..{s['max_lat']}"
            )
        return nodes.astype(np.int64), distances

    # ------------------------------------------------------------------ travel times
    def _node(self, node, what: str) -> int:
        """One node index, checked (a plain integer is checked without numpy: paths ask often)."""
        if isinstance(node, (int, np.integer)) and not isinstance(node, bool):
            if 0 <= node < self.network.node_count:
                return int(node)
            raise RoutingInputError(f"{what} must be node indices in [0, {self.network.node_count})")
        return int(self._nodes(node, what)[0])

    def _nodes(self, nodes, what: str) -> np.ndarray:
        arr = np.atleast_1d(np.asarray(nodes))
        if arr.size == 0:  # an empty list is float64 to numpy, but it is a valid (empty) node list
            return np.zeros(0, dtype=np.int64)
        if arr.dtype.kind not in "iu":
            raise RoutingInputError(f"{what} must be integer node indices")
        arr = arr.astype(np.int64)
        if arr.size and (arr.min() < 0 or arr.max() >= self.network.node_count):
            raise RoutingInputError(f"{what} must be node indices in [0, {self.network.node_count})")
        return arr

    @staticmethod
    def _cutoff(cutoff_s) -> int:
        if cutoff_s is None:
            return NO_CUTOFF
        if cutoff_s < 0:
            raise RoutingInputError("cutoff_s must not be negative")
        return int(cutoff_s)

    def one_to_all(self, source: int, cutoff_s: int | None = None) -> np.ndarray:
        """Seconds from ``source`` to every node (UNREACHABLE where none or beyond the cut-off)."""
        src = self._node(source, "source")
        net = self.network
        dist, _ = kernels.shortest_path_tree(net.indptr, net.head, net.travel_time_s, src, self._cutoff(cutoff_s))
        return dist

    def one_to_many(self, source: int, targets, cutoff_s: int | None = None) -> np.ndarray:
        """Seconds from ``source`` to each target; the search stops once all are reached."""
        src = self._node(source, "source")
        net = self.network
        return kernels.one_to_many(
            net.indptr, net.head, net.travel_time_s, src, self._nodes(targets, "targets"), self._cutoff(cutoff_s)
        )

    def matrix(self, sources, targets, cutoff_s: int | None = None) -> np.ndarray:
        """Travel-time matrix ``[sources, targets]`` in seconds (int32). Once the network's
        :meth:`hierarchy` exists (the service builds it at start), and with no cutoff, by its bucket
        algorithm; otherwise by Dijkstra searches in parallel over sources. Both are exact."""
        net = self.network
        src = self._nodes(sources, "sources")
        dst = self._nodes(targets, "targets")
        if len(src) == 0 or len(dst) == 0:
            return np.zeros((len(src), len(dst)), dtype=np.int32)
        if self._hierarchy is not None and cutoff_s is None:
            return self._hierarchy.matrix(src, dst).astype(np.int32)
        return kernels.many_to_many(net.indptr, net.head, net.travel_time_s, src, dst, self._cutoff(cutoff_s))

    def route(self, source: int, target: int) -> Route:
        """Fastest path: node sequence, edges, time, length and the polyline (with shape points)."""
        src = self._node(source, "source")
        dst = self._node(target, "target")
        net = self.network
        dist, pred_edge = kernels.shortest_path_tree(net.indptr, net.head, net.travel_time_s, src, NO_CUTOFF)
        if dist[dst] == UNREACHABLE:
            raise RoutingInputError(f"node {dst} cannot be reached from node {src}")
        tail = net.tail()
        edges = []
        node = dst
        while node != src:
            e = int(pred_edge[node])
            edges.append(e)
            node = int(tail[e])
        edges.reverse()
        nodes = np.array([src] + [int(net.head[e]) for e in edges], dtype=np.int64)
        lon = [net.node_lon[src]]
        lat = [net.node_lat[src]]
        for e in edges:
            g0, g1 = net.geometry_indptr[e], net.geometry_indptr[e + 1]
            lon.extend(net.geometry_lon[g0:g1])
            lat.extend(net.geometry_lat[g0:g1])
            lon.append(net.node_lon[net.head[e]])
            lat.append(net.node_lat[net.head[e]])
        edges_arr = np.array(edges, dtype=np.int64)
        return Route(
            nodes=nodes,
            edges=edges_arr,
            travel_time_s=int(dist[dst]),
            length_m=int(net.length_m[edges_arr].sum()) if len(edges) else 0,
            lon=np.asarray(lon),
            lat=np.asarray(lat),
        )

    def path_work(self) -> tuple:
        """Work arrays for :meth:`time_and_length` (reuse them: one set per thread)."""
        return kernels.goal_work_arrays(self.network.node_count, len(self.network.head))

    def _goal_tables(self) -> tuple:
        """Reverse graph and landmark times for :meth:`time_and_length`'s goal-directed search
        (computed on first use: two Dijkstras per landmark, ~1 s on a state network)."""
        if self._goal is None:
            with self._hierarchy_lock:
                if self._goal is None:
                    net = self.network
                    xy = self._tree.data
                    from_lm, to_lm = kernels.landmark_tables(net.indptr, net.head, net.travel_time_s, xy[:, 0],
                                                             xy[:, 1])
                    self._goal = (*kernels.reverse_graph(net.indptr, net.head), from_lm, to_lm)
        return self._goal

    def time_and_length(self, source: int, target: int, work: tuple | None = None) -> tuple[int, int]:
        """Seconds and metres of the fastest path (the one :meth:`route` returns) without building
        it; ``(UNREACHABLE, 0)`` when there is none. ``work``: arrays from :meth:`path_work`, reused
        between calls (never by two threads at once)."""
        net = self.network
        source, target = self._node(source, "source"), self._node(target, "target")
        if work is None:
            work = self.path_work()
        # the Dijkstra's path of kernels.path_time_and_length, found by A* with landmarks (exact,
        # ties included; ~4x fewer nodes settled on the state network)
        seconds, metres = kernels.path_time_and_length_goal(net.indptr, net.head, net.travel_time_s, net.length_m,
                                                            *self._goal_tables(), source, target, *work)
        return int(seconds), int(metres)

    def route_between(self, origin: tuple[float, float], destination: tuple[float, float]) -> dict:
        """Route between two (lon, lat) points as a GeoJSON Feature with the snapping facts."""
        o_node, o_dist = self.snap(*origin)
        d_node, d_dist = self.snap(*destination)
        route = self.route(o_node, d_node)
        return route.to_geojson(
            network=self.network.name,
            synthetic=self.network.synthetic,
            origin_snap_m=round(o_dist, 1),
            destination_snap_m=round(d_dist, 1),
            attribution=self.network.attribution,
        )

    @staticmethod
    def warm_up() -> None:
        """Compile or load the numba kernels now rather than on the first request."""
        kernels.warm_up()
