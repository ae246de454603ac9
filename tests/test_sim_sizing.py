"""Fleet found to the vehicle: bisection on constructed cases whose answer is known, extra seeds where
results straddle, the binding target, rule warnings and the peak-hour lower bound."""

from __future__ import annotations

import pytest

from ride_pool.dispatch.rules import ServiceRules
from simulations.sizing import FleetSearch, Targets, bound_warning, peak_hour_bound, rule_warnings

#: vehicles each seed (simulated day) needs to serve everyone; waits fall with the fleet
NEED = {0: 20, 1: 22, 2: 21, 3: 23, 4: 10}


def day(fleet, seed):
    return {"fleet": fleet, "seed": seed, "served_share_net": min(1.0, fleet / NEED[seed]),
            "wait_from_requested_p95_s": 600 + 12_000 / fleet}


class Runner:
    def __init__(self):
        self.calls = []

    def __call__(self, pairs):
        self.calls.append(list(pairs))
        return [day(f, s) for f, s in pairs]


TARGETS = Targets(served_share=0.999, p95_wait_s=1200)
GRID = list(range(5, 41, 5))


def grid_rows(seeds):
    return [day(f, s) for f in GRID for s in seeds]


def test_bisection_finds_the_known_fleet():
    run = Runner()
    result = FleetSearch(run, TARGETS, [0, 1, 2], rows=grid_rows([0, 1, 2])).search(GRID)
    assert result["fleet"] == 22          # seed 1 needs 22; the grid said 25
    assert result["bisected"] == [22, 21]
    assert [(r["fleet"], r["seed"]) for r in result["at_fleet"]] == [(22, 0), (22, 1), (22, 2)]
    assert all(r["meets_targets"] for r in result["at_fleet"])
    assert [r["meets_targets"] for r in result["at_fleet_minus_1"]] == [True, False, True]
    assert result["binding_target"] == "served_share_net" and result["failures_below"]["served_share_net"] == 1
    # only the bisection's fleets were simulated, each with every seed
    assert run.calls == [[(22, 0), (22, 1), (22, 2)], [(21, 0), (21, 1), (21, 2)]]


def test_more_seeds_where_results_straddle_move_the_answer_up():
    run = Runner()
    result = FleetSearch(run, TARGETS, [0, 1, 2], extra_seeds=2, rows=grid_rows([0, 1, 2])).search(GRID)
    # at 21 seeds 0 and 2 pass, seed 1 fails: straddled; extra seed 3 needs 23
    assert result["straddled"] and result["seeds"] == [0, 1, 2, 3, 4]
    assert result["fleet"] == 23
    assert len(result["at_fleet"]) == 5 and all(r["meets_targets"] for r in result["at_fleet"])
    assert not all(r["meets_targets"] for r in result["at_fleet_minus_1"])


def test_no_extra_seeds_when_fleet_minus_one_fails_everywhere():
    need = {0: 30, 1: 30}
    rows = lambda pairs: [{"fleet": f, "seed": s, "served_share_net": min(1, f / need[s]),  # noqa: E731
                           "wait_from_requested_p95_s": 0} for f, s in pairs]
    calls = []
    result = FleetSearch(lambda p: calls.append(p) or rows(p), TARGETS, [0, 1], extra_seeds=3).search([10, 40])
    assert result["fleet"] == 30 and not result["straddled"] and result["seeds"] == [0, 1]


def test_the_wait_target_can_bind():
    strict = Targets(served_share=0.5, p95_wait_s=1000)         # 600 + 12000/f ≤ 1000 ⇔ f ≥ 30
    result = FleetSearch(Runner(), strict, [0, 1]).search(GRID)
    assert result["fleet"] == 30 and result["binding_target"] == "wait_from_requested_p95_s"


def test_smallest_grid_fleet_passing_bisects_down_to_one():
    easy = Targets(served_share=0.0, p95_wait_s=10 ** 6)
    assert FleetSearch(Runner(), easy, [0]).search([5, 10])["fleet"] == 1


def test_no_fleet_in_the_grid():
    result = FleetSearch(Runner(), Targets(served_share=0.999, p95_wait_s=100), [0]).search(GRID)
    assert result["fleet"] is None and "widen --fleet" in result["reason"]


def test_rule_warnings():
    rules = ServiceRules()       # 20 min window
    rows = [{"wait_from_requested_p95_s": 19.3 * 60, "served_share_net": 0.99}]
    flat = [{"wait_from_requested_p95_s": 19.5 * 60, "served_share_net": 0.99}]
    warnings = rule_warnings(Targets(p95_wait_s=19 * 60), rules, rows, 40, flat, 35)
    assert len(warnings) == 2
    assert "within the promised pickup window (20 min)" in warnings[0] and "Abholfensters (20 min)" in warnings[0].de
    assert "Neither 35 nor 40 vehicles meet the p95-wait target" in warnings[1]
    # still falling with the fleet: too few vehicles, not the rules
    falling = [{"wait_from_requested_p95_s": 30 * 60, "served_share_net": 0.99}]
    assert len(rule_warnings(Targets(p95_wait_s=19 * 60), rules, rows, 40, falling, 35)) == 1
    assert rule_warnings(Targets(p95_wait_s=30 * 60), rules, rows, 40, flat, 35) == []
    low = [{"wait_from_requested_p95_s": 60, "served_share_net": 0.90}]
    assert "served-share target" in rule_warnings(Targets(p95_wait_s=30 * 60), rules, low, 40, low, 35)[0]


def test_peak_hour_bound_and_its_warning():
    rows = [{"peak_hour_direct_hours": 10.0, "peak_hour_stop_hours": 1.0, "peak_hour_requests": 80,
             "peak_hour_on_duty_share": 0.95, "pooling_factor": 0.7}]
    bound = peak_hour_bound(rows, Targets(served_share=0.95), max_pooling=1.0)
    assert bound["vehicle_hours_needed"] == pytest.approx(0.95 * 11)
    assert bound["fleet_lower_bound"] == 11          # 10.45 h ÷ 0.95 on duty
    assert peak_hour_bound(rows, Targets(served_share=0.95), max_pooling=2.0)["fleet_lower_bound"] == 6
    assert "below the peak-hour lower bound" in bound_warning(10, bound)
    assert bound_warning(13, bound) is None
    assert "more than 1.5×" in bound_warning(17, bound) and "Untergrenze" in bound_warning(17, bound).de
    assert peak_hour_bound([], Targets(), 1.0) is None
