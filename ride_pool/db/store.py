"""The dispatcher's store in a SQL database: :class:`SqlStore`.

Each :class:`~ride_pool.dispatch.store.Change` is written in one transaction: bookings, offers and
shifts are upserted by primary key (``INSERT ... ON CONFLICT DO UPDATE``, so concurrent commits
never race between a look-up and an insert), events are appended, and the riders' no-show counts
go up. :meth:`SqlStore.load` gives the state back after a restart.

Changes the dispatcher marks as not needing durability before the answer (quotes, their offers
and events, declined offers, refused bookings: :meth:`SqlStore.commit_soon`) are written behind:
with the next durable commit, in the same transaction and before it, or by a background flush at
most :data:`FLUSH_INTERVAL_S` later. A crash can lose those records of the last fraction of a
second (a rider then quotes again); it never loses a booking or a plan change, which commit before
they are answered.

The ``*_to_row`` / ``*_from_row`` functions convert between the domain dataclasses and the tables;
``from_row(to_row(x)) == x`` for every object the dispatcher makes.
"""

from __future__ import annotations

import select as io_select
import threading
from collections import Counter
import logging
from typing import Any

from sqlalchemy import Connection, Engine, Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError

from ride_pool.db.engine import WRITE_OPTION, read_session
from ride_pool.db.errors import DuplicateIdempotencyKey, UnknownRider
from ride_pool.db.models import BookingRow, EventRow, OfferRow, Shift, User, Vehicle
from ride_pool.dispatch.domain import (
    Booking,
    BookingStatus,
    Event,
    EventKind,
    Offer,
    Place,
    Step,
    StepKind,
    TripRequest,
    VehicleShift,
    idempotency_scope,
)
from ride_pool.dispatch.store import Change, StoredState

log = logging.getLogger(__name__)

#: the longest a written-behind change waits for its transaction when no durable commit comes
FLUSH_INTERVAL_S = 0.5


def merge_changes(changes: list[Change]) -> Change:
    """One change with everything of ``changes``, in order (later versions of a row win)."""
    merged = Change()
    for change in changes:
        merged.bookings.extend(change.bookings)
        merged.offers.extend(change.offers)
        merged.shifts.extend(change.shifts)
        merged.events.extend(change.events)
        merged.no_show_riders.extend(change.no_show_riders)
    return merged

ACTIVE_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.ONBOARD)


