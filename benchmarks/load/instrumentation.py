"""Server-side timing for ``--instrument``: the dispatcher's lock (wait and hold, by dispatcher method),
the store's commits and the API's database reads.

:func:`install` runs inside the server process (see :mod:`.server_main`); each timed call adds a row
(name, wall time at the end, seconds) and :func:`dump` writes the rows as JSON when the server exits.
:func:`timing_summary` reads them back in the benchmark process.
"""

from __future__ import annotations

import functools
import inspect
import json
import statistics
import threading
import time
from pathlib import Path

from .stats import percentile

ENV_VAR = "RIDE_POOL_BENCH_INSTRUMENT"   # path of the JSON file the server writes at exit


class Recorder:
    """Timed rows ``(name, wall time at the end, seconds)``; appending to a list is thread-safe."""

    def __init__(self):
        self.rows: list[tuple[str, float, float]] = []

    def add(self, name: str, t0: float) -> None:
        """Record ``name`` as started at ``t0`` (``perf_counter``) and ending now."""
        self.rows.append((name, time.time(), time.perf_counter() - t0))

    def dump(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.rows))


class TimedLock:
    """Re-entrant lock that records, per outermost ``with``, how long the caller waited for it
    (``lock_wait:<method>``) and held it (``lock_hold:<method>``); ``<method>`` is the function
    that entered the ``with``."""

    def __init__(self, recorder: Recorder):
        self._lock = threading.RLock()
        self._local = threading.local()
        self._recorder = recorder

    def __enter__(self):
        t0 = time.perf_counter()
        self._lock.acquire()
        depth = getattr(self._local, "depth", 0)
        if depth == 0:
            caller = inspect.currentframe().f_back
            op = caller.f_code.co_name if caller is not None else "?"
            self._recorder.add("lock_wait:" + op, t0)
            self._local.since, self._local.op = time.perf_counter(), op
        self._local.depth = depth + 1
        return self

    def __exit__(self, *exc):
        self._local.depth -= 1
        if self._local.depth == 0:
            self._recorder.add("lock_hold:" + self._local.op, self._local.since)
        self._lock.release()
        return False


def time_method(cls, name: str, label: str, recorder: Recorder) -> None:
    """Replace ``cls.name`` by a wrapper that records each call's duration as ``label``."""
    method = getattr(cls, name)

    @functools.wraps(method)
    def timed(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            recorder.add(label, t0)
    setattr(cls, name, timed)


def install(recorder: Recorder) -> None:
    """Time the dispatcher's lock (every dispatcher gets a :class:`TimedLock` through its ``lock=``
    argument), ``SqlStore.commit`` and the repository's per-request reads."""
    from ride_pool.db.repository import Repository
    from ride_pool.db.store import SqlStore
    from ride_pool.dispatch.dispatcher import Dispatcher

    init = Dispatcher.__init__

    @functools.wraps(init)
    def init_with_timed_lock(self, *args, **kwargs):
        kwargs.setdefault("lock", TimedLock(recorder))
        init(self, *args, **kwargs)
    Dispatcher.__init__ = init_with_timed_lock

    time_method(SqlStore, "commit", "store_commit", recorder)
    time_method(SqlStore, "find_booking", "db_read:idempotency", recorder)
    for name, label in (("get_stop", "db_read:get_stop"), ("stop_info", "db_read:stop_info")):
        if hasattr(Repository, name):
            time_method(Repository, name, label, recorder)


def timing_summary(path: Path, t_from: float, t_to: float) -> dict:
    """Per timed name: count, total seconds, mean/p50/p95 ms within the wall window."""
    rows = [r for r in json.loads(Path(path).read_text()) if t_from <= r[1] <= t_to]
    out = {}
    for name in sorted({r[0] for r in rows}):
        d = [r[2] * 1000 for r in rows if r[0] == name]
        out[name] = {"n": len(d), "total_s": round(sum(d) / 1000, 2), "mean_ms": round(statistics.fmean(d), 3),
                     "p50_ms": round(percentile(d, 50), 3), "p95_ms": round(percentile(d, 95), 3)}
    held = sum(v["total_s"] for k, v in out.items() if k.startswith("lock_hold:"))
    out["lock_held_share_of_wall"] = round(held / (t_to - t_from), 3)
    return out
