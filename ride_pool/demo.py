"""The embedded demo: SQLite file, the synthetic Landkreis Meißen network, seeded stops, vehicles
with shifts over the next 24 hours, and demo accounts. Running it again on the same database keeps
what is there and only adds shifts so that the next 24 hours stay covered.

The stops are **synthetic** (placed on the synthetic network near each municipality's centre and
named after the municipality); the municipality table is © Destatis (see routing/data).
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from email import message_from_bytes, policy

import numpy as np

from ride_pool.api import security
from ride_pool.api.shifts import plan_shift
from ride_pool.db.repository import Repository
from routing.municipalities import load_municipalities
from routing.network import RoadNetwork

#: the demo accounts' passwords follow the password rules (ride_pool.api.passwords)
OPERATOR = ("operator@demo.local", "demo-operator")
DRIVER_PASSWORD = "demo-driver"
RIDER = ("rider@demo.local", "demo-rider")
STOP_NAMES = ("Zentrum", "Bahnhof", "Schule", "Kirche", "Friedhof", "Sportplatz", "Gewerbegebiet", "Siedlung")


@dataclass
class DemoSeed:
    vehicles: int
    stops: int
    shifts_added: int
    drivers: list[str]


def demo_stops(network: RoadNetwork, per_town_max: int = 6) -> list[dict]:
    """Synthetic stops: one 'Zentrum' stop at each municipality's centre, and more in bigger towns
    on road nodes 300–1,500 m from it (deterministic)."""
    from routing.travel_times import TravelTimes

    tt = TravelTimes(network)
    rng = np.random.default_rng(20261123)
    stops = []
    lat0 = float(np.mean(network.node_lat))
    kx = 111_320 * np.cos(np.radians(lat0))
    for m in load_municipalities():
        town = m.name.split(",")[0]
        centre, _ = tt.snap(m.lon, m.lat)
        count = int(min(per_town_max, 1 + m.population // 4000))
        dx = (network.node_lon - network.node_lon[centre]) * kx
        dy = (network.node_lat - network.node_lat[centre]) * 111_320
        dist = np.hypot(dx, dy)
        ring = np.flatnonzero((dist > 300) & (dist < 1500))
        chosen = [int(centre)]
        if len(ring):
            for node in rng.permutation(ring):
                if len(chosen) >= count:
                    break
                if all(np.hypot(dx[node] - dx[c], dy[node] - dy[c]) > 250 for c in chosen):
                    chosen.append(int(node))
        for k, node in enumerate(chosen):
            stops.append({"code": f"demo:{m.ags}:{k + 1}", "name": f"{town}, {STOP_NAMES[k % len(STOP_NAMES)]}",
                          "town": town, "lat": round(float(network.node_lat[node]), 6),
                          "lon": round(float(network.node_lon[node]), 6), "node": node})
    return stops


def seed_demo(service, vehicles: int = 8, now: int | None = None) -> DemoSeed:
    """Fill a started :class:`~ride_pool.api.service.Service` with the demo county (idempotent)."""
    now = int(service.clock() if now is None else now)
    repo = Repository(service.engine)
    d = service.dispatcher
    stops_added = 0
    if repo.get_user_by_email(OPERATOR[0]) is None:
        repo.create_user(OPERATOR[0], security.hash_password(OPERATOR[1]), "Disposition (Demo)", "operator", now=now,
                         confirmed=True)
        repo.create_user(RIDER[0], security.hash_password(RIDER[1]), "Erika Muster (Demo)", "rider", now=now,
                         confirmed=True)
        stops = demo_stops(service.network)
        stops_added = repo.import_stops(stops)
        munis = sorted(load_municipalities(), key=lambda m: -m.population)
        for i in range(vehicles):
            depot_town = munis[i % min(len(munis), 5)]
            node, _ = d.tt.snap(depot_town.lon, depot_town.lat)
            repo.create_vehicle(f"MEI-RB {i + 1}", 7 if i % 2 == 0 else 6, wheelchair_places=0 if i % 2 == 0 else 1,
                                depot_lat=float(service.network.node_lat[node]),
                                depot_lon=float(service.network.node_lon[node]))
            repo.create_user(f"driver{i + 1}@demo.local", security.hash_password(DRIVER_PASSWORD),
                             f"Fahrer:in {i + 1} (Demo)", "driver", now=now, confirmed=True)
    shifts_added = 0
    start = now - now % 3600
    until = start + 25 * 3600
    for vehicle in repo.list_vehicles(active_only=True):
        # fill the first gap in the vehicle's (not ended) shifts from this hour on, up to 25 hours
        # ahead: a shift running now is continued after its end, one planned later is kept
        begin, end = start, until
        for shift in repo.list_shifts(vehicle.id, include_ended=False, after=now, before=until):
            if shift.start <= begin:
                begin = max(begin, shift.end)
            else:
                end = shift.start
                break
        if begin >= now + 86400 or end - begin < 3600:
            continue
        depot = d.place(vehicle.depot_lat, vehicle.depot_lon, name=f"Depot {vehicle.label}")
        plan_shift(service, vehicle, begin, end, depot)
        shifts_added += 1
    drivers = [u.email for u in repo.list_users("driver")]
    return DemoSeed(vehicles=len(repo.list_vehicles()), stops=stops_added, shifts_added=shifts_added, drivers=drivers)


class DemoMailbox:
    """The demo's mail server (aiosmtpd on 127.0.0.1, a free port): it delivers nothing and prints
    each mail's recipient, subject and confirmation code to the console, so that registering on
    the demo works without any network. ``start()`` returns the port."""

    CODE = re.compile(r"^\s*([0-9]{6,8})\s*$", re.MULTILINE)    # the code's own line

    def __init__(self, echo=print):
        self.echo = echo
        self.controller = None

    async def handle_DATA(self, server, session, envelope):   # aiosmtpd handler hook
        message = message_from_bytes(envelope.content, policy=policy.default)
        body = message.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        code = self.CODE.search(text)
        self.echo(f"[demo mail] to {', '.join(envelope.rcpt_tos)}: {message['Subject']}"
                  + (f" (code {code.group(1)})" if code else ""))
        return "250 Message accepted for delivery"

    def start(self) -> int:
        from aiosmtpd.controller import Controller

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=port)
        self.controller.start()
        return port

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
