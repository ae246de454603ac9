"""The synthetic state-wide region (routing.state_network): Destatis rows of one Land, the demo's
construction with a coarser grid, labelled SYNTHETIC, cached as .npz, usable as region ``state:XX``."""

from __future__ import annotations

import numpy as np
import pytest

from routing.errors import RoutingInputError
from routing.state_network import build_state_network, read_state_municipalities, state_code


@pytest.fixture()
def gv_table(data_dir):
    path = data_dir / "municipalities" / "AuszugGV4QAktuell.csv"
    if not path.is_file():
        pytest.skip("Destatis table not in the shared data")
    return path


def test_state_codes():
    assert state_code("state:SN") == "SN"
    assert state_code("state:sn") == "SN"
    assert state_code("state:14") == "SN"
    assert state_code("state:9") == "BY"
    with pytest.raises(RoutingInputError, match="unknown state"):
        state_code("state:XX")


def test_sachsen_rows_of_the_destatis_table(gv_table):
    munis = read_state_municipalities("SN", gv_table)
    assert 400 <= len(munis) <= 430
    assert all(m.ags.startswith("14") for m in munis)
    assert 3_900_000 < sum(m.population for m in munis) < 4_200_000
    assert [m.ags for m in munis] == sorted(m.ags for m in munis)
    leipzig = next(m for m in munis if m.name.startswith("Leipzig"))
    assert leipzig.population > 500_000 and 51.2 < leipzig.lat < 51.5


def test_small_state_network_is_synthetic_connected_and_cached(gv_table, tmp_path, monkeypatch):
    monkeypatch.setenv("RIDE_POOL_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("RIDE_POOL_DATA_DIR", str(gv_table.parents[1]))
    net = build_state_network("state:HB")
    assert net.synthetic and net.source.startswith("SYNTHETIC state-wide network of Bremen")
    assert net.name == "synthetic-state-hb"
    assert net.extra["state"] == "HB" and net.extra["municipalities"] == 2
    cached = list(tmp_path.glob("synthetic-state-hb-*.npz"))
    assert len(cached) == 1
    again = build_state_network("state:HB")           # from the cache: the same network
    assert np.array_equal(again.head, net.head) and np.array_equal(again.travel_time_s, net.travel_time_s)
    # no node more than 300 m of road from the next (as the demo and OSM networks)
    assert net.length_m.max() <= 300.0 + 1e-6


def test_region_state_spec(gv_table, tmp_path, monkeypatch):
    from simulations.region import load_region, region_key

    monkeypatch.setenv("RIDE_POOL_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("RIDE_POOL_DATA_DIR", str(gv_table.parents[1]))
    region = load_region("state:HB")
    assert region.synthetic and region.state == "HB"
    assert {m.name.split(",")[0] for m in region.municipalities} == {"Bremen", "Bremerhaven"}
    assert region_key("state:HB") == "state:HB||"
