"""The store contract of ``ride_pool.dispatch.store``, kept by InMemoryStore and SqlStore alike:
the service area's settings in a change, finding a booking by its idempotency key, DuplicateKey,
a shift's driver.

The ``sql`` cases run on SQLite, and on PostgreSQL too when RIDE_POOL_DATABASE_URL is a postgres
URL (see conftest_db).
"""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select

from ride_pool.db import DuplicateIdempotencyKey, Repository, SqlStore, StoreError, UnknownRider
from ride_pool.db.engine import read_session, write_session
from ride_pool.db.models import ServiceArea
from ride_pool.dispatch.domain import BookingStatus, EventKind, idempotency_scope
from ride_pool.dispatch.store import AreaSettings, Change, DuplicateKey, InMemoryStore, merge_changes
from test_db_store import T0, event, make_booking, make_offer, make_shift

RULES = {"max_passengers": 4, "booking_horizon_days": 7}
SQUARE = [[13.2, 51.1], [13.6, 51.1], [13.6, 51.4], [13.2, 51.4]]
AREA = AreaSettings(rules=RULES, polygon=SQUARE)
OTHER_AREA = AreaSettings(rules={"max_passengers": 6}, polygon=None)
RIDER = 7


@pytest.fixture(params=["memory", pytest.param("sql", marks=pytest.mark.database)])
def store(request):
    if request.param == "memory":
        yield InMemoryStore()
        return
    store = SqlStore(request.getfixturevalue("db_engine"))
    yield store
    store.close()


def events_of(store) -> list:
    return list(store.events) if isinstance(store, InMemoryStore) else store.events()


def make_driver(store, email: str) -> int:
    """A user id that may drive a shift (SqlStore: a users row, which ``shifts.driver_id`` needs)."""
    if isinstance(store, InMemoryStore):
        return len(email)
    return Repository(store.engine).create_user(email, "hash", "Fahrer", "driver").id


def scope(rider_id=RIDER, channel="app") -> str:
    return idempotency_scope(rider_id, channel)


# --- the service area's settings -------------------------------------------------------------------

def test_change_counts_its_area():
    assert not Change()
    assert Change(area=AreaSettings(rules={}))


def test_merge_changes_keeps_the_latest_area():
    merged = merge_changes([Change(area=AREA), Change(events=[event(EventKind.OFFER_MADE)]),
                            Change(area=OTHER_AREA), Change()])
    assert merged.area == OTHER_AREA and len(merged.events) == 1
    assert merge_changes([Change(events=[event(EventKind.OFFER_MADE)])]).area is None


def test_area_settings_round_trip(store):
    assert store.load(T0).area is None                       # never set
    store.commit(Change(area=AREA))
    assert store.load(T0).area == AREA
    store.commit(Change(area=OTHER_AREA, events=[event(EventKind.OFFER_MADE)]))
    assert store.load(T0).area == OTHER_AREA
    store.commit(Change(events=[event(EventKind.OFFER_MADE)]))   # a change without area leaves it
    assert store.load(T0).area == OTHER_AREA
    assert len(events_of(store)) == 2


def test_a_failing_change_writes_neither_its_area_nor_its_events(store):
    store.commit(Change(bookings=[make_booking("b1", RIDER, idempotency_key="tap-1")]))
    with pytest.raises(DuplicateKey):
        store.commit(Change(bookings=[make_booking("b2", RIDER, idempotency_key="tap-1")],
                            events=[event(EventKind.BOOKING_CONFIRMED, booking_id="b2")], area=AREA))
    assert store.load(T0).area is None
    assert events_of(store) == []


def _write_area_row(engine, **columns) -> None:
    with write_session(engine) as session:
        row = session.scalar(select(ServiceArea))
        for name, value in columns.items():
            setattr(row, name, value)


@pytest.mark.database
def test_sql_area_is_the_repository_row_in_the_change_transaction(db_engine):
    store, repo = SqlStore(db_engine), Repository(db_engine)
    # the no-show of an unknown rider fails the change (the SQLAlchemy Core path): no area, no event
    with pytest.raises(UnknownRider):
        store.commit(Change(events=[event(EventKind.RIDER_NO_SHOW)], no_show_riders=[999], area=AREA))
    assert repo.get_service_area() is None and store.events() == []

    store.commit(Change(area=AREA, events=[event(EventKind.OFFER_MADE)]))
    row = repo.get_service_area()
    assert (row.rules, row.polygon) == (RULES, SQUARE)
    # the store reads the row as it stands (e.g. one an older version wrote)
    _write_area_row(db_engine, rules={"max_passengers": 3}, polygon=None)
    assert store.load(T0).area == AreaSettings(rules={"max_passengers": 3}, polygon=None)
    store.commit(Change(area=OTHER_AREA))
    assert (repo.get_service_area().rules, repo.get_service_area().polygon) == (OTHER_AREA.rules, None)
    with read_session(db_engine) as session:
        assert session.scalar(select(func.count()).select_from(ServiceArea)) == 1
        assert session.scalar(select(ServiceArea.id)) == row.id
    # a polygon stored as GeoJSON comes back as its outer ring
    _write_area_row(db_engine, polygon={"type": "Polygon", "coordinates": [SQUARE]})
    assert store.load(T0).area.polygon == SQUARE
    store.close()


