"""Persistence of the dispatcher service in SQLite or PostgreSQL (SQLAlchemy 2.0, Alembic).

* :func:`make_engine` - an engine for a ``sqlite:///`` or ``postgresql://`` URL
* :func:`migrate` - bring the schema up to date (in-package Alembic migrations)
* :class:`SqlStore` - the dispatcher's :class:`~ride_pool.dispatch.store.Store`
* :class:`Repository` - users, vehicles, shifts, stops, service area, bookings for the API
* :func:`parse_stops_file` - read GTFS ``stops.txt`` or a station table

Typical start of a server::

    engine = make_engine(settings.database_url)
    migrate(engine)
    store, repository = SqlStore(engine), Repository(engine)
"""

from ride_pool.db.engine import make_engine, read_session, write_session
from ride_pool.db.errors import (
    DuplicateEmail,
    DuplicateIdempotencyKey,
    DuplicateVehicleLabel,
    NotFound,
    ShiftOverlap,
    StopImportError,
    StoreError,
    UnknownRider,
)
from ride_pool.db.migrate import current_revision, head_revision, migrate, migrations_config
from ride_pool.db.models import Base, ServiceArea, Shift, Stop, User, UserRole, Vehicle
from ride_pool.db.repository import Repository, normalise_email
from ride_pool.db.stops import parse_stops_file
from ride_pool.db.store import SqlStore

__all__ = [
    "Base",
    "DuplicateEmail",
    "DuplicateIdempotencyKey",
    "DuplicateVehicleLabel",
    "NotFound",
    "Repository",
    "ServiceArea",
    "Shift",
    "ShiftOverlap",
    "SqlStore",
    "Stop",
    "StopImportError",
    "StoreError",
    "UnknownRider",
    "User",
    "UserRole",
    "Vehicle",
    "current_revision",
    "head_revision",
    "make_engine",
    "migrate",
    "migrations_config",
    "normalise_email",
    "parse_stops_file",
    "read_session",
    "write_session",
]
