"""--observed: the demand scale and the hourly profile fitted to observed counts, the fit reported,
zones compared, and bad files refused."""

from __future__ import annotations

import numpy as np
import pytest

from simulations.calibration import calibrate, read_observed, zone_names
from simulations.demand import DemandConfig, ServiceDay, expected_trips
from simulations.errors import SimulationInputError
from simulations.region import load_region

DAY = ServiceDay(open_s=5 * 3600, close_s=23 * 3600, min_lead_s=1800, early_trip_before_s=8 * 3600)


@pytest.fixture(scope="module")
def region(demo_network):
    return load_region("demo", network=demo_network)


def test_total_fits_the_scale(region, tmp_path):
    path = tmp_path / "obs.csv"
    path.write_text("trips\n480\n")
    fitted, fit = calibrate(region, DemandConfig(), DAY, read_observed(path))
    assert expected_trips(region, fitted, DAY) == pytest.approx(480)
    assert fitted.trips_per_1000 == pytest.approx(480 / 240_414 * 1000)
    assert fit["modelled_trips_per_day"] == pytest.approx(480, rel=0.08)


def test_hours_fit_the_profile(region, tmp_path):
    path = tmp_path / "obs.csv"
    rows = "\n".join(f"{h},{n}" for h, n in [(6, 20), (7, 80), (8, 40), (12, 60), (16, 100), (20, 20)])
    path.write_text("hour,trips\n" + rows + "\n")
    fitted, fit = calibrate(region, DemandConfig(), DAY, read_observed(path))
    assert expected_trips(region, fitted, DAY) == pytest.approx(320)
    assert fit["by_hour"]["largest_gap"] < 0.06
    assert int(np.argmax(fit["by_hour"]["modelled_share"])) == 16


def test_zones_are_compared(region, tmp_path):
    names = zone_names(region, DemandConfig())
    path = tmp_path / "obs.csv"
    path.write_text("zone,trips\n" + "\n".join(f"{n},100" for n in names) + "\n")
    _, fit = calibrate(region, DemandConfig(), DAY, read_observed(path))
    assert fit["by_zone"]["zones"] == names and fit["by_zone"]["observed_share"][0] == pytest.approx(1 / len(names),
                                                                                                      abs=1e-3)
    path.write_text("zone,trips\nAtlantis,5\n")
    with pytest.raises(SimulationInputError, match="unknown zone 'Atlantis'"):
        calibrate(region, DemandConfig(), DAY, read_observed(path))


@pytest.mark.parametrize("body, message", [
    ("count\n5\n", "'trips' column"),
    ("trips\nmany\n", "must be a number"),
    ("hour,trips\n25,3\n", "hour must be"),
    ("trips\n0\n", "add up to 0"),
    ("hour,zone,trips\n1,A,3\n", "not both"),
])
def test_bad_observed_files(tmp_path, body, message):
    path = tmp_path / "obs.csv"
    path.write_text(body)
    with pytest.raises(SimulationInputError, match=message):
        read_observed(path)
