"""What the API reads and writes besides the dispatcher's state: users, vehicles, shifts, stops,
the service area, and bookings to show.

:class:`Repository` takes an engine; every method is one short transaction of its own and returns
detached rows (all columns loaded, no lazy relations), so one repository serves all of a threaded
server's requests. Bookings come back as domain :class:`~ride_pool.dispatch.domain.Booking`\\ s.

Shifts created here are only rows: hand :meth:`Repository.vehicle_shift` to the dispatcher, which
from then on owns the shift's live state (route, anchor, position) and writes it through
:class:`~ride_pool.db.store.SqlStore`.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Callable, NamedTuple

from sqlalchemy import Engine, event, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ride_pool.db.engine import read_session, write_session
from ride_pool.db.errors import DuplicateEmail, DuplicateVehicleLabel, NotFound, ShiftOverlap
from ride_pool.db.models import BookingRow, ServiceArea, Shift, Stop, User, UserRole, Vehicle, search_key
from ride_pool.db.rows import DEFAULT_AREA, booking_from_row, shift_from_row
from ride_pool.db.stops import parse_stops_file
from ride_pool.dispatch.domain import Booking, BookingStatus, Place, VehicleShift
from ride_pool.messages import Refused, msg

_VEHICLE_FIELDS = {"label", "seats", "wheelchair_places", "depot_lat", "depot_lon", "active"}


def normalise_email(email: str) -> str:
    """The form e-mail addresses are stored and looked up in: trimmed, lower case."""
    return email.strip().lower()


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class StopInfo(NamedTuple):
    """A stop's fields, detached from any session (see :meth:`Repository.stop_info`)."""

    id: int
    name: str
    lat: float
    lon: float
    town: str
    code: str | None
    node: int | None


#: engine -> {stop id: StopInfo}; dropped completely on every committed change of stops
_STOP_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_STOP_CACHE_GENERATION = [0]
_STOPS_CHANGED = "ride_pool_stops_changed"


def stops_generation() -> int:
    """A number that changes whenever a change of any stop commits (for caches built from stops)."""
    return _STOP_CACHE_GENERATION[0]


def _forget_stops() -> None:
    _STOP_CACHE_GENERATION[0] += 1
    _STOP_CACHE.clear()


@event.listens_for(Session, "after_flush")
def _stop_flushed(session: Session, _context) -> None:
    for objects in (session.new, session.dirty, session.deleted):
        if any(isinstance(o, Stop) for o in objects):
            session.info[_STOPS_CHANGED] = True
            return


