"""Assemble a :class:`RoadNetwork` from plain edge lists; shared by every network source.

Steps: drop self-loops, keep the fastest of parallel edges, keep the largest strongly connected
component, split edges longer than ``max_edge_length_m`` (so that every point of every road lies
near a node, which makes nearest-node snapping honest), and lay the result out as CSR.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from routing.errors import OsmInputError
from routing.geo import haversine_m, local_projection
from routing.network import OSM_ATTRIBUTION, RoadNetwork

#: Longest edge kept unsplit. Nodes are then at most this far apart along any road.
DEFAULT_MAX_EDGE_LENGTH_M = 300.0


def assemble_network(
    *,
    name: str,
    source: str,
    synthetic: bool,
    node_lon: np.ndarray,
    node_lat: np.ndarray,
    node_osm_id: np.ndarray,
    edge_from: np.ndarray,
    edge_to: np.ndarray,
    edge_length_m: np.ndarray,
    edge_time_s: np.ndarray,
    edge_class: np.ndarray,
    geometry_indptr: np.ndarray | None = None,
    geometry_lon: np.ndarray | None = None,
    geometry_lat: np.ndarray | None = None,
    max_edge_length_m: float = DEFAULT_MAX_EDGE_LENGTH_M,
    attribution: str = OSM_ATTRIBUTION,
    extra: dict | None = None,
) -> RoadNetwork:
    """Build a validated network from edge lists (float lengths in metres, times in seconds)."""
    node_lon = np.asarray(node_lon, dtype=np.float64)
    node_lat = np.asarray(node_lat, dtype=np.float64)
    node_osm_id = np.asarray(node_osm_id, dtype=np.int64)
    edge_from = np.asarray(edge_from, dtype=np.int64)
    edge_to = np.asarray(edge_to, dtype=np.int64)
    edge_length_m = np.asarray(edge_length_m, dtype=np.float64)
    edge_time_s = np.asarray(edge_time_s, dtype=np.float64)
    edge_class = np.asarray(edge_class, dtype=np.uint8)
    m = len(edge_from)
    if geometry_indptr is None:
        geometry_indptr = np.zeros(m + 1, dtype=np.int64)
        geometry_lon = np.zeros(0)
        geometry_lat = np.zeros(0)
    geometry_indptr = np.asarray(geometry_indptr, dtype=np.int64)
    geometry_lon = np.asarray(geometry_lon, dtype=np.float64)
    geometry_lat = np.asarray(geometry_lat, dtype=np.float64)
    if m == 0 or len(node_lon) == 0:
        raise OsmInputError(f"{source}: contains no drivable roads")
    if not np.all(np.isfinite(edge_time_s)) or edge_time_s.min() <= 0:
        raise OsmInputError(f"{source}: every edge needs a positive, finite travel time")

    # 1. self-loops and parallel edges (keep the fastest)
    keep = edge_from != edge_to
    order = np.lexsort((edge_time_s, edge_to, edge_from))
    order = order[keep[order]]
    pair = edge_from[order] * len(node_lon) + edge_to[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = pair[1:] != pair[:-1]
    edges = order[first]
    if len(edges) == 0:
        raise OsmInputError(f"{source}: contains no drivable roads")

    # 2. largest strongly connected component
    n_all = len(node_lon)
    graph = coo_matrix(
        (np.ones(len(edges)), (edge_from[edges], edge_to[edges])), shape=(n_all, n_all)
    ).tocsr()
    _, labels = connected_components(graph, directed=True, connection="strong")
    largest = np.bincount(labels).argmax()
    in_scc = labels == largest
    share = float(in_scc.sum()) / n_all
    edges = edges[in_scc[edge_from[edges]] & in_scc[edge_to[edges]]]
    if len(edges) == 0:
        raise OsmInputError(f"{source}: no two roads connect; the largest connected part has no edges")
    new_id = np.full(n_all, -1, dtype=np.int64)
    kept_nodes = np.nonzero(in_scc)[0]
    new_id[kept_nodes] = np.arange(len(kept_nodes))

    lon = list(node_lon[kept_nodes])
    lat = list(node_lat[kept_nodes])
    osm_id = list(node_osm_id[kept_nodes])
    src = new_id[edge_from[edges]]
    dst = new_id[edge_to[edges]]
    length = edge_length_m[edges]
    time = edge_time_s[edges]
    cls = edge_class[edges]
    geo_slices = [(geometry_indptr[e], geometry_indptr[e + 1]) for e in edges]

    # 3. split long edges; a two-way pair shares its inserted nodes
    out_from: list[int] = []
    out_to: list[int] = []
    out_len: list[int] = []
    out_time: list[int] = []
    out_cls: list[int] = []
    out_geo: list[tuple[np.ndarray, np.ndarray]] = []
    empty = np.zeros(0)
    reverse_of = _reverse_partners(src, dst, length)
    split_nodes: dict[int, list[int]] = {}
    for k in range(len(src)):
        g0, g1 = geo_slices[k]
        glon, glat = geometry_lon[g0:g1], geometry_lat[g0:g1]
        if length[k] <= max_edge_length_m:
            out_from.append(src[k])
            out_to.append(dst[k])
            out_len.append(int(round(length[k])))
            out_time.append(max(1, int(round(time[k]))))
            out_cls.append(cls[k])
            out_geo.append((glon, glat))
            continue
        pieces = math.ceil(length[k] / max_edge_length_m)
        partner = reverse_of[k]
        canonical = k if partner < 0 else min(k, partner)
        line_lon = np.concatenate(
            ([lon[src[canonical]]], _geo(canonical, geo_slices, geometry_lon), [lon[dst[canonical]]]))
        line_lat = np.concatenate(
            ([lat[src[canonical]]], _geo(canonical, geo_slices, geometry_lat), [lat[dst[canonical]]]))
        if canonical != k:
            pieces = math.ceil(length[canonical] / max_edge_length_m)
        cuts, piece_lines = _split_polyline(line_lon, line_lat, pieces)
        if canonical in split_nodes:
            inner = split_nodes[canonical]
        else:
            inner = []
            for cut_lon, cut_lat in cuts:
                inner.append(len(lon))
                lon.append(cut_lon)
                lat.append(cut_lat)
                osm_id.append(-1)
            split_nodes[canonical] = inner
        chain = [src[canonical], *inner, dst[canonical]]
        if canonical != k:
            chain = chain[::-1]
            piece_lines = [(pl[0][::-1], pl[1][::-1]) for pl in piece_lines[::-1]]
        fractions = np.cumsum([_polyline_length(pl[0], pl[1]) for pl in piece_lines])
        fractions = fractions / fractions[-1] if fractions[-1] > 0 else np.linspace(1 / pieces, 1, pieces)
        cum_len = np.round(length[k] * fractions).astype(np.int64)
        cum_time = np.round(time[k] * fractions).astype(np.int64)
        prev_len = prev_time = 0
        for i in range(pieces):
            out_from.append(chain[i])
            out_to.append(chain[i + 1])
            out_len.append(int(cum_len[i] - prev_len))
            out_time.append(max(1, int(cum_time[i] - prev_time)))
            prev_len, prev_time = cum_len[i], cum_time[i]
            out_cls.append(cls[k])
            inner_lon, inner_lat = piece_lines[i]
            out_geo.append((inner_lon[1:-1], inner_lat[1:-1]) if len(inner_lon) > 2 else (empty, empty))

    # 4. CSR layout
    out_from_a = np.asarray(out_from, dtype=np.int64)
    out_to_a = np.asarray(out_to, dtype=np.int64)
    order = np.lexsort((out_to_a, out_from_a))
    n = len(lon)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(out_from_a, minlength=n), out=indptr[1:])
    geo_len = np.array([len(out_geo[e][0]) for e in order], dtype=np.int64)
    g_indptr = np.zeros(len(order) + 1, dtype=np.int64)
    np.cumsum(geo_len, out=g_indptr[1:])
    g_lon = np.concatenate([out_geo[e][0] for e in order] + [empty])
    g_lat = np.concatenate([out_geo[e][1] for e in order] + [empty])
    return RoadNetwork(
        name=name,
        source=source,
        synthetic=synthetic,
        node_lon=np.asarray(lon),
        node_lat=np.asarray(lat),
        node_osm_id=np.asarray(osm_id, dtype=np.int64),
        indptr=indptr,
        head=out_to_a[order],
        travel_time_s=np.asarray(out_time, dtype=np.int64)[order],
        length_m=np.asarray(out_len, dtype=np.int64)[order],
        road_class=np.asarray(out_cls, dtype=np.uint8)[order],
        geometry_indptr=g_indptr,
        geometry_lon=g_lon,
        geometry_lat=g_lat,
        largest_component_share=share,
        attribution=attribution,
        extra=extra or {},
    )


def _geo(k, slices, values):
    g0, g1 = slices[k]
    return values[g0:g1]


def _reverse_partners(src: np.ndarray, dst: np.ndarray, length: np.ndarray) -> np.ndarray:
    """For each edge the index of its opposite edge of (nearly) the same length, else -1."""
    index = {(int(u), int(v)): i for i, (u, v) in enumerate(zip(src, dst))}
    partner = np.full(len(src), -1, dtype=np.int64)
    for i, (u, v) in enumerate(zip(src, dst)):
        j = index.get((int(v), int(u)))
        if j is not None and abs(length[i] - length[j]) <= max(1.0, 0.01 * length[i]):
            partner[i] = j
    return partner


def _polyline_length(lon: np.ndarray, lat: np.ndarray) -> float:
    return float(haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:]).sum())


def _split_polyline(lon: np.ndarray, lat: np.ndarray, pieces: int):
    """Cut a polyline into ``pieces`` parts of equal length.

    Returns the cut points ``[(lon, lat), ...]`` (pieces - 1 of them) and each piece as its
    own polyline (lon array, lat array) including both end points.
    """
    project = local_projection(float(lon[0]), float(lat[0]))
    x, y = project(lon, lat)
    seg = np.hypot(np.diff(x), np.diff(y))
    cum = np.concatenate(([0.0], np.cumsum(seg)))
    total = cum[-1]
    targets = total * np.arange(1, pieces) / pieces
    cuts = []
    for t in targets:
        i = min(int(np.searchsorted(cum, t, side="right")) - 1, len(seg) - 1)
        f = 0.0 if seg[i] == 0 else (t - cum[i]) / seg[i]
        cuts.append((float(lon[i] + f * (lon[i + 1] - lon[i])), float(lat[i] + f * (lat[i + 1] - lat[i])), i))
    piece_lines = []
    start_lon, start_lat, start_i = float(lon[0]), float(lat[0]), 0
    for cut_lon, cut_lat, i in [*cuts, (float(lon[-1]), float(lat[-1]), len(seg) - 1)]:
        mid_lon = lon[start_i + 1 : i + 1]
        mid_lat = lat[start_i + 1 : i + 1]
        piece_lines.append(
            (np.concatenate(([start_lon], mid_lon, [cut_lon])), np.concatenate(([start_lat], mid_lat, [cut_lat])))
        )
        start_lon, start_lat, start_i = cut_lon, cut_lat, i
    return [(c[0], c[1]) for c in cuts], piece_lines
