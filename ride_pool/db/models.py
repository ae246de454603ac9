"""The database tables as SQLAlchemy 2.0 typed ORM models.

All times are integer seconds since the Unix epoch (UTC), stored as ``BIGINT``. JSON columns are
``JSON`` on SQLite and ``JSONB`` on PostgreSQL. Enumerations are stored as their string values in
``VARCHAR`` columns (no PostgreSQL enum types, so adding a value needs no type migration).

The migrations (``migrations/versions/``: ``0001_initial.py`` and the revisions after it) create
exactly these tables; a test compares the migrated schema with this metadata. A change here needs
a new revision (never edit one that has been released).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, validates
from sqlalchemy.sql.expression import false, true

from ride_pool.dispatch.domain import BookingStatus


class UserRole(StrEnum):
    RIDER = "rider"
    DRIVER = "driver"
    OPERATOR = "operator"


#: constraint and index names that are the same on every database (Alembic needs names)
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: JSON on SQLite, JSONB on PostgreSQL
JsonType = JSON().with_variant(JSONB(), "postgresql")
#: an auto-increment 64-bit key (SQLite only auto-increments ``INTEGER PRIMARY KEY``)
BigIntKey = BigInteger().with_variant(Integer(), "sqlite")


def _enum(enum_class: type[StrEnum], length: int) -> Enum:
    """A VARCHAR column holding the enum's values ("rider"), read back as enum members."""
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def search_key(text: str) -> str:
    """``text`` as the stop search compares it: case-folded (``Meißen`` -> ``meissen``), spaces
    collapsed."""
    return " ".join(text.casefold().split())[:200]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    """An account. Ids are never reused (SQLite ``AUTOINCREMENT``; PostgreSQL sequences never go
    back), so an old token can never become somebody else's. A deleted account keeps its row
    without personal data (``deleted_at`` set), so its past bookings still count in statistics."""

    __tablename__ = "users"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: always lower case (see :func:`ride_pool.db.repository.normalise_email`)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[UserRole] = mapped_column(_enum(UserRole, 16))
    no_show_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[int] = mapped_column(BigInteger)
    #: the e-mail address is confirmed (by a code) or an operator confirmed the account (0003);
    #: accounts that existed before 0003 count as confirmed
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=true())
    #: an operator disabled the account: no login, its tokens refused (0003)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: tokens carry the version they were issued at; a password change or disabling raises it (0003)
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: when the rider deleted the account (its personal data is gone then) (0003)
    deleted_at: Mapped[int | None] = mapped_column(BigInteger)
    #: the hash of the e-mail confirmation code sent last, its expiry and the wrong tries (0003)
    confirm_code_hash: Mapped[str | None] = mapped_column(String(255))
    confirm_code_expires: Mapped[int | None] = mapped_column(BigInteger)
    confirm_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Vehicle(Base):
    __tablename__ = "vehicles"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(100), unique=True)
    seats: Mapped[int] = mapped_column(Integer)
    wheelchair_places: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    depot_lat: Mapped[float] = mapped_column(Float)
    depot_lon: Mapped[float] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    #: what the vehicle offers for mobility needs (0005_notify): "ramp", "lift", "low_floor",
    #: "pushchair" (see ride_pool.dispatch.needs)
    features: Mapped[list | None] = mapped_column(JsonType)


class Shift(Base):
    """A vehicle's shift, and the dispatcher's plan for it while it runs.

    ``route`` is the planned stops as ``[[booking_id, "pickup" | "dropoff"], ...]``; the depot is
    where the shift starts and ends. The vehicle's label and capacity come from ``vehicles``.
    """

    __tablename__ = "shifts"
    __table_args__ = (Index("ix_shifts_vehicle_id_start", "vehicle_id", "start"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"))
    start: Mapped[int] = mapped_column(BigInteger)
    end: Mapped[int] = mapped_column(BigInteger)
    driver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    started: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    ended: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), index=True)
    depot_node: Mapped[int] = mapped_column(Integer)
    depot_lat: Mapped[float] = mapped_column(Float)
    depot_lon: Mapped[float] = mapped_column(Float)
    depot_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    depot_stop_id: Mapped[int | None] = mapped_column(Integer)
    anchor_node: Mapped[int] = mapped_column(Integer)
    anchor_time: Mapped[int] = mapped_column(BigInteger)
    route: Mapped[list[Any]] = mapped_column(JsonType, default=list)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    location_time: Mapped[int | None] = mapped_column(BigInteger)
    #: when the driver reported starting and ending the shift (0004)
    started_at: Mapped[int | None] = mapped_column(BigInteger)
    ended_at: Mapped[int | None] = mapped_column(BigInteger)
    #: the planned break: ``break_s`` seconds beginning within [break_earliest, break_latest], and
    #: when the driver reported it began and ended (0004)
    break_earliest: Mapped[int | None] = mapped_column(BigInteger)
    break_latest: Mapped[int | None] = mapped_column(BigInteger)
    break_s: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    break_started_at: Mapped[int | None] = mapped_column(BigInteger)
    break_ended_at: Mapped[int | None] = mapped_column(BigInteger)
    #: where the break is planned (``{node, lat, lon, name, stop_id}``; NULL: the depot) (0004)
    break_place: Mapped[dict[str, Any] | None] = mapped_column(JsonType)


