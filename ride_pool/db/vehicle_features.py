"""Vehicle features for mobility needs (issue 17): ramp, lift, low floor, pushchair space."""

from __future__ import annotations

from sqlalchemy import Engine, select, update

from ride_pool.db.engine import read_session, write_session
from ride_pool.db.models import Vehicle


def vehicle_features(engine: Engine) -> dict[int, list[str]]:
    """Vehicle id -> features, for the vehicles whose features were recorded."""
    with read_session(engine) as session:
        return {vid: list(f) for vid, f in session.execute(select(Vehicle.id, Vehicle.features)) if f is not None}


def set_vehicle_features(engine: Engine, vehicle_id: int, features: list[str]) -> bool:
    with write_session(engine) as session:
        return session.execute(update(Vehicle).where(Vehicle.id == vehicle_id)
                               .values(features=sorted(set(features)))).rowcount == 1
