"""Readers of the Cordeau DARP and Li & Lim PDPTW benchmark files, and their error messages."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from routing.darp.checker import check_plan
from routing.darp.instances import read_bks, read_cordeau, read_instance, read_lilim
from routing.darp.problem import MUST_SERVE, NO_LIMIT, DarpInputError, Plan

SCALE = 1000


@pytest.fixture(scope="module")
def cordeau_dir(data_dir) -> Path:
    path = data_dir / "darp" / "cordeau2006"
    if not path.is_dir():
        pytest.skip(f"{path} not found")
    return path


@pytest.fixture(scope="module")
def lilim_dir(data_dir) -> Path:
    path = data_dir / "pdptw" / "lilim100"
    if not path.is_dir():
        pytest.skip(f"{path} not found")
    return path


# ------------------------------------------------------------------------------ Cordeau
def test_all_cordeau_instances_match_bks_header(cordeau_dir):
    bks = read_bks(cordeau_dir / "bks.csv")
    files = sorted(cordeau_dir.glob("a*.txt"))
    assert len(files) == 24 and len(bks) == 24
    for f in files:
        inst = read_cordeau(f)
        entry = bks[inst.name]
        p = inst.problem
        m, n = map(int, re.fullmatch(r"a(\d+)-(\d+)", inst.name).groups())
        assert (inst.vehicle_limit, p.vehicle_count, p.request_count) == (m, m, n) == (entry.vehicles, m, n)
        assert entry.optimal is True and entry.cost > 0
        assert inst.header["capacity"] == 3 and inst.header["max_ride_time"] == 30
        assert (p.seat_capacity == 3).all() and (p.wheelchair_capacity == 0).all()
        assert (p.max_ride_time == 30 * SCALE).all()
        assert (p.max_duration == inst.header["max_route_duration"] * SCALE).all()
        assert inst.header["max_route_duration"] in (240, 360, 480, 600, 720)
        assert (p.end_latest == inst.header["max_route_duration"] * SCALE).all() and (p.start_time == 0).all()
        assert (p.pickup_service == 3 * SCALE).all() and (p.dropoff_service == 3 * SCALE).all()
        assert (p.seats == 1).all() and (p.wheelchairs == 0).all()
        assert (p.rejection_penalty == MUST_SERVE).all() and (p.onboard_vehicle == -1).all()
        # request i = (node i, node n+i); depots 0 and 2n+1; locations are node ids
        assert inst.node_ids[:, 0].tolist() == list(range(1, n + 1))
        assert inst.node_ids[:, 1].tolist() == list(range(n + 1, 2 * n + 1))
        assert inst.depot_ids == (0, 2 * n + 1)
        assert (p.start_location == 0).all() and (p.end_location == 2 * n + 1).all()
        # the first n/2 requests are outbound: wide pickup window, 15-minute drop-off window
        half = n // 2
        assert (p.pickup_latest[:half] - p.pickup_earliest[:half] == 1440 * SCALE).all()
        assert (p.dropoff_latest[:half] - p.dropoff_earliest[:half] == 15 * SCALE).all()
        assert (p.pickup_latest[half:] - p.pickup_earliest[half:] == 15 * SCALE).all()
        # integer travel times round the exact ones up, by less than one unit
        exact = inst.exact_travel_time
        assert (p.travel_time >= exact).all() and (p.travel_time < exact + 1).all()
        assert p.travel_cost is p.travel_time or np.array_equal(p.travel_cost, p.travel_time)


def test_cordeau_node_id_round_trip(cordeau_dir):
    inst = read_cordeau(cordeau_dir / "a2-16.txt")
    # one request per route is not a valid plan for 2 vehicles; check the mapping alone
    plan = Plan([[0, 2, 1, 3], [4, 5]])
    assert inst.routes_as_node_ids(plan) == [[1, 2, 17, 18], [3, 19]]
    assert inst.plan_from_node_ids([[1, 2, 17, 18], [3, 19]]).routes == plan.routes
    with pytest.raises(DarpInputError, match="node 0"):
        inst.plan_from_node_ids([[0, 1]])


def test_exact_check_of_a_relaxed_plan(cordeau_dir):
    """With a vehicle per request the trivial plan is feasible; the exact cost is depot-to-depot."""
    inst = read_cordeau(cordeau_dir / "a4-16.txt")
    p = inst.problem
    R = p.request_count
    many = p.replace(**{k: np.repeat(getattr(p, k)[:1], R) for k in (
        "start_location", "end_location", "start_time", "end_latest", "seat_capacity",
        "wheelchair_capacity", "max_duration")})
    plan = Plan([[2 * r, 2 * r + 1] for r in range(R)])
    exact = inst.exact_travel_time
    result = check_plan(many, plan, travel_time=exact, travel_cost=exact)
    assert result.feasible, result.violations
    depot = 0
    expected = sum(exact[depot, r + 1] + exact[r + 1, R + r + 1] + exact[R + r + 1, 2 * R + 1] for r in range(R))
    assert result.cost == pytest.approx(expected)


# ------------------------------------------------------------------------------ Li & Lim
def test_all_lilim_instances_match_bks(lilim_dir):
    bks = read_bks(lilim_dir / "bks.csv")
    files = sorted(lilim_dir.glob("*.txt"))
    assert len(files) == 56 and len(bks) == 56
    for f in files:
        inst = read_lilim(f)
        p = inst.problem
        assert inst.name in bks and 1 <= bks[inst.name].vehicles <= 25
        assert inst.kind == "pdptw" and inst.vehicle_limit == 25 == p.vehicle_count
        assert 50 <= p.request_count <= 55
        assert inst.header["capacity"] in (200, 700, 1000)
        assert (p.seat_capacity == inst.header["capacity"]).all()
        # every customer node is in exactly one pair, once
        nodes = inst.node_ids.ravel()
        assert sorted(nodes.tolist()) == list(range(1, p.location_count))
        assert (p.seats > 0).all() and (p.max_ride_time == NO_LIMIT).all() and (p.max_duration == NO_LIMIT).all()
        assert (p.start_location == 0).all() and (p.end_location == 0).all() and inst.depot_ids == (0, 0)
        assert inst.vehicle_fixed_cost > (2 * p.request_count + p.vehicle_count) * p.travel_cost.max() - 1
        # no overflow where "no limit" meets arithmetic
        t = p.tightened()
        assert (t.pickup_earliest >= p.pickup_earliest).all() and (t.dropoff_latest <= p.dropoff_latest).all()
        assert (t.dropoff_latest < 2**40).all()


def test_lilim_pairs_follow_p_and_d_columns(lilim_dir):
    inst = read_lilim(lilim_dir / "lc101.txt")
    # lc101 line 2 (node 1): "1 45 68 -10 912 967 90 11 0" is the delivery of node 11
    assert [11, 1] in inst.node_ids.tolist()
    r = inst.node_ids.tolist().index([11, 1])
    p = inst.problem
    assert p.seats[r] == 10
    assert (p.dropoff_earliest[r], p.dropoff_latest[r], p.dropoff_service[r]) == (912_000, 967_000, 90_000)
    assert (p.start_time[0], p.end_latest[0]) == (0, 1_236_000)
    assert read_instance(lilim_dir / "lc101.txt", "pdptw").problem.request_count == p.request_count


def test_lilim_plan_check_no_overflow(lilim_dir):
    """The checker copes with NO_LIMIT ride times: an empty plan is reported, not crashed on."""
    inst = read_lilim(lilim_dir / "lr101.txt")
    result = inst.check(Plan.empty(inst.problem))
    assert not result.feasible and "must be served" in result.violations[0]


# ------------------------------------------------------------------------------ bad input
GOOD_CORDEAU = """1 1 100 3 30
0 0.0 0.0 0 0 0 100
1 1.0 0.0 3 1 0 100
2 2.0 0.0 3 -1 0 100
3 0.0 0.0 0 0 0 100
"""

GOOD_LILIM = "2\t10\t1\n0\t0\t0\t0\t0\t100\t0\t0\t0\n1\t1\t0\t5\t0\t100\t1\t0\t2\n2\t2\t0\t-5\t0\t100\t1\t1\t0\n"


def _write(tmp_path, text, name="bad.txt"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_small_valid_files(tmp_path):
    c = read_cordeau(_write(tmp_path, GOOD_CORDEAU, "c.txt"))
    assert c.problem.request_count == 1 and c.problem.travel_time[1, 2] == 1000
    lilim = read_lilim(_write(tmp_path, GOOD_LILIM, "l.txt"))
    assert lilim.problem.request_count == 1 and lilim.node_ids.tolist() == [[1, 2]]
    # CRLF line endings and tabs are fine
    assert read_cordeau(_write(tmp_path, GOOD_CORDEAU.replace("\n", "\r\n").replace(" ", "\t"), "crlf.txt"))


@pytest.mark.parametrize("text, line, words", [
    ("", None, "empty"),
    ("1 1 100 3\n", 1, "expected 5 fields"),
    ("1 x 100 3 30\n", 1, "is not a number"),
    ("1 1.5 100 3 30\n", 1, "whole number"),
    ("0 1 100 3 30\n", 1, "at least 1"),
    (GOOD_CORDEAU.rsplit("\n", 2)[0] + "\n", 4, "4 node rows are needed"),
    (GOOD_CORDEAU.replace("2 2.0 0.0 3 -1", "7 2.0 0.0 3 -1"), 4, "expected 2, found 7"),
    (GOOD_CORDEAU.replace("2 2.0 0.0 3 -1", "2 2.0 0.0 3 -2"), 4, "load change must be -1"),
    (GOOD_CORDEAU.replace("1 1.0 0.0 3 1 0 100", "1 1.0 0.0 3 1 50 10"), 3, "empty time window"),
    (GOOD_CORDEAU.replace("1 1.0 0.0 3 1", "1 1.0 0.0 3 1 0 100 9 9"), 3, "expected 7 fields"),
    (GOOD_CORDEAU.replace("1 1.0 0.0 3 1", "1 1.0 nan 3 1"), 3, "finite"),
])
def test_malformed_cordeau(tmp_path, text, line, words):
    path = _write(tmp_path, text)
    with pytest.raises(DarpInputError) as info:
        read_cordeau(path)
    message = str(info.value)
    assert str(path) in message and words in message
    if line is not None:
        assert f"{path}:{line}:" in message


@pytest.mark.parametrize("text, line, words", [
    ("25 200\n", 1, "expected 3 fields"),
    (GOOD_LILIM.replace("1\t1\t0\t5\t0\t100\t1\t0\t2", "1\t1\t0\t5\t0\t100\t1\t0\t7"), 3, "does not exist"),
    (GOOD_LILIM.replace("1\t1\t0\t5\t0\t100\t1\t0\t2", "1\t1\t0\t5\t0\t100\t1\t0\t0"), 3, "neither a pickup"),
    (GOOD_LILIM.replace("2\t2\t0\t-5", "2\t2\t0\t-4"), 3, "need +q and -q"),
    (GOOD_LILIM.replace("2\t2\t0\t-5\t0\t100\t1\t1", "2\t2\t0\t-5\t0\t100\t1\t0"), 4, "names 0 as its pickup"),
    (GOOD_LILIM.replace("1\t1\t0\t5", "1\t1\t0\t50").replace("0\t-5", "0\t-50"), 3, "exceeds the vehicle capacity"),
    (GOOD_LILIM.replace("0\t0\t0\t0\t0\t100", "0\t0\t0\t0\t200\t100"), 2, "empty time window"),
])
def test_malformed_lilim(tmp_path, text, line, words):
    path = _write(tmp_path, text)
    with pytest.raises(DarpInputError) as info:
        read_lilim(path)
    message = str(info.value)
    assert f"{path}:{line}:" in message and words in message


def test_missing_and_wrong_kind_files(tmp_path, lilim_dir):
    with pytest.raises(DarpInputError, match="no such file"):
        read_cordeau(tmp_path / "nope.txt")
    with pytest.raises(DarpInputError, match="is a folder"):
        read_lilim(tmp_path)
    with pytest.raises(DarpInputError, match=r"lc101.txt:1: expected 5 fields"):
        read_cordeau(lilim_dir / "lc101.txt")
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(DarpInputError, match="not a text file"):
        read_cordeau(binary)


def test_read_bks_errors(tmp_path):
    bad = _write(tmp_path, "name,value\na,1\n", "bks.csv")
    with pytest.raises(DarpInputError, match=r"bks.csv:1: not a bks.csv"):
        read_bks(bad)
    bad.write_text("instance,vehicles,distance,source\nlc101,ten,828.9,x\n")
    with pytest.raises(DarpInputError, match=r"bks.csv:2: cannot read"):
        read_bks(bad)
    with pytest.raises(DarpInputError, match="no such file"):
        read_bks(tmp_path / "missing.csv")


# ------------------------------------------------------------------ Cordeau & Laporte (2003) format
def _as_2003(text: str) -> str:
    """A 2006-format instance rewritten in the 2003 format: header ``m 2n T Q L``, no end-depot row."""
    lines = [line for line in text.splitlines() if line.strip()]
    m, n, *rest = lines[0].split()
    return "\n".join([" ".join([m, str(2 * int(n)), *rest]), *lines[1:-1]]) + "\n"


@pytest.mark.parametrize("name", ["a2-16", "a5-40", "a8-96"])
def test_the_2003_format_reads_as_the_same_problem(cordeau_dir, tmp_path, name):
    """pr01-pr20 style: the second header field counts pickup and drop-off nodes, node 0 is the
    depot at both ends. The a-set files (depots 0 and 2n+1 at one place) rewritten that way give
    the same requests, windows and limits, and a plan has the same exact cost under both."""
    original = read_cordeau(cordeau_dir / f"{name}.txt")
    path = _write(tmp_path, _as_2003((cordeau_dir / f"{name}.txt").read_text()), f"{name}-2003.txt")
    rewritten = read_instance(path, "darp")
    a, b = original.problem, rewritten.problem
    n = a.request_count
    assert b.request_count == n and rewritten.header["format"] == "cordeau2003"
    assert original.header["format"] == "cordeau2006" and rewritten.header["requests"] == n
    assert rewritten.depot_ids == (0, 0) and b.end_location.tolist() == [0] * b.vehicle_count
    for field in ("pickup_location", "dropoff_location", "seats", "pickup_earliest", "pickup_latest",
                  "dropoff_earliest", "dropoff_latest", "max_ride_time", "pickup_service", "dropoff_service",
                  "start_time", "end_latest", "max_duration", "seat_capacity"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
    assert np.array_equal(a.travel_time[: 2 * n + 1, : 2 * n + 1], b.travel_time)
    assert np.array_equal(original.node_ids, rewritten.node_ids)
    plan = Plan.empty(a)
    plan.routes[0] = [s for r in range(n) for s in (2 * r, 2 * r + 1)]   # one after another, relaxed check
    assert original.check(plan).cost == pytest.approx(rewritten.check(plan).cost)


def test_a_small_2003_file(tmp_path):
    path = _write(tmp_path, "1 2 100 3 30\n0 0 0 0 0 0 100\n1 1 0 0 1 0 100\n2 2 0 0 -1 0 100\n")
    c = read_cordeau(path)
    assert c.problem.request_count == 1 and c.depot_ids == (0, 0) and c.problem.travel_time[1, 2] == 1000


@pytest.mark.parametrize("text, words", [
    ("1 2 100 3 30\n0 0 0 0 0 0 100\n1 1 0 0 1 0 100\n", "or, in the 2003 format where it counts pickup and "
                                                          "drop-off nodes, 3 rows"),
    ("1 3 100 3 30\n0 0 0 0 0 0 100\n1 1 0 0 1 0 100\n2 2 0 0 -1 0 100\n3 3 0 0 0 0 100\n", "8 node rows"),
    ("1 2 100 3 30\n0 0 0 0 1 0 100\n1 1 0 0 1 0 100\n2 2 0 0 -1 0 100\n", "node 0 is a depot"),
])
def test_malformed_2003_files(tmp_path, text, words):
    path = _write(tmp_path, text)
    with pytest.raises(DarpInputError) as info:
        read_cordeau(path)
    assert words in str(info.value)
