"""Fares (issue 17): the tariff of a service area (rule ``tariff``) and the fare of a group.

A tariff (JSON, all amounts in euro cents)::

    {"model": "distance",              # "distance": base + per km; "zones": a price per distance band
     "base_cents": 200, "per_km_cents": 40,
     "zones": [[5000, 250], [15000, 400], [null, 600]],   # up to 5 km 2.50, up to 15 km 4.00, beyond 6.00
     "reduced_percent": 50,            # reduced fare (pupils, trainees, senior pass ...) pays this share
     "child_percent": 50,              # children pay this share ...
     "free": ["child_under_6", "companion", "free"],   # ... these categories ride free
     "ticket_surcharge_cents": 100}    # holders of a public-transport ticket (Deutschlandticket) pay only this

Fare categories of a group (``TripRequest.fare_group``): ``adult``, ``reduced``, ``child``,
``child_under_6``, ``companion`` (accompanies a rider who needs it, e.g. Merkzeichen B),
``free`` (e.g. severely disabled with a valid token), ``ticket`` (Deutschlandticket holder).
Passengers not named in the group pay the adult fare. The fare is computed on the direct road
distance of the trip; nobody pays online yet - the driver collects it (the driver card says how
much).
"""

from __future__ import annotations

CATEGORIES = ("adult", "reduced", "child", "child_under_6", "companion", "free", "ticket")

DEFAULT_TARIFF = {"model": "distance", "base_cents": 200, "per_km_cents": 40,
                  "zones": [[5000, 250], [15000, 400], [None, 600]],
                  "reduced_percent": 50, "child_percent": 50, "free": ["child_under_6", "companion", "free"],
                  "ticket_surcharge_cents": 100}


class TariffError(ValueError):
    pass


def check_tariff(tariff: dict) -> dict:
    """The tariff with defaults filled in; :class:`TariffError` naming what is wrong."""
    if not isinstance(tariff, dict):
        raise TariffError("tariff")
    t = {**DEFAULT_TARIFF, **tariff}
    unknown = set(tariff) - set(DEFAULT_TARIFF)
    if unknown:
        raise TariffError(", ".join(sorted(unknown)))
    if t["model"] not in ("distance", "zones"):
        raise TariffError("model")
    for name in ("base_cents", "per_km_cents", "reduced_percent", "child_percent", "ticket_surcharge_cents"):
        if isinstance(t[name], bool) or not isinstance(t[name], int) or t[name] < 0:
            raise TariffError(name)
    if not isinstance(t["free"], list) or any(c not in CATEGORIES for c in t["free"]):
        raise TariffError("free")
    zones = t["zones"]
    if not isinstance(zones, list) or not zones or any(
            not isinstance(z, list) or len(z) != 2 or not (z[0] is None or isinstance(z[0], int))
            or not isinstance(z[1], int) or z[1] < 0 for z in zones):
        raise TariffError("zones")
    return t


def adult_fare_cents(tariff: dict, direct_m: int) -> int:
    """The full single fare for a trip of ``direct_m`` metres."""
    t = check_tariff(tariff)
    if t["model"] == "zones":
        for limit, cents in t["zones"]:
            if limit is None or direct_m <= limit:
                return int(cents)
        return int(t["zones"][-1][1])
    # rounded to 10 cents, as tariffs print them
    cents = t["base_cents"] + t["per_km_cents"] * direct_m / 1000
    return int(round(cents / 10) * 10)


def group_counts(passengers: int, group) -> dict[str, int]:
    """Category -> count for ``passengers`` (the rest are adults)."""
    counts = {c: 0 for c in CATEGORIES}
    for category, n in dict(group or {}).items():
        if category in counts:
            counts[category] += int(n)
    named = sum(counts.values())
    counts["adult"] += max(0, passengers - named)
    return {c: n for c, n in counts.items() if n}


def fare(tariff: dict, direct_m: int, passengers: int, group=()) -> dict:
    """The group's fare: ``total_cents`` and one line per category (count, price each, sum)."""
    t = check_tariff(tariff)
    full = adult_fare_cents(t, direct_m)
    lines = []
    for category, n in group_counts(passengers, group).items():
        if category in t["free"]:
            each = 0
        elif category == "ticket":
            each = min(full, t["ticket_surcharge_cents"])
        elif category == "reduced":
            each = full * t["reduced_percent"] // 100
        elif category in ("child", "child_under_6"):
            each = full * t["child_percent"] // 100
        else:
            each = full
        lines.append({"category": category, "count": n, "each_cents": int(each), "cents": int(each * n)})
    return {"total_cents": sum(line["cents"] for line in lines), "full_cents": full, "direct_m": int(direct_m),
            "lines": lines}
