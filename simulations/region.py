"""A simulated service region: road network, the municipalities on it and optional stops.

Municipality tables come in three shapes, all read by :func:`read_municipality_table`:

* the package's own format (``ags, name, population, lat, lon[, area_km2]``);
* the shared three-county table (``population_zensus2022`` / ``population_2019`` instead of
  ``population``);
* the Destatis GV-ISys table for all of Germany (``AuszugGV4QAktuell.csv``: ``satzart`` 60 rows,
  decimal commas, spaces as thousands separators).

Only municipalities whose centre lies inside the network's bounding box and near one of its roads
take part (:func:`municipalities_on_network`), so the Germany table can be given for any OSM
extract. A per-process cache (:func:`get_region`) builds each region once per worker.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from ride_pool.stop_files import StopFileError, read_stop_file
from routing.errors import RoutingInputError
from routing.municipalities import Municipality, load_municipalities
from routing.network import RoadNetwork
from routing.state_network import is_state_spec, read_state_municipalities
from routing.travel_times import TravelTimes
from simulations.errors import SimulationInputError

POPULATION_COLUMNS = ("population", "population_zensus2022", "population_2019")
OSM_SUFFIXES = (".osm", ".osm.gz", ".osm.bz2", ".osm.pbf", ".pbf")
DEMO_NETWORK_NAME = "demo-landkreis-meissen"
#: A municipality's centre (an administrative point, not always on a road) must lie this close to
#: a road node of the network to take part.
CENTRE_MAX_ROAD_DISTANCE_M = 1500.0


# --------------------------------------------------------------------------- municipalities
def _read_text(path: Path, what: str) -> str:
    if not path.is_file():
        raise SimulationInputError(f"{path}: no such {what} file")
    try:
        return path.read_text("utf-8-sig")
    except UnicodeDecodeError:
        raise SimulationInputError(f"{path}: the {what} file is not UTF-8 text") from None


def _german_number(text: str) -> float:
    return float(str(text).replace(" ", "").replace("\u00a0", "").replace(",", "."))


def read_municipality_table(path: str | Path) -> list[Municipality]:
    """Municipalities (with population > 0) from a CSV in one of the three supported shapes."""
    path = Path(path)
    text = _read_text(path, "municipality")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not lines:
        raise SimulationInputError(f"{path}: the municipality file is empty")
    rows = list(csv.DictReader(io.StringIO("\n".join(lines))))
    header = [h.strip() for h in (rows[0].keys() if rows else next(csv.reader([lines[0]])))]
    if "satzart" in header:
        return _read_gv_table(path, rows)
    population_column = next((c for c in POPULATION_COLUMNS if c in header), None)
    missing = [c for c in ("ags", "name", "lat", "lon") if c not in header]
    if population_column is None:
        missing.append("population")
    if missing:
        raise SimulationInputError(
            f"{path}: municipality table lacks column(s) {', '.join(missing)}; it needs ags, name, population "
            f"(or population_zensus2022 / population_2019), lat, lon — or give the Destatis GV-ISys table"
        )
    out = []
    for number, row in enumerate(rows, start=2):
        if not (row.get(population_column) or "").strip():
            continue   # no population figure: uninhabited (e.g. a gemeindefreies Gebiet)
        try:
            area = row.get("area_km2")
            municipality = Municipality(
                ags=row["ags"].strip(), name=row["name"].strip(),
                population=int(_german_number(row[population_column])),
                lat=float(row["lat"]), lon=float(row["lon"]),
                area_km2=float(area) if area not in (None, "") else None)
        except (ValueError, TypeError, AttributeError) as exc:
            raise SimulationInputError(f"{path}, row {number}: cannot read a municipality ({exc}); population, "
                                       "lat and lon must be numbers") from None
        if not (-90 <= municipality.lat <= 90 and -180 <= municipality.lon <= 180):
            raise SimulationInputError(f"{path}, row {number}: lat/lon {municipality.lat}, {municipality.lon} are "
                                       "not WGS84 degrees")
        if municipality.population > 0:
            out.append(municipality)
    if not out:
        raise SimulationInputError(f"{path}: no inhabited municipality in the table")
    return out


def _read_gv_table(path: Path, rows: list[dict]) -> list[Municipality]:
    """The Destatis GV-ISys extract: ``satzart`` 60 rows are municipalities."""
    out = []
    for row in rows:
        if (row.get("satzart") or "").strip() != "60":
            continue
        lon, lat, population = row.get("laengengrad"), row.get("breitengrad"), row.get("bevoelkerung")
        if not (lon and lat and population and lon.strip() and lat.strip() and population.strip()):
            continue   # uninhabited areas and a few rows without coordinates
        try:
            municipality = Municipality(
                ags=row["land"] + row["rb"] + row["kreis"] + row["gemeinde"], name=row["gemeindename"].strip(),
                population=int(_german_number(population)), lat=_german_number(lat), lon=_german_number(lon),
                area_km2=_german_number(row["flaeche"]) if (row.get("flaeche") or "").strip() else None)
        except (ValueError, KeyError, TypeError):
            continue
        if municipality.population > 0:
            out.append(municipality)
    if not out:
        raise SimulationInputError(f"{path}: no municipality rows (satzart 60) with population and coordinates")
    return out


def municipalities_in_bbox(municipalities: list[Municipality], min_lon: float, min_lat: float, max_lon: float,
                           max_lat: float) -> list[Municipality]:
    """The municipalities whose centre point lies inside the box (edges included)."""
    return [m for m in municipalities if min_lon <= m.lon <= max_lon and min_lat <= m.lat <= max_lat]


def network_bbox(network: RoadNetwork) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat) of the network's nodes."""
    return (float(network.node_lon.min()), float(network.node_lat.min()),
            float(network.node_lon.max()), float(network.node_lat.max()))


