"""Municipality fact tables (name, key, population, centre) shipped with the package.

Source: © Statistisches Bundesamt (Destatis), GV-ISys; population Zensus 2022,
© Statistische Ämter des Bundes und der Länder; licence dl-de/by-2-0.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from routing.errors import RoutingInputError

REQUIRED_COLUMNS = ("ags", "name", "population", "lat", "lon")


@dataclass(frozen=True)
class Municipality:
    ags: str
    name: str
    population: int
    lat: float
    lon: float
    area_km2: float | None = None


def load_municipalities(path: str | Path | None = None) -> list[Municipality]:
    """Read a municipality CSV (columns ags, name, population, lat, lon[, area_km2]).

    Without a path: the 28 municipalities of Landkreis Meißen shipped in the package.
    Lines starting with ``#`` are comments (the attribution).
    """
    if path is None:
        text = resources.files("routing").joinpath("data/landkreis_meissen_municipalities.csv").read_text("utf-8")
        origin = "package table Landkreis Meißen"
    else:
        path = Path(path)
        if not path.is_file():
            raise RoutingInputError(f"{path}: no such municipality file")
        text = path.read_text("utf-8-sig")
        origin = str(path)
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    if not rows:
        raise RoutingInputError(f"{origin}: no municipalities in the file")
    missing = [c for c in REQUIRED_COLUMNS if c not in rows[0]]
    if missing:
        raise RoutingInputError(
            f"{origin}: missing column(s) {', '.join(missing)}; need {', '.join(REQUIRED_COLUMNS)}"
        )
    out = []
    for number, row in enumerate(rows, start=2):
        try:
            area = row.get("area_km2")
            out.append(
                Municipality(
                    ags=row["ags"].strip(),
                    name=row["name"].strip(),
                    population=int(str(row["population"]).replace(" ", "")),
                    lat=float(row["lat"]),
                    lon=float(row["lon"]),
                    area_km2=float(area) if area not in (None, "") else None,
                )
            )
        except ValueError as exc:
            raise RoutingInputError(f"{origin}, line {number}: {exc}") from exc
    return out