@event.listens_for(Session, "do_orm_execute")
def _stop_statement(state) -> None:
    if (state.is_update or state.is_delete or state.is_insert) and \
            getattr(getattr(state.statement, "table", None), "name", None) == Stop.__tablename__:
        state.session.info[_STOPS_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _stops_committed(session: Session) -> None:
    """Stop rows change through ORM sessions only (create, import, edit): once such a session
    commits, every cached stop is forgotten (and a read that overlapped is not cached)."""
    if session.info.pop(_STOPS_CHANGED, False):
        _forget_stops()


@event.listens_for(Session, "after_rollback")
def _stops_rolled_back(session: Session) -> None:
    session.info.pop(_STOPS_CHANGED, None)


class Repository:
    """Reads and writes the API's rows in the database behind ``engine`` (thread-safe)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    # --- users -----------------------------------------------------------------------------------

    def create_user(self, email: str, password_hash: str, name: str, role: UserRole | str,
                    *, now: int | None = None, confirmed: bool = False) -> User:
        """A new user; raises :class:`DuplicateEmail` if the address (in any case) is taken.

        ``confirmed``: the e-mail address is known to be the user's (an operator made the account);
        self-registered accounts start unconfirmed and confirm with a code sent by e-mail."""
        email = normalise_email(email)
        user = User(email=email, password_hash=password_hash, name=name, role=UserRole(role),
                    no_show_count=0, created_at=int(time.time()) if now is None else int(now),
                    confirmed=bool(confirmed), disabled=False, token_version=0, confirm_attempts=0)
        try:
            with write_session(self.engine) as session:
                session.add(user)
        except IntegrityError as error:
            if "email" in str(error.orig):
                raise DuplicateEmail(email) from error
            raise
        return user

    def get_user(self, user_id: int) -> User | None:
        with read_session(self.engine) as session:
            return session.get(User, user_id)

    def get_user_by_email(self, email: str) -> User | None:
        with read_session(self.engine) as session:
            return session.scalar(select(User).where(User.email == normalise_email(email)))

    def set_confirmation_code(self, user_id: int, code_hash: str, expires: int) -> None:
        """Keep the hash of a newly sent confirmation code (the tries of the old one are forgotten)."""
        with write_session(self.engine) as session:
            user = session.get(User, user_id)
            if user is None:
                raise NotFound(msg("user_unknown", user_id=user_id))
            user.confirm_code_hash, user.confirm_code_expires, user.confirm_attempts = code_hash, int(expires), 0

    def confirm_with_code(self, email: str, matches: Callable[[User], bool], *, now: int,
                          max_attempts: int) -> User | None:
        """Confirm the account of ``email`` if ``matches(user)`` says the code sent is right; the
        confirmed user, or None (no such account, confirmed already, no code or an expired one,
        too many wrong tries, or a wrong code - which is counted)."""
        with write_session(self.engine) as session:
            user = session.scalar(select(User).where(User.email == normalise_email(email)).with_for_update())
            if user is None or user.confirmed or not user.confirm_code_hash:
                return None
            if (user.confirm_code_expires or 0) < now or user.confirm_attempts >= max_attempts:
                return None
            if not matches(user):
                user.confirm_attempts += 1
                return None
            user.confirmed, user.confirm_code_hash, user.confirm_code_expires = True, None, None
            user.confirm_attempts = 0
            return user

    def confirm_user(self, user_id: int) -> User:
        """Mark the account confirmed (an operator vouches for it); raises :class:`NotFound`."""
        with write_session(self.engine) as session:
            user = session.get(User, user_id)
            if user is None:
                raise NotFound(msg("user_unknown", user_id=user_id))
            user.confirmed, user.confirm_code_hash, user.confirm_code_expires = True, None, None
            user.confirm_attempts = 0
            return user

    def set_password(self, user_id: int, password_hash: str, *, name: str | None = None) -> User:
        """Store a new password hash (and name) and raise the token version, which ends the
        account's logins made before; raises :class:`NotFound`."""
        with write_session(self.engine) as session:
            user = session.get(User, user_id)
            if user is None:
                raise NotFound(msg("user_unknown", user_id=user_id))
            user.password_hash = password_hash
            user.token_version = (user.token_version or 0) + 1
            if name is not None:
                user.name = name
            return user

    def list_users(self, role: UserRole | str | None = None) -> list[User]:
        """All users (of ``role``), by id."""
        query = select(User).order_by(User.id)
        if role is not None:
            query = query.where(User.role == UserRole(role))
        with read_session(self.engine) as session:
            return list(session.scalars(query))

    # --- vehicles --------------------------------------------------------------------------------

    def create_vehicle(self, label: str, seats: int, *, wheelchair_places: int = 0, depot_lat: float,
                       depot_lon: float, active: bool = True) -> Vehicle:
        """A new vehicle; raises :class:`DuplicateVehicleLabel` if ``label`` is taken."""
        vehicle = Vehicle(label=label, seats=seats, wheelchair_places=wheelchair_places,
                          depot_lat=depot_lat, depot_lon=depot_lon, active=active)
        _check_vehicle(vehicle)
        try:
            with write_session(self.engine) as session:
                session.add(vehicle)
        except IntegrityError as error:
            if "label" in str(error.orig):
                raise DuplicateVehicleLabel(label) from error
            raise
        return vehicle

    def get_vehicle(self, vehicle_id: int) -> Vehicle | None:
        with read_session(self.engine) as session:
            return session.get(Vehicle, vehicle_id)

    def list_vehicles(self, active_only: bool = False) -> list[Vehicle]:
        """The vehicles (only the active ones if ``active_only``), by id."""
        query = select(Vehicle).order_by(Vehicle.id)
        if active_only:
            query = query.where(Vehicle.active.is_(True))
        with read_session(self.engine) as session:
            return list(session.scalars(query))

    def update_vehicle(self, vehicle_id: int, **changes: Any) -> Vehicle:
        """Change some of a vehicle's ``label``, ``seats``, ``wheelchair_places``, ``depot_lat``,
        ``depot_lon``, ``active``; raises :class:`NotFound` or :class:`DuplicateVehicleLabel`."""
        unknown = set(changes) - _VEHICLE_FIELDS
        if unknown:
            raise Refused(msg("vehicle_fields", unknown=", ".join(sorted(unknown)),
                              known=", ".join(sorted(_VEHICLE_FIELDS))))
        try:
            with write_session(self.engine) as session:
                vehicle = session.get(Vehicle, vehicle_id)
                if vehicle is None:
                    raise NotFound(msg("vehicle_unknown", vehicle_id=vehicle_id))
                for name, value in changes.items():
                    setattr(vehicle, name, value)
                _check_vehicle(vehicle)
        except IntegrityError as error:
            if "label" in str(error.orig):
                raise DuplicateVehicleLabel(changes["label"]) from error
            raise
        return vehicle

    # --- shifts ----------------------------------------------------------------------------------

    def create_shift(self, vehicle_id: int, start: int, end: int, depot: Place,
                     *, driver_id: int | None = None) -> Shift:
        """A new shift of ``vehicle_id`` from ``start`` to ``end`` (epoch s) starting and ending at
        ``depot``. Raises :class:`ShiftOverlap` if the vehicle has another shift (not ended) in
        that time, :class:`NotFound` for an unknown vehicle or driver."""
        if end <= start:
            raise Refused(msg("shift_end_before_start"))
        with write_session(self.engine) as session:
            # the vehicle's row lock (PostgreSQL) keeps two overlapping shifts from both passing
            # the check below; on SQLite the write transaction is exclusive anyway
            vehicle = session.scalar(select(Vehicle).where(Vehicle.id == vehicle_id).with_for_update())
            if vehicle is None:
                raise NotFound(msg("vehicle_unknown_create", vehicle_id=vehicle_id))
            if driver_id is not None and session.get(User, driver_id) is None:
                raise NotFound(msg("driver_user_unknown", user_id=driver_id))
            clash = session.scalar(
                select(Shift).where(Shift.vehicle_id == vehicle_id, Shift.ended.is_(False),
                                    Shift.start < end, Shift.end > start).order_by(Shift.start).limit(1)
            )
            if clash is not None:
                raise ShiftOverlap(msg("shift_overlap", label=repr(vehicle.label), shift_id=clash.id,
                                       start=clash.start, end=clash.end, new_start=start, new_end=end)
                )
            shift = Shift(vehicle_id=vehicle_id, start=int(start), end=int(end), driver_id=driver_id,
                          started=False, ended=False, depot_node=int(depot.node), depot_lat=float(depot.lat),
                          depot_lon=float(depot.lon), depot_name=depot.name, depot_stop_id=depot.stop_id,
                          anchor_node=int(depot.node), anchor_time=int(start), route=[])
            session.add(shift)
        return shift

    def get_shift(self, shift_id: int) -> Shift | None:
        with read_session(self.engine) as session:
            return session.get(Shift, shift_id)

    def list_shifts(self, vehicle_id: int | None = None, *, include_ended: bool = True,
                    after: int | None = None, before: int | None = None) -> list[Shift]:
        """Shifts by start time: of ``vehicle_id`` (all vehicles if None), not ended unless
        ``include_ended``, running at some time between ``after`` and ``before`` (epoch s)."""
        query = select(Shift).order_by(Shift.start, Shift.id)
        if vehicle_id is not None:
            query = query.where(Shift.vehicle_id == vehicle_id)
        if not include_ended:
            query = query.where(Shift.ended.is_(False))
        if after is not None:
            query = query.where(Shift.end > after)
        if before is not None:
            query = query.where(Shift.start < before)
        with read_session(self.engine) as session:
            return list(session.scalars(query))

    def vehicle_shift(self, shift_id: int) -> VehicleShift:
        """The shift as the dispatcher plans with it (vehicle label and capacity included)."""
        with read_session(self.engine) as session:
            row = session.execute(
                select(Shift, Vehicle).join(Vehicle, Shift.vehicle_id == Vehicle.id).where(Shift.id == shift_id)
            ).first()
        if row is None:
            raise NotFound(msg("shift_unknown", shift_id=shift_id))
        return shift_from_row(*row)

    # --- stops -----------------------------------------------------------------------------------

    def create_stop(self, name: str, lat: float, lon: float, *, code: str | None = None, town: str = "",
                    node: int | None = None) -> Stop:
        stop = Stop(name=name, lat=lat, lon=lon, code=code, town=town, node=node)
        with write_session(self.engine) as session:
            session.add(stop)
        return stop

    def get_stop(self, stop_id: int) -> Stop | None:
        with read_session(self.engine) as session:
            return session.get(Stop, stop_id)

    def stop_info(self, stop_id: int) -> StopInfo | None:
        """The stop's fields as a :class:`StopInfo`, from a cache of this engine's stops (quotes
        look up two stops each; the cache is dropped whenever a session commits a change of any
        stop, see :func:`_stop_cache_events`)."""
        cache = _STOP_CACHE.get(self.engine)
        if cache is None:
            cache = _STOP_CACHE.setdefault(self.engine, {})
        info = cache.get(stop_id)
        if info is not None:
            return info
        generation = _STOP_CACHE_GENERATION[0]
        with read_session(self.engine) as session:
            stop = session.get(Stop, stop_id)
            info = None if stop is None else StopInfo(stop.id, stop.name, stop.lat, stop.lon, stop.town, stop.code,
                                                      stop.node)
        # not kept if a change of stops committed meanwhile (the row may be from before it)
        if info is not None and _STOP_CACHE_GENERATION[0] == generation:
            cache[stop_id] = info
        return info

    def list_stops(self, limit: int | None = None, offset: int = 0) -> list[Stop]:
        """Stops by name (then town)."""
        query = select(Stop).order_by(Stop.name_key, Stop.town_key, Stop.id).offset(offset).limit(limit)
        with read_session(self.engine) as session:
            return list(session.scalars(query))

    def search_stops(self, text: str, limit: int = 20) -> list[Stop]:
        """Stops whose name or town starts with ``text``, ignoring case (``meiß`` finds
        ``Meißen``); name matches first."""
        key = search_key(text)
        if not key:
            return []
        pattern = _escape_like(key) + "%"
        name_match = Stop.name_key.like(pattern, escape="\\")
        query = (select(Stop).where(or_(name_match, Stop.town_key.like(pattern, escape="\\")))
                 .order_by(~name_match, Stop.name_key, Stop.town_key, Stop.id).limit(limit))
        with read_session(self.engine) as session:
            return list(session.scalars(query))

    def import_stops(self, stops: Iterable[dict[str, Any]]) -> int:
        """Insert ``stops`` (dicts with ``code``, ``name``, ``town``, ``lat``, ``lon``, as
        :func:`parse_stops_file` gives them) in one transaction; a stop whose ``code`` is in the
        table already is updated instead. Returns how many stops were written."""
        stops = list(stops)
        codes = [s["code"] for s in stops if s.get("code")]
        with write_session(self.engine) as session:
            existing: dict[str, Stop] = {}
            for start in range(0, len(codes), 500):
                chunk = codes[start:start + 500]
                existing |= {s.code: s for s in session.scalars(select(Stop).where(Stop.code.in_(chunk)))}
            for data in stops:
                fields = {"name": data["name"], "lat": float(data["lat"]), "lon": float(data["lon"]),
                          "town": data.get("town") or ""}
                stop = existing.get(data.get("code"))
                if stop is None:
                    stop = Stop(code=data.get("code") or None, node=data.get("node"), **fields)
                    session.add(stop)
                    if stop.code:
                        existing[stop.code] = stop
                else:
                    for name, value in fields.items():
                        setattr(stop, name, value)
        return len(stops)

    def import_stops_file(self, path: str | Path) -> int:
        """Validate the whole stop file (see :func:`parse_stops_file`), then import it."""
        return self.import_stops(parse_stops_file(Path(path)))

    def set_stop_nodes(self, nodes: dict[int, int | None]) -> None:
        """Set the road-network node of stops (stop id -> node), e.g. after snapping them."""
        with write_session(self.engine) as session:
            for stop_id, node in nodes.items():
                stop = session.get(Stop, stop_id)
                if stop is None:
                    raise NotFound(msg("stop_unknown", stop_id=stop_id))
                stop.node = node

    # --- service area ----------------------------------------------------------------------------

    def get_service_area(self, name: str = DEFAULT_AREA) -> ServiceArea | None:
        with read_session(self.engine) as session:
            return session.scalar(select(ServiceArea).where(ServiceArea.name == name))

    # --- bookings --------------------------------------------------------------------------------

    def get_booking(self, booking_id: str) -> Booking | None:
        with read_session(self.engine) as session:
            row = session.get(BookingRow, booking_id)
            return None if row is None else booking_from_row(row)

    def list_bookings_for_rider(self, rider_id: int, *, limit: int | None = 100,
                                statuses: Iterable[BookingStatus] | None = None) -> list[Booking]:
        """The rider's bookings, newest first (optionally only those with one of ``statuses``)."""
        query = (select(BookingRow).where(BookingRow.rider_id == rider_id)
                 .order_by(BookingRow.created_at.desc(), BookingRow.booking_id.desc()).limit(limit))
        if statuses is not None:
            query = query.where(BookingRow.status.in_([BookingStatus(s) for s in statuses]))
        with read_session(self.engine) as session:
            return [booking_from_row(row) for row in session.scalars(query)]



def _check_vehicle(vehicle: Vehicle) -> None:
    if not vehicle.label or not vehicle.label.strip():
        raise Refused(msg("vehicle_label_missing"))
    if vehicle.seats is None or vehicle.seats < 1:
        raise Refused(msg("vehicle_seats", label=repr(vehicle.label), seats=vehicle.seats))
    if vehicle.wheelchair_places is None or vehicle.wheelchair_places < 0:
        raise Refused(msg("vehicle_wheelchair_places", label=repr(vehicle.label)))
    if not (-90 <= vehicle.depot_lat <= 90 and -180 <= vehicle.depot_lon <= 180):
        raise Refused(msg("vehicle_depot", label=repr(vehicle.label), lat=vehicle.depot_lat, lon=vehicle.depot_lon))


# --- edits of stops and shifts (operations dashboard) ------------------------------------------

from ride_pool.db.errors import StoreError  # noqa: E402

_STOP_FIELDS = {"name", "town", "code", "lat", "lon", "node"}


class DuplicateStopCode(StoreError):
    def __init__(self, code: str):
        super().__init__(msg("duplicate_stop_code", code=repr(code)))
        self.code = code


def update_stop(engine: Engine, stop_id: int, **changes: Any) -> Stop:
    """Change some of a stop's ``name``, ``town``, ``code``, ``lat``, ``lon``, ``node`` (one
    transaction); raises :class:`NotFound` or :class:`DuplicateStopCode`. Bookings keep the place
    they were made with."""
    unknown = set(changes) - _STOP_FIELDS
    if unknown:
        raise Refused(msg("stop_fields", unknown=", ".join(sorted(unknown)),
                          known=", ".join(sorted(_STOP_FIELDS - {"node"}))))
    if "name" in changes and not (changes["name"] or "").strip():
        raise Refused(msg("stop_name_missing"))
    try:
        with write_session(engine) as session:
            stop = session.get(Stop, stop_id)
            if stop is None:
                raise NotFound(msg("stop_unknown", stop_id=stop_id))
            for name, value in changes.items():
                setattr(stop, name, value)
    except IntegrityError as error:
        if "code" in str(error.orig):
            raise DuplicateStopCode(changes.get("code") or "") from error
        raise
    return stop
