"""Configuration classes.

Nothing here reads the environment at import time: `load_config()` is called by
`create_app()` and turns environment variables into a plain dict that overrides
the class defaults.
"""
from __future__ import annotations

import ipaddress
import os
import secrets
from datetime import timedelta
from pathlib import Path

DEFAULT_SECRET_KEYS = {"", "dev", "change-me", "changeme", "secret", "default"}


class BaseConfig:
    """Defaults shared by every mode."""

    APP_ENV = "development"
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    JSON_SORT_KEYS = False

    # Bodies of ordinary API requests; uploads raise it per request.
    MAX_CONTENT_LENGTH = 1 * 1024 * 1024
    MAX_JSON_DEPTH = 32

    ACCESS_TOKEN_TTL = timedelta(minutes=15)
    REFRESH_TOKEN_TTL = timedelta(days=30)
    JWT_ALGORITHM = "HS256"
    JWT_ISSUER = "xinzhou-dsr"

    # Login throttling: failures inside the window before a temporary lock;
    # the lock doubles with every further failure and is capped, so an attacker
    # can never lock a real user out for longer than the cap, and a device the
    # user has logged in from before is never locked out by the account lock.
    LOGIN_WINDOW = timedelta(minutes=15)
    LOGIN_ACCOUNT_MAX_FAILURES = 10  # from any address, unknown devices (accounts/throttle.py)
    LOGIN_PAIR_MAX_FAILURES = 5  # from one address for one username, unknown devices
    LOGIN_UNKNOWN_ADDRESS_MAX_FAILURES = 50  # from one address, usernames that do not exist
    LOGIN_LOCK_BASE = timedelta(minutes=1)
    LOGIN_LOCK_MAX = timedelta(minutes=15)

    # Public record verification (/verify/<id> and its JSON): each call re-hashes the record
    # and its stored photos, so one client address gets this many calls per window.
    PUBLIC_VERIFY_MAX_REQUESTS = 30
    PUBLIC_VERIFY_WINDOW = timedelta(minutes=1)
    # Objections to published results (异议): filings one client address may make per window.
    PUBLIC_OBJECTION_MAX_REQUESTS = 5
    PUBLIC_OBJECTION_WINDOW = timedelta(hours=1)
    # The delivery worker deletes throttle rows that are over (quiet for a day, not locked) at
    # start and then this often; None: never (then run `flask users prune-throttle` from cron).
    THROTTLE_PRUNE_INTERVAL: timedelta | None = timedelta(hours=1)

    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 64 * 1024

    # Push and pull requests one server process serves at once (sync/gate.py); the others wait, up
    # to the timeout (seconds), then 503 with Retry-After. 0: no limit.
    SYNC_CONCURRENCY = 1
    SYNC_GATE_TIMEOUT = 30

    API_TITLE = "忻州市部门联合“双随机、一公开”抽查系统 API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    OPENAPI_SWAGGER_UI_URL = "/vendor/swagger-ui/"

    INSTANCE_PATH: str | None = None
    DEMO_PASSWORD: str | None = None

    # Evidence media (media/): storage root (default <instance>/media), tus
    # upload expiry in days (phones stay offline for days), per-kind size
    # limits in bytes, the process-wide image pixel limit, and cache lifetimes.
    MEDIA_ROOT: str | None = None
    MEDIA_FSYNC = True
    MEDIA_UPLOAD_EXPIRY_DAYS = 14
    MEDIA_LIMITS = {
        "photo": 30 * 1024 * 1024,
        "video": 1024 * 1024 * 1024,
        "audio": 100 * 1024 * 1024,
        "signature": 2 * 1024 * 1024,
    }
    MEDIA_MAX_IMAGE_PIXELS = 50_000_000
    # Delivery of messages to departments (server/leads): Standard Webhooks.
    DELIVERY_ALLOW_HTTP = False  # endpoints must be HTTPS in production
    DELIVERY_TIMEOUT = 15.0  # seconds for one attempt (the spec suggests 15–30)
    DELIVERY_BATCH = 10
    DELIVERY_POLL_INTERVAL = 2.0
    DELIVERY_LEASE_MARGIN = timedelta(seconds=30)
    DELIVERY_MAX_RETRY_AFTER = timedelta(hours=24)  # a larger Retry-After is capped
    DELIVERY_ROTATION_OVERLAP = timedelta(hours=24)
    DELIVERY_PROXY: str | None = None  # e.g. an egress proxy that filters internal addresses
    DELIVERY_PUBLIC_BASE_URL: str | None = None  # prefixes the links in payloads
    # Violation leads (server/leads): working days before a reminder for a lead not signed for /
    # not concluded, and the window of a rectification follow-up visit.
    LEAD_RECEIPT_WORKDAYS = 3
    LEAD_FEEDBACK_WORKDAYS = 20
    LEAD_FOLLOWUP_WINDOW_WORKDAYS = 10
    # How often the delivery worker runs the reminder pass (at start, then at most this often);
    # None: never (then run `flask leads remind` or `tick` from cron). Reminders are due by the
    # day, so an hour only bounds how late in the day one goes out.
    LEAD_REMINDER_INTERVAL: timedelta | None = timedelta(hours=1)
    # Result entry deadline (rules Art. 20(3)): working days after the check ended, counted
    # from the next day unless configured otherwise; "due soon" within this many working days.
    RESULT_DEADLINE_WORKDAYS = 20
    DEADLINE_COUNT_FROM_NEXT_DAY = True
    DEADLINE_DUE_SOON_WORKDAYS = 5
    # Leaders and the back office see records checked but not sealed after this many working days.
    UNSEALED_ALERT_WORKDAYS = 2
    # Sealed records, approvals and publications are kept at least 2 years (rules Art. 25);
    # a larger value is allowed, a smaller one refused at start.
    ARCHIVE_RETENTION_YEARS = 2
    # The public address printed in the record PDF's QR code (None: the address of the request).
    PUBLIC_BASE_URL: str | None = None
    # How many reverse proxies in front of gunicorn append to X-Forwarded-For / X-Forwarded-Proto.
    # 0 (default): the headers are ignored and the client address is the TCP peer. Behind one
    # nginx, set 1: otherwise every client shares the proxy's address, so per-address login
    # throttling and the public verification limit would lock everyone out together. Never set it
    # higher than the real number of proxies: a client could then choose its own address.
    TRUSTED_PROXY_HOPS = 0

    # Prometheus metrics at /metrics: who may scrape them (addresses or networks, comma-separated;
    # empty: /metrics answers 404 to everyone). Logs: "json" for one JSON object per line, "text".
    METRICS_ALLOW: str | list = ""
    LOG_FORMAT = "text"

    # The record PDF's CJK font: None = the pinned pip package (Noto Sans SC), then Debian's
    # fonts-noto-cjk. PDF_FONT_INDEX picks the face inside a .ttc collection.
    PDF_FONT_PATH: str | None = None
    PDF_FONT_INDEX = 0


