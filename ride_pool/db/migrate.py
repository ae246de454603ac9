"""Schema migrations: Alembic, run from Python with the migrations inside the package.

:func:`migrate` brings a database to the newest schema; it is safe to call at every start
(nothing happens when the schema is current) and from several processes at once (they take turns).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL

from ride_pool.db.engine import WRITE_OPTION, database_url, make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: key of the PostgreSQL advisory lock that keeps concurrent migrations apart
_MIGRATION_LOCK_KEY = 0x52494445504F4F4C  # "RIDEPOOL"


def migrations_config(url: str | URL | None = None, connection: Connection | None = None) -> Config:
    """The Alembic configuration of the in-package migrations, for ``url`` or an open
    ``connection`` (no ``alembic.ini`` needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        rendered = database_url(url).render_as_string(hide_password=False)
        config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def migrate(url_or_engine: str | URL | Engine, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` (the newest by default), in one transaction."""
    if isinstance(url_or_engine, Engine):
        _upgrade(url_or_engine, revision)
        return
    engine = make_engine(url_or_engine)
    try:
        _upgrade(engine, revision)
    finally:
        engine.dispose()


def _upgrade(engine: Engine, revision: str) -> None:
    with engine.execution_options(**{WRITE_OPTION: True}).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
        command.upgrade(migrations_config(connection=connection), revision)


def head_revision() -> str:
    """The newest revision of the in-package migrations."""
    return ScriptDirectory.from_config(migrations_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``None``: never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
