"""The ``ride-pool network`` command line: help everywhere, build/info/route, and bad input
(exit code 2, one ``error:`` line on stderr, no output file left behind)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from ride_pool import __version__
from ride_pool.cli import app
from routing.gazetteer import Gazetteer
from routing.network import RoadNetwork
from routing.travel_times import TravelTimes

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def command_paths(command=None, prefix=()):
    """Every command and sub-command of the app, as argument lists."""
    command = command or typer.main.get_command(app)
    yield list(prefix)
    for name, sub in getattr(command, "commands", {}).items():
        yield from command_paths(sub, (*prefix, name))


def assert_bad_input(result, *fragments):
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    assert result.stdout == ""
    return lines[0]


# --------------------------------------------------------------------------- help
def test_every_command_has_help():
    paths = list(command_paths())
    assert ["network", "build"] in paths and ["network", "info"] in paths and ["network", "route"] in paths
    for path in paths:
        result = invoke(*path, "--help")
        assert result.exit_code == 0, (path, result.output)
        assert "Usage" in result.stdout and "--help" in result.stdout


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"ride-pool {__version__}"


# --------------------------------------------------------------------------- build, info, route
def test_build_demo(tmp_path, demo_network):
    out = tmp_path / "demo.npz"
    result = invoke("network", "build", "demo", "--out", out)
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC" in result.stdout and "demo-landkreis-meissen" in result.stdout
    assert f"written      {out}" in result.stdout
    assert RoadNetwork.load(out).same_as(demo_network)
    # the places are saved beside the network (the search's gazetteer), nothing else
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.npz", "demo.places.json.gz"]
    places = Gazetteer.load(tmp_path / "demo.places.json.gz")
    assert places.synthetic and places.network_source == demo_network.source
    assert places.counts()["settlement"] == demo_network.extra["settlements"]


def test_build_osm_file_json(tmp_path, bayreuth_osm, bayreuth_network):
    out = tmp_path / "bayreuth.npz"
    result = invoke("network", "build", bayreuth_osm, "--out", out, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["file"] == str(out)
    assert summary["kind"] == "OSM" and summary["synthetic"] is False
    assert summary["nodes"] == bayreuth_network.node_count and summary["edges"] == bayreuth_network.edge_count
    assert "OpenStreetMap contributors" in summary["attribution"]
    assert RoadNetwork.load(out).same_as(bayreuth_network)


def test_build_with_name_and_edge_length(tmp_path, bayreuth_osm):
    out = tmp_path / "coarse.npz"
    result = invoke("network", "build", bayreuth_osm, "--out", out, "--name", "bayreuth-coarse",
                    "--max-edge-length", "1000000")
    assert result.exit_code == 0, result.output
    net = RoadNetwork.load(out)
    assert net.name == "bayreuth-coarse" and net.node_count == 622


def test_info_json(saved_networks, demo_network):
    result = invoke("network", "info", saved_networks["demo"], "--json")
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    for key in ("nodes", "edges", "road_km", "bbox", "largest_component_share", "kind", "attribution"):
        assert key in info
    assert info["nodes"] == demo_network.node_count and info["edges"] == demo_network.edge_count
    assert info["kind"] == "synthetic" and "SYNTHETIC" in info["source"]
    assert set(info["bbox"]) == {"min_lon", "min_lat", "max_lon", "max_lat"}
    assert 0.99 < info["largest_component_share"] <= 1


@pytest.mark.parametrize("which,kind", [("demo", "SYNTHETIC"), ("bayreuth", "OpenStreetMap")])
def test_info_text(saved_networks, which, kind):
    result = invoke("network", "info", saved_networks[which])
    assert result.exit_code == 0, result.output
    for label in ("nodes", "edges", "road km", "bbox", "largest SCC", "attribution"):
        assert label in result.stdout
    assert f"kind         {kind}" in result.stdout


def test_route_prints_geojson(saved_networks, bayreuth_network):
    result = invoke("network", "route", saved_networks["bayreuth"], "11.50,50.00", "11.58,50.04")
    assert result.exit_code == 0, result.output
    feature = json.loads(result.stdout)
    assert feature["type"] == "Feature" and feature["geometry"]["type"] == "LineString"
    assert len(feature["geometry"]["coordinates"]) >= 2
    expected = TravelTimes(bayreuth_network).route_between((11.50, 50.00), (11.58, 50.04))
    assert feature == json.loads(json.dumps(expected))
    minutes, seconds = divmod(feature["properties"]["travel_time_s"], 60)
    assert result.stderr.startswith(f"{minutes} min {seconds} s, ")
    assert "SYNTHETIC" not in result.stderr


def test_route_on_the_demo_is_labelled_synthetic(saved_networks):
    result = invoke("network", "route", saved_networks["demo"], "13.4737,51.1634", "13.2939,51.3086")
    assert result.exit_code == 0, result.output
    feature = json.loads(result.stdout)
    assert feature["properties"]["synthetic"] is True
    assert "SYNTHETIC" in feature["properties"]["attribution"]
    assert "(SYNTHETIC network)" in result.stderr
    assert 15 * 60 < feature["properties"]["travel_time_s"] < 45 * 60  # Meißen to Riesa


def test_route_with_a_larger_snap_limit(saved_networks, bayreuth_network):
    top = int(np.argmax(bayreuth_network.node_lat))
    far = f"{bayreuth_network.node_lon[top]:.6f},{bayreuth_network.node_lat[top] + 0.011:.6f}"  # ~1.2 km off
    assert invoke("network", "route", saved_networks["bayreuth"], far, "11.5,50.0").exit_code == 2
    result = invoke("network", "route", saved_networks["bayreuth"], far, "11.5,50.0", "--max-snap", "2000")
    assert result.exit_code == 0, result.output


# --------------------------------------------------------------------------- bad input
@pytest.fixture
def inputs(tmp_path):
    """A folder of bad input files, kept apart from the output folder."""
    folder = tmp_path / "inputs"
    folder.mkdir()
    (folder / "roads.txt").write_text("not a map")
    (folder / "empty.osm.pbf").write_bytes(b"")
    (folder / "corrupt.osm.gz").write_bytes(np.random.default_rng(7).bytes(3000))
    (folder / "paths.osm").write_text(
        '<?xml version="1.0"?>\n<osm version="0.6">\n'
        '<node id="1" lat="50.0" lon="11.5"/><node id="2" lat="50.001" lon="11.5"/>\n'
        '<way id="3"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way>\n</osm>\n'
    )
    (folder / "corrupt.npz").write_bytes(b"PK\x03\x04 not really a zip")
    return folder


@pytest.fixture
def out_dir(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.mark.parametrize(
    "source,fragments",
    [
        ("roads.txt", ["unknown file type", "roads.txt"]),
        ("missing.osm.pbf", ["missing.osm.pbf", "no such file"]),
        ("missing.shp", ["missing.shp", "not a network source"]),
        ("empty.osm.pbf", ["empty.osm.pbf", "empty"]),
        ("corrupt.osm.gz", ["corrupt.osm.gz", "corrupt or truncated"]),
        ("paths.osm", ["paths.osm", "no drivable roads"]),
    ],
)
def test_build_bad_sources(inputs, out_dir, source, fragments):
    result = invoke("network", "build", inputs / source, "--out", out_dir / "net.npz")
    assert_bad_input(result, *fragments)
    assert list(out_dir.iterdir()) == []


def test_build_bad_outputs(bayreuth_osm, out_dir):
    assert_bad_input(invoke("network", "build", "demo", "--out", out_dir / "missing" / "demo.npz"),
                     "output folder does not exist")
    assert_bad_input(invoke("network", "build", "demo", "--out", out_dir / "demo.zip"), "must end in .npz")
    (out_dir / "taken.npz").mkdir()  # the output name is a folder: fails when the file is moved in place
    assert_bad_input(invoke("network", "build", bayreuth_osm, "--out", out_dir / "taken.npz"), "taken.npz")
    assert [p.name for p in out_dir.iterdir()] == ["taken.npz"]
    assert list((out_dir / "taken.npz").iterdir()) == []


def test_build_unresolvable_place(monkeypatch, out_dir):
    import osmnx._nominatim

    monkeypatch.setattr(osmnx._nominatim, "_nominatim_request", lambda params, request_type="search": [])
    result = invoke("network", "build", "place:Nirgendwo", "--out", out_dir / "place.npz")
    assert_bad_input(result, "'Nirgendwo'", "could not resolve")
    assert list(out_dir.iterdir()) == []


@pytest.mark.parametrize(
    "file,fragments",
    [
        ("missing.npz", ["missing.npz", "no such network file"]),
        ("corrupt.npz", ["corrupt.npz", "not a ride_pool network file"]),
        ("roads.txt", ["roads.txt", "expected a network file ending in .npz"]),
    ],
)
def test_info_bad_files(inputs, file, fragments):
    assert_bad_input(invoke("network", "info", inputs / file), *fragments)
    assert_bad_input(invoke("network", "info", inputs / file, "--json"), *fragments)
    assert_bad_input(invoke("network", "route", inputs / file, "11.5,50.0", "11.55,50.02"), *fragments)


@pytest.mark.parametrize(
    "origin,destination,fragments",
    [
        ("13.4737,51.1634", "11.55,50.02", ["lon=13.473700, lat=51.163400", "from the nearest road"]),
        ("11.5,50.0", "11.0,49.0", ["lon=11.000000, lat=49.000000", "limit 500 m"]),
        ("11.5;50.0", "11.55,50.02", ["'11.5;50.0' is not a point", "LON,LAT"]),
        ("11.5", "11.55,50.02", ["'11.5' is not a point"]),
        ("11.5,50.0,3", "11.55,50.02", ["'11.5,50.0,3' is not a point"]),
        ("east,north", "11.55,50.02", ["'east,north' is not a point"]),
        ("11.5,50.0", "11.55,95", ["invalid coordinate lon=11.55, lat=95.0", "latitude in [-90, 90]"]),
        ("11.5,50.0", "nan,50.0", ["invalid coordinate"]),
    ],
)
def test_route_bad_points(saved_networks, origin, destination, fragments):
    assert_bad_input(invoke("network", "route", saved_networks["bayreuth"], origin, destination), *fragments)


def test_route_bad_snap_limit(saved_networks):
    assert_bad_input(invoke("network", "route", saved_networks["bayreuth"], "11.5,50.0", "11.55,50.02",
                            "--max-snap", "0"), "positive")


# --------------------------------------------------------------------------- the installed command
def _ride_pool_command() -> list[str]:
    script = Path(sys.executable).with_name("ride-pool")
    if script.exists():
        return [str(script)]
    found = shutil.which("ride-pool")
    return [found] if found else [sys.executable, "-m", "ride_pool.cli"]


def test_installed_command(tmp_path, saved_networks):
    command = _ride_pool_command()
    env = {**os.environ, "NO_COLOR": "1"}
    help_run = subprocess.run([*command, "network", "build", "--help"], capture_output=True, text=True, env=env,
                              timeout=120)
    assert help_run.returncode == 0 and "--out" in help_run.stdout
    info = subprocess.run([*command, "network", "info", str(saved_networks["bayreuth"]), "--json"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert info.returncode == 0, info.stderr
    assert json.loads(info.stdout)["name"] == "north-bayreuth"
    bad = subprocess.run([*command, "network", "build", str(tmp_path / "roads.geojson"), "--out",
                          str(tmp_path / "x.npz")], capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert bad.stderr.splitlines() == [
        f"error: {tmp_path / 'roads.geojson'}: not a network source; give 'demo', 'state:SN', an OSM file (.osm, "
        ".osm.gz, .osm.bz2, .osm.pbf) or place:NAME"
    ]
    assert list(tmp_path.iterdir()) == []