class Stop(Base):
    """A named pickup/drop-off point. ``name_key``/``town_key`` are the case-folded name and town
    that the prefix search compares (SQLite's ``lower()`` only folds ASCII)."""

    __tablename__ = "stops"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    #: the source's stop id (GTFS ``stop_id``, e.g. ``de:14627:4852``)
    code: Mapped[str | None] = mapped_column(String(100), unique=True)
    town: Mapped[str] = mapped_column(String(200), default="", server_default="")
    #: the road-network node the stop lies at (set once the network is known)
    node: Mapped[int | None] = mapped_column(Integer)
    name_key: Mapped[str] = mapped_column(String(200), index=True)
    town_key: Mapped[str] = mapped_column(String(200), index=True, default="", server_default="")

    @validates("name", "town")
    def _set_search_key(self, attribute: str, value: str | None) -> str:
        value = value or ""
        setattr(self, f"{attribute}_key", search_key(value))
        return value


class ServiceArea(Base):
    """The service area: ``polygon`` as a GeoJSON geometry, ``rules`` as a JSON object."""

    __tablename__ = "service_areas"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    polygon: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    rules: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)


class OfferRow(Base):
    """An :class:`~ride_pool.dispatch.domain.Offer`; ``request`` holds the
    :class:`~ride_pool.dispatch.domain.TripRequest` except ``rider_id`` (a phone caller's name and
    number only when given)."""

    __tablename__ = "offers"

    offer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    quote_id: Mapped[str] = mapped_column(String(64), index=True)
    rider_id: Mapped[int | None] = mapped_column(Integer, index=True)
    request: Mapped[dict[str, Any]] = mapped_column(JsonType)
    pickup_earliest: Mapped[int] = mapped_column(BigInteger)
    pickup_latest: Mapped[int] = mapped_column(BigInteger)
    dropoff_latest: Mapped[int] = mapped_column(BigInteger)
    planned_pickup: Mapped[int] = mapped_column(BigInteger)
    planned_dropoff: Mapped[int] = mapped_column(BigInteger)
    vehicle_id: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)
    direct_s: Mapped[int] = mapped_column(Integer)
    direct_m: Mapped[int] = mapped_column(Integer)
    max_ride_s: Mapped[int] = mapped_column(Integer)
    alternative: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    booking_id: Mapped[str | None] = mapped_column(String(64))


