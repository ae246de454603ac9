"""Ruin-and-recreate around the insertion kernel (adaptive large neighbourhood search).

Each iteration removes a few requests (random, worst-placed, Shaw-related in space and time, or a
whole route) and puts them back with greedy, noisy greedy, regret-2 or regret-3 insertion; the
operators are drawn by adaptive weights that follow how often each found a new best, a better or a
new accepted plan (Ropke & Pisinger 2006). The whole recreate step is one numba call
(:mod:`routing.darp.recreate`) around the insertion kernel, so every plan it visits keeps every
constraint by construction. Acceptance follows simulated annealing with a temperature that falls
with the time used; the best plan seen is returned. Parameters are the same for every instance.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from routing.darp.insertion import NewRequest, batch_insertions, insert_into_route
from routing.darp.problem import MUST_SERVE, DarpProblem, Plan
from routing.darp.recreate import problem_arrays, recreate_kernel
from routing.darp.snapshot import build_snapshots

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
#: Iterations a plan with must-serve requests in the bank may stay current (vehicle minimisation).
BANK_PATIENCE = 2000
#: Largest number of requests removed per iteration: this share of the requests, at most the cap.
Q_MAX_SHARE = 0.35
Q_MAX_CAP = 40


@dataclass
class LnsStats:
    iterations: int = 0
    improvements: int = 0
    accepted: int = 0
    seconds_to_best: float = 0.0


class RuinAndRecreate:
    """Improve a feasible plan of ``problem`` until a deadline."""

    def __init__(self, problem: DarpProblem, *, seed: int = 0, vehicle_fixed_cost: int = 0,
                 delay_weight: float = 0.0):
        self.problem = problem
        self.rng = np.random.default_rng(seed)
        self.vehicle_fixed_cost = int(vehicle_fixed_cost)
        self.delay_weight = float(delay_weight)
        self.free = np.flatnonzero(problem.onboard_vehicle < 0)
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
        """(:meth:`objective`, the search objective): the search prices an unserved must-serve request
        at ``self._bank_penalty`` instead (request bank; see :meth:`run`)."""
        problem = self.problem
        total = 0
        served = np.zeros(problem.request_count, dtype=bool)
        used = 0
        for v, route in enumerate(plan.routes):
            if not route:
                continue
            used += 1
            codes = np.asarray(route, dtype=np.int64)
            served[codes // 2] = True
            locs = self._code_location[codes]
            total += int(self._cost[self._start[v], locs[0]]) + int(self._cost[locs[:-1], locs[1:]].sum())
            if self._end[v] >= 0:
                total += int(self._cost[locs[-1], self._end[v]])
        base = total + self.vehicle_fixed_cost * used
        missing = ~served
        true = base + int(self._penalty[missing].sum())
        if self._bank_penalty is None:
            return true, true
        must = int((missing & self._must).sum())
        other = int(self._penalty[missing & ~self._must].sum())
        return true, base + other + must * self._bank_penalty

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

    def _pick_random(self, served, q):
        return list(self.rng.choice(served, size=q, replace=False))

    def _pick_related(self, served, q):
        """Shaw removal: a random seed, then requests related to one already chosen (randomised rank)."""
        served = np.asarray(served, dtype=np.int64)
        first = int(self.rng.integers(len(served)))
        chosen = [int(served[first])]
        candidates = np.delete(served, first)
        while len(chosen) < q and len(candidates):
            ref = chosen[int(self.rng.integers(len(chosen)))]
            order = np.argsort(self.relatedness[ref, candidates], kind="stable")
            k = int(order[int(len(order) * self.rng.random() ** 4)])
            chosen.append(int(candidates[k]))
            candidates = np.delete(candidates, k)
        return chosen

    def _pick_worst(self, plan: Plan, served, q):
        """Worst removal: requests whose stops save the most driving when left out (randomised rank)."""
        saving = np.zeros(self.problem.request_count, dtype=np.int64)
        cost = self._cost
        for v, route in enumerate(plan.routes):
            if not route:
                continue
            codes = np.asarray(route, dtype=np.int64)
            locs = np.concatenate(([self._start[v]], self._code_location[codes], [self._end[v]]))
            a, b, c = locs[:-2], locs[1:-1], locs[2:]
            open_end = c < 0
            c_safe = np.where(open_end, b, c)
            rest = np.where(open_end, 0, cost[b, c_safe] - cost[a, c_safe])
            np.add.at(saving, codes // 2, cost[a, b] + rest)
        served = np.asarray(served, dtype=np.int64)
        order = list(served[np.argsort(-saving[served], kind="stable")])
        chosen = []
        while len(chosen) < q and order:
            k = int(len(order) * self.rng.random() ** 3)
            chosen.append(int(order.pop(k)))
        return chosen

    def _pick_route(self, plan: Plan):
        used = [v for v, r in enumerate(plan.routes) if any(s % 2 == 0 for s in r)]
        if not used:
            return []
        sizes = np.array([len(plan.routes[v]) for v in used], dtype=float)
        weights = 1.0 / sizes
        v = used[int(self.rng.choice(len(used), p=weights / weights.sum()))]
        return [s // 2 for s in plan.routes[v] if s % 2 == 0]

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
        lengths = np.array([len(r) for r in plan.routes], dtype=np.int64)
        cap = int(lengths.max(initial=0)) + 2 * len(pending) + 1
        routes = np.zeros((len(plan.routes), cap), dtype=np.int64)
        for v, route in enumerate(plan.routes):
            routes[v, :len(route)] = route
        empty_cost = float(self.vehicle_fixed_cost)
        rejected = recreate_kernel(problem.travel_time, problem.travel_cost, self.requests, self.delay_weight,
                                   self._p_arrays, problem.seat_capacity, problem.wheelchair_capacity,
                                   routes, lengths, pending, int(regret), float(noise),
                                   int(self.rng.integers(2**31 - 1)), empty_cost, int(max_new))
        out = Plan([routes[v, :lengths[v]].tolist() for v in range(len(lengths))])
        return out, [int(r) for r in rejected]

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
    def run(self, plan: Plan, deadline: float, *, max_iterations: int | None = None) -> Plan:
        """Improve ``plan`` (feasible) until ``deadline`` (perf_counter). Requests not in ``plan`` are
        tried again in every iteration; must-serve ones count as a huge cost until placed."""
        problem = self.problem
        start_clock = time.perf_counter()
        served0 = set(int(r) for r in plan.served_requests())
        unserved = [int(r) for r in self.free if int(r) not in served0]
        current, current_unserved = plan.copy(), unserved
        n_free = len(self.free)
        used0 = max(1, plan.vehicles_used())
        if self.vehicle_fixed_cost > 0 and n_free:
            # request bank (Ropke & Pisinger's vehicle minimisation): while searching, a must-serve
            # request left out costs what a vehicle costs per request it carries on average, so
            # removing a short route and placing its riders over the next iterations can pay off;
            # meanwhile plans use at most one vehicle less than the best one, and only complete plans count as best.
            self._bank_penalty = max(1, self.vehicle_fixed_cost * used0 // n_free)
        current_obj = self._objectives(current)[1]
        best, best_unserved, best_obj = current.copy(), list(current_unserved), self.objective(current)
        bank_since = None
        if n_free == 0:
            return best
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
        while time.perf_counter() < deadline and (max_iterations is None or it < max_iterations):
            it += 1
            frac = min(1.0, (time.perf_counter() - start_clock) / total)
            if max_iterations:
                frac = max(frac, it / max_iterations)  # the schedule also runs out with the iterations
            temperature = t0 * (t_end / t0) ** frac
            served = self._served(current)
            rm = int(self.rng.choice(n_remove, p=w_remove / w_remove.sum()))
            ins = int(self.rng.choice(n_insert, p=w_insert / w_insert.sum()))
            if len(served) == 0:
                removed = []
            else:
                q = int(self.rng.integers(q_min, q_max + 1))
                q = min(q, len(served))
                kind = REMOVALS[rm]
                if kind == "route":
                    removed = self._pick_route(current)
                elif kind == "related":
                    removed = self._pick_related(served, q)
                elif kind == "worst":
                    removed = self._pick_worst(current, served, q)
                else:
                    removed = self._pick_random(served, q)
            pending = list(removed) + list(current_unserved)
            self.rng.shuffle(pending)
            ruined = self._remove(current, removed)
            regret, noise = INSERTIONS[ins]
            banking = self._bank_penalty is not None and best_obj < _UNSERVED_MUST
            max_new = -1
            if banking:
                # fewer vehicles than the best plan: at most one less in all
                max_new = max(0, best.vehicles_used() - 1 - ruined.vehicles_used())
            candidate, cand_unserved = self.recreate(ruined, pending, regret=regret, noise=noise,
                                                     max_new=max_new)
            cand_true, cand_obj = self._objectives(candidate)
            delta = cand_obj - current_obj
            score = 0.0
            if delta <= 0 or self.rng.random() < math.exp(-delta / max(temperature, 1e-9)):
                if cand_true < best_obj:
                    score = SCORE_BEST
                elif delta < 0:
                    score = SCORE_BETTER
                elif cand_obj not in seen:
                    score = SCORE_ACCEPTED
                seen.add(cand_obj)
                current, current_unserved, current_obj = candidate, cand_unserved, cand_obj
                self.stats.accepted += 1
                if cand_true < best_obj:
                    best, best_unserved, best_obj = candidate.copy(), list(cand_unserved), cand_true
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
            if banking and cand_true >= _UNSERVED_MUST and current is candidate:
                bank_since = it if bank_since is None else bank_since
            elif current is candidate:
                bank_since = None
            if bank_since is not None and it - bank_since > BANK_PATIENCE:
                # the bank did not empty: back to the best complete plan
                current, current_unserved = best.copy(), list(best_unserved)
                current_obj = self._objectives(current)[1]
                bank_since = None
            if it - last_best > RESTART_AFTER:
                current, current_unserved = best.copy(), list(best_unserved)
                current_obj = self._objectives(current)[1]
                last_best = it
        self.stats.iterations += it
        return best


def warm_up() -> None:
    """Compile (or load from the cache) the recreate kernel with the argument types of real calls."""
    from routing.darp.problem import NO_LIMIT

    tt = np.array([[0, 5], [5, 0]], dtype=np.int64)
    p = DarpProblem(travel_time=tt, pickup_location=[0], dropoff_location=[1], seats=[1], wheelchairs=[0],
                    pickup_earliest=[0], pickup_latest=[100], dropoff_earliest=[0], dropoff_latest=[100],
                    max_ride_time=[50], pickup_service=[0], dropoff_service=[0], onboard_vehicle=[-1],
                    pickup_begin=[0], rejection_penalty=[-1], start_location=[0], end_location=[0],
                    start_time=[0], end_latest=[100], seat_capacity=[3], wheelchair_capacity=[0],
                    max_duration=[NO_LIMIT])
    RuinAndRecreate(p).recreate(Plan.empty(p), [0], regret=2, noise=0.0)
