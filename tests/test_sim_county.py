"""The county demand model: trip lengths and zone and hub shares match their parameters within
tolerance over seeds, trips start in the villages too, day types, and hub files."""

from __future__ import annotations

import numpy as np
import pytest

from simulations.county import default_hubs, is_station, read_hubs, settlement_nodes, station_hubs, zones
from simulations.demand import DemandConfig, ServiceDay, expected_trips, generate_demand, hour_weights
from simulations.errors import SimulationInputError
from simulations.region import load_region

DAY = ServiceDay(open_s=5 * 3600, close_s=23 * 3600, min_lead_s=1800, early_trip_before_s=8 * 3600)
SEEDS = range(3)


@pytest.fixture(scope="module")
def region(demo_network):
    return load_region("demo", network=demo_network)


def trips(region, seeds=SEEDS, **config):
    out = []
    for seed in seeds:
        out.extend(generate_demand(region, DemandConfig(multiplier=2.0, **config), DAY, seed=seed))
    return out


def straight_km(region, trip):
    return float(np.hypot(*(region.node_xy[trip.origin_node] - region.node_xy[trip.destination_node]))) / 1000.0


@pytest.mark.parametrize("mean_km", [3.0, 6.0])
def test_trip_length_follows_the_parameter(region, mean_km):
    config = dict(mean_trip_km=mean_km, hub_share=0.0, zones_on=False)
    lengths = np.array([straight_km(region, t) for t in trips(region, **config)])
    target = mean_km / DemandConfig().circuity           # straight-line mean = road mean ÷ circuity
    assert lengths.mean() == pytest.approx(target, rel=0.08)
    assert (lengths >= 0.8 - 1e-9).all()                 # shorter trips are walked


def test_zone_share_matches_the_parameter(region):
    zone_of = zones(region, DemandConfig().zone_count)

    def inside(share):
        ts = [t for t in trips(region, zone_share=share, hub_share=0.0)]
        return np.mean([zone_of[t.origin_municipality] == zone_of[t.destination_municipality] for t in ts])
    anywhere = inside(0.0)
    assert inside(1.0) == 1.0
    assert inside(0.8) == pytest.approx(0.8 + 0.2 * anywhere, abs=0.03)
    assert anywhere < 0.8


def test_hub_share_and_hubs(region):
    ts = trips(region, hub_share=0.3)
    share = np.mean([t.hub != "" for t in ts])
    # origins closer than the shortest trip to the chosen hub become ordinary trips: a little below 0.3
    assert 0.2 <= share <= 0.3 + 0.02
    to_hub = [t for t in ts if t.hub]
    assert 0.4 < np.mean([t.destination_municipality != t.origin_municipality or t.origin_node != t.destination_node
                          for t in to_hub]) <= 1
    assert not any(t.hub for t in trips(region, seeds=[0], hub_share=0.0))


def test_trips_start_in_the_villages_not_only_at_the_centres(region):
    from simulations.demand import _radius_m

    nodes, muni = settlement_nodes(region)
    assert len(np.unique(muni)) == len(region.municipalities)
    ts = trips(region, seeds=[0])
    config = DemandConfig()
    far = np.array([np.hypot(*(region.node_xy[t.origin_node] - region.centre_xy[t.origin_municipality])) for t in ts])
    # the old model drew places within this radius of the centre only
    radius = np.array([_radius_m(region.municipalities[t.origin_municipality].population,
                                 region.municipalities[t.origin_municipality].area_km2, config) for t in ts])
    assert far.max() > 4000 and np.mean(far > radius) > 0.05


def test_day_types(region):
    config = DemandConfig()
    saturday = ServiceDay(5 * 3600, 23 * 3600, 1800, 8 * 3600, "saturday")
    sunday = ServiceDay(5 * 3600, 23 * 3600, 1800, 8 * 3600, "sunday")
    assert expected_trips(region, config, saturday) == pytest.approx(1.3 * expected_trips(region, config, DAY))
    assert expected_trips(region, config, sunday) == pytest.approx(0.6 * expected_trips(region, config, DAY))
    assert int(np.argmax(hour_weights(config, DAY))) in (7, 15, 16)
    assert 9 <= int(np.argmax(hour_weights(config, saturday))) <= 12
    weekday_n = np.mean([len(generate_demand(region, config, DAY, s)) for s in SEEDS])
    saturday_n = np.mean([len(generate_demand(region, config, saturday, s)) for s in SEEDS])
    assert saturday_n / weekday_n == pytest.approx(1.3, rel=0.06)