class SqlStore:
    """Persists the dispatcher's changes in the database behind ``engine`` (thread-safe).

    A shift whose vehicle is not in ``vehicles`` yet gets a vehicle row made from the shift (label,
    seats, wheelchair places, depot), so the store also works without the fleet set up through
    :class:`~ride_pool.db.repository.Repository` (tests, replays).
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        self._write_engine = engine.execution_options(**{WRITE_OPTION: True})
        dialect = engine.dialect.name
        #: the statements of a commit, built once (SQLAlchemy caches their compiled form)
        self._statements: dict[str, Any] = {
            "vehicles": _insert_statement(dialect, Vehicle.__table__).on_conflict_do_nothing(index_elements=["id"]),
            "shifts": _upsert_statement(dialect, Shift.__table__, ["id"]),
            "offers": _upsert_statement(dialect, OfferRow.__table__, ["offer_id"]),
            "bookings": _upsert_statement(dialect, BookingRow.__table__, ["booking_id"]),
            "events": EventRow.__table__.insert().inline(),     # no RETURNING of the new ids
            "no_show": User.__table__.update().where(User.__table__.c.id == bindparam("rider"))
            .values(no_show_count=User.__table__.c.no_show_count + bindparam("count")),
        }
        self._direct = _DirectWriter.for_engine(engine, self._statements)
        #: vehicle ids known to have a row (vehicles are never deleted), so that a shift's commit
        #: does not insert-or-ignore its vehicle again each time
        self._known_vehicles: set[int] = set()
        #: written-behind changes (see the module docstring), oldest first
        self._pending: list[Change] = []
        self._pending_lock = threading.Lock()
        #: one writer at a time, so that the log's event ids follow the dispatcher's order
        self._write_lock = threading.RLock()
        self._flusher: threading.Thread | None = None
        self._closing = threading.Event()

    def commit(self, change: Change) -> None:
        """Write ``change`` completely or not at all, together with the written-behind changes.

        Raises :class:`DuplicateIdempotencyKey` when a booking reuses a rider's idempotency key,
        :class:`UnknownRider` for a no-show of a rider who is not a user, and the database's own
        error for anything else; nothing of ``change`` is written then.
        """
        if not change:
            return
        with self._write_lock:
            pending = self._take_pending()
            if pending:
                try:
                    self._write(merge_changes([*pending, change]))
                    return
                except Exception:
                    # the failure may be this change's own (a duplicate idempotency key): it must
                    # not take the written-behind records with it
                    self._write_each(pending)
            self._write(change)

    def commit_soon(self, change: Change) -> None:
        """Write ``change`` behind: with the next :meth:`commit` or within :data:`FLUSH_INTERVAL_S`."""
        if not change:
            return
        with self._pending_lock:
            self._pending.append(change)
            if self._flusher is None and not self._closing.is_set():
                self._flusher = threading.Thread(target=self._flush_loop, name="sql-store-flush", daemon=True)
                self._flusher.start()

    def flush(self) -> None:
        """Write the written-behind changes now."""
        with self._write_lock:
            pending = self._take_pending()
            if not pending:
                return
            try:
                self._write(merge_changes(pending))
            except Exception:
                self._write_each(pending)

    def _take_pending(self) -> list[Change]:
        with self._pending_lock:
            pending, self._pending = self._pending, []
        return pending

    def _write_each(self, changes: list[Change]) -> None:
        for change in changes:
            try:
                self._write(change)
            except Exception:
                log.exception("a quote's records could not be written; they are dropped (the rider may quote again)")

    def _flush_loop(self) -> None:
        while not self._closing.wait(FLUSH_INTERVAL_S):
            try:
                self.flush()
            except Exception:   # the loop must outlive a passing database outage
                log.exception("written-behind flush failed")

    def _write(self, change: Change) -> None:
        vehicles = {}
        if change.shifts:
            vehicles = {s.vehicle_id: s for s in change.shifts if int(s.vehicle_id) not in self._known_vehicles}
        batches = self._batches(change, vehicles)
        try:
            if change.no_show_riders or self._direct is None:
                with self._write_engine.begin() as connection:
                    for name, rows in batches:
                        connection.execute(self._statements[name], rows)
                    self._count_no_shows(connection, change.no_show_riders)
            else:
                self._direct.write(batches)
        except IntegrityError as error:
            if "idempotency" in str(error.orig):
                raise DuplicateIdempotencyKey(
                    "a booking with this idempotency key exists already for this rider: "
                    "send a new key for a new booking, or fetch the existing one"
                ) from error
            raise
        # only after the commit: a rolled-back transaction may not have made its vehicle rows
        self._known_vehicles.update(int(v) for v in vehicles)

    def close(self) -> None:
        """Write what is pending and return the connection kept for commits to the pool (before
        ``engine.dispose()``)."""
        self._closing.set()
        if self._flusher is not None:
            self._flusher.join(5)
        self.flush()
        if self._direct is not None:
            self._direct.close()

    @staticmethod
    def _batches(change: Change, vehicles: dict) -> list[tuple[str, list[dict[str, Any]]]]:
        """(statement name, rows) in the order they are written."""
        batches = []
        if vehicles:
            batches.append(("vehicles", [_vehicle_from_shift(s) for s in vehicles.values()]))
        if change.shifts:
            batches.append(("shifts", _last_per_key([shift_to_row(s) for s in change.shifts], ["id"])))
        if change.offers:
            batches.append(("offers", _last_per_key([offer_to_row(o) for o in change.offers], ["offer_id"])))
        if change.bookings:
            batches.append(("bookings", _last_per_key([booking_to_row(b) for b in change.bookings],
                                                      ["booking_id"])))
        if change.events:
            batches.append(("events", [event_to_row(e) for e in change.events]))
        return batches

    def _count_no_shows(self, connection: Connection, riders: list[int]) -> None:
        for rider_id, count in Counter(riders).items():
            result = connection.execute(self._statements["no_show"], {"rider": rider_id, "count": count})
            if result.rowcount != 1:
                raise UnknownRider(f"no-show of rider {rider_id}, who is not in the users table: "
                                   "only registered riders can be counted")

    def load(self, now: int) -> StoredState:
        """The shifts not ended (with their routes), the active bookings, the offers still open at
        ``now`` and the riders' no-show counts, all from one snapshot of the database."""
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
        return StoredState(shifts=shifts, bookings=bookings, offers=offers, no_shows=no_shows)

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
                driver.total_changes        # raises once the SQLite connection was closed
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


def _upsert_statement(dialect: str, table: Table, key_columns: list[str]):
    """``INSERT ... ON CONFLICT (key) DO UPDATE`` of every other column."""
    statement = _insert_statement(dialect, table)
    changes = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in key_columns}
    return statement.on_conflict_do_update(index_elements=key_columns, set_=changes)


