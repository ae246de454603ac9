"""Domain objects of the dispatcher service: places, requests, offers, bookings, vehicles, events.

Times are integer **seconds since the Unix epoch (UTC)** everywhere in the dispatcher; the API
converts ISO 8601 at its edge, the simulator counts its own seconds. Distances are metres.
Road positions are node indices of the service area's :class:`~routing.network.RoadNetwork`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from enum import StrEnum


class BookingStatus(StrEnum):
    CONFIRMED = "confirmed"      # promised, in a vehicle's plan, rider not yet picked up
    ONBOARD = "onboard"          # boarded, drop-off still planned
    COMPLETED = "completed"      # dropped off
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"

    @property
    def active(self) -> bool:
        return self in (BookingStatus.CONFIRMED, BookingStatus.ONBOARD)


class StepKind(StrEnum):
    PICKUP = "pickup"
    DROPOFF = "dropoff"
    BREAK = "break"          # the shift's planned break (its "booking id" is ``break:<shift id>``)


class RejectCause(StrEnum):
    """Why a request got no offer or a booking was refused; each names the rule or fact."""

    OUTSIDE_SERVICE_AREA = "outside_service_area"
    SAME_PLACE = "same_place"
    OUTSIDE_OPERATING_HOURS = "outside_operating_hours"
    MIN_LEAD_TIME = "min_lead_time"
    BOOKING_HORIZON = "booking_horizon"
    IN_THE_PAST = "in_the_past"
    EARLY_MORNING_CUTOFF = "early_morning_cutoff"
    MAX_ACTIVE_BOOKINGS = "max_active_bookings"
    MAX_SEATS_PER_RIDER = "max_seats_per_rider"
    ACCOUNT_UNCONFIRMED_LIMIT = "account_unconfirmed_limit"   # confirm the e-mail address to book more
    NO_SHOW_LIMIT = "no_show_limit"
    TOO_MANY_PASSENGERS = "too_many_passengers"
    NO_VEHICLE_FITS = "no_vehicle_fits"
    NO_VEHICLE_AVAILABLE = "no_vehicle_available"
    OFFER_EXPIRED = "offer_expired"
    OFFER_UNKNOWN = "offer_unknown"
    OFFER_NO_LONGER_AVAILABLE = "offer_no_longer_available"
    OFFER_ALREADY_BOOKED = "offer_already_booked"
    NO_STOP_NEARBY = "no_stop_nearby"    # no door-to-door service here and no stop within walking distance


class EventKind(StrEnum):
    """Every state change of the service; KPIs are computed from these."""

    REQUEST_RECEIVED = "request_received"        # a quote was asked for
    OFFER_MADE = "offer_made"
    REQUEST_REJECTED = "request_rejected"        # no offer; cause = RejectCause
    OFFER_DECLINED = "offer_declined"            # the rider did not take the offer (simulation)
    BOOKING_CONFIRMED = "booking_confirmed"
    BOOKING_REFUSED = "booking_refused"          # booking an offer failed; cause = RejectCause
    BOOKING_CANCELLED = "booking_cancelled"      # cause: rider, operator, shift_ended
    PLAN_REOPTIMISED = "plan_reoptimised"
    VEHICLE_ARRIVED = "vehicle_arrived"
    VEHICLE_DROVE = "vehicle_drove"              # one driven leg: distance_m, duration_s, passengers
    VEHICLE_LOCATION = "vehicle_location"
    RIDER_BOARDED = "rider_boarded"
    RIDER_NO_SHOW = "rider_no_show"
    RIDER_DROPPED_OFF = "rider_dropped_off"
    SHIFT_ADDED = "shift_added"
    SHIFT_STARTED = "shift_started"
    SHIFT_ENDED = "shift_ended"
    SHIFT_DRIVER_ASSIGNED = "shift_driver_assigned"  # an operator planned another driver (or none)
    SERVICE_AREA_CHANGED = "service_area_changed"    # the operator changed the rules or the area
    BREAK_STARTED = "break_started"              # the driver began the shift's planned break
    BREAK_ENDED = "break_ended"
    #: a booking's connection to a train or bus (see ride_pool.dispatch.connections): the live plan
    #: would miss it and no re-plan helps (cause: vehicle_late, shift_ended, ...; an operator
    #: alert and a message to the rider), it was re-planned to keep it, it was kept or missed
    CONNECTION_AT_RISK = "connection_at_risk"
    CONNECTION_REPLANNED = "connection_replanned"
    CONNECTION_KEPT = "connection_kept"
    CONNECTION_MISSED = "connection_missed"
    #: a booking's vehicle or promised window changed (an operator's move or re-time, a breakdown,
    #: the background optimiser); cause "operator" (``data.operator_id``), "optimiser", ...;
    #: ``data``: change, old/new shift and vehicle, old/new window
    BOOKING_CHANGED = "booking_changed"
    SHIFT_CHANGED = "shift_changed"              # an operator extended or shortened a shift
    SHIFT_BROKE_DOWN = "shift_broke_down"        # the vehicle broke down: the shift ended early
    # --- rider notifications (issue 17)
    PICKUP_APPROACHING = "pickup_approaching"    # the vehicle is about 10 minutes from the pickup
    PICKUP_DELAYED = "pickup_delayed"            # the planned pickup is later than the promised window
    SERIES_OCCURRENCE_REFUSED = "series_occurrence_refused"   # a ride of a series could not be booked


#: the longest caller name and phone number a trip request may carry (the database's columns)
CALLER_NAME_MAX = 100
CALLER_PHONE_MAX = 30


@dataclass(frozen=True)
class AskedPoint:
    """A point a rider asked to be picked up at or taken to, with the label they gave it."""

    name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Place:
    """A point riders are picked up at or dropped off at: a road node, optionally a named stop."""

    node: int
    lat: float
    lon: float
    name: str = ""
    stop_id: int | None = None
    #: how the rider gets here (see :mod:`~ride_pool.dispatch.access`): "stop" (a stop was
    #: asked for), "door" (the asked point itself), "nearest_stop" (the nearest stop to the asked
    #: point, ``walk_m`` metres on foot); "" for places no rider asked for (depots, vehicles)
    access: str = ""
    walk_m: int | None = None
    #: the point the rider asked for and its label, when the vehicle stops elsewhere
    asked: AskedPoint | None = None


#: what a door-to-door end is called once its personal data is gone (retention, a deleted account)
ANONYMOUS_DOOR = "Haustür (anonymisiert)"
#: decimals kept of an anonymised door's coordinates: 2 is about 1 km, enough for demand maps
ANONYMOUS_DECIMALS = 2


def anonymised_place(place: Place) -> Place:
    """``place`` without what tells where a rider lives: the point and label they asked for, and,
    at a door-to-door end, the label (an address) and the exact point (rounded to about 1 km).
    Stops are public places and stay as they are."""
    if place.asked is None and place.access != "door":
        return place
    if place.access != "door":
        return replace(place, asked=None)
    return replace(place, asked=None, name=ANONYMOUS_DOOR, lat=round(float(place.lat), ANONYMOUS_DECIMALS),
                   lon=round(float(place.lon), ANONYMOUS_DECIMALS))


@dataclass(frozen=True)
class Connection:
    """A train or bus a trip connects to: ``direction`` "to_departure" (the rider must be at
    ``stop_id`` before ``trip_id`` leaves at ``scheduled``) or "from_arrival" (picked up after it
    arrives at ``scheduled``). ``limit`` is the hard bound it sets: the latest drop-off for a
    departure, the earliest pickup after an arrival (``scheduled`` -/+ ``transfer_buffer_s``)."""

    stop_id: str
    trip_id: str
    direction: str
    service_date: str | None = None
    scheduled: int | None = None
    limit: int | None = None
    route_name: str = ""
    headsign: str = ""
    stop_name: str = ""

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, data: dict | None) -> "Connection | None":
        if not data:
            return None
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__ if k in data})


@dataclass(frozen=True)
class TripRequest:
    """What a rider asks for. At most one of ``pickup_after``/``arrive_by``; neither means as soon
    as the rules allow."""

    rider_id: int | None
    origin: Place
    destination: Place
    passengers: int = 1
    wheelchairs: int = 0
    pickup_after: int | None = None
    arrive_by: int | None = None
    #: "app" (rider), "phone" (operator on behalf of a caller; the no-show limit does not apply),
    #: or "simulation"
    channel: str = "app"
    #: whom a phone booking is for (the operator takes them on the phone; optional, at most
    #: :data:`CALLER_NAME_MAX` / :data:`CALLER_PHONE_MAX` characters)
    caller_name: str | None = None
    caller_phone: str | None = None
    #: the rider's account is confirmed (e-mail address or by an operator); an unconfirmed one may
    #: hold only ``unconfirmed_max_bookings`` bookings of ``unconfirmed_max_seats`` places (the
    #: API says; the simulator and phone bookings keep the default)
    rider_confirmed: bool = True
    #: the train or bus this trip connects to (resolved to its times by ride_pool.dispatch.connections)
    connection: Connection | None = None
    #: the operator recorded the phone caller's consent to SMS about this booking (issue 17)
    sms_consent: bool = False
    #: mobility needs (:data:`~ride_pool.dispatch.needs.NEEDS`), e.g. ("rollator", "guide_dog")
    needs: tuple[str, ...] = ()
    #: who rides, for the fare: (fare category, count) pairs, e.g. (("adult", 1), ("child", 1));
    #: empty: every passenger an adult (see :mod:`~ride_pool.dispatch.fares`)
    fare_group: tuple[tuple[str, int], ...] = ()
    #: the ride series this request books an occurrence of (None: a single ride)
    series_id: int | None = None


@dataclass
class Offer:
    """A pickup window the dispatcher can keep for ``request`` until ``expires_at``."""

    offer_id: str
    quote_id: str
    request: TripRequest
    pickup_earliest: int
    pickup_latest: int
    dropoff_latest: int
    planned_pickup: int
    planned_dropoff: int
    vehicle_id: int
    expires_at: int
    direct_s: int
    direct_m: int
    max_ride_s: int
    alternative: bool = False
    booking_id: str | None = None   # set once booked
    #: the group's fare (:func:`ride_pool.dispatch.fares.fare`; None: made again when booked)
    fare: dict | None = None


@dataclass
class Booking:
    """A confirmed ride; the pickup window and ``dropoff_latest`` are promises the plan keeps."""

    booking_id: str
    rider_id: int | None
    origin: Place
    destination: Place
    passengers: int
    wheelchairs: int
    pickup_earliest: int
    pickup_latest: int
    dropoff_latest: int
    max_ride_s: int
    direct_s: int
    direct_m: int
    requested_time: int          # the pickup time the rider asked for (or the earliest allowed)
    status: BookingStatus
    vehicle_id: int | None
    created_at: int
    channel: str = "app"
    offer_id: str | None = None
    idempotency_key: str | None = None
    #: SHA-256 (hex) of the request first made with ``idempotency_key`` (:func:`idempotency_hash`;
    #: None for bookings stored before it was kept: they match any request)
    idempotency_hash: str | None = None
    planned_pickup: int | None = None
    planned_dropoff: int | None = None
    boarded_at: int | None = None
    completed_at: int | None = None
    cancelled_at: int | None = None
    #: the caller a phone booking is for (from its :class:`TripRequest`)
    caller_name: str | None = None
    caller_phone: str | None = None
    #: when the driver reported arriving at the pickup, and at the drop-off (the reported times)
    arrived_at: int | None = None
    dropoff_arrived_at: int | None = None
    #: the train or bus this ride connects to (its drop-off bound is a hard limit of every plan)
    connection: Connection | None = None
    #: an operator pinned the booking to its vehicle: re-optimisation keeps it there
    pinned: bool = False
    #: issue 17: SMS consent of a phone caller, mobility needs, the fare (its total in cents and
    #: the breakdown) and the series it belongs to
    sms_consent: bool = False
    needs: tuple[str, ...] = ()
    fare_cents: int | None = None
    fare: dict | None = None
    series_id: int | None = None

    @property
    def seats(self) -> int:
        """Seats taken: a wheelchair user rides in a wheelchair place, not on a seat."""
        return self.passengers - self.wheelchairs


@dataclass(frozen=True)
class Step:
    """One planned stop of a vehicle: ``kind`` of ``booking_id``."""

    booking_id: str
    kind: StepKind


@dataclass
class VehicleShift:
    """A vehicle on a shift: the planning unit of the dispatcher.

    ``anchor_node``/``anchor_time``: where and when the vehicle is next free to drive on (its depot
    at shift start, the last stop it served, the place it last reported, or the stop it is
    committed to drive to).
    """

    shift_id: int
    vehicle_id: int
    label: str
    seats: int
    wheelchair_places: int
    start: int
    end: int
    depot: Place
    anchor_node: int
    anchor_time: int
    route: list[Step] = field(default_factory=list)
    started: bool = False
    ended: bool = False
    driver_id: int | None = None
    lat: float | None = None
    lon: float | None = None
    location_time: int | None = None
    #: when the driver reported starting and ending the shift (the reported times)
    started_at: int | None = None
    ended_at: int | None = None
    #: the planned break: ``break_s`` seconds that begin between ``break_earliest`` and
    #: ``break_latest`` (None: no break planned), and when the driver reported it began and ended
    break_earliest: int | None = None
    break_latest: int | None = None
    break_s: int = 0
    break_started_at: int | None = None
    break_ended_at: int | None = None
    #: where the break is planned (None: at the depot)
    break_place: Place | None = None

    @property
    def has_break(self) -> bool:
        return self.break_earliest is not None and self.break_s > 0


@dataclass(frozen=True)
class ReportRecord:
    """A driver report applied with an ``Idempotency-Key``: the key (unique per driver), a hash
    of what was reported (:func:`report_hash`) and the answer given, so the same key again gets
    that answer (and a key reused for another report is refused)."""

    driver_id: int
    key: str
    request_hash: str
    report: str
    target: str
    answer: dict
    created_at: int


def report_hash(report: str, target: str) -> str:
    """SHA-256 (hex) of a driver report as its idempotency key must repeat it: what (``arrived``,
    ``shift_start``, ...) about which booking or shift."""
    return hashlib.sha256(f"driver-report\n{report}\n{target}".encode()).hexdigest()


@dataclass(frozen=True)
class Event:
    """A state change with its named cause; ``data`` holds the facts KPIs need."""

    time: int
    kind: EventKind
    cause: str = ""
    booking_id: str | None = None
    vehicle_id: int | None = None
    shift_id: int | None = None
    rider_id: int | None = None
    data: dict = field(default_factory=dict)


def idempotency_hash(scope: str, offer_id: str) -> str:
    """SHA-256 (hex) of a booking request as its idempotency key must repeat it: who books
    (the idempotency scope: rider or channel) and which offer."""
    return hashlib.sha256(f"book\n{scope}\n{offer_id}".encode()).hexdigest()


def idempotency_scope(rider_id: int | None, channel: str) -> str:
    """Whose idempotency keys must be unique (the database's unique key and the dispatcher agree on
    it): ``rider:<id>``, or the channel for bookings without a rider."""
    return f"rider:{rider_id}" if rider_id is not None else channel


class NoticeKind(StrEnum):
    """What a rider is told (issue 17); one outbox message each."""

    BOOKING_CONFIRMED = "booking_confirmed"
    BOOKING_CHANGED = "booking_changed"          # vehicle or time changed
    PICKUP_SOON = "pickup_soon"                  # pickup in about 10 minutes
    RUNNING_LATE = "running_late"                # beyond the promised window
    BOOKING_CANCELLED = "booking_cancelled"      # by the operator (or the shift ended)
    SERIES_REFUSED = "series_refused"            # a ride of a series could not be booked
    CONNECTION_AT_RISK = "connection_at_risk"    # the ride would miss its train or bus (issue 18)


@dataclass(frozen=True)
class OutboxMessage:
    """One notification for a rider or phone caller, written with the change whose event caused
    it. ``message_id`` is derived from the event (same event, same id), so writing it again never
    makes a second message. ``data`` holds what the text needs (times, vehicle, places)."""

    message_id: str
    kind: NoticeKind
    created_at: int
    booking_id: str | None = None
    rider_id: int | None = None
    #: a phone booking's caller number, when the operator recorded the caller's SMS consent
    phone: str | None = None
    data: dict = field(default_factory=dict)