class DevelopmentConfig(BaseConfig):
    """The embedded default: SQLite under instance/, generated secret key."""

    APP_ENV = "development"
    DELIVERY_ALLOW_HTTP = True


class ProductionConfig(BaseConfig):
    """Refuses to start without a real SECRET_KEY."""

    APP_ENV = "production"
    LOG_FORMAT = "json"


class TestingConfig(BaseConfig):
    """Fast password hashing; everything else as in development."""

    APP_ENV = "testing"
    TESTING = True
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8 * 1024
    DELIVERY_ALLOW_HTTP = True


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}


class ConfigError(RuntimeError):
    """The application cannot start with this configuration."""


def env_overrides(environ: dict[str, str]) -> dict:
    """Map environment variables to config keys (only those that are set)."""
    out: dict = {}
    mapping = {
        "SECRET_KEY": "SECRET_KEY",
        "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
        "DEMO_PASSWORD": "DEMO_PASSWORD",
        "MEDIA_ROOT": "MEDIA_ROOT",
        "DELIVERY_PUBLIC_BASE_URL": "DELIVERY_PUBLIC_BASE_URL",
        "DELIVERY_PROXY": "DELIVERY_PROXY",
        "PDF_FONT_PATH": "PDF_FONT_PATH",
        "PDF_FONT_INDEX": "PDF_FONT_INDEX",
        "ARCHIVE_RETENTION_YEARS": "ARCHIVE_RETENTION_YEARS",
        "PUBLIC_BASE_URL": "PUBLIC_BASE_URL",
        "TRUSTED_PROXY_HOPS": "TRUSTED_PROXY_HOPS",
        "SYNC_CONCURRENCY": "SYNC_CONCURRENCY",
        "METRICS_ALLOW": "METRICS_ALLOW",
        "LOG_FORMAT": "LOG_FORMAT",
    }
    for env_key, cfg_key in mapping.items():
        if environ.get(env_key):
            out[cfg_key] = environ[env_key]
    return out