def _last_per_key(rows: list[dict[str, Any]], key_columns: list[str]) -> list[dict[str, Any]]:
    """``rows`` with one row per key, the last given (an upsert may touch each row only once)."""
    if len(rows) == 1:
        return rows
    return list({tuple(row[c] for c in key_columns): row for row in rows}.values())


# --- conversions between domain objects and rows -------------------------------------------------

def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


def place_to_dict(place: Place) -> dict[str, Any]:
    return {"node": int(place.node), "lat": float(place.lat), "lon": float(place.lon),
            "name": place.name, "stop_id": _int_or_none(place.stop_id)}


def place_from_dict(data: dict[str, Any]) -> Place:
    return Place(node=data["node"], lat=data["lat"], lon=data["lon"], name=data.get("name", ""),
                 stop_id=data.get("stop_id"))


def _place_columns(prefix: str, place: Place) -> dict[str, Any]:
    return {f"{prefix}_{name}": value for name, value in place_to_dict(place).items()}


def _place_from_columns(prefix: str, row: Any) -> Place:
    return Place(node=getattr(row, f"{prefix}_node"), lat=getattr(row, f"{prefix}_lat"),
                 lon=getattr(row, f"{prefix}_lon"), name=getattr(row, f"{prefix}_name"),
                 stop_id=getattr(row, f"{prefix}_stop_id"))


def booking_to_row(booking: Booking) -> dict[str, Any]:
    b = booking
    return {
        "booking_id": b.booking_id,
        "rider_id": _int_or_none(b.rider_id),
        **_place_columns("origin", b.origin),
        **_place_columns("destination", b.destination),
        "passengers": int(b.passengers),
        "wheelchairs": int(b.wheelchairs),
        "pickup_earliest": int(b.pickup_earliest),
        "pickup_latest": int(b.pickup_latest),
        "dropoff_latest": int(b.dropoff_latest),
        "max_ride_s": int(b.max_ride_s),
        "direct_s": int(b.direct_s),
        "direct_m": int(b.direct_m),
        "requested_time": int(b.requested_time),
        "status": BookingStatus(b.status),
        "vehicle_id": _int_or_none(b.vehicle_id),
        "created_at": int(b.created_at),
        "channel": b.channel,
        "offer_id": b.offer_id,
        "idempotency_key": b.idempotency_key,
        "idempotency_scope": None if b.idempotency_key is None else idempotency_scope(b.rider_id, b.channel),
        "planned_pickup": _int_or_none(b.planned_pickup),
        "planned_dropoff": _int_or_none(b.planned_dropoff),
        "boarded_at": _int_or_none(b.boarded_at),
        "completed_at": _int_or_none(b.completed_at),
        "cancelled_at": _int_or_none(b.cancelled_at),
        "caller_name": b.caller_name,
        "caller_phone": b.caller_phone,
    }


def booking_from_row(row: BookingRow) -> Booking:
    return Booking(
        booking_id=row.booking_id,
        rider_id=row.rider_id,
        origin=_place_from_columns("origin", row),
        destination=_place_from_columns("destination", row),
        passengers=row.passengers,
        wheelchairs=row.wheelchairs,
        pickup_earliest=row.pickup_earliest,
        pickup_latest=row.pickup_latest,
        dropoff_latest=row.dropoff_latest,
        max_ride_s=row.max_ride_s,
        direct_s=row.direct_s,
        direct_m=row.direct_m,
        requested_time=row.requested_time,
        status=BookingStatus(row.status),
        vehicle_id=row.vehicle_id,
        created_at=row.created_at,
        channel=row.channel,
        offer_id=row.offer_id,
        idempotency_key=row.idempotency_key,
        planned_pickup=row.planned_pickup,
        planned_dropoff=row.planned_dropoff,
        boarded_at=row.boarded_at,
        completed_at=row.completed_at,
        cancelled_at=row.cancelled_at,
        caller_name=row.caller_name,
        caller_phone=row.caller_phone,
    )


