"""The fleet on shift: shifts put into service, started by their driver, handed to another driver,
re-timed and ended; and which shift a driver may start or is driving."""

from __future__ import annotations

import copy
import dataclasses

from ride_pool.dispatch.domain import Event, EventKind, Place, Step, StepKind, VehicleShift
from ride_pool.dispatch.errors import DispatchError, DispatchInputError, NotFound
from ride_pool.dispatch.journal import Journal
from ride_pool.dispatch.plans import LivePlans, break_id
from ride_pool.dispatch.report_times import (  # noqa: F401  (EARLY_START_S importable from here)
    EARLY_START_S,
    AlreadyReported,
    check_report_time,
    iso_of,
    received,
)
from ride_pool.dispatch.store import Change
from ride_pool.messages import Clock, Day, Duration, msg


class Fleet:
    """Shifts of the service area's vehicles, as the plans see them."""

    def __init__(self, plans: LivePlans, journal: Journal):
        self.plans = plans
        self.journal = journal

    def check_break(self, start: int, end: int, earliest: int | None, latest: int | None, break_s: int) -> None:
        """A break of ``break_s`` seconds beginning within [``earliest``, ``latest``] fits a shift
        ``start``-``end`` (else :class:`DispatchInputError` ``invalid_break``)."""
        if earliest is None and latest is None and not break_s:
            return
        local = self.plans.rules.local
        if earliest is None or latest is None or break_s <= 0:
            raise DispatchInputError(msg("break_incomplete"), code="invalid_break")
        if latest < earliest:
            raise DispatchInputError(msg("break_latest_before_earliest", latest=Clock(local(latest)),
                                         earliest=Clock(local(earliest))), code="invalid_break")
        if earliest < start or latest + break_s > end:
            raise DispatchInputError(msg("break_outside_shift", earliest=Clock(local(earliest)),
                                         latest=Clock(local(latest)), length=Duration(break_s),
                                         start=Clock(local(start)), end=Clock(local(end))), code="invalid_break")

    def add_shift(self, shift_id: int, vehicle_id: int, label: str, seats: int, wheelchair_places: int,
                  start: int, end: int, depot: Place, driver_id: int | None = None, *,
                  break_earliest: int | None = None, break_latest: int | None = None,
                  break_s: int = 0, break_place: Place | None = None) -> VehicleShift:
        """Put a vehicle shift into service (it can take bookings for its hours right away), with
        its planned break (``break_s`` seconds beginning within [``break_earliest``,
        ``break_latest``] at ``break_place``, default the depot; see :meth:`LivePlans.plan_break`)."""
        if shift_id in self.plans.shifts:
            raise DispatchError(msg("shift_exists", shift_id=shift_id))
        if seats < 0 or wheelchair_places < 0 or seats + wheelchair_places == 0:
            raise DispatchInputError(msg("vehicle_needs_places"))
        if end <= start:
            raise DispatchInputError(msg("shift_end_before_start"))
        self.check_break(start, end, break_earliest, break_latest, break_s)
        shift = VehicleShift(shift_id=shift_id, vehicle_id=vehicle_id, label=label, seats=seats,
                             wheelchair_places=wheelchair_places, start=int(start), end=int(end), depot=depot,
                             anchor_node=depot.node, anchor_time=int(start), driver_id=driver_id,
                             break_earliest=None if not break_s else int(break_earliest),
                             break_latest=None if not break_s else int(break_latest), break_s=int(break_s or 0),
                             break_place=break_place if break_s else None)
        if shift.has_break:
            shift.route = [Step(break_id(shift_id), StepKind.BREAK)]
        data = {"start": int(start), "end": int(end), "seats": seats, "wheelchair_places": wheelchair_places}
        if shift.has_break:
            data.update(break_earliest=shift.break_earliest, break_latest=shift.break_latest, break_s=shift.break_s)
        event = Event(self.journal.now(), EventKind.SHIFT_ADDED, "operator", vehicle_id=vehicle_id,
                      shift_id=shift_id, data=data)
        self.journal.commit(Change(shifts=[shift], events=[event]))
        live = copy.deepcopy(shift)
        live.route = []
        self.plans.install_shift(live)
        self.plans.plan_break(live)
        self.journal.publish([event])
        return shift

    def start_shift(self, shift_id: int, driver_id: int | None = None, at: int | None = None) -> VehicleShift:
        """The shift starts (its driver, if given, becomes the shift's driver) ``at`` (the reported
        time; default now). A driver drives one shift at a time: refused
        (``driver_has_running_shift``) while another shift of theirs runs. Started already by the
        same driver: 409 ``already_reported``."""
        shift = self.plans.shift(shift_id)
        if shift.ended:
            raise DispatchError(msg("shift_ended", shift_id=shift_id))
        if shift.started and (driver_id is None or driver_id == shift.driver_id):
            raise AlreadyReported(msg("shift_started_already", shift_id=shift_id),
                                  state={"shift_id": shift_id, "started": True, "ended": False,
                                         "started_at": iso_of(self.plans, shift.started_at)})
        now = self.journal.now()
        when = check_report_time(self.plans, shift, at, now, not_before=shift.start - EARLY_START_S)
        new = dataclasses.replace(shift, started=True, started_at=when, driver_id=driver_id if driver_id is not None
                                  else shift.driver_id)
        running = self.running_shift_of(new.driver_id, besides=shift_id)
        if running is not None:
            local = self.plans.rules.local
            raise DispatchError(
                msg("driver_has_running_shift", running=running.shift_id, label=running.label,
                    start=Clock(local(running.start)), end=Clock(local(running.end)), shift_id=shift_id),
                code="driver_has_running_shift")
        event = Event(when, EventKind.SHIFT_STARTED, "driver", vehicle_id=shift.vehicle_id, shift_id=shift_id,
                      data=received({"start": shift.start, "end": shift.end, "driver_id": new.driver_id}, when, now))
        self.journal.commit(Change(shifts=[new], events=[event]))
        shift.started, shift.driver_id, shift.started_at = True, new.driver_id, when
        self.journal.publish([event])
        return shift

    def end_shift(self, shift_id: int, cause: str = "driver", at: int | None = None) -> VehicleShift:
        """End a shift ``at`` (the reported time; default now); refused while it still has planned
        stops (a break not taken is dropped)."""
        shift = self.plans.shift(shift_id)
        if shift.ended:
            return shift
        stops = self.plans.booking_steps(shift)
        if stops:
            raise DispatchError(msg("shift_has_planned_stops", shift_id=shift_id, stops=len(stops)))
        now = self.journal.now()
        started = shift.started_at if shift.started_at is not None else shift.start - EARLY_START_S
        when = check_report_time(self.plans, shift, at, now, not_before=max(
            [started, shift.break_started_at or started, shift.break_ended_at or started]))
        new = dataclasses.replace(shift, ended=True, ended_at=when, route=[])
        data = {"start": shift.start, "end": shift.end, "ended_at": when, "started_at": shift.start}
        event = Event(when, EventKind.SHIFT_ENDED, cause, vehicle_id=shift.vehicle_id, shift_id=shift_id,
                      data=received(data, when, now) if cause == "driver" else data)
        self.journal.commit(Change(shifts=[new], events=[event]))
        self.plans.drop_break(shift)
        shift.ended, shift.ended_at = True, when
        self.plans.set_vehicle_arrays(self.plans.vehicle_slot_of[shift_id], shift)
        self.plans.touch()
        self.journal.publish([event])
        return shift

    # ------------------------------------------------------------------ drivers
    def shifts_for_driver(self, driver_id: int) -> list[VehicleShift]:
        """Shifts this driver can start now (not started by someone else, not ended), and their own."""
        now = self.journal.now()
        return [s for s in sorted(self.plans.shifts.values(), key=lambda s: (s.start, s.shift_id))
                if not s.ended and s.end > now and (s.driver_id == driver_id or (
                    not s.started and s.driver_id is None and s.start - EARLY_START_S <= now))]

    def running_shift_of(self, driver_id: int | None, besides: int | None = None) -> VehicleShift | None:
        """The started, not ended shift ``driver_id`` drives other than shift ``besides`` (None if
        there is none, or no driver is given)."""
        if driver_id is None:
            return None
        return next((s for s in self.plans.shifts.values() if s.driver_id == driver_id and s.started
                     and not s.ended and s.shift_id != besides), None)

    def driver_shift(self, driver_id: int) -> VehicleShift:
        """The started, not ended shift this driver drives (the earliest if several)."""
        mine = [s for s in self.plans.shifts.values() if s.driver_id == driver_id and s.started and not s.ended]
        if not mine:
            raise NotFound(msg("no_shift"),
                           code="no_shift")
        return min(mine, key=lambda s: s.start)

    def end_for_driver(self, driver_id: int, at: int | None = None) -> VehicleShift:
        """The driver ends their running shift; with none running but one they ended within the
        rule ``report_max_age_s``: 409 ``already_reported``."""
        running = [s for s in self.plans.shifts.values() if s.driver_id == driver_id and s.started and not s.ended]
        if not running:
            now = self.journal.now()
            ended = [s for s in self.plans.shifts.values() if s.driver_id == driver_id and s.ended
                     and s.ended_at is not None and s.ended_at >= now - self.plans.rules.report_max_age_s]
            if ended:
                last = max(ended, key=lambda s: s.ended_at)
                raise AlreadyReported(msg("shift_ended_already", shift_id=last.shift_id),
                                      state={"shift_id": last.shift_id, "started": True, "ended": True,
                                             "ended_at": iso_of(self.plans, last.ended_at)})
        return self.end_shift(self.driver_shift(driver_id).shift_id, "driver", at)

    def start_for_driver(self, driver_id: int, *, shift_id: int | None = None, vehicle_id: int | None = None,
                         as_operator: bool = False, at: int | None = None) -> VehicleShift:
        """A driver starts a shift: by ``shift_id``, or the shift of ``vehicle_id`` running now. At
        most :data:`EARLY_START_S` early, not once over, and not a shift planned for another driver
        (an operator may start any)."""
        now = self.journal.now()
        if shift_id is not None:
            shift = self.plans.shifts.get(shift_id)
            if shift is None:
                raise NotFound(msg("shift_unknown", shift_id=shift_id))
        else:
            candidates = [s for s in self.plans.shifts.values() if s.vehicle_id == vehicle_id and not s.ended
                          and s.start - EARLY_START_S <= now < s.end]
            if not candidates:
                raise NotFound(msg("no_shift_for_vehicle", vehicle_id=vehicle_id),
                               code="no_shift")
            shift = min(candidates, key=lambda s: s.start)
        if shift.ended or shift.end <= now:
            raise DispatchError(msg("shift_over", shift_id=shift.shift_id), code="shift_over")
        if shift.start - EARLY_START_S > now:
            raise DispatchError(msg("too_early", shift_id=shift.shift_id,
                                    start=Clock(self.plans.rules.local(shift.start))), code="too_early")
        if shift.driver_id is not None and shift.driver_id != driver_id and not as_operator:
            if shift.started:
                raise DispatchError(msg("taken", shift_id=shift.shift_id), code="taken")
            raise DispatchError(msg("assigned_to_another_driver", shift_id=shift.shift_id, label=shift.label),
                                code="assigned_to_another_driver")
        return self.start_shift(shift.shift_id, driver_id=driver_id, at=at)

    # ------------------------------------------------------------------ operator changes
    def changeable_shift(self, shift_id: int) -> VehicleShift:
        """The shift, if an operator may still change it: open and not started."""
        shift = self.plans.shifts.get(shift_id)
        if shift is None or shift.ended:
            raise NotFound(msg("open_shift_unknown", shift_id=shift_id))
        if shift.started:
            raise DispatchError(msg("shift_started", shift_id=shift_id, label=shift.label), code="shift_started")
        return shift

    def assign_driver(self, shift_id: int, driver_id: int | None, cause: str = "operator") -> VehicleShift:
        """Plan ``driver_id`` (None: nobody) to drive a shift that has not started."""
        shift = self.changeable_shift(shift_id)
        if shift.driver_id == driver_id:
            return shift
        new = dataclasses.replace(shift, driver_id=driver_id)
        event = Event(self.journal.now(), EventKind.SHIFT_DRIVER_ASSIGNED, cause, vehicle_id=shift.vehicle_id,
                      shift_id=shift_id, data={"driver_id": driver_id, "previous_driver_id": shift.driver_id})
        self.journal.commit(Change(shifts=[new], events=[event]))
        shift.driver_id = driver_id
        self.journal.publish([event])
        return shift

    def _check_span(self, start: int, end: int) -> None:
        if end <= start:
            local = self.plans.rules.local
            raise DispatchInputError(msg("shift_end_not_after_start", start=Day(local(start)),
                                         end=Day(local(end))))
        if end <= self.journal.now():
            raise DispatchInputError(msg("shift_end_in_past"))

    def _check_no_clash(self, vehicle_id: int, label: str, start: int, end: int, replacing: int | None) -> None:
        clash = sorted((s for s in self.plans.shifts.values() if s.vehicle_id == vehicle_id and not s.ended
                        and s.shift_id != replacing and s.start < end and s.end > start), key=lambda s: s.start)
        if clash:
            local = self.plans.rules.local
            raise DispatchError(msg("shift_clash", label=label, shift_id=clash[0].shift_id,
                                    start=Clock(local(clash[0].start)), end=Clock(local(clash[0].end))))

    def check_shift_times(self, vehicle_id: int, label: str, start: int, end: int) -> None:
        """A new shift of vehicle ``vehicle_id`` may run ``start``-``end``: it ends after it starts
        and in the future, and overlaps no other open shift of the vehicle."""
        self._check_span(start, end)
        self._check_no_clash(vehicle_id, label, start, end, replacing=None)

    def check_new_times(self, shift_id: int, start: int, end: int) -> VehicleShift:
        """The shift, if it may move to ``start``-``end``: not started, a valid span, no planned
        stops, and no overlap with the vehicle's other open shifts."""
        shift = self.changeable_shift(shift_id)
        self._check_span(start, end)
        stops = self.plans.booking_steps(shift)
        if stops:
            raise DispatchError(msg("shift_has_stops", shift_id=shift_id, stops=len(stops)),
                                code="shift_has_stops")
        self._check_no_clash(shift.vehicle_id, shift.label, start, end, replacing=shift_id)
        return shift
