"""Service settings, read from ``RIDE_POOL_*`` environment variables (or a ``.env`` file).

==========================  ====================================================================
variable                    meaning (default)
==========================  ====================================================================
``RIDE_POOL_DATABASE_URL``  SQLAlchemy URL (``sqlite:///ride_pool.db`` in the current directory);
                            ``postgresql://user@host/db`` is accepted and uses psycopg 3
``RIDE_POOL_SECRET_KEY``    key that signs the API's bearer tokens (see below)
``RIDE_POOL_TOKEN_MINUTES`` lifetime of a bearer token in minutes (720 = 12 h)
``RIDE_POOL_NETWORK``       road network the dispatcher routes on (``demo``)
``RIDE_POOL_HOST``          address the API server listens on (``127.0.0.1``)
``RIDE_POOL_PORT``          port the API server listens on (``8000``)
``RIDE_POOL_ACCESS_LOG``    one log line per HTTP request (``true``; ``false`` saves about 7 % of
                            the server's CPU under load, e.g. behind a proxy that logs requests)
``RIDE_POOL_DATA_DIR``      shared data folder (``shared/data`` beside the repository)
``RIDE_POOL_TILE_URL``      optional raster map tiles for the web pages' maps, e.g.
                            ``https://tiles.example.org/{z}/{x}/{y}.png`` (none: the maps draw
                            the service's own road network only); its attribution text is
                            ``RIDE_POOL_TILE_ATTRIBUTION``
==========================  ====================================================================

**Request limits.** ``RIDE_POOL_MAX_BODY_BYTES`` is the largest request body in bytes
(``1000000``; larger bodies get 413 ``too_large``), ``RIDE_POOL_MAX_STOP_FILE_BYTES`` the largest
stop file ``POST /api/v1/ops/stops/import`` takes (``20000000``).

**Secret key.** When ``RIDE_POOL_SECRET_KEY`` is not set, a random key is generated once and kept
in a file, so that tokens stay valid across restarts: next to a SQLite database file
(``ride_pool.db`` -> ``ride_pool.db.secret``), otherwise (PostgreSQL, in-memory SQLite) in
``~/.ride_pool_secret``. The file is created with mode 0600; delete it to log everybody out.
Several server processes sharing one database must share the key: set the variable or let them
share the file.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

DEFAULT_DATABASE_URL = "sqlite:///ride_pool.db"
#: the shared data folder beside the repository (``<repo>/../shared/data``)
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
HOME_SECRET_FILE = Path("~/.ride_pool_secret")


class Settings(BaseSettings):
    """The service's settings; every field can be set as ``RIDE_POOL_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="RIDE_POOL_", env_file=".env", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    #: ``None`` -> generated once and kept in :func:`secret_key_file` (see the module docstring)
    secret_key: str | None = None
    token_minutes: int = Field(default=720, gt=0)
    network: str = "demo"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, gt=0, lt=65536)
    access_log: bool = True
    data_dir: Path = DEFAULT_DATA_DIR
    #: optional raster tiles ``.../{z}/{x}/{y}.png`` under the web maps; None: network only
    tile_url: str | None = None
    tile_attribution: str = ""

    # --- accounts and tokens (issue 13) ---

    # --- registration, login and e-mail (issue 13) ---

    # --- request limits and HTTP hardening (issue 13) ---
    #: the largest request body in bytes (413 ``too_large`` above it); 1 MB
    max_body_bytes: int = Field(default=1_000_000, gt=0)
    #: the largest stop file ``POST /api/v1/ops/stops/import`` takes, in bytes; 20 MB (a county's
    #: GTFS stops.txt has a few MB)
    max_stop_file_bytes: int = Field(default=20_000_000, gt=0)

    # --- data protection and retention (issue 13) ---

    @model_validator(mode="after")
    def _fill_secret_key(self) -> Settings:
        if not self.secret_key:
            self.secret_key = read_or_create_secret(secret_key_file(self.database_url))
        return self


def secret_key_file(database_url: str) -> Path:
    """Where the generated secret key of ``database_url``'s service is kept."""
    url = make_url(database_url)
    database = url.database or ""
    is_sqlite_file = url.get_backend_name() == "sqlite" and database not in ("", ":memory:") \
        and not database.startswith("file:")
    if is_sqlite_file:
        path = Path(database).expanduser().resolve()
        return path.with_name(path.name + ".secret")
    return HOME_SECRET_FILE.expanduser()


def read_or_create_secret(path: Path) -> str:
    """The key stored in ``path``; a new random one is written there (mode 0600) if it is missing.

    Safe when several processes start at once: the key is written to a temporary file that is then
    hard-linked into place, which fails if another process got there first; that one's key wins.
    """
    existing = _read_secret(path)
    if existing:
        return existing
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(key + "\n")
        os.link(temporary, path)
    except FileExistsError:
        key = _read_secret(path)
        if not key:
            raise RuntimeError(f"secret key file {path} is empty: delete it or set RIDE_POOL_SECRET_KEY") from None
    finally:
        temporary.unlink(missing_ok=True)
    return key


def _read_secret(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return ""


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once; ``get_settings.cache_clear()`` re-reads them."""
    return Settings()
