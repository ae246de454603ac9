"""German default speeds per road class and parsing of OSM ``maxspeed`` values."""

from __future__ import annotations

import pytest

from routing.network import ROAD_CLASSES
from routing.speeds import GERMAN_DEFAULT_SPEED_KPH, edge_speed_kph, parse_maxspeed, road_class_of

MPH = 1.609344


@pytest.mark.parametrize(
    "road_class,kph",
    [
        ("motorway", 120), ("trunk", 100), ("primary", 80), ("secondary", 70), ("tertiary", 60),
        ("unclassified", 50), ("residential", 30), ("living_street", 7),
    ],
)
def test_german_defaults_named_in_the_issue(road_class, kph):
    assert GERMAN_DEFAULT_SPEED_KPH[road_class] == kph
    assert edge_speed_kph(road_class, None) == kph


def test_every_road_class_has_a_plausible_default():
    assert set(GERMAN_DEFAULT_SPEED_KPH) == set(ROAD_CLASSES)
    for road_class in ROAD_CLASSES:
        if road_class.endswith("_link"):
            assert 40 <= GERMAN_DEFAULT_SPEED_KPH[road_class] <= 60, road_class
        else:
            assert 7 <= GERMAN_DEFAULT_SPEED_KPH[road_class] <= 120, road_class


@pytest.mark.parametrize(
    "value,kph",
    [
        ("50", 50.0),
        ("100", 100.0),
        (" 70 ", 70.0),
        ("70 km/h", 70.0),
        ("70km/h", 70.0),
        ("30 kph", 30.0),
        ("30 mph", 30 * MPH),
        ("20mph", 20 * MPH),
        ("DE:urban", 50.0),
        ("de:urban", 50.0),
        ("DE:rural", 100.0),
        ("DE:living_street", 7.0),
        ("DE:zone:30", 30.0),
        ("DE:zone30", 30.0),
        ("DE:bicycle_road", 30.0),
        ("walk", 7.0),
        ("none", None),
        ("signals", None),
        ("variable", None),
        ("DE:motorway", None),
        ("50;30", 30.0),
        ("DE:urban;30", 30.0),
        ("none;80", 80.0),
        (["50", "70"], 50.0),
        (["DE:rural", "60"], 60.0),
        (["none", "signals"], None),
        (60, 60.0),
        (42.5, 42.5),
        (0, None),
        ("0", None),
        ("", None),
        ("fast", None),
        ("50 furlongs", None),
        (None, None),
    ],
)
def test_parse_maxspeed(value, kph):
    result = parse_maxspeed(value)
    if kph is None:
        assert result is None
    else:
        assert result == pytest.approx(kph)


@pytest.mark.parametrize(
    "highway,maxspeed,kph",
    [
        ("residential", "50", 50.0),
        ("residential", "DE:urban", 50.0),
        ("primary", "DE:rural", 100.0),
        ("secondary", "DE:urban", 50.0),
        ("motorway", "none", 120.0),  # no limit: the class default
        ("trunk", "signals", 100.0),
        ("tertiary", "garbage", 60.0),  # unusable tag: the class default
        ("living_street", None, 7.0),
        ("unclassified", "30 mph", 30 * MPH),
        (["residential", "unclassified"], None, 50.0),  # merged segments: the more important class
        (["unclassified", "living_street"], ["30", "DE:living_street"], 7.0),
        ("motorway_link", None, 60.0),
        ("road", None, 40.0),
        ("some_unknown_value", None, 40.0),  # unknown highway values drive like highway=road
        (None, None, 40.0),
    ],
)
def test_edge_speed(highway, maxspeed, kph):
    assert edge_speed_kph(highway, maxspeed) == pytest.approx(kph)


def test_road_class_of():
    assert road_class_of("primary") == "primary"
    assert road_class_of(["residential", "primary", "tertiary"]) == "primary"
    assert road_class_of(["track", "residential"]) == "residential"
    assert road_class_of("track") == "road"
    assert road_class_of(None) == "road"