class BookingRow(Base):
    """A :class:`~ride_pool.dispatch.domain.Booking`, its places flattened into columns.

    ``idempotency_scope`` is whose idempotency keys must be unique: ``rider:<id>``, or the channel
    (``phone``) for bookings without a rider, whose ``rider_id`` is NULL (NULLs never collide in a
    UNIQUE constraint).
    """

    __tablename__ = "bookings"
    __table_args__ = (UniqueConstraint("idempotency_scope", "idempotency_key"),)

    booking_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    rider_id: Mapped[int | None] = mapped_column(Integer, index=True)
    origin_node: Mapped[int] = mapped_column(Integer)
    origin_lat: Mapped[float] = mapped_column(Float)
    origin_lon: Mapped[float] = mapped_column(Float)
    origin_name: Mapped[str] = mapped_column(String(200))
    origin_stop_id: Mapped[int | None] = mapped_column(Integer)
    destination_node: Mapped[int] = mapped_column(Integer)
    destination_lat: Mapped[float] = mapped_column(Float)
    destination_lon: Mapped[float] = mapped_column(Float)
    destination_name: Mapped[str] = mapped_column(String(200))
    destination_stop_id: Mapped[int | None] = mapped_column(Integer)
    #: how the rider gets on and off (0004): "stop", "door" or "nearest_stop" with the walk in
    #: metres and the point the rider asked for (its label and coordinates)
    origin_access: Mapped[str | None] = mapped_column(String(20))
    origin_walk_m: Mapped[int | None] = mapped_column(Integer)
    origin_asked_name: Mapped[str | None] = mapped_column(String(200))
    origin_asked_lat: Mapped[float | None] = mapped_column(Float)
    origin_asked_lon: Mapped[float | None] = mapped_column(Float)
    destination_access: Mapped[str | None] = mapped_column(String(20))
    destination_walk_m: Mapped[int | None] = mapped_column(Integer)
    destination_asked_name: Mapped[str | None] = mapped_column(String(200))
    destination_asked_lat: Mapped[float | None] = mapped_column(Float)
    destination_asked_lon: Mapped[float | None] = mapped_column(Float)
    passengers: Mapped[int] = mapped_column(Integer)
    wheelchairs: Mapped[int] = mapped_column(Integer)
    pickup_earliest: Mapped[int] = mapped_column(BigInteger)
    pickup_latest: Mapped[int] = mapped_column(BigInteger)
    dropoff_latest: Mapped[int] = mapped_column(BigInteger)
    max_ride_s: Mapped[int] = mapped_column(Integer)
    direct_s: Mapped[int] = mapped_column(Integer)
    direct_m: Mapped[int] = mapped_column(Integer)
    requested_time: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[BookingStatus] = mapped_column(_enum(BookingStatus, 16), index=True)
    vehicle_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    channel: Mapped[str] = mapped_column(String(32))
    offer_id: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    idempotency_scope: Mapped[str | None] = mapped_column(String(64))
    #: SHA-256 (hex) of the request the idempotency key was first used with (0003)
    idempotency_hash: Mapped[str | None] = mapped_column(String(64))
    planned_pickup: Mapped[int | None] = mapped_column(BigInteger)
    planned_dropoff: Mapped[int | None] = mapped_column(BigInteger)
    boarded_at: Mapped[int | None] = mapped_column(BigInteger)
    completed_at: Mapped[int | None] = mapped_column(BigInteger)
    cancelled_at: Mapped[int | None] = mapped_column(BigInteger)
    #: whom a phone booking is for (revision 0002)
    caller_name: Mapped[str | None] = mapped_column(String(100))
    caller_phone: Mapped[str | None] = mapped_column(String(30))
    #: when the booking's personal data (caller name and phone) was removed after the retention
    #: period (0003)
    anonymised_at: Mapped[int | None] = mapped_column(BigInteger)
    #: when the driver reported arriving at the pickup and at the drop-off (0004)
    arrived_at: Mapped[int | None] = mapped_column(BigInteger)
    dropoff_arrived_at: Mapped[int | None] = mapped_column(BigInteger)
    #: the train or bus the ride connects to (Connection.to_dict; 0005_gtfs)
    connection: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    #: an operator pinned the booking to its vehicle (0005_ops_room)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: issue 17 (0005_notify): the phone caller's SMS consent, mobility needs, the fare (total in
    #: cents and breakdown) and the ride series of the booking
    sms_consent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    needs: Mapped[list | None] = mapped_column(JsonType)
    fare_cents: Mapped[int | None] = mapped_column(Integer)
    fare: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    series_id: Mapped[int | None] = mapped_column(Integer, index=True)


class EventRow(Base):
    """An :class:`~ride_pool.dispatch.domain.Event`; ``id`` gives the order they happened in."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    time: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(40))
    cause: Mapped[str] = mapped_column(String(200), default="", server_default="")
    booking_id: Mapped[str | None] = mapped_column(String(64), index=True)
    vehicle_id: Mapped[int | None] = mapped_column(Integer)
    shift_id: Mapped[int | None] = mapped_column(Integer)
    rider_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)


class DriverReportRow(Base):
    """A driver report applied with an ``Idempotency-Key`` (0004): the key is unique per driver;
    ``request_hash`` is the SHA-256 of the report kind and the booking or shift it names, ``answer``
    the answer it got (the same key again gets it)."""

    __tablename__ = "driver_reports"

    driver_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    report: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(120))
    answer: Mapped[dict[str, Any]] = mapped_column(JsonType)
    created_at: Mapped[int] = mapped_column(BigInteger, index=True)


class Deployment(Base):
    """This deployment's identity: the issuer its tokens name and, unless the settings give one,
    the key that signs them (one row, ``id`` 1; made at the first start, 0003). Kept with the data
    so that two deployments never accept each other's tokens."""

    __tablename__ = "deployment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(100))
    secret_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[int] = mapped_column(BigInteger)


