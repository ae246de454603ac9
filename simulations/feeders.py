"""Feeder demand: riders who take the on-demand bus to a train or bus, or from one.

The timetable comes in as plain data (:class:`ride_pool.gtfs.timetable.Timetable`, read from a GTFS
feed by the caller; the simulator never touches the database). Hubs are the timetable's stations
that lie on the region's road network (within ``max_snap_m`` of a road node). A share of the day's
requests (``share``, drawn with the run's seed, so the same seed converts the same requests)
becomes a feeder trip: the trip keeps its far end and its hub is the nearest hub to that end; a
coin decides the direction - ``to_departure`` (the trip ends at the hub, arriving the rule's
transfer buffer before a departure: the departure nearest after the desired time + the drive) or
``from_arrival`` (it starts at the hub, the buffer after an arrival nearest the desired time).
The request asks the dispatcher with ``connection`` set, as a rider of the app would, and the
KPIs count connections kept and missed (``connections_kept``, ``connections_missed``).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ride_pool.gtfs.timetable import Timetable
from simulations.demand import TripDemand
from simulations.region import Region

TO_DEPARTURE, FROM_ARRIVAL = "to_departure", "from_arrival"


@dataclasses.dataclass(frozen=True)
class Hub:
    stop_id: str
    name: str
    node: int


def hubs_on_region(region: Region, timetable: Timetable, max_snap_m: float = 500.0) -> list[Hub]:
    """The timetable's stops with calls that lie on the region's network (parents of platforms
    count once, as their station)."""
    called = {st.stop_id for st in timetable.stop_times}
    hubs = []
    for stop in timetable.stops.values():
        if stop.parent_station or not (stop.stop_id in called or any(
                s.startswith(stop.stop_id + ":") for s in called)):
            continue
        x, y = region.project([stop.lon], [stop.lat])
        distance, node = region.node_tree.query([float(x[0]), float(y[0])])
        if distance <= max_snap_m:
            hubs.append(Hub(stop.stop_id, stop.name, int(node)))
    return hubs


def feeder_demand(region: Region, timetable: Timetable, requests: list[TripDemand], *, share: float, seed: int,
                  day_start: int, buffer_s: int = 300, min_lead_s: int = 1800) -> list[TripDemand]:
    """``requests`` with a share of them turned into trips to or from a hub's trains and buses;
    each feeder trip carries ``connection`` = (stop_id, trip_id, direction, service_date)."""
    if share <= 0 or not requests:
        return list(requests)
    hubs = hubs_on_region(region, timetable)
    if not hubs:
        return list(requests)
    # the hubs with trains leaving (for trips to them) and arriving (for trips from them) that day
    served = {d: [h for h in hubs if timetable.departures(h.stop_id, day_start, 1, arrivals=d == FROM_ARRIVAL,
                                                          within_s=86400)]
              for d in (TO_DEPARTURE, FROM_ARRIVAL)}
    rng = np.random.default_rng([int(seed), 0xFEED])
    pick, direction = rng.random((2, len(requests)))
    out = []
    for k, trip in enumerate(requests):
        if pick[k] >= share:
            out.append(trip)
            continue
        to_train = direction[k] < 0.5
        candidates = served[TO_DEPARTURE if to_train else FROM_ARRIVAL]
        if not candidates:
            out.append(trip)
            continue
        far = trip.origin_node if to_train else trip.destination_node
        hub_xy = region.node_xy[[h.node for h in candidates]]
        hub = candidates[int(np.argmin(np.hypot(*(hub_xy - region.node_xy[far]).T)))]
        if hub.node == far:
            out.append(trip)
            continue
        at = day_start + trip.desired_time
        if to_train:
            calls = timetable.departures(hub.stop_id, at + 1800, 1)
            call = calls[0] if calls else None
            when = call.departure - buffer_s if call else None
        else:
            calls = timetable.departures(hub.stop_id, at, 1, arrivals=True)
            call = calls[0] if calls else None
            when = call.arrival + buffer_s if call else None
        if call is None or when - day_start >= 86400 or when - day_start < 0:
            out.append(trip)
            continue
        desired = when - day_start
        lead = max(min_lead_s + 1800, trip.desired_time - trip.request_time)
        out.append(dataclasses.replace(
            trip, desired_time=int(desired), request_time=int(max(0, desired - lead)), arrive_by=bool(to_train),
            asap=False, origin_node=trip.origin_node if to_train else hub.node,
            origin_stop=None if not to_train else trip.origin_stop,
            destination_node=hub.node if to_train else trip.destination_node,
            destination_stop=None if to_train else trip.destination_stop, hub=hub.name,
            connection=(call.stop_id, call.trip_id, TO_DEPARTURE if to_train else FROM_ARRIVAL, call.service_date)))
    order = sorted(range(len(out)), key=lambda i: (out[i].request_time, i))
    return [dataclasses.replace(out[i], request_id=n) for n, i in enumerate(order)]
