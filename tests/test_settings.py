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


def test_postgresql_scheme_is_normalised_and_password_never_printed() -> None:
    settings = load_settings({**PRODUCTION, "DATABASE_URL": "postgresql://app:hunter2@db:5432/zsb",
                              "REDIS_URL": "redis://:topsecret@cache:6379/0", "PII_INDEX_KEY": "s3cr3t-index"})
    assert settings.database_url == "postgres://app:hunter2@db:5432/zsb"
    assert settings.database_kind == "postgres"
    shown = repr(settings)
    assert "hunter2" not in shown and "topsecret" not in shown and "s3cr3t-index" not in shown
    assert "postgres://app:***@db:5432/zsb" in shown
