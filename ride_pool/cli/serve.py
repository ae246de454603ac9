"""``ride-pool serve`` and ``ride-pool demo``: run the HTTP service."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import Optional

import typer

from ride_pool.cli.errors import fail

DEMO_DB = "ride-pool-demo.db"
DEMO_NETWORK = "ride-pool-demo-network.npz"
#: --host and --port default to these variables (as the service settings), then to 127.0.0.1:8000
HOST_VARIABLE, PORT_VARIABLE = "RIDE_POOL_HOST", "RIDE_POOL_PORT"
#: the server process's GIL switch interval (see :func:`_run`)
SWITCH_INTERVAL_S = 0.001


def _check_port(host: str, port: int) -> None:
    if not 0 < port < 65536:
        fail(f"--port must be between 1 and 65535, not {port}")
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        # as uvicorn binds: connections of a killed server in TIME_WAIT must not block a restart
        # on the same port (systemd restarts a crashed service at once)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            fail(f"cannot listen on {host}:{port} ({exc.strerror}); choose another --port or --host")


def _check_settings() -> None:
    """Exit 2 with one line when a ``RIDE_POOL_*`` setting is invalid (e.g. a short secret key)."""
    from pydantic import ValidationError

    from ride_pool.settings import get_settings

    try:
        get_settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            variable = "RIDE_POOL_" + "_".join(str(part) for part in error["loc"]).upper()
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(message if variable in message else f"{variable}: {message}")
        fail("; ".join(problems))


def _database_url(db: str | None, default_file: str | None = None) -> str:
    from ride_pool.settings import get_settings

    if db is None:
        url = f"sqlite:///{default_file}" if default_file else get_settings().database_url
    elif "://" not in db:       # a plain path means a SQLite file
        url = f"sqlite:///{Path(db).expanduser()}"
    else:
        url = db
    _check_folder(url)
    return url


def _check_folder(url: str) -> None:
    """A SQLite file's folder must exist: a mistyped path must not create folders silently."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from ride_pool.db.engine import sqlite_file

    try:
        path = sqlite_file(make_url(url))
    except ArgumentError:
        return              # _build_app reports the malformed URL
    if path is not None:
        folder = Path(path).expanduser().absolute().parent
        if not folder.is_dir():
            fail(f"the folder {folder} does not exist; create it first or give another --db")


def _open_network(spec: str):
    from routing.errors import RoutingInputError
    from routing.sources import open_network

    try:
        return open_network(spec)
    except RoutingInputError as exc:
        fail(str(exc))


def _demo_network():
    """The demo network, kept in a file beside the demo database for fast restarts."""
    from routing.network import RoadNetwork
    from routing.sources import open_network

    path = Path(DEMO_NETWORK)
    if path.is_file():
        try:
            return RoadNetwork.load(path)
        except Exception:
            pass
    network = open_network("demo")
    try:
        network.save(path)
    except OSError:
        pass
    return network


def _places(spec: str, network):
    """The places beside the network file ``spec`` (the demo's: built and kept beside its file)."""
    from routing.errors import RoutingInputError
    from routing.gazetteer import gazetteer_path
    from routing.sources import open_gazetteer

    if spec == "demo":
        from routing.gazetteer import Gazetteer, demo_gazetteer

        path = gazetteer_path(DEMO_NETWORK)
        if path.is_file():
            try:
                places = Gazetteer.load(path)
                if places.network_source == network.source:
                    return places
            except RoutingInputError:
                pass
        places = demo_gazetteer(network)
        try:
            places.save(path)
        except OSError:
            pass
        return places
    try:
        return open_gazetteer(spec, network)
    except RoutingInputError as exc:
        fail(str(exc))


def _build_app(url: str, network, host: str, port: int, places=None, **settings_changes):
    from sqlalchemy.exc import ArgumentError, OperationalError

    from ride_pool.api.app import create_app
    from ride_pool.settings import Settings

    try:
        settings = Settings(database_url=url, host=host, port=port, **settings_changes)
    except (ArgumentError, ValueError) as exc:
        fail(f"--db {url}: {exc}")
    app = create_app(settings, network=network, places=places)
    try:
        app.state.service.start()
    except (ArgumentError, OperationalError) as exc:
        fail(f"cannot open the database {url}: {str(exc).splitlines()[0]}")
    return app


