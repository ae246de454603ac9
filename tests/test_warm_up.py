"""The start-up warm-up runs the real quote and booking path on a scratch dispatcher."""

from __future__ import annotations

import logging

from ride_pool.dispatch.warm_up import warm_up, warm_up_quietly
from routing.travel_times import TravelTimes
from test_rules import at, grid_network


def test_warm_up_books_three_trips_on_the_services_own_network():
    tt = TravelTimes(grid_network())
    booked, seconds = warm_up(tt, at(2026, 12, 5, 23, 50))     # late at night: the scratch service runs all day
    assert booked == 3 and seconds >= 0


def test_a_failing_warm_up_is_logged_not_raised(caplog):
    class Broken:
        network = None

    with caplog.at_level(logging.ERROR):
        warm_up_quietly(Broken(), 0)
    assert "warm-up of the quote path failed" in caplog.text
