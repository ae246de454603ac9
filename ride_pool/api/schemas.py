"""Request and response bodies of the HTTP API (pydantic), with the limits riders see in errors."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from ride_pool.messages import Refused, msg
from ride_pool.text import InvalidName, Name, StopName, Town, check_name

#: the largest id a path or body may name (ids are 32-bit integers in the database)
MAX_ID = 2_147_483_647
_DOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$")


def _email(value: str) -> str:
    """An e-mail address (syntax only, no DNS look-up). Special-use domains such as ``.local``
    and ``.test`` are accepted: the demo and test accounts use them."""
    value = value.strip()
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        local_part, _, domain = value.rpartition("@")
        if "special-use or reserved" in str(exc) and local_part and _DOMAIN.match(domain.lower()):
            try:   # the same address with an ordinary domain must be valid
                validate_email(f"{local_part}@example.org", check_deliverability=False)
                return f"{local_part}@{domain.lower()}"
            except EmailNotValidError:
                pass
        raise Refused(msg("email_invalid", detail=str(exc))) from None


def _plausible_time(value: datetime) -> datetime:
    if not 2000 <= value.year <= 2199:
        raise Refused(msg("time_implausible"))
    return value


_PHONE_CHARS = re.compile(r"[0-9 +\-()/]*")


def _caller_name(value: str) -> str:
    """A phone caller's name: 1 to 100 characters once trimmed, on one line."""
    value = value.strip()
    if not value:
        raise InvalidName(msg("caller_name_empty"))
    if len(value) > 100:
        raise InvalidName(msg("caller_name_too_long", length=len(value)))
    return check_name(value, msg("the_caller_name"), max_length=100)


def _caller_phone(value: str) -> str:
    """A phone number as the caller says it: digits, spaces and ``+ - ( ) /``, 3 to 30 characters
    once trimmed, at least 3 digits."""
    value = value.strip()
    if not _PHONE_CHARS.fullmatch(value):
        raise Refused(msg("phone_characters"))
    if not 3 <= len(value) <= 30:
        raise Refused(msg("phone_length", length=len(value)))
    if sum(c.isdigit() for c in value) < 3:
        raise Refused(msg("phone_digits"))
    return value


#: an e-mail address (see :func:`_email`)
Email = Annotated[str, AfterValidator(_email)]
#: an ISO 8601 time; without offset it is local time of the service area
ApiTime = Annotated[datetime, AfterValidator(_plausible_time)]
#: a phone caller's name (see :func:`_caller_name`)
CallerName = Annotated[str, AfterValidator(_caller_name)]
#: a phone caller's number (see :func:`_caller_phone`)
CallerPhone = Annotated[str, AfterValidator(_caller_phone)]


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in value)
    return False


