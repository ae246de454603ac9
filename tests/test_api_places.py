"""GET /api/v1/places and /places/reverse, and quotes and bookings for points that are not stops
(door-to-door or the nearest stop, the rider's label kept) on the demo county."""

from __future__ import annotations

import pytest

from api_support import *  # noqa: F403
from ride_pool.db.repository import Repository

RESULT_KEYS = {"kind", "name", "label", "lat", "lon", "stop_id", "distance_m"}
#: a point in the fields 330 m north-east of the stop "Käbschütztal, Zentrum"
NEAR_KAEBSCHUETZTAL = (51.144188, 13.414263)


def search(api, q, **params):
    r = api.get("/api/v1/places", params={"q": q, **params})
    assert r.status_code == 200, r.text
    return r.json()


# ---------------------------------------------------------------------- search
def test_search_shape_stops_and_places(demo_api):
    found = search(demo_api, "meissen bahnhof")
    assert found and all(set(p) == RESULT_KEYS for p in found)
    assert found[0]["kind"] == "stop" and found[0]["name"] == "Meißen, Bahnhof"
    stop = demo_api.stop("Meißen, Bahnhof")
    assert found[0]["stop_id"] == stop["stop_id"]
    assert all(p["stop_id"] is None for p in found if p["kind"] != "stop")
    assert search(demo_api, "Meißen, Bahn")[0]["name"] == "Meißen, Bahnhof"
    assert search(demo_api, "Bahnhof Meissen")[0]["name"] == "Meißen, Bahnhof"
    village = search(demo_api, "Kabschutztal")
    assert village[0]["kind"] in ("settlement", "stop") and "Käbschütztal" in village[0]["name"]
    assert {"settlement", "stop"} <= {p["kind"] for p in village}
    doctors = search(demo_api, "Arzt", limit=50)
    assert len(doctors) >= 20 and all(p["kind"] == "poi" for p in doctors)
    r = demo_api.get("/api/v1/places", params={"q": "Arzt"})
    assert "SYNTHETIC" in r.headers["x-data-attribution"]


def test_search_near_the_rider_first_with_distances(demo_api):
    riesa = (51.30251, 13.304633)
    found = search(demo_api, "Arzt", lat=riesa[0], lon=riesa[1], limit=5)
    assert found[0]["name"] == "Arztpraxis Riesa"
    distances = [p["distance_m"] for p in found]
    assert all(isinstance(d, int) for d in distances) and distances[0] < 1000
    assert search(demo_api, "Arzt", limit=1)[0]["distance_m"] is None


def test_search_finds_stops_added_later(demo_api):
    r = demo_api.post("/api/v1/ops/stops", headers=demo_api.operator,
                      json={"name": "Käbschütztal, Dorfplatz Krögis", "lat": 51.1452, "lon": 13.4149,
                            "town": "Käbschütztal"})
    assert r.status_code in (200, 201), r.text
    found = search(demo_api, "Krogis")
    assert found[0]["kind"] == "stop" and found[0]["name"] == "Käbschütztal, Dorfplatz Krögis"


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "x" * 201}, {"q": "Meißen", "limit": 0},
                                    {"q": "Meißen", "limit": 51}, {"q": "Meißen", "lat": 51.1},
                                    {"q": "Meißen", "lat": 91, "lon": 13}, {"q": "Meißen", "lat": "nan", "lon": 13},
                                    {"q": "Meißen", "lat": "abc", "lon": 13}, {"q": "a\x00b"}])
def test_search_bad_input(api, params):
    assert_problem(api.get("/api/v1/places", params=params), 422, "invalid_request")  # noqa: F405