def test_hub_file(region, tmp_path):
    good = tmp_path / "hubs.csv"
    good.write_text("name,lat,lon,weight,kind\nBahnhof Riesa,51.3086,13.2939,5,station\n"
                    "Klinikum Meißen,51.1634,13.4737,3,hospital\n")
    hubs = read_hubs(good, region)
    assert [h.kind for h in hubs] == ["station", "hospital"] and hubs[0].weight == 5
    ts = generate_demand(region, DemandConfig(hubs_csv=str(good), hub_share=0.5), DAY, seed=1)
    assert {t.hub for t in ts if t.hub} == {"Bahnhof Riesa", "Klinikum Meißen"}
    bad = tmp_path / "bad.csv"
    bad.write_text("name,lat,lon\nX,51,13\n")
    with pytest.raises(SimulationInputError, match="name, lat, lon, weight"):
        read_hubs(bad, region)
    far = tmp_path / "far.csv"
    far.write_text("name,lat,lon,weight\nBerlin,52.52,13.40,1\n")
    with pytest.raises(SimulationInputError, match="from the nearest road"):
        read_hubs(far, region)


# --------------------------------------------------------------------------- stations from the stop table
def _centre(region, name):
    m = next(m for m in region.municipalities if m.name.split(",")[0] == name)
    return m.lat, m.lon


def _stop_region(demo_network, tmp_path, body):
    path = tmp_path / "stops.csv"
    path.write_text(body)
    return load_region("demo", stops=path, network=demo_network)


def test_stations_of_the_stop_table_are_hubs(region, demo_network, tmp_path):
    (rlat, rlon), (mlat, mlon), (plat, plon) = (_centre(region, n) for n in ("Riesa", "Meißen", "Priestewitz"))
    body = ("stop_id,stop_name,stop_lat,stop_lon\n"
            f"1,Riesa Bahnhof,{rlat},{rlon}\n"
            f"2,Riesa Bahnhof,{rlat + 0.0003},{rlon}\n"                # a second platform: the same station
            f"3,Riesa Bahnhofstraße,{rlat + 0.002},{rlon}\n"           # a street, not a station
            f"4,Meißen Markt,{mlat},{mlon}\n"
            f"5,Meißen Triebischtal Haltepunkt,{mlat - 0.002},{mlon}\n"
            f"6,Meißen Hbf,{mlat + 0.002},{mlon}\n"
            f"7,Priestewitz Bf,{plat},{plon}\n")
    stops_region = _stop_region(demo_network, tmp_path, body)
    stations = {h.name: h for h in station_hubs(stops_region)}
    assert set(stations) == {"Riesa Bahnhof", "Meißen Triebischtal Haltepunkt", "Meißen Hbf", "Priestewitz Bf"}
    population = {m.name.split(",")[0]: m.population for m in region.municipalities}
    # weight: the municipality's population divided among its stations
    assert stations["Riesa Bahnhof"].weight == pytest.approx(population["Riesa"])
    assert stations["Meißen Hbf"].weight == pytest.approx(population["Meißen"] / 2)
    assert stations["Priestewitz Bf"].weight == pytest.approx(population["Priestewitz"])
    assert all(h.kind == "station" for h in stations.values())
    # by default alongside the towns, and trips go to them
    hubs = default_hubs(stops_region, DemandConfig().hub_min_population)
    assert {h.name for h in hubs} >= set(stations) | {"Riesa", "Meißen"}
    ts = trips(stops_region, seeds=range(2), hub_share=0.5)
    used = {t.hub for t in ts if t.hub}
    assert set(stations) <= used, used
    # off when asked, and replaced by a hub file
    assert not {t.hub for t in trips(stops_region, seeds=range(1), hub_share=0.5, station_hubs=False)} & set(stations)
    hub_file = tmp_path / "hubs.csv"
    hub_file.write_text(f"name,lat,lon,weight\nKlinikum,{mlat},{mlon},1\n")
    assert {t.hub for t in trips(stops_region, seeds=range(1), hub_share=0.5, hubs_csv=str(hub_file))} == {
        "", "Klinikum"}
    # without a stop table: towns only
    assert station_hubs(region) == [] and all(h.kind == "town centre" for h in default_hubs(region, 10_000))


def test_a_kind_column_decides_which_stops_are_stations(region, demo_network, tmp_path):
    (rlat, rlon), (mlat, mlon) = (_centre(region, n) for n in ("Riesa", "Meißen"))
    body = ("name,town,lat,lon,type\n"
            f"Bahnhof,Riesa,{rlat},{rlon},bus\n"                       # named a station, but the kind says bus
            f"Am Gleis,Meißen,{mlat},{mlon},station\n"
            f"Markt,Meißen,{mlat + 0.002},{mlon},\n")
    stations = station_hubs(_stop_region(demo_network, tmp_path, body))
    assert [h.name for h in stations] == ["Meißen Am Gleis"]


def test_station_names():
    assert all(is_station(n, "", False) for n in ("Bahnhof", "Riesa Hbf", "Priestewitz Bf.", "Haltepunkt Nord",
                                                 "Meißen S-Bahnhof", "Dippoldiswalde Busbahnhof"))
    assert not any(is_station(n, "", False) for n in ("Bahnhofstraße", "Am Bahnhofsplatz", "Ortsmitte", "Bfstr"))
    assert is_station("Markt", "Railway Station", True) and not is_station("Bahnhof", "bus", True)
