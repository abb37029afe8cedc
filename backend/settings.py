"""Settings, read once from the environment.

Every other module receives a `Settings` instance; nothing else reads `os.environ`.
Secrets (added by later features) have defaults only when APP_ENV=dev, and `__repr__`
never prints them, so a settings object can be logged safely.
"""

from __future__ import annotations

import re

import ipaddress
import os
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Mapping

REPO_ROOT = Path(__file__).resolve().parent.parent

APP_ENVS = ("dev", "test", "production")


class SettingsError(ValueError):
    """The environment does not describe a runnable configuration."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    app_env: str = "dev"
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = REPO_ROOT / "data"
    database_url: str = ""
    redis_url: str | None = None
    static_dir: Path = REPO_ROOT / "frontend" / "static"
    log_level: str = "INFO"
    # GraphQL guards against expensive documents (see backend/schema/__init__.py).
    graphql_max_depth: int = 15  # introspection fields count too: GraphiQL's schema query is 14 deep
    graphql_max_aliases: int = 30
    graphql_max_tokens: int = 1000  # the PWA's largest document is about 300; parsing costs ~25 µs a token
    # Measured on the document before validation, fragments expanded (backend/schema/limits.py):
    # fields selected, fragment spreads, and fields under one response key in one selection set.
    graphql_max_cost: int = 1000
    graphql_max_fragment_spreads: int = 100
    graphql_max_repeated_fields: int = 20
    # Largest /graphql request body (POST) or query string (GET); uploads have their own limit.
    graphql_max_request_bytes: int = 64 * 1024
    # Public catalog responses may be reused this long by the browser and proxies.
    catalog_cache_seconds: int = 300
    # Answers to public catalog queries kept by the server (in-process LRU, shared through Redis
    # when REDIS_URL is set), keyed on the catalog's version: 0 turns the cache off.
    public_response_cache_entries: int = 1000
    # Automatic persisted queries (Apollo's APQ): documents remembered by their sha256.
    persisted_queries_max: int = 1000
    # Cases: uploads, 容缺 supplement period, 电子监察 and the live feed.
    upload_max_bytes: int = 10 * 1024 * 1024
    deficiency_supplement_days: int = 10  # working days to supply 容缺 materials
    supervision_warn_percent: int = 80  # warn staff when this share of the promised time is used
    supervision_interval_seconds: int = 60
    feed_poll_seconds: float = 5.0  # the feed re-reads the event table this often even without a bus message
    # permessage-deflate keeps a zlib compressor and decompressor per websocket (about a third of
    # a subscribed connection's memory, docs/PERFORMANCE.md) for messages of a few hundred bytes.
    ws_per_message_deflate: bool = False
    ws_send_queue: int = 256  # events a subscription may fall behind before its socket is closed (1013)
    # Hostile-input guards (issue 18). Uploads: per person in any 24 hours (0 = no quota); files
    # never attached to a case are removed after `upload_unattached_hours`, checked this often.
    upload_daily_files: int = 300
    upload_daily_bytes: int = 1024 * 1024 * 1024
    upload_unattached_hours: int = 24
    upload_cleanup_interval_seconds: int = 3600
    # Rate limits per fixed window, per token subject and per client address (0 = no limit);
    # in Redis when REDIS_URL is set, so every instance counts together.
    rate_limit_window_seconds: int = 60
    rate_limit_mutations_per_token: int = 600
    rate_limit_mutations_per_address: int = 6000
    rate_limit_uploads_per_token: int = 120
    rate_limit_uploads_per_address: int = 1200
    # Booking (预约) at halls: see docs/BOOKINGS.md.
    booking_days_ahead: int = 7  # booking opens this many days ahead
    booking_cutoff_minutes: int = 120  # no booking, cancelling or rescheduling closer to the start
    booking_max_active: int = 3  # active bookings per person
    booking_no_show_grace_minutes: int = 15  # after the slot's end, a booking not checked in is NO_SHOW
    booking_no_show_limit: int = 3  # this many no-shows ...
    booking_no_show_window_days: int = 30  # ... within these days ...
    booking_suspension_days: int = 7  # ... suspend online booking this long
    booking_reminder_hour: int = 18  # the day-before reminder, local hour
    booking_code_seconds: int = 120  # check-in QR lifetime
    booking_job_interval_seconds: int = 60  # reminders and no-shows; 0: only when called
    # Web push (RFC 8030/8291/8292). Endpoints are accepted only on these push services' hosts
    # (a host or any subdomain of it): the server POSTs to them, so they must not point inward.
    vapid_subject: str = "mailto:zhangshangban@xa.gov.cn"
    push_endpoint_hosts: tuple[str, ...] = (
        "fcm.googleapis.com", "push.services.mozilla.com", "notify.windows.com", "push.apple.com",
    )
    push_timeout_seconds: float = 10.0
    push_max_attempts: int = 4
    push_retry_base_seconds: float = 1.0  # backoff after a 5xx or no answer: 1 s, 2 s, 4 s, … (±25 %)
    push_retry_max_wait_seconds: int = 60  # a longer Retry-After is not waited for: the delivery fails
    # 好差评: working days to verify, rectify and return-visit a bad rating; how long a one-tap
    # rating token in a push stays usable.
    rating_verify_days: int = 1
    rating_rectify_days: int = 15
    rating_visit_days: int = 3
    rating_token_ttl_hours: int = 72
    # Background jobs: "inprocess" runs the push dispatcher and job receiver inside the server
    # (the embedded default); "external" leaves them to `python -m backend worker`.
    worker_mode: str = "inprocess"
    # Unified identity provider (统一身份认证). With none configured and APP_ENV=dev, the
    # built-in development provider at /dev-idp stands in.
    oidc_issuer: str | None = None
    oidc_audience: str = "zhangshangban"
    oidc_jwks_url: str | None = None
    oidc_client_id: str = "zhangshangban-pwa"
    public_url: str | None = None  # how browsers reach this app, e.g. https://zsb.example.gov.cn
    # Secrets: base64 keys for personal-data encryption (AES-256-GCM) and its blind index
    # (HMAC-SHA256), and the PEM key (EC P-256) the app signs its own short-lived codes with.
    pii_encryption_key: str | None = field(default=None, repr=False)
    pii_index_key: str | None = field(default=None, repr=False)
    app_signing_key: str | None = field(default=None, repr=False)
    vapid_private_key: str | None = field(default=None, repr=False)  # PEM, EC P-256
    # Production shape (docs/DEPLOYMENT.md). X-Forwarded-For/-Proto are believed only from these
    # proxies (addresses or networks, "*" for any); /metrics answers only these addresses; logs
    # are JSON lines (with the request id) or text; SIGTERM waits this long for requests in flight.
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    metrics_allow: tuple[str, ...] = ("127.0.0.1", "::1")
    log_format: str = "text"
    shutdown_grace_seconds: int = 20
    worker_metrics_port: int = 0  # `python -m backend worker` serves /metrics here (0: not at all)
    # PII key rotation: earlier encryption keys still decrypt until `reencrypt-pii` has finished.
    pii_previous_encryption_keys: tuple[str, ...] = field(default=(), repr=False)
    # APP_SIGNING_KEY rotation: earlier keys' public halves (PEM), still published and trusted so
    # codes and offline presentations signed before the switch verify until they expire.
    app_signing_previous_keys: tuple[str, ...] = field(default=(), repr=False)

    @property
    def dev_idp_enabled(self) -> bool:
        return self.app_env == "dev" and not self.oidc_issuer

    @property
    def is_dev(self) -> bool:
        return self.app_env == "dev"

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    @property
    def database_kind(self) -> str:
        return "postgres" if self.database_url.startswith(("postgres://", "postgresql://")) else "sqlite"

    @property
    def upload_dir(self) -> Path:
        return self.data_dir / "uploads"

    def __repr__(self) -> str:  # secrets never reach logs
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if not f.repr:
                continue
            if f.name in ("database_url", "redis_url"):
                value = _redact_url(value) if isinstance(value, str) else value
            shown.append(f"{f.name}={value!r}")
        return f"Settings({', '.join(shown)})"


def _redact_url(url: str) -> str:
    # postgres://user:password@host/db -> postgres://user:***@host/db
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        if ":" in creds:
            creds = creds.split(":", 1)[0] + ":***"
        return f"{scheme}://{creds}@{host}"
    return url


def _int(env: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    app_env = env.get("APP_ENV", "dev")
    if app_env not in APP_ENVS:
        raise SettingsError(f"APP_ENV must be one of {', '.join(APP_ENVS)}, got {app_env!r}")
    data_dir = Path(env.get("DATA_DIR") or REPO_ROOT / "data")
    database_url = env.get("DATABASE_URL", "")
    if not database_url:
        if app_env == "production":
            raise SettingsError("DATABASE_URL is required when APP_ENV=production")
        database_url = f"sqlite://{data_dir / 'zhangshangban.sqlite3'}"
    if not database_url.startswith(("sqlite://", "postgres://", "postgresql://")):
        raise SettingsError("DATABASE_URL must start with sqlite://, postgres:// or postgresql://")
    if database_url.startswith("postgresql://"):
        # tortoise names the scheme `postgres`
        database_url = "postgres://" + database_url[len("postgresql://"):]
    oidc_issuer = env.get("OIDC_ISSUER") or None
    if app_env == "production":
        missing = [name for name in ("OIDC_ISSUER", "PII_ENCRYPTION_KEY", "PII_INDEX_KEY", "APP_SIGNING_KEY",
                                     "VAPID_PRIVATE_KEY")
                   if not env.get(name)]
        if missing:
            # The development identity provider and generated keys never run in production.
            raise SettingsError(f"{', '.join(missing)} required when APP_ENV=production")
    worker_mode = env.get("WORKER_MODE") or ("external" if env.get("REDIS_URL") else "inprocess")
    if worker_mode not in ("inprocess", "external"):
        raise SettingsError(f"WORKER_MODE must be inprocess or external, got {worker_mode!r}")
    push_hosts = env.get("PUSH_ENDPOINT_HOSTS")
    return Settings(
        app_env=app_env,
        vapid_private_key=env.get("VAPID_PRIVATE_KEY") or None,
        vapid_subject=_vapid_subject(env.get("VAPID_SUBJECT") or "mailto:zhangshangban@xa.gov.cn"),
        push_endpoint_hosts=(tuple(h.strip().lower() for h in push_hosts.split(",") if h.strip())
                             if push_hosts else Settings.push_endpoint_hosts),
        push_timeout_seconds=_int(env, "PUSH_TIMEOUT_MS", 10_000, low=100, high=120_000) / 1000,
        push_max_attempts=_int(env, "PUSH_MAX_ATTEMPTS", 4, low=1, high=10),
        push_retry_base_seconds=_int(env, "PUSH_RETRY_BASE_MS", 1000, low=1, high=60_000) / 1000,
        push_retry_max_wait_seconds=_int(env, "PUSH_RETRY_MAX_WAIT_SECONDS", 60, low=0, high=3600),
        worker_mode=worker_mode,
        oidc_issuer=oidc_issuer.rstrip("/") if oidc_issuer else None,
        oidc_audience=env.get("OIDC_AUDIENCE") or "zhangshangban",
        oidc_jwks_url=env.get("OIDC_JWKS_URL") or None,
        oidc_client_id=env.get("OIDC_CLIENT_ID") or "zhangshangban-pwa",
        public_url=(env.get("PUBLIC_URL") or "").rstrip("/") or None,
        pii_encryption_key=env.get("PII_ENCRYPTION_KEY") or None,
        pii_index_key=env.get("PII_INDEX_KEY") or None,
        app_signing_key=env.get("APP_SIGNING_KEY") or None,
        host=env.get("HOST", "127.0.0.1"),
        port=_int(env, "PORT", 8000, low=1, high=65535),
        data_dir=data_dir,
        database_url=database_url,
        redis_url=env.get("REDIS_URL") or None,
        static_dir=Path(env.get("STATIC_DIR") or REPO_ROOT / "frontend" / "static"),
        log_level=env.get("LOG_LEVEL", "INFO").upper(),
        catalog_cache_seconds=_int(env, "CATALOG_CACHE_SECONDS", 300, low=0, high=86400),
        public_response_cache_entries=_int(env, "PUBLIC_RESPONSE_CACHE_ENTRIES", 1000, low=0, high=1_000_000),
        persisted_queries_max=_int(env, "PERSISTED_QUERIES_MAX", 1000, low=0, high=1_000_000),
        graphql_max_depth=_int(env, "GRAPHQL_MAX_DEPTH", 15, low=1, high=100),
        graphql_max_aliases=_int(env, "GRAPHQL_MAX_ALIASES", 30, low=0, high=1000),
        graphql_max_tokens=_int(env, "GRAPHQL_MAX_TOKENS", 1000, low=100, high=100_000),
        graphql_max_cost=_int(env, "GRAPHQL_MAX_COST", 1000, low=10, high=100_000),
        graphql_max_fragment_spreads=_int(env, "GRAPHQL_MAX_FRAGMENT_SPREADS", 100, low=0, high=10_000),
        graphql_max_repeated_fields=_int(env, "GRAPHQL_MAX_REPEATED_FIELDS", 20, low=1, high=1000),
        graphql_max_request_bytes=_int(env, "GRAPHQL_MAX_REQUEST_BYTES", 64 * 1024, low=1024, high=16 * 1024 * 1024),
        upload_max_bytes=_int(env, "UPLOAD_MAX_BYTES", 10 * 1024 * 1024, low=1024, high=100 * 1024 * 1024),
        deficiency_supplement_days=_int(env, "DEFICIENCY_SUPPLEMENT_DAYS", 10, low=1, high=60),
        supervision_warn_percent=_int(env, "SUPERVISION_WARN_PERCENT", 80, low=1, high=99),
        supervision_interval_seconds=_int(env, "SUPERVISION_INTERVAL_SECONDS", 60, low=0, high=86400),
        feed_poll_seconds=_int(env, "FEED_POLL_MS", 5000, low=50, high=600_000) / 1000,
        ws_per_message_deflate=_choice(env, "WS_DEFLATE", "off", ("off", "on")) == "on",
        ws_send_queue=_int(env, "WS_SEND_QUEUE", 256, low=1, high=100_000),
        upload_daily_files=_int(env, "UPLOAD_DAILY_FILES", 300, low=0, high=1_000_000),
        upload_daily_bytes=_int(env, "UPLOAD_DAILY_BYTES", 1024 * 1024 * 1024, low=0, high=2**50),
        upload_unattached_hours=_int(env, "UPLOAD_UNATTACHED_HOURS", 24, low=1, high=24 * 365),
        upload_cleanup_interval_seconds=_int(env, "UPLOAD_CLEANUP_INTERVAL_SECONDS", 3600, low=0, high=86400),
        rate_limit_window_seconds=_int(env, "RATE_LIMIT_WINDOW_SECONDS", 60, low=1, high=86400),
        rate_limit_mutations_per_token=_int(env, "RATE_LIMIT_MUTATIONS_PER_TOKEN", 600, low=0, high=10**9),
        rate_limit_mutations_per_address=_int(env, "RATE_LIMIT_MUTATIONS_PER_ADDRESS", 6000, low=0, high=10**9),
        rate_limit_uploads_per_token=_int(env, "RATE_LIMIT_UPLOADS_PER_TOKEN", 120, low=0, high=10**9),
        rate_limit_uploads_per_address=_int(env, "RATE_LIMIT_UPLOADS_PER_ADDRESS", 1200, low=0, high=10**9),
        rating_verify_days=_int(env, "RATING_VERIFY_DAYS", 1, low=1, high=30),
        rating_rectify_days=_int(env, "RATING_RECTIFY_DAYS", 15, low=1, high=90),
        rating_visit_days=_int(env, "RATING_VISIT_DAYS", 3, low=1, high=30),
        rating_token_ttl_hours=_int(env, "RATING_TOKEN_TTL_HOURS", 72, low=1, high=24 * 30),
        trusted_proxies=_addresses(env, "TRUSTED_PROXIES", Settings.trusted_proxies),
        metrics_allow=_addresses(env, "METRICS_ALLOW_IPS", Settings.metrics_allow),
        log_format=_choice(env, "LOG_FORMAT", "json" if app_env == "production" else "text", ("text", "json")),
        shutdown_grace_seconds=_int(env, "SHUTDOWN_GRACE_SECONDS", 20, low=1, high=600),
        worker_metrics_port=_int(env, "WORKER_METRICS_PORT", 0, low=0, high=65535),
        pii_previous_encryption_keys=tuple(k.strip() for k in (env.get("PII_PREVIOUS_ENCRYPTION_KEYS") or "").split(",")
                                           if k.strip()),
        app_signing_previous_keys=tuple(re.findall(
            r"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", env.get("APP_SIGNING_PREVIOUS_KEYS") or "",
            flags=re.S)),
        booking_days_ahead=_int(env, "BOOKING_DAYS_AHEAD", 7, low=1, high=90),
        booking_cutoff_minutes=_int(env, "BOOKING_CUTOFF_MINUTES", 120, low=0, high=7 * 24 * 60),
        booking_max_active=_int(env, "BOOKING_MAX_ACTIVE", 3, low=1, high=50),
        booking_no_show_grace_minutes=_int(env, "BOOKING_NO_SHOW_GRACE_MINUTES", 15, low=0, high=24 * 60),
        booking_no_show_limit=_int(env, "BOOKING_NO_SHOW_LIMIT", 3, low=1, high=100),
        booking_no_show_window_days=_int(env, "BOOKING_NO_SHOW_WINDOW_DAYS", 30, low=1, high=365),
        booking_suspension_days=_int(env, "BOOKING_SUSPENSION_DAYS", 7, low=0, high=365),
        booking_reminder_hour=_int(env, "BOOKING_REMINDER_HOUR", 18, low=0, high=23),
        booking_code_seconds=_int(env, "BOOKING_CODE_SECONDS", 120, low=10, high=3600),
        booking_job_interval_seconds=_int(env, "BOOKING_JOB_INTERVAL_SECONDS", 60, low=0, high=86400),
    )


def _addresses(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """Comma-separated IP addresses or networks (CIDR); "*" means any."""
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    values = tuple(part.strip() for part in raw.split(",") if part.strip())
    for value in values:
        if value == "*":
            continue
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise SettingsError(f"{name} must list IP addresses or networks (or *), got {value!r}") from None
    return values


def _choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = env.get(name) or default
    if value not in allowed:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _vapid_subject(value: str) -> str:
    # RFC 8292: a contact the push service can reach the sender at.
    if not value.startswith(("mailto:", "https://")):
        raise SettingsError("VAPID_SUBJECT must be a mailto: or https: URI")
    return value


@cache
def get_settings() -> Settings:
    """The process-wide settings, read from the environment exactly once."""
    return load_settings()
