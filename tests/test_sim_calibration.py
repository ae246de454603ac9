"""--observed: the demand scale and the hourly profile fitted to observed counts, the fit reported,
zones compared, and bad files refused."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from simulations.calibration import calibrate, read_observed, zone_names
from simulations.demand import DemandConfig, ServiceDay, expected_trips, generate_demand
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
    ("hour,zone,trips\n1,A,3\n", "not several"),
])
def test_bad_observed_files(tmp_path, body, message):
    path = tmp_path / "obs.csv"
    path.write_text(body)
    with pytest.raises(SimulationInputError, match=message):
        read_observed(path)


# --------------------------------------------------------------------------- the distance decay
TRUE_KM = 3.5


@pytest.fixture(scope="module")
def observed_days(region):
    """'Observed' trips: the model with mean_trip_km = 3.5 km, on seeds the fit never uses."""
    from simulations.county import zones

    config = DemandConfig(mean_trip_km=TRUE_KM, multiplier=3.0)
    names = zone_names(region, config)
    zone_of = zones(region, config.zone_count)
    out = []
    for seed in (101, 102):
        for t in generate_demand(region, config, DAY, seed):
            km = float(np.hypot(*(region.node_xy[t.origin_node] - region.node_xy[t.destination_node]))) / 1000.0
            out.append((names[zone_of[t.origin_municipality]], names[zone_of[t.destination_municipality]],
                        km * config.circuity))
    return out


def test_decay_is_fitted_from_zone_pairs(region, observed_days, tmp_path):
    counts = Counter((a, b) for a, b, _ in observed_days)
    path = tmp_path / "od.csv"
    path.write_text("from_zone,to_zone,trips\n" + "".join(f"{a},{b},{n}\n" for (a, b), n in counts.items()))
    fitted, fit = calibrate(region, DemandConfig(), DAY, read_observed(path))
    assert fitted.mean_trip_km == pytest.approx(TRUE_KM, abs=0.35)
    assert fit["decay"]["fitted"] == fitted.mean_trip_km and fit["decay"]["before"] == 5.0
    assert fit["decay"]["by"] == "zone pairs" and fit["decay"]["largest_gap"] < 0.03
    assert fit["decay"]["modelled_within_zone_share"] == pytest.approx(fit["decay"]["observed_within_zone_share"],
                                                                       abs=0.03)
    # the scale is fitted to the pairs' sum, as for a plain total
    assert expected_trips(region, fitted, DAY) == pytest.approx(len(observed_days))


def test_decay_is_fitted_from_zone_mean_lengths(region, observed_days, tmp_path):
    per_zone: dict[str, list[float]] = {}
    for a, _, km in observed_days:
        per_zone.setdefault(a, []).append(km)
    path = tmp_path / "zones.csv"
    path.write_text("zone,trips,mean_km\n" + "".join(f"{z},{len(v)},{np.mean(v):.3f}\n" for z, v in per_zone.items()))
    fitted, fit = calibrate(region, DemandConfig(mean_trip_km=8.0), DAY, read_observed(path))
    assert fitted.mean_trip_km == pytest.approx(TRUE_KM, abs=0.35)
    decay = fit["decay"]
    assert decay["by"] == "zone mean trip length" and decay["largest_gap_km"] < 1.0
    assert decay["zones"] == fit["by_zone"]["zones"]          # the zone shares are still compared


def test_longer_observed_trips_fit_a_longer_decay(region, observed_days, tmp_path):
    """The fit follows the data: the same zones with every trip 60 % longer fit a clearly longer decay."""
    per_zone: dict[str, list[float]] = {}
    for a, _, km in observed_days:
        per_zone.setdefault(a, []).append(km * 1.6)
    path = tmp_path / "zones.csv"
    path.write_text("zone,trips,mean_km\n" + "".join(f"{z},{len(v)},{np.mean(v):.3f}\n" for z, v in per_zone.items()))
    fitted, _ = calibrate(region, DemandConfig(), DAY, read_observed(path))
    assert fitted.mean_trip_km > TRUE_KM * 1.4


@pytest.mark.parametrize("body, message", [
    ("from_zone,trips\nRiesa,3\n", "both 'from_zone' and 'to_zone'"),
    ("from_zone,to_zone,trips\nRiesa,,3\n", "from_zone and to_zone must both be given"),
    ("from_zone,to_zone,trips\nRiesa,Meißen,-3\n", "trips must not be negative"),
    ("hour,from_zone,to_zone,trips\n1,Riesa,Meißen,3\n", "not several"),
    ("trips,mean_km\n3,4\n", "needs a 'zone' column"),
    ("zone,trips,mean_km\nRiesa,3,0\n", "mean_km must be positive"),
    ("zone,trips,mean_km\nRiesa,3,far\n", "mean_km must be a number"),
])
def test_bad_decay_files(tmp_path, body, message):
    path = tmp_path / "obs.csv"
    path.write_text(body)
    with pytest.raises(SimulationInputError, match=message):
        read_observed(path)


def test_unknown_zone_in_a_pair_file(region, tmp_path):
    path = tmp_path / "od.csv"
    path.write_text("from_zone,to_zone,trips\nRiesa,Atlantis,4\n")
    with pytest.raises(SimulationInputError, match="unknown zone 'Atlantis'"):
        calibrate(region, DemandConfig(), DAY, read_observed(path))


@pytest.mark.parametrize("body, fragment", [
    ("from_zone,to_zone,trips\nRiesa,Atlantis,4\n", "unknown zone 'Atlantis'"),
    ("zone,trips,mean_km\nRiesa,3,-2\n", "mean_km must be positive"),
])
def test_bad_decay_file_on_the_command_line(tmp_path, saved_networks, body, fragment):
    from test_sim_cli import assert_bad_input, invoke

    path = tmp_path / "obs.csv"
    path.write_text(body)
    out = tmp_path / "out"
    assert_bad_input(invoke("--region", saved_networks["demo"], "--observed", path, "--fleet", "2", "--demand",
                            "0.02", "--seeds", "1", "--out", out, "--serial"), fragment, out)
