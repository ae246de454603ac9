"""Ride series and their occurrences in the database (issue 17; see ride_pool.api.series_jobs)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select, update

from ride_pool.db.engine import read_session, write_session
from ride_pool.db.models import RideSeries, SeriesOccurrence


def _out(row: RideSeries) -> dict[str, Any]:
    return {"id": row.id, "rider_id": row.rider_id, "channel": row.channel, "caller_name": row.caller_name,
            "caller_phone": row.caller_phone, "sms_consent": bool(row.sms_consent), "origin": row.origin,
            "destination": row.destination, "weekdays": list(row.weekdays), "pickup_time": row.pickup_time,
            "first_date": row.first_date, "until": row.until, "passengers": row.passengers,
            "wheelchairs": row.wheelchairs, "needs": list(row.needs or []), "fare_group": dict(row.fare_group or {}),
            "skip_holidays": bool(row.skip_holidays), "status": row.status, "created_at": row.created_at}


def create_series(engine: Engine, values: dict[str, Any], now: int) -> dict[str, Any]:
    with write_session(engine) as session:
        row = RideSeries(**values, status="active", created_at=now)
        session.add(row)
        session.flush()
        return _out(row)


def get_series(engine: Engine, series_id: int) -> dict[str, Any] | None:
    with read_session(engine) as session:
        row = session.get(RideSeries, series_id)
        return None if row is None else _out(row)


def list_series(engine: Engine, *, rider_id: int | None = None, status: str | None = None) -> list[dict[str, Any]]:
    with read_session(engine) as session:
        query = select(RideSeries).order_by(RideSeries.id)
        if rider_id is not None:
            query = query.where(RideSeries.rider_id == rider_id)
        if status is not None:
            query = query.where(RideSeries.status == status)
        return [_out(r) for r in session.scalars(query)]


def set_status(engine: Engine, series_id: int, status: str) -> None:
    with write_session(engine) as session:
        session.execute(update(RideSeries).where(RideSeries.id == series_id).values(status=status))


def handled_dates(engine: Engine, series_id: int) -> set[str]:
    with read_session(engine) as session:
        return set(session.scalars(select(SeriesOccurrence.date).where(SeriesOccurrence.series_id == series_id)))


def record_occurrence(engine: Engine, series_id: int, date: str, status: str, now: int, *,
                      booking_id: str | None = None, cause: str | None = None) -> None:
    with write_session(engine) as session:
        session.merge(SeriesOccurrence(series_id=series_id, date=date, status=status, booking_id=booking_id,
                                       cause=cause, at=now))


def occurrences(engine: Engine, *, series_id: int | None = None, status: str | None = None,
                limit: int = 500) -> list[dict[str, Any]]:
    with read_session(engine) as session:
        query = select(SeriesOccurrence).order_by(SeriesOccurrence.date.desc(), SeriesOccurrence.series_id).limit(limit)
        if series_id is not None:
            query = query.where(SeriesOccurrence.series_id == series_id)
        if status is not None:
            query = query.where(SeriesOccurrence.status == status)
        return [{"series_id": o.series_id, "date": o.date, "status": o.status, "booking_id": o.booking_id,
                 "cause": o.cause, "at": o.at} for o in session.scalars(query)]


def update_series(engine: Engine, series_id: int, values: dict[str, Any]) -> None:
    if values:
        with write_session(engine) as session:
            session.execute(update(RideSeries).where(RideSeries.id == series_id).values(**values))
