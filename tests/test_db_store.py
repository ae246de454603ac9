"""The database layer: migrations, SqlStore (atomic commits, restart state), repository, stop import.

Runs on SQLite; on PostgreSQL too when RIDE_POOL_DATABASE_URL is a postgres URL (see conftest_db).
"""

from __future__ import annotations

import copy
import threading
import time

import numpy as np
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select
from sqlalchemy import text as sa_text

from ride_pool.db import (
    DuplicateEmail,
    DuplicateIdempotencyKey,
    DuplicateVehicleLabel,
    NotFound,
    Repository,
    ShiftOverlap,
    SqlStore,
    StopImportError,
    UnknownRider,
    UserRole,
    current_revision,
    head_revision,
    make_engine,
    migrate,
    migrations_config,
    parse_stops_file,
)
from ride_pool.db.engine import database_url as parse_url
from ride_pool.db.engine import read_session, write_session
from ride_pool.db.models import Base, BookingRow, EventRow, OfferRow, Stop, User
from ride_pool.dispatch.domain import (
    Booking,
    BookingStatus,
    Event,
    EventKind,
    Offer,
    Place,
    RejectCause,
    Step,
    StepKind,
    TripRequest,
    VehicleShift,
    idempotency_scope,
)
from ride_pool.dispatch.store import AreaSettings, Change

pytestmark = pytest.mark.database

T0 = 1_767_250_800  # 2026-01-01 08:00 Europe/Berlin
RIESA = Place(node=11, lat=51.3076541, lon=13.2938893, name="Riesa Bahnhof", stop_id=None)
MEISSEN = Place(node=42, lat=51.1636, lon=13.4775, name="Meißen, Markt", stop_id=7)
DEPOT = Place(node=3, lat=51.2, lon=13.3, name="Betriebshof Großenhain")


@pytest.fixture
def store(db_engine) -> SqlStore:
    return SqlStore(db_engine)


@pytest.fixture
def repo(db_engine) -> Repository:
    return Repository(db_engine)


def make_user(repo: Repository, email: str = "rider@example.org", role: UserRole = UserRole.RIDER) -> int:
    return repo.create_user(email, "hash", "Erika Muster", role).id


def make_booking(booking_id: str, rider_id: int | None = 1, status=BookingStatus.CONFIRMED, **fields) -> Booking:
    values = dict(
        booking_id=booking_id, rider_id=rider_id, origin=RIESA, destination=MEISSEN, passengers=2, wheelchairs=1,
        pickup_earliest=T0 + 600, pickup_latest=T0 + 1200, dropoff_latest=T0 + 3600, max_ride_s=2400,
        direct_s=1500, direct_m=21_345, requested_time=T0 + 600, status=status, vehicle_id=1, created_at=T0,
        channel="app", offer_id="o-" + booking_id, idempotency_key=None, planned_pickup=T0 + 700,
        planned_dropoff=T0 + 2300,
    )
    values.update(fields)
    return Booking(**values)


def make_offer(offer_id: str, rider_id: int | None = 1, expires_at: int = T0 + 120, **fields) -> Offer:
    request = TripRequest(rider_id=rider_id, origin=RIESA, destination=MEISSEN, passengers=1,
                          pickup_after=T0 + 600, channel="app" if rider_id else "phone")
    values = dict(
        offer_id=offer_id, quote_id="q-" + offer_id, request=request, pickup_earliest=T0 + 600,
        pickup_latest=T0 + 1200, dropoff_latest=T0 + 3600, planned_pickup=T0 + 700, planned_dropoff=T0 + 2300,
        vehicle_id=1, expires_at=expires_at, direct_s=1500, direct_m=21_345, max_ride_s=2400,
    )
    values.update(fields)
    return Offer(**values)


def make_shift(shift_id: int = 1, vehicle_id: int = 1, route=(), **fields) -> VehicleShift:
    values = dict(
        shift_id=shift_id, vehicle_id=vehicle_id, label=f"MEI-RB {vehicle_id}", seats=8, wheelchair_places=1,
        start=T0, end=T0 + 8 * 3600, depot=DEPOT, anchor_node=DEPOT.node, anchor_time=T0, route=list(route),
    )
    values.update(fields)
    return VehicleShift(**values)


def event(kind: EventKind, offset: int = 0, **fields) -> Event:
    return Event(time=T0 + offset, kind=kind, **fields)


