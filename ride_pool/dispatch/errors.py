"""The dispatcher's errors: each carries an HTTP-like ``status`` and a machine-readable ``code``.

The API turns them into ``{"detail": {"code", "message"}}`` answers without deciding anything
itself; the simulator and tests catch them like any exception.
"""

from __future__ import annotations

from ride_pool.dispatch.domain import Booking, RejectCause
from ride_pool.messages import Message


class DispatchError(Exception):
    """An operation that does not fit the current state (the message says why).

    ``message`` is a catalogue :class:`~ride_pool.messages.Message` (rendered in the client's
    language by the API; ``str(exc)`` is the English text)."""

    status = 409
    default_code = "conflict"

    def __init__(self, message: Message | str, *, code: str | None = None, **extra):
        super().__init__(str(message))
        self.message = message
        self.code = code or getattr(getattr(self, "cause", None), "value", None) or self.default_code
        #: more fields of the answer's ``detail`` (plain JSON values, e.g. an ISO time)
        self.extra = extra


class DispatchInputError(DispatchError):
    """Input the dispatcher cannot use (the message says what to fix)."""

    status = 422
    default_code = "invalid_request"


class NotFound(DispatchError):
    """A shift, booking or offer the dispatcher does not know."""

    status = 404
    default_code = "not_found"


class BookingRefused(DispatchError):
    """Booking an offer failed: ``cause`` names why (an unknown offer is a 404, the rest 409)."""

    def __init__(self, cause: RejectCause, message: Message | str, booking: Booking | None = None):
        self.cause = cause
        super().__init__(message, code=cause.value)
        self.booking = booking
        if cause is RejectCause.OFFER_UNKNOWN:
            self.status = 404


class OutsideServiceArea(DispatchInputError):
    """A place outside the service area (or too far from any road)."""

    cause = RejectCause.OUTSIDE_SERVICE_AREA


class IdempotencyKeyReused(DispatchInputError):
    """An ``Idempotency-Key`` sent again with another request than the one it was first used
    with (another offer): the key cannot say which one is meant."""

    default_code = "idempotency_key_reused"
