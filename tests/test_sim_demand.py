"""Demand model statistics on seeded runs, municipality and stop tables, the region helpers, and
CSV replay with its errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simulations.demand import (
    DAYS_AHEAD,
    DEFAULT_HOURLY_WEIGHTS,
    HOURS_AHEAD,
    SHORT_NOTICE,
    DemandConfig,
    ServiceDay,
    demand_summary,
    destination_weights,
    expected_trips,
    generate_demand,
    hour_weights,
    municipality_nodes,
    parse_day_time,
    read_request_csv,
)
from simulations.errors import SimulationInputError
from simulations.region import (
    load_region,
    municipalities_in_bbox,
    municipalities_on_network,
    network_bbox,
    read_municipality_table,
    read_stops,
)

DAY = ServiceDay(open_s=5 * 3600, close_s=23 * 3600, min_lead_s=1800, early_trip_before_s=8 * 3600)


@pytest.fixture(scope="module")
def region(demo_network):
    return load_region("demo", network=demo_network)


@pytest.fixture(scope="module")
def big_day(region):
    """Five times the default demand (about 4,800 requests) for tight statistics; the municipality
    gravity model (the county model's places are tested in test_sim_county.py)."""
    return generate_demand(region, DemandConfig(multiplier=5.0, model="gravity"), DAY, seed=11)


# --------------------------------------------------------------------------- demand statistics
def test_total_trips_match_population_times_rate(region, big_day):
    expected = expected_trips(region, DemandConfig(multiplier=5.0))
    assert expected == pytest.approx(240_414 * 4 / 1000 * 5)
    assert abs(len(big_day) - expected) < 4 * np.sqrt(expected)      # Poisson: within 4 sigma
    # over seeds the mean converges too (default rate 4 / 1,000 / day)
    counts = [len(generate_demand(region, DemandConfig(), DAY, seed=s)) for s in range(5)]
    assert abs(np.mean(counts) - expected / 5) < 4 * np.sqrt(expected / 5 / 5)


def test_origins_follow_population(region, big_day):
    origins = np.bincount([r.origin_municipality for r in big_day], minlength=len(region.municipalities))
    share = region.population / region.population.sum()
    assert np.abs(origins / len(big_day) - share).max() < 0.02


def test_daily_profile_has_morning_and_afternoon_peaks(big_day):
    by_hour = np.array(demand_summary(big_day)["requests_by_hour"], dtype=float) / len(big_day)
    weights = hour_weights(DemandConfig(), DAY)
    assert np.abs(by_hour - weights).max() < 0.015
    assert by_hour[:5].sum() == 0 and by_hour[22:].sum() == 0       # closed, and no pickups in the last hour
    assert by_hour[7] > max(by_hour[5], by_hour[6], by_hour[9], by_hour[10])          # morning peak
    assert min(by_hour[15], by_hour[16]) > max(by_hour[9], by_hour[10], by_hour[19])  # afternoon peak
    assert DEFAULT_HOURLY_WEIGHTS[7] == max(DEFAULT_HOURLY_WEIGHTS[:12])


def test_shares_of_intra_trips_groups_wheelchairs(big_day):
    s = demand_summary(big_day)
    assert s["intra_share"] == pytest.approx(0.3, abs=0.03)
    assert s["wheelchair_share"] == pytest.approx(0.02, abs=0.008)
    sizes = np.bincount([r.passengers for r in big_day], minlength=5)[1:] / len(big_day)
    assert sizes == pytest.approx([0.78, 0.15, 0.05, 0.02], abs=0.025)
    assert all(0 <= r.wheelchairs <= 1 and r.wheelchairs <= r.passengers for r in big_day)


def test_booking_lead_times(big_day):
    early = [r for r in big_day if r.desired_time < 8 * 3600]
    assert early and all(r.booking == DAYS_AHEAD and r.request_time == 0 for r in early)
    later = [r for r in big_day if r.desired_time >= 8 * 3600]
    shares = {k: sum(r.booking == k for r in later) / len(later) for k in (SHORT_NOTICE, HOURS_AHEAD, DAYS_AHEAD)}
    assert shares[DAYS_AHEAD] == pytest.approx(0.35 * 0.4, abs=0.02)
    assert shares[HOURS_AHEAD] == pytest.approx(0.35 * 0.6, abs=0.02)
    for r in big_day:
        lead = r.desired_time - r.request_time
        if r.booking == SHORT_NOTICE:
            assert 1800 <= lead <= 3600 or r.request_time == 0
        elif r.booking == HOURS_AHEAD:
            assert 3600 <= lead <= 12 * 3600 or r.request_time == 0
        else:
            assert r.request_time == 0
    arrive_by = [r for r in big_day if r.arrive_by]
    assert all(r.booking != SHORT_NOTICE and r.desired_time >= 6 * 3600 for r in arrive_by)
    assert len(arrive_by) / sum(r.booking != SHORT_NOTICE for r in big_day) == pytest.approx(0.15 * 0.94, abs=0.04)


def test_requests_are_sorted_and_numbered(big_day):
    assert [r.request_id for r in big_day] == list(range(len(big_day)))
    times = [r.request_time for r in big_day]
    assert times == sorted(times)


def test_same_seed_same_demand_and_fleet_independent(region):
    a = generate_demand(region, DemandConfig(), DAY, seed=3)
    b = generate_demand(region, DemandConfig(), DAY, seed=3)
    assert a == b
    assert generate_demand(region, DemandConfig(), DAY, seed=4) != a


def test_gravity_prefers_near_and_large_destinations(region):
    flat = destination_weights(region, DemandConfig(gravity_beta=0.0))
    steep = destination_weights(region, DemandConfig(gravity_beta=3.0))
    assert np.allclose(flat.sum(axis=1), 1.0) and np.allclose(steep.sum(axis=1), 1.0)
    assert np.allclose(np.diag(flat), 0.3)
    lon = np.array([m.lon for m in region.municipalities])
    lat = np.array([m.lat for m in region.municipalities])
    distance = np.hypot(lon[:, None] - lon[None, :], lat[:, None] - lat[None, :])
    assert (steep * distance).sum() < (flat * distance).sum()        # steeper decay: shorter trips
    # with beta 0 the destination split (outside the origin) is the population split
    i = 0
    others = np.arange(len(lon)) != i
    expected = 0.7 * region.population[others] / region.population[others].sum()
    assert flat[i, others] == pytest.approx(expected)


def test_door_to_door_places_lie_near_the_centre(region):
    config = DemandConfig()
    nodes = municipality_nodes(region, config)
    for _m, centre, cand in zip(region.municipalities, region.centre_xy, nodes):
        distance = np.hypot(*(region.node_xy[cand] - centre).T)
        assert distance.max() <= config.max_radius_m + 1
    sizes = [len(n) for n in nodes]
    biggest = int(np.argmax(region.population))
    assert sizes[biggest] == max(sizes)      # the radius grows with population


def test_trip_ends_are_apart(region):
    trips = generate_demand(region, DemandConfig(), DAY, seed=5)
    gaps = np.array([np.hypot(*(region.node_xy[r.origin_node] - region.node_xy[r.destination_node]))
                     for r in trips])
    assert (gaps >= 800).mean() > 0.97
    assert all(r.origin_node != r.destination_node for r in trips)


def test_stops_replace_door_to_door(demo_network, data_dir):
    stops_csv = data_dir / "gtfs" / "vvo_stations.csv"
    if not stops_csv.is_file():
        pytest.skip(f"{stops_csv} not found")
    region = load_region("demo", stops=stops_csv, network=demo_network)
    assert len(region.stops) > 500 and region.stops_outside > 0
    trips = generate_demand(region, DemandConfig(), DAY, seed=2)
    stop_nodes = set(region.stop_nodes.tolist())
    for r in trips:
        assert r.origin_node in stop_nodes and r.destination_node in stop_nodes
        assert region.stop_nodes[r.origin_stop] == r.origin_node
        if (region.stop_municipality == r.origin_municipality).any():   # the nearest stop of that municipality
            assert region.stop_municipality[r.origin_stop] == r.origin_municipality


def test_demand_config_errors():
    with pytest.raises(SimulationInputError, match="trips_per_1000"):
        DemandConfig(trips_per_1000=0)
    with pytest.raises(SimulationInputError, match="intra_share"):
        DemandConfig(intra_share=1.5)
    with pytest.raises(SimulationInputError, match="hourly_weights"):
        DemandConfig(hourly_weights=(1.0,) * 23)


# --------------------------------------------------------------------------- municipality tables and regions
def test_three_county_table_reads_census_population(data_dir):
    path = data_dir / "municipalities" / "municipalities_3_counties.csv"
    table = read_municipality_table(path)
    assert len(table) == 65                      # 66 rows, the uninhabited Gutsbezirk left out
    meissen = [m for m in table if m.ags.startswith("14627")]
    assert len(meissen) == 28 and sum(m.population for m in meissen) == 240_414


def test_gv_table_filtered_by_the_bayreuth_extract(data_dir, bayreuth_network):
    germany = read_municipality_table(data_dir / "municipalities" / "AuszugGV4QAktuell.csv")
    assert len(germany) > 10_000
    inside = municipalities_in_bbox(germany, *network_bbox(bayreuth_network))
    assert {m.name for m in inside} == {"Neudrossenfeld", "Harsdorf", "Heinersreuth"}
    assert {m.ags for m in inside} == {"09477142", "09477119", "09472150"}
    assert {m.name for m in municipalities_on_network(germany, bayreuth_network)} == {m.name for m in inside}
    assert all(m.population > 0 for m in inside)


def test_osm_region_with_the_gv_table(data_dir, bayreuth_osm):
    region = load_region(str(bayreuth_osm), data_dir / "municipalities" / "AuszugGV4QAktuell.csv")
    assert [m.name for m in region.municipalities] == ["Heinersreuth", "Harsdorf", "Neudrossenfeld"]
    trips = generate_demand(region, DemandConfig(), DAY, seed=1)
    assert abs(len(trips) - expected_trips(region, DemandConfig())) < 4 * np.sqrt(expected_trips(region,
                                                                                                 DemandConfig()))


def test_region_errors(tmp_path, data_dir, saved_networks):
    with pytest.raises(SimulationInputError, match="unknown region 'meissen'"):
        load_region("meissen")
    with pytest.raises(SimulationInputError, match="no such network file"):
        load_region(str(tmp_path / "missing.npz"))
    with pytest.raises(SimulationInputError, match="needs a municipality table"):
        load_region(str(saved_networks["bayreuth"]))
    with pytest.raises(SimulationInputError, match="lies on the road network"):
        load_region(str(saved_networks["bayreuth"]), data_dir / "municipalities" / "municipalities_3_counties.csv")
    # a saved demo network finds its shipped table by itself
    assert len(load_region(str(saved_networks["demo"])).municipalities) == 28


def test_municipality_table_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("ags,name,lat\n1,A,51.0\n")
    with pytest.raises(SimulationInputError, match=r"lacks column\(s\) lon, population"):
        read_municipality_table(bad)
    bad.write_text("ags,name,population,lat,lon\n1,A,many,51.0,13.0\n")
    with pytest.raises(SimulationInputError, match="row 2"):
        read_municipality_table(bad)
    bad.write_text("")
    with pytest.raises(SimulationInputError, match="empty"):
        read_municipality_table(bad)
    with pytest.raises(SimulationInputError, match="no such municipality file"):
        read_municipality_table(tmp_path / "nope.csv")


def test_stop_table_errors(tmp_path):
    bad = tmp_path / "stops.csv"
    bad.write_text("id,name,x,y\n1,A,1,2\n")
    with pytest.raises(SimulationInputError,
                       match=r"missing column\(s\): stop_lat or latitude or lat or breite or breitengrad; stop_lon"):
        read_stops(bad)
    bad.write_text("stop_id,stop_name,stop_lat,stop_lon\n7,Markt,51.1,13.4\n8,Bahnhof,51.2,13.5\n")
    assert [(s.stop_id, s.name) for s in read_stops(bad)] == [(7, "Markt"), (8, "Bahnhof")]
    # the database import's checks hold for the simulator's stops too, every bad line listed
    bad.write_text("id,name,latitude,longitude\n1,Markt,51.1,213.4\n1,Dom,abc,13.4\n")
    with pytest.raises(SimulationInputError) as error:
        read_stops(bad)
    assert "line 2: the longitude 213.4 is outside -180..180" in str(error.value)
    assert "line 3: the latitude 'abc' is not a number" in str(error.value)
    assert "line 3: stop id '1' is used on line 2" in str(error.value)
    with pytest.raises(SimulationInputError, match="no such file"):
        read_stops(tmp_path / "missing.csv")


# one parser (ride_pool.stop_files) for the database import and the simulator: GTFS stops.txt,
# a station table (VVO's columns) and a plain latitude/longitude list
GTFS = ("\ufeffstop_id,stop_name,stop_lat,stop_lon,location_type\n"
        "de:14627:5001,Meißen Bahnhof,51.1713,13.4768,1\n"        # a station: not a stop
        "de:14627:5001:1,\"Meißen Bahnhof, Gleis 1\",51.17131,13.47671,0\n"
        "4711,Riesa Ost,51.3,13.31,\n")
STATIONS = ("id,numeric_id,name,city,latitude,longitude\n"
            "de:14627:4852,33004852,Abzw Abend (SV),Abend,51.126643,13.254777\n"
            "de:14627:6382,33006382,,Scheckthal,51.37818,14.164725\n")   # no name: named after its town
SEMICOLONS = "Name;Town;Lat;Lon\nDorfplatz;Zehren;51,2;13,4\n"


@pytest.mark.parametrize(("text", "stops", "rows"), [
    (GTFS, [(0, "Meißen Bahnhof, Gleis 1", 51.17131, 13.47671), (4711, "Riesa Ost", 51.3, 13.31)],
     [("de:14627:5001:1", "Meißen Bahnhof, Gleis 1", ""), ("4711", "Riesa Ost", "")]),
    (STATIONS, [(33004852, "Abzw Abend (SV)", 51.126643, 13.254777), (33006382, "Scheckthal", 51.37818, 14.164725)],
     [("de:14627:4852", "Abzw Abend (SV)", "Abend"), ("de:14627:6382", "Scheckthal", "Scheckthal")]),
    (SEMICOLONS, [(0, "Dorfplatz", 51.2, 13.4)], [(None, "Dorfplatz", "Zehren")]),
])
def test_database_and_simulator_read_stop_files_alike(tmp_path, text, stops, rows):
    from ride_pool.db.stops import parse_stops_file, parse_stops_text

    path = tmp_path / "stops.csv"
    path.write_text(text, encoding="utf-8")
    assert [(s.stop_id, s.name, s.lat, s.lon) for s in read_stops(path)] == stops
    imported = parse_stops_file(path)
    assert imported == parse_stops_text(text, str(path))
    assert [(s["code"], s["name"], s["town"]) for s in imported] == rows
    assert [(s["lat"], s["lon"]) for s in imported] == [(lat, lon) for _, _, lat, lon in stops]


def test_only_the_simulator_reads_stops_without_names(tmp_path):
    from ride_pool.db.errors import StopImportError
    from ride_pool.db.stops import parse_stops_file

    path = tmp_path / "points.csv"
    path.write_text("lat,lon\n51.1,13.4\n51.2,13.5\n", encoding="utf-8")
    assert [(s.stop_id, s.name) for s in read_stops(path)] == [(0, ""), (1, "")]
    with pytest.raises(StopImportError, match=r"missing column\(s\): stop_name or name"):
        parse_stops_file(path)


# --------------------------------------------------------------------------- CSV replay
HEADER = ("request_time,pickup_after,arrive_by,origin_lat,origin_lon,"
          "destination_lat,destination_lon,passengers,wheelchairs")
MEISSEN = "51.1634,13.4737"      # Meißen centre (lat, lon)
RIESA = "51.3086,13.2939"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "requests.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_replay_reads_times_places_and_groups(tmp_path, region):
    path = write(tmp_path, "\n".join([
        HEADER,
        f"07:10,08:00,,{MEISSEN},{RIESA},2,1",
        f"0,,09:30,{RIESA},{MEISSEN},1,0",
        f"25200,,,{MEISSEN},{RIESA},,",
    ]))
    trips = read_request_csv(path, region, seed=1)
    assert [t.request_time for t in trips] == [0, 25200, 7 * 3600 + 600]
    second, asap, first = trips
    assert first.desired_time == 8 * 3600 and not first.arrive_by and first.passengers == 2 and first.wheelchairs == 1
    assert second.arrive_by and second.desired_time == 9 * 3600 + 1800
    assert asap.asap and asap.passengers == 1 and asap.wheelchairs == 0
    meissen_node, _ = region.travel.snap(13.4737, 51.1634)
    assert first.origin_node == meissen_node and second.destination_node == meissen_node
    assert first.origin_municipality != first.destination_municipality
    assert read_request_csv(path, region, seed=1) == trips


@pytest.mark.parametrize("body, message", [
    ("request_time,origin_lat,origin_lon\n", "missing column(s) destination_lat, destination_lon"),
    (f"{HEADER}\n7h,,,{MEISSEN},{RIESA},1,0\n", "row 2: '7h' is not a time"),
    (f"{HEADER}\n07:00,08:00,09:00,{MEISSEN},{RIESA},1,0\n", "row 2: give pickup_after or arrive_by, not both"),
    (f"{HEADER}\n09:00,08:00,,{MEISSEN},{RIESA},1,0\n", "row 2: the desired time 08:00 lies before the request_time"),
    (f"{HEADER}\n07:00,08:00,,{MEISSEN},{RIESA},0,0\n", "row 2: passengers must be ≥ 1"),
    (f"{HEADER}\n07:00,08:00,,{MEISSEN},{RIESA},1,2\n", "row 2: passengers must be ≥ 1 and wheelchairs between"),
    (f"{HEADER}\n07:00,08:00,,{MEISSEN},{RIESA},x,0\n", "row 2: invalid literal"),
    (f"{HEADER}\n07:00,08:00,,{MEISSEN},{RIESA},1,0\n07:00,08:00,,48.1,11.5,{RIESA},1,0\n",
     "row 3: point lon=11.500000, lat=48.100000"),
    (f"{HEADER}\n07:00,08:00,,north,{RIESA},1,0\n", "row 2: could not convert"),
    (f"{HEADER}\n", "has a header but no requests"),
    ("", "the request file is empty"),
])
def test_replay_errors(tmp_path, region, body, message):
    with pytest.raises(SimulationInputError) as info:
        read_request_csv(write(tmp_path, body), region)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_replay_missing_file_and_rule_limits(tmp_path, region):
    from ride_pool.dispatch.rules import ServiceRules

    with pytest.raises(SimulationInputError, match="no such request file"):
        read_request_csv(tmp_path / "nope.csv", region)
    path = write(tmp_path, f"{HEADER}\n07:00,08:00,,{MEISSEN},{RIESA},9,0\n")
    with pytest.raises(SimulationInputError, match="at most 8 passengers"):
        read_request_csv(path, region, rules=ServiceRules())


def test_parse_day_time():
    assert parse_day_time("07:05") == 7 * 3600 + 300
    assert parse_day_time("23:59:59") == 86399
    assert parse_day_time("25:00") == 25 * 3600      # after midnight of the next day
    assert parse_day_time(" 3600 ") == 3600
    for bad in ("7", "7:5", "48:00", "-5", "12:60"):
        if bad == "7":
            assert parse_day_time(bad) == 7
            continue
        with pytest.raises(ValueError):
            parse_day_time(bad)
