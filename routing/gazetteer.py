"""The gazetteer: the places people name (settlements, streets, addresses, points of interest),
built with the road network and saved beside its ``.npz`` (``<name>.places.json.gz``).

From OpenStreetMap (:func:`gazetteer_from_osm_file`):

* settlements: ``place=city/town/village/hamlet/isolated_dwelling/suburb`` on nodes and areas;
* streets: every named way (``highway=*``, drivable or not), one entry per street name and
  settlement, at a point on the street; all the street's points are kept for reverse look-ups;
* addresses: ``addr:housenumber`` with ``addr:street`` (or ``addr:place``) on nodes and buildings,
  labelled "Dorfstraße 12, Krögis (Käbschütztal)" (street and number, settlement, municipality);
* points of interest people travel to (doctors, dentists, pharmacies, hospitals, schools, town
  halls, stations, supermarkets, churches, cemeteries ...), each with a German category word that
  search finds ("Arzt", "Apotheke", "Friedhof" ...).

A settlement's municipality is the ``addr:city`` most addresses around it carry. Every entry's
settlement is the nearest settlement point (within :data:`SETTLEMENT_RADIUS_M`).

For the synthetic ``demo`` county, :func:`demo_gazetteer` names the demo's settlements (main
settlement = municipality, villages = its numbered Ortsteile) and gives the bigger ones synthetic
points of interest; all labelled synthetic. Stops come from the service's stop table, not from here.

This module imports nothing above ``routing``.
"""

from __future__ import annotations

import gzip
import json
import math
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from routing.errors import NetworkFileError, OsmInputError
from routing.network import OSM_ATTRIBUTION, RoadNetwork, write_atomically

KINDS = ("stop", "settlement", "street", "address", "poi")
FORMAT_VERSION = 1
#: the settlement types, biggest first, and how much a search ranks them up
SETTLEMENT_TYPES = ("city", "town", "suburb", "village", "hamlet", "isolated_dwelling")
SETTLEMENT_RANK = {"city": 6, "town": 5, "suburb": 4, "village": 4, "hamlet": 2, "isolated_dwelling": 1}
#: an entry belongs to the nearest settlement within this distance
SETTLEMENT_RADIUS_M = 4000.0

