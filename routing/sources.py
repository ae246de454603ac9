"""One entry point for every network source: ``demo``, an OSM file, ``place:NAME`` or a ``.npz``."""

from __future__ import annotations

from pathlib import Path

from routing.build import DEFAULT_MAX_EDGE_LENGTH_M
from routing.errors import OsmInputError, RoutingInputError
from routing.network import RoadNetwork

PLACE_PREFIX = "place:"
STATE_PREFIX = "state:"


def build_network(source: str, *, name: str | None = None,
                  max_edge_length_m: float = DEFAULT_MAX_EDGE_LENGTH_M) -> RoadNetwork:
    """Build a network from ``demo``, ``state:SN`` (synthetic state, :mod:`routing.state_network`), an
    OSM file path, or ``place:NAME`` (osmnx download)."""
    if not max_edge_length_m > 0:
        raise RoutingInputError("max edge length must be a positive number of metres")
    source = source.strip()
    if source == "demo":
        from routing.synthetic import build_demo_network

        return build_demo_network()
    if source.lower().startswith(STATE_PREFIX):
        from routing.state_network import build_state_network

        return build_state_network(source)
    if source.startswith(PLACE_PREFIX):
        from routing.osm import network_from_place

        return network_from_place(source[len(PLACE_PREFIX):].strip().strip('"'), name=name,
                                  max_edge_length_m=max_edge_length_m)
    from routing.osm import network_from_osm_file, osm_file_kind

    path = Path(source)
    try:
        osm_file_kind(path)
    except OsmInputError:
        if not path.exists():
            raise OsmInputError(
                f"{source}: not a network source; give 'demo', 'state:SN', an OSM file (.osm, .osm.gz, .osm.bz2, "
                f".osm.pbf) or place:NAME"
            ) from None
        raise
    return network_from_osm_file(path, name=name, max_edge_length_m=max_edge_length_m)


def open_network(spec: str) -> RoadNetwork:
    """A saved network (``.npz``), or ``demo`` / ``state:SN`` built on the fly (the state cached)."""
    if spec.strip() == "demo" or spec.strip().lower().startswith(STATE_PREFIX):
        return build_network(spec)
    path = Path(spec)
    if path.suffix != ".npz":
        raise RoutingInputError(
            f"{spec}: expected a network file ending in .npz (make one with 'ride-pool network build') or 'demo'"
        )
    return RoadNetwork.load(path)


def build_gazetteer(source: str, network: RoadNetwork):
    """The places (:class:`~routing.gazetteer.Gazetteer`) of the same source as ``network``:
    ``demo`` (synthetic), an OSM file, or ``place:NAME`` (osmnx download)."""
    from routing import gazetteer

    source = source.strip()
    if source == "demo":
        return gazetteer.demo_gazetteer(network)
    if source.lower().startswith(STATE_PREFIX):
        return gazetteer.empty_gazetteer(network)   # synthetic state: no invented place names yet
    if source.startswith(PLACE_PREFIX):
        return gazetteer.gazetteer_from_place(source[len(PLACE_PREFIX):].strip().strip('"'), network)
    return gazetteer.gazetteer_from_osm_file(source, network)


def open_gazetteer(spec: str, network: RoadNetwork):
    """The places saved beside the network file ``spec`` (``x.npz`` -> ``x.places.json.gz``); for
    ``demo`` built on the fly. A network file without one (built before places existed) or whose
    places belong to another network gives an empty gazetteer: search then finds the stops only."""
    import logging

    from routing import gazetteer

    if spec.strip() == "demo":
        return gazetteer.demo_gazetteer(network)
    if spec.strip().lower().startswith(STATE_PREFIX):
        return gazetteer.empty_gazetteer(network)
    path = gazetteer.gazetteer_path(spec)
    log = logging.getLogger(__name__)
    if not path.is_file():
        if network.synthetic and network.source.startswith("SYNTHETIC demo"):
            return gazetteer.demo_gazetteer(network)
        log.warning("%s: no places file beside the network; place search finds stops only (rebuild the "
                    "network with 'ride-pool network build' to get settlements, streets and addresses)", path)
        return gazetteer.empty_gazetteer(network)
    places = gazetteer.Gazetteer.load(path)
    if places.network_source and places.network_source != network.source:
        log.warning("%s: the places belong to another network (%s); rebuild with 'ride-pool network build'",
                    path, places.network_source)
        return gazetteer.empty_gazetteer(network)
    return places