def parse_networks(value) -> list:
    """METRICS_ALLOW: "127.0.0.1, 10.0.0.0/8" (or a list) → ip networks; refused at start if unreadable."""
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    out = []
    for item in value or ():
        if isinstance(item, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
            out.append(item)
            continue
        try:
            out.append(ipaddress.ip_network(str(item), strict=False))
        except ValueError:
            raise ConfigError(f"METRICS_ALLOW: {item!r} is not an address or network") from None
    return out


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given in the common short forms."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def instance_secret(instance_path: Path, name: str, nbytes: int = 32) -> str:
    """Return a secret kept in instance/<name>, generating it once (mode 0600)."""
    path = instance_path / name
    if path.exists():
        value = path.read_text(encoding="utf-8").strip()
        if value:
            return value
    private_dir(instance_path)
    value = secrets.token_urlsafe(nbytes)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value + "\n")
    return value


def private_dir(path: Path) -> None:
    """Create a directory readable by the service alone (0700)."""
    if not path.exists():
        path.mkdir(parents=True, mode=0o700)


def check_signing_key(config: dict, instance_path: Path) -> None:
    """Production: the Ed25519 key lives outside the database's directory and only its owner reads it.

    Whoever copies the database directory must not get the key that signs checkpoints with it."""
    configured = config.get("SIGNING_KEY_PATH")
    path = Path(configured).resolve() if configured else (instance_path / "ed25519_private.pem").resolve()
    uri = config["SQLALCHEMY_DATABASE_URI"]
    database_dir = Path(uri.removeprefix("sqlite:///")).resolve().parent if uri.startswith("sqlite:///") else None
    if database_dir is not None and path.parent == database_dir:
        raise ConfigError(f"the signing key {path} sits next to the SQLite database; set SIGNING_KEY_PATH to a file "
                          "outside that directory; production mode refuses to start")
    if path.exists() and path.stat().st_mode & 0o077:
        raise ConfigError(f"the signing key {path} is readable by others (chmod 600 it); production mode refuses to start")


def finalise(config: dict, instance_path: Path) -> None:
    """Fill in derived settings and enforce the production rules in place."""
    if config.get("SQLALCHEMY_DATABASE_URI"):
        config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(config["SQLALCHEMY_DATABASE_URI"])
    else:
        private_dir(instance_path)
        database = instance_path / "dsr.sqlite3"
        if not database.exists():  # created by us, readable by the service alone (SQLite would use the umask)
            os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{database}"

    if not config.get("MEDIA_ROOT"):
        config["MEDIA_ROOT"] = str(instance_path / "media")

    try:
        config["ARCHIVE_RETENTION_YEARS"] = int(config.get("ARCHIVE_RETENTION_YEARS", 2))
    except (TypeError, ValueError):
        raise ConfigError("ARCHIVE_RETENTION_YEARS must be a whole number of years (at least 2)")
    if not 2 <= config["ARCHIVE_RETENTION_YEARS"] <= 100:
        raise ConfigError("ARCHIVE_RETENTION_YEARS must be at least 2 (rules Art. 25) and at most 100")

    try:
        config["TRUSTED_PROXY_HOPS"] = int(config.get("TRUSTED_PROXY_HOPS") or 0)
    except (TypeError, ValueError):
        raise ConfigError("TRUSTED_PROXY_HOPS must be the number of reverse proxies in front of the app (0 to 5)")
    if not 0 <= config["TRUSTED_PROXY_HOPS"] <= 5:
        raise ConfigError("TRUSTED_PROXY_HOPS must be the number of reverse proxies in front of the app (0 to 5)")

    try:
        config["SYNC_CONCURRENCY"] = int(config.get("SYNC_CONCURRENCY") or 0)
    except (TypeError, ValueError):
        raise ConfigError("SYNC_CONCURRENCY must be a whole number (sync requests per process at once; 0: no limit)")
    if not 0 <= config["SYNC_CONCURRENCY"] <= 1000:
        raise ConfigError("SYNC_CONCURRENCY must be between 0 (no limit) and 1000")

    config["METRICS_ALLOW"] = parse_networks(config.get("METRICS_ALLOW"))
    if config.get("LOG_FORMAT") not in ("json", "text"):
        raise ConfigError('LOG_FORMAT must be "json" or "text"')

    key = config.get("SECRET_KEY")
    if config.get("APP_ENV") == "production":
        if not key or key.strip().lower() in DEFAULT_SECRET_KEYS or len(key) < 32:
            raise ConfigError(
                "SECRET_KEY is missing, a default value or shorter than 32 characters; "
                "production mode refuses to start."
            )
        check_signing_key(config, instance_path)
    elif not key:
        config["SECRET_KEY"] = instance_secret(instance_path, "secret_key")

    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        opts = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        opts.setdefault("connect_args", {}).setdefault("timeout", 30)
        config["SQLALCHEMY_ENGINE_OPTIONS"] = opts
