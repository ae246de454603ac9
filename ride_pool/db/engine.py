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

File modes on SQLite: the database holds password hashes and phone numbers, so its file is created
0600 (owner only) before SQLite opens it; SQLite gives the ``-wal`` and ``-shm`` files the mode of
the database file. An existing database readable by group or others is narrowed to the owner.
"""

from __future__ import annotations

import json
import os
import stat
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


def sqlite_file(url: URL) -> str | None:
    """The file of a SQLite ``url``; None for an in-memory database or a ``file:`` URI."""
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:") or database.startswith("file:"):
        return None
    return database


def owner_only(path: str) -> None:
    """Create the SQLite database ``path`` empty with mode 0600 if it is missing (SQLite then
    creates its -wal and -shm files with the same mode); take group and other permissions off an
    existing one (and its -wal/-shm files) that this user owns."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return
    except FileExistsError:
        pass
    except OSError:
        return      # a missing folder or no permission: SQLite reports it when it opens the file
    for name in (path, path + "-wal", path + "-shm"):
        try:
            info = os.stat(name)
            if info.st_uid == os.geteuid() and info.st_mode & 0o077:
                os.chmod(name, stat.S_IMODE(info.st_mode) & 0o700)
        except OSError:
            pass


def _sqlite_engine(url: URL, **engine_kwargs) -> Engine:
    in_memory = url.database in (None, "", ":memory:")
    path = sqlite_file(url)
    if path is not None:
        owner_only(path)
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


def write_problem(engine: Engine) -> str | None:
    """Why the database does not accept a write now (disk full, read-only file or transaction,
    lost connection), or None if it does.

    The probe changes a page for real, as every booking does: it rewrites the one row of
    ``alembic_version`` (there after every migration) with its own value, in a write transaction
    (on SQLite ``BEGIN IMMEDIATE``), and commits. Nothing visible changes."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with engine.execution_options(**{WRITE_OPTION: True}).begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = version_num"))
    except SQLAlchemyError as exc:
        reason = getattr(exc, "orig", None) or exc
        return (str(reason).strip().splitlines() or [type(reason).__name__])[0]
    return None