def municipalities_on_network(municipalities: list[Municipality], network: RoadNetwork,
                              max_snap_distance_m: float = CENTRE_MAX_ROAD_DISTANCE_M, *,
                              travel: TravelTimes | None = None) -> list[Municipality]:
    """Municipalities with their centre inside the network's bounding box and near a road.

    A municipality at the edge of an extract counts with its whole population. ``travel`` (the
    network's :class:`TravelTimes`) lends its projection and node tree; without it they are built.
    """
    inside = municipalities_in_bbox(municipalities, *network_bbox(network))
    if not inside:
        return []
    if travel is None:
        travel = TravelTimes(network)
    distances, _ = travel.node_tree.query(
        np.column_stack(travel.project([m.lon for m in inside], [m.lat for m in inside])))
    return [m for m, d in zip(inside, distances) if d <= max_snap_distance_m]


# --------------------------------------------------------------------------- stops
@dataclass(frozen=True)
class Stop:
    stop_id: int
    name: str
    lat: float
    lon: float
    #: the stop file's town and kind/type columns ("" without them)
    town: str = ""
    kind: str = ""


def read_stops(path: str | Path) -> list[Stop]:
    """Stops from a stop file (VVO station list, GTFS ``stops.txt``, a plain latitude/longitude
    table; see :mod:`ride_pool.stop_files`). A stop's id is its number, else its place in the file."""
    try:
        rows = read_stop_file(Path(path), require_names=False)
    except StopFileError as exc:
        raise SimulationInputError(str(exc)) from None
    return [Stop(row.number if row.number is not None else index, row.name, row.lat, row.lon, row.town, row.kind)
            for index, row in enumerate(rows)]


# --------------------------------------------------------------------------- the region
#: Land key (first two digits of the Amtlicher Gemeindeschlüssel) → ISO 3166-2 code of the state
STATE_OF_AGS_PREFIX = {
    "01": "SH", "02": "HH", "03": "NI", "04": "HB", "05": "NW", "06": "HE", "07": "RP", "08": "BW",
    "09": "BY", "10": "SL", "11": "BE", "12": "BB", "13": "MV", "14": "SN", "15": "ST", "16": "TH",
}


@dataclass
class Region:
    """Everything the demand model and the fleet need about a service region."""

    key: str
    network: RoadNetwork
    travel: TravelTimes
    municipalities: list[Municipality]
    #: nearest road node of each municipality centre (computed when not given)
    centre_nodes: np.ndarray | None = None
    stops: list[Stop] = field(default_factory=list)
    stop_nodes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    stop_municipality: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    stop_xy: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    stops_outside: int = 0

    def __post_init__(self) -> None:
        # the travel-time model already holds the network's projection and node tree
        self.project = self.travel.project
        self.node_tree = self.travel.node_tree
        self.node_xy = self.node_tree.data
        cx, cy = self.project([m.lon for m in self.municipalities], [m.lat for m in self.municipalities])
        self.centre_xy = np.column_stack((cx, cy))
        self.population = np.array([m.population for m in self.municipalities], dtype=np.float64)
        if self.centre_nodes is None:
            self.centre_nodes = np.asarray(self.node_tree.query(self.centre_xy)[1], dtype=np.int64)

    @property
    def name(self) -> str:
        return self.network.name

    @property
    def synthetic(self) -> bool:
        return bool(self.network.synthetic)

    @property
    def state(self) -> str | None:
        """The German state (ISO 3166-2 code without ``DE-``, e.g. ``SN``) most of the region's
        municipalities lie in, from the first two digits of their AGS; None when no AGS names one.
        Its public holidays are Sunday service days in the simulator."""
        counts: dict[str, int] = {}
        for m in self.municipalities:
            code = STATE_OF_AGS_PREFIX.get(str(m.ags)[:2])
            if code:
                counts[code] = counts.get(code, 0) + 1
        return max(sorted(counts), key=counts.get) if counts else None

    def municipality_of(self, x, y) -> np.ndarray:
        """Index of the municipality whose centre is nearest to each projected point."""
        _, idx = cKDTree(self.centre_xy).query(np.column_stack((np.atleast_1d(x), np.atleast_1d(y))))
        return np.asarray(idx, dtype=np.int64)