#: (tag, value) -> (German category word, further words that find it)
POI_CATEGORIES: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {
    ("amenity", "doctors"): ("Arzt", ("Ärztin", "Arztpraxis", "Praxis", "Doktor", "Hausarzt")),
    ("healthcare", "doctor"): ("Arzt", ("Ärztin", "Arztpraxis", "Praxis", "Doktor", "Hausarzt")),
    ("amenity", "dentist"): ("Zahnarzt", ("Zahnärztin", "Zahnarztpraxis", "Praxis")),
    ("healthcare", "dentist"): ("Zahnarzt", ("Zahnärztin", "Zahnarztpraxis", "Praxis")),
    ("amenity", "pharmacy"): ("Apotheke", ()),
    ("healthcare", "pharmacy"): ("Apotheke", ()),
    ("amenity", "hospital"): ("Krankenhaus", ("Klinikum", "Klinik", "Spital")),
    ("healthcare", "hospital"): ("Krankenhaus", ("Klinikum", "Klinik", "Spital")),
    ("amenity", "clinic"): ("Klinik", ("Ärztehaus", "Praxis", "Arzt")),
    ("healthcare", "clinic"): ("Klinik", ("Ärztehaus", "Praxis", "Arzt")),
    ("healthcare", "physiotherapist"): ("Physiotherapie", ("Krankengymnastik", "Praxis")),
    ("amenity", "school"): ("Schule", ("Grundschule", "Oberschule")),
    ("amenity", "kindergarten"): ("Kindergarten", ("Kita",)),
    ("amenity", "townhall"): ("Rathaus", ("Gemeindeamt", "Gemeindeverwaltung", "Stadtverwaltung")),
    ("amenity", "post_office"): ("Post", ("Postfiliale",)),
    ("amenity", "bank"): ("Bank", ("Sparkasse",)),
    ("amenity", "library"): ("Bibliothek", ("Bücherei",)),
    ("amenity", "community_centre"): ("Gemeindezentrum", ("Bürgerhaus", "Dorfgemeinschaftshaus")),
    ("amenity", "social_facility"): ("Pflegeheim", ("Seniorenheim", "Altenheim", "Sozialeinrichtung")),
    ("amenity", "nursing_home"): ("Pflegeheim", ("Seniorenheim", "Altenheim")),
    ("railway", "station"): ("Bahnhof", ("Bahn", "Zug")),
    ("railway", "halt"): ("Bahnhof", ("Haltepunkt", "Bahn", "Zug")),
    ("public_transport", "station"): ("Bahnhof", ("Bahn", "Station")),
    ("amenity", "bus_station"): ("Busbahnhof", ("Bus", "ZOB")),
    ("shop", "supermarket"): ("Supermarkt", ("Einkaufen", "Markt", "Lebensmittel")),
    ("shop", "convenience"): ("Laden", ("Einkaufen", "Lebensmittel")),
    ("shop", "bakery"): ("Bäckerei", ("Bäcker",)),
    ("shop", "butcher"): ("Fleischerei", ("Metzgerei", "Fleischer")),
    ("amenity", "place_of_worship"): ("Kirche", ("Gotteshaus",)),
    ("landuse", "cemetery"): ("Friedhof", ()),
    ("amenity", "grave_yard"): ("Friedhof", ("Kirchhof",)),
    ("amenity", "restaurant"): ("Gaststätte", ("Gasthof", "Restaurant", "Gasthaus")),
    ("amenity", "pub"): ("Gaststätte", ("Gasthof", "Kneipe", "Wirtshaus")),
    ("amenity", "cafe"): ("Café", ("Kaffee",)),
    ("leisure", "swimming_pool"): ("Schwimmbad", ("Bad",)),
    ("leisure", "water_park"): ("Schwimmbad", ("Freibad", "Bad")),
    ("leisure", "sports_centre"): ("Sportzentrum", ("Sporthalle", "Sport")),
    ("amenity", "fire_station"): ("Feuerwehr", ("Feuerwehrhaus",)),
    ("tourism", "museum"): ("Museum", ()),
    ("tourism", "hotel"): ("Hotel", ("Pension", "Übernachtung")),
}
_POI_KEYS = tuple(sorted({k for k, _ in POI_CATEGORIES}))
_RELIGION_WORD = {"muslim": "Moschee", "jewish": "Synagoge", "buddhist": "Tempel"}


@dataclass(frozen=True)
class GazetteerEntry:
    """One place: ``kind`` (see :data:`KINDS`), the ``name`` people say, the full German
    ``label``, a point, more ``words`` that find it (category words), its ``rank`` (bigger places
    first among equal matches) and, for stops, the stop's id."""

    kind: str
    name: str
    label: str
    lat: float
    lon: float
    words: str = ""
    rank: int = 0
    stop_id: int | None = None