class Strict(BaseModel):
    """A request body: unknown fields and NUL characters (which no database column takes) are
    refused."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data):
        if _has_nul(data):
            raise Refused(msg("text_nul"))
        return data


class Coordinates(Strict):
    lat: float = Field(ge=-90, le=90, description="latitude, WGS84 degrees")
    lon: float = Field(ge=-180, le=180, description="longitude, WGS84 degrees")


class PlaceIn(Strict):
    """A stop (``stop_id``) or a point (``lat``, ``lon``)."""

    stop_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    name: Name | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _one_kind(self):
        has_point = self.lat is not None or self.lon is not None
        if self.stop_id is None and not has_point:
            raise Refused(msg("place_stop_or_point"))
        if self.stop_id is not None and has_point:
            raise Refused(msg("place_not_both"))
        if has_point and (self.lat is None or self.lon is None):
            raise Refused(msg("point_needs_both"))
        return self


class ConnectionIn(Strict):
    """A train or bus to meet (from ``GET /api/v1/departures``): ``to_departure`` books an arrival
    at ``stop_id`` the transfer buffer (rule ``transfer_buffer_s``) before ``trip_id`` leaves;
    ``from_arrival`` a pickup the buffer after it arrives. ``service_date`` (YYYY-MM-DD): the
    day of the trip; without it, its next run."""

    stop_id: str = Field(min_length=1, max_length=100)
    trip_id: str = Field(min_length=1, max_length=100)
    direction: Literal["to_departure", "from_arrival"]
    service_date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")


class ConnectionOut(BaseModel):
    stop_id: str
    trip_id: str
    direction: str
    service_date: str | None = None
    scheduled: datetime | None = None
    limit: datetime | None = None
    route_name: str = ""
    headsign: str = ""
    stop_name: str = ""
    #: the live plan would miss it (an alert was raised and still stands); late_minutes: by how much
    at_risk: bool = False
    late_minutes: int | None = None


class QuoteIn(Strict):
    origin: PlaceIn
    destination: PlaceIn
    pickup_after: ApiTime | None = Field(default=None, description="ISO 8601; without offset: local time")
    arrive_by: ApiTime | None = Field(default=None, description="ISO 8601; without offset: local time")
    passengers: int = Field(default=1, ge=1, le=8, strict=True)
    wheelchairs: int = Field(default=0, ge=0, le=2, strict=True)
    connection: ConnectionIn | None = Field(default=None, description="a train or bus to meet: replaces "
                                            "pickup_after/arrive_by with its time and the transfer buffer")
    #: issue 17: mobility needs (None: the rider profile's) and who rides for the fare
    needs: list[str] | None = Field(default=None, max_length=7, description="rollator, wheelchair_own, "
                                    "wheelchair_transfer, pushchair, assistance, guide_dog, companion")
    fare_group: dict[str, int] | None = Field(default=None, description="fare category -> count (adult, reduced, "
                                              "child, child_under_6, companion, free, ticket); the rest adults")

    @model_validator(mode="after")
    def _times(self):
        if self.pickup_after is not None and self.arrive_by is not None:
            raise Refused(msg("pickup_after_and_arrive_by"))
        if self.wheelchairs > self.passengers:
            raise Refused(msg("wheelchairs_exceed_passengers"))
        return self


class PhoneQuoteIn(QuoteIn):
    """An operator's quote for a caller; ``rider_email`` links it to a rider account if there is one.
    ``caller_name`` and ``caller_phone`` are kept with the booking (operators and the driver see
    them)."""

    rider_email: Email | None = None
    caller_name: CallerName | None = Field(default=None, description="whom the ride is for; 1 to 100 characters",
                                           examples=["Erna Beispiel"])
    caller_phone: CallerPhone | None = Field(default=None, description="the caller's phone number: digits, spaces "
                                             "and + - ( ) /, 3 to 30 characters", examples=["03521 123456"])
    sms_consent: bool = Field(default=False, description="the caller agreed to SMS about this booking "
                              "(to caller_phone)")


class AskedPlaceOut(BaseModel):
    """The point a rider asked for (their label and coordinates), when the vehicle stops elsewhere."""

    name: str
    lat: float
    lon: float


class PlaceOut(BaseModel):
    """Where the vehicle stops. ``access``: ``stop`` (a stop was asked for), ``door`` (picked up or
    set down at the asked point itself), ``nearest_stop`` (the rules allow no door-to-door service
    here: the nearest stop, ``walk_m`` metres on foot from the asked point ``asked``)."""

    name: str
    lat: float
    lon: float
    stop_id: int | None = None
    access: Literal["stop", "door", "nearest_stop"] = "door"
    walk_m: int | None = None
    asked: AskedPlaceOut | None = None


class PlaceResultOut(BaseModel):
    """A place found by ``GET /api/v1/places`` or ``GET /api/v1/places/reverse``. ``label`` is the
    full German form ("Dorfstraße 12, Krögis (Käbschütztal)"); ``stop_id`` is set for stops (book
    them with ``{"stop_id": ...}``, anything else with ``{"lat", "lon", "name": label}``);
    ``distance_m``: from the given position (search with ``lat``/``lon``, reverse)."""

    kind: Literal["stop", "settlement", "street", "address", "poi"]
    name: str
    label: str
    lat: float
    lon: float
    stop_id: int | None = None
    distance_m: int | None = None


class OfferOut(BaseModel):
    offer_id: str
    pickup_earliest: datetime
    pickup_latest: datetime
    dropoff_latest: datetime
    planned_pickup: datetime
    planned_dropoff: datetime
    expires_at: datetime
    alternative: bool
    passengers: int
    wheelchairs: int
    direct_minutes: float
    origin: PlaceOut
    destination: PlaceOut
    connection: ConnectionOut | None = None
    #: issue 17: the group's fare (total_cents, lines per category) and the needs planned for
    fare: dict | None = None
    needs: list[str] = []


class Reason(BaseModel):
    code: str
    message: str


class QuoteOut(BaseModel):
    quote_id: str
    offers: list[OfferOut]
    reason: Reason | None = None
    #: why the offered time is what it is when it is not the time asked for (lead time, operating
    #: hours, early-trip cut-off, closing time, a full fleet), in the request's language
    time_reason: Reason | None = None


class BookingIn(Strict):
    offer_id: str = Field(min_length=1, max_length=64)


class VehicleLive(BaseModel):
    vehicle_id: int
    label: str
    lat: float | None = None
    lon: float | None = None
    location_time: datetime | None = None


class BookingOut(BaseModel):
    booking_id: str
    status: str
    pickup_earliest: datetime
    pickup_latest: datetime
    dropoff_latest: datetime
    planned_pickup: datetime | None = None
    planned_dropoff: datetime | None = None
    eta_pickup: datetime | None = None
    eta_dropoff: datetime | None = None
    passengers: int
    wheelchairs: int
    origin: PlaceOut
    destination: PlaceOut
    vehicle: VehicleLive | None = None
    created_at: datetime
    boarded_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    channel: str
    rider_id: int | None = None
    #: whom a phone booking is for, as the operator took it down
    caller_name: str | None = None
    caller_phone: str | None = None
    #: the train or bus the ride connects to
    connection: ConnectionOut | None = None
    #: issue 17
    sms_consent: bool = False
    needs: list[str] = []
    fare_cents: int | None = None
    fare: dict | None = None
    series_id: int | None = None


class RegisterIn(Strict):
    email: Email
    #: the rules (length, not blank, not common) are checked by ride_pool.api.passwords
    password: str = Field(max_length=200)
    name: Name = Field(max_length=200)


class UserOut(BaseModel):
    id: int
    email: str
    name: str
    role: str
    #: the e-mail address is confirmed (or an operator confirmed the account)
    confirmed: bool = True


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    role: str
    user_id: int


class StreamTicketOut(BaseModel):
    """A ticket that opens one event stream once (``GET <url>``) within ``expires_in`` seconds."""

    ticket: str
    expires_in: int
    url: str


class StopIn(Strict):
    name: StopName = Field(max_length=200)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    town: Town = Field(default="", max_length=200)
    code: str | None = Field(default=None, max_length=100)


class StopOut(BaseModel):
    id: int
    name: str
    lat: float
    lon: float
    town: str = ""
    code: str | None = None


class VehicleIn(Strict):
    label: Name = Field(max_length=100)
    #: at least the driver's co-seat: the database keeps no vehicle without a seat
    seats: int = Field(ge=1, le=60)
    wheelchair_places: int = Field(default=0, ge=0, le=10)
    depot_lat: float = Field(ge=-90, le=90)
    depot_lon: float = Field(ge=-180, le=180)


class VehiclePatch(Strict):
    label: Name | None = Field(default=None, max_length=100)
    seats: int | None = Field(default=None, ge=1, le=60)
    wheelchair_places: int | None = Field(default=None, ge=0, le=10)
    depot_lat: float | None = Field(default=None, ge=-90, le=90)
    depot_lon: float | None = Field(default=None, ge=-180, le=180)
    active: bool | None = None


class VehicleOut(BaseModel):
    id: int
    label: str
    seats: int
    wheelchair_places: int
    depot_lat: float
    depot_lon: float
    active: bool
    #: issue 17: ramp, lift, low_floor, pushchair (None: not recorded)
    features: list[str] | None = None


class ShiftIn(Strict):
    """A new shift. ``start`` and ``end`` are compared as instants once converted (a time without
    offset is local time, see ``ride_pool.api.times``): the dispatcher refuses an end not after
    the start, so one time with and one without offset work, and so does the DST change."""

    vehicle_id: int = Field(ge=1, le=MAX_ID)
    start: ApiTime
    end: ApiTime
    driver_email: Email | None = None
    break_start_earliest: ApiTime | None = Field(default=None, description="the planned break begins at the "
                                                 "earliest then (ISO 8601); with break_start_latest and "
                                                 "break_minutes")
    break_start_latest: ApiTime | None = Field(default=None, description="... and at the latest then")
    break_minutes: int | None = Field(default=None, ge=1, le=240, description="how long the break is")
    break_stop_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="where the break is planned "
                                      "(a stop); default: the vehicle's depot")


class ShiftOut(BaseModel):
    id: int
    vehicle_id: int
    vehicle_label: str
    start: datetime
    end: datetime
    driver_id: int | None = None
    started: bool
    ended: bool
    planned_stops: int = Field(default=0, description="planned stops with riders (the break not counted)")
    lat: float | None = None
    lon: float | None = None
    started_at: datetime | None = Field(default=None, description="when the driver reported starting it")
    ended_at: datetime | None = None
    break_start_earliest: datetime | None = Field(default=None, description="the planned break begins between "
                                                  "break_start_earliest and break_start_latest")
    break_start_latest: datetime | None = None
    break_minutes: int | None = None
    break_started_at: datetime | None = None
    break_ended_at: datetime | None = None
    break_stop_id: int | None = Field(default=None, description="the stop the break is planned at (null: the depot)")
    break_place_name: str | None = None


class ReportDoneOut(BaseModel):
    report: str = Field(description="arrived, boarded, no_show, dropped_off, shift_start, shift_end, break_start, "
                                    "break_end")
    booking_id: str | None = None
    shift_id: int
    reported_at: datetime = Field(description="when it happened: the event's time")
    received_at: datetime = Field(description="when the server received it first")


class DriverReportOut(ShiftOut):
    """The shift after a driver report, and the report as applied. The same ``Idempotency-Key``
    again gets exactly this answer (with the header ``Idempotent-Replayed: true``)."""

    report: ReportDoneOut


class ReportIn(Strict):
    reported_at: ApiTime | None = Field(default=None, description="when it happened (ISO 8601 with offset; "
                                        "without: local time), e.g. a tap queued while offline; default: now")
    time: ApiTime | None = Field(default=None, description="older name of reported_at (kept working)")

    @model_validator(mode="after")
    def _one_time(self):
        if self.reported_at is not None and self.time is not None and self.reported_at != self.time:
            raise Refused(msg("reported_at_twice"))
        return self

    @property
    def at(self):
        return self.reported_at if self.reported_at is not None else self.time


class ShiftStartIn(ReportIn):
    shift_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    vehicle_id: int | None = Field(default=None, ge=1, le=MAX_ID)

    @model_validator(mode="after")
    def _one(self):
        if (self.shift_id is None) == (self.vehicle_id is None):
            raise Refused(msg("shift_or_vehicle"))
        return self


class LocationIn(Strict):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class RiderOut(BaseModel):
    """Who boards or leaves at a step: what the driver's card shows."""

    booking_id: str
    name: str | None = Field(default=None, description="app bookings: first name and initial (\"Anna S.\"); "
                             "phone bookings: the caller's name as the operator entered it")
    phone: str | None = Field(default=None, description="phone bookings: the caller's number")
    channel: str
    passengers: int
    wheelchairs: int
    status: str = Field(description="confirmed, onboard, completed, no_show, cancelled")
    arrived_at: datetime | None = Field(default=None, description="the arrival the server applied (at this step)")
    no_show_from: datetime | None = Field(default=None, description="pickups: from when a no-show can be reported")
    #: issue 17: mobility needs and what to collect (the fare in cents, at the pickup)
    needs: list[str] = []
    fare_cents: int | None = None


