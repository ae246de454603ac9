"""Database engines for SQLite (one file, the default) and PostgreSQL (psycopg 3).

SQLite is set up for a threaded server: connections may move between threads, the journal is a
write-ahead log (readers never block the writer), a locked database is waited for
(``busy_timeout``) and foreign keys are enforced. Write transactions start with
``BEGIN IMMEDIATE`` (see :func:`write_session`), so that two writers queue on the lock instead of
one failing with "database is locked" when it upgrades a read to a write.

Durability on SQLite: ``synchronous = NORMAL`` in WAL mode writes every commit to the log before
the commit returns but syncs the log to disk only at checkpoints. A killed server process
(``kill -9``) therefore loses nothing it confirmed (the log is in the operating system's cache);
a power failure or kernel crash can lose the last commits before a checkpoint. PostgreSQL (the
production database) keeps its own settings (``synchronous_commit`` on: every commit is flushed).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool, StaticPool

#: how long a SQLite connection waits for another one's write lock before failing
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: connection pool of a threaded API server
POOL_SIZE = 10
MAX_OVERFLOW = 20

#: execution option that makes a SQLite transaction start with ``BEGIN IMMEDIATE``
WRITE_OPTION = "ride_pool_write"


def _json_default(value: Any) -> Any:
    """JSON for the values json.dumps does not know: NumPy scalars and arrays, sets."""
    if hasattr(value, "tolist"):  # NumPy scalar or array
        return value.tolist()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot store {type(value).__name__} {value!r} in a JSON column: "
                    "use numbers, strings, lists and dicts")


#: how JSON columns are written (compact, NumPy values as plain numbers)
json_serializer = partial(json.dumps, default=_json_default, separators=(",", ":"), ensure_ascii=False)


def database_url(url: str | URL) -> URL:
    """``url`` as SQLAlchemy URL; ``postgresql://`` and ``postgres://`` use the psycopg 3 driver."""
    if isinstance(url, str) and url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str | URL, **engine_kwargs) -> Engine:
    """An engine for ``url`` (SQLite or PostgreSQL) set up for a threaded server.

    ``engine_kwargs`` are passed on to :func:`sqlalchemy.create_engine` (e.g. ``echo=True``).
    """
    url = database_url(url)
    engine_kwargs.setdefault("json_serializer", json_serializer)
    backend = url.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url, **engine_kwargs)
    if backend == "postgresql":
        options = {"pool_pre_ping": True} | _pool_size(engine_kwargs)
        return create_engine(url, **(options | engine_kwargs))
    raise ValueError(f"unsupported database {url.drivername!r} in {url.render_as_string(hide_password=True)}: "
                     "use sqlite:///path/to/file.db or postgresql://user@host/database")


def _pool_size(engine_kwargs: dict) -> dict:
    """Pool sizes for a threaded server, unless the caller chose a pool without sizes (NullPool)."""
    if engine_kwargs.get("poolclass") not in (None, QueuePool):
        return {}
    return {"pool_size": POOL_SIZE, "max_overflow": MAX_OVERFLOW}


def _sqlite_engine(url: URL, **engine_kwargs) -> Engine:
    in_memory = url.database in (None, "", ":memory:")
    options: dict = {"connect_args": {"check_same_thread": False}}
    if in_memory:
        # one connection shared by all threads, or each would see its own empty database
        options["poolclass"] = StaticPool
    else:
        options |= _pool_size(engine_kwargs)
    engine = create_engine(url, **(options | engine_kwargs))

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record):
        # let SQLAlchemy emit BEGIN itself (the "begin" hook below) instead of pysqlite's
        # implicit BEGIN before the first write, which breaks transactional DDL and SAVEPOINTs
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session in one write transaction: committed at the end, rolled back (and the error
    re-raised) if the block fails. On SQLite it holds the write lock from its first statement."""
    with Session(engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False) as session:
        with session.begin():
            yield session


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session in one read transaction that sees a single snapshot of the database
    (``REPEATABLE READ`` on PostgreSQL; a SQLite read transaction always does)."""
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    with Session(engine, expire_on_commit=False) as session:
        with session.begin():
            yield session
