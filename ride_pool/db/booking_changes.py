"""A booking's changes as its rider sees them: the ``booking_changed`` events of one booking, in
the order they happened (read from the event log)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Engine

from ride_pool.db.engine import read_session
from ride_pool.db.models import EventRow
from ride_pool.db.rows import event_from_row
from ride_pool.dispatch.domain import Event, EventKind


def booking_changes(engine: Engine, booking_id: str) -> list[Event]:
    """Every ``booking_changed`` event of ``booking_id``, oldest first."""
    query = select(EventRow).where(EventRow.booking_id == booking_id,
                                   EventRow.kind == EventKind.BOOKING_CHANGED.value).order_by(EventRow.id)
    with read_session(engine) as session:
        return [event_from_row(row) for row in session.scalars(query)]
