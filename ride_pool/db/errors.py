"""Errors of the database layer; each message says what went wrong and what to do about it."""

from __future__ import annotations

from ride_pool.dispatch.store import DuplicateKey
from ride_pool.messages import Message, msg


class StoreError(Exception):
    """Base class of the database layer's own errors; ``message`` is the catalogue message
    (``str()`` its English text) when there is one."""

    def __init__(self, message: Message | str = ""):
        super().__init__(str(message))
        self.message = message


class NotFound(StoreError, LookupError):
    """A row that an operation needs does not exist."""


class DuplicateEmail(StoreError):
    def __init__(self, email: str):
        super().__init__(msg("duplicate_email", email=repr(email)))
        self.email = email


class DuplicateVehicleLabel(StoreError):
    def __init__(self, label: str):
        super().__init__(msg("duplicate_vehicle_label", label=repr(label)))
        self.label = label


class ShiftOverlap(StoreError):
    """A vehicle would be on two shifts at once."""


class DuplicateIdempotencyKey(StoreError, DuplicateKey):
    """A booking reused an idempotency key of an earlier booking of the same rider (or channel);
    the dispatcher knows it as the store contract's :class:`~ride_pool.dispatch.store.DuplicateKey`."""


class UnknownRider(StoreError, LookupError):
    """A change names a rider who is not in ``users``."""


class StopImportError(StoreError, ValueError):
    """A stop file cannot be imported; ``problems`` lists ``(line, what to fix)``."""

    def __init__(self, message: Message | str, problems: list | None = None):
        super().__init__(message)
        self.problems = problems or []