class RevokedToken(Base):
    """A token ended by logging out, kept until it would have expired anyway (0003)."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)


class AuditRow(Base):
    """An operator's (or an account owner's) action on bookings, shifts, rules, stops or accounts:
    who (``actor_id``, ``actor_role``), when, what (``action``, ``target_kind``, ``target_id``) and
    the details (0003)."""

    __tablename__ = "audit_log"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    time: Mapped[int] = mapped_column(BigInteger, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(60))
    target_kind: Mapped[str] = mapped_column(String(30))
    target_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)


class FavouritePlace(Base):
    """A rider's favourite place ("Zuhause", "Arzt"): a name the rider gave, the place's label and
    point (and its stop, if it is one); one name once per account (0004_favourites)."""

    __tablename__ = "favourite_places"
    __table_args__ = (UniqueConstraint("user_id", "name"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    stop_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[int] = mapped_column(BigInteger)


# ---------------------------------------------------------------- the imported timetable (0005_gtfs)
class GtfsStop(Base):
    """A stop of an imported GTFS timetable (``stops.txt``): its GTFS id (often the DHID)."""

    __tablename__ = "gtfs_stops"

    stop_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    parent_station: Mapped[str | None] = mapped_column(String(100))


class GtfsRoute(Base):
    __tablename__ = "gtfs_routes"

    route_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    short_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    long_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    route_type: Mapped[int] = mapped_column(Integer)


class GtfsTrip(Base):
    __tablename__ = "gtfs_trips"

    trip_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    route_id: Mapped[str] = mapped_column(String(100))
    service_id: Mapped[str] = mapped_column(String(100))
    headsign: Mapped[str] = mapped_column(String(200), default="", server_default="")


class GtfsStopTime(Base):
    """One call of a trip at a stop; times in seconds after the service day's start (may pass 24 h)."""

    __tablename__ = "gtfs_stop_times"

    trip_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    stop_sequence: Mapped[int] = mapped_column(Integer, primary_key=True)
    stop_id: Mapped[str] = mapped_column(String(100), index=True)
    arrival_s: Mapped[int] = mapped_column(Integer)
    departure_s: Mapped[int] = mapped_column(Integer)


class GtfsCalendar(Base):
    """``calendar.txt``: ``days`` is seven 0/1 characters, Monday first; dates YYYYMMDD."""

    __tablename__ = "gtfs_calendar"

    service_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    days: Mapped[str] = mapped_column(String(7))
    start_date: Mapped[str] = mapped_column(String(8))
    end_date: Mapped[str] = mapped_column(String(8))


class GtfsCalendarDate(Base):
    __tablename__ = "gtfs_calendar_dates"

    service_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    date: Mapped[str] = mapped_column(String(8), primary_key=True)
    exception_type: Mapped[int] = mapped_column(Integer)


class ShiftTemplate(Base):
    """One shift of the weekly plan (0005_ops_room): a vehicle's hours on a weekday (0 Monday .. 6
    Sunday, local "HH:MM"), its planned break (earliest and latest start, minutes) and driver; the
    shifts of the next weeks are generated from these."""

    __tablename__ = "shift_templates"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    start: Mapped[str] = mapped_column(String(5))
    end: Mapped[str] = mapped_column(String(5))
    break_start_earliest: Mapped[str | None] = mapped_column(String(5))
    break_start_latest: Mapped[str | None] = mapped_column(String(5))
    break_minutes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    driver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


