"""A rider's favourite places (``favourite_places``): listed, saved under a name (saving a name
again replaces its place), deleted. Account data like the name or the password, not dispatch
state: no vehicle plan changes, so they are kept here and not through the dispatcher."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, delete, func, select

from ride_pool.db.engine import read_session, write_session
from ride_pool.db.models import FavouritePlace

#: the most favourites one account keeps
MAX_FAVOURITES = 20


@dataclass(frozen=True)
class Favourite:
    id: int
    name: str
    label: str
    lat: float
    lon: float
    stop_id: int | None


class TooManyFavourites(ValueError):
    """An account that has :data:`MAX_FAVOURITES` already."""


def _out(row: FavouritePlace) -> Favourite:
    return Favourite(int(row.id), row.name, row.label, float(row.lat), float(row.lon), row.stop_id)


def list_favourites(engine: Engine, user_id: int) -> list[Favourite]:
    with read_session(engine) as session:
        rows = session.scalars(select(FavouritePlace).where(FavouritePlace.user_id == user_id)
                               .order_by(FavouritePlace.created_at, FavouritePlace.id))
        return [_out(r) for r in rows]


def save_favourite(engine: Engine, user_id: int, name: str, label: str, lat: float, lon: float,
                   stop_id: int | None, now: int) -> Favourite:
    """Keep the place under ``name`` (an existing favourite of that name gets the new place)."""
    with write_session(engine) as session:
        row = session.scalar(select(FavouritePlace).where(FavouritePlace.user_id == user_id,
                                                          FavouritePlace.name == name))
        if row is None:
            count = session.scalar(select(func.count()).select_from(FavouritePlace)
                                   .where(FavouritePlace.user_id == user_id))
            if count >= MAX_FAVOURITES:
                raise TooManyFavourites(MAX_FAVOURITES)
            row = FavouritePlace(user_id=user_id, name=name, created_at=int(now))
            session.add(row)
        row.label, row.lat, row.lon, row.stop_id = label, float(lat), float(lon), stop_id
        session.flush()
        return _out(row)


def delete_favourite(engine: Engine, user_id: int, favourite_id: int) -> bool:
    """Delete one of the account's favourites; False if it has none with that id."""
    with write_session(engine) as session:
        result = session.execute(delete(FavouritePlace).where(FavouritePlace.user_id == user_id,
                                                              FavouritePlace.id == favourite_id))
        return result.rowcount == 1


def delete_all(session, user_id: int) -> None:
    """Every favourite of the account (in the account deletion's transaction)."""
    session.execute(delete(FavouritePlace).where(FavouritePlace.user_id == user_id))
