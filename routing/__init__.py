"""Road networks, travel times and the vehicle-routing core of ride_pool.

This package imports nothing from ``ride_pool`` or ``simulations``.
"""

from routing.errors import (
    NetworkFileError,
    NetworkValidationError,
    OsmInputError,
    PointOutsideNetworkError,
    RoutingInputError,
)
from routing.network import ROAD_CLASSES, RoadNetwork

__all__ = [
    "ROAD_CLASSES",
    "NetworkFileError",
    "NetworkValidationError",
    "OsmInputError",
    "PointOutsideNetworkError",
    "RoadNetwork",
    "RoutingInputError",
]
