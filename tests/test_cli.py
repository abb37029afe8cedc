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


def test_the_worker_runs_until_told_to_stop(tmp_path: Path) -> None:
    """`python -m backend worker` starts the push dispatcher and job receiver on the embedded
    database and stops cleanly on SIGTERM."""
    import signal
    import time

    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OIDC_", "PII_", "APP_", "DATABASE_", "REDIS_"))}
    env = {**clean, "APP_ENV": "dev", "DATA_DIR": str(tmp_path)}
    assert run("migrate", env={"APP_ENV": "dev", "DATA_DIR": str(tmp_path)}).returncode == 0
    process = subprocess.Popen([sys.executable, "-m", "backend", "worker"], env=env, cwd=REPO_ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        output = ""
        assert process.stdout is not None
        while "worker running" not in output and time.monotonic() < deadline:
            output += process.stdout.readline()
        assert "worker running (broker: in-memory)" in output, output
        process.send_signal(signal.SIGTERM)
        remaining, _ = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output + remaining
    assert "Traceback" not in output + remaining
    assert (tmp_path / "secrets" / "vapid.pem").exists()  # generated on first run, kept for the next
