"""The weekly shift plan: templates (a vehicle's hours on a weekday, with a planned break) turned
into the shifts of the next weeks, and what each would be next to the shifts already planned."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ride_pool.dispatch.domain import VehicleShift
from ride_pool.messages import msg

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")
MAX_WEEKS = 8


class TemplateError(ValueError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def minutes(text: str | None, what: str) -> int | None:
    """``"HH:MM"`` as minutes after midnight (``"24:00"``: 1440); None stays None."""
    if text is None:
        return None
    if not isinstance(text, str) or not _HHMM.match(text):
        raise TemplateError(msg("template_time", what=what, got=repr(text)))
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def check_template(t: dict) -> None:
    """A template's fields fit together (else :class:`TemplateError` saying which)."""
    if not isinstance(t.get("weekday"), int) or not 0 <= t["weekday"] <= 6:
        raise TemplateError(msg("template_weekday"))
    start, end = minutes(t["start"], "start"), minutes(t["end"], "end")
    if end <= start:
        raise TemplateError(msg("template_order", start=t["start"], end=t["end"]))
    b = t.get("break_minutes") or 0
    e, la = minutes(t.get("break_start_earliest"), "break_start_earliest"), minutes(
        t.get("break_start_latest"), "break_start_latest")
    if b:
        if e is None or la is None or la < e or e < start or la + b > end:
            raise TemplateError(msg("break_incomplete") if e is None or la is None else msg(
                "template_order", start=t["break_start_earliest"], end=t["break_start_latest"]) if la < e else
                msg("template_order", start=t["start"], end=f"{t['break_start_latest']} + {b} min"))


@dataclass
class PlannedShift:
    """One shift the plan asks for: ``status`` "new" (not there yet), "exists" (a shift of the
    vehicle with these hours is planned: ``shift_id``), "clash" (another shift of the vehicle
    overlaps: ``shift_id``) or "past" (already begun)."""

    template_id: int
    vehicle_id: int
    day: date
    start: int
    end: int
    break_earliest: int | None
    break_latest: int | None
    break_s: int
    driver_id: int | None
    status: str = "new"
    shift_id: int | None = None


def _at(day: date, mins: int, tz: ZoneInfo) -> int:
    """Local ``day`` at ``mins`` minutes after midnight, in epoch seconds (wall-clock time)."""
    return int((datetime.combine(day, time(0)) + timedelta(minutes=mins)).replace(tzinfo=tz).timestamp())


def plan(templates: list[dict], shifts: list[VehicleShift], now: int, timezone: str, weeks: int) -> list[PlannedShift]:
    """The shifts ``templates`` ask for from today (local) for ``weeks`` weeks, each compared with
    the open ``shifts``; sorted by start."""
    if not 1 <= weeks <= MAX_WEEKS:
        raise TemplateError(msg("template_weeks"))
    tz = ZoneInfo(timezone)
    today = datetime.fromtimestamp(now, tz).date()
    out = []
    for k in range(7 * weeks):
        day = today + timedelta(days=k)
        for t in templates:
            if t["weekday"] != day.weekday():
                continue
            start, end = _at(day, minutes(t["start"], "start"), tz), _at(day, minutes(t["end"], "end"), tz)
            b = 60 * (t.get("break_minutes") or 0)
            p = PlannedShift(t["id"], t["vehicle_id"], day, start, end,
                             _at(day, minutes(t["break_start_earliest"], "b"), tz) if b else None,
                             _at(day, minutes(t["break_start_latest"], "b"), tz) if b else None, b, t.get("driver_id"))
            same = [s for s in shifts if s.vehicle_id == p.vehicle_id and not s.ended and s.start < end
                    and s.end > start]
            if start <= now:
                p.status = "past"
            if same:
                exact = [s for s in same if (s.start, s.end) == (start, end)]
                p.status, p.shift_id = ("exists", exact[0].shift_id) if exact else ("clash", same[0].shift_id)
            out.append(p)
    out.sort(key=lambda p: (p.start, p.vehicle_id))
    return out