@pytest.mark.database
def test_sql_written_behind_area_lands_and_the_latest_wins(db_engine):
    store = SqlStore(db_engine)
    store.commit_soon(Change(area=AREA))
    store.commit(Change(area=OTHER_AREA))
    assert store.load(T0).area == OTHER_AREA
    # a failing durable commit keeps the written-behind area and writes none of its own
    store.commit(Change(bookings=[make_booking("b1", RIDER, idempotency_key="tap-1")]))
    store.commit_soon(Change(area=AREA))
    with pytest.raises(DuplicateKey):
        store.commit(Change(bookings=[make_booking("b2", RIDER, idempotency_key="tap-1")], area=OTHER_AREA))
    assert store.load(T0).area == AREA
    store.close()


# --- bookings by idempotency key ---------------------------------------------------------------------

def test_find_booking_by_scope_and_key(store):
    first = make_booking("b1", RIDER, idempotency_key="tap-1")
    phone = make_booking("b2", None, channel="phone", idempotency_key="call-1")
    store.commit(Change(bookings=[first, phone, make_booking("b3", RIDER)]))
    assert store.find_booking(scope(), "tap-1") == first
    assert store.find_booking(scope(None, "phone"), "call-1") == phone
    assert store.find_booking(scope(RIDER + 1), "tap-1") is None     # another rider's scope
    assert store.find_booking(scope(), "call-1") is None
    assert store.find_booking(scope(), "nope") is None
    # any status
    cancelled = dataclasses.replace(first, status=BookingStatus.CANCELLED, cancelled_at=T0 + 60)
    store.commit(Change(bookings=[cancelled]))
    assert store.find_booking(scope(), "tap-1") == cancelled


@pytest.mark.database
def test_sql_find_booking_sees_written_behind_bookings(db_engine):
    store = SqlStore(db_engine)
    booking = make_booking("b1", RIDER, idempotency_key="tap-1")
    store.commit_soon(Change(bookings=[booking]))
    assert store.find_booking(scope(), "tap-1") == booking
    store.close()


def test_duplicate_key_refuses_the_whole_change(store):
    first = make_booking("b1", RIDER, idempotency_key="tap-1")
    store.commit(Change(bookings=[first], events=[event(EventKind.BOOKING_CONFIRMED, booking_id="b1")]))
    with pytest.raises(DuplicateKey):
        store.commit(Change(bookings=[make_booking("b2", RIDER, idempotency_key="tap-1")],
                            offers=[make_offer("o9", RIDER)], shifts=[make_shift()],
                            events=[event(EventKind.BOOKING_CONFIRMED, booking_id="b2")]))
    state = store.load(T0)
    assert [b.booking_id for b in state.bookings] == ["b1"]
    assert state.offers == [] and state.shifts == [] and len(events_of(store)) == 1
    assert store.find_booking(scope(), "tap-1") == first

    # two new bookings with one key in one change: neither is written
    with pytest.raises(DuplicateKey):
        store.commit(Change(bookings=[make_booking("b4", RIDER, idempotency_key="tap-2"),
                                      make_booking("b5", RIDER, idempotency_key="tap-2")]))
    assert store.find_booking(scope(), "tap-2") is None
    assert [b.booking_id for b in store.load(T0).bookings] == ["b1"]

    # the booking itself may be written again; the key is free in another scope
    store.commit(Change(bookings=[dataclasses.replace(first, status=BookingStatus.ONBOARD)]))
    store.commit(Change(bookings=[make_booking("b6", RIDER + 1, idempotency_key="tap-1"),
                                  make_booking("b7", None, channel="phone", idempotency_key="tap-1")]))
    assert store.find_booking(scope(RIDER + 1), "tap-1").booking_id == "b6"
    assert store.find_booking(scope(), "tap-1").status == BookingStatus.ONBOARD


def test_duplicate_idempotency_key_is_a_store_error_and_a_duplicate_key():
    assert issubclass(DuplicateIdempotencyKey, StoreError)
    assert issubclass(DuplicateIdempotencyKey, DuplicateKey)


@pytest.mark.database
def test_sql_duplicate_key_is_raised_as_duplicate_idempotency_key(db_engine):
    store = SqlStore(db_engine)
    store.commit(Change(bookings=[make_booking("b1", RIDER, idempotency_key="tap-1")]))
    with pytest.raises(DuplicateIdempotencyKey):
        store.commit(Change(bookings=[make_booking("b2", RIDER, idempotency_key="tap-1")]))
    store.close()


# --- shifts ------------------------------------------------------------------------------------------

def test_a_shifts_new_driver_is_stored(store):
    first, second = make_driver(store, "a@example.org"), make_driver(store, "bb@example.org")
    shift = make_shift()
    store.commit(Change(shifts=[shift]))
    assert store.load(T0).shifts[0].driver_id is None
    for driver in (first, second, None):
        store.commit(Change(shifts=[dataclasses.replace(shift, driver_id=driver)]))
        assert store.load(T0).shifts[0].driver_id == driver
