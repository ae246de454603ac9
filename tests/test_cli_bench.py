"""``ride-pool bench darp|pdptw``: table, JSON with re-checkable routes, bad input -> exit 2."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from ride_pool.cli import app
from routing.darp.instances import read_cordeau, read_lilim

runner = CliRunner()


@pytest.fixture(scope="module")
def cordeau_dir(data_dir):
    path = data_dir / "darp" / "cordeau2006"
    if not path.is_dir():
        pytest.skip(f"{path} not found")
    return path


def _assert_routes_recheck(inst, routes):
    """The JSON routes, read back through the file's node ids, form a feasible plan."""
    nodes = sorted(n for route in routes for n in route)
    assert nodes == sorted(inst.node_ids.ravel().tolist())
    plan = inst.plan_from_node_ids(routes)
    check = inst.check(plan)
    assert check.feasible, check.violations
    return check.cost / inst.time_scale


def test_bench_darp_json(cordeau_dir, tmp_path):
    out = tmp_path / "res.json"
    result = runner.invoke(app, ["bench", "darp", str(cordeau_dir / "a4-16.txt"), "--time-limit", "2",
                                 "--only-baseline", "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "a4-16" in result.stdout and "summary" in result.stdout
    doc = json.loads(out.read_text())
    assert doc["time_limit_s"] == 2 and doc["kind"] == "darp" and doc["solvers"] == ["ortools-baseline"]
    (rec,) = doc["instances"]
    for key in ("instance", "cost", "gap_percent", "seconds", "feasible", "vehicles", "routes",
                "seconds_to_first_feasible", "bks_cost"):
        assert key in rec
    assert rec["instance"] == "a4-16" and rec["feasible"] is True and rec["bks_cost"] == 282.68
    assert rec["seconds"] < 4.0
    cost = _assert_routes_recheck(read_cordeau(cordeau_dir / "a4-16.txt"), rec["routes"])
    assert rec["cost"] == pytest.approx(cost)
    assert rec["gap_percent"] == pytest.approx(100 * (cost - 282.68) / 282.68, abs=1e-3)
    assert len(rec["routes"]) == rec["vehicles"] and all(rec["routes"])
    assert doc["summary"]["feasible"] == 1 and doc["summary"]["instances"] == 1


def test_bench_pdptw_with_peers(data_dir, tmp_path):
    pytest.importorskip("vroom")
    path = data_dir / "pdptw" / "lilim100" / "lc101.txt"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    out = tmp_path / "p.json"
    result = runner.invoke(app, ["bench", "pdptw", str(path), "--time-limit", "1", "--only-baseline", "--vroom",
                                 "--json", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    rec = doc["instances"][0]
    assert rec["bks_vehicles"] == 10 and rec["vehicle_gap"] == 0
    assert rec["vroom"]["feasible"] and rec["vroom"]["vehicles"] == 10
    _assert_routes_recheck(read_lilim(path), rec["vroom"]["routes"])
    assert doc["summary"]["with_bks_vehicles"] == 1 and doc["summary"]["vroom"]["with_bks_vehicles"] == 1


def test_bench_our_solver_and_baseline(cordeau_dir, tmp_path):
    pytest.importorskip("routing.darp.solver")
    out = tmp_path / "both.json"
    result = runner.invoke(app, ["bench", "darp", str(cordeau_dir / "a2-16.txt"), "--time-limit", "1",
                                 "--baseline", "--json", str(out)])
    assert result.exit_code == 0, result.output
    rec = json.loads(out.read_text())["instances"][0]
    assert rec["solver"] == "ours" and rec["baseline"]["solver"] == "ortools-baseline"
    assert rec["feasible"], rec.get("violations")
    _assert_routes_recheck(read_cordeau(cordeau_dir / "a2-16.txt"), rec["routes"])


@pytest.mark.parametrize("args, words", [
    (["bench", "darp", "/no/such/instance.txt", "--only-baseline"], "no such file or folder"),
    (["bench", "darp", "{empty}", "--only-baseline"], "holds no instance files"),
    (["bench", "darp", "{bad}", "--only-baseline"], "bad.txt:1: expected 5 fields"),
    (["bench", "darp", "{cordeau}/a2-16.txt", "--only-baseline", "--time-limit", "0"], "positive"),
    (["bench", "darp", "{cordeau}/a2-16.txt", "--only-baseline", "--json", "/no/such/dir/x.json"],
     "output folder does not exist"),
    (["bench", "pdptw", "{cordeau}/a2-16.txt", "--only-baseline"], "a2-16.txt:1: expected 3 fields"),
])
def test_bench_bad_input_exit_2(cordeau_dir, tmp_path, args, words):
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad.txt").write_text("2 16 480\n")
    args = [a.format(empty=tmp_path / "empty", bad=tmp_path / "bad.txt", cordeau=cordeau_dir) for a in args]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0]
