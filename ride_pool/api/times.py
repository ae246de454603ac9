"""Times at the API's edge: ISO 8601 with the service area's offset outside, epoch seconds inside.

Every endpoint that takes a time (quotes, shifts, KPIs) converts it with :meth:`LocalTimes.epoch`,
so one rule decides for all of them what a time means:

- a time **with** an offset (``2027-03-28T02:30+01:00``, ``...Z``) is that instant, whatever the
  local clocks showed then;
- a time **without** an offset is a wall-clock time in the service area's time zone (its rules'
  ``timezone``), also when another time of the same request carries an offset (each time is
  converted on its own, then compared as instants);
- a wall-clock time the clocks skip (the spring change: in Europe/Berlin 2027-03-28 02:00-02:59
  does not exist) is refused with 422 ``nonexistent_local_time`` naming the first valid time
  after the gap (03:00) as ``suggestion``, instead of being moved silently;
- a wall-clock time that occurs twice (the autumn change: 2027-10-31 02:00-02:59 happens in
  summer time, then again in winter time) means the **earlier** one (summer time, ``fold=0``);
  send an offset (``+01:00``) for the later one.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable
from zoneinfo import ZoneInfo

from fastapi import HTTPException

from ride_pool.dispatch.rules import ServiceRules
from ride_pool.messages import Clock, Day, Field, msg


def _gap_end(value: datetime, tz: ZoneInfo) -> datetime:
    """The first existing local time after the gap ``value`` (naive, inside the gap) lies in."""
    before, after = value.replace(tzinfo=tz, fold=0).utcoffset(), value.replace(tzinfo=tz, fold=1).utcoffset()
    # the change happened between these two instants (both read ``value`` with one of the offsets)
    lo = (value - max(before, after)).replace(tzinfo=timezone.utc)
    hi = (value - min(before, after)).replace(tzinfo=timezone.utc)
    while hi - lo > timedelta(seconds=1):      # the first instant with the new offset
        mid = lo + (hi - lo) / 2
        if mid.astimezone(tz).utcoffset() == before:
            lo = mid
        else:
            hi = mid
    return hi.replace(microsecond=0).astimezone(tz)


def local_epoch(value: datetime, tz: ZoneInfo, field: str = "time") -> int:
    """Seconds since the epoch of ``value`` (see the module docstring for naive times, the
    spring gap and the autumn's repeated hour); ``field`` names the value in a refusal."""
    if value.tzinfo is None:
        local = value.replace(tzinfo=tz, fold=0)
        if local.astimezone(timezone.utc).astimezone(tz).replace(tzinfo=None) != value:
            valid = _gap_end(value, tz)
            raise HTTPException(422, detail={
                "code": "nonexistent_local_time", "field": field, "suggestion": valid.isoformat(),
                "message": msg("nonexistent_local_time", field=Field(field), at=Day(value), zone=tz.key,
                               valid=Clock(valid), valid_iso=valid.isoformat())})
        value = local
    return int(value.astimezone(timezone.utc).timestamp())


class LocalTimes:
    """Converts between epoch seconds and local times of the service area (its rules' time zone)."""

    def __init__(self, rules: Callable[[], ServiceRules]):
        self._rules = rules

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self._rules().timezone)

    def iso(self, t: int | None) -> datetime | None:
        if t is None:
            return None
        return datetime.fromtimestamp(int(t), self.tz)

    def epoch(self, value: datetime | None, field: str = "time") -> int | None:
        """Seconds since the epoch; a time without offset is local time of the service area (422
        ``nonexistent_local_time`` inside the spring gap; the earlier one in the autumn's repeated
        hour): :func:`local_epoch`."""
        if value is None:
            return None
        return local_epoch(value, self.tz, field)
