"""The embedded ``demo`` network: a deterministic **synthetic** road network of Landkreis Meißen.

No OSM extract of the county is available offline, so this builds a plausible stand-in from the
county's 28 real municipalities (Destatis: population, centre, area):

* every municipality gets its main settlement at its real centre and villages (Ortsteile) spread
  over its area, population shared out between them;
* each settlement gets a local street grid sized by its population (30 km/h residential streets,
  50 km/h main streets, a few living streets);
* settlements are linked by a road hierarchy: primary/secondary roads between municipality
  centres that pass through the villages on their way, tertiary/unclassified roads between
  neighbouring settlements (a Gabriel graph), all winding like rural roads;
* the Elbe is a barrier crossed only at the county's real road-bridge sites (Meißen, Riesa,
  Niederwartha).

The roads are invented: the output is labelled synthetic everywhere. Same code, same network.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import Delaunay, cKDTree

from routing.build import DEFAULT_MAX_EDGE_LENGTH_M, assemble_network
from routing.municipalities import Municipality, load_municipalities
from routing.network import DESTATIS_ATTRIBUTION, RoadNetwork
from routing.speeds import GERMAN_DEFAULT_SPEED_KPH

DEMO_NAME = "demo-landkreis-meissen"
DEMO_SOURCE = (
    "SYNTHETIC demo network of Landkreis Meißen: invented roads between the 28 real municipalities "
    "(Destatis); not real OSM roads"
)
SEED = 14627  # the county's AGS prefix
BLOCK_M = 120.0  # street spacing inside settlements
PERSONS_PER_GRID_NODE = 40.0
LINK_NODE_SPACING_M = 250.0
MIN_SETTLEMENT_SPACING_M = 1000.0
VILLAGE_AREA_KM2 = 3.5  # one village (Ortsteil) per this much municipal area

# The Elbe through the county, upstream to downstream (lon, lat), approximate.
ELBE = np.array(
    [
        (13.700, 51.070), (13.640, 51.090), (13.600, 51.103), (13.555, 51.118), (13.510, 51.140),
        (13.478, 51.160), (13.455, 51.185), (13.432, 51.215), (13.418, 51.245), (13.398, 51.272),
        (13.360, 51.296), (13.318, 51.313), (13.280, 51.330), (13.240, 51.350), (13.195, 51.375),
        (13.150, 51.405),
    ]
)
# Road bridges over the Elbe in the county (lon, lat).
ELBE_BRIDGES = np.array([(13.4745, 51.1640), (13.3120, 51.3160), (13.6150, 51.0985)])
BRIDGE_RADIUS_M = 450.0

_LINK_WINDING = {"primary": 0.035, "secondary": 0.05, "tertiary": 0.07, "unclassified": 0.09}


@dataclass(frozen=True)
class SyntheticParams:
    """How a synthetic region is laid out. The defaults are the demo county's; a state-wide region
    uses a coarser street grid (:func:`state_params`) so that one core can still route on it."""

    name: str = DEMO_NAME
    source: str = DEMO_SOURCE
    seed: int = SEED
    block_m: float = BLOCK_M
    persons_per_grid_node: float = PERSONS_PER_GRID_NODE
    link_node_spacing_m: float = LINK_NODE_SPACING_M
    village_area_km2: float = VILLAGE_AREA_KM2
    max_villages: int = 30
    #: longest local road between neighbouring settlements
    max_local_link_m: float = 7_000.0
    max_edge_length_m: float = DEFAULT_MAX_EDGE_LENGTH_M
    #: a river (lon, lat polyline) crossed only at ``bridges`` (lon, lat); None: no river
    river: np.ndarray | None = field(default_factory=lambda: ELBE, compare=False)
    bridges: np.ndarray | None = field(default_factory=lambda: ELBE_BRIDGES, compare=False)
    extra: dict = field(default_factory=lambda: {"county": "Landkreis Meißen", "county_ags": "14627"}, compare=False)


DEMO_PARAMS = SyntheticParams()


def build_demo_network(municipalities: list[Municipality] | None = None) -> RoadNetwork:
    """Build the synthetic Landkreis Meißen network (about 11,000 nodes, a few seconds)."""
    return build_synthetic_network(municipalities or load_municipalities(), DEMO_PARAMS)


def build_synthetic_network(municipalities: list[Municipality], params: SyntheticParams = DEMO_PARAMS) -> RoadNetwork:
    """A synthetic road network over any list of municipalities (the demo's construction)."""
    munis = sorted(municipalities, key=lambda m: m.ags)
    builder = _Builder(munis, params)
    builder.place_settlements()
    builder.build_grids()
    builder.build_links()
    return builder.assemble()


def settlement_layout(municipalities: list[Municipality] | None = None,
                      params: SyntheticParams = DEMO_PARAMS) -> list[tuple[float, float, int, bool, int]]:
    """The settlements as :func:`build_synthetic_network` places them: (lat, lon, index of the
    municipality in AGS order, is the municipality's main settlement, population)."""
    munis = sorted(municipalities or load_municipalities(), key=lambda m: m.ags)
    builder = _Builder(munis, params)
    builder.place_settlements()
    lon, lat = builder.to_lonlat(np.array([p[0] for p in builder.s_xy]), np.array([p[1] for p in builder.s_xy]))
    return [(float(lat[i]), float(lon[i]), builder.s_muni[i], builder.s_is_centre[i], builder.s_pop[i])
            for i in range(len(builder.s_xy))]


class _Builder:
    def __init__(self, munis: list[Municipality], params: SyntheticParams = DEMO_PARAMS):
        self.munis = munis
        self.p = params
        self.rng = np.random.default_rng(params.seed)
        self.lon0 = float(np.mean([m.lon for m in munis]))
        self.lat0 = float(np.mean([m.lat for m in munis]))
        self.kx = math.radians(1.0) * 6_371_008.8 * math.cos(math.radians(self.lat0))
        self.ky = math.radians(1.0) * 6_371_008.8
        river = params.river if params.river is not None else np.zeros((0, 2))
        bridges = params.bridges if params.bridges is not None and len(river) else np.zeros((0, 2))
        self.river = np.column_stack(self.to_xy(river[:, 0], river[:, 1]))
        self.bridges = np.column_stack(self.to_xy(bridges[:, 0], bridges[:, 1]))
        self.x: list[float] = []
        self.y: list[float] = []
        self.edges: list[tuple[int, int, str, float, np.ndarray]] = []  # u, v, class, speed, shape xy
        # settlements: centre xy, population, municipality index, radius, grid node ids
        self.s_xy: list[tuple[float, float]] = []
        self.s_pop: list[int] = []
        self.s_muni: list[int] = []
        self.s_is_centre: list[bool] = []
        self.s_radius: list[float] = []
        self.s_nodes: list[np.ndarray] = []

    # --------------------------------------------------------------- geometry helpers
    def to_xy(self, lon, lat):
        return (np.asarray(lon) - self.lon0) * self.kx, (np.asarray(lat) - self.lat0) * self.ky

    def to_lonlat(self, x, y):
        return np.asarray(x) / self.kx + self.lon0, np.asarray(y) / self.ky + self.lat0

    def crosses_river(self, a, b) -> bool:
        if len(self.river) < 2:
            return False
        p, r = np.asarray(a, float), np.asarray(b, float) - np.asarray(a, float)
        q = self.river[:-1]
        s = self.river[1:] - q
        denom = r[0] * s[:, 1] - r[1] * s[:, 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = ((q[:, 0] - p[0]) * s[:, 1] - (q[:, 1] - p[1]) * s[:, 0]) / denom
            u = ((q[:, 0] - p[0]) * r[1] - (q[:, 1] - p[1]) * r[0]) / denom
        return bool(np.any((denom != 0) & (t >= 0) & (t <= 1) & (u >= 0) & (u <= 1)))

    def river_distance(self, point) -> float:
        if len(self.river) < 2:
            return math.inf
        p = np.asarray(point, float)
        a, b = self.river[:-1], self.river[1:]
        ab = b - a
        t = np.clip(((p - a) * ab).sum(1) / (ab * ab).sum(1), 0, 1)
        return float(np.min(np.hypot(*(a + ab * t[:, None] - p).T)))

    def near_bridge(self, a, b) -> bool:
        if len(self.bridges) == 0:
            return False
        mid = (np.asarray(a) + np.asarray(b)) / 2
        return bool(np.min(np.hypot(*(self.bridges - mid).T)) < BRIDGE_RADIUS_M)

    def add_node(self, x: float, y: float) -> int:
        self.x.append(float(x))
        self.y.append(float(y))
        return len(self.x) - 1

    def add_road(self, u: int, v: int, road_class: str, speed_kph: float, shape=None) -> None:
        shape = np.zeros((0, 2)) if shape is None else shape
        self.edges.append((u, v, road_class, speed_kph, shape))
        self.edges.append((v, u, road_class, speed_kph, shape[::-1]))

    # --------------------------------------------------------------- settlements
    def place_settlements(self) -> None:
        rng = self.rng
        for mi, m in enumerate(self.munis):
            cx, cy = self.to_xy(m.lon, m.lat)
            area = m.area_km2 or 30.0
            radius = math.sqrt(area / math.pi) * 1000.0 * 0.9
            n_villages = int(np.clip(round(area / self.p.village_area_km2), 1, self.p.max_villages))
            centre_share = 0.85 if m.population >= 15_000 else 0.6 if m.population >= 5_000 else 0.4
            centre_pop = int(round(m.population * centre_share))
            self._add_settlement(float(cx), float(cy), centre_pop, mi, True)
            weights = rng.lognormal(0.0, 0.8, n_villages)
            village_pops = np.maximum(30, np.round(weights / weights.sum() * (m.population - centre_pop)))
            for pop in village_pops:
                for _ in range(200):
                    r = radius * math.sqrt(rng.uniform(0.08, 1.0))
                    angle = rng.uniform(0, 2 * math.pi)
                    x, y = cx + r * math.cos(angle), cy + r * math.sin(angle)
                    grid_r = self._grid_radius(int(pop))
                    if self.river_distance((x, y)) < grid_r + 150:
                        continue
                    d = np.hypot(np.array([s[0] for s in self.s_xy]) - x, np.array([s[1] for s in self.s_xy]) - y)
                    if np.all(d >= MIN_SETTLEMENT_SPACING_M + grid_r + np.array(self.s_radius)):
                        self._add_settlement(x, y, int(pop), mi, False)
                        break

    def _grid_size(self, pop: int) -> int:
        return max(2, int(round(math.sqrt(pop / self.p.persons_per_grid_node))))

    def _grid_radius(self, pop: int) -> float:
        return (self._grid_size(pop) - 1) * self.p.block_m / 2 * math.sqrt(2)

    def _add_settlement(self, x, y, pop, mi, is_centre) -> None:
        self.s_xy.append((x, y))
        self.s_pop.append(pop)
        self.s_muni.append(mi)
        self.s_is_centre.append(is_centre)
        self.s_radius.append(self._grid_radius(pop))

    # --------------------------------------------------------------- street grids
    def build_grids(self) -> None:
        rng = self.rng
        for (cx, cy), pop in zip(self.s_xy, self.s_pop):
            k = self._grid_size(pop)
            angle = rng.uniform(0, math.pi / 2)
            ca, sa = math.cos(angle), math.sin(angle)
            ids = np.empty((k, k), dtype=np.int64)
            half = (k - 1) / 2
            for i in range(k):
                for j in range(k):
                    gx = (i - half + rng.uniform(-0.15, 0.15)) * self.p.block_m
                    gy = (j - half + rng.uniform(-0.15, 0.15)) * self.p.block_m
                    ids[i, j] = self.add_node(cx + ca * gx - sa * gy, cy + sa * gx + ca * gy)
            main_lines = {int(half), int(math.ceil(half))} | ({*range(0, k, 5)} if k >= 10 else set())
            for i in range(k):
                for j in range(k):
                    for di, dj in ((1, 0), (0, 1)):
                        if i + di >= k or j + dj >= k:
                            continue
                        u, v = int(ids[i, j]), int(ids[i + di, j + dj])
                        a, b = (self.x[u], self.y[u]), (self.x[v], self.y[v])
                        if self.crosses_river(a, b) and not self.near_bridge(a, b):
                            continue
                        is_main = (j in main_lines) if di == 1 else (i in main_lines)
                        if is_main:
                            self.add_road(u, v, "tertiary", 50.0)
                        elif k >= 4 and rng.uniform() < 0.08:
                            continue  # irregular street pattern: some blocks are not through
                        elif rng.uniform() < 0.04:
                            self.add_road(u, v, "living_street", GERMAN_DEFAULT_SPEED_KPH["living_street"])
                        else:
                            self.add_road(u, v, "residential", 30.0)
            self.s_nodes.append(ids.ravel())

    def entry_node(self, s: int, towards) -> int:
        """The grid node of settlement ``s`` where a road towards ``towards`` leaves it."""
        nodes = self.s_nodes[s]
        cx, cy = self.s_xy[s]
        d = np.asarray(towards, float) - (cx, cy)
        d /= max(np.hypot(*d), 1e-9)
        target = np.array((cx, cy)) + d * self.s_radius[s]
        xs = np.array([self.x[n] for n in nodes])
        ys = np.array([self.y[n] for n in nodes])
        return int(nodes[np.argmin(np.hypot(xs - target[0], ys - target[1]))])

    # --------------------------------------------------------------- links
    def build_links(self) -> None:
        xy = np.array(self.s_xy)
        pop = np.array(self.s_pop)
        centres = np.nonzero(self.s_is_centre)[0]
        linked: set[tuple[int, int]] = set()
        muni_pop = np.array([m.population for m in self.munis])

        # 1. main roads between neighbouring municipality centres, through villages on the way
        for a, b in _gabriel_edges(xy[centres]):
            sa, sb = int(centres[a]), int(centres[b])
            smaller = min(muni_pop[self.s_muni[sa]], muni_pop[self.s_muni[sb]])
            road_class = "primary" if smaller >= 5_000 else "secondary" if smaller >= 2_500 else "tertiary"
            chain = self._villages_on_the_way(sa, sb, xy)
            for s1, s2 in zip(chain[:-1], chain[1:]):
                if self._link(s1, s2, road_class):
                    linked.add((min(s1, s2), max(s1, s2)))

        # 2. local roads between neighbouring settlements
        for s1, s2 in _gabriel_edges(xy):
            key = (min(s1, s2), max(s1, s2))
            if key in linked or np.hypot(*(xy[s1] - xy[s2])) > self.p.max_local_link_m:
                continue
            road_class = "tertiary" if min(pop[s1], pop[s2]) >= 1_000 else "unclassified"
            if self._link(s1, s2, road_class):
                linked.add(key)

        # 3. bridges over the Elbe
        for bx, by in self.bridges:
            d = np.hypot(xy[:, 0] - bx, xy[:, 1] - by)
            sides: dict[bool, int] = {}
            for s in np.argsort(d):
                side = self._north_of_river((xy[s, 0], xy[s, 1]), (bx, by))
                sides.setdefault(side, int(s))
            if len(sides) == 2:
                s1, s2 = sides[True], sides[False]
                u = self.entry_node(s1, (bx, by))
                v = self.entry_node(s2, (bx, by))
                self._road_between(u, v, "primary", via=(bx, by))
                linked.add((min(s1, s2), max(s1, s2)))

        # 4. make sure every settlement is reachable (add the shortest missing links)
        parent = list(range(len(xy)))

        def find(i):
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for s1, s2 in linked:
            parent[find(s1)] = find(s2)
        tree = cKDTree(xy)
        for s in range(len(xy)):
            if find(s) == find(0):
                continue
            for k in range(2, min(len(xy), 40)):
                _, near = tree.query(xy[s], k=k)
                other = int(near[-1])
                if find(other) != find(s) and self._link(s, other, "unclassified"):
                    parent[find(s)] = find(other)
                    break

    def _north_of_river(self, point, bridge) -> bool:
        # side of the river relative to its local direction at the bridge
        i = int(np.argmin(np.hypot(*(self.river[:-1] - bridge).T)))
        i = min(i, len(self.river) - 2)
        a, b = self.river[i], self.river[i + 1]
        return bool((b[0] - a[0]) * (point[1] - a[1]) - (b[1] - a[1]) * (point[0] - a[0]) > 0)

    def _villages_on_the_way(self, sa: int, sb: int, xy: np.ndarray) -> list[int]:
        a, b = xy[sa], xy[sb]
        ab = b - a
        length2 = float(ab @ ab)
        t = ((xy - a) @ ab) / length2
        off = np.abs((xy[:, 0] - a[0]) * ab[1] - (xy[:, 1] - a[1]) * ab[0]) / math.sqrt(length2)
        on_way = np.nonzero((t > 0.05) & (t < 0.95) & (off < 800))[0]
        on_way = [int(s) for s in on_way[np.argsort(t[on_way])] if s not in (sa, sb)]
        return [sa, *on_way, sb]

    def _link(self, s1: int, s2: int, road_class: str) -> bool:
        a, b = self.s_xy[s1], self.s_xy[s2]
        if self.crosses_river(a, b):
            return False
        u = self.entry_node(s1, b)
        v = self.entry_node(s2, a)
        self._road_between(u, v, road_class)
        return True

    def _road_between(self, u: int, v: int, road_class: str, via=None) -> None:
        """A winding two-way road from node u to node v, with nodes every ~250 m."""
        a = np.array((self.x[u], self.y[u]))
        b = np.array((self.x[v], self.y[v]))
        if via is not None:
            points = [a, np.asarray(via, float), b]
            dense = np.vstack([np.linspace(p, q, 20, endpoint=False) for p, q in zip(points[:-1], points[1:])] + [b])
        else:
            length = float(np.hypot(*(b - a)))
            t = np.linspace(0.0, 1.0, max(8, int(length / 40)))
            coeff = self.rng.normal(0.0, 1.0, 3) / np.arange(1, 4)
            winding = sum(c * np.sin((k + 1) * np.pi * t) for k, c in enumerate(coeff))
            offset = _LINK_WINDING[road_class] * length * winding
            normal = np.array((-(b - a)[1], (b - a)[0])) / max(length, 1e-9)
            dense = a + np.outer(t, b - a) + np.outer(offset, normal)
        seg = np.hypot(*np.diff(dense, axis=0).T)
        cum = np.concatenate(([0.0], np.cumsum(seg)))
        pieces = max(1, math.ceil(cum[-1] / self.p.link_node_spacing_m))
        cut_idx = [int(np.searchsorted(cum, cum[-1] * i / pieces)) for i in range(1, pieces)]
        chain = [u] + [self.add_node(*dense[i]) for i in cut_idx] + [v]
        bounds = [0, *cut_idx, len(dense) - 1]
        speed = GERMAN_DEFAULT_SPEED_KPH[road_class]
        for k in range(pieces):
            inner = dense[bounds[k] + 1 : bounds[k + 1]]
            self.add_road(chain[k], chain[k + 1], road_class, speed, inner[:: max(1, len(inner) // 3)])

    # --------------------------------------------------------------- output
    def assemble(self) -> RoadNetwork:
        lon, lat = self.to_lonlat(np.array(self.x), np.array(self.y))
        u = np.array([e[0] for e in self.edges], dtype=np.int64)
        v = np.array([e[1] for e in self.edges], dtype=np.int64)
        classes = [e[2] for e in self.edges]
        speed = np.array([e[3] for e in self.edges])
        from routing.network import ROAD_CLASS_INDEX

        length = np.zeros(len(self.edges))
        g_indptr = [0]
        g_lon: list[np.ndarray] = []
        g_lat: list[np.ndarray] = []
        for k, (a, b, _, _, shape) in enumerate(self.edges):
            pts = np.vstack(([self.x[a], self.y[a]], shape.reshape(-1, 2), [self.x[b], self.y[b]]))
            length[k] = np.hypot(*np.diff(pts, axis=0).T).sum()
            slon, slat = self.to_lonlat(shape[:, 0], shape[:, 1]) if len(shape) else (np.zeros(0), np.zeros(0))
            g_lon.append(slon)
            g_lat.append(slat)
            g_indptr.append(g_indptr[-1] + len(shape))
        network = assemble_network(
            name=self.p.name,
            source=self.p.source,
            synthetic=True,
            node_lon=lon,
            node_lat=lat,
            node_osm_id=np.full(len(lon), -1),
            edge_from=u,
            edge_to=v,
            edge_length_m=length,
            edge_time_s=np.maximum(length / (speed / 3.6), 0.5),
            edge_class=np.array([ROAD_CLASS_INDEX[c] for c in classes], dtype=np.uint8),
            geometry_indptr=np.array(g_indptr),
            geometry_lon=np.concatenate(g_lon),
            geometry_lat=np.concatenate(g_lat),
            max_edge_length_m=self.p.max_edge_length_m,  # demo as for OSM sources: nodes at most 300 m apart
            attribution=f"SYNTHETIC roads. {DESTATIS_ATTRIBUTION}",
            extra={
                **self.p.extra,
                "municipalities": len(self.munis),
                "settlements": len(self.s_xy),
                "population": int(sum(m.population for m in self.munis)),
                "seed": self.p.seed,
            },
        )
        return network


def _gabriel_edges(points: np.ndarray) -> list[tuple[int, int]]:
    """Edges of the Gabriel graph: Delaunay edges whose diametral circle holds no other point."""
    if len(points) < 3:
        return [(0, 1)] if len(points) == 2 else []
    tri = Delaunay(points)
    pairs = set()
    for simplex in tri.simplices:
        for i in range(3):
            a, b = int(simplex[i]), int(simplex[(i + 1) % 3])
            pairs.add((min(a, b), max(a, b)))
    tree = cKDTree(points)
    out = []
    for a, b in sorted(pairs):
        mid = (points[a] + points[b]) / 2
        r = np.hypot(*(points[a] - points[b])) / 2
        inside = [i for i in tree.query_ball_point(mid, r * 0.999) if i not in (a, b)]
        if not inside:
            out.append((a, b))
    return out
