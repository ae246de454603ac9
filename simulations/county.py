"""Where a county's trips go: settlements across each municipality, zones, hubs and distance decay.

Used by :func:`simulations.demand.generate_demand` when ``DemandConfig.model == "county"`` (the
default). Defaults and their sources: ``simulations/README.md`` ("Demand model").

* **Settlements.** Trip ends are road nodes on residential streets (``residential``,
  ``living_street``) — the streets people live on — anywhere in the municipality, not only near its
  centre: every such node belongs to the municipality with the nearest centre. Drawing nodes
  uniformly weights places by their street network, which grows with the settlement (the demo
  network builds one street node per 40 inhabitants in every village; OSM streets follow houses).
  A municipality without residential nodes falls back to the nodes near its centre.
* **Origins** stay as before: Poisson(population × rate) trips per municipality.
* **Zones.** Municipalities are grouped into ``zone_count`` zones around the largest towns (each
  joins the zone of the nearest of those town centres). A share ``zone_share`` of the trips that do
  not go to a hub ends inside the origin's zone (``zones_on`` false: no zones).
* **Hubs** (stations, hospitals, schools, the regional centre) attract a share ``hub_share`` of
  the trips, half of them towards the hub and half back. Hubs come from a CSV (``--hubs``: name,
  lat, lon, weight[, kind]); by default they are the centres of the towns with at least
  ``hub_min_population`` inhabitants, weighted by population (in a rural county the stations,
  hospitals and secondary schools lie in the towns) and, when the simulation has a stop table,
  its railway stations (:func:`station_hubs`): each weighted by the population of its municipality
  divided among that municipality's stations, so a town's stations together attract as much as
  its centre (feeder trips to the train). ``--hubs FILE`` replaces both. A hub is chosen with
  weight × exp(−d ÷ mean straight-line trip length).
* **Distance decay.** A trip's straight-line length is drawn from a gamma distribution with shape
  2 (the length distribution of an exponential decay over an even spread of places) and mean
  ``mean_trip_km`` ÷ ``circuity`` (road km per straight-line km); the destination is a settlement
  node at about that distance (within ±15 %, at least ±300 m; the nearest length otherwise) in
  the zone or anywhere. So the mean direct road distance of the trips is about ``mean_trip_km``.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from routing.network import ROAD_CLASS_INDEX
from simulations.errors import SimulationInputError

HOME_CLASSES = ("residential", "living_street")


@dataclass(frozen=True)
class Hub:
    name: str
    node: int
    weight: float
    kind: str = "centre"


def _cache(region) -> dict:
    return region.__dict__.setdefault("_county_cache", {})


def settlement_nodes(region) -> tuple[np.ndarray, np.ndarray]:
    """(node ids, municipality index of each) of the residential street nodes, sorted by node id."""
    cache = _cache(region)
    if "homes" not in cache:
        net = region.network
        classes = np.array([ROAD_CLASS_INDEX[c] for c in HOME_CLASSES])
        home_edge = np.isin(net.road_class, classes)
        nodes = np.unique(np.concatenate([net.tail()[home_edge], net.head[home_edge]])).astype(np.int64)
        _, muni = cKDTree(region.centre_xy).query(region.node_xy[nodes]) if len(nodes) else (None, np.zeros(0))
        muni = np.asarray(muni, dtype=np.int64)
        # municipalities without residential streets: the nodes nearest their centre
        missing = sorted(set(range(len(region.municipalities))) - set(muni.tolist()))
        if missing:
            extra_nodes, extra_muni = [], []
            for m in missing:
                _, near = region.node_tree.query(region.centre_xy[m], k=min(20, net.node_count))
                near = np.atleast_1d(near).astype(np.int64)
                extra_nodes.append(near)
                extra_muni.append(np.full(len(near), m, dtype=np.int64))
            nodes = np.concatenate([nodes, *extra_nodes])
            muni = np.concatenate([muni, *extra_muni])
        order = np.argsort(nodes, kind="stable")
        cache["homes"] = (nodes[order], muni[order])
    return cache["homes"]


def zones(region, zone_count: int) -> np.ndarray:
    """Zone index of each municipality: the nearest of the ``zone_count`` largest town centres."""
    key = ("zones", zone_count)
    cache = _cache(region)
    if key not in cache:
        order = sorted(range(len(region.municipalities)), key=lambda i: (-region.population[i], i))[:zone_count]
        _, nearest = cKDTree(region.centre_xy[order]).query(region.centre_xy)
        cache[key] = np.asarray(nearest, dtype=np.int64)
    return cache[key]


#: a stop named like a railway station: "Bahnhof", "Hauptbahnhof", "Busbahnhof", "Bf", "Hbf",
#: "Haltepunkt" as a word of their own ("Bahnhofstraße" is a street, not a station)
STATION_NAME = re.compile(r"(?<!\w)(\w*bahnhof|hbf|bf|haltepunkt)(?!\w)", re.IGNORECASE)
#: values of a stop file's kind/type column that mean a station
STATION_KINDS = frozenset({"station", "rail", "railway", "railway_station", "rail_station", "train",
                           "train_station", "bahnhof", "bf", "hbf", "haltepunkt", "s-bahn", "sbahn", "hub"})


def is_station(name: str, kind: str, kinds_given: bool) -> bool:
    """A stop is a station by its kind when the file has a kind/type column, else by its name."""
    if kinds_given:
        return kind.strip().lower().replace(" ", "_") in STATION_KINDS
    return bool(STATION_NAME.search(name))


def station_hubs(region) -> list[Hub]:
    """The stations of the region's stop table as hubs (none without stops).

    Stops with the same name in the same municipality (the platforms of one station) are one hub,
    at the first of them. Weight: the population of the station's municipality divided among the
    stations of that municipality.
    """
    stops = getattr(region, "stops", None) or []
    if not stops:
        return []
    kinds_given = any(s.kind.strip() for s in stops)
    found: dict[tuple[int, str], int] = {}
    for i, stop in enumerate(stops):
        if not is_station(stop.name, stop.kind, kinds_given):
            continue
        name = stop.name.strip()
        if stop.town and stop.town.lower() not in name.lower():
            name = f"{stop.town.strip()} {name}"
        found.setdefault((int(region.stop_municipality[i]), name), i)
    per_muni: dict[int, int] = {}
    for muni, _ in found:
        per_muni[muni] = per_muni.get(muni, 0) + 1
    return [Hub(name, int(region.stop_nodes[i]), float(region.population[muni]) / per_muni[muni], "station")
            for (muni, name), i in found.items()]


def default_hubs(region, min_population: float, stations: bool = True) -> list[Hub]:
    """The centres of towns with at least ``min_population`` inhabitants (weight: population) and,
    with ``stations``, the stations of the stop table (:func:`station_hubs`)."""
    out = [Hub(m.name.split(",")[0], int(region.centre_nodes[i]), float(m.population), "town centre")
           for i, m in enumerate(region.municipalities) if m.population >= min_population]
    if not out:     # no town that large: the largest one
        i = int(np.argmax(region.population))
        out = [Hub(region.municipalities[i].name.split(",")[0], int(region.centre_nodes[i]),
                   float(region.population[i]), "town centre")]
    return out + (station_hubs(region) if stations else [])


def read_hubs(path: str | Path, region) -> list[Hub]:
    """Hubs from a CSV with columns name, lat, lon, weight and optionally kind; snapped to the roads."""
    path = Path(path)
    if not path.is_file():
        raise SimulationInputError(f"{path}: no such hub file")
    text = path.read_text("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO("\n".join(line for line in text.splitlines()
                                                    if line.strip() and not line.startswith("#")))))
    if not rows or any(c not in rows[0] for c in ("name", "lat", "lon", "weight")):
        raise SimulationInputError(f"{path}: a hub file needs the columns name, lat, lon, weight (and optionally kind)")
    hubs = []
    for number, row in enumerate(rows, start=2):
        try:
            lat, lon, weight = float(row["lat"]), float(row["lon"]), float(row["weight"])
        except (TypeError, ValueError):
            raise SimulationInputError(f"{path}, row {number}: lat, lon and weight must be numbers") from None
        if not weight > 0:
            raise SimulationInputError(f"{path}, row {number}: weight must be positive")
        x, y = region.project([lon], [lat])
        distance, node = region.node_tree.query(np.column_stack((x, y)))
        if float(distance[0]) > region.travel.max_snap_distance_m:
            raise SimulationInputError(f"{path}, row {number}: hub {row['name']!r} lies "
                                       f"{float(distance[0]):.0f} m from the nearest road of the region")
        hubs.append(Hub(row["name"].strip(), int(node[0]), weight, (row.get("kind") or "hub").strip()))
    return hubs


def gamma_scale(mean_m: float, min_m: float) -> float:
    """Scale θ of the gamma(2, θ) length distribution whose mean over lengths ≥ ``min_m`` is ``mean_m``
    (shorter draws are redrawn, so the plain mean 2θ would come out too long)."""
    def truncated_mean(theta):
        x = min_m / theta
        tail = np.exp(-x) * (1 + x)                           # P(L ≥ m)
        first = theta * np.exp(-x) * (x * x + 2 * x + 2)      # E[L; L ≥ m]
        return first / tail
    if mean_m <= min_m:
        return max(mean_m, 1.0) / 2.0
    lo, hi = 1e-3, mean_m
    for _ in range(60):
        mid = (lo + hi) / 2
        if truncated_mean(mid) < mean_m:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def county_destinations(region, config, origins: np.ndarray, rng, hubs: list[Hub] | None = None) -> list[tuple]:
    """Per trip (origin municipality given): (origin node, destination node, hub name or "", in zone).

    Every draw comes from ``rng``; the same seed gives the same places.
    """
    nodes, muni = settlement_nodes(region)
    xy = region.node_xy[nodes]
    zone_of = zones(region, config.zone_count)
    node_zone = zone_of[muni]
    by_muni = [np.flatnonzero(muni == m) for m in range(len(region.municipalities))]
    by_zone = {z: np.flatnonzero(node_zone == z) for z in np.unique(node_zone)}
    hubs = hubs if hubs is not None else default_hubs(region, config.hub_min_population,
                                                      getattr(config, "station_hubs", True))
    hub_xy = region.node_xy[np.array([h.node for h in hubs], dtype=np.int64)]
    hub_w = np.array([h.weight for h in hubs], dtype=np.float64)
    mean_sl_m = config.mean_trip_km * 1000.0 / config.circuity
    n = len(origins)
    u_home, u_hub, u_dir, u_zone, u_pick = rng.random((5, n))
    lengths = rng.gamma(2.0, gamma_scale(mean_sl_m, config.min_trip_m), size=(n, 20))
    out = []
    for k in range(n):
        own = by_muni[int(origins[k])]
        o = int(own[int(u_home[k] * len(own))])
        o_xy = xy[o]
        if u_hub[k] < config.hub_share:
            d = np.hypot(*(hub_xy - o_xy).T)
            w = hub_w * np.exp(-d / mean_sl_m)
            w = w if w.sum() > 0 else hub_w
            h = int(np.searchsorted(np.cumsum(w) / w.sum(), u_pick[k], side="right").clip(0, len(hubs) - 1))
            hub = hubs[h]
            if np.hypot(*(region.node_xy[hub.node] - o_xy)) >= config.min_trip_m:
                ends = (int(nodes[o]), hub.node) if u_dir[k] < 0.5 else (hub.node, int(nodes[o]))
                out.append((*ends, hub.name, bool(node_zone[o] == zone_of[int(region.municipality_of(
                    *region.node_xy[hub.node])[0])])))
                continue
        in_zone = config.zones_on and u_zone[k] < config.zone_share
        candidates = by_zone[int(node_zone[o])] if in_zone else None
        cand_xy = xy[candidates] if candidates is not None else xy
        d = np.hypot(cand_xy[:, 0] - o_xy[0], cand_xy[:, 1] - o_xy[1])
        chosen = None
        for length in lengths[k]:
            tolerance = max(300.0, 0.15 * length)
            near = np.flatnonzero(np.abs(d - length) <= tolerance)
            near = near[d[near] >= config.min_trip_m]
            if len(near):
                # weight 1/d: the band holds more places the farther it lies, which would lengthen trips
                w = np.cumsum(1.0 / d[near])
                chosen = int(near[min(len(near) - 1, int(np.searchsorted(w, u_pick[k] * w[-1], side="right")))])
                break
        if chosen is None:     # no place that far (a small zone): the farthest-fitting one
            far = np.flatnonzero(d >= config.min_trip_m)
            chosen = int(far[np.argmin(np.abs(d[far] - lengths[k, 0]))]) if len(far) else int(np.argmax(d))
        dest = int(candidates[chosen]) if candidates is not None else chosen
        out.append((int(nodes[o]), int(nodes[dest]), "", bool(node_zone[dest] == node_zone[o])))
    return out


__all__ = ["Hub", "settlement_nodes", "zones", "default_hubs", "station_hubs", "is_station", "read_hubs",
           "county_destinations"]