def test_search_is_public_and_rate_limited(api, monkeypatch):
    monkeypatch.setattr(api.service.settings, "limit_places_address_count", 3)
    for _ in range(3):
        assert api.get("/api/v1/places", params={"q": "Meißen"}).status_code == 200
    r = api.get("/api/v1/places", params={"q": "Meißen"})
    detail = assert_problem(r, 429, "too_many_requests")  # noqa: F405
    assert int(r.headers["Retry-After"]) >= 1 and detail["retry_after_s"] >= 1
    # the reverse look-up counts against the same limit
    assert_problem(api.get("/api/v1/places/reverse", params={"lat": 51.16, "lon": 13.47}), 429)  # noqa: F405


# ---------------------------------------------------------------------- reverse
def test_reverse_names_the_nearest_settlement(api):
    r = api.get("/api/v1/places/reverse", params={"lat": 51.1416, "lon": 13.4121})
    assert r.status_code == 200, r.text
    place = r.json()
    assert set(place) == RESULT_KEYS
    assert place["kind"] == "settlement" and place["name"] == "Käbschütztal"
    assert place["label"] == "Käbschütztal (synthetisch)" and place["distance_m"] < 100
    assert "x-data-attribution" in r.headers


@pytest.mark.parametrize("params", [{"lat": 40.0, "lon": 13.0}, {"lat": 51.0, "lon": 11.0}])
def test_reverse_outside_the_area(api, params):
    detail = assert_problem(api.get("/api/v1/places/reverse", params=params), 422, "outside_area")  # noqa: F405
    assert "outside" in detail["message"]


@pytest.mark.parametrize("params", [{}, {"lat": 51.1}, {"lon": 13.4}, {"lat": 91, "lon": 13.4},
                                    {"lat": 51.1, "lon": -181}, {"lat": "nan", "lon": 13.4},
                                    {"lat": "inf", "lon": 13.4}, {"lat": "x", "lon": "y"}])
def test_reverse_bad_coordinates(api, params):
    assert_problem(api.get("/api/v1/places/reverse", params=params), 422, "invalid_request")  # noqa: F405


# ---------------------------------------------------------------------- quotes and bookings for points
def rider(api):
    return api.headers(*RIDER)  # noqa: F405


def point(lat_lon, name=None):
    body = {"lat": lat_lon[0], "lon": lat_lon[1]}
    if name is not None:
        body["name"] = name
    return body


def doctor(api) -> dict:
    found = search(api, "Arztpraxis Meißen")[0]
    return point((found["lat"], found["lon"]), found["label"])


def test_point_with_label_is_served_at_the_door_and_keeps_its_label(demo_api):
    api = demo_api
    home = point(NEAR_KAEBSCHUETZTAL, "Dorfstraße 12, Krögis (Käbschütztal)")
    offer = api.offer(rider(api), home, doctor(api), pickup_after=iso(local(0, 11)))  # noqa: F405
    assert offer["origin"] == {"name": "Dorfstraße 12, Krögis (Käbschütztal)", "lat": NEAR_KAEBSCHUETZTAL[0],
                               "lon": NEAR_KAEBSCHUETZTAL[1], "stop_id": None, "access": "door",
                               "walk_m": None, "asked": None}
    assert offer["destination"]["name"] == "Arztpraxis Meißen (synthetisch)"
    r = api.book(rider(api), offer["offer_id"], key="door-1")
    assert r.status_code == 201, r.text
    booking = r.json()
    assert booking["origin"]["name"] == "Dorfstraße 12, Krögis (Käbschütztal)"
    # operators see the label; it is stored (read back from the database)
    listed = {b["booking_id"]: b for b in api.get("/api/v1/ops/bookings", headers=api.operator).json()}
    assert listed[booking["booking_id"]]["origin"]["name"] == "Dorfstraße 12, Krögis (Käbschütztal)"
    stored = Repository(api.service.engine).get_booking(booking["booking_id"])
    assert stored.origin.name == "Dorfstraße 12, Krögis (Käbschütztal)" and stored.origin.access == "door"
    assert (stored.origin.lat, stored.origin.lon) == NEAR_KAEBSCHUETZTAL
    # the driver's route step at the pickup carries the label
    d = api.service.dispatcher
    shift_id = d.eta(booking["booking_id"])["shift_id"]
    names = [step.place.name for step in d.route_steps(shift_id)]
    assert "Dorfstraße 12, Krögis (Käbschütztal)" in names


