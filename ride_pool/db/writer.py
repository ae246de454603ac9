"""Writing a :class:`~ride_pool.dispatch.store.Change` to the database in one transaction.

:class:`ChangeWriter` turns a change into batches of rows (:mod:`ride_pool.db.rows`) and writes
them with statements prepared once: bookings, offers, shifts and the service area are upserted by
key (``INSERT ... ON CONFLICT DO UPDATE``, so concurrent commits never race between a look-up and
an insert), events are appended, the riders' no-show counts go up. A change without no-shows goes
through :class:`_DirectWriter` (the hot path), others through SQLAlchemy Core.
"""

from __future__ import annotations

import select as io_select
import threading
from collections import Counter
from typing import Any

from sqlalchemy import Connection, Engine, Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError

from ride_pool.db.engine import WRITE_OPTION
from ride_pool.db.errors import DuplicateIdempotencyKey, UnknownRider
from ride_pool.db.models import (
    BookingRow,
    DriverReportRow,
    EventRow,
    OfferRow,
    OutboxRow,
    ServiceArea,
    Shift,
    User,
    Vehicle,
)
from ride_pool.db.rows import (
    DEFAULT_AREA,
    area_to_row,
    booking_to_row,
    event_to_row,
    offer_to_row,
    outbox_to_row,
    report_to_row,
    shift_to_row,
    vehicle_from_shift,
)
from ride_pool.dispatch.store import Change


class ChangeWriter:
    """Writes changes to the database behind ``engine``, each in one transaction (thread-safe;
    the caller decides the order of concurrent writes).

    A shift whose vehicle is not in ``vehicles`` yet gets a vehicle row made from the shift (label,
    seats, wheelchair places, depot), so the store also works without the fleet set up through
    :class:`~ride_pool.db.repository.Repository` (tests, replays). A change's area settings go to
    the ``service_areas`` row named ``area_name``.
    """

    def __init__(self, engine: Engine, area_name: str = DEFAULT_AREA):
        self.area_name = area_name
        self._write_engine = engine.execution_options(**{WRITE_OPTION: True})
        dialect = engine.dialect.name
        #: the statements of a commit, built once (SQLAlchemy caches their compiled form)
        self._statements: dict[str, Any] = {
            "vehicles": _insert_statement(dialect, Vehicle.__table__).on_conflict_do_nothing(index_elements=["id"]),
            "shifts": _upsert_statement(dialect, Shift.__table__, ["id"]),
            "offers": _upsert_statement(dialect, OfferRow.__table__, ["offer_id"]),
            # anonymised_at is the retention job's (db/privacy.py): a later write of the booking keeps it
            "bookings": _upsert_statement(dialect, BookingRow.__table__, ["booking_id"],
                                          [c.name for c in BookingRow.__table__.columns
                                           if c.name not in ("booking_id", "anonymised_at")]),
            # the row Repository.set_service_area writes too; its id stays as it is
            "area": _upsert_statement(dialect, ServiceArea.__table__, ["name"], ["rules", "polygon"]),
            "events": EventRow.__table__.insert().inline(),     # no RETURNING of the new ids
            # a driver report's key: a plain insert, so a key used twice fails the transaction
            "reports": DriverReportRow.__table__.insert().inline(),
            # rider notifications (issue 17): an id written again (the same event) is kept once
            "outbox": _insert_statement(dialect, OutboxRow.__table__).on_conflict_do_nothing(
                index_elements=["message_id"]),
            "no_show": User.__table__.update().where(User.__table__.c.id == bindparam("rider"))
            .values(no_show_count=User.__table__.c.no_show_count + bindparam("count")),
        }
        self.direct = _DirectWriter.for_engine(engine, self._statements)
        #: vehicle ids known to have a row (vehicles are never deleted), so that a shift's commit
        #: does not insert-or-ignore its vehicle again each time
        self._known_vehicles: set[int] = set()

    def write(self, change: Change) -> None:
        """Write ``change`` completely or not at all.

        Raises :class:`DuplicateIdempotencyKey` when a booking reuses an idempotency key of its
        scope, :class:`UnknownRider` for a no-show of a rider who is not a user, and the
        database's own error for anything else.
        """
        vehicles = {}
        if change.shifts:
            vehicles = {s.vehicle_id: s for s in change.shifts if int(s.vehicle_id) not in self._known_vehicles}
        batches = self._batches(change, vehicles)
        try:
            if change.no_show_riders or self.direct is None:
                with self._write_engine.begin() as connection:
                    for name, rows in batches:
                        connection.execute(self._statements[name], rows)
                    self._count_no_shows(connection, change.no_show_riders)
            else:
                self.direct.write(batches)
        except IntegrityError as error:
            if "driver_reports" in str(error.orig) or "pk_driver_reports" in str(error.orig):
                raise DuplicateIdempotencyKey("this driver used the idempotency key for another report already: "
                                              "send a new key for a new report") from error
            if "idempotency" in str(error.orig):
                raise DuplicateIdempotencyKey(
                    "a booking with this idempotency key exists already for this rider: "
                    "send a new key for a new booking, or fetch the existing one"
                ) from error
            raise
        # only after the commit: a rolled-back transaction may not have made its vehicle rows
        self._known_vehicles.update(int(v) for v in vehicles)

    def close(self) -> None:
        """Return the connection kept for writes to the pool (before ``engine.dispose()``)."""
        if self.direct is not None:
            self.direct.close()

    def _batches(self, change: Change, vehicles: dict) -> list[tuple[str, list[dict[str, Any]]]]:
        """(statement name, rows) in the order they are written."""
        batches = []
        if vehicles:
            batches.append(("vehicles", [vehicle_from_shift(s) for s in vehicles.values()]))
        if change.shifts:
            batches.append(("shifts", _last_per_key([shift_to_row(s) for s in change.shifts], ["id"])))
        if change.offers:
            batches.append(("offers", _last_per_key([offer_to_row(o) for o in change.offers], ["offer_id"])))
        if change.bookings:
            batches.append(("bookings", _last_per_key([booking_to_row(b) for b in change.bookings],
                                                      ["booking_id"])))
        if change.area is not None:
            batches.append(("area", [area_to_row(change.area, self.area_name)]))
        if change.events:
            batches.append(("events", [event_to_row(e) for e in change.events]))
        if change.reports:
            batches.append(("reports", [report_to_row(r) for r in change.reports]))
        if change.outbox:
            batches.append(("outbox", _last_per_key([outbox_to_row(m) for m in change.outbox], ["message_id"])))
        return batches

    def _count_no_shows(self, connection: Connection, riders: list[int]) -> None:
        for rider_id, count in Counter(riders).items():
            result = connection.execute(self._statements["no_show"], {"rider": rider_id, "count": count})
            if result.rowcount != 1:
                raise UnknownRider(f"no-show of rider {rider_id}, who is not in the users table: "
                                   "only registered riders can be counted")


