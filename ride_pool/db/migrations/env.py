"""Alembic environment of the ride_pool database, run by :func:`ride_pool.db.migrate`.

There is no ``alembic.ini``: :func:`ride_pool.db.migrations_config` builds the configuration and
passes either an open connection (``config.attributes["connection"]``) or a database URL
(``sqlalchemy.url``). New revision (from the repository root, against an up-to-date database)::

    python -c "from alembic import command; from ride_pool.db import migrations_config; \\
        command.revision(migrations_config('sqlite:///ride_pool.db'), 'what changed', autogenerate=True)"
"""

from __future__ import annotations

from alembic import context

from ride_pool.db.engine import make_engine
from ride_pool.db.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(**options) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
        **options,
    )


def run_migrations_offline() -> None:
    """Print the SQL instead of running it (``alembic upgrade --sql``)."""
    _configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.connect() as connection:
            _configure(connection=connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
