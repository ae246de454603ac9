"""Ruin-and-recreate around the insertion kernel (adaptive large neighbourhood search).

Each iteration removes a few requests (random, worst-placed, Shaw-related in space and time, or a
whole route) and puts them back with greedy, noisy greedy, regret-2 or regret-3 insertion; the
operators are drawn by adaptive weights that follow how often each found a new best, a better or a
new accepted plan (Ropke & Pisinger 2006). The whole recreate step is one numba call
(:mod:`routing.darp.recreate`) around the insertion kernel, so every plan it visits keeps every
constraint by construction. Acceptance follows simulated annealing with a temperature that falls
with the time used; the best plan seen is returned. Parameters are the same for every instance.

The current plan lives in route arrays and the ruin step is numba too (:mod:`routing.darp.ruin`),
so an iteration is a few kernel calls. Without a fixed cost per vehicle (the DARP, the live
dispatcher), after each recreate step a descent swaps route tails where both vehicles are empty
(2-opt*, :mod:`routing.darp.tail_exchange`): one request at a time, ruin-and-recreate rarely finds
those moves, and on the Cordeau a-set they cut the gap to the optimum to a third. When vehicles
have a fixed cost (Li & Lim: fewest vehicles first), the search runs in three phases, each with its
own cooling: distance alone with vehicles free, the request bank to empty routes, then distance at
the vehicle count reached.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from routing.darp.insertion import NewRequest, batch_insertions, insert_into_route
from routing.darp.problem import MUST_SERVE, DarpProblem, Plan
from routing.darp.recreate import problem_arrays, recreate_kernel
from routing.darp.ruin import remove_requests, route_totals, served_free, shaw_pick, worst_pick
from routing.darp.snapshot import build_snapshots
from routing.darp.tail_exchange import tail_exchange_descent

#: Simulated annealing starts out accepting a plan this much (relative) worse with probability 1/2.
START_WORSENING = 0.01
#: Iterations without a new best plan after which the search goes back to the best plan (off:
#: restarting every 400 idle iterations did worse on the a-set once iterations got cheap).
RESTART_AFTER = 10**9
#: What an unserved must-serve request costs while searching, so any plan that places it wins.
_UNSERVED_MUST = 10**15
#: Removal operators (chosen by adaptive weights) and insertion operators as (regret k, noise).
REMOVALS = ("random", "related", "worst", "route")
INSERTIONS = ((0, 0.0), (0, 0.1), (2, 0.0), (2, 0.1), (3, 0.0))
#: Adaptive weights: scores for a new best / better than current / accepted new plan, the reaction
#: factor, the segment length in iterations and the least weight (no operator dies out).
SCORE_BEST, SCORE_BETTER, SCORE_ACCEPTED = 33.0, 9.0, 13.0
REACTION = 0.1
SEGMENT = 100
MIN_WEIGHT = 0.05
#: Iterations a plan with must-serve requests in the bank may stay current (vehicle minimisation),
#: and the share of the search time one such attempt may take at most.
BANK_PATIENCE = 2000
BANK_ATTEMPT_SHARE = 0.1
#: Phases when vehicles have a fixed cost, as the share of the search (time or iterations) at which
#: each ends: distance alone with vehicles free ("spread"), then the request bank, then distance at
#: the vehicle count reached. With the bank alone until the end, Li & Lim's wide-window instances
#: ended 27-38 % above the best-known distance; from the bank's plans, distance search stayed 26 %
#: above on lrc203, where distance alone with vehicles free finds the best-known plan.
SPREAD_END = 0.3
BANK_END = 0.6
#: Largest number of requests removed per iteration: this share of the requests, at most the cap.
Q_MAX_SHARE = 0.35
Q_MAX_CAP = 40
#: Most tail exchanges (:mod:`routing.darp.tail_exchange`) made on one recreated plan; a bound only
#: (on the a-set a descent makes about two). The descent runs only when vehicles have no fixed cost:
#: on Li & Lim (fewest vehicles first) it cost a third of the spread phase's iterations on lrc203,
#: and at 30 s lrc203 reached its best-known plan in 2-3 of seeds 0-4 with it, 4 of 5 without.
TAIL_EXCHANGE_MOVES = 1000


@dataclass
class LnsStats:
    iterations: int = 0
    improvements: int = 0
    accepted: int = 0
    seconds_to_best: float = 0.0
    #: seconds until the search first held a plan serving every must-serve request (0: it started
    #: with one; None: never)
    seconds_to_complete: float | None = None
    #: tail exchanges made by the descent after each recreate step
    tail_exchanges: int = 0
    #: iterations spent in each phase ("spread", "bank", "distance"; see :meth:`RuinAndRecreate.run`)
    phase_iterations: dict = field(default_factory=dict)


class RuinAndRecreate:
    """Improve a feasible plan of ``problem`` until a deadline."""

    def __init__(self, problem: DarpProblem, *, seed: int = 0, vehicle_fixed_cost: int = 0,
                 delay_weight: float = 0.0, locked=None):
        """``locked``: requests (indices) the search never moves: they keep their place in the plan
        it starts from (e.g. bookings an operator pinned to their vehicle)."""
        self.problem = problem
        self._locked = np.zeros(problem.request_count, dtype=np.bool_)
        if locked is not None:
            self._locked[np.asarray(locked, dtype=np.int64)] = True
        self.rng = np.random.default_rng(seed)
        self.vehicle_fixed_cost = int(vehicle_fixed_cost)
        self.delay_weight = float(delay_weight)
        self.free = np.flatnonzero(problem.onboard_vehicle < 0)   # not yet picked up (locked ones included)
        self.requests = (
            np.stack([NewRequest.from_problem(problem, int(r)).as_array() for r in range(problem.request_count)])
            if problem.request_count else np.zeros((0, 11), dtype=np.int64)
        )
        tt = problem.travel_time
        p, d = problem.pickup_location, problem.dropoff_location
        mid_p = (problem.pickup_earliest
                 + np.minimum(problem.pickup_latest, problem.pickup_earliest + 10 * tt.max())) // 2
        mid_d = (problem.dropoff_earliest
                 + np.minimum(problem.dropoff_latest, problem.dropoff_earliest + 10 * tt.max())) // 2
        # Shaw relatedness: closeness of pickups and drop-offs in space, and of their windows in time
        self.relatedness = (tt[np.ix_(p, p)] + tt[np.ix_(d, d)]
                            + np.abs(mid_p[:, None] - mid_p[None, :]) + np.abs(mid_d[:, None] - mid_d[None, :]))
        self.stats = LnsStats()
        self._p_arrays = problem_arrays(problem)
        self._code_location = np.empty(2 * problem.request_count, dtype=np.int64)
        self._code_location[0::2] = problem.pickup_location
        self._code_location[1::2] = problem.dropoff_location
        self._cost = problem.travel_cost
        self._start = np.asarray(problem.start_location, dtype=np.int64)
        self._end = np.asarray(problem.end_location, dtype=np.int64)
        self._must = problem.rejection_penalty == MUST_SERVE
        self._bank_penalty: int | None = None
        #: what a used vehicle costs the search: the true fixed cost, or 0 while the "spread" phase
        #: searches distance alone (see :meth:`run`)
        self._search_vehicle_cost = self.vehicle_fixed_cost
        self._penalty = np.where(problem.rejection_penalty == MUST_SERVE, _UNSERVED_MUST, problem.rejection_penalty)
        self._v_start_location = np.asarray(problem.start_location, dtype=np.int32)
        self._v_start_time = np.asarray(problem.start_time, dtype=np.int64)
        self._v_seat_capacity = np.asarray(problem.seat_capacity, dtype=np.int32)
        self._v_wheelchair_capacity = np.asarray(problem.wheelchair_capacity, dtype=np.int32)
        self._v_end_location = np.asarray(problem.end_location, dtype=np.int32)
        self._v_end_latest = np.asarray(problem.end_latest, dtype=np.int64)
        self._v_max_duration = np.asarray(problem.max_duration, dtype=np.int64)

    # ------------------------------------------------------------------ objective
    def objective(self, plan: Plan) -> int:
        """``plan.objective`` with unserved must-serve requests at a huge cost (numpy, no Python loop
        over stops)."""
        return self._objectives(plan)[0]

    def _objectives(self, plan: Plan) -> tuple[int, int]:
        """(:meth:`objective`, the search objective): the search prices a used vehicle at
        ``self._search_vehicle_cost`` and an unserved must-serve request at ``self._bank_penalty``
        (request bank; see :meth:`run`)."""
        return self._array_objectives(*self._to_arrays(plan))

    def _price(self, total: int, used: int, served: np.ndarray) -> tuple[int, int]:
        """(true, search) objective of a plan with driving cost ``total``, ``used`` vehicles and
        requests ``served``."""
        missing = ~served
        true = total + self.vehicle_fixed_cost * used + int(self._penalty[missing].sum())
        search_base = total + self._search_vehicle_cost * used
        if self._bank_penalty is None:
            return true, search_base + int(self._penalty[missing].sum())
        must = int((missing & self._must).sum())
        other = int(self._penalty[missing & ~self._must].sum())
        return true, search_base + other + must * self._bank_penalty

    # ------------------------------------------------------------------ ruin
    def _served(self, plan: Plan) -> np.ndarray:
        served = plan.served_requests()
        return served[self.problem.onboard_vehicle[served] < 0]

    def _remove(self, plan: Plan, requests) -> Plan:
        gone = set()
        for r in requests:
            gone.add(2 * int(r))
            gone.add(2 * int(r) + 1)
        return Plan([[s for s in route if s not in gone] for route in plan.routes])

    # ------------------------------------------------------------------ recreate
    def recreate(self, plan: Plan, pending, *, regret: int, noise: float,
                 max_new: int = -1) -> tuple[Plan, list[int]]:
        """Insert ``pending`` into ``plan``; returns the plan and the requests left out.

        ``regret``: 0 or 1 greedy (cheapest first), 2 regret-2, 3 regret-3; ``noise``: relative
        random change of every insertion cost; ``max_new`` >= 0: at most that many empty
        vehicles get requests (-1: any number).

        One numba call (:func:`routing.darp.recreate.recreate_kernel`); :meth:`recreate_reference`
        is its plain-Python twin (the same plan when ``noise`` is 0)."""
        problem = self.problem
        pending = np.asarray([int(r) for r in pending], dtype=np.int64)
        routes, lengths = self._to_arrays(plan)
        empty_cost = float(self.vehicle_fixed_cost)
        rejected = recreate_kernel(problem.travel_time, problem.travel_cost, self.requests, self.delay_weight,
                                   self._p_arrays, problem.seat_capacity, problem.wheelchair_capacity,
                                   routes, lengths, pending, int(regret), float(noise),
                                   int(self.rng.integers(2**31 - 1)), empty_cost, int(max_new))
        return self._to_plan(routes, lengths), [int(r) for r in rejected]

    def recreate_reference(self, plan: Plan, pending, *, regret: int, noise: float) -> tuple[Plan, list[int]]:
        """Plain-Python twin of :meth:`recreate` (kept for the tests)."""
        problem = self.problem
        plan = plan.copy()
        pending = [int(r) for r in pending]
        rejected = []
        snaps = build_snapshots(problem, plan)
        costs, pos_i, pos_j = batch_insertions(snaps, self.requests[pending], problem.travel_time,
                                               problem.travel_cost, self.delay_weight)
        if self.vehicle_fixed_cost:
            empty = np.array([len(r) == 0 for r in plan.routes])
            costs = costs + np.where(empty, self.vehicle_fixed_cost, 0)[None, :]
        while pending:
            noisy = costs
            if noise > 0:
                noisy = costs * (1.0 + noise * (self.rng.random(costs.shape) - 0.5))
            best_v = np.argmin(noisy, axis=1)
            best = noisy[np.arange(len(pending)), best_v]
            if regret >= 2:
                if noisy.shape[1] > 1:
                    second = np.partition(noisy, 1, axis=1)[:, 1]
                else:
                    second = np.full(len(pending), np.inf)
                # requests with no place at all go first (they are rejected); then the largest regret
                with np.errstate(invalid="ignore"):
                    score = np.where(np.isinf(best), np.inf, np.where(np.isinf(second), 1e17, second - best))
                    k = int(np.argmax(np.where(np.isinf(best), np.inf, score - 1e-9 * best)))
            else:
                k = int(np.argmin(best))
            r = pending[k]
            v = int(best_v[k])
            inserted = bool(np.isfinite(costs[k, v]))
            if inserted:
                plan.routes[v] = insert_into_route(plan.routes[v], r, int(pos_i[k, v]), int(pos_j[k, v]))
            else:
                rejected.append(r)
            keep = np.arange(len(pending)) != k
            pending.pop(k)
            costs, pos_i, pos_j = costs[keep], pos_i[keep], pos_j[keep]
            if pending and inserted:
                # only vehicle v changed: refresh its column (it is in use now, so no fixed cost)
                c, i, j = batch_insertions(self._vehicle_snapshot(plan, v), self.requests[pending], problem.travel_time,
                                           problem.travel_cost, self.delay_weight)
                costs[:, v] = c[:, 0]
                pos_i[:, v] = i[:, 0]
                pos_j[:, v] = j[:, 0]
        return plan, rejected

    def _vehicle_snapshot(self, plan: Plan, v: int):
        """The snapshot of vehicle ``v`` alone (one column of the cost table is refreshed from it)."""
        from routing.darp.snapshot import VehicleSnapshots, route_snapshots

        a = route_snapshots(self.problem, [plan.routes[v]], [v])
        return VehicleSnapshots(
            start_location=self._v_start_location[v:v + 1], start_time=self._v_start_time[v:v + 1],
            seat_capacity=self._v_seat_capacity[v:v + 1], wheelchair_capacity=self._v_wheelchair_capacity[v:v + 1],
            end_location=self._v_end_location[v:v + 1], end_latest=self._v_end_latest[v:v + 1],
            max_duration=self._v_max_duration[v:v + 1], **a)

    # ------------------------------------------------------------------ search
    def _to_arrays(self, plan: Plan) -> tuple[np.ndarray, np.ndarray]:
        """``plan`` as route arrays (:mod:`routing.darp.ruin`), room for every stop in every route."""
        lengths = np.array([len(r) for r in plan.routes], dtype=np.int64)
        routes = np.zeros((len(plan.routes), 2 * self.problem.request_count + 1), dtype=np.int64)
        for v, route in enumerate(plan.routes):
            routes[v, :len(route)] = route
        return routes, lengths

    @staticmethod
    def _to_plan(routes: np.ndarray, lengths: np.ndarray) -> Plan:
        return Plan([routes[v, :lengths[v]].tolist() for v in range(len(lengths))])

    def _array_objectives(self, routes: np.ndarray, lengths: np.ndarray) -> tuple[int, int]:
        """:meth:`_objectives` of a plan held as route arrays (one numba call)."""
        served = np.zeros(self.problem.request_count, dtype=np.bool_)
        total, used = route_totals(self._cost, self._code_location, self._start, self._end, routes, lengths, served)
        return self._price(int(total), int(used), served)

    def _pick_route_arrays(self, routes: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Route removal: every free request of one vehicle, short routes more likely."""
        def removable(v: int) -> np.ndarray:     # picked up on this route, not locked
            codes = routes[v, :lengths[v]]
            requests = codes[codes % 2 == 0] // 2
            return requests[~self._locked[requests]]

        with_pickup = [v for v in np.flatnonzero(lengths) if len(removable(v))]
        if not with_pickup:
            return np.zeros(0, dtype=np.int64)
        weights = 1.0 / lengths[with_pickup]
        return removable(with_pickup[int(self.rng.choice(len(with_pickup), p=weights / weights.sum()))])

    def run(self, plan: Plan, deadline: float, *, max_iterations: int | None = None,
            stop_if_incomplete_at: float | None = None) -> Plan:
        """Improve ``plan`` (feasible) until ``deadline`` (perf_counter). Requests not in ``plan`` are
        tried again in every iteration; must-serve ones count as a huge cost until placed. With
        ``stop_if_incomplete_at`` (perf_counter) the search returns then if its best plan still
        leaves out a must-serve request (so that another method can try)."""
        problem = self.problem
        start_clock = time.perf_counter()
        served0 = set(int(r) for r in plan.served_requests())
        unserved = [int(r) for r in self.free if int(r) not in served0]
        cur_routes, cur_lengths = self._to_arrays(plan)
        current_unserved = unserved
        n_free = len(self.free)
        is_free = (problem.onboard_vehicle < 0) & ~self._locked   # what the ruin step may remove
        # Phases when vehicles have a fixed cost (fewest vehicles first, then distance): "spread"
        # searches distance alone, vehicles free, to find a good structure; "bank" empties routes
        # through the request bank, from the best plan; "distance" polishes the best plan at its vehicle
        # count. Each phase has its own cooling schedule. Without a fixed cost there is one phase.
        phases = [("distance", 1.0)]
        if self.vehicle_fixed_cost > 0 and n_free:
            phases = [("spread", SPREAD_END), ("bank", BANK_END), ("distance", 1.0)]
        self._bank_penalty = None
        self._search_vehicle_cost = self.vehicle_fixed_cost
        best_obj, current_obj = self._array_objectives(cur_routes, cur_lengths)
        if best_obj < _UNSERVED_MUST:
            self.stats.seconds_to_complete = 0.0
        best_routes, best_lengths, best_unserved = cur_routes.copy(), cur_lengths.copy(), list(current_unserved)
        bank_since = None
        bank_since_clock = 0.0
        if n_free == 0:
            return plan.copy()
        t0 = max(1.0, START_WORSENING * (plan.cost(problem) + 1) / math.log(2))
        t_end = t0 * 0.002
        total = max(deadline - start_clock, 1e-3)
        q_min = min(3, n_free)
        q_max = max(q_min, min(int(Q_MAX_SHARE * n_free) + 1, Q_MAX_CAP))
        it = 0
        last_best = 0
        n_remove, n_insert = len(REMOVALS), len(INSERTIONS)
        w_remove, w_insert = np.ones(n_remove), np.ones(n_insert)
        s_remove, s_insert = np.zeros(n_remove), np.zeros(n_insert)
        u_remove, u_insert = np.zeros(n_remove), np.zeros(n_insert)
        seen = set()
        removed_mask = np.zeros(problem.request_count, dtype=np.bool_)
        phase_index, phase_begin = -1, 0.0
        check_all_pairs = True
        while time.perf_counter() < deadline and (max_iterations is None or it < max_iterations):
            iteration_clock = time.perf_counter()
            if (stop_if_incomplete_at is not None and iteration_clock >= stop_if_incomplete_at
                    and best_obj >= _UNSERVED_MUST):
                break
            it += 1
            progress = min(1.0, (iteration_clock - start_clock) / total)
            if max_iterations:
                progress = max(progress, it / max_iterations)  # the phases also run out with the iterations
            while progress >= (phases[phase_index][1] if phase_index >= 0 else 0.0) and phase_index < len(phases) - 1:
                # next phase: from the best complete plan, with its own cooling schedule
                phase_begin = phases[phase_index][1] if phase_index >= 0 else 0.0
                phase_index += 1
                name = phases[phase_index][0]
                self._search_vehicle_cost = 0 if name == "spread" else self.vehicle_fixed_cost
                self._bank_penalty = (max(1, self.vehicle_fixed_cost * max(1, int((best_lengths > 0).sum())) // n_free)
                                      if name == "bank" else None)
                if phase_index > 0:
                    cur_routes, cur_lengths = best_routes.copy(), best_lengths.copy()
                    current_unserved = list(best_unserved)
                current_obj = self._array_objectives(cur_routes, cur_lengths)[1]
                bank_since = None
            phase_end = phases[phase_index][1]
            phase_name = phases[phase_index][0]
            self.stats.phase_iterations[phase_name] = self.stats.phase_iterations.get(phase_name, 0) + 1
            frac = min(1.0, (progress - phase_begin) / max(phase_end - phase_begin, 1e-9))
            temperature = t0 * (t_end / t0) ** frac
            served = served_free(cur_routes, cur_lengths, is_free)
            rm = int(self.rng.choice(n_remove, p=w_remove / w_remove.sum()))
            ins = int(self.rng.choice(n_insert, p=w_insert / w_insert.sum()))
            if len(served) == 0:
                removed = np.zeros(0, dtype=np.int64)
            else:
                q = int(self.rng.integers(q_min, q_max + 1))
                q = min(q, len(served))
                kind = REMOVALS[rm]
                if kind == "route":
                    removed = self._pick_route_arrays(cur_routes, cur_lengths)
                elif kind == "related":
                    removed = shaw_pick(self.relatedness, served, q, self.rng.random(), self.rng.random(q),
                                        self.rng.random(q))
                elif kind == "worst":
                    removed = worst_pick(self._cost, self._code_location, self._start, self._end, cur_routes,
                                         cur_lengths, served, q, self.rng.random(q))
                else:
                    removed = self.rng.choice(served, size=q, replace=False)
            pending = np.concatenate((removed, np.asarray(current_unserved, dtype=np.int64)))
            self.rng.shuffle(pending)
            removed_mask[removed] = True
            cand_routes, cand_lengths = remove_requests(cur_routes, cur_lengths, removed_mask)
            removed_mask[removed] = False
            regret, noise = INSERTIONS[ins]
            banking = self._bank_penalty is not None and best_obj < _UNSERVED_MUST
            max_new = -1
            if banking:
                # fewer vehicles than the best plan: at most one less in all
                max_new = max(0, int((best_lengths > 0).sum()) - 1 - int((cand_lengths > 0).sum()))
            rejected = recreate_kernel(problem.travel_time, problem.travel_cost, self.requests, self.delay_weight,
                                       self._p_arrays, problem.seat_capacity, problem.wheelchair_capacity,
                                       cand_routes, cand_lengths, pending, int(regret), float(noise),
                                       int(self.rng.integers(2**31 - 1)), float(self._search_vehicle_cost),
                                       int(max_new))
            # the current plan has no improving tail exchange left (it came out of a descent), so
            # only pairs with a changed route need a look; all of them on the first iteration. (Without
            # a fixed cost there is one phase, so the vehicle cost of the descent never changes.)
            if self.vehicle_fixed_cost == 0:
                changed = (cand_lengths != cur_lengths) | (cand_routes != cur_routes).any(axis=1)
                if check_all_pairs:
                    changed[:] = True
                    check_all_pairs = False
                moves, _ = tail_exchange_descent(problem.travel_time, problem.travel_cost, self._code_location,
                                                 self._p_arrays, problem.seat_capacity, problem.wheelchair_capacity,
                                                 cand_routes, cand_lengths, changed, self._locked,
                                                 int(self._search_vehicle_cost),
                                                 TAIL_EXCHANGE_MOVES)
                self.stats.tail_exchanges += int(moves)
            cand_true, cand_obj = self._array_objectives(cand_routes, cand_lengths)
            delta = cand_obj - current_obj
            score = 0.0
            accepted = delta <= 0 or self.rng.random() < math.exp(-delta / max(temperature, 1e-9))
            if accepted:
                if cand_true < best_obj:
                    score = SCORE_BEST
                elif delta < 0:
                    score = SCORE_BETTER
                elif cand_obj not in seen:
                    score = SCORE_ACCEPTED
                seen.add(cand_obj)
                cur_routes, cur_lengths, current_obj = cand_routes, cand_lengths, cand_obj
                current_unserved = [int(r) for r in rejected]
                self.stats.accepted += 1
                if cand_true < best_obj:
                    if best_obj >= _UNSERVED_MUST > cand_true:
                        self.stats.seconds_to_complete = time.perf_counter() - start_clock
                    best_routes, best_lengths = cand_routes.copy(), cand_lengths.copy()
                    best_unserved, best_obj = list(current_unserved), cand_true
                    self.stats.improvements += 1
                    self.stats.seconds_to_best = time.perf_counter() - start_clock
                    last_best = it
            s_remove[rm] += score
            s_insert[ins] += score
            u_remove[rm] += 1
            u_insert[ins] += 1
            if it % SEGMENT == 0:
                # adaptive weights (Ropke & Pisinger 2006): blend in each operator's mean score
                for w, sc, u in ((w_remove, s_remove, u_remove), (w_insert, s_insert, u_insert)):
                    used = u > 0
                    w[used] = (1 - REACTION) * w[used] + REACTION * sc[used] / u[used]
                    np.maximum(w, MIN_WEIGHT, out=w)
                    sc[:] = 0
                    u[:] = 0
            if banking and cand_true >= _UNSERVED_MUST and accepted:
                if bank_since is None:
                    bank_since, bank_since_clock = it, iteration_clock
            elif accepted:
                bank_since = None
            if bank_since is not None and (it - bank_since > BANK_PATIENCE
                                           or time.perf_counter() - bank_since_clock > BANK_ATTEMPT_SHARE * total):
                # the bank did not empty: back to the best complete plan
                cur_routes, cur_lengths, current_unserved = best_routes.copy(), best_lengths.copy(), list(best_unserved)
                current_obj = self._array_objectives(cur_routes, cur_lengths)[1]
                bank_since = None
            if it - last_best > RESTART_AFTER:
                cur_routes, cur_lengths, current_unserved = best_routes.copy(), best_lengths.copy(), list(best_unserved)
                current_obj = self._array_objectives(cur_routes, cur_lengths)[1]
                last_best = it
        self.stats.iterations += it
        return self._to_plan(best_routes, best_lengths)


def warm_up() -> None:
    """Compile (or load from numba's cache) every kernel of the search with the argument types of
    real calls: recreate, the ruin kernels and the tail exchange."""
    from routing.darp.problem import warm_up_problem

    p = warm_up_problem()
    lns = RuinAndRecreate(p)
    plan, _ = lns.recreate(Plan.empty(p), [0], regret=2, noise=0.0)
    routes, lengths = lns._to_arrays(plan)
    lns._array_objectives(routes, lengths)
    served = served_free(routes, lengths, p.onboard_vehicle < 0)
    shaw_pick(lns.relatedness, served, 1, 0.5, np.full(1, 0.5), np.full(1, 0.5))
    worst_pick(lns._cost, lns._code_location, lns._start, lns._end, routes, lengths, served, 1, np.full(1, 0.5))
    remove_requests(routes, lengths, np.ones(p.request_count, dtype=np.bool_))
    tail_exchange_descent(p.travel_time, p.travel_cost, lns._code_location, lns._p_arrays, p.seat_capacity,
                          p.wheelchair_capacity, routes, lengths, np.ones(p.vehicle_count, dtype=np.bool_),
                          np.zeros(p.request_count, dtype=np.bool_), 0, 1)