class _DirectWriter:
    """The commit of a change without no-shows, straight on the driver's connection.

    Every quote and booking commits while the dispatcher holds its lock, so this is the service's
    hot path. The statements are SQLAlchemy's own (compiled once per set of columns, with the
    column types' bind processors: JSON, enums, booleans), executed on the DBAPI connection:

    * PostgreSQL: bound on the client (psycopg's quoting) and sent as one multi-statement query,
      which the server runs and commits as one transaction - one round trip instead of seven
      (ping, BEGIN, four statements, COMMIT), which matters while the lock is held;
    * SQLite: one statement after the other in a ``BEGIN IMMEDIATE`` transaction.

    One connection is kept for it (autocommit on PostgreSQL) instead of a pool check-out per
    commit; instead of the pool's ping it is checked without a round trip (an idle connection
    with something to read was closed by the server) and replaced if needed. Commits that overlap
    (several threads) take connections from the pool. Driver errors are re-raised as SQLAlchemy's
    exceptions (``IntegrityError``, ``DataError``, ...), as a Core execution would; a broken
    connection is thrown away instead of going back to the pool.
    """

    def __init__(self, engine: Engine, statements: dict[str, Any]):
        self.engine = engine
        self.dialect = engine.dialect
        self.statements = statements
        self.postgres = self.dialect.name == "postgresql"
        self._compiled: dict[tuple[str, tuple[str, ...]], tuple[str, dict, list[str] | None]] = {}
        #: one connection kept checked out for the commits (they come one at a time, under the
        #: dispatcher's lock): no pool check-out and no ping round trip per commit
        self._kept = None
        self._kept_lock = threading.Lock()

    @classmethod
    def for_engine(cls, engine: Engine, statements: dict[str, Any]) -> _DirectWriter | None:
        if engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg":
            return cls(engine, statements)
        if engine.dialect.name == "sqlite" and engine.dialect.driver == "pysqlite" \
                and engine.url.database not in (None, "", ":memory:"):
            return cls(engine, statements)
        return None   # in-memory SQLite (one shared connection) and other drivers: Core

    def _prepare(self, name: str, keys: tuple[str, ...]) -> tuple[str, dict, list[str] | None]:
        prepared = self._compiled.get((name, keys))
        if prepared is None:
            compiled = self.statements[name].compile(dialect=self.dialect, column_keys=list(keys))
            prepared = (compiled.string, dict(compiled._bind_processors),
                        list(compiled.positiontup) if compiled.positional else None)
            self._compiled[(name, keys)] = prepared
        return prepared

    def _parameters(self, batches) -> list[tuple[str, list]]:
        out = []
        for name, rows in batches:
            sql, processors, order = self._prepare(name, tuple(rows[0]))
            params = []
            for row in rows:
                if processors:
                    row = {k: (processors[k](v) if k in processors else v) for k, v in row.items()}
                params.append(row if order is None else tuple(row[k] for k in order))
            out.append((sql, params))
        return out

    def write(self, batches) -> None:
        work = self._parameters(batches)
        if not self._kept_lock.acquire(blocking=False):
            # another commit is running on the kept connection: one from the pool
            connection = self.engine.raw_connection()
            try:
                self._transaction(connection, work, kept=False)
            finally:
                connection.close()
            return
        try:
            if self._kept is not None and not self._alive(self._kept):
                self._drop_kept()
            if self._kept is None:
                self._kept = self.engine.raw_connection()      # checked out (and pinged) once, then kept
                if self.postgres:
                    self._kept.driver_connection.autocommit = True
            self._transaction(self._kept, work, kept=True)
        finally:
            if self._kept is not None and not self._kept.is_valid:
                self._drop_kept()
            self._kept_lock.release()

    def close(self) -> None:
        """Give the kept connection back to the pool."""
        with self._kept_lock:
            self._drop_kept()

    def _drop_kept(self) -> None:
        kept, self._kept = self._kept, None
        if kept is None:
            return
        try:
            if kept.is_valid and self.postgres:
                kept.driver_connection.autocommit = False
        except self.dialect.loaded_dbapi.Error:
            kept.invalidate()
        kept.close()

    def _alive(self, connection) -> bool:
        """Whether the kept connection can still be used, without a round trip: an idle
        PostgreSQL connection with something to read has been closed by the server (a restart,
        an administrator) - or sent a notice; either way a fresh one is taken."""
        if not connection.is_valid:
            return False
        driver = connection.driver_connection
        if not self.postgres:
            try:
                _ = driver.total_changes    # probe: raises once the SQLite connection was closed
            except self.dialect.loaded_dbapi.Error:
                return False
            return True
        if driver.closed:
            return False
        try:
            readable, _, _ = io_select.select([driver.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable

    def _transaction(self, connection, work, *, kept: bool) -> None:
        cursor = None
        sql, params = "BEGIN", ()
        try:
            if self.postgres:
                # the statements with their values bound (psycopg's quoting) and sent as one
                # multi-statement query: PostgreSQL runs it as one transaction and commits it
                # (durably, as any commit) before it answers - one round trip. On the kept
                # connection (autocommit) that is the whole transaction; on one from the pool
                # psycopg wraps it in BEGIN ... COMMIT.
                cursor = self.dialect.loaded_dbapi.ClientCursor(connection.driver_connection)
                sql = ";\n".join(cursor.mogrify(q, p) for q, rows in work for p in rows)
                cursor.execute(sql)
                if not kept:
                    sql = "COMMIT"
                    connection.commit()
            else:
                cursor = connection.cursor()
                cursor.execute("BEGIN IMMEDIATE")
                try:
                    for sql, params in work:
                        cursor.executemany(sql, params) if len(params) > 1 else cursor.execute(sql, params[0])
                    sql, params = "COMMIT", ()
                    cursor.execute("COMMIT")
                except BaseException:
                    if connection.driver_connection.in_transaction:
                        cursor.execute("ROLLBACK")
                    raise
        except self.dialect.loaded_dbapi.Error as error:
            disconnected = self.dialect.is_disconnect(error, connection.dbapi_connection, cursor)
            if disconnected:
                connection.invalidate(error)
            else:
                try:
                    connection.rollback()
                except self.dialect.loaded_dbapi.Error:
                    connection.invalidate()
            raise DBAPIError.instance(sql, params, error, self.dialect.loaded_dbapi.Error,
                                      connection_invalidated=disconnected,
                                      dialect=self.dialect) from error
        except BaseException:
            connection.invalidate()     # interrupted half-way: never use this connection again
            raise
        finally:
            if cursor is not None:
                try:
                    cursor.close()
                except Exception:   # noqa: BLE001 - the connection is being returned or dropped anyway
                    pass


def _insert_statement(dialect: str, table: Table):
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"upserts are written for SQLite and PostgreSQL, not {dialect}")


def _upsert_statement(dialect: str, table: Table, key_columns: list[str], update_columns: list[str] | None = None):
    """``INSERT ... ON CONFLICT (key) DO UPDATE`` of ``update_columns`` (default: every other column)."""
    statement = _insert_statement(dialect, table)
    if update_columns is None:
        update_columns = [c.name for c in table.columns if c.name not in key_columns]
    changes = {name: statement.excluded[name] for name in update_columns}
    return statement.on_conflict_do_update(index_elements=key_columns, set_=changes)


def _last_per_key(rows: list[dict[str, Any]], key_columns: list[str]) -> list[dict[str, Any]]:
    """``rows`` with one row per key, the last given (an upsert may touch each row only once)."""
    if len(rows) == 1:
        return rows
    return list({tuple(row[c] for c in key_columns): row for row in rows}.values())

