"""Deterministic discrete-event core: a heap of ``(time, priority, sequence)`` and a clock.

Everything that happens in a simulated day is a scheduled callback. Ties are broken first by a
priority (lower runs first) and then by the order of scheduling, so the same inputs and the same
seed give the same sequence of calls, bit for bit, on every machine. The dispatcher reads the
simulated time through :meth:`EventLoop.clock` (integer epoch seconds).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Callable


class EventLoopError(RuntimeError):
    """The event loop was used wrongly (scheduling into the past, re-entrant ``run``)."""


# Priorities for callbacks due at the same second; lower runs first. Vehicles finish what they
# do before new requests are quoted, so a request sees the fleet's state as of that second.
PRIORITY_SHIFT = 0
PRIORITY_VEHICLE = 10
PRIORITY_RIDER = 20
PRIORITY_REQUEST = 30
PRIORITY_OPTIMISE = 40
PRIORITY_DEFAULT = 50


@dataclass(order=True)
class ScheduledCall:
    """A callback due at ``time``; cancel it with :meth:`EventLoop.cancel` (or ``.cancel()``)."""

    time: int
    priority: int
    sequence: int
    action: Callable[[], object] = field(compare=False)
    label: str = field(default="", compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class EventLoop:
    """A simulated clock and its agenda of callbacks."""

    def __init__(self, start: int = 0):
        self.now = int(start)
        # entries (time, priority, sequence, call): tuples compare in C, much faster than the
        # dataclass's generated ordering; the order is the same
        self._heap: list[tuple[int, int, int, ScheduledCall]] = []
        self._sequence = 0
        self._running = False
        self.calls_run = 0

    def clock(self) -> int:
        """The current simulated time (integer seconds); hand this to the dispatcher."""
        return self.now

    def at(self, time: int, action: Callable[[], object], *, priority: int = PRIORITY_DEFAULT,
           label: str = "") -> ScheduledCall:
        """Run ``action()`` at ``time`` (never earlier than now)."""
        time = int(time)
        if time < self.now:
            raise EventLoopError(f"cannot schedule {label or 'a call'} at {time}, before the current time {self.now}")
        call = ScheduledCall(time, int(priority), self._sequence, action, label)
        self._sequence += 1
        heapq.heappush(self._heap, (call.time, call.priority, call.sequence, call))
        return call

    def after(self, delay: int, action: Callable[[], object], *, priority: int = PRIORITY_DEFAULT,
              label: str = "") -> ScheduledCall:
        """Run ``action()`` ``delay`` seconds from now."""
        if delay < 0:
            raise EventLoopError(f"delay must not be negative, got {delay}")
        return self.at(self.now + int(delay), action, priority=priority, label=label)

    @staticmethod
    def cancel(call: ScheduledCall | None) -> None:
        """Forget a scheduled call (no-op for None or one that already ran)."""
        if call is not None:
            call.cancelled = True

    def pending(self) -> int:
        """Number of calls still scheduled (cancelled ones excluded)."""
        return sum(1 for entry in self._heap if not entry[3].cancelled)

    def next_time(self) -> int | None:
        """Time of the next live call, or None when the agenda is empty."""
        while self._heap and self._heap[0][3].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def run(self, until: int | None = None) -> int:
        """Run calls in order until the agenda is empty or the next one is after ``until``.

        Returns the number of calls run. The clock ends at ``until`` when given, else at the time
        of the last call.
        """
        if self._running:
            raise EventLoopError("the event loop is already running")
        self._running = True
        ran = 0
        try:
            heap = self._heap
            while heap:
                call = heap[0][3]
                if call.cancelled:
                    heapq.heappop(heap)
                    continue
                if until is not None and call.time > until:
                    break
                heapq.heappop(heap)
                self.now = call.time
                call.cancelled = True  # it ran; cancelling it later is a no-op
                call.action()
                ran += 1
            if until is not None and until > self.now:
                self.now = int(until)
        finally:
            self._running = False
        self.calls_run += ran
        return ran