def count(engine, model) -> int:
    with read_session(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


# --- migrations ----------------------------------------------------------------------------------

def test_migrate_twice_changes_nothing(database_url, db_engine):
    tables = set(inspect(db_engine).get_table_names())
    migrate(database_url)
    migrate(db_engine)
    assert current_revision(db_engine) == head_revision() == "0005_notify"
    assert set(inspect(db_engine).get_table_names()) == tables
    assert {t.name for t in Base.metadata.sorted_tables} | {"alembic_version"} == tables


def test_migrated_schema_matches_models(db_engine):
    with db_engine.connect() as connection:
        options = {"compare_type": True,
                   # SQLite reflects '' defaults as text the comparison cannot match; PostgreSQL can
                   "compare_server_default": db_engine.dialect.name == "postgresql"}
        differences = compare_metadata(MigrationContext.configure(connection, opts=options), Base.metadata)
    assert differences == []


def test_downgrade_then_upgrade(database_url, db_engine):
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            command.downgrade(migrations_config(connection=connection), "base")
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
        migrate(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_caller_columns_migrate_down_and_up_with_the_bookings_kept(database_url, db_engine, store, repo):
    """0002 adds bookings.caller_name/caller_phone; its downgrade drops them and keeps the rows."""
    rider = make_user(repo)
    store.commit(Change(bookings=[make_booking("b1", rider, idempotency_key="k-1"),
                                  make_booking("b2", None, channel="phone", caller_name="Erna Beispiel",
                                               caller_phone="03521 123456")]))
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            command.downgrade(migrations_config(connection=connection), "0001")
        assert current_revision(engine) == "0001"
        columns = {c["name"] for c in inspect(engine).get_columns("bookings")}
        assert "booking_id" in columns and not {"caller_name", "caller_phone"} & columns
        migrate(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
    # the rows (and their unique idempotency keys) are still there; the callers are gone with the columns
    assert repo.get_booking("b1") == make_booking("b1", rider, idempotency_key="k-1")
    assert repo.get_booking("b2") == make_booking("b2", None, channel="phone")
    with pytest.raises(DuplicateIdempotencyKey):
        store.commit(Change(bookings=[make_booking("b3", rider, idempotency_key="k-1")]))
    test_migrated_schema_matches_models(db_engine)


def test_postgres_urls_use_psycopg():
    assert parse_url("postgresql://postgres@127.0.0.1:5432/test").drivername == "postgresql+psycopg"
    assert parse_url("postgres://u:p@h/db").drivername == "postgresql+psycopg"
    assert parse_url("sqlite:///x.db").drivername == "sqlite"
    with pytest.raises(ValueError, match="use sqlite"):
        make_engine("mysql://u@h/db")


def test_sqlite_engine_settings(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with engine.connect() as connection:
            pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert pragma("journal_mode") == "wal"
            assert pragma("foreign_keys") == 1
            assert pragma("busy_timeout") > 0
    finally:
        engine.dispose()


# --- SqlStore --------------------------------------------------------------------------------------

def test_commit_and_load_round_trip(store, repo):
    rider = make_user(repo)
    other = make_user(repo, "other@example.org")
    active = [
        make_booking("b1", rider),
        make_booking("b2", rider, BookingStatus.ONBOARD, boarded_at=T0 + 800, idempotency_key="k-1"),
        make_booking("b3", None, channel="phone", idempotency_key="k-1", origin=MEISSEN, destination=RIESA,
                     planned_pickup=None, planned_dropoff=None, offer_id=None, caller_name="Erna Beispiel",
                     caller_phone="+49 (3521) 123-456"),
    ]
    finished = [
        make_booking("b4", rider, BookingStatus.COMPLETED, completed_at=T0 + 2000),
        make_booking("b5", other, BookingStatus.CANCELLED, cancelled_at=T0 + 100, vehicle_id=None),
        make_booking("b6", other, BookingStatus.NO_SHOW),
    ]
    phone_call = TripRequest(rider_id=None, origin=RIESA, destination=MEISSEN, channel="phone",
                             caller_name="Erna Beispiel", caller_phone="03521 123456")
    open_offers = [make_offer("o1", rider), make_offer("o2", None, alternative=True, expires_at=T0 + 3600),
                   make_offer("o5", None, request=phone_call, expires_at=T0 + 3601)]
    closed_offers = [make_offer("o3", rider, expires_at=T0 - 1), make_offer("o4", rider, booking_id="b1")]
    route = [Step("b2", StepKind.DROPOFF), Step("b1", StepKind.PICKUP), Step("b1", StepKind.DROPOFF)]
    running = make_shift(1, 1, route, started=True, lat=51.25, lon=13.31, location_time=T0 + 900,
                         anchor_node=99, anchor_time=T0 + 950, driver_id=None)
    later = make_shift(2, 2, seats=4, wheelchair_places=0, start=T0 + 9 * 3600, end=T0 + 12 * 3600)
    ended = make_shift(3, 3, started=True, ended=True)
    events = [event(EventKind.REQUEST_RECEIVED, rider_id=rider, data={"passengers": 2}),
              event(EventKind.OFFER_MADE, 1, rider_id=rider, data={"offer_id": "o1", "windows": [[1, 2], [3, 4]]}),
              event(EventKind.REQUEST_REJECTED, 2, cause=RejectCause.NO_VEHICLE_AVAILABLE),
              event(EventKind.RIDER_NO_SHOW, 3, booking_id="b6", rider_id=other, vehicle_id=1, shift_id=1)]
    store.commit(Change(bookings=active + finished, offers=open_offers + closed_offers,
                        shifts=[running, later, ended], events=events, no_show_riders=[other]))
    store.commit(Change(no_show_riders=[other, rider]))

    state = store.load(now=T0)
    assert state.bookings == active
    assert all(isinstance(b.status, BookingStatus) for b in state.bookings)
    assert state.offers == open_offers
    assert state.shifts == [running, later]
    assert isinstance(state.shifts[0].route[0].kind, StepKind)
    assert state.no_shows == {other: 2, rider: 1}
    assert store.events() == events
    assert isinstance(store.events()[2].kind, EventKind)
    assert repo.get_booking("b5") == finished[1]
    assert repo.get_user(other).no_show_count == 2


def test_converters_round_trip_phone_callers():
    from ride_pool.db.models import BookingRow
    from ride_pool.db.rows import booking_from_row, booking_to_row, offer_from_row, offer_to_row

    call = TripRequest(rider_id=None, origin=RIESA, destination=MEISSEN, channel="phone", caller_name="Erna Beispiel",
                       caller_phone="03521 123456")
    for offer in (make_offer("o1"), make_offer("o2", None, request=call)):
        assert offer_from_row(OfferRow(**offer_to_row(offer))) == offer
    assert "caller_name" not in offer_to_row(make_offer("o1"))["request"]     # app requests: no caller keys
    for booking in (make_booking("b1"), make_booking("b2", None, channel="phone", caller_name="Erna Beispiel",
                                                     caller_phone="03521 123456")):
        assert booking_from_row(BookingRow(**booking_to_row(booking))) == booking


def test_commit_updates_by_primary_key(store, repo):
    rider = make_user(repo)
    booking, shift, offer = make_booking("b1", rider), make_shift(route=[Step("b1", StepKind.PICKUP)]), make_offer("o1")
    store.commit(Change(bookings=[booking], shifts=[shift], offers=[offer]))
    booking.status, booking.boarded_at = BookingStatus.ONBOARD, T0 + 900
    shift.route, shift.anchor_node, shift.started = [Step("b1", StepKind.DROPOFF)], 42, True
    offer.booking_id = "b1"
    store.commit(Change(bookings=[copy.copy(booking)], shifts=[copy.deepcopy(shift)], offers=[offer]))

    state = store.load(now=T0)
    assert state.bookings == [booking]
    assert state.shifts == [shift]
    assert state.offers == []
    # the same booking twice in one change: the last copy wins
    first, last = make_booking("b1", rider, BookingStatus.ONBOARD), make_booking("b1", rider, BookingStatus.COMPLETED)
    store.commit(Change(bookings=[first, last]))
    assert repo.get_booking("b1").status is BookingStatus.COMPLETED
    assert store.load(now=T0).bookings == []


def test_ending_a_shift_removes_it_from_the_restart_state(store):
    shift = make_shift()
    store.commit(Change(shifts=[shift]))
    assert store.load(T0).shifts == [shift]
    shift.ended = True
    store.commit(Change(shifts=[shift]))
    assert store.load(T0).shifts == []


def test_events_in_order_and_paged(store):
    kinds = list(EventKind)
    for i in range(0, 30, 3):
        store.commit(Change(events=[event(kinds[(i + j) % len(kinds)], i + j, data={"i": i + j}) for j in range(3)]))
    events = store.events()
    assert [e.data["i"] for e in events] == list(range(30))
    rows = store.event_rows(limit=10)
    assert [e.data["i"] for _, e in rows] == list(range(10))
    page = store.events(since_id=rows[-1][0], limit=5)
    assert [e.data["i"] for e in page] == list(range(10, 15))
    assert store.events(since_id=store.event_rows()[-1][0]) == []


def test_numpy_values_are_stored_as_plain_numbers(store, repo):
    rider = make_user(repo)
    booking = make_booking("b1", rider, direct_m=np.int64(21_345), origin=Place(np.int32(11), np.float64(51.3), 13.29))
    store.commit(Change(bookings=[booking], events=[
        event(EventKind.VEHICLE_DROVE, data={"distance_m": np.int64(512), "duration_s": np.float32(40.5),
                                             "legs": np.array([1, 2])})]))
    assert store.load(T0).bookings[0].direct_m == 21_345
    assert store.events()[0].data == {"distance_m": 512, "duration_s": 40.5, "legs": [1, 2]}


def test_failed_commit_writes_nothing(store, repo, db_engine):
    rider = make_user(repo)
    first = make_booking("b1", rider, idempotency_key="tap-1")
    store.commit(Change(bookings=[first], events=[event(EventKind.BOOKING_CONFIRMED, booking_id="b1")]))
    before = (count(db_engine, EventRow), count(db_engine, OfferRow))

    retry = make_booking("b2", rider, idempotency_key="tap-1")
    with pytest.raises(DuplicateIdempotencyKey, match="idempotency key"):
        store.commit(Change(bookings=[retry], offers=[make_offer("o9", rider)], shifts=[make_shift()],
                            events=[event(EventKind.BOOKING_CONFIRMED, booking_id="b2")], no_show_riders=[rider]))
    assert (count(db_engine, EventRow), count(db_engine, OfferRow)) == before
    assert repo.get_booking("b2") is None
    assert repo.get_user(rider).no_show_count == 0
    assert store.load(T0).shifts == []

    # the same key of another rider, or without a key, is fine; phone bookings share one scope
    other = make_user(repo, "other@example.org")
    store.commit(Change(bookings=[make_booking("b3", other, idempotency_key="tap-1"), make_booking("b4", rider),
                                  make_booking("b5", None, channel="phone", idempotency_key="call-1")]))
    with pytest.raises(DuplicateIdempotencyKey):
        store.commit(Change(bookings=[make_booking("b6", None, channel="phone", idempotency_key="call-1")]))
    assert store.find_booking(idempotency_scope(rider, "app"), "tap-1") == first
    assert store.find_booking(idempotency_scope(None, "phone"), "call-1").booking_id == "b5"
    assert store.find_booking(idempotency_scope(rider, "app"), "nope") is None


def test_written_behind_changes_land_before_the_next_commit_and_survive_its_failure(store, repo, db_engine):
    rider = make_user(repo)
    store.commit_soon(Change(offers=[make_offer("o1", rider)], events=[event(EventKind.OFFER_MADE, 0, data={"i": 0})]))
    store.commit_soon(Change(events=[event(EventKind.REQUEST_REJECTED, 1, data={"i": 1})]))
    # a durable commit writes the pending changes first, in the same transaction
    store.commit(Change(bookings=[make_booking("b1", rider, idempotency_key="k", offer_id="o1")],
                        events=[event(EventKind.BOOKING_CONFIRMED, 2, booking_id="b1", data={"i": 2})]))
    assert [e.data["i"] for e in store.events()] == [0, 1, 2]
    assert count(db_engine, OfferRow) == 1

    # a durable commit that fails (duplicate key) does not take the pending records with it
    store.commit_soon(Change(offers=[make_offer("o2", rider)], events=[event(EventKind.OFFER_MADE, 3, data={"i": 3})]))
    with pytest.raises(DuplicateIdempotencyKey):
        store.commit(Change(bookings=[make_booking("b2", rider, idempotency_key="k", offer_id="o2")],
                            events=[event(EventKind.BOOKING_CONFIRMED, 4, booking_id="b2", data={"i": 4})]))
    assert [e.data["i"] for e in store.events()] == [0, 1, 2, 3]
    assert repo.get_booking("b2") is None and count(db_engine, OfferRow) == 2


def test_written_behind_changes_are_flushed_in_the_background_and_on_close(db_engine):
    from ride_pool.db.write_behind import FLUSH_INTERVAL_S

    store = SqlStore(db_engine)
    store.commit_soon(Change(events=[event(EventKind.REQUEST_REJECTED, 0, data={"i": 0})]))
    deadline = time.monotonic() + 20 * FLUSH_INTERVAL_S
    while count(db_engine, EventRow) == 0 and time.monotonic() < deadline:
        time.sleep(FLUSH_INTERVAL_S / 5)
    assert count(db_engine, EventRow) == 1           # without any read or commit asking for it
    store.commit_soon(Change(events=[event(EventKind.REQUEST_REJECTED, 1, data={"i": 1})]))
    store.close()
    assert count(db_engine, EventRow) == 2


def test_no_show_of_unknown_rider_is_refused(store, db_engine):
    with pytest.raises(UnknownRider, match="rider 999"):
        store.commit(Change(events=[event(EventKind.RIDER_NO_SHOW, rider_id=999)], no_show_riders=[999]))
    assert count(db_engine, EventRow) == 0


def test_concurrent_commits_all_land(store, repo, db_engine):
    rider = make_user(repo)
    threads, commits_each = 8, 15
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def work(thread: int) -> None:
        try:
            start.wait()
            for i in range(commits_each):
                booking = make_booking(f"t{thread}-{i}", rider, idempotency_key=f"{thread}-{i}")
                shift = make_shift(thread + 1, thread + 1, route=[Step(booking.booking_id, StepKind.PICKUP)])
                store.commit(Change(bookings=[booking], shifts=[shift], offers=[make_offer(f"o{thread}-{i}", rider)],
                                    events=[event(EventKind.BOOKING_CONFIRMED, i, booking_id=booking.booking_id)],
                                    no_show_riders=[rider]))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    total = threads * commits_each
    state = store.load(T0)
    assert len(state.bookings) == total and len(state.offers) == total
    assert len(state.shifts) == threads
    assert state.no_shows == {rider: total}
    assert count(db_engine, EventRow) == total


def test_shift_commit_creates_a_missing_vehicle(store, repo):
    store.commit(Change(shifts=[make_shift(5, 9, seats=6, wheelchair_places=2)]))
    vehicle = repo.get_vehicle(9)
    assert (vehicle.label, vehicle.seats, vehicle.wheelchair_places, vehicle.active) == ("MEI-RB 9", 6, 2, True)


def test_commit_after_the_database_closed_the_connection(store, repo, db_engine):
    """The connection the store keeps for its commits may be closed by the server (a restart):
    the next commit notices before it sends anything and takes a new connection."""
    rider = make_user(repo)
    store.commit(Change(bookings=[make_booking("b1", rider)], events=[event(EventKind.BOOKING_CONFIRMED)]))
    kept = store._writer.direct._kept if store._writer.direct is not None else None
    if kept is None:
        pytest.skip("this engine commits through SQLAlchemy Core (no kept connection)")
    if db_engine.dialect.name == "postgresql":
        pid = kept.driver_connection.info.backend_pid
        with db_engine.connect() as connection:
            connection.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
        time.sleep(0.2)     # the server's goodbye arrives
    else:
        kept.driver_connection.close()
    store.commit(Change(bookings=[make_booking("b2", rider)], events=[event(EventKind.BOOKING_CONFIRMED)]))
    assert [b.booking_id for b in store.load(T0).bookings] == ["b1", "b2"]
    assert count(db_engine, EventRow) == 2
    store.close()
    store.commit(Change(events=[event(EventKind.BOOKING_CONFIRMED)]))   # works again after close()
    assert count(db_engine, EventRow) == 3


def test_database_errors_come_as_sqlalchemy_errors(store, repo, db_engine):
    from sqlalchemy.exc import DataError, DBAPIError

    rider = make_user(repo)
    if db_engine.dialect.name == "postgresql":     # a number too large for its INTEGER column
        with pytest.raises(DataError):
            store.commit(Change(bookings=[make_booking("b1", rider, direct_s=2**40)],
                                events=[event(EventKind.BOOKING_CONFIRMED)]))
    with pytest.raises(DBAPIError):                # a driver who is no user
        store.commit(Change(bookings=[make_booking("b2", rider)], shifts=[make_shift(7, 7, driver_id=4711)],
                            events=[event(EventKind.BOOKING_CONFIRMED)]))
    assert count(db_engine, EventRow) == 0 and repo.get_booking("b2") is None and repo.get_vehicle(7) is None
    store.commit(Change(bookings=[make_booking("b3", rider)]))      # the store still works
    assert repo.get_booking("b3") is not None


# --- repository ----------------------------------------------------------------------------------

def test_users(repo):
    user = repo.create_user("  Erika.Muster@Example.ORG ", "argon-hash", "Erika", "operator", now=T0)
    assert (user.email, user.role, user.no_show_count, user.created_at) == (
        "erika.muster@example.org", UserRole.OPERATOR, 0, T0)
    assert repo.get_user_by_email("ERIKA.MUSTER@example.org").id == user.id
    assert repo.get_user(user.id).name == "Erika"
    assert repo.get_user(12345) is None and repo.get_user_by_email("nobody@example.org") is None
    with pytest.raises(DuplicateEmail, match="exists already"):
        repo.create_user("erika.muster@EXAMPLE.org", "h", "Other", UserRole.RIDER)
    driver = repo.create_user("fahrer@example.org", "h", "Fahrer", UserRole.DRIVER)
    assert [u.id for u in repo.list_users(UserRole.DRIVER)] == [driver.id]
    with pytest.raises(ValueError):
        repo.create_user("x@example.org", "h", "X", "admin")


def test_vehicles(repo):
    bus = repo.create_vehicle("MEI-RB 1", 8, wheelchair_places=1, depot_lat=51.2, depot_lon=13.3)
    van = repo.create_vehicle("MEI-RB 2", 4, depot_lat=51.3, depot_lon=13.4, active=False)
    assert [v.label for v in repo.list_vehicles()] == ["MEI-RB 1", "MEI-RB 2"]
    assert [v.id for v in repo.list_vehicles(active_only=True)] == [bus.id]
    with pytest.raises(DuplicateVehicleLabel, match="MEI-RB 1"):
        repo.create_vehicle("MEI-RB 1", 8, depot_lat=51.2, depot_lon=13.3)
    changed = repo.update_vehicle(van.id, seats=6, active=True)
    assert (changed.seats, changed.active) == (6, True)
    assert repo.get_vehicle(van.id).seats == 6
    with pytest.raises(DuplicateVehicleLabel):
        repo.update_vehicle(van.id, label="MEI-RB 1")
    with pytest.raises(NotFound):
        repo.update_vehicle(999, seats=3)
    with pytest.raises(ValueError, match="cannot change colour"):
        repo.update_vehicle(van.id, colour="red")
    with pytest.raises(ValueError, match="at least 1 seat"):
        repo.create_vehicle("MEI-RB 3", 0, depot_lat=51.2, depot_lon=13.3)
    with pytest.raises(ValueError, match="latitude/longitude"):
        repo.update_vehicle(van.id, depot_lat=513.0)
    assert repo.get_vehicle(van.id).depot_lat == 51.3


def test_shifts(repo, store):
    bus = repo.create_vehicle("MEI-RB 1", 8, wheelchair_places=1, depot_lat=DEPOT.lat, depot_lon=DEPOT.lon)
    other = repo.create_vehicle("MEI-RB 2", 4, depot_lat=DEPOT.lat, depot_lon=DEPOT.lon)
    driver = make_user(repo, "fahrer@example.org", UserRole.DRIVER)
    morning = repo.create_shift(bus.id, T0, T0 + 4 * 3600, DEPOT, driver_id=driver)
    afternoon = repo.create_shift(bus.id, T0 + 4 * 3600, T0 + 8 * 3600, DEPOT)  # touching is fine
    repo.create_shift(other.id, T0 + 3600, T0 + 5 * 3600, DEPOT)  # another vehicle is fine
    with pytest.raises(ShiftOverlap, match=f"shift {morning.id}"):
        repo.create_shift(bus.id, T0 + 3 * 3600, T0 + 5 * 3600, DEPOT)
    with pytest.raises(ValueError, match="end after it starts"):
        repo.create_shift(bus.id, T0, T0, DEPOT)
    with pytest.raises(NotFound):
        repo.create_shift(999, T0, T0 + 60, DEPOT)
    with pytest.raises(NotFound):
        repo.create_shift(bus.id, T0 + 20 * 3600, T0 + 21 * 3600, DEPOT, driver_id=999)

    planned = repo.vehicle_shift(morning.id)
    assert planned == VehicleShift(shift_id=morning.id, vehicle_id=bus.id, label="MEI-RB 1", seats=8,
                                   wheelchair_places=1, start=T0, end=T0 + 4 * 3600, depot=DEPOT,
                                   anchor_node=DEPOT.node, anchor_time=T0, driver_id=driver)
    assert [s.id for s in repo.list_shifts(bus.id)] == [morning.id, afternoon.id]
    assert len(repo.list_shifts(after=T0 + 4.5 * 3600)) == 2
    assert [s.id for s in repo.list_shifts(before=T0 + 1800)] == [morning.id]
    assert repo.get_shift(afternoon.id).driver_id is None

    # the dispatcher ends the morning shift early: its time is free again
    planned.ended = True
    store.commit(Change(shifts=[planned]))
    assert repo.get_shift(morning.id).ended
    repo.create_shift(bus.id, T0 + 3600, T0 + 2 * 3600, DEPOT)
    assert [s.id for s in repo.list_shifts(bus.id, include_ended=False)][-1] == afternoon.id
    with pytest.raises(NotFound):
        repo.vehicle_shift(999)


def test_stops_search(repo):
    meissen = repo.create_stop("Markt", 51.1636, 13.4775, town="Meißen", code="de:14627:1")
    riesa = repo.create_stop("Riesa Bahnhof", 51.3077, 13.2939, town="Riesa", code="de:14627:2", node=11)
    uebigau = repo.create_stop("Übigau Dorf", 51.45, 13.29, town="Wülknitz")
    percent = repo.create_stop("100% Solar", 51.2, 13.3)
    assert [s.id for s in repo.search_stops("meiß")] == [meissen.id]
    assert [s.id for s in repo.search_stops("MEISS")] == [meissen.id]
    assert [s.id for s in repo.search_stops("ri")] == [riesa.id]
    assert [s.id for s in repo.search_stops("üBI")] == [uebigau.id]
    assert [s.id for s in repo.search_stops("wülk")] == [uebigau.id]
    assert [s.id for s in repo.search_stops("100%")] == [percent.id]
    assert repo.search_stops("1%") == [] and repo.search_stops("_") == [] and repo.search_stops("  ") == []
    assert [s.name for s in repo.list_stops()] == ["100% Solar", "Markt", "Riesa Bahnhof", "Übigau Dorf"]
    assert [s.name for s in repo.list_stops(limit=2, offset=1)] == ["Markt", "Riesa Bahnhof"]
    repo.set_stop_nodes({meissen.id: 42})
    assert repo.get_stop(meissen.id).node == 42 and repo.get_stop(riesa.id).node == 11
    town_and_name = repo.create_stop("Riesaer Straße", 51.1, 13.4, town="Meißen")
    assert [s.id for s in repo.search_stops("riesa")] == [riesa.id, town_and_name.id]
    assert [s.id for s in repo.search_stops("meissen")] == [meissen.id, town_and_name.id]  # town matches


def test_stop_info_is_cached_until_stops_change(repo, db_engine):
    from ride_pool.db.repository import update_stop

    stop = repo.create_stop("Markt", 51.1636, 13.4775, town="Meißen")
    assert repo.stop_info(stop.id)[:4] == (stop.id, "Markt", 51.1636, 13.4775)
    assert repo.stop_info(99999) is None
    update_stop(db_engine, stop.id, name="Markt Nord", lat=51.17)
    assert repo.stop_info(stop.id)[:4] == (stop.id, "Markt Nord", 51.17, 13.4775)
    repo.set_stop_nodes({stop.id: 42})
    assert repo.stop_info(stop.id).node == 42
    repo.import_stops([{"code": "c1", "name": "Bahnhof", "town": "Riesa", "lat": 51.3, "lon": 13.29}])
    imported = repo.search_stops("bahnhof")[0]
    assert repo.stop_info(imported.id).name == "Bahnhof"
    repo.import_stops([{"code": "c1", "name": "Bahnhof Riesa", "town": "Riesa", "lat": 51.3, "lon": 13.29}])
    assert repo.stop_info(imported.id).name == "Bahnhof Riesa"


def test_service_area(store, repo):
    assert repo.get_service_area() is None
    square = [[13.2, 51.1], [13.6, 51.1], [13.6, 51.4], [13.2, 51.1]]
    store.commit(Change(area=AreaSettings(rules={"max_passengers": 4}, polygon=square)))
    store.commit(Change(area=AreaSettings(rules={"max_passengers": 6}, polygon=square)))
    area = repo.get_service_area()
    assert area.polygon == square and area.rules == {"max_passengers": 6}
    store.commit(Change(area=AreaSettings(rules={}, polygon=None)))
    assert repo.get_service_area().polygon is None
    assert repo.get_service_area("elsewhere") is None


def test_bookings_of_a_rider_newest_first(store, repo):
    rider, other = make_user(repo), make_user(repo, "other@example.org")
    store.commit(Change(bookings=[make_booking("b1", rider, created_at=T0),
                                  make_booking("b3", rider, created_at=T0 + 60),
                                  make_booking("b2", rider, BookingStatus.CANCELLED, created_at=T0 + 30),
                                  make_booking("b9", other)]))
    assert [b.booking_id for b in repo.list_bookings_for_rider(rider)] == ["b3", "b2", "b1"]
    assert [b.booking_id for b in repo.list_bookings_for_rider(rider, limit=1)] == ["b3"]
    assert [b.booking_id for b in repo.list_bookings_for_rider(rider, statuses=[BookingStatus.CANCELLED])] == ["b2"]
    assert repo.get_booking("nope") is None


# --- stop import ---------------------------------------------------------------------------------

GTFS_STOPS = (
    "\ufeffstop_id,stop_code,stop_name,stop_lat,stop_lon,location_type,parent_station\n"
    "de:14627:5001,,Meißen Bahnhof,51.1713,13.4768,1,\n"
    "de:14627:5001:1,1,\"Meißen Bahnhof, Gleis 1\",51.17131,13.47671,0,de:14627:5001\n"
    "de:14627:5001:2,2,\"Meißen Bahnhof, Gleis 2\",51.17135,13.47690,,de:14627:5001\n"
    "de:14627:5002,,Riesa Ost,51.3,13.31,0,\n"
    "de:14627:5001:E,,Eingang,51.1712,13.4767,2,de:14627:5001\n"
)


def test_parse_gtfs_stops():
    stops = parse_stops_file(GTFS_STOPS)
    assert stops == [
        {"code": "de:14627:5001:1", "name": "Meißen Bahnhof, Gleis 1", "town": "", "lat": 51.17131, "lon": 13.47671},
        {"code": "de:14627:5001:2", "name": "Meißen Bahnhof, Gleis 2", "town": "", "lat": 51.17135, "lon": 13.4769},
        {"code": "de:14627:5002", "name": "Riesa Ost", "town": "", "lat": 51.3, "lon": 13.31},
    ]


def test_parse_semicolon_table_with_decimal_commas(tmp_path):
    path = tmp_path / "haltestellen.csv"
    path.write_text("Name;Town;Lat;Lon\nDorfplatz;Zehren;51,2;13,4\n", encoding="utf-8")
    assert parse_stops_file(path) == [{"code": None, "name": "Dorfplatz", "town": "Zehren", "lat": 51.2, "lon": 13.4}]


def test_import_vvo_stations(repo, data_dir):
    path = data_dir / "gtfs" / "vvo_stations.csv"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    stops = parse_stops_file(path)
    assert len(stops) == 3913
    assert stops[0] == {"code": "de:14627:4852", "name": "Abzw Abend (SV)", "town": "Abend",
                        "lat": 51.126643, "lon": 13.254777}
    assert repo.import_stops_file(path) == 3913
    assert repo.import_stops_file(path) == 3913  # again: updated by code, not duplicated
    assert len(repo.list_stops()) == 3913
    found = repo.search_stops("adelsdorf")
    assert {s.name for s in found} == {"Ortsmitte", "Windmühle"}
    assert {s.town for s in found} == {"Adelsdorf (Kr MEI)"}
    assert [(s.name, s.town) for s in repo.search_stops("scheckthal")] == [("Scheckthal", "Scheckthal")]


@pytest.mark.parametrize(("text", "message"), [
    ("\n", "empty"),
    ("stop_id,stop_name,stop_lon\nx,Markt,13.4\n", "missing column(s): stop_lat or latitude or lat"),
    ("id,name,city,latitude,longitude\n1,Markt,Meißen,51.16,13.47\n2,Dom,Meißen,abc,13.47\n",
     "line 3: the latitude 'abc' is not a number"),
    ("id,name,latitude,longitude\n1,Markt,51.1,213.47\n", "line 2: the longitude 213.47 is outside -180..180"),
    ("id,name,latitude,longitude\n1,Markt,91,13.4\n", "latitude 91 is outside -90..90"),
    ("id,name,latitude,longitude\n1,Markt,nan,13.4\n", "latitude nan is outside"),
    ("id,name,city,latitude,longitude\n1,,,51.1,13.4\n", "line 2: the stop name is empty"),
    ("id,name,latitude,longitude\n1,Markt,51.1,13.4\n1,Dom,51.2,13.4\n", "line 3: stop id '1' is used on line 2"),
    ("id,name,latitude,longitude\n1,Markt,51.1\n", "line 2: has 3 fields but the header has 4"),
    ("id,name,latitude,longitude\n1,Markt,,13.4\n", "line 2: the latitude is empty"),
    ("id,name,latitude,longitude\n1,Markt,0,0\n", "both 0"),
    ("stop_id,stop_name,stop_lat,stop_lon,location_type\n1,Station,51.1,13.4,1\n", "no stops"),
])
def test_bad_stop_files_are_refused(text, message):
    with pytest.raises(StopImportError) as error:
        parse_stops_file(text)
    assert message in str(error.value)


def test_bad_stop_file_reports_every_line_and_writes_nothing(repo, db_engine, tmp_path):
    path = tmp_path / "stops.txt"
    rows = "".join(f"s{i},Stop {i},{'x' if i % 2 else 51.1},13.4\n" for i in range(30))
    path.write_text("stop_id,stop_name,stop_lat,stop_lon\n" + rows, encoding="utf-8")
    with pytest.raises(StopImportError) as error:
        repo.import_stops_file(path)
    assert len(error.value.problems) == 15
    assert str(path) in str(error.value) and "line 3:" in str(error.value) and "and 5 more" in str(error.value)
    assert count(db_engine, Stop) == 0
    with pytest.raises(StopImportError, match="no such file"):
        parse_stops_file(tmp_path / "missing.txt")
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("id,name,latitude,longitude\n1,Gro\xdfenhain,51.3,13.5\n".encode("latin-1"))
    # not UTF-8: read as Windows-1252, as a German Excel saves CSV (issue 15)
    assert parse_stops_file(latin1)[0]["name"] == "Großenhain"


def test_0003_keeps_accounts_confirmed_and_ids_are_never_reused(database_url, db_engine, repo):
    """Accounts from before 0003 count as confirmed; after it a deleted user's id is not handed out
    again (SQLite reused the highest id before: an old token became a new person)."""
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            command.downgrade(migrations_config(connection=connection), "0002")
        with engine.begin() as connection:
            connection.execute(sa_text("INSERT INTO users (email, name, password_hash, role, no_show_count, "
                                       "created_at) VALUES ('alt@example.org', 'Alt', 'x', 'rider', 0, 1)"))
        migrate(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
    old = repo.get_user_by_email("alt@example.org")
    assert old.confirmed is True and old.disabled is False and old.token_version == 0
    newest = make_user(repo, "neu@example.org")
    with write_session(db_engine) as session:
        session.delete(session.get(User, newest))
    again = make_user(repo, "wieder@example.org")
    assert again > newest
    test_migrated_schema_matches_models(db_engine)


def test_a_later_write_of_a_booking_keeps_its_anonymisation_mark(db_engine, store, repo):
    """bookings.anonymised_at belongs to the retention job: writing the booking again (any change
    of it through the dispatcher) must not reset it to NULL, or the job would count it twice."""
    rider = make_user(repo)
    booking = make_booking("b-anon", rider)
    store.commit(Change(bookings=[booking]))
    with write_session(db_engine) as session:
        session.get(BookingRow, "b-anon").anonymised_at = 1234
    store.commit(Change(bookings=[booking]))
    with read_session(db_engine) as session:
        assert session.get(BookingRow, "b-anon").anonymised_at == 1234
