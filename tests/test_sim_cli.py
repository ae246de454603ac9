"""``ride-pool simulate``: option parsing, bad input (exit code 2, one ``error:`` line, no output
left behind), a real small sweep with its outputs, and the report opened in headless Chromium."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from ride_pool.cli.simulate import BadOption, parse_demand, parse_fleet, register

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"

runner = CliRunner()


def make_app() -> typer.Typer:
    app = typer.Typer(add_completion=False)

    @app.callback()
    def _root() -> None:
        """Test root."""

    register(app)
    return app


APP = make_app()


def invoke(*args):
    return runner.invoke(APP, ["simulate", *[str(a) for a in args]])


def assert_bad_input(result, fragment: str, out: Path | None = None) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and fragment in lines[0], lines[0]
    assert result.stdout == ""
    if out is not None and out.is_dir():
        assert not list(out.glob(".simulate-*")), "a partial output folder was left behind"
        assert not (out / "report.html").exists()
    return lines[0]


# --------------------------------------------------------------------------- parsing
def test_parse_fleet_and_demand():
    assert parse_fleet("5:40:5") == [5, 10, 15, 20, 25, 30, 35, 40]
    assert parse_fleet("3:5") == [3, 4, 5]
    assert parse_fleet("10,5,5") == [5, 10]
    assert parse_fleet("7") == [7]
    assert parse_demand("2,0.5,1") == [0.5, 1.0, 2.0]
    for bad in ("40:5:5", "5:40:0", "0:4:2", "a:b", "", "1:2:3:4"):
        with pytest.raises(BadOption):
            parse_fleet(bad)
    for bad in ("0", "-1", "1,x", "nan", ""):
        with pytest.raises(BadOption):
            parse_demand(bad)


def test_simulate_is_on_the_main_command_line():
    from ride_pool.cli import app

    result = runner.invoke(app, ["simulate", "--help"])
    assert result.exit_code == 0 and "--fleet" in result.stdout and "--scheduler" in result.stdout


# --------------------------------------------------------------------------- bad input
@pytest.fixture
def bad_municipalities(tmp_path) -> Path:
    path = tmp_path / "munis.csv"
    path.write_text("ags,name,lat\n1,A,51.0\n")
    return path


@pytest.mark.parametrize("args, fragment", [
    (["--region", "atlantis"], "unknown region 'atlantis'"),
    (["--fleet", "40:5:5"], "runs backwards"),
    (["--fleet", "five"], "is not a fleet list"),
    (["--demand", "0"], "must be greater than 0"),
    (["--demand", "1,-2"], "must be greater than 0"),
    (["--demand", "lots"], "is not a list of numbers"),
    (["--seeds", "0"], "at least 1 seed"),
    (["--target-served", "1.5"], "--target-served"),
    (["--target-p95-wait-min", "0"], "--target-p95-wait-min"),
    (["--trips-per-1000", "-4"], "--trips-per-1000"),
    (["--municipalities", "missing.csv"], "no such file"),
    (["--serial", "--scheduler", "tcp://127.0.0.1:8786"], "exclude each other"),
    (["--date", "yesterday"], "ISO date"),
    (["--reoptimise-every", "-1"], "--reoptimise-every"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, saved_networks, args, fragment):
    out = tmp_path / "out"
    args = ["--region", str(saved_networks["demo"]), *args] if "--region" not in args else args
    assert_bad_input(invoke(*args, "--out", out, "--serial"), fragment, out)


def test_municipality_csv_without_needed_columns(tmp_path, bad_municipalities, saved_networks):
    out = tmp_path / "out"
    line = assert_bad_input(invoke("--region", saved_networks["bayreuth"], "--municipalities", bad_municipalities,
                                   "--out", out, "--serial"), "lacks column(s)", out)
    assert "lon, population" in line


def test_osm_network_without_municipalities(tmp_path, saved_networks):
    assert_bad_input(invoke("--region", saved_networks["bayreuth"], "--out", tmp_path / "o", "--serial"),
                     "needs a municipality table")


def test_unwritable_output_folder(tmp_path, saved_networks):
    a_file = tmp_path / "taken"
    a_file.write_text("not a folder")
    assert_bad_input(invoke("--region", saved_networks["demo"], "--out", a_file, "--serial"),
                     "exists and is not a folder")
    assert_bad_input(invoke("--region", saved_networks["demo"], "--out", a_file / "sub", "--serial"),
                     "cannot write there")


# --------------------------------------------------------------------------- a real small sweep
@pytest.fixture(scope="module")
def sweep_out(tmp_path_factory, saved_networks):
    out = tmp_path_factory.mktemp("simulate") / "results"
    result = invoke("--region", saved_networks["demo"], "--fleet", "2,4", "--demand", "0.03", "--seeds", "2",
                    "--serial", "--out", out, "--target-served", "0.5", "--target-p95-wait-min", "30")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out / "report.html")
    return out, result


def test_sweep_writes_every_output(sweep_out):
    out, result = sweep_out
    names = {p.name for p in out.iterdir()}
    assert names == {"kpis.csv", "runs.json", "recommendation.json", "served_share.png", "p95_wait.png",
                     "passengers_per_vehicle_hour.png", "cost_per_passenger.png", "map.png", "report.html"}
    rows = list(csv.DictReader(open(out / "kpis.csv", encoding="utf-8")))
    grid = [r for r in rows if r["stage"] == "grid"]
    assert {(r["fleet"], r["seed"]) for r in grid} == {("2", "0"), ("2", "1"), ("4", "0"), ("4", "1")}
    assert list(rows[0])[:6] == ["region", "scenario", "fleet", "demand", "seed", "stage"]
    assert "occupancy" not in rows[0] and "passengers_per_vehicle_hour" in rows[0]
    doc = json.loads((out / "runs.json").read_text(encoding="utf-8"))
    assert len(doc["runs"]) == len(rows) and len(doc["recommendations"]) == 1
    assert "recommended fleet" in result.stderr
    rec = json.loads((out / "recommendation.json").read_text(encoding="utf-8"))
    assert {"fleet", "at_fleet", "at_fleet_minus_1", "binding_target", "peak_hour_bound"} <= set(rec)
    if rec["fleet"] is not None and rec["fleet"] > 1:
        assert all(r["meets_targets"] and r["fleet"] == rec["fleet"] for r in rec["at_fleet"])
        assert not all(r["meets_targets"] for r in rec["at_fleet_minus_1"])
        assert len(rec["at_fleet"]) == len(rec["seeds"]) >= 2


def test_report_is_self_contained_and_states_the_recommendation(sweep_out):
    out, _ = sweep_out
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "Empfohlene Flottengröße" in text and "Recommended fleet size" in text and "in every seed" in text
    assert text.index("Empfohlene Flottengröße") < text.index("Recommended fleet size")     # German first
    assert "peak-hour lower bound" in text and "SYNTHETIC" in text
    assert "Assumption, unsourced" in text and "Annahme, ohne Quelle" in text     # ranges without a checked source
    assert text.count("data:image/png;base64,") == 5
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), "external resource in the report"
    assert "<script" not in text and "<link" not in text


@pytest.mark.browser
def test_report_opens_in_headless_chromium(sweep_out):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    out, _ = sweep_out
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "simulation_report.png"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            requests = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto((out / "report.html").as_uri())
            page.wait_for_load_state("load")
            assert "Fleet sizing" in page.title() and "Flottenbemessung" in page.title()
            sizes = page.eval_on_selector_all("img", "imgs => imgs.map(i => [i.complete, i.naturalWidth])")
            assert len(sizes) == 5 and all(done and width > 300 for done, width in sizes), sizes
            assert page.locator("text=Recommended fleet size").count() == 1
            assert all(u.startswith(("file:", "data:")) for u in requests), requests
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
    shutil.copy(out / "report.html", ARTIFACTS / "simulation_report.html")


def _csv_without_wall_clock(path):
    from simulations.report import WALL_CLOCK_COLUMNS

    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    return [{k: v for k, v in r.items() if k not in WALL_CLOCK_COLUMNS} for r in rows]


def test_same_seed_same_kpis_csv(sweep_out, tmp_path, saved_networks):
    out, _ = sweep_out
    again = tmp_path / "again"
    result = invoke("--region", saved_networks["demo"], "--fleet", "2,4", "--demand", "0.03", "--seeds", "2",
                    "--serial", "--out", again, "--target-served", "0.5", "--target-p95-wait-min", "30")
    assert result.exit_code == 0, result.output
    first, second = _csv_without_wall_clock(out / "kpis.csv"), _csv_without_wall_clock(again / "kpis.csv")
    assert first == second and len(first) >= 4
    assert "wall_s" in open(out / "kpis.csv", encoding="utf-8").readline()


def test_param_sweep_and_shift_and_cost_files(tmp_path, saved_networks):
    shifts = tmp_path / "shifts.json"
    shifts.write_text(json.dumps({"groups": [{"vehicles": "100%", "shifts": [
        {"name": "day", "start": "04:30", "end": "23:30", "breaks": [["12:00", "12:45"]]}]}]}))
    costs = tmp_path / "costs.json"
    costs.write_text(json.dumps({"driver_eur_per_paid_hour": 30, "fare_eur_per_passenger": 2.0}))
    out = tmp_path / "out"
    result = invoke("--region", saved_networks["demo"], "--fleet", "3", "--demand", "0.02", "--seeds", "1",
                    "--serial", "--out", out, "--no-bisect", "--param", "window_min=10,20", "--shifts", shifts,
                    "--cost-model", costs, "--target-served", "0.1", "--target-p95-wait-min", "60")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(open(out / "kpis.csv", encoding="utf-8")))
    assert [r["scenario"] for r in rows] == ["window_min=10", "window_min=20"]
    assert [r["param.window_min"] for r in rows] == ["10", "20"]
    assert all(r["subsidy_per_passenger_eur"] not in ("", None) for r in rows)
    assert all(float(r["driver_hours_paid"]) == pytest.approx(3 * (19 - 0.75), abs=0.5) for r in rows)
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "window_min" in text and "How the answer depends on the service rules" in text


@pytest.mark.parametrize("args, fragment", [
    (["--param", "windoww=1,2"], "is not a service rule"),
    (["--param", "window_min"], "NAME=V1,V2"),
    (["--param", "delay_weight=x"], "is not a number"),
    (["--shifts", "missing.json"], "no such file"),
    (["--max-pooling", "0"], "--max-pooling"),
])
def test_planning_options_bad_input(tmp_path, saved_networks, args, fragment):
    out = tmp_path / "out"
    assert_bad_input(invoke("--region", saved_networks["demo"], *args, "--out", out, "--serial"), fragment, out)
