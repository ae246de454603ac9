"""Service settings, read from ``RIDE_POOL_*`` environment variables (or a ``.env`` file).

==========================  ====================================================================
variable                    meaning (default)
==========================  ====================================================================
``RIDE_POOL_DATABASE_URL``  SQLAlchemy URL (``sqlite:///ride_pool.db`` in the current directory);
                            ``postgresql://user@host/db`` is accepted and uses psycopg 3
``RIDE_POOL_SECRET_KEY``    key that signs the API's bearer tokens, at least 32 bytes (see below)
``RIDE_POOL_TOKEN_MINUTES`` lifetime of a bearer token in minutes (720 = 12 h)
``RIDE_POOL_NETWORK``       road network the dispatcher routes on (``demo``)
``RIDE_POOL_HOST``          address the API server listens on (``127.0.0.1``)
``RIDE_POOL_PORT``          port the API server listens on (``8000``)
``RIDE_POOL_ACCESS_LOG``    one log line per HTTP request (``true``; ``false`` saves about 7 % of
                            the server's CPU under load, e.g. behind a proxy that logs requests)
``RIDE_POOL_DATA_DIR``      shared data folder (``shared/data`` beside the repository)
``RIDE_POOL_STREAM_TICKET_SECONDS``
                            lifetime of a ticket that opens one event stream (``60`` s)
``RIDE_POOL_TILE_URL``      optional raster map tiles for the web pages' maps, e.g.
                            ``https://tiles.example.org/{z}/{x}/{y}.png`` (none: the maps draw
                            the service's own road network only); its attribution text is
                            ``RIDE_POOL_TILE_ATTRIBUTION``
==========================  ====================================================================

**Rider notifications, start page (issue 17).** ``RIDE_POOL_NOTIFY_*``, ``RIDE_POOL_SMS_*``,
``RIDE_POOL_PUSH_*`` configure the outbox sender and its channels (SMTP as above, an HTTP SMS
gateway, Web Push); ``RIDE_POOL_SERVICE_HOTLINE``, ``..._HOTLINE_HOURS``, ``RIDE_POOL_LEGAL_NOTICE_URL``
and ``RIDE_POOL_PRIVACY_URL`` what the rider page shows. See the README, "Notifications".

**Request limits.** ``RIDE_POOL_MAX_BODY_BYTES`` is the largest request body in bytes
(``1000000``; larger bodies get 413 ``too_large``), ``RIDE_POOL_MAX_STOP_FILE_BYTES`` the largest
stop file ``POST /api/v1/ops/stops/import`` takes (``20000000``).

**Secret key and issuer.** Every deployment has its own identity, kept with its data: the
``deployment`` table holds a random issuer id (``ride_pool:<uuid>``) and a random signing key,
made at the first start (:mod:`ride_pool.db.deployment`). Tokens name that issuer, so a token of
another deployment is refused even when both were given the same key. ``RIDE_POOL_SECRET_KEY``,
when set, signs the tokens instead of the stored key (the issuer still comes from the database);
it must be at least 32 bytes long, e.g. ``python -c "import secrets; print(secrets.token_urlsafe(48))"``.
Several server processes on one database share the stored key by themselves. Changing
``RIDE_POOL_SECRET_KEY`` logs everybody out.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///ride_pool.db"
#: the shared data folder beside the repository (``<repo>/../shared/data``)
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
#: the shortest ``RIDE_POOL_SECRET_KEY`` accepted (HS256 wants a key at least as long as its hash)
MIN_SECRET_KEY_BYTES = 32


class Settings(BaseSettings):
    """The service's settings; every field can be set as ``RIDE_POOL_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="RIDE_POOL_", env_file=".env", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    #: ``None`` -> the deployment's own key, kept in the database (see the module docstring)
    secret_key: str | None = None
    token_minutes: int = Field(default=720, gt=0)
    network: str = "demo"
    #: who runs the service and its phone number, as published in the GTFS-Flex feed
    agency_name: str = "Rufbus"
    agency_phone: str = ""
    host: str = "127.0.0.1"
    port: int = Field(default=8000, gt=0, lt=65536)
    access_log: bool = True
    data_dir: Path = DEFAULT_DATA_DIR
    #: optional raster tiles ``.../{z}/{x}/{y}.png`` under the web maps; None: network only
    tile_url: str | None = None
    tile_attribution: str = ""

    # --- accounts and tokens (issue 13) ---
    #: lifetime of a ticket that opens one event stream (``POST <stream>/ticket``)
    stream_ticket_seconds: int = Field(default=60, gt=0, le=3600)

    # --- registration, login and e-mail (issue 13) ---
    #: outgoing mail (confirmation codes, notices) over SMTP; the demo points these at a local server
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=25, gt=0, lt=65536)
    smtp_from: str = "ride_pool <noreply@localhost>"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout_s: float = Field(default=10.0, gt=0)
    #: e-mail confirmation codes: lifetime and wrong tries before a new code is needed
    confirm_code_minutes: int = Field(default=30, gt=0)
    confirm_max_attempts: int = Field(default=5, gt=0)
    #: rate limits: at most ``*_count`` per ``*_seconds`` (count 0 switches the limit off)
    limit_register_count: int = Field(default=5, ge=0)            # registrations per client address
    limit_register_seconds: int = Field(default=3600, gt=0)
    limit_confirm_resend_count: int = Field(default=3, ge=0)      # new codes per e-mail address
    limit_confirm_resend_seconds: int = Field(default=3600, gt=0)
    limit_quotes_address_count: int = Field(default=120, ge=0)    # quotes per client address
    limit_quotes_address_seconds: int = Field(default=60, gt=0)
    limit_quotes_rider_count: int = Field(default=30, ge=0)       # quotes per rider account
    limit_quotes_rider_seconds: int = Field(default=60, gt=0)
    limit_bookings_address_count: int = Field(default=30, ge=0)   # bookings per client address
    limit_bookings_address_seconds: int = Field(default=60, gt=0)
    limit_places_address_count: int = Field(default=120, ge=0)    # place searches per client address
    limit_places_address_seconds: int = Field(default=60, gt=0)
    limit_login_account_count: int = Field(default=5, ge=0)       # failed logins per account
    limit_login_account_seconds: int = Field(default=900, gt=0)
    limit_login_address_count: int = Field(default=20, ge=0)      # failed logins per client address
    limit_login_address_seconds: int = Field(default=900, gt=0)

    # --- request limits and HTTP hardening (issue 13) ---
    #: the largest request body in bytes (413 ``too_large`` above it); 1 MB
    max_body_bytes: int = Field(default=1_000_000, gt=0)
    #: the largest stop file ``POST /api/v1/ops/stops/import`` takes, in bytes; 20 MB (a county's
    #: GTFS stops.txt has a few MB)
    max_stop_file_bytes: int = Field(default=20_000_000, gt=0)

    # --- data protection and retention (issue 13) ---
    #: days after a finished trip (completed, cancelled, no-show) until the phone caller's name
    #: and number are removed from it, its offer and its events (``ride_pool.db.privacy``)
    personal_data_retention_days: int = Field(default=90, gt=0)
    #: days after which offers never booked and the events of quotes that led to no booking are
    #: deleted (0: keep them)
    quote_retention_days: int = Field(default=30, ge=0)
    #: how often the service runs the retention job (seconds; it also runs at the start)
    retention_interval_s: int = Field(default=3600, gt=0)

    # --- rider notifications (issue 17; README "Notifications") ---
    #: run the outbox sender in this process (one per deployment; off in extra server processes)
    notify_sender: bool = True
    #: how often the sender looks for due messages and checks the live plan for "pickup soon" and
    #: "running late" (seconds of wall time)
    notify_poll_s: float = Field(default=5.0, gt=0)
    #: retries with exponential back-off: the n-th retry waits notify_backoff_s * 2**(n-1) seconds
    notify_max_attempts: int = Field(default=6, gt=0)
    notify_backoff_s: int = Field(default=30, gt=0)
    #: e-mail notifications go over the SMTP settings above; off: no notification e-mails
    notify_email: bool = True
    #: SMS through an HTTP gateway: POST to sms_gateway_url with sms_body_template, where {to},
    #: {text}, {sender} and {id} are replaced by JSON strings (for a JSON body) or URL-encoded
    #: values (for a form body, sms_content_type application/x-www-form-urlencoded); HTTP basic
    #: auth with sms_gateway_username/password or a bearer token; None: no SMS
    sms_gateway_url: str | None = None
    sms_gateway_username: str | None = None
    sms_gateway_password: str | None = None
    sms_gateway_token: str | None = None
    sms_content_type: str = "application/json"
    sms_body_template: str = '{{"to": {to}, "from": {sender}, "text": {text}, "reference": {id}}}'
    sms_sender: str = "Rufbus"
    sms_timeout_s: float = Field(default=10.0, gt=0)
    #: Web Push: the VAPID contact (mailto: or https:) push services may write to; the key pair is
    #: made per deployment and kept in the database; off: no push
    push_enabled: bool = True
    push_contact: str = "mailto:admin@localhost"
    push_ttl_s: int = Field(default=3600, gt=0)
    #: the push services a subscription may name (comma-separated hosts; ".example.com" also
    #: matches its subdomains): the browsers' services by default, so that a rider cannot make
    #: the server send requests anywhere else. ``https`` only, except for 127.0.0.1 and localhost
    push_allowed_hosts: str = ("fcm.googleapis.com,updates.push.services.mozilla.com,.notify.windows.com,"
                               ".push.apple.com")

    # --- the start page (issue 17) ---
    service_hotline: str = "+49 3521 000000"
    service_hotline_hours: str = "Mo–Fr 6–20 Uhr, Sa–So 8–18 Uhr"
    legal_notice_url: str = "/impressum"
    privacy_url: str = "/datenschutz"

    @field_validator("secret_key")
    @classmethod
    def _long_enough_key(cls, key: str | None) -> str | None:
        if not key:
            return None     # empty: not given (the deployment's stored key is used)
        if len(key.encode()) < MIN_SECRET_KEY_BYTES:
            raise ValueError(
                f"RIDE_POOL_SECRET_KEY is {len(key.encode())} bytes long; it must be at least "
                f"{MIN_SECRET_KEY_BYTES} bytes (make one with: python -c \"import secrets; "
                f"print(secrets.token_urlsafe(48))\"), or leave it unset to use the key kept in the database")
        return key


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once; ``get_settings.cache_clear()`` re-reads them."""
    return Settings()
