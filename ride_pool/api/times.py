"""Times at the API's edge: ISO 8601 with the service area's offset outside, epoch seconds inside."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable
from zoneinfo import ZoneInfo

from ride_pool.dispatch.rules import ServiceRules


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

    def epoch(self, value: datetime | None) -> int | None:
        """Seconds since the epoch; a time without offset is local time of the service area."""
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.tz)
        return int(value.astimezone(timezone.utc).timestamp())