class BookingStateOut(BaseModel):
    """What the server applied of one booking's life (reported times)."""

    booking_id: str
    status: str
    arrived_at: datetime | None = None
    boarded_at: datetime | None = None
    dropoff_arrived_at: datetime | None = None
    completed_at: datetime | None = None
    no_show_at: datetime | None = None


class RouteStepOut(BaseModel):
    kind: Literal["pickup", "dropoff", "break"]
    stop_name: str
    lat: float
    lon: float
    booking_ids: list[str]
    passengers: int
    wheelchairs: int
    planned_arrival: datetime
    planned_departure: datetime
    window_earliest: datetime
    window_latest: datetime
    seats_after: int
    wheelchairs_after: int
    callers: dict[str, str] = Field(default_factory=dict,
                                    description="booking id -> the caller's name, for phone bookings with one")
    polyline: list[list[float]] = Field(description="[[lat, lon], ...] from the previous step")
    riders: list[RiderOut] = Field(default_factory=list, description="the riders of booking_ids, in that order")
    break_minutes: int | None = Field(default=None, description="a break step: its length (window_earliest.."
                                      "window_latest: when it may begin)")
    status: str = Field(default="planned", description="planned; a break step that began: started")


class DriverRouteOut(BaseModel):
    shift: ShiftOut
    steps: list[RouteStepOut]
    server_time: datetime = Field(description="the server's clock when it answered")
    bookings: dict[str, BookingStateOut] = Field(
        default_factory=dict, description="booking id -> what the server applied, for every booking on the route "
        "and every one finished on this shift: a report whose answer was lost shows here")


class ServiceAreaIn(Strict):
    polygon: dict | list | None = None
    rules: dict | None = None
