"""The booking load benchmark's own arithmetic and checks (benchmarks/load/), on made-up data."""

from __future__ import annotations

import json
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.load.clients import Booked, ClientResult, Record
from benchmarks.load.instrumentation import Recorder, TimedLock, timing_summary
from benchmarks.load.plans import route_problems
from benchmarks.load.stats import percentile, summarise
from benchmarks.load.verification import answered_booking_problems
from ride_pool.dispatch.domain import BookingStatus, Step, StepKind


def test_percentile_interpolates_between_ranks():
    assert percentile([], 50) is None
    assert percentile([3.0], 95) == 3.0
    assert percentile([4, 1, 3, 2], 50) == 2.5
    assert percentile([10, 20, 30, 40, 50], 95) == pytest.approx(48.0)
    assert percentile(list(range(101)), 99) == pytest.approx(99.0)


def test_summarise_counts_rates_latencies_and_reasons():
    a = ClientResult(records=[Record("quote", 0, 0.010, 200, "offer"), Record("book", 0, 0.020, 201),
                              Record("quote", 0, 0.030, 200, "no_vehicle_available")],
                     errors=["quote: ReadTimeout()"])
    b = ClientResult(records=[Record("quote", 0, 0.050, 200, "offer"), Record("book", 0, 0.040, 409, "offer_taken"),
                              Record("quote", 0, 0.100, 503, "busy")])
    s = summarise([a, b], elapsed=2.0)
    assert s["bookings"] == 1 and s["bookings_per_s"] == 0.5
    assert s["quotes"] == 4 and s["quotes_per_s"] == 2.0 and s["requests_per_s"] == 3.0
    assert s["quote_latency"]["n"] == 4 and s["quote_latency"]["p50_ms"] == 40.0
    assert s["quote_latency"]["max_ms"] == 100.0 and s["quote_latency"]["mean_ms"] == 47.5
    assert s["book_latency"]["mean_ms"] == 30.0
    assert s["quote_without_offer_share"] == pytest.approx(1 / 3, abs=1e-4)
    assert s["quote_without_offer_by_reason"] == {"no_vehicle_available": 1}
    assert s["status_counts"] == {"200": 3, "201": 1, "409": 1, "503": 1}
    assert s["conflicts_409"] == 1 and s["server_errors_5xx"] == 1
    assert s["book_errors"] == {"409 offer_taken": 1}
    assert s["transport_errors"] == 1 and s["transport_error_samples"] == ["quote: ReadTimeout()"]


def _iso(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat()


def _answered(bid: str, t: int = 1_800_000_000) -> Booked:
    return Booked(bid, "offer-" + bid, "key-" + bid, 0, _iso(t), _iso(t + 600), _iso(t + 3600))


def _stored(b: Booked, **changes) -> SimpleNamespace:
    fields = {"status": BookingStatus.CONFIRMED, "offer_id": b.offer_id, "idempotency_key": b.key,
              "pickup_earliest": int(datetime.fromisoformat(b.pickup_earliest).timestamp()),
              "pickup_latest": int(datetime.fromisoformat(b.pickup_latest).timestamp()),
              "dropoff_latest": int(datetime.fromisoformat(b.dropoff_latest).timestamp())}
    return SimpleNamespace(**{**fields, **changes})


def test_answered_bookings_match_the_database():
    a, b = _answered("a"), _answered("b")
    assert answered_booking_problems({"a": _stored(a), "b": _stored(b)}, [a, b]) == []

    problems = answered_booking_problems({"a": _stored(a)}, [a, b])
    assert len(problems) == 1 and "1 answered bookings are not in the database" in problems[0]

    for change in ({"pickup_latest": _stored(b).pickup_latest + 60}, {"status": BookingStatus.CANCELLED},
                   {"idempotency_key": "other"}, {"offer_id": "other"}):
        problems = answered_booking_problems({"a": _stored(a), "b": _stored(b, **change)}, [a, b])
        assert problems == ["1 answered bookings differ in the database (status/window/offer/key), e.g. ['b']"]

    problems = answered_booking_problems({"a": _stored(a)}, [a, a])
    assert problems == ["1 booking ids were answered twice"]


def _booking(bid, vehicle, status=BookingStatus.CONFIRMED):
    return SimpleNamespace(booking_id=bid, vehicle_id=vehicle, status=status)


def _shift(shift_id, vehicle, *steps):
    return SimpleNamespace(shift_id=shift_id, vehicle_id=vehicle, route=[Step(b, StepKind(k)) for b, k in steps])


def test_route_problems_find_missing_doubled_and_misplaced_stops():
    active = {"a": _booking("a", 1), "b": _booking("b", 1, BookingStatus.ONBOARD)}
    good = _shift(10, 1, ("a", "pickup"), ("b", "dropoff"), ("a", "dropoff"))
    assert route_problems(active, [good]) == []

    onboard_picked_again = _shift(10, 1, ("a", "pickup"), ("b", "pickup"), ("b", "dropoff"), ("a", "dropoff"))
    assert route_problems(active, [onboard_picked_again]) == ["booking b planned 1 pickups / 1 drop-offs"]

    no_dropoff = _shift(10, 1, ("a", "pickup"), ("b", "dropoff"))
    assert route_problems(active, [no_dropoff]) == ["booking a planned 1 pickups / 0 drop-offs"]

    wrong_vehicle = _shift(11, 2, ("a", "pickup"), ("b", "dropoff"), ("a", "dropoff"))
    assert len(route_problems(active, [wrong_vehicle])) == 3

    unknown = _shift(10, 1, ("a", "pickup"), ("b", "dropoff"), ("a", "dropoff"), ("z", "dropoff"))
    assert route_problems(active, [unknown]) == ["shift 10 plans booking z, which is not active"]


def test_timed_lock_records_wait_and_hold_once_per_outermost_with():
    rec = Recorder()
    lock = TimedLock(rec)

    def book_now():
        with lock, lock:          # re-entered: still one hold
            time.sleep(0.02)

    book_now()
    names = [r[0] for r in rec.rows]
    assert names == ["lock_wait:book_now", "lock_hold:book_now"]
    assert rec.rows[1][2] >= 0.02

    holding, release = threading.Event(), threading.Event()

    def quote():
        with lock:
            holding.set()
            release.wait(5)

    t = threading.Thread(target=quote)
    t.start()
    holding.wait(5)
    threading.Timer(0.05, release.set).start()
    book_now()
    t.join()
    wait = [r for r in rec.rows[2:] if r[0] == "lock_wait:book_now"]
    assert len(wait) == 1 and wait[0][2] >= 0.04


def test_timing_summary_keeps_the_measured_window(tmp_path):
    path = tmp_path / "timing.json"
    rows = [("store_commit", 5.0, 0.001), ("store_commit", 15.0, 0.003), ("store_commit", 16.0, 0.005),
            ("lock_hold:quote", 12.0, 1.0), ("lock_hold:book_now", 13.0, 2.0), ("lock_wait:quote", 30.0, 9.0)]
    path.write_text(json.dumps(rows))
    s = timing_summary(path, 10.0, 20.0)
    assert s["store_commit"]["n"] == 2 and s["store_commit"]["mean_ms"] == 4.0
    assert "lock_wait:quote" not in s
    assert s["lock_held_share_of_wall"] == 0.3