def _run(app, host: str, port: int) -> None:
    from contextlib import asynccontextmanager

    import uvicorn

    from ride_pool.api.url_secrets import uvicorn_log_config

    service = app.state.service

    @asynccontextmanager
    async def started(_app):     # the service was started before (to report errors early)
        try:
            yield
        finally:
            service.stop()

    app.router.lifespan_context = started
    # The dispatch thread releases the GIL for each database round trip made while it holds the
    # dispatcher's lock; getting it back from the event loop thread can take a whole switch
    # interval (5 ms by default). 1 ms keeps the lock's hold times short (measured: about 10 %
    # more bookings/s under load); the cost is more frequent thread switches.
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    # one process, since the dispatcher's live state is in it
    # the access log shows no query strings (they may carry a stream ticket or personal data)
    uvicorn.run(app, host=host, port=port, log_level="info", workers=1, log_config=uvicorn_log_config(),
                access_log=service.settings.access_log)


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        db: Optional[str] = typer.Option(None, "--db", help="database URL or SQLite file (default: "
                                         "$RIDE_POOL_DATABASE_URL or sqlite:///ride_pool.db)"),
        network: str = typer.Option("demo", "--network", help="road network: 'demo', a .npz file or an OSM file"),
        host: str = typer.Option("127.0.0.1", "--host", envvar=HOST_VARIABLE,
                                 help="address to listen on (localhost only by default)"),
        port: int = typer.Option(8000, "--port", envvar=PORT_VARIABLE, help="port to listen on"),
    ) -> None:
        """Run the ride-pooling service (rider, driver and operations API)."""
        url = _database_url(db)
        _check_settings()
        _check_port(host, port)
        net = _demo_network() if network == "demo" else _open_network(network)
        application = _build_app(url, net, host, port, places=_places(network, net))
        typer.echo(f"ride_pool serving on http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
        _run(application, host, port)

    @app.command("demo")
    def demo(
        db: Optional[str] = typer.Option(None, "--db", help=f"database URL or SQLite file (default: ./{DEMO_DB})"),
        host: str = typer.Option("127.0.0.1", "--host", envvar=HOST_VARIABLE,
                                 help="address to listen on (localhost only by default)"),
        port: int = typer.Option(8000, "--port", envvar=PORT_VARIABLE, help="port to listen on"),
        vehicles: int = typer.Option(8, "--vehicles", min=1, max=200, help="demo vehicles (first run only)"),
    ) -> None:
        """Run the service on the embedded demo: SQLite, the synthetic Landkreis Meißen network,
        seeded stops, vehicles with shifts over the next 24 hours and demo accounts."""
        from ride_pool.demo import DRIVER_PASSWORD, OPERATOR, RIDER, DemoMailbox, seed_demo

        url = _database_url(db, DEMO_DB)
        _check_settings()
        _check_port(host, port)
        # mail goes to a local mail server that prints each code on this console, unless a mail
        # server is set (RIDE_POOL_SMTP_HOST): then the demo sends real mail through it
        mailbox, mail = None, {}
        if not os.environ.get("RIDE_POOL_SMTP_HOST"):
            mailbox = DemoMailbox(echo=typer.echo)
            mail = {"smtp_host": "127.0.0.1", "smtp_port": mailbox.start(), "smtp_starttls": False,
                    "smtp_username": None, "smtp_password": None}
        net = _demo_network()
        application = _build_app(url, net, host, port, places=_places("demo", net), **mail)
        seed = seed_demo(application.state.service, vehicles=vehicles)
        base = f"http://{'localhost' if host in ('127.0.0.1', '0.0.0.0') else host}:{port}"
        typer.echo("ride_pool demo — Landkreis Meißen (SYNTHETIC road network and stops)")
        typer.echo(f"  database      {application.state.service.settings.database_url}")
        typer.echo(f"  vehicles      {seed.vehicles}, shifts added now: {seed.shifts_added}")
        typer.echo(f"  rider page    {base}/")
        typer.echo(f"  driver page   {base}/driver")
        typer.echo(f"  operator page {base}/ops")
        typer.echo(f"  API docs      {base}/docs")
        typer.echo(f"  operator      {OPERATOR[0]} / {OPERATOR[1]}")
        typer.echo(f"  drivers       driver1@demo.local … driver{seed.vehicles}@demo.local / {DRIVER_PASSWORD}")
        typer.echo(f"  rider         {RIDER[0]} / {RIDER[1]} (or register your own)")
        settings = application.state.service.settings
        if mailbox is not None:
            typer.echo(f"  e-mail        a local mail server (127.0.0.1:{settings.smtp_port}) prints the codes here")
        else:
            typer.echo(f"  e-mail        sent through {settings.smtp_host}:{settings.smtp_port}")
        try:
            _run(application, host, port)
        finally:
            if mailbox is not None:
                mailbox.stop()