# --------------------------------------------------------------------------- issue 17 (0005_notify)
class OutboxRow(Base):
    """A rider notification (:class:`~ride_pool.dispatch.domain.OutboxMessage`), written in the
    transaction of the change that caused it. ``status``: ``pending`` (due at ``due_at``),
    ``sending`` (claimed by a sender: committed before it is handed to a channel), ``sent``,
    ``failed`` (gave up after the last retry), ``skipped`` (nobody to tell: no channel, no
    consent), ``unknown`` (a sender died while sending it: never sent again, see
    :mod:`ride_pool.api.outbox_sender`)."""

    __tablename__ = "outbox"

    message_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[int] = mapped_column(BigInteger)
    booking_id: Mapped[str | None] = mapped_column(String(64), index=True)
    rider_id: Mapped[int | None] = mapped_column(Integer, index=True)
    phone: Mapped[str | None] = mapped_column(String(30))
    data: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending", index=True)
    due_at: Mapped[int] = mapped_column(BigInteger, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(String(500))


class OutboxAttemptRow(Base):
    """One try to deliver an outbox message on one channel: written (``outcome`` ``started``)
    before the channel is called, finished with ``sent`` or ``failed``."""

    __tablename__ = "outbox_attempts"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("outbox.message_id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[int] = mapped_column(BigInteger)
    finished_at: Mapped[int | None] = mapped_column(BigInteger)
    outcome: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(String(500))


class RiderProfile(Base):
    """A rider's notification choices and needs: channels (``email``, ``sms``, ``push``), the
    phone number for SMS, quiet hours (local "HH:MM"; nothing is sent between them, messages wait),
    the language of the messages, mobility needs and the usual fare group."""

    __tablename__ = "rider_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    channels: Mapped[list] = mapped_column(JsonType, default=list)
    phone: Mapped[str | None] = mapped_column(String(30))
    quiet_from: Mapped[str | None] = mapped_column(String(5))
    quiet_until: Mapped[str | None] = mapped_column(String(5))
    language: Mapped[str] = mapped_column(String(2), default="de", server_default="de")
    needs: Mapped[list] = mapped_column(JsonType, default=list)
    fare_group: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    updated_at: Mapped[int] = mapped_column(BigInteger)


class PushSubscriptionRow(Base):
    """A browser's Web Push subscription (endpoint and its keys) for a rider."""

    __tablename__ = "push_subscriptions"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[int] = mapped_column(BigInteger)


class VapidKeyRow(Base):
    """This deployment's VAPID key pair for Web Push (one row, ``id`` 1; made at the first start)."""

    __tablename__ = "vapid_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    private_pem: Mapped[str] = mapped_column(String(1000))
    public_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[int] = mapped_column(BigInteger)


class RideSeries(Base):
    """A series of rides ("every Mon, Wed, Fri, 07:30 pickup, until 2027-06-30"): each occurrence
    is booked when it enters the booking horizon. ``status``: active, paused, ended."""

    __tablename__ = "ride_series"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rider_id: Mapped[int | None] = mapped_column(Integer, index=True)
    channel: Mapped[str] = mapped_column(String(16))
    caller_name: Mapped[str | None] = mapped_column(String(100))
    caller_phone: Mapped[str | None] = mapped_column(String(30))
    sms_consent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    origin: Mapped[dict[str, Any]] = mapped_column(JsonType)
    destination: Mapped[dict[str, Any]] = mapped_column(JsonType)
    weekdays: Mapped[list] = mapped_column(JsonType)
    pickup_time: Mapped[str] = mapped_column(String(5))
    first_date: Mapped[str] = mapped_column(String(10))
    until: Mapped[str] = mapped_column(String(10))
    passengers: Mapped[int] = mapped_column(Integer, default=1)
    wheelchairs: Mapped[int] = mapped_column(Integer, default=0)
    needs: Mapped[list] = mapped_column(JsonType, default=list)
    fare_group: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    skip_holidays: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    created_at: Mapped[int] = mapped_column(BigInteger)


class SeriesOccurrence(Base):
    """One date of a series once it was handled: ``booked`` (with its booking), ``refused`` (with
    the cause), or ``holiday`` (skipped)."""

    __tablename__ = "series_occurrences"

    series_id: Mapped[int] = mapped_column(ForeignKey("ride_series.id", ondelete="CASCADE"), primary_key=True)
    date: Mapped[str] = mapped_column(String(10), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    booking_id: Mapped[str | None] = mapped_column(String(64))
    cause: Mapped[str | None] = mapped_column(String(60))
    at: Mapped[int] = mapped_column(BigInteger)
