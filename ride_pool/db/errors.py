"""Errors of the database layer; each message says what went wrong and what to do about it."""

from __future__ import annotations

from ride_pool.dispatch.store import DuplicateKey


class StoreError(Exception):
    """Base class of the database layer's own errors."""


class NotFound(StoreError, LookupError):
    """A row that an operation needs does not exist."""


class DuplicateEmail(StoreError):
    def __init__(self, email: str):
        super().__init__(f"a user with the e-mail address {email!r} exists already: log in, or use another address")
        self.email = email


class DuplicateVehicleLabel(StoreError):
    def __init__(self, label: str):
        super().__init__(f"a vehicle labelled {label!r} exists already: choose another label")
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

    def __init__(self, message: str, problems: list[tuple[int, str]] | None = None):
        super().__init__(message)
        self.problems = problems or []
