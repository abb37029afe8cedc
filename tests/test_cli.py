"""The command line: python -m backend ..."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from backend.settings import REPO_ROOT


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OIDC_", "PII_", "APP_", "DATABASE_", "REDIS_"))}
    return subprocess.run([sys.executable, "-m", "backend", *args], env={**clean, **env}, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=60)


def test_dev_token_prints_a_signed_token_for_a_persona(tmp_path: Path) -> None:
    result = run("dev-token", "citizen", env={"APP_ENV": "dev", "DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert token.count(".") == 2 and len(token) > 200


def test_dev_token_refuses_unknown_personas_and_non_dev(tmp_path: Path) -> None:
    unknown = run("dev-token", "mayor", env={"APP_ENV": "dev", "DATA_DIR": str(tmp_path)})
    assert unknown.returncode == 2
    assert "unknown persona 'mayor'" in unknown.stderr
    production = run("dev-token", "citizen", env={"APP_ENV": "test", "DATA_DIR": str(tmp_path)})
    assert production.returncode == 2
    assert "needs the development identity provider" in production.stderr


def test_bad_configuration_is_reported_without_a_traceback(tmp_path: Path) -> None:
    result = run("migrate", env={"APP_ENV": "production", "DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert result.stderr.startswith("configuration error: DATABASE_URL is required when APP_ENV=production")
    assert "Traceback" not in result.stderr