@pytest.mark.parametrize("name", [None, "Mein Standort", "Punkt auf der Karte (51.1442, 13.4143)"])
def test_point_without_a_label_is_labelled_by_reverse_look_up(demo_api, name):
    api = demo_api
    offer = api.offer(rider(api), point(NEAR_KAEBSCHUETZTAL, name), doctor(api),
                      pickup_after=iso(local(0, 11)))  # noqa: F405
    label = offer["origin"]["name"]
    assert "Käbschütztal" in label and "Standort" not in label and "Karte" not in label
    assert (offer["origin"]["lat"], offer["origin"]["lon"]) == NEAR_KAEBSCHUETZTAL


def set_rules(api, **rules):
    r = api.put("/api/v1/ops/service-area", headers=api.operator, json={"rules": rules})
    assert r.status_code == 200, r.text


def test_point_served_at_the_nearest_stop_when_the_rules_say_so(demo_api):
    api = demo_api
    set_rules(api, door_to_door="none")
    home = point(NEAR_KAEBSCHUETZTAL, "Dorfstraße 12, Krögis (Käbschütztal)")
    offer = api.offer(rider(api), home, doctor(api), pickup_after=iso(local(0, 11)))  # noqa: F405
    origin = offer["origin"]
    stop = api.stop("Käbschütztal, Zentrum")
    assert origin["access"] == "nearest_stop" and origin["stop_id"] == stop["stop_id"]
    assert origin["name"] == "Käbschütztal, Zentrum"
    assert origin["asked"] == {"name": "Dorfstraße 12, Krögis (Käbschütztal)", "lat": NEAR_KAEBSCHUETZTAL[0],
                               "lon": NEAR_KAEBSCHUETZTAL[1]}
    # about 380 m as the crow flies; on foot along the roads somewhat more, never less
    assert 370 <= origin["walk_m"] <= 1000
    assert offer["destination"]["access"] == "nearest_stop" and offer["destination"]["name"].startswith("Meißen, ")
    r = api.book(rider(api), offer["offer_id"], key="stop-1")
    assert r.status_code == 201, r.text
    booking_id = r.json()["booking_id"]
    assert r.json()["origin"] == origin
    stored = Repository(api.service.engine).get_booking(booking_id)
    assert stored.origin.access == "nearest_stop" and stored.origin.walk_m == origin["walk_m"]
    assert stored.origin.asked.name == "Dorfstraße 12, Krögis (Käbschütztal)"
    listed = {b["booking_id"]: b for b in api.get("/api/v1/ops/bookings", headers=api.operator).json()}
    assert listed[booking_id]["origin"]["asked"]["name"] == "Dorfstraße 12, Krögis (Käbschütztal)"
    # a stop asked for is a stop
    offer = api.offer(rider(api), stop, doctor(api), pickup_after=iso(local(0, 12)))  # noqa: F405
    assert offer["origin"]["access"] == "stop" and offer["origin"]["walk_m"] is None


def test_door_to_door_for_wheelchair_users_only(demo_api):
    api = demo_api
    set_rules(api, door_to_door="wheelchair")
    home = point(NEAR_KAEBSCHUETZTAL, "Dorfstraße 12")
    walking = api.offer(rider(api), home, doctor(api), pickup_after=iso(local(0, 11)))  # noqa: F405
    assert walking["origin"]["access"] == "nearest_stop"
    wheelchair = api.offer(rider(api), home, doctor(api), pickup_after=iso(local(0, 11)),  # noqa: F405
                           wheelchairs=1)
    assert wheelchair["origin"]["access"] == "door" and wheelchair["origin"]["name"] == "Dorfstraße 12"


