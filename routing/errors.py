"""Errors of the routing package. Each message says what is wrong and what to do about it."""


class RoutingInputError(ValueError):
    """Base class: bad input given to the routing package (the CLI turns it into exit code 2)."""


class NetworkValidationError(RoutingInputError):
    """Arrays handed to :class:`routing.network.RoadNetwork` do not form a valid network."""


class NetworkFileError(RoutingInputError):
    """A network ``.npz`` file cannot be written or read."""


class OsmInputError(RoutingInputError):
    """An OSM source (file or place) cannot be turned into a road network."""


class PointOutsideNetworkError(RoutingInputError):
    """A coordinate lies too far from every road of the network."""
