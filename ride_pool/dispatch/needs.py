"""Mobility needs of a rider (issue 17): what they change in the plan and which vehicles fit.

========================  ====================================================  ===================
need                      boarding and alighting (rule ``need_extra_s``, s)     vehicle must have
========================  ====================================================  ===================
``rollator``              +60 (walker: slower steps, walker stowed)             low floor *or* ramp
                                                                                *or* lift
``wheelchair_own``        the wheelchair rule (``wheelchair_extra_s``): rides    ramp *or* lift
                          in a wheelchair place (``wheelchairs`` ≥ 1)
``wheelchair_transfer``   +120 (moves to a seat; the folded chair is stowed)    -
``pushchair``             +60                                                   pushchair space
``assistance``            +120 (the driver helps on and off)                    -
``guide_dog``             +30                                                   -
``companion``             0 (travels with a companion; see the fares)           -
========================  ====================================================  ===================

The extra seconds are added to the pickup's and the drop-off's service time, which the insertion
search and the optimiser plan with. Vehicle fit: a vehicle's ``features`` (``ramp``, ``lift``,
``low_floor``, ``pushchair``) are set by the operator; a vehicle without recorded features counts
as having a ramp when it has wheelchair places. Vehicles that do not fit are left out of quotes and
bookings (the background optimiser keeps a booking on a fitting vehicle only through its
capacities: a known limit, see the README).
"""

from __future__ import annotations

import numpy as np

from ride_pool.messages import Localised

NEEDS = ("rollator", "wheelchair_own", "wheelchair_transfer", "pushchair", "assistance", "guide_dog", "companion")
FEATURES = ("ramp", "lift", "low_floor", "pushchair")
#: the default extra seconds at boarding and alighting per need (rule ``need_extra_s``)
DEFAULT_EXTRA_S = {"rollator": 60, "wheelchair_own": 0, "wheelchair_transfer": 120, "pushchair": 60,
                   "assistance": 120, "guide_dog": 30, "companion": 0}
#: need -> the vehicle features of which at least one is needed
REQUIRED = {"rollator": ("low_floor", "ramp", "lift"), "wheelchair_own": ("ramp", "lift"),
            "pushchair": ("pushchair",)}


def unknown_needs(needs) -> list[str]:
    return [n for n in needs if n not in NEEDS]


def extra_s(needs, table: dict) -> int:
    """Extra seconds at boarding (and again at alighting) for ``needs``."""
    return sum(int(table.get(n, DEFAULT_EXTRA_S.get(n, 0))) for n in set(needs or ()))


def features_of(features, wheelchair_places: int) -> set[str]:
    """A vehicle's features (None: not recorded - a ramp if it has wheelchair places)."""
    if features is None:
        return {"ramp"} if wheelchair_places > 0 else set()
    return set(features)


def fits(needs, features: set[str]) -> bool:
    """Whether a vehicle with ``features`` can carry a rider with ``needs``."""
    return all(any(f in features for f in REQUIRED[n]) for n in set(needs or ()) if n in REQUIRED)


def mask_unfit(cost: np.ndarray, needs, vehicle_features: list[set[str]]) -> None:
    """Set the insertion cost of the vehicles (slots) that do not fit ``needs`` to infinity."""
    if not needs or not any(n in REQUIRED for n in needs):
        return
    for v, features in enumerate(vehicle_features):
        if v < len(cost) and not fits(needs, features):
            cost[v] = np.inf


def normalise(needs, wheelchairs: int, passengers: int) -> tuple[tuple[str, ...], int]:
    """The request's needs (checked, sorted, once each) and wheelchair count: a rider in their
    own wheelchair rides in a wheelchair place. :class:`DispatchInputError` ``need_unknown``."""
    from ride_pool.dispatch.errors import DispatchInputError
    from ride_pool.messages import msg

    needs = tuple(sorted(set(needs or ())))
    for n in needs:
        if n not in NEEDS:
            raise DispatchInputError(msg("need_unknown", need=repr(n), known=", ".join(NEEDS)), code="need_unknown")
    if "wheelchair_own" in needs and wheelchairs < 1:
        wheelchairs = 1
    return needs, min(wheelchairs, passengers)


def check_fare_group(group, passengers: int) -> tuple[tuple[str, int], ...]:
    """The fare group as (category, count) pairs; :class:`DispatchInputError` ``fare_group_invalid``."""
    from ride_pool.dispatch.errors import DispatchInputError
    from ride_pool.dispatch.fares import CATEGORIES
    from ride_pool.messages import msg

    group = dict(group or {})
    if any(c not in CATEGORIES or isinstance(n, bool) or not isinstance(n, int) or n < 0 for c, n in group.items()) \
            or sum(group.values()) > passengers:
        raise DispatchInputError(msg("fare_group_invalid", known=", ".join(CATEGORIES), passengers=passengers),
                                 code="fare_group_invalid")
    return tuple(sorted((c, int(n)) for c, n in group.items() if n))


#: what each need is called in a sentence to the rider (German, English)
NEED_NAMES = {"rollator": ("Rollator", "walker"), "wheelchair_own": ("eigenen Rollstuhl", "own wheelchair"),
              "wheelchair_transfer": ("Umsetzen aus dem Rollstuhl", "transfer from a wheelchair"),
              "pushchair": ("Kinderwagen", "pushchair"), "assistance": ("Hilfe beim Einsteigen", "assistance"),
              "guide_dog": ("Blindenhund", "guide dog"), "companion": ("Begleitperson", "companion")}


class NeedList(Localised):
    """Needs as a message parameter: named in the message's language ("Rollator und Kinderwagen")."""

    def __init__(self, needs):
        self.needs = tuple(needs)

    def __str__(self) -> str:
        return self.render("de")

    def render(self, language: str) -> str:
        names = [NEED_NAMES.get(n, (n, n))[0 if language == "de" else 1] for n in self.needs if n in REQUIRED]
        joiner = " und " if language == "de" else " and "
        return joiner.join(names) if len(names) < 3 else ", ".join(names[:-1]) + joiner + names[-1]
