"""The deployment files are valid as written: docker/compose.yaml passes `docker compose config`
(the client validates without an engine) and docker/nginx.conf passes `nginx -t`; the limits and
headers in them agree with the app and the built PWA."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from backend.settings import Settings
from tests.prod_stack import NGINX_CONF, REPO, nginx_binary, nginx_test, render_nginx

COMPOSE = REPO / "docker" / "compose.yaml"
ENV_EXAMPLE = REPO / "docker" / "env.example"
STATIC = REPO / "frontend" / "static"


def _compose_command() -> list[str] | None:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def _copy_with_example_env(tmp_path: Path) -> Path:
    """docker/ as an operator has it after `cp docker/env.example docker/.env`."""
    folder = tmp_path / "docker"
    folder.mkdir()
    shutil.copy(COMPOSE, folder / "compose.yaml")
    shutil.copy(ENV_EXAMPLE, folder / ".env")
    return folder / "compose.yaml"


def test_compose_config_validates(tmp_path: Path) -> None:
    command = _compose_command()
    if command is None:
        pytest.skip("no docker compose client (docker compose or docker-compose) on this machine")
    compose = _copy_with_example_env(tmp_path)
    done = subprocess.run([*command, "-f", str(compose), "config"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    services = subprocess.run([*command, "-f", str(compose), "config", "--services"], capture_output=True,
                              text=True, timeout=60)
    assert sorted(services.stdout.split()) == ["app-a", "app-b", "db", "migrate", "nginx", "redis", "worker"]


def test_compose_shape_and_no_secret_in_the_repository() -> None:
    spec = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    services = spec["services"]
    for name in ("app-a", "app-b", "worker"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert services[name]["env_file"] == [".env"]
    assert services["app-a"]["command"][-1] == services["app-b"]["command"][-1] == "serve"
    assert services["worker"]["command"][-1] == "worker"
    # Push metrics live in the worker: it serves /metrics, with the apps' settings otherwise.
    worker_env = services["worker"]["environment"]
    assert int(worker_env["WORKER_METRICS_PORT"]) > 0
    assert {k: v for k, v in worker_env.items() if k != "WORKER_METRICS_PORT"} == services["app-a"]["environment"]
    assert services["migrate"]["command"][-1] == "migrate" and services["migrate"]["restart"] == "no"
    assert services["nginx"]["depends_on"] == {"app-a": {"condition": "service_healthy"},
                                               "app-b": {"condition": "service_healthy"}}
    # nginx's fixed address is the only proxy the apps believe.
    nginx_ip = services["nginx"]["networks"]["internal"]["ipv4_address"]
    assert services["app-a"]["environment"]["TRUSTED_PROXIES"] == nginx_ip
    # Secrets: the example has placeholders only, and the filled copy is ignored by git.
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, value = line.split("=", 1)
            if name.endswith(("_KEY", "_PASSWORD")):
                assert value == "change-me", name
    assert "/docker/.env" in (REPO / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert not re.search(r"BEGIN [A-Z ]*PRIVATE KEY|[A-Za-z0-9+/]{40,}={0,2}", COMPOSE.read_text(encoding="utf-8"))


def test_nginx_config_passes_nginx_t(tmp_path: Path) -> None:
    if nginx_binary() is None:
        pytest.skip("no nginx on this machine (apt-get install nginx-light)")
    STATIC.mkdir(parents=True, exist_ok=True)
    conf = render_nginx(workdir=tmp_path / "nginx", listen_port=18080, static_dir=STATIC,
                        upstreams=["127.0.0.1:18001", "127.0.0.1:18002"])
    done = nginx_test(conf)
    assert done.returncode == 0, done.stderr


def _location(name: str) -> str:
    text = NGINX_CONF.read_text(encoding="utf-8")
    match = re.search(r"location \^~ " + re.escape(name) + r" \{(.*?)\n        \}", text, flags=re.S)
    assert match, f"no `location ^~ {name}` in docker/nginx.conf"
    return match.group(1)


def test_upload_body_limit_is_upload_max_bytes() -> None:
    limit = re.search(r"client_max_body_size (\d+)m;", _location("/uploads"))
    assert limit
    assert int(limit.group(1)) * 1024 * 1024 == Settings().upload_max_bytes
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert int(compose["x-app"]["environment"]["UPLOAD_MAX_BYTES"]) == Settings().upload_max_bytes


def test_graphql_body_limit_is_graphql_max_request_bytes() -> None:
    block = _location("/graphql")
    limit = re.search(r"client_max_body_size (\d+)k;", block)
    assert limit
    assert int(limit.group(1)) * 1024 == Settings().graphql_max_request_bytes
    refusal = re.search(r"location @graphql_too_large \{.*?return 413 '(.*?)';", NGINX_CONF.read_text(encoding="utf-8"), flags=re.S)
    assert refusal
    body = json.loads(refusal.group(1))
    assert body["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
    assert str(Settings().graphql_max_request_bytes) in body["errors"][0]["message"]


def test_graphql_location_upgrades_websockets_with_long_timeouts() -> None:
    text = NGINX_CONF.read_text(encoding="utf-8")
    assert "proxy_set_header Upgrade $http_upgrade;" in text
    assert "proxy_set_header Connection $zsb_connection;" in text
    block = _location("/graphql")
    assert int(re.search(r"proxy_read_timeout (\d+)s;", block).group(1)) >= 300  # type: ignore[union-attr]
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Request-Id"):
        assert f"proxy_set_header {header} " in text


def _csp() -> dict[str, list[str]]:
    text = NGINX_CONF.read_text(encoding="utf-8")
    policy = re.search(r'add_header Content-Security-Policy "([^"]+)" always;', text)
    assert policy
    return {part.split()[0]: part.split()[1:] for part in policy.group(1).split(";") if part.strip()}


def test_the_csp_fits_the_built_pwa() -> None:
    index = STATIC / "index.html"
    if not index.exists():
        pytest.skip("the PWA is not built (make frontend)")
    csp = _csp()
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
    html = index.read_text(encoding="utf-8")
    # No inline script or style: every script has a same-origin src, no <style>, no style="".
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert re.search(r'\ssrc="/', tag), tag
    assert "<style" not in html and " style=" not in html
    bundles = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in (STATIC / "assets").glob("*.js"))
    bundles += (STATIC / "sw.js").read_text(encoding="utf-8")
    assert "eval(" not in bundles and "new Function(" not in bundles
    if "createObjectURL" in bundles:  # file previews
        assert "blob:" in csp["img-src"]
    # Vant's icon font is the inlined woff2 alone (vite.config.js drops its CDN fallback): no
    # stylesheet loads anything from another origin.
    for css in (STATIC / "assets").glob("*.css"):
        text = css.read_text(encoding="utf-8")
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", text), css.name
        for face in re.findall(r"@font-face\{[^}]*\}", text):
            assert re.search(r"src:\s*url\(data:font/woff2", face), face[:120]
    assert "data:" in csp["font-src"]
    # The service worker is same-origin; subscriptions connect to this host.
    assert csp["worker-src"] == ["'self'"] and "wss://$host" in csp["connect-src"]


def test_cache_and_permissions_policy_maps() -> None:
    text = NGINX_CONF.read_text(encoding="utf-8")
    assert '"~^/assets/" "public, max-age=31536000, immutable";' in text
    assert '"/index.html" "no-cache";' in text and '"/sw.js" "no-cache";' in text
    policy = re.search(r"map \$request_uri \$zsb_permissions_policy \{(.*?)\}", text, flags=re.S)
    assert policy
    rules = policy.group(1)
    assert rules.count("camera=(self)") == 1 and "default \"camera=()" in rules
    hsts = re.search(r"map \$scheme \$zsb_hsts \{(.*?)\}", text, flags=re.S)
    assert hsts and 'default "";' in hsts.group(1)
