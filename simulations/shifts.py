"""Driver shifts as an operator plans them: templates with start, end and breaks, per vehicle group.

A **shift plan** is a list of vehicle groups; each group has a share (or a fixed number) of the
fleet and the driver shifts its vehicles run one after the other in a day (e.g. an early and a
late shift, handed over at the depot). A shift has a start and an end (the driver's paid times,
signing on and off at the depot) and unpaid breaks.

The dispatcher does not plan breaks yet, so a break is modelled as a **gap**: the shift is cut
into parts at its breaks, and each part is one dispatcher shift of the vehicle that starts and
ends at its depot (the driver takes the break at the depot; the vehicle is off duty meanwhile).
The dispatcher plans every part to be back at the depot by the part's end; the simulated vehicle
stops taking new work ``return_margin_s`` (30 min) before a part's end and drives home once its
route is done.

File format (``--shifts FILE``, JSON)::

    {"groups": [
      {"vehicles": "50%", "shifts": [
         {"name": "early A", "start": "04:30", "end": "13:00", "breaks": [["09:00", "09:30"]]},
         {"name": "late A", "start": "13:00", "end": "21:30", "breaks": [["17:00", "17:30"]]}]},
      {"vehicles": "50%", "shifts": [...]}]}

``vehicles`` is a share of the fleet ("50%" or 0.5) or a whole number of vehicles (a JSON
integer ≥ 1); fixed numbers are taken first, the rest of the fleet is shared out by the shares
(largest remainder, vehicle by vehicle, so the groups interleave across depots). Times are local
``HH:MM`` (up to ``30:00`` for after midnight).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from simulations.errors import SimulationInputError

_TIME = re.compile(r"^(\d{1,2}):([0-5]\d)$")


def _clock(text, where: str) -> int:
    m = _TIME.match(str(text).strip())
    if not m or int(m.group(1)) > 30:
        raise SimulationInputError(f"{where}: {text!r} is not a time; write HH:MM (00:00..30:00)")
    return int(m.group(1)) * 3600 + int(m.group(2)) * 60


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


@dataclass(frozen=True)
class ShiftTemplate:
    """One driver shift: seconds since local midnight; breaks are (start, end) inside the shift."""

    name: str
    start: int
    end: int
    breaks: tuple[tuple[int, int], ...] = ()

    @property
    def paid_s(self) -> int:
        return self.end - self.start - sum(b - a for a, b in self.breaks)

    def parts(self) -> list[tuple[int, int]]:
        """The on-duty parts between the breaks."""
        out, begin = [], self.start
        for a, b in self.breaks:
            out.append((begin, a))
            begin = b
        out.append((begin, self.end))
        return out

    def describe(self) -> str:
        pauses = ", ".join(f"{_hhmm(a)}–{_hhmm(b)}" for a, b in self.breaks)
        return f"{self.name} {_hhmm(self.start)}–{_hhmm(self.end)}" + (f" (break {pauses})" if pauses else "")


@dataclass(frozen=True)
class VehicleGroup:
    """Vehicles that run the same sequence of driver shifts; ``share`` of the fleet or ``count``."""

    shifts: tuple[ShiftTemplate, ...]
    share: float | None = None
    count: int | None = None


@dataclass(frozen=True)
class ShiftPlanConfig:
    groups: tuple[VehicleGroup, ...]
    #: the vehicle takes no new work this long before a part's end and heads home when its route is done
    return_margin_s: int = 1800
    source: str = "default: staggered early and late shifts"

    def describe(self) -> str:
        out = []
        for g in self.groups:
            amount = f"{g.count} vehicle(s)" if g.count is not None else f"{g.share:.0%} of the vehicles"
            out.append(f"{amount}: " + "; ".join(s.describe() for s in g.shifts))
        return " | ".join(out)

    def vehicle_groups(self, fleet: int) -> list[int]:
        """Group index of each of ``fleet`` vehicles."""
        fixed = sum(g.count or 0 for g in self.groups)
        if fixed > fleet:
            raise SimulationInputError(f"shift plan ({self.source}) names {fixed} vehicles by number, more than "
                                       f"the fleet of {fleet}")
        counts = [g.count or 0 for g in self.groups]
        out = []
        for i, g in enumerate(self.groups):
            out.extend([i] * (g.count or 0))
        shared = [i for i, g in enumerate(self.groups) if g.share is not None]
        if fleet > fixed and not shared:
            raise SimulationInputError(f"shift plan ({self.source}) gives work to {fixed} vehicles only; give a "
                                       f"group a share (e.g. \"vehicles\": \"100%\") for the rest of the fleet of "
                                       f"{fleet}")
        total_share = sum(self.groups[i].share for i in shared) or 1.0
        got = {i: 0 for i in shared}
        for _ in range(fleet - fixed):
            best = max(shared, key=lambda i: (self.groups[i].share / total_share / (got[i] + 1), -i))
            got[best] += 1
            out.append(best)
        del counts
        return out

    def on_duty_seconds(self, fleet: int, start: int, end: int) -> float:
        """Vehicle-seconds on duty (not on a break) between ``start`` and ``end`` (seconds since midnight)."""
        total = 0.0
        for g in self.vehicle_groups(fleet):
            for shift in self.groups[g].shifts:
                for a, b in shift.parts():
                    total += max(0, min(b, end) - max(a, start))
        return total


def default_shift_plan(open_s: int, close_s: int, lead_s: int = 1800, overrun_s: int = 1800) -> ShiftPlanConfig:
    """Staggered early and late shifts covering the operating hours (half the fleet each pattern).

    Pattern A starts ``lead_s`` before opening, pattern B 1.5 h later; pattern B's late shift ends
    ``overrun_s`` after closing, pattern A's 1.5 h earlier, so the quiet first and last hours are
    covered by half the fleet. Each day of a vehicle is split into an early and a late shift of
    equal length handed over at the depot; each shift longer than 6 h has a 30 min break in its
    middle (ArbZG § 4: 30 min beyond 6 h, 45 min beyond 9 h of work).
    """
    stagger = 5400
    a_start, b_end = open_s - lead_s, close_s + overrun_s
    a_end, b_start = b_end - stagger, a_start + stagger

    def pattern(start, end, label):
        mid = start + (end - start) // 2
        mid -= mid % 900
        shifts = []
        for name, s, e in ((f"early {label}", start, mid), (f"late {label}", mid, end)):
            length = e - s
            breaks = ()
            if length > 6 * 3600:
                pause = 2700 if length - 1800 > 9 * 3600 else 1800
                b0 = s + length // 2
                b0 -= b0 % 900
                breaks = ((b0, b0 + pause),)
            shifts.append(ShiftTemplate(name, s, e, breaks))
        return tuple(shifts)

    if a_end - a_start < 4 * 3600:      # a short service day: one shift per vehicle
        return ShiftPlanConfig((VehicleGroup((ShiftTemplate("day", a_start, b_end),), share=1.0),))
    return ShiftPlanConfig((VehicleGroup(pattern(a_start, a_end, "A"), share=0.5),
                            VehicleGroup(pattern(b_start, b_end, "B"), share=0.5)))


def single_shift_plan(open_s: int, close_s: int, lead_s: int = 1800, overrun_s: int = 3600) -> ShiftPlanConfig:
    """One shift per vehicle over the whole operating day (the simulator's plan before shift plans)."""
    return ShiftPlanConfig((VehicleGroup((ShiftTemplate("day", open_s - lead_s, close_s + overrun_s),),
                                         share=1.0),), return_margin_s=overrun_s,
                           source="one shift per vehicle over the operating hours")


def _share(value, where: str) -> tuple[float | None, int | None]:
    if isinstance(value, bool):
        raise SimulationInputError(f"{where}: vehicles must be a share (\"50%\" or 0.5) or a number of vehicles")
    if isinstance(value, int) and value >= 1:
        return None, value
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            value = float(value.strip()[:-1]) / 100.0
        except ValueError:
            raise SimulationInputError(f"{where}: {value!r} is not a percentage") from None
    if isinstance(value, (int, float)) and 0 < value <= 1:
        return float(value), None
    raise SimulationInputError(f"{where}: vehicles must be a share in (0, 1] (\"50%\" or 0.5) or a whole number "
                               f"of vehicles ≥ 1, got {value!r}")


def parse_shift_plan(data, source: str = "shift plan") -> ShiftPlanConfig:
    """A :class:`ShiftPlanConfig` from the JSON structure described in the module docstring."""
    if not isinstance(data, dict) or not isinstance(data.get("groups"), list) or not data["groups"]:
        raise SimulationInputError(f"{source}: expected {{\"groups\": [{{\"vehicles\": \"50%\", \"shifts\": "
                                   f"[{{\"name\", \"start\", \"end\", \"breaks\"}}]}}]}}")
    groups = []
    for gi, g in enumerate(data["groups"], start=1):
        where = f"{source}, group {gi}"
        if not isinstance(g, dict) or not isinstance(g.get("shifts"), list) or not g["shifts"]:
            raise SimulationInputError(f"{where}: needs \"vehicles\" and a non-empty \"shifts\" list")
        share, count = _share(g.get("vehicles", "100%"), where)
        shifts, previous_end = [], None
        for si, s in enumerate(g["shifts"], start=1):
            w = f"{where}, shift {si}"
            if not isinstance(s, dict) or "start" not in s or "end" not in s:
                raise SimulationInputError(f"{w}: needs \"start\" and \"end\" (HH:MM)")
            start, end = _clock(s["start"], w), _clock(s["end"], w)
            if end <= start:
                raise SimulationInputError(f"{w}: ends ({s['end']}) before it starts ({s['start']})")
            if previous_end is not None and start < previous_end:
                raise SimulationInputError(f"{w}: starts at {s['start']}, before the group's previous shift ends "
                                           f"({_hhmm(previous_end)}); a vehicle runs one shift at a time")
            breaks = []
            for raw in s.get("breaks") or []:
                if not (isinstance(raw, (list, tuple)) and len(raw) == 2):
                    raise SimulationInputError(f"{w}: a break is [\"HH:MM\", \"HH:MM\"]")
                a, b = _clock(raw[0], w), _clock(raw[1], w)
                if not start < a < b < end or (breaks and a < breaks[-1][1]):
                    raise SimulationInputError(f"{w}: break {raw[0]}–{raw[1]} must lie inside the shift, after "
                                               "the previous break")
                breaks.append((a, b))
            shifts.append(ShiftTemplate(str(s.get("name") or f"shift {gi}.{si}"), start, end, tuple(breaks)))
            previous_end = end
        groups.append(VehicleGroup(tuple(shifts), share, count))
    margin = data.get("return_margin_min", 30)
    if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not 0 <= margin <= 180:
        raise SimulationInputError(f"{source}: return_margin_min must be minutes between 0 and 180")
    return ShiftPlanConfig(tuple(groups), int(margin * 60), source=source)


def read_shift_plan(path: str | Path) -> ShiftPlanConfig:
    path = Path(path)
    if not path.is_file():
        raise SimulationInputError(f"{path}: no such shift file")
    try:
        data = json.loads(path.read_text("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SimulationInputError(f"{path}: not a JSON shift plan ({exc})") from None
    return parse_shift_plan(data, str(path))


__all__ = ["ShiftTemplate", "VehicleGroup", "ShiftPlanConfig", "default_shift_plan", "single_shift_plan",
           "parse_shift_plan", "read_shift_plan"]
