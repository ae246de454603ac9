"""German default speeds per road class and parsing of OSM ``maxspeed`` values (km/h)."""

from __future__ import annotations

import re

from routing.network import ROAD_CLASS_INDEX

#: Speeds for roads without a usable ``maxspeed`` tag (km/h). Rural German practice:
#: Landstraße 100 is the legal limit but primary/secondary roads are driven slower on average.
GERMAN_DEFAULT_SPEED_KPH: dict[str, float] = {
    "motorway": 120.0,
    "motorway_link": 60.0,
    "trunk": 100.0,
    "trunk_link": 50.0,
    "primary": 80.0,
    "primary_link": 50.0,
    "secondary": 70.0,
    "secondary_link": 50.0,
    "tertiary": 60.0,
    "tertiary_link": 40.0,
    "unclassified": 50.0,
    "residential": 30.0,
    "living_street": 7.0,
    "road": 40.0,
    "busway": 50.0,
}

#: Implicit limits (``maxspeed=DE:urban`` etc.). ``None`` means no limit: the class default applies.
_ZONE_SPEEDS_KPH: dict[str, float | None] = {
    "de:urban": 50.0,
    "de:rural": 100.0,
    "de:trunk": None,
    "de:motorway": None,
    "de:living_street": 7.0,
    "de:bicycle_road": 30.0,
    "de:zone30": 30.0,
    "de:zone:30": 30.0,
    "de:zone20": 20.0,
    "de:zone:20": 20.0,
    "de:zone10": 10.0,
    "de:zone:10": 10.0,
    "walk": 7.0,
    "none": None,
    "signals": None,
    "variable": None,
}

_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$")


def road_class_of(highway) -> str:
    """Map an OSM ``highway`` value (or a list of them) to one of our road classes."""
    values = highway if isinstance(highway, list) else [highway]
    known = [v for v in values if isinstance(v, str) and v in ROAD_CLASS_INDEX]
    if not known:
        return "road"
    return min(known, key=ROAD_CLASS_INDEX.__getitem__)


def parse_maxspeed(value) -> float | None:
    """Speed in km/h from an OSM ``maxspeed`` value, or None when the class default should apply.

    Handles numbers, ``mph``, implicit German limits (``DE:urban``, ``DE:rural``,
    ``DE:zone:30``, ...), ``none``/``signals``, several values separated by ``;`` or given as a
    list (the lowest counts: a promised pickup window must not rest on the optimistic one).
    """
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value) if value > 0 else None
    parts = value if isinstance(value, list) else str(value).split(";")
    speeds = []
    for part in parts:
        part = str(part).strip().lower()
        if part in _ZONE_SPEEDS_KPH:
            if _ZONE_SPEEDS_KPH[part] is not None:
                speeds.append(_ZONE_SPEEDS_KPH[part])
            continue
        match = _NUMBER.match(part)
        if match:
            speed = float(match.group(1))
            if match.group(2) == "mph":
                speed *= 1.609344
            if speed > 0:
                speeds.append(speed)
    return min(speeds) if speeds else None


def edge_speed_kph(highway, maxspeed) -> float:
    """Speed for one road: its ``maxspeed`` if it parses, else the German default of its class."""
    speed = parse_maxspeed(maxspeed)
    if speed is None:
        speed = GERMAN_DEFAULT_SPEED_KPH[road_class_of(highway)]
    return speed
