"""The service area and the places riders are picked up at: coordinates snapped to road nodes."""

from __future__ import annotations

import numbers

import numpy as np
from matplotlib.path import Path

from ride_pool.dispatch.domain import Place
from ride_pool.dispatch.errors import DispatchInputError, OutsideServiceArea
from routing.errors import RoutingInputError
from routing.travel_times import TravelTimes

_POLYGON_FORM = ("the service area must be a GeoJSON Polygon {\"type\": \"Polygon\", \"coordinates\": "
                 "[[[lon, lat], ...]]} or a list of [lon, lat] points")


class ServiceArea:
    """A polygon of ``[lon, lat]`` points (WGS84) that pickups and drop-offs must lie in."""

    def __init__(self, polygon):
        """``polygon``: a list of ``[lon, lat]`` points or a GeoJSON Polygon dict (its outer ring)."""
        ring = polygon
        if isinstance(polygon, dict):
            rings = polygon.get("coordinates")
            if polygon.get("type", "Polygon") != "Polygon" or not isinstance(rings, (list, tuple)) or not rings:
                raise DispatchInputError(_POLYGON_FORM)
            ring = rings[0]
        if not isinstance(ring, (list, tuple, np.ndarray)) or not all(
                isinstance(p, (list, tuple, np.ndarray)) and len(p) == 2
                and all(isinstance(x, numbers.Real) and not isinstance(x, bool) for x in p) for p in ring):
            raise DispatchInputError("the service area must be a polygon of at least 3 [lon, lat] points (numbers)")
        pts = np.asarray(ring, dtype=np.float64)
        if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 3 or not np.isfinite(pts).all():
            raise DispatchInputError("the service area must be a polygon of at least 3 [lon, lat] points")
        if np.any(np.abs(pts[:, 0]) > 180) or np.any(np.abs(pts[:, 1]) > 90):
            raise DispatchInputError("service area points must be [lon, lat] in WGS84 degrees")
        self.points: list[list[float]] = pts.tolist()
        self._path = Path(pts)

    def contains(self, lon: float, lat: float) -> bool:
        return bool(self._path.contains_point((lon, lat)))


def area_of(polygon) -> ServiceArea | None:
    """The :class:`ServiceArea` of ``polygon``; None (everywhere near the road network) for None."""
    return None if polygon is None else ServiceArea(polygon)


class Places:
    """Turns coordinates into dispatcher places on the road network, inside the service area."""

    def __init__(self, travel_times: TravelTimes, area: ServiceArea | None = None):
        self.tt = travel_times
        self.area = area

    def place(self, lat: float, lon: float, name: str = "", stop_id: int | None = None) -> Place:
        """A pickup/drop-off place at a coordinate (snapped to the nearest road node)."""
        try:
            lat, lon = float(lat), float(lon)
        except (TypeError, ValueError):
            raise DispatchInputError("lat and lon must be numbers (WGS84 degrees)") from None
        if not (np.isfinite(lat) and np.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
            raise DispatchInputError(f"invalid coordinate lat={lat}, lon={lon}: latitude must be in [-90, 90] and "
                                     "longitude in [-180, 180]")
        if self.area is not None and not self.area.contains(lon, lat):
            raise OutsideServiceArea(f"the point lat={lat:.5f}, lon={lon:.5f} lies outside the service area")
        try:
            node, _ = self.tt.snap(lon, lat)
        except RoutingInputError as exc:
            raise OutsideServiceArea(f"the point lat={lat:.5f}, lon={lon:.5f} lies outside the service area "
                                     f"({exc})") from None
        return Place(node=node, lat=lat, lon=lon, name=name, stop_id=stop_id)

    def place_at_node(self, node: int, name: str = "", stop_id: int | None = None) -> Place:
        """The place of road node ``node`` (its coordinates)."""
        net = self.tt.network
        if not 0 <= int(node) < net.node_count:
            raise DispatchInputError(f"node {node} is not in the road network (0..{net.node_count - 1})")
        return Place(node=int(node), lat=float(net.node_lat[node]), lon=float(net.node_lon[node]), name=name,
                     stop_id=stop_id)

    def reported_place(self, lat, lon) -> Place:
        """Where a vehicle reported itself: inside the area if there is one, else snapped anyway
        (a vehicle may drive through places riders cannot book)."""
        if self.area is None:
            return self.place(lat, lon)
        try:
            node, _ = self.tt.snap(float(lon), float(lat))
        except (RoutingInputError, TypeError, ValueError) as exc:
            raise DispatchInputError(str(exc)) from None
        return Place(node=node, lat=float(lat), lon=float(lon))

    def check_node(self, node) -> int:
        """``node`` as an ``int`` if it is a road node (else :class:`DispatchInputError`)."""
        net = self.tt.network
        if isinstance(node, bool) or not isinstance(node, numbers.Integral) or not 0 <= node < net.node_count:
            raise DispatchInputError(f"node {node!r} is not in the road network (0..{net.node_count - 1})")
        return int(node)
