"""The dispatcher's store in a SQL database: :class:`SqlStore`.

It puts together the write-behind policy (:mod:`ride_pool.db.write_behind`: when a change is
written), the writer (:mod:`ride_pool.db.writer`: one change in one transaction) and the reads the
dispatcher needs: :meth:`SqlStore.load` gives the state back after a restart,
:meth:`SqlStore.find_booking` a booking by its idempotency key, :meth:`SqlStore.event_rows` the
event log. The conversions between objects and rows are in :mod:`ride_pool.db.rows`.
"""

from __future__ import annotations

from sqlalchemy import Engine, select

from ride_pool.db.engine import read_session
from ride_pool.db.models import BookingRow, DriverReportRow, EventRow, OfferRow, ServiceArea, Shift, User, Vehicle
from ride_pool.db.rows import (
    DEFAULT_AREA,
    area_from_row,
    booking_from_row,
    event_from_row,
    offer_from_row,
    report_from_row,
    shift_from_row,
)
from ride_pool.db.write_behind import WriteBehind
from ride_pool.db.writer import ChangeWriter
from ride_pool.dispatch.domain import Booking, BookingStatus, Event, ReportRecord
from ride_pool.dispatch.store import Change, StoredState

ACTIVE_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.ONBOARD)


class SqlStore:
    """Persists the dispatcher's changes in the database behind ``engine`` (thread-safe).

    Durable changes (:meth:`commit`) are written before the call returns, written-behind ones
    (:meth:`commit_soon`) with the next durable commit or within
    :data:`~ride_pool.db.write_behind.FLUSH_INTERVAL_S`; reads :meth:`flush` first where they must
    see them. A change's area settings go to the ``service_areas`` row ``area_name`` (the one
    :meth:`~ride_pool.db.repository.Repository.get_service_area` reads by default).
    """

    def __init__(self, engine: Engine, *, area_name: str = DEFAULT_AREA):
        self.engine = engine
        self.area_name = area_name
        self._writer = ChangeWriter(engine, area_name)
        self._behind = WriteBehind(self._writer.write)

    def commit(self, change: Change) -> None:
        """Write ``change`` completely or not at all, together with the written-behind changes.

        Raises :class:`~ride_pool.db.errors.DuplicateIdempotencyKey` (a
        :class:`~ride_pool.dispatch.store.DuplicateKey`) when a booking reuses an idempotency key
        of its scope, :class:`~ride_pool.db.errors.UnknownRider` for a no-show of a rider who is
        not a user, and the database's own error for anything else; nothing of ``change`` is
        written then.
        """
        self._behind.commit(change)

    def commit_soon(self, change: Change) -> None:
        """Write ``change`` behind: with the next :meth:`commit` or within
        :data:`~ride_pool.db.write_behind.FLUSH_INTERVAL_S`."""
        self._behind.commit_soon(change)

    def flush(self) -> None:
        """Write the written-behind changes now."""
        self._behind.flush()

    def close(self) -> None:
        """Write what is pending and return the connection kept for commits to the pool (before
        ``engine.dispose()``)."""
        self._behind.close()
        self._writer.close()

    def find_booking(self, scope: str, key: str) -> Booking | None:
        """The booking committed with idempotency ``key`` in idempotency ``scope`` (any status),
        or None: one read by the unique index. A booking still waiting in the write-behind list
        is flushed first (the dispatcher never puts one there)."""
        if self._behind.holds_bookings:
            self.flush()
        with read_session(self.engine) as session:
            row = session.scalar(select(BookingRow).where(BookingRow.idempotency_scope == scope,
                                                          BookingRow.idempotency_key == key))
            return None if row is None else booking_from_row(row)

    def find_report(self, driver_id: int, key: str) -> ReportRecord | None:
        """The driver report committed with idempotency ``key`` by ``driver_id``, or None (one read
        by the primary key; reports are always committed durably, never written behind)."""
        with read_session(self.engine) as session:
            row = session.get(DriverReportRow, (driver_id, key))
            return None if row is None else report_from_row(row)

    def load(self, now: int) -> StoredState:
        """The shifts not ended (with their routes), the active bookings, the offers still open at
        ``now``, the riders' no-show counts and the area settings, all from one snapshot of the
        database."""
        self.flush()
        with read_session(self.engine) as session:
            shifts = [
                shift_from_row(shift, vehicle)
                for shift, vehicle in session.execute(
                    select(Shift, Vehicle).join(Vehicle, Shift.vehicle_id == Vehicle.id)
                    .where(Shift.ended.is_(False)).order_by(Shift.id)
                )
            ]
            bookings = [
                booking_from_row(row)
                for row in session.scalars(
                    select(BookingRow).where(BookingRow.status.in_(ACTIVE_STATUSES))
                    .order_by(BookingRow.created_at, BookingRow.booking_id)
                )
            ]
            offers = [
                offer_from_row(row)
                for row in session.scalars(
                    select(OfferRow).where(OfferRow.expires_at > now, OfferRow.booking_id.is_(None))
                    .order_by(OfferRow.expires_at, OfferRow.offer_id)
                )
            ]
            no_shows = dict(session.execute(select(User.id, User.no_show_count).where(User.no_show_count > 0)).all())
            area = session.scalar(select(ServiceArea).where(ServiceArea.name == self.area_name))
            area = None if area is None else area_from_row(area)
        return StoredState(shifts=shifts, bookings=bookings, offers=offers, no_shows=no_shows, area=area)

    def events(self, since_id: int = 0, limit: int | None = None) -> list[Event]:
        """The events after event id ``since_id``, in the order they were committed."""
        return [event for _, event in self.event_rows(since_id, limit)]

    def event_rows(self, since_id: int = 0, limit: int | None = None, *,
                   since_time: int | None = None) -> list[tuple[int, Event]]:
        """Like :meth:`events`, with each event's id (pass the last one as ``since_id`` to page);
        ``since_time``: only events at or after that time (epoch s)."""
        self.flush()
        query = select(EventRow).where(EventRow.id > since_id).order_by(EventRow.id)
        if since_time is not None:
            query = query.where(EventRow.time >= since_time)
        if limit is not None:
            query = query.limit(limit)
        with read_session(self.engine) as session:
            return [(row.id, event_from_row(row)) for row in session.scalars(query)]

