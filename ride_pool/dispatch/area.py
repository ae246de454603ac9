"""The service area and the places riders are picked up at: coordinates snapped to road nodes.

The area is a polygon (WGS84 ``[lon, lat]``) checked once when it is set, with shapely (GEOS):
a polygon that crosses itself or whose hole lies outside it is refused with where it goes wrong;
GeoJSON holes (the rings after the first) are honoured (a point in a hole is outside the area);
at most :data:`MAX_AREA_POINTS` points. Point tests use the prepared geometry, so a detailed
county border costs quotes next to nothing.
"""

from __future__ import annotations

import logging
import numbers
import re

import numpy as np
import shapely

from ride_pool.dispatch.domain import Place
from ride_pool.dispatch.errors import DispatchInputError, OutsideServiceArea
from ride_pool.messages import Message, msg
from routing.errors import RoutingInputError
from routing.travel_times import TravelTimes

log = logging.getLogger(__name__)

#: the most points a service-area polygon may have (all rings together); a county border
#: simplified to ~10 m has a few thousand
MAX_AREA_POINTS = 10_000
#: the error code of a refused polygon
INVALID_AREA = "invalid_area"

_WHERE = re.compile(r"^(?P<what>[^\[]*)\[(?P<lon>[-0-9.eE+]+) (?P<lat>[-0-9.eE+]+)")


def _refuse(message: Message):
    return DispatchInputError(message, code=INVALID_AREA)


def _rings(polygon) -> list[np.ndarray]:
    """The rings of ``polygon`` (outer first, then holes) as ``n x 2`` arrays, shape-checked."""
    rings = [polygon]
    if isinstance(polygon, dict):
        rings = polygon.get("coordinates")
        if polygon.get("type", "Polygon") != "Polygon" or not isinstance(rings, (list, tuple)) or not rings:
            raise _refuse(msg("area_form"))
    out = []
    for number, ring in enumerate(rings):
        what = msg("area_outer") if number == 0 else msg("area_hole", number=number)
        if not isinstance(ring, (list, tuple, np.ndarray)) or not all(
                isinstance(p, (list, tuple, np.ndarray)) and len(p) == 2
                and all(isinstance(x, numbers.Real) and not isinstance(x, bool) for x in p) for p in ring):
            raise _refuse(msg("area_ring_numbers", what=what))
        pts = np.asarray(ring, dtype=np.float64)
        if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 3 or not np.isfinite(pts).all():
            raise _refuse(msg("area_ring", what=what))
        if np.any(np.abs(pts[:, 0]) > 180) or np.any(np.abs(pts[:, 1]) > 90):
            raise _refuse(msg("area_degrees"))
        out.append(pts)
    return out


def _explain(reason: str) -> Message:
    """GEOS's reason for an invalid polygon as a sentence an operator can act on."""
    match = _WHERE.match(reason)
    what = (match.group("what") if match else reason).strip()
    where = msg("area_where", lon=f"{float(match.group('lon')):.6f}", lat=f"{float(match.group('lat')):.6f}") \
        if match else ""
    if "Self-intersection" in what:
        return msg("area_self_intersection", where=where)
    if what == "Hole lies outside shell":
        return msg("area_hole_outside", where=where)
    if what in ("Nested holes", "Holes are nested"):
        return msg("area_nested_holes", where=where)
    if what == "Interior is disconnected":
        return msg("area_disconnected", where=where)
    if what.startswith("Too few points"):
        return msg("area_too_few_points", where=where)
    return msg("area_invalid", reason=what, where=where)


class ServiceArea:
    """A polygon of ``[lon, lat]`` points (WGS84), optionally with holes, that pickups and
    drop-offs must lie in (a point on the border counts as inside)."""

    def __init__(self, polygon, *, checked: bool = True):
        """``polygon``: a list of ``[lon, lat]`` points or a GeoJSON Polygon dict (outer ring and
        holes). ``checked`` False (a polygon stored before these checks existed) repairs an
        invalid geometry instead of refusing it, so an old database still starts."""
        rings = _rings(polygon)
        total = sum(len(r) for r in rings)
        if checked and total > MAX_AREA_POINTS:
            raise _refuse(msg("area_too_many_points", total=total, most=MAX_AREA_POINTS))
        shape = shapely.Polygon(rings[0], rings[1:])
        reason = shapely.is_valid_reason(shape)
        if reason != "Valid Geometry":
            if checked:
                raise _refuse(_explain(reason))
            log.warning("the stored service area is not a valid polygon (%s); using its repaired form", reason)
            shape = shapely.make_valid(shape)
        shapely.prepare(shape)
        self._shape = shape
        #: what is stored and shown: the ring as given, or a GeoJSON Polygon when it has holes
        self.points: list | dict = rings[0].tolist() if len(rings) == 1 else {
            "type": "Polygon", "coordinates": [ring.tolist() for ring in rings]}

    def contains(self, lon: float, lat: float) -> bool:
        return bool(shapely.intersects_xy(self._shape, lon, lat))


def area_of(polygon, *, checked: bool = True) -> ServiceArea | None:
    """The :class:`ServiceArea` of ``polygon``; None (everywhere near the road network) for None."""
    return None if polygon is None else ServiceArea(polygon, checked=checked)


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
            raise DispatchInputError(msg("coordinates_not_numbers")) from None
        if not (np.isfinite(lat) and np.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
            raise DispatchInputError(msg("coordinates_invalid", lat=lat, lon=lon))
        if self.area is not None and not self.area.contains(lon, lat):
            raise OutsideServiceArea(msg("point_outside_area", lat=f"{lat:.5f}", lon=f"{lon:.5f}"))
        try:
            node, _ = self.tt.snap(lon, lat)
        except RoutingInputError as exc:
            raise OutsideServiceArea(msg("point_far_from_road", lat=f"{lat:.5f}", lon=f"{lon:.5f}",
                                         detail=str(exc))) from None
        return Place(node=node, lat=lat, lon=lon, name=name, stop_id=stop_id)

    def place_at_node(self, node: int, name: str = "", stop_id: int | None = None) -> Place:
        """The place of road node ``node`` (its coordinates)."""
        net = self.tt.network
        if not 0 <= int(node) < net.node_count:
            raise DispatchInputError(msg("node_unknown", node=node, last=net.node_count - 1))
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
            raise DispatchInputError(msg("position_not_snapped", detail=str(exc))) from None
        return Place(node=node, lat=float(lat), lon=float(lon))

    def check_node(self, node) -> int:
        """``node`` as an ``int`` if it is a road node (else :class:`DispatchInputError`)."""
        net = self.tt.network
        if isinstance(node, bool) or not isinstance(node, numbers.Integral) or not 0 <= node < net.node_count:
            raise DispatchInputError(msg("node_unknown", node=repr(node), last=net.node_count - 1))
        return int(node)
