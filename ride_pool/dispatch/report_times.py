"""The time a driver's report happened, as the phone says (``reported_at``), checked against the
service's clock, the shift and the booking's life; and the answers to reports applied already.
(Shared by :mod:`.reports` and :mod:`.fleet`; see :mod:`.reports` for the rules.)"""

from __future__ import annotations

from ride_pool.dispatch.domain import Booking, BookingStatus, VehicleShift
from ride_pool.dispatch.errors import DispatchError, DispatchInputError
from ride_pool.dispatch.plans import LivePlans
from ride_pool.messages import Clock, Day, Duration, msg

#: a shift can be started this long before its planned start
EARLY_START_S = 3600


class ReportTimeRefused(DispatchInputError):
    """A report's time that cannot be used: in the future, too old, before the shift started, or
    before an earlier step of the booking (the code names which)."""


class AlreadyReported(DispatchError):
    """The report was applied already (e.g. sent again without its key after the answer was
    lost); ``state`` in the answer says what the server has."""

    default_code = "already_reported"


def iso_of(plans: LivePlans, t: int | None) -> str | None:
    """Epoch seconds as ISO 8601 local time of the area with its offset (None stays None)."""
    return None if t is None else plans.rules.local(int(t)).isoformat()


def booking_state(plans: LivePlans, booking: Booking) -> dict:
    """What the server has applied of a booking's life (ISO times), for the driver's page."""
    iso = lambda t: iso_of(plans, t)   # noqa: E731
    return {"booking_id": booking.booking_id, "status": booking.status.value,
            "arrived_at": iso(booking.arrived_at), "boarded_at": iso(booking.boarded_at),
            "dropoff_arrived_at": iso(booking.dropoff_arrived_at),
            "completed_at": iso(booking.completed_at) if booking.status is BookingStatus.COMPLETED else None,
            "no_show_at": iso(booking.completed_at) if booking.status is BookingStatus.NO_SHOW else None}


def check_report_time(plans: LivePlans, shift: VehicleShift, at: int | None, now: int, *,
                      not_before: int | None = None) -> int:
    """When a report about ``shift`` happened: ``at`` (``now`` if None) if it is plausible (see the
    module docstring); ``not_before``: the earliest it may be (default: when the shift started)."""
    if at is None:
        return now
    at = int(at)
    rules = plans.rules
    local = rules.local
    if at > now + rules.report_clock_skew_s:
        raise ReportTimeRefused(msg("report_in_future", at=Clock(local(at), seconds=True),
                                    now=Clock(local(now), seconds=True)), code="report_in_future",
                                reported_at=iso_of(plans, at), server_time=iso_of(plans, now))
    if at < now - rules.report_max_age_s:
        raise ReportTimeRefused(msg("report_too_old", at=Day(local(at)), age=Duration(rules.report_max_age_s)),
                                code="report_too_old", reported_at=iso_of(plans, at))
    if not_before is None:
        not_before = shift.started_at if shift.started_at is not None else shift.start - EARLY_START_S
    if at < not_before:
        raise ReportTimeRefused(msg("report_before_shift", at=Day(local(at)), shift_id=shift.shift_id,
                                    start=Clock(local(not_before), seconds=True)),
                                code="report_before_shift", reported_at=iso_of(plans, at),
                                shift_started_at=iso_of(plans, not_before))
    return at


def received(data: dict, when: int, now: int) -> dict:
    """An event's ``data`` with the reported and the received time."""
    return {**data, "reported_at": int(when), "received_at": int(now)}