def offer_to_row(offer: Offer) -> dict[str, Any]:
    o, r = offer, offer.request
    return {
        "offer_id": o.offer_id,
        "quote_id": o.quote_id,
        "rider_id": _int_or_none(r.rider_id),
        "request": {
            "origin": place_to_dict(r.origin),
            "destination": place_to_dict(r.destination),
            "passengers": int(r.passengers),
            "wheelchairs": int(r.wheelchairs),
            "pickup_after": _int_or_none(r.pickup_after),
            "arrive_by": _int_or_none(r.arrive_by),
            "channel": r.channel,
            # a phone caller's name and number only when given (app requests have none)
            **{name: getattr(r, name) for name in ("caller_name", "caller_phone") if getattr(r, name) is not None},
        },
        "pickup_earliest": int(o.pickup_earliest),
        "pickup_latest": int(o.pickup_latest),
        "dropoff_latest": int(o.dropoff_latest),
        "planned_pickup": int(o.planned_pickup),
        "planned_dropoff": int(o.planned_dropoff),
        "vehicle_id": int(o.vehicle_id),
        "expires_at": int(o.expires_at),
        "direct_s": int(o.direct_s),
        "direct_m": int(o.direct_m),
        "max_ride_s": int(o.max_ride_s),
        "alternative": bool(o.alternative),
        "booking_id": o.booking_id,
    }


def offer_from_row(row: OfferRow) -> Offer:
    r = row.request
    request = TripRequest(
        rider_id=row.rider_id,
        origin=place_from_dict(r["origin"]),
        destination=place_from_dict(r["destination"]),
        passengers=r["passengers"],
        wheelchairs=r["wheelchairs"],
        pickup_after=r.get("pickup_after"),
        arrive_by=r.get("arrive_by"),
        channel=r.get("channel", "app"),
        caller_name=r.get("caller_name"),
        caller_phone=r.get("caller_phone"),
    )
    return Offer(
        offer_id=row.offer_id,
        quote_id=row.quote_id,
        request=request,
        pickup_earliest=row.pickup_earliest,
        pickup_latest=row.pickup_latest,
        dropoff_latest=row.dropoff_latest,
        planned_pickup=row.planned_pickup,
        planned_dropoff=row.planned_dropoff,
        vehicle_id=row.vehicle_id,
        expires_at=row.expires_at,
        direct_s=row.direct_s,
        direct_m=row.direct_m,
        max_ride_s=row.max_ride_s,
        alternative=row.alternative,
        booking_id=row.booking_id,
    )


def shift_to_row(shift: VehicleShift) -> dict[str, Any]:
    s = shift
    return {
        "id": int(s.shift_id),
        "vehicle_id": int(s.vehicle_id),
        "start": int(s.start),
        "end": int(s.end),
        "driver_id": _int_or_none(s.driver_id),
        "started": bool(s.started),
        "ended": bool(s.ended),
        **_place_columns("depot", s.depot),
        "anchor_node": int(s.anchor_node),
        "anchor_time": int(s.anchor_time),
        "route": [[step.booking_id, StepKind(step.kind).value] for step in s.route],
        "lat": _float_or_none(s.lat),
        "lon": _float_or_none(s.lon),
        "location_time": _int_or_none(s.location_time),
    }


def shift_from_row(row: Shift, vehicle: Vehicle) -> VehicleShift:
    return VehicleShift(
        shift_id=row.id,
        vehicle_id=row.vehicle_id,
        label=vehicle.label,
        seats=vehicle.seats,
        wheelchair_places=vehicle.wheelchair_places,
        start=row.start,
        end=row.end,
        depot=_place_from_columns("depot", row),
        anchor_node=row.anchor_node,
        anchor_time=row.anchor_time,
        route=[Step(booking_id, StepKind(kind)) for booking_id, kind in row.route],
        started=row.started,
        ended=row.ended,
        driver_id=row.driver_id,
        lat=row.lat,
        lon=row.lon,
        location_time=row.location_time,
    )


def _vehicle_from_shift(shift: VehicleShift) -> dict[str, Any]:
    return {"id": int(shift.vehicle_id), "label": shift.label, "seats": int(shift.seats),
            "wheelchair_places": int(shift.wheelchair_places), "depot_lat": float(shift.depot.lat),
            "depot_lon": float(shift.depot.lon), "active": True}


def event_to_row(event: Event) -> dict[str, Any]:
    return {
        "time": int(event.time),
        "kind": EventKind(event.kind).value,
        "cause": str(event.cause or ""),
        "booking_id": event.booking_id,
        "vehicle_id": _int_or_none(event.vehicle_id),
        "shift_id": _int_or_none(event.shift_id),
        "rider_id": _int_or_none(event.rider_id),
        "data": dict(event.data),
    }


def event_from_row(row: EventRow) -> Event:
    return Event(
        time=row.time,
        kind=EventKind(row.kind),
        cause=row.cause,
        booking_id=row.booking_id,
        vehicle_id=row.vehicle_id,
        shift_id=row.shift_id,
        rider_id=row.rider_id,
        data=row.data,
    )