def test_no_stop_within_walking_distance(demo_api):
    api = demo_api
    set_rules(api, door_to_door="none", max_walk_m=200)
    r = api.quote(rider(api), point(NEAR_KAEBSCHUETZTAL, "Dorfstraße 12"), doctor(api),
                  pickup_after=iso(local(0, 11)))  # noqa: F405
    assert r.status_code == 200, r.text
    assert r.json()["offers"] == [] and r.json()["reason"]["code"] == "no_stop_nearby"
    assert "200 m" in r.json()["reason"]["message"]


def test_rules_refuse_bad_door_to_door(demo_api):
    r = demo_api.put("/api/v1/ops/service-area", headers=demo_api.operator, json={"rules": {"door_to_door": "yes"}})
    assert_problem(r, 422)  # noqa: F405
    r = demo_api.put("/api/v1/ops/service-area", headers=demo_api.operator, json={"rules": {"max_walk_m": -5}})
    assert_problem(r, 422)  # noqa: F405


# ---------------------------------------------------------------------- an OSM network loaded from its file
def test_osm_network_places_loaded_beside_its_file(tmp_path, database_url, bayreuth_osm, bayreuth_network, clock):
    """``ride-pool network build`` saves the places beside the .npz; a service started on that file
    loads them and searches the OSM names (with the OSM attribution)."""
    from fastapi.testclient import TestClient

    from ride_pool.api.app import create_app
    from ride_pool.settings import Settings
    from routing.gazetteer import gazetteer_from_osm_file, gazetteer_path

    path = bayreuth_network.save(tmp_path / "bayreuth.npz")
    gazetteer_from_osm_file(bayreuth_osm, bayreuth_network).save(gazetteer_path(path))
    app = create_app(Settings(database_url=database_url, secret_key=SECRET, network=str(path)),  # noqa: F405
                     clock=clock, background=False)
    with TestClient(app) as client:
        r = client.get("/api/v1/places", params={"q": "altenplso"})
        assert r.status_code == 200, r.text
        assert r.json()[0]["label"] == "Altenplos (Heinersreuth)"
        assert r.headers["x-data-attribution"] == "(c) OpenStreetMap contributors (ODbL)"
        r = client.get("/api/v1/places", params={"q": "Stockigstrasse 2"})
        assert r.json()[0] == {**r.json()[0], "kind": "address", "label": "Stöckigstraße 2, Ruh (Bindlach)"}
        address = r.json()[0]
        r = client.get("/api/v1/places/reverse", params={"lat": address["lat"], "lon": address["lon"]})
        assert r.status_code == 200 and r.json()["label"] == "Stöckigstraße 2, Ruh (Bindlach)"
        assert r.json()["distance_m"] == 0


def test_stops_outside_the_service_area_are_not_offered(demo_api):
    """A stop in a hole of the service area is no pickup: the point then has no stop nearby."""
    api = demo_api
    lat, lon = 51.141188, 13.412263          # the stop "Käbschütztal, Zentrum"
    hole = [[lon - 0.001, lat - 0.001], [lon + 0.001, lat - 0.001], [lon + 0.001, lat + 0.001],
            [lon - 0.001, lat + 0.001], [lon - 0.001, lat - 0.001]]
    outer = [[13.0, 50.9], [14.0, 50.9], [14.0, 51.6], [13.0, 51.6], [13.0, 50.9]]
    r = api.put("/api/v1/ops/service-area", headers=api.operator, json={
        "polygon": {"type": "Polygon", "coordinates": [outer, hole]}, "rules": {"door_to_door": "none"}})
    assert r.status_code == 200, r.text
    r = api.quote(rider(api), point(NEAR_KAEBSCHUETZTAL, "Dorfstraße 12"), doctor(api),
                  pickup_after=iso(local(0, 11)))  # noqa: F405
    assert r.status_code == 200, r.text
    assert r.json()["reason"]["code"] == "no_stop_nearby", r.json()
