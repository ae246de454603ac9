"""Driver reports sent again: the ``Idempotency-Key`` of each report a driver's phone sends.

A phone in a dead zone queues its taps and sends them when it is online again, each with a key;
when the answer is lost it sends the same report with the same key again. The first report with
a key commits a :class:`~ride_pool.dispatch.domain.ReportRecord` together with the report's own
change (one transaction: :meth:`~ride_pool.dispatch.journal.Journal.recording`): the key
(unique per driver), a hash of what was reported (:func:`~ride_pool.dispatch.domain.report_hash`:
report kind and the booking or shift the request names) and the answer. The same key again gets
that answer and changes nothing; the same key with another report is refused (422
``idempotency_key_reused``). Only applied reports keep their key: a refused one may be sent again
with it.

The keys live in the store (they survive a restart); the ones seen since the start are also kept
in memory. A key not in memory is looked up in the store *outside* the dispatcher's lock, then
everything is decided under the lock (a second request with the same key that raced the first
finds the first one's record in memory then).
"""

from __future__ import annotations

from ride_pool.dispatch.domain import ReportRecord, StepKind, VehicleShift
from ride_pool.dispatch.errors import IdempotencyKeyReused
from ride_pool.dispatch.store import Change

#: at most this many records are kept in memory (the oldest half go when it is full; the store
#: still has them)
MEMORY_LIMIT = 50_000


def shift_answer(shift: VehicleShift) -> dict:
    """The shift as a report's answer holds it (epoch seconds; the API renders it)."""
    return {"shift_id": int(shift.shift_id), "vehicle_id": int(shift.vehicle_id), "label": shift.label,
            "start": int(shift.start), "end": int(shift.end), "driver_id": shift.driver_id,
            "started": bool(shift.started), "ended": bool(shift.ended),
            "planned_stops": sum(1 for s in shift.route if s.kind is not StepKind.BREAK),
            "lat": shift.lat, "lon": shift.lon, "started_at": shift.started_at, "ended_at": shift.ended_at,
            "break_earliest": shift.break_earliest, "break_latest": shift.break_latest,
            "break_s": int(shift.break_s), "break_started_at": shift.break_started_at,
            "break_ended_at": shift.break_ended_at,
            "break_stop_id": None if shift.break_place is None else shift.break_place.stop_id,
            "break_place_name": (shift.break_place or shift.depot).name if shift.has_break else None}


class ReportReplays:
    """The report keys seen since the start, and the records of new ones."""

    def __init__(self):
        self.known: dict[tuple[int, str], ReportRecord] = {}

    def remembered(self, driver_id: int, key: str) -> ReportRecord | None:
        return self.known.get((driver_id, key))

    def remember(self, record: ReportRecord) -> None:
        if len(self.known) >= MEMORY_LIMIT:
            oldest = sorted(self.known.items(), key=lambda kv: kv[1].created_at)[:MEMORY_LIMIT // 2]
            for k, _ in oldest:
                del self.known[k]
        self.known[record.driver_id, record.key] = record

    @staticmethod
    def check(record: ReportRecord, request_hash: str, report: str) -> None:
        if record.request_hash != request_hash:
            raise IdempotencyKeyReused(
                f"the Idempotency-Key {record.key!r} was used for another report ({record.report} of "
                f"{record.target}); send a new key for a new report (this was {report})")


class Recorder:
    """Makes a report's answer (and, with a key, its record) from the change the report commits."""

    def __init__(self, driver_id: int, key: str | None, request_hash: str, report: str, target: str, now: int):
        self.driver_id, self.key, self.request_hash = driver_id, key, request_hash
        self.report, self.target, self.now = report, target, now
        self.answer: dict | None = None
        self.record: ReportRecord | None = None

    def answer_of(self, shift: VehicleShift, reported_at: int) -> dict:
        booking_id = self.target.removeprefix("booking:") if self.target.startswith("booking:") else None
        return {**shift_answer(shift), "report": {
            "report": self.report, "booking_id": booking_id, "shift_id": int(shift.shift_id),
            "reported_at": int(reported_at), "received_at": int(self.now)}}

    def __call__(self, change: Change) -> ReportRecord | None:
        if not change.shifts or not change.events:
            return None     # not a report's change (the caller answers from the live state)
        shift = change.shifts[-1]
        event = change.events[-1]
        self.answer = self.answer_of(shift, int(event.time))
        if self.key is None:
            return None
        self.record = ReportRecord(driver_id=self.driver_id, key=self.key, request_hash=self.request_hash,
                                   report=self.report, target=f"{self.target} (shift {shift.shift_id})",
                                   answer=self.answer, created_at=int(self.now))
        return self.record
