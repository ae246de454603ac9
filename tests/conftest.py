"""Shared fixtures: where the shared data lies, and road networks built once per test session.

The shared data (OSM extracts, benchmark instances) is read in place from ``$RIDE_POOL_DATA_DIR``,
by default ``../shared/data`` beside the repository; it is never copied into the repository.
Tests that need it are skipped, with the reason, when it is not there.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from conftest_db import *  # noqa: F401,F403 - database fixtures database_url, db_engine (tests/ is on sys.path)
from web_support import browser, new_page, web_api, web_server  # noqa: F401 - browser-test fixtures, once per session

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = REPO.parent / "shared" / "data"

BAYREUTH_OSM = "osm/north-bayreuth.osm.gz"
LAUF_OSM = "osm/lauf-200115.osm.pbf"


def _data_dir() -> Path:
    return Path(os.environ.get("RIDE_POOL_DATA_DIR") or DEFAULT_DATA_DIR)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared data folder; skips the test cleanly when it is missing."""
    path = _data_dir()
    if not path.is_dir():
        pytest.skip(f"shared data not found at {path} (set RIDE_POOL_DATA_DIR)")
    return path


def _shared_file(data_dir: Path, relative: str) -> Path:
    path = data_dir / relative
    if not path.is_file():
        pytest.skip(f"shared data file {path} not found")
    return path


@pytest.fixture(scope="session")
def bayreuth_osm(data_dir) -> Path:
    """``north-bayreuth.osm.gz``: OSM XML (gzip), rural villages north of Bayreuth."""
    return _shared_file(data_dir, BAYREUTH_OSM)


@pytest.fixture(scope="session")
def lauf_osm(data_dir) -> Path:
    """``lauf-200115.osm.pbf``: OSM PBF, small town; 42 drivable ways are clipped at its edge."""
    return _shared_file(data_dir, LAUF_OSM)


@pytest.fixture(scope="session")
def demo_build():
    """The embedded synthetic demo network, built once per session, and its build time (s)."""
    from routing.synthetic import build_demo_network

    start = time.perf_counter()
    network = build_demo_network()
    return network, time.perf_counter() - start


@pytest.fixture(scope="session")
def demo_network(demo_build):
    return demo_build[0]


@pytest.fixture(scope="session")
def bayreuth_network(bayreuth_osm):
    from routing.osm import network_from_osm_file

    return network_from_osm_file(bayreuth_osm)


@pytest.fixture(scope="session")
def lauf_network(lauf_osm):
    from routing.osm import network_from_osm_file

    return network_from_osm_file(lauf_osm)


@pytest.fixture(scope="session")
def saved_networks(tmp_path_factory, demo_network, bayreuth_network):
    """The demo and north-bayreuth networks saved as ``.npz`` files (for the CLI tests)."""
    folder = tmp_path_factory.mktemp("networks")
    return {
        "demo": demo_network.save(folder / "demo.npz"),
        "bayreuth": bayreuth_network.save(folder / "bayreuth.npz"),
    }



_DATABASE_FIXTURES = {"database_url", "db_engine", "postgres_admin", "sqlite_template"}


def pytest_collection_modifyitems(config, items):
    """Mark every test that touches a database, so CI can run those again on PostgreSQL
    (``RIDE_POOL_DATABASE_URL=postgresql://... python -m pytest -m database``)."""
    for item in items:
        if _DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.database)
