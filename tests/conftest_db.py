"""Database fixtures: a fresh, migrated database for each test.

By default each test gets its own SQLite file (a copy of one migrated once per session). When
``RIDE_POOL_DATABASE_URL`` is a PostgreSQL URL (CI runs the suite a second time with
``postgresql://postgres@127.0.0.1:5432/test``), each test gets a freshly created and migrated
schema instead, named after this test session so that concurrent runs never collide; the URL
selects it through ``search_path``. The schemas are dropped afterwards.

Imported into ``tests/conftest.py``; use ``database_url`` (a URL string) or ``db_engine``.
"""

from __future__ import annotations

import itertools
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.pool import NullPool

from ride_pool.db.engine import database_url as parse_database_url
from ride_pool.db.engine import make_engine
from ride_pool.db.migrate import migrate

__all__ = ["database_url", "db_engine", "postgres_admin", "sqlite_template", "is_postgres_url"]

DATABASE_URL_VARIABLE = "RIDE_POOL_DATABASE_URL"
_schema_numbers = itertools.count(1)


def is_postgres_url(url: str | None) -> bool:
    return bool(url) and url.startswith(("postgresql", "postgres://"))


def with_search_path(url: str, schema: str) -> str:
    """``url`` with the PostgreSQL connection option that makes ``schema`` the default schema."""
    parsed = parse_database_url(url)
    options = " ".join(filter(None, [parsed.query.get("options", ""), f"-csearch_path={schema}"]))
    return parsed.update_query_dict({"options": options}).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite database migrated once per session; ``database_url`` hands out copies."""
    path = tmp_path_factory.mktemp("db-template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()  # the last connection's close checkpoints the WAL into the file
    return path


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[tuple[Engine, str]]:
    """An engine on the PostgreSQL database of ``RIDE_POOL_DATABASE_URL`` and this session's
    schema-name prefix; drops every schema with the prefix at the end of the session."""
    url = os.environ[DATABASE_URL_VARIABLE]
    engine = make_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any connection failure is reported the same way
        pytest.fail(f"cannot connect to PostgreSQL at {DATABASE_URL_VARIABLE}={url}: {error}. "
                    "Start the server or unset the variable to test on SQLite only", pytrace=False)
    prefix = f"rp_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    yield engine, prefix
    with engine.begin() as connection:
        leftovers = connection.execute(
            text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :pattern"), {"pattern": prefix + "%"}
        ).scalars().all()
        for schema in leftovers:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture
def database_url(request, tmp_path) -> Iterator[str]:
    """The URL of a fresh database migrated to the newest schema, for this test only."""
    configured = os.environ.get(DATABASE_URL_VARIABLE)
    if not is_postgres_url(configured):
        path = tmp_path / "ride_pool.db"
        template = request.getfixturevalue("sqlite_template")
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    admin, prefix = request.getfixturevalue("postgres_admin")
    schema = f"{prefix}_{next(_schema_numbers)}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = with_search_path(configured, schema)
    migrate(url)
    yield url
    with admin.begin() as connection:
        connection.execute(text("SET LOCAL lock_timeout = '10s'"))
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def db_engine(database_url) -> Iterator[Engine]:
    """An engine (see :func:`ride_pool.db.make_engine`) on this test's fresh database."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()
