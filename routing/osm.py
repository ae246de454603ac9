"""Road networks from OpenStreetMap: a local file, or a place name downloaded through osmnx.

Both end in :func:`network_from_osmnx_graph`, so the code after the download is the same as for
a file: an unsimplified osmnx graph gets German speeds per road class (honouring ``maxspeed``),
is simplified with travel times summed exactly, and is assembled into a :class:`RoadNetwork`.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

import networkx as nx
import numpy as np

from routing.build import DEFAULT_MAX_EDGE_LENGTH_M, assemble_network
from routing.errors import OsmInputError
from routing.network import OSM_ATTRIBUTION, ROAD_CLASS_INDEX, RoadNetwork
from routing.speeds import edge_speed_kph, road_class_of

log = logging.getLogger(__name__)

OSM_FILE_SUFFIXES = (".osm", ".osm.gz", ".osm.bz2", ".osm.pbf")

# osmnx's "drive" network filter, applied to a local file (osmnx.graph_from_xml keeps every way).
_EXCLUDED_HIGHWAYS = frozenset(
    "abandoned bridleway bus_guideway construction corridor cycleway elevator escalator footway "
    "no path pedestrian planned platform proposed raceway razed rest_area service services steps "
    "track bus_stop emergency_bay".split()
)
_EXCLUDED_SERVICE = ("alley", "driveway", "emergency_access", "parking", "parking_aisle", "private")
# Tags osmnx turns into edge attributes that matter for driving.
_KEPT_TAGS = ("highway", "maxspeed", "oneway", "junction", "name", "ref", "access", "area", "service")


def is_drivable(tags) -> bool:
    """osmnx's ``drive`` rules: a public road a car may use (no tracks, paths, service roads)."""
    highway = tags.get("highway")
    if not highway or highway in _EXCLUDED_HIGHWAYS:
        return False
    if "yes" in tags.get("area", ""):
        return False
    if "private" in tags.get("access", ""):
        return False
    if "no" in (tags.get("motor_vehicle", ""), tags.get("motorcar", "")):
        return False
    service = tags.get("service", "")
    return not any(s in service for s in _EXCLUDED_SERVICE)


def osm_file_kind(path: Path) -> str:
    """``"xml"`` or ``"pbf"``; raises OsmInputError for any other file name."""
    name = path.name.lower()
    if name.endswith(".osm.pbf") or name.endswith(".pbf"):
        return "pbf"
    if name.endswith((".osm", ".osm.gz", ".osm.bz2", ".xml", ".xml.gz", ".xml.bz2")):
        return "xml"
    raise OsmInputError(
        f"{path}: unknown file type; expected an OpenStreetMap file ending in "
        f"{', '.join(OSM_FILE_SUFFIXES)}"
    )


def network_from_osm_file(
    path: str | os.PathLike,
    *,
    name: str | None = None,
    max_edge_length_m: float = DEFAULT_MAX_EDGE_LENGTH_M,
) -> RoadNetwork:
    """Build a network from an OSM file (``.osm``, ``.osm.gz``, ``.osm.bz2`` or ``.osm.pbf``).

    Drivable ways are filtered with pyosmium first; ways clipped at the extract's edge are cut
    into their runs of nodes that the file has. The rest goes through osmnx.
    """
    import osmnx as ox

    path = Path(path)
    osm_file_kind(path)
    if not path.is_file():
        raise OsmInputError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise OsmInputError(f"{path}: the file is empty; download the OSM extract again")
    with tempfile.TemporaryDirectory(prefix="ride_pool_osm_") as tmp:
        drive_xml = Path(tmp) / "drive.osm"
        ways, clipped = write_drivable_xml(path, drive_xml)
        if ways == 0:
            raise OsmInputError(
                f"{path}: contains no drivable roads (no way with a drivable highway=* tag); "
                "is it the right extract?"
            )
        try:
            graph = ox.graph_from_xml(drive_xml, simplify=False, retain_all=True)
        except Exception as exc:  # osmnx raises plain ValueErrors etc. for odd data
            raise OsmInputError(f"{path}: osmnx could not build a graph from the drivable ways: {exc}") from exc
    log.info("%s: %d drivable ways, %d clipped at the extract edge", path, ways, clipped)
    return network_from_osmnx_graph(
        graph,
        name=name or _stem(path),
        source=f"OSM file {path.name}",
        max_edge_length_m=max_edge_length_m,
        extra={"drivable_ways": ways, "ways_clipped_at_edge": clipped},
    )


def network_from_place(
    place: str,
    *,
    name: str | None = None,
    max_edge_length_m: float = DEFAULT_MAX_EDGE_LENGTH_M,
) -> RoadNetwork:
    """Download the drivable roads of a place (e.g. ``"Landkreis Meißen, Sachsen"``) with osmnx.

    Needs internet (Nominatim and Overpass). After the download the code path is the file's.
    """
    import osmnx as ox
    import requests

    if not place or not place.strip():
        raise OsmInputError("place name is empty; give e.g. place:\"Landkreis Meißen, Sachsen\"")
    try:
        graph = ox.graph_from_place(
            place, network_type="drive", simplify=False, retain_all=True, truncate_by_edge=True
        )
    except requests.exceptions.RequestException as exc:
        raise OsmInputError(
            f"place {place!r}: could not download OSM data ({type(exc).__name__}); this needs internet "
            "access to Nominatim and Overpass, or build from a downloaded .osm.pbf file instead"
        ) from exc
    except (ox._errors.InsufficientResponseError, TypeError, ValueError) as exc:
        raise OsmInputError(
            f"place {place!r}: osmnx could not resolve it to an area with roads ({exc}); "
            "check the spelling, e.g. \"Landkreis Meißen, Sachsen, Deutschland\""
        ) from exc
    return network_from_osmnx_graph(
        graph, name=name or place.split(",")[0].strip(), source=f"OSM place {place}",
        max_edge_length_m=max_edge_length_m,
    )


