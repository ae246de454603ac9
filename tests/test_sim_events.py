"""The discrete-event core: ordering by (time, priority, sequence), cancelling, the clock, and
bit-for-bit determinism of seeded agendas."""

from __future__ import annotations

import numpy as np
import pytest

from simulations.events import EventLoop, EventLoopError


def test_calls_run_in_time_then_priority_then_scheduling_order():
    loop = EventLoop(start=100)
    seen = []
    loop.at(200, lambda: seen.append("b"), priority=5)
    loop.at(150, lambda: seen.append("a"))
    loop.at(200, lambda: seen.append("c"), priority=5)
    loop.at(200, lambda: seen.append("first at 200"), priority=1)
    loop.after(0, lambda: seen.append("now"))
    assert loop.run() == 5
    assert seen == ["now", "a", "first at 200", "b", "c"]
    assert loop.now == 200 and loop.clock() == 200


def test_callbacks_can_schedule_and_cancel():
    loop = EventLoop()
    seen = []

    def first():
        seen.append(("first", loop.now))
        loop.after(10, lambda: seen.append(("child", loop.now)))
        doomed.cancel()

    loop.at(5, first)
    doomed = loop.at(6, lambda: seen.append(("doomed", loop.now)))
    loop.cancel(None)   # a no-op
    assert loop.pending() == 2
    loop.run()
    assert seen == [("first", 5), ("child", 15)]
    assert loop.next_time() is None and loop.pending() == 0


def test_run_until_stops_and_sets_the_clock():
    loop = EventLoop()
    seen = []
    for t in (10, 20, 30):
        loop.at(t, lambda t=t: seen.append(t))
    assert loop.run(until=25) == 2 and loop.now == 25 and seen == [10, 20]
    assert loop.next_time() == 30
    loop.run()
    assert seen == [10, 20, 30]


def test_bad_use_is_refused():
    loop = EventLoop(start=50)
    with pytest.raises(EventLoopError, match="before the current time"):
        loop.at(49, lambda: None)
    with pytest.raises(EventLoopError, match="negative"):
        loop.after(-1, lambda: None)
    loop.at(60, lambda: loop.run())
    with pytest.raises(EventLoopError, match="already running"):
        loop.run()


def _seeded_agenda(seed: int) -> list[tuple[int, int, float]]:
    """Agents that reschedule themselves at random times with many ties; returns the call trace."""
    rng = np.random.default_rng(seed)
    loop = EventLoop()
    trace = []

    def agent(k):
        trace.append((loop.now, k, float(rng.random())))
        if len(trace) < 2000:
            loop.after(int(rng.integers(0, 5)), lambda: agent(k), priority=int(rng.integers(0, 3)))

    for k in range(20):
        loop.at(int(rng.integers(0, 3)), lambda k=k: agent(k))
    loop.run()
    return trace


def test_same_seed_same_trace_bit_for_bit():
    a, b = _seeded_agenda(7), _seeded_agenda(7)
    assert a == b and len(a) >= 2000
    assert _seeded_agenda(8) != a
