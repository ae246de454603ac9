"""Background re-optimisation: the live plan improved by the dispatch core's optimiser
(:func:`routing.darp.solver.solve`), applied only if it is cheaper, keeps every promised window and
nothing changed while it was searching."""

from __future__ import annotations

import dataclasses
import logging
import threading
from typing import ContextManager

from ride_pool.dispatch.domain import Booking, Event, EventKind, StepKind
from ride_pool.dispatch.journal import Journal
from ride_pool.dispatch.needs import fits
from ride_pool.dispatch.plans import LivePlans
from ride_pool.dispatch.store import Change
from routing.errors import RoutingInputError

log = logging.getLogger(__name__)


def moved_change(now: int, old: Booking, new: Booking, old_shift: int | None, new_shift: int,
                 cause: str = "optimiser") -> Event:
    """The ``booking_changed`` event of a booking moved to another vehicle without an operator (its
    promised window kept): by the optimiser, or by the connection guard (cause ``connection``)."""
    window = {"pickup_earliest": old.pickup_earliest, "pickup_latest": old.pickup_latest,
              "dropoff_latest": old.dropoff_latest}
    return Event(now, EventKind.BOOKING_CHANGED, cause, booking_id=old.booking_id, vehicle_id=new.vehicle_id,
                 shift_id=new_shift, rider_id=old.rider_id, data={
                     "change": "moved", "operator_id": None, "old_shift_id": old_shift, "new_shift_id": new_shift,
                     "old_vehicle_id": old.vehicle_id, "new_vehicle_id": new.vehicle_id, "old_window": window,
                     "new_window": window, "old_planned_pickup": old.planned_pickup,
                     "new_planned_pickup": old.planned_pickup})


class Optimiser:
    """Re-plans the live plans under the dispatcher's ``lock``, the search itself outside it."""

    def __init__(self, plans: LivePlans, journal: Journal, lock: ContextManager):
        self.plans = plans
        self.journal = journal
        self.lock = lock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: called after every background round (e.g. the connection guard's check)
        self.after_round: list = []

    def reoptimise(self, time_limit_s: float | None = None, seed: int = 0, use_ortools: bool = True) -> bool:
        """Improve the plans with the optimiser, keeping every promised window; True if applied."""
        # imported here: OR-Tools loads slowly, and a dispatcher that never re-optimises never needs it
        from routing.darp.checker import check_plan
        from routing.darp.solver import solve

        plans = self.plans
        with self.lock:
            now = built_at = self.journal.now()
            version = plans.version
            built = plans.live_problem(now)
        if built is None:
            return False
        problem, plan, shift_ids, requests = built
        before = plan.cost(problem)
        # pinned bookings, and bookings with a need some vehicle lacks (the core plans seats and
        # wheelchair places only), stay on their vehicle: the search never moves them, so its plans
        # are not thrown away for moving them
        features = plans.slot_features()
        fleet = [features[plans.vehicle_slot_of[sid]] for sid in shift_ids]
        in_plan = set(int(r) for r in plan.served_requests())
        keep = []
        for r, bid in enumerate(requests):
            b = plans.bookings.get(bid)     # None for a driver's planned break (it stays on its vehicle anyway)
            if b is not None and r in in_plan and (b.pinned or not all(fits(b.needs, f) for f in fleet)):
                keep.append(r)
        try:
            result = solve(problem, time_limit_s=time_limit_s or plans.rules.reoptimise_time_limit_s, seed=seed,
                           start=plan, use_ortools=use_ortools, keep_in_vehicle=keep)
        except (ValueError, RoutingInputError) as exc:   # e.g. a vehicle running late: plan kept as it is
            log.info("re-optimisation skipped: %s", exc)
            return False
        if result.status == "no_solution" or len(result.plan.served_requests()) != problem.request_count:
            return False
        after = result.plan.cost(problem)
        if after >= before:
            return False
        with self.lock:
            if plans.version != version:
                return False    # the plan changed meanwhile; the next round starts from the new one
            now = self.journal.now()
            if now != built_at:
                # time went on while solving: the new plan must still keep every promise now
                current = plans.live_problem(now)
                if current is None or current.shift_ids != shift_ids or current.booking_ids != requests \
                        or not check_plan(current.problem, result.plan).feasible:
                    log.info("re-optimisation discarded: its plan no longer fits at the current time")
                    return False
            new_codes = {plans.vehicle_slot_of[sid]: [2 * plans.request_slot_of[requests[c // 2]] + c % 2
                                                      for c in route]
                         for sid, route in zip(shift_ids, result.plan.routes)}
            moved_bookings, shifts, changed = [], [], []
            features = plans.slot_features()
            for v, codes in new_codes.items():
                if codes == plans.routes[v]:
                    continue
                shift = plans.shift_at(v)
                steps = plans.steps(codes)
                shifts.append(dataclasses.replace(shift, route=steps))
                for s in steps:
                    if s.kind is StepKind.BREAK:
                        continue
                    b = plans.bookings[s.booking_id]
                    if b.vehicle_id != shift.vehicle_id and s.kind is StepKind.DROPOFF:
                        if b.pinned:    # an operator pinned it to its vehicle: this plan is not taken
                            log.info("re-optimisation discarded: it moves pinned booking %s", b.booking_id)
                            return False
                        if b.needs and not fits(b.needs, features[v]):
                            # the core plans seats and wheelchair places only: a lift or a pushchair
                            # space is checked here, and a plan that breaks one is not taken
                            log.info("re-optimisation discarded: vehicle %s lacks what booking %s needs",
                                     shift.vehicle_id, b.booking_id)
                            return False
                        moved_bookings.append(dataclasses.replace(b, vehicle_id=shift.vehicle_id))
                        old_v = plans.vehicle_of(b)
                        changed.append(moved_change(now, b, moved_bookings[-1],
                                                    None if old_v is None else plans.shift_at(old_v).shift_id,
                                                    shift.shift_id))
            event = Event(now, EventKind.PLAN_REOPTIMISED, "background_optimiser", data={
                "cost_before": int(before), "cost_after": int(after), "vehicles_changed": len(shifts),
                "bookings_moved": [b.booking_id for b in moved_bookings]})
            self.journal.commit(Change(bookings=moved_bookings, shifts=shifts, events=[event] + changed))
            for b in moved_bookings:
                plans.bookings[b.booking_id] = b
            for v, codes in new_codes.items():
                if codes != plans.routes[v]:
                    plans.set_route(v, codes)
            self.journal.publish([event] + changed)
            return True

    def start_background(self) -> None:
        """Re-optimise every ``rules.reoptimise_every_s`` seconds in a daemon thread (the service)."""
        if self._thread is not None:
            return
        self._stop.clear()

        def loop():
            while not self._stop.wait(self.plans.rules.reoptimise_every_s):
                try:
                    self.reoptimise()
                except Exception:
                    log.exception("background re-optimisation failed")
                for hook in list(self.after_round):
                    try:
                        hook()
                    except Exception:
                        log.exception("after re-optimisation: %s failed", hook)

        self._thread = threading.Thread(target=loop, name=f"reoptimise-{self.plans.name}", daemon=True)
        self._thread.start()

    def stop_background(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
