"""A quote's mobility needs and fare group (issue 17): the request's, else the rider profile's,
checked by :mod:`ride_pool.dispatch.needs`."""

from __future__ import annotations

from ride_pool.db.profiles import get_profile
from ride_pool.dispatch.needs import check_fare_group, normalise


def request_needs(service, body, rider_id: int | None) -> tuple[tuple[str, ...], int, tuple[tuple[str, int], ...]]:
    """(needs, wheelchairs, fare group) of a quote request."""
    needs, group = body.needs, body.fare_group
    if rider_id is not None and (needs is None or group is None):
        profile = get_profile(service.engine, rider_id)
        needs = profile["needs"] if needs is None else needs
        group = profile["fare_group"] if group is None else group
    needs, wheelchairs = normalise(needs or (), body.wheelchairs, body.passengers)
    return needs, wheelchairs, check_fare_group(group or {}, body.passengers)
