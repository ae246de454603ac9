"""What the simulated riders and vehicles see of the day they act in.

:class:`simulations.run.Simulation` provides it. The agents (:mod:`simulations.agents`) are typed
against this protocol rather than the simulation itself, so they do not import the module that
builds them (no import cycle).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from ride_pool.dispatch.dispatcher import Dispatcher
from simulations.events import EventLoop
from simulations.region import Region


@runtime_checkable
class NoShows(Protocol):
    """The riders' side the vehicles need: who will not be at the stop."""

    #: booking ids of the riders who will not show up
    no_show: set[str]


@runtime_checkable
class World(Protocol):
    """The simulated day as the agents use it."""

    region: Region
    dispatcher: Dispatcher
    loop: EventLoop
    #: epoch seconds of the day's local midnight
    day_start: int
    #: share of trip origins per municipality (where idle vehicles reposition to)
    demand_weights: np.ndarray
    riders: NoShows