@dataclass(frozen=True, eq=False)
class Gazetteer:
    """The places of one network. ``street_lat/lon/entry``: the points along every named street
    (at most 20 m apart) and the index of the street's entry, for reverse look-ups."""

    entries: tuple[GazetteerEntry, ...]
    street_lat: np.ndarray = field(default_factory=lambda: np.zeros(0))
    street_lon: np.ndarray = field(default_factory=lambda: np.zeros(0))
    street_entry: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    source: str = ""
    attribution: str = OSM_ATTRIBUTION
    synthetic: bool = False
    #: the network's ``source`` this gazetteer was built with
    network_source: str = ""

    def counts(self) -> dict[str, int]:
        c = Counter(e.kind for e in self.entries)
        return {k: c.get(k, 0) for k in KINDS}

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> Path:
        """Write to one gzip-compressed JSON file, atomically."""
        path = Path(path)
        if not path.parent.exists():
            raise NetworkFileError(f"{path.parent}: output folder does not exist")
        columns = {name: [getattr(e, name) for e in self.entries]
                   for name in ("kind", "name", "label", "lat", "lon", "words", "rank", "stop_id")}
        data = {"format_version": FORMAT_VERSION, "source": self.source, "attribution": self.attribution,
                "synthetic": self.synthetic, "network_source": self.network_source, "entries": columns,
                "street_points": {"lat": np.round(self.street_lat, 7).tolist(),
                                  "lon": np.round(self.street_lon, 7).tolist(),
                                  "entry": self.street_entry.astype(int).tolist()}}
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

        def write(raw) -> None:
            with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as fh:
                fh.write(text)

        return write_atomically(path, write)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Gazetteer":
        path = Path(path)
        try:
            with gzip.open(path, "rb") as fh:
                data = json.loads(fh.read().decode("utf-8"))
            if data.get("format_version") != FORMAT_VERSION:
                raise ValueError(f"format {data.get('format_version')} is not {FORMAT_VERSION}")
            cols = data["entries"]
            entries = tuple(GazetteerEntry(*row) for row in zip(
                cols["kind"], cols["name"], cols["label"], cols["lat"], cols["lon"], cols["words"], cols["rank"],
                cols["stop_id"]))
            sp = data["street_points"]
            return cls(entries, np.asarray(sp["lat"], dtype=np.float64), np.asarray(sp["lon"], dtype=np.float64),
                       np.asarray(sp["entry"], dtype=np.int64), data.get("source", ""),
                       data.get("attribution", OSM_ATTRIBUTION), bool(data.get("synthetic")),
                       data.get("network_source", ""))
        except FileNotFoundError:
            raise NetworkFileError(f"{path}: no such places file (build the network again with "
                                   "'ride-pool network build')") from None
        except (OSError, EOFError, ValueError, KeyError, TypeError) as exc:
            raise NetworkFileError(f"{path}: not a ride_pool places file ({exc}); build the network again "
                                   "with 'ride-pool network build'") from exc


def gazetteer_path(network_path: str | os.PathLike) -> Path:
    """Where the places of the network file ``network_path`` are kept: beside it,
    ``x.npz`` -> ``x.places.json.gz``."""
    path = Path(network_path)
    return path.with_name(path.stem + ".places.json.gz")


def empty_gazetteer(network: RoadNetwork | None = None) -> Gazetteer:
    return Gazetteer((), attribution=network.attribution if network else OSM_ATTRIBUTION,
                     synthetic=bool(network.synthetic) if network else False,
                     network_source=network.source if network else "")


