"""The ``ride-pool`` command line: the typer app and its entry point :func:`main`.

Each command group lives in its own module: ``network`` (build, info, route), ``bench``
(dial-a-ride benchmarks), ``serve`` (serve, demo) and ``simulate``; ``errors`` holds the one
way they all report bad input.
"""

from __future__ import annotations

import typer

from ride_pool import __version__
from ride_pool.cli import gtfs, serve, simulate
from ride_pool.cli.bench import bench_app
from ride_pool.cli.network import network_app

app = typer.Typer(
    help="ride_pool: open on-demand ride pooling (Rufbus) for rural counties.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(network_app, name="network")
app.add_typer(bench_app, name="bench")
app.add_typer(gtfs.export_app, name="export")
app.add_typer(gtfs.import_app, name="import")
serve.register(app)
simulate.register(app)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ride-pool {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """ride_pool command line."""


def main() -> None:
    """Console entry point."""
    app(prog_name="ride-pool")
