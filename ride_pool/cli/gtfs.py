"""``ride-pool export gtfs-flex`` and ``ride-pool import gtfs``: the service's GTFS-Flex feed
written from the database, and a GTFS timetable read into it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Optional

import typer

from ride_pool.cli.errors import fail

export_app = typer.Typer(help="Publish the service (GTFS-Flex).", no_args_is_help=True)
import_app = typer.Typer(help="Import data (GTFS timetables).", no_args_is_help=True)


def _engine(db: str | None):
    from sqlalchemy.exc import ArgumentError, OperationalError

    from ride_pool.cli.serve import _database_url
    from ride_pool.db.engine import make_engine
    from ride_pool.db.migrate import migrate

    url = _database_url(db)
    try:
        engine = make_engine(url)
        migrate(engine)
    except (ArgumentError, OperationalError, ValueError) as exc:
        fail(f"cannot open the database {url}: {str(exc).splitlines()[0]}")
    return engine


@export_app.command("gtfs-flex")
def export_gtfs_flex(
    out: Path = typer.Option(..., "--out", help="the feed's zip file to write"),
    db: Optional[str] = typer.Option(None, "--db", help="database URL or SQLite file (default: "
                                     "$RIDE_POOL_DATABASE_URL or sqlite:///ride_pool.db)"),
    url: str = typer.Option("http://localhost:8000/", "--url", help="the service's public address (booking URL)"),
) -> None:
    """Write the service (area, hours, booking rules, stops) as a GTFS-Flex v2 feed."""
    from ride_pool.db.timetable import flex_feed, flex_stops, stored_area
    from ride_pool.gtfs.flex import Publisher, feed_zip
    from ride_pool.settings import get_settings

    if not out.parent.expanduser().absolute().is_dir():
        fail(f"the folder {out.parent} does not exist")
    engine = _engine(db)
    rules, polygon = stored_area(engine)
    settings = get_settings()
    today = datetime.now(rules.local(0).tzinfo).date()
    try:
        files = flex_feed(rules, polygon, flex_stops(engine), Publisher(
            agency_name=settings.agency_name, agency_url=url, phone=settings.agency_phone, booking_url=url,
            route_name=settings.agency_name), today)
    except ValueError as exc:
        fail(str(exc))
    try:
        out.write_bytes(feed_zip(files))
    except OSError as exc:
        fail(f"{out}: {exc.strerror or exc}")
    typer.echo(f"wrote {out}: {', '.join(files)}")


@import_app.command("gtfs")
def import_gtfs(
    feed: Path = typer.Argument(..., help="a GTFS feed (zip)"),
    db: Optional[str] = typer.Option(None, "--db", help="database URL or SQLite file"),
) -> None:
    """Replace the stored timetable of the scheduled lines by a GTFS feed."""
    from ride_pool.db.timetable import save_timetable
    from ride_pool.gtfs.timetable import FeedError, read_feed

    if not feed.is_file():
        fail(f"{feed} is not a file")
    try:
        tt = read_feed(feed)
    except FeedError as exc:
        fail(f"{feed}: {exc}")
    counts = save_timetable(_engine(db), tt)
    typer.echo("imported " + ", ".join(f"{v} {k}" for k, v in counts.items()))
