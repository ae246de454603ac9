"""The wide-window stand-ins are valid 2003-format instances, and the harness measures against its own best."""

from __future__ import annotations

import json

import numpy as np

from benchmarks.darp_wide_windows import main, write_instance
from routing.darp.instances import read_cordeau


def test_a_stand_in_reads_as_a_2003_instance_with_one_wide_window_per_request(tmp_path):
    path = tmp_path / "w.txt"
    write_instance(path, requests=30, vehicles=4, seed=7, window=45)
    inst = read_cordeau(path, time_scale=1)
    assert inst.header["format"] == "cordeau2003" and inst.header["requests"] == 30
    assert inst.vehicle_limit == 4 and inst.header["capacity"] == 6 and inst.header["max_ride_time"] == 90
    rows = np.loadtxt(path, skiprows=1)
    pick, drop = rows[1:31], rows[31:61]
    # outbound requests (the first half) have their window at the drop-off, inbound ones at the pickup
    np.testing.assert_allclose(drop[:15, 6] - drop[:15, 5], 45, atol=0.11)
    np.testing.assert_allclose(pick[15:, 6] - pick[15:, 5], 45, atol=0.11)
    assert (pick[:15, 5] == 0).all() and (drop[15:, 6] == 1440).all()
    assert (rows[1:31, 4] == 1).all() and (rows[31:, 4] == -1).all()
    again = tmp_path / "again.txt"
    write_instance(again, requests=30, vehicles=4, seed=7, window=45)
    assert again.read_text() == path.read_text()


def test_the_harness_writes_each_runs_gap_to_the_best_plan_of_the_run(tmp_path):
    out = tmp_path / "wide.json"
    assert main(["--time", "3", "--seeds", "0,1", "--reference-time", "0", "--only", "s100", "--jobs", "1",
                 "--write-dir", str(tmp_path), "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    row = doc["instances"]["s100"]
    # a run without a complete plan in its time (possible on a slow machine) has no cost and no gap
    costs = [r["cost"] for r in doc["runs"]]
    found = [c for c in costs if c is not None]
    assert row["runs"] == 2 and row["feasible"] == len(found) >= 1
    assert row["reference_cost"] == min(found) and 0.0 in row["gaps_percent"]
    assert row["gaps_percent"] == [None if c is None else round(100 * (c / min(found) - 1), 3) for c in costs]


def test_bad_seeds_exit_2(tmp_path, capsys):
    assert main(["--seeds", "one", "--out", str(tmp_path / "x.json")]) == 2
    assert "whole numbers" in capsys.readouterr().err