def network_from_osmnx_graph(
    graph: nx.MultiDiGraph,
    *,
    name: str,
    source: str,
    max_edge_length_m: float = DEFAULT_MAX_EDGE_LENGTH_M,
    extra: dict | None = None,
) -> RoadNetwork:
    """Turn an osmnx graph (best unsimplified, as downloaded) into a :class:`RoadNetwork`."""
    import osmnx as ox

    if graph.number_of_edges() == 0:
        raise OsmInputError(f"{source}: contains no drivable roads")
    graph = graph.copy()
    for _, _, data in graph.edges(data=True):
        speed = edge_speed_kph(data.get("highway"), data.get("maxspeed"))
        data["travel_time"] = float(data["length"]) / (speed / 3.6)
        data["road_class"] = ROAD_CLASS_INDEX[road_class_of(data.get("highway"))]
    if not graph.graph.get("simplified"):
        # Sum travel times before merging segments, so per-segment speeds stay exact.
        graph = ox.simplify_graph(
            graph, edge_attr_aggs={"length": sum, "travel_time": sum, "road_class": min}
        )

    nodes = list(graph.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    node_lon = np.array([graph.nodes[n]["x"] for n in nodes], dtype=np.float64)
    node_lat = np.array([graph.nodes[n]["y"] for n in nodes], dtype=np.float64)
    node_osm_id = np.array([n if isinstance(n, (int, np.integer)) else -1 for n in nodes], dtype=np.int64)
    edge_from, edge_to, length, time, cls = [], [], [], [], []
    geometry_indptr = [0]
    geometry_lon: list[float] = []
    geometry_lat: list[float] = []
    for u, v, data in graph.edges(data=True):
        edge_from.append(index[u])
        edge_to.append(index[v])
        length.append(float(data["length"]))
        time.append(max(float(data["travel_time"]), 1e-3))
        road_class = data["road_class"]
        cls.append(min(road_class) if isinstance(road_class, list) else road_class)
        geometry = data.get("geometry")
        if geometry is not None:
            coords = np.asarray(geometry.coords)[1:-1]
            geometry_lon.extend(coords[:, 0])
            geometry_lat.extend(coords[:, 1])
        geometry_indptr.append(len(geometry_lon))
    return assemble_network(
        name=name,
        source=source,
        synthetic=False,
        node_lon=node_lon,
        node_lat=node_lat,
        node_osm_id=node_osm_id,
        edge_from=np.asarray(edge_from),
        edge_to=np.asarray(edge_to),
        edge_length_m=np.asarray(length),
        edge_time_s=np.asarray(time),
        edge_class=np.asarray(cls),
        geometry_indptr=np.asarray(geometry_indptr),
        geometry_lon=np.asarray(geometry_lon),
        geometry_lat=np.asarray(geometry_lat),
        max_edge_length_m=max_edge_length_m,
        attribution=OSM_ATTRIBUTION,
        extra=extra,
    )


def write_drivable_xml(path: Path, out: Path) -> tuple[int, int]:
    """Write the file's drivable ways (and their nodes) as OSM XML for osmnx.

    Returns (ways written, ways clipped at the extract's edge). A way that refers to nodes the
    file does not have is cut into its runs of present nodes; runs after the first get new ids.
    """
    import osmium

    ways: list[tuple[int, list[tuple[int, float, float]], dict]] = []
    clipped = 0
    max_way_id = 0
    try:
        processor = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        )
        for way in processor:
            max_way_id = max(max_way_id, way.id)
            tags = {t.k: t.v for t in way.tags}
            if not is_drivable(tags):
                continue
            runs: list[list[tuple[int, float, float]]] = [[]]
            for ref in way.nodes:
                if ref.location.valid():
                    runs[-1].append((ref.ref, ref.location.lon, ref.location.lat))
                elif runs[-1]:
                    runs.append([])
            runs = [r for r in runs if len(r) >= 2]
            if len(runs) != 1 or len(runs[0]) != len(way.nodes):
                clipped += 1
            kept = {k: v for k, v in tags.items() if k in _KEPT_TAGS}
            for run in runs:
                ways.append((way.id, run, kept))
    except RuntimeError as exc:
        raise OsmInputError(f"{path}: cannot read the OSM file ({exc}); is it corrupt or truncated?") from exc
    next_id = max_way_id + 1
    seen_ids: set[int] = set()
    nodes: dict[int, tuple[float, float]] = {}
    with open(out, "w", encoding="utf-8") as fh:
        fh.write("<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\" generator=\"ride_pool\">\n")
        for _, run, _ in ways:
            for ref, lon, lat in run:
                nodes[ref] = (lon, lat)
        for ref, (lon, lat) in nodes.items():
            fh.write(f'<node id="{ref}" lat="{lat:.7f}" lon="{lon:.7f}"/>\n')
        for way_id, run, tags in ways:
            if way_id in seen_ids:
                way_id, next_id = next_id, next_id + 1
            seen_ids.add(way_id)
            fh.write(f'<way id="{way_id}">')
            fh.write("".join(f'<nd ref="{ref}"/>' for ref, _, _ in run))
            fh.write("".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()))
            fh.write("</way>\n")
        fh.write("</osm>\n")
    return len({w[0] for w in ways}), clipped


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".osm.pbf", ".osm.gz", ".osm.bz2", ".osm", ".pbf", ".gz", ".bz2", ".xml"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name