# ---------------------------------------------------------------------- helpers
class _Projector:
    """Metres east/north of a reference point (equirectangular; good to a few metres locally)."""

    def __init__(self, lat0: float, lon0: float):
        self.lat0, self.lon0 = lat0, lon0
        self.kx = math.radians(1.0) * 6_371_008.8 * math.cos(math.radians(lat0))
        self.ky = math.radians(1.0) * 6_371_008.8

    def xy(self, lat, lon) -> np.ndarray:
        lat, lon = np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)
        return np.column_stack(((lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky))


def settlement_label(name: str, municipality: str | None) -> str:
    """``"Krögis (Käbschütztal)"``; the name alone when the municipality is the same place under
    another spelling ("Lauf an der Pegnitz", addr:city "Lauf a.d.Pegnitz")."""
    if not municipality or municipality.split()[0].strip(".,") == name.split()[0].strip(".,"):
        return name
    return f"{name} ({municipality})"


def _place_part(settlement: str | None, municipality: str | None) -> str:
    if settlement:
        return settlement_label(settlement, municipality)
    return municipality or ""


def _join(*parts: str) -> str:
    return ", ".join(p for p in parts if p)


def short_municipality(name: str) -> str:
    """``"Meißen, Stadt"`` -> ``"Meißen"`` (the official names carry the kind after a comma)."""
    return name.split(",")[0].strip()


# ---------------------------------------------------------------------- OSM
@dataclass
class _Raw:
    settlements: list = field(default_factory=list)      # (name, type, lat, lon)
    streets: list = field(default_factory=list)          # (name, lats, lons)
    addresses: list = field(default_factory=list)        # (street, number, city, lat, lon, postcode)
    pois: list = field(default_factory=list)             # (name, category, words, lat, lon, street, number)


#: points along a street are at most this far apart (reverse look-ups measure to the nearest)
STREET_POINT_SPACING_M = 20.0


def _densify(lat: np.ndarray, lon: np.ndarray, proj: _Projector) -> tuple[np.ndarray, np.ndarray]:
    """The polyline with points added so that none are more than the spacing apart."""
    if len(lat) < 2:
        return lat, lon
    xy = proj.xy(lat, lon)
    seg = np.hypot(*np.diff(xy, axis=0).T)
    out_lat, out_lon = [lat[:1]], [lon[:1]]
    for i, length in enumerate(seg):
        k = max(1, int(math.ceil(length / STREET_POINT_SPACING_M)))
        t = np.arange(1, k + 1) / k
        out_lat.append(lat[i] + t * (lat[i + 1] - lat[i]))
        out_lon.append(lon[i] + t * (lon[i + 1] - lon[i]))
    return np.concatenate(out_lat), np.concatenate(out_lon)


def _poi_category(tags: dict) -> tuple[str, tuple[str, ...]] | None:
    for key in _POI_KEYS:
        value = tags.get(key)
        if value is None:
            continue
        hit = POI_CATEGORIES.get((key, value))
        if hit is None:
            continue
        if key == "amenity" and value == "place_of_worship":
            word = _RELIGION_WORD.get(tags.get("religion", ""), "Kirche")
            return word, ("Gotteshaus",) if word != "Kirche" else hit[1]
        if key == "amenity" and value == "social_facility" and tags.get("social_facility") not in (
                None, "nursing_home", "assisted_living", "group_home"):
            return "Sozialeinrichtung", ()
        return hit
    return None


def _read_osm(path: Path) -> _Raw:
    import osmium

    raw = _Raw()

    def take(tags: dict, lats, lons, is_way: bool) -> None:
        if not len(lats):
            return
        lat, lon = float(np.mean(lats)), float(np.mean(lons))
        name = tags.get("name", "").strip()
        place = tags.get("place")
        if place in SETTLEMENT_TYPES and name:
            raw.settlements.append((name, place, lat, lon))
        if is_way and "highway" in tags and name and tags.get("area") != "yes":
            raw.streets.append((name, np.asarray(lats), np.asarray(lons)))
        number = tags.get("addr:housenumber", "").strip()
        street = (tags.get("addr:street") or tags.get("addr:place") or "").strip()
        if number and street:
            city = (tags.get("addr:city") or "").strip()
            raw.addresses.append((street, number, city, lat, lon, (tags.get("addr:postcode") or "").strip()))
        category = _poi_category(tags)
        if category is not None and "highway" not in tags:
            raw.pois.append((name, category[0], category[1], lat, lon, street, number))

    try:
        processor = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_locations()
        for obj in processor:
            if not len(obj.tags):
                continue
            tags = {t.k: t.v for t in obj.tags}
            if obj.is_node():
                if obj.location.valid():
                    take(tags, [obj.location.lat], [obj.location.lon], False)
                continue
            if not any(k in tags for k in ("place", "highway", "addr:housenumber", *_POI_KEYS)):
                continue
            lats = [n.location.lat for n in obj.nodes if n.location.valid()]
            lons = [n.location.lon for n in obj.nodes if n.location.valid()]
            if len(lats) > 1 and obj.is_closed() and "highway" not in tags:
                lats, lons = lats[:-1], lons[:-1]         # a closed ring: its first point once
            take(tags, lats, lons, True)
        # areas from multipolygon relations (big settlements, cemeteries, hospitals)
        for area in osmium.FileProcessor(str(path)).with_areas().with_filter(osmium.filter.EntityFilter(
                osmium.osm.AREA)):
            if area.from_way() or not len(area.tags):
                continue
            tags = {t.k: t.v for t in area.tags}
            if not any(k in tags for k in ("place", "addr:housenumber", *_POI_KEYS)):
                continue
            lats, lons = [], []
            for ring in area.outer_rings():
                for n in ring:
                    if n.location.valid():
                        lats.append(n.location.lat)
                        lons.append(n.location.lon)
            take(tags, lats, lons, False)
    except RuntimeError as exc:
        raise OsmInputError(f"{path}: cannot read the OSM file ({exc}); is it corrupt or truncated?") from exc
    return raw


def gazetteer_from_osm_file(path: str | os.PathLike, network: RoadNetwork | None = None) -> Gazetteer:
    """The gazetteer of an OSM file (see the module docstring)."""
    path = Path(path)
    raw = _read_osm(path)
    return _assemble(raw, source=f"OSM file {path.name}", network=network)


def _assemble(raw: _Raw, *, source: str, network: RoadNetwork | None) -> Gazetteer:
    from scipy.spatial import cKDTree

    all_lat = [s[2] for s in raw.settlements] + [a[3] for a in raw.addresses]
    all_lon = [s[3] for s in raw.settlements] + [a[4] for a in raw.addresses]
    if network is not None:
        lat0, lon0 = float(np.mean(network.node_lat)), float(np.mean(network.node_lon))
    elif all_lat:
        lat0, lon0 = float(np.mean(all_lat)), float(np.mean(all_lon))
    else:
        lat0, lon0 = 50.0, 10.0
    proj = _Projector(lat0, lon0)

    # settlements: one per name and nearby point (a node and an area of the same village are one)
    settlements: list[tuple[str, str, float, float]] = []
    for name, kind, lat, lon in sorted(raw.settlements, key=lambda s: SETTLEMENT_TYPES.index(s[1])):
        if any(n == name and abs(la - lat) < 0.02 and abs(lo - lon) < 0.03 for n, _, la, lo in settlements):
            continue
        settlements.append((name, kind, lat, lon))
    s_tree = cKDTree(proj.xy([s[2] for s in settlements], [s[3] for s in settlements])) if settlements else None

    def settlement_of(lat, lon) -> np.ndarray:
        """Index of the nearest settlement of each point within the radius, else -1."""
        lat = np.atleast_1d(lat)
        if s_tree is None or not len(lat):
            return np.full(len(lat), -1, dtype=np.int64)
        d, i = s_tree.query(proj.xy(lat, np.atleast_1d(lon)), distance_upper_bound=SETTLEMENT_RADIUS_M)
        return np.where(np.isfinite(d), i, -1).astype(np.int64)

    # each settlement's municipality: the addr:city most of its addresses carry
    votes: dict[int, Counter] = defaultdict(Counter)
    if raw.addresses:
        owners = settlement_of([a[3] for a in raw.addresses], [a[4] for a in raw.addresses])
        for a, s in zip(raw.addresses, owners):
            if s >= 0 and a[2]:
                votes[int(s)][a[2]] += 1
    municipality = {s: c.most_common(1)[0][0] for s, c in votes.items()}
    s_names = [s[0] for s in settlements]

    def where(s: int, city: str = "") -> str:
        if s < 0:
            return city
        return _place_part(s_names[s], city or municipality.get(s))

    entries: list[GazetteerEntry] = []
    for i, (name, kind, lat, lon) in enumerate(settlements):
        entries.append(GazetteerEntry("settlement", name, settlement_label(name, municipality.get(i)), lat, lon,
                                      "", SETTLEMENT_RANK[kind]))

    # streets: one entry per (name, settlement), at the middle point of its longest piece
    street_lat: list[float] = []
    street_lon: list[float] = []
    street_entry: list[int] = []
    groups: dict[tuple[str, int], list[tuple[np.ndarray, np.ndarray]]] = defaultdict(list)
    if raw.streets:
        mids = [(float(np.median(la)), float(np.median(lo))) for _, la, lo in raw.streets]
        owners = settlement_of([m[0] for m in mids], [m[1] for m in mids])
        for (name, la, lo), s in zip(raw.streets, owners):
            groups[(name, int(s))].append((la, lo))
    for (name, s), pieces in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        longest = max(pieces, key=len)
        k = len(longest[0]) // 2
        index = len(entries)
        place = municipality.get(s, "") if s >= 0 and name == s_names[s] else where(s)
        entries.append(GazetteerEntry("street", name, _join(name, place), float(longest[0][k]),
                                      float(longest[1][k]), "", 1))
        for la, lo in pieces:
            la, lo = _densify(la, lo, proj)
            street_lat.extend(la.tolist())
            street_lon.extend(lo.tolist())
            street_entry.extend([index] * len(la))

    # addresses: one per (street, number, settlement)
    seen: set[tuple[str, str, int]] = set()
    if raw.addresses:
        owners = settlement_of([a[3] for a in raw.addresses], [a[4] for a in raw.addresses])
        for (street, number, city, lat, lon, _postcode), s in zip(raw.addresses, owners):
            key = (street, number.lower(), int(s))
            if key in seen:
                continue
            seen.add(key)
            place = where(int(s), city if s < 0 else "")
            if s >= 0 and street == s_names[s]:        # "Dörflas 2, Bindlach": the hamlet is the street
                place = municipality.get(int(s), "")
            entries.append(GazetteerEntry("address", f"{street} {number}", _join(f"{street} {number}", place),
                                          lat, lon, "", 0))

    # points of interest
    if raw.pois:
        owners = settlement_of([p[3] for p in raw.pois], [p[4] for p in raw.pois])
        seen_poi: set[tuple[str, str, int, int]] = set()
        for (name, category, words, lat, lon, street, number), s in zip(raw.pois, owners):
            shown = name or category
            key = (shown, category, round(lat * 2000), round(lon * 2000))
            if key in seen_poi:
                continue
            seen_poi.add(key)
            first = shown if category.lower() in shown.lower() else f"{shown} ({category})"
            address = f"{street} {number}".strip() if street and number else ""
            entries.append(GazetteerEntry("poi", shown, _join(first, address, where(int(s))), lat, lon,
                                          " ".join((category, *words)), 3))

    return Gazetteer(tuple(entries), np.asarray(street_lat, dtype=np.float64),
                     np.asarray(street_lon, dtype=np.float64), np.asarray(street_entry, dtype=np.int64),
                     source=source, attribution=OSM_ATTRIBUTION, synthetic=False,
                     network_source=network.source if network is not None else "")


def gazetteer_from_place(place: str, network: RoadNetwork | None = None) -> Gazetteer:
    """The gazetteer of a place downloaded through osmnx (needs internet): settlements, named
    streets, addresses and points of interest of the area, as for a file."""
    import osmnx as ox

    tags = {"place": list(SETTLEMENT_TYPES), "highway": True, "addr:housenumber": True,
            **{k: True for k in _POI_KEYS}}
    frame = ox.features_from_place(place, tags)
    raw = _Raw()
    for _, row in frame.iterrows():
        t = {k: v for k, v in row.items() if isinstance(v, str)}
        geom = row.geometry
        if geom is None:
            continue
        if geom.geom_type in ("LineString", "LinearRing"):
            lons, lats = np.asarray(geom.coords).T
        else:
            c = geom.centroid
            lons, lats = np.array([c.x]), np.array([c.y])
        name = t.get("name", "").strip()
        if t.get("place") in SETTLEMENT_TYPES and name:
            raw.settlements.append((name, t["place"], float(lats.mean()), float(lons.mean())))
        if geom.geom_type == "LineString" and "highway" in t and name:
            raw.streets.append((name, lats, lons))
        number = t.get("addr:housenumber", "").strip()
        street = (t.get("addr:street") or t.get("addr:place") or "").strip()
        if number and street:
            raw.addresses.append((street, number, t.get("addr:city", ""), float(lats.mean()), float(lons.mean()),
                                  t.get("addr:postcode", "")))
        category = _poi_category(t)
        if category is not None and "highway" not in t:
            raw.pois.append((name, category[0], category[1], float(lats.mean()), float(lons.mean()), street, number))
    return _assemble(raw, source=f"OSM place {place}", network=network)


# ---------------------------------------------------------------------- the synthetic demo
#: synthetic points of interest in each municipality's main settlement: (category, words, least population)
DEMO_POIS = (
    ("Arztpraxis", "Arzt Ärztin Praxis Doktor Hausarzt", 0),
    ("Apotheke", "", 1500),
    ("Rathaus", "Gemeindeamt Gemeindeverwaltung Stadtverwaltung", 0),
    ("Supermarkt", "Einkaufen Markt Lebensmittel", 2500),
    ("Zahnarztpraxis", "Zahnarzt Zahnärztin Praxis", 4000),
    ("Krankenhaus", "Klinikum Klinik Spital", 18000),
)


def demo_gazetteer(network: RoadNetwork) -> Gazetteer:
    """The synthetic demo county's places: each municipality's main settlement under the
    municipality's name, its villages as numbered Ortsteile ("Käbschütztal Ortsteil 3"), and
    synthetic points of interest (doctor, pharmacy, town hall ...) on roads near the bigger
    centres. Everything is labelled synthetic, like the demo's roads and stops."""
    from routing.municipalities import load_municipalities
    from routing.synthetic import settlement_layout

    munis = sorted(load_municipalities(), key=lambda m: m.ags)
    layout = settlement_layout(munis)
    proj = _Projector(float(np.mean(network.node_lat)), float(np.mean(network.node_lon)))
    nodes_xy = proj.xy(network.node_lat, network.node_lon)
    from scipy.spatial import cKDTree

    tree = cKDTree(nodes_xy)
    entries: list[GazetteerEntry] = []
    village_number: Counter = Counter()
    for lat, lon, muni_index, is_centre, population in layout:
        town = short_municipality(munis[muni_index].name)
        if is_centre:
            kind = "town" if munis[muni_index].population >= 5000 else "village"
            entries.append(GazetteerEntry("settlement", town, f"{town} (synthetisch)", lat, lon,
                                          "Gemeinde Stadt", SETTLEMENT_RANK[kind]))
            continue
        village_number[muni_index] += 1
        name = f"{town} Ortsteil {village_number[muni_index]}"
        entries.append(GazetteerEntry("settlement", name, f"{name} (synthetisch)", lat, lon, "Ortsteil Dorf",
                                      SETTLEMENT_RANK["village" if population >= 200 else "hamlet"]))
    for m in munis:
        town = short_municipality(m.name)
        centre = proj.xy([m.lat], [m.lon])[0]
        near = tree.query_ball_point(centre, 700.0)
        near = sorted(near, key=lambda n: (np.hypot(*(nodes_xy[n] - centre)), n))
        used: list[int] = []
        for k, (category, words, least) in enumerate(DEMO_POIS):
            if m.population < least:
                continue
            # a road node 150-700 m from the centre, 100 m or more from the other points of interest
            pick = next((n for n in near[len(near) // 5 + 7 * k:] + near
                         if n not in used and np.hypot(*(nodes_xy[n] - centre)) >= 150
                         and all(np.hypot(*(nodes_xy[n] - nodes_xy[u])) >= 100 for u in used)), None)
            if pick is None:
                continue
            used.append(pick)
            name = f"{category} {town}"
            entries.append(GazetteerEntry("poi", name, f"{name} (synthetisch)", float(network.node_lat[pick]),
                                          float(network.node_lon[pick]), words, 3))
    return Gazetteer(tuple(entries), source="SYNTHETIC demo places of Landkreis Meißen: settlements named after "
                     "the real municipalities, invented villages and points of interest",
                     attribution=network.attribution, synthetic=True, network_source=network.source)
