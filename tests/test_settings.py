from __future__ import annotations

import pytest

from backend.settings import SettingsError, load_settings


def test_embedded_defaults() -> None:
    settings = load_settings({})
    assert settings.app_env == "dev"
    assert settings.database_kind == "sqlite"
    assert settings.database_url.endswith("data/zhangshangban.sqlite3")
    assert settings.redis_url is None
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)


PRODUCTION = {"APP_ENV": "production", "OIDC_ISSUER": "https://id.example.gov.cn", "PII_ENCRYPTION_KEY": "k",
              "PII_INDEX_KEY": "k", "APP_SIGNING_KEY": "k", "VAPID_PRIVATE_KEY": "k"}


def test_production_needs_a_database_url() -> None:
    with pytest.raises(SettingsError, match="DATABASE_URL is required when APP_ENV=production"):
        load_settings({**PRODUCTION})


def test_production_needs_an_identity_provider_and_secrets() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"APP_ENV": "production", "DATABASE_URL": "postgres://a@db/zsb"})
    assert str(caught.value) == (
        "OIDC_ISSUER, PII_ENCRYPTION_KEY, PII_INDEX_KEY, APP_SIGNING_KEY, VAPID_PRIVATE_KEY required when APP_ENV=production"
    )


def test_dev_identity_provider_only_in_dev_without_issuer() -> None:
    assert load_settings({}).dev_idp_enabled
    assert not load_settings({"OIDC_ISSUER": "https://id.example.gov.cn"}).dev_idp_enabled
    assert not load_settings({"APP_ENV": "test"}).dev_idp_enabled


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"APP_ENV": "staging"}, "APP_ENV must be one of dev, test, production, got 'staging'"),
        ({"PORT": "eighty"}, "PORT must be a whole number, got 'eighty'"),
        ({"PORT": "70000"}, "PORT must be between 1 and 65535, got 70000"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL must start with sqlite://, postgres:// or postgresql://"),
    ],
)
def test_bad_settings_say_what_is_wrong(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    assert str(caught.value) == message


def test_websocket_compression_is_off_unless_asked_for() -> None:
    assert load_settings({}).ws_per_message_deflate is False
    assert load_settings({"WS_DEFLATE": "on"}).ws_per_message_deflate is True
    with pytest.raises(SettingsError) as caught:
        load_settings({"WS_DEFLATE": "yes"})
    assert "WS_DEFLATE" in str(caught.value)


def test_postgresql_scheme_is_normalised_and_password_never_printed() -> None:
    settings = load_settings({**PRODUCTION, "DATABASE_URL": "postgresql://app:hunter2@db:5432/zsb",
                              "REDIS_URL": "redis://:topsecret@cache:6379/0", "PII_INDEX_KEY": "s3cr3t-index"})
    assert settings.database_url == "postgres://app:hunter2@db:5432/zsb"
    assert settings.database_kind == "postgres"
    shown = repr(settings)
    assert "hunter2" not in shown and "topsecret" not in shown and "s3cr3t-index" not in shown
    assert "postgres://app:***@db:5432/zsb" in shown


def test_hostile_input_guards_have_sane_defaults_and_can_be_turned_off() -> None:
    defaults = load_settings({})
    assert (defaults.upload_daily_files, defaults.upload_daily_bytes) == (300, 1024**3)
    assert (defaults.upload_unattached_hours, defaults.upload_cleanup_interval_seconds) == (24, 3600)
    assert (defaults.rate_limit_window_seconds, defaults.rate_limit_mutations_per_token,
            defaults.rate_limit_mutations_per_address) == (60, 600, 6000)
    assert (defaults.rate_limit_uploads_per_token, defaults.rate_limit_uploads_per_address) == (120, 1200)
    off = load_settings({"RATE_LIMIT_MUTATIONS_PER_TOKEN": "0", "UPLOAD_DAILY_FILES": "0",
                         "UPLOAD_CLEANUP_INTERVAL_SECONDS": "0", "RATE_LIMIT_WINDOW_SECONDS": "10"})
    assert (off.rate_limit_mutations_per_token, off.upload_daily_files, off.upload_cleanup_interval_seconds,
            off.rate_limit_window_seconds) == (0, 0, 0, 10)
    with pytest.raises(SettingsError, match="UPLOAD_UNATTACHED_HOURS must be between 1 and 8760, got 0"):
        load_settings({"UPLOAD_UNATTACHED_HOURS": "0"})