def _load_network(spec: str) -> RoadNetwork:
    from routing.sources import build_network, open_network

    spec = spec.strip()
    if spec == "demo":
        return build_network("demo")
    if is_state_spec(spec):
        try:
            return build_network(spec)
        except RoutingInputError as exc:
            raise SimulationInputError(f"region {spec!r}: {exc}") from None
    path = Path(spec)
    lower = path.name.lower()
    if lower.endswith(".npz") or lower.endswith(OSM_SUFFIXES):
        if not path.is_file():
            raise SimulationInputError(f"region {spec!r}: no such network file")
        try:
            return open_network(spec) if lower.endswith(".npz") else build_network(spec)
        except RoutingInputError as exc:
            raise SimulationInputError(f"region {spec!r}: {exc}") from None
    raise SimulationInputError(
        f"unknown region {spec!r}: give 'demo', 'state:SN' (a synthetic Land), a network file (.npz, made with "
        f"'ride-pool network build') or an OSM file (.osm, .osm.gz, .osm.bz2, .osm.pbf) together with "
        f"--municipalities CSV"
    )


def load_region(spec: str, municipalities: str | Path | None = None, stops: str | Path | None = None, *,
                network: RoadNetwork | None = None) -> Region:
    """Build a region from a network spec and optional municipality and stop tables.

    ``demo`` (or a saved demo ``.npz``) uses the shipped Landkreis Meißen table when no
    municipality file is given, ``state:SN`` the Land's rows of the Destatis table; every other
    network needs one.
    """
    table = read_municipality_table(municipalities) if municipalities is not None else None   # cheap checks first
    stop_table = read_stops(stops) if stops is not None else None
    network = network if network is not None else _load_network(spec)
    travel = TravelTimes(network)
    if table is None and is_state_spec(spec):
        try:
            table = read_state_municipalities(spec)
        except RoutingInputError as exc:
            raise SimulationInputError(f"region {spec!r}: {exc}") from None
        source = f"the Destatis table of {spec.strip()}"
    elif table is None:
        if network.name != DEMO_NETWORK_NAME:
            raise SimulationInputError(
                f"region {spec!r} needs a municipality table: give --municipalities CSV (ags, name, population, lat, "
                f"lon, or the Destatis GV-ISys table {Path('AuszugGV4QAktuell.csv')})"
            )
        table = load_municipalities()
        source = "the shipped Landkreis Meißen table"
    else:
        source = str(municipalities)
    on_network = municipalities_on_network(table, network, travel=travel)
    if not on_network:
        raise SimulationInputError(f"no municipality of {source} lies on the road network of region {spec!r}; give "
                                   "the table of the municipalities the network covers")
    # deterministic order: by AGS
    on_network.sort(key=lambda m: (m.ags, m.name))
    region = Region(key=region_key(spec, municipalities, stops), network=network, travel=travel,
                    municipalities=on_network)
    if stop_table is not None:
        _attach_stops(region, stop_table, str(stops))
    return region


def _attach_stops(region: Region, stops: list[Stop], source: str) -> None:
    """Keep the stops near a road, snap them and assign each to the municipality of the nearest centre."""
    travel = region.travel
    lon = np.array([s.lon for s in stops])
    lat = np.array([s.lat for s in stops])
    x, y = region.project(lon, lat)
    distances, nodes = region.node_tree.query(np.column_stack((x, y)))
    min_lon, min_lat, max_lon, max_lat = network_bbox(region.network)
    keep = (distances <= travel.max_snap_distance_m) & (lon >= min_lon) & (lon <= max_lon) & (lat >= min_lat) & \
        (lat <= max_lat)
    if not keep.any():
        raise SimulationInputError(f"{source}: none of the {len(stops)} stops lies within "
                                   f"{travel.max_snap_distance_m:.0f} m of the region's roads")
    idx = np.flatnonzero(keep)
    region.stops = [stops[i] for i in idx]
    region.stop_nodes = nodes[idx].astype(np.int64)
    region.stop_municipality = region.municipality_of(x[idx], y[idx])
    region.stops_outside = int(len(stops) - len(idx))
    region.stop_xy = np.column_stack((x[idx], y[idx]))


def region_key(spec: str, municipalities=None, stops=None) -> str:
    """Cache key of a region: the spec and the resolved paths of its tables."""
    def norm(p):
        return "" if p is None else str(Path(p).resolve())
    spec = spec.strip()
    return "|".join((spec if spec == "demo" or is_state_spec(spec) else norm(spec), norm(municipalities), norm(stops)))


_REGIONS: dict[str, Region] = {}


def get_region(spec: str, municipalities=None, stops=None) -> Region:
    """The region for these inputs, built once per process (each Dask worker builds it once)."""
    key = region_key(spec, municipalities, stops)
    region = _REGIONS.get(key)
    if region is None:
        region = load_region(spec, municipalities, stops)
        _REGIONS[key] = region
    return region


def cache_region(region: Region) -> None:
    """Put an already built region into this process's cache (tests, the CLI's main process)."""
    _REGIONS[region.key] = region
