"""A **synthetic** state-wide network: the demo county's construction over every municipality of a
German Land, read from the Destatis GV-ISys table (``municipalities/AuszugGV4QAktuell.csv`` in the
shared data folder, ``$RIDE_POOL_DATA_DIR``).

Named ``state:SN`` (ISO 3166-2 code without ``DE-``) or ``state:14`` (the Land's AGS key). The roads
are invented like the demo's and labelled SYNTHETIC. At state scale the street grid is coarser than
the demo's (:func:`state_params`): one grid node per 250 inhabitants on 300 m blocks instead of
one per 40 on 120 m blocks (settlements keep the demo's extent: ``block_m`` grows with the square
root of the persons per node), one village per 10 km² of municipal area instead of 3.5 km², and
link roads with a node every 300 m — the nodes the dispatcher can tell apart stay 300 m apart at
most, as on OSM networks, while Sachsen gets 86,106 nodes instead of the roughly 140,000–190,000
the demo's density would give it (the demo's 11,251 nodes scaled by area, ×12.7, or by
population, ×16.9): one core builds it in about 36 s and routes a day on it. There is no river
barrier (the demo's Elbe bridges are the county's only).

The built network is cached as ``.npz`` (keyed by the table's content and the parameters) in
``$RIDE_POOL_CACHE_DIR`` or ``~/.cache/ride_pool``, so only the first use pays for the build.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from dataclasses import asdict
from pathlib import Path

from routing.errors import RoutingInputError
from routing.municipalities import Municipality
from routing.network import RoadNetwork
from routing.synthetic import SyntheticParams

STATE_PREFIX = "state:"
GV_TABLE = Path("municipalities") / "AuszugGV4QAktuell.csv"
#: ISO 3166-2 code (without ``DE-``) → (AGS Land key, name)
STATES = {
    "SH": ("01", "Schleswig-Holstein"), "HH": ("02", "Hamburg"), "NI": ("03", "Niedersachsen"),
    "HB": ("04", "Bremen"), "NW": ("05", "Nordrhein-Westfalen"), "HE": ("06", "Hessen"),
    "RP": ("07", "Rheinland-Pfalz"), "BW": ("08", "Baden-Württemberg"), "BY": ("09", "Bayern"),
    "SL": ("10", "Saarland"), "BE": ("11", "Berlin"), "BB": ("12", "Brandenburg"),
    "MV": ("13", "Mecklenburg-Vorpommern"), "SN": ("14", "Sachsen"), "ST": ("15", "Sachsen-Anhalt"),
    "TH": ("16", "Thüringen"),
}
#: bump when the construction changes, so old cache files are not reused
BUILD_VERSION = 1


def is_state_spec(spec: str) -> bool:
    return spec.strip().lower().startswith(STATE_PREFIX)


def state_code(spec: str) -> str:
    """``state:SN`` / ``state:sn`` / ``state:14`` → ``SN``; error for an unknown state."""
    key = spec.strip()[len(STATE_PREFIX):].strip().upper() if is_state_spec(spec) else spec.strip().upper()
    if key in STATES:
        return key
    for code, (ags, _) in STATES.items():
        if key in (ags, ags.lstrip("0")):
            return code
    raise RoutingInputError(f"{spec}: unknown state; give state:CODE with one of {', '.join(STATES)} "
                            "or the Land's two-digit key (state:14)")


def data_dir() -> Path:
    env = os.environ.get("RIDE_POOL_DATA_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


def _number(text: str) -> float:
    return float(str(text).replace(" ", "").replace("\u00a0", "").replace(",", "."))


def read_state_municipalities(code: str, table: str | Path | None = None) -> list[Municipality]:
    """The inhabited municipalities (``satzart`` 60 rows with population and coordinates) of one
    Land from the Destatis GV-ISys table, in AGS order."""
    code = state_code(code)
    land = STATES[code][0]
    path = Path(table) if table is not None else data_dir() / GV_TABLE
    if not path.is_file():
        raise RoutingInputError(f"{path}: no Destatis municipality table (AuszugGV4QAktuell.csv); set "
                                "RIDE_POOL_DATA_DIR to the shared data folder")
    out = []
    for row in csv.DictReader(io.StringIO(path.read_text("utf-8-sig"))):
        if (row.get("satzart") or "").strip() != "60" or (row.get("land") or "").strip() != land:
            continue
        lon, lat, pop = (row.get(k) or "" for k in ("laengengrad", "breitengrad", "bevoelkerung"))
        if not (lon.strip() and lat.strip() and pop.strip()):
            continue   # uninhabited areas
        try:
            m = Municipality(ags=row["land"] + row["rb"] + row["kreis"] + row["gemeinde"],
                             name=row["gemeindename"].strip(), population=int(_number(pop)), lat=_number(lat),
                             lon=_number(lon),
                             area_km2=_number(row["flaeche"]) if (row.get("flaeche") or "").strip() else None)
        except (ValueError, KeyError, TypeError):
            continue
        if m.population > 0:
            out.append(m)
    if not out:
        raise RoutingInputError(f"{path}: no municipality of {STATES[code][1]} (Land {land}) in the table")
    return sorted(out, key=lambda m: m.ags)


def state_params(code: str, municipalities: list[Municipality]) -> SyntheticParams:
    """The coarser layout of a state-wide synthetic network (see the module docstring)."""
    land, name = STATES[code]
    return SyntheticParams(
        name=f"synthetic-state-{code.lower()}",
        source=(f"SYNTHETIC state-wide network of {name}: invented roads between the {len(municipalities)} real "
                "municipalities (Destatis); not real OSM roads"),
        seed=int(land) * 1000 + 1,
        block_m=300.0,
        persons_per_grid_node=250.0,
        link_node_spacing_m=300.0,
        village_area_km2=10.0,
        max_villages=30,
        max_local_link_m=9_000.0,
        max_edge_length_m=300.0,
        river=None,
        bridges=None,
        extra={"state": code, "state_ags": land, "state_name": name},
    )


def cache_dir() -> Path:
    env = os.environ.get("RIDE_POOL_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "ride_pool"


def build_state_network(spec: str, table: str | Path | None = None, *, use_cache: bool = True) -> RoadNetwork:
    """The synthetic network of the state named by ``spec`` (``state:SN``), from the cache when built before."""
    from routing.synthetic import build_synthetic_network

    code = state_code(spec)
    munis = read_state_municipalities(code, table)
    params = state_params(code, munis)
    digest = hashlib.sha256(repr((BUILD_VERSION, [tuple(asdict(m).values()) for m in munis],
                                  {k: v for k, v in asdict(params).items() if k not in ("river", "bridges")}))
                            .encode()).hexdigest()[:16]
    path = cache_dir() / f"{params.name}-{digest}.npz"
    if use_cache and path.is_file():
        try:
            return RoadNetwork.load(path)
        except Exception:  # noqa: BLE001 - a broken cache file is rebuilt
            pass
    network = build_synthetic_network(munis, params)
    if use_cache:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            network.save(path)
        except OSError:
            pass   # a read-only home: build again next time
    return network
