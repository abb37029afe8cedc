"""The production shape on loopback: docker/nginx.conf rendered for this machine (ports, paths,
user), checked with `nginx -t` and run in the foreground. Shared by tests/test_deploy_config.py
and tests/test_prod_smoke.py (`make prod-smoke`)."""

from __future__ import annotations

import getpass
import re
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NGINX_CONF = REPO / "docker" / "nginx.conf"
BROTLI_MODULE = Path("/usr/lib/nginx/modules/ngx_http_brotli_filter_module.so")


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


def render_nginx(*, workdir: Path, listen_port: int, static_dir: Path, upstreams: list[str],
                 text: str | None = None) -> Path:
    """A copy of docker/nginx.conf for loopback: only the lines marked `# rendered` change (and the
    Brotli lines go when this machine's nginx has no Brotli module). Returns the file's path."""
    text = NGINX_CONF.read_text(encoding="utf-8") if text is None else text
    workdir.mkdir(parents=True, exist_ok=True)
    replacements = {
        "user www-data;": f"user {getpass.getuser()};",
        "worker_processes auto;": "worker_processes 1;",  # round-robin order is then predictable
        "pid /run/nginx.pid;": f"pid {workdir / 'nginx.pid'};",
        "client_body_temp_path /var/lib/nginx/body;": f"client_body_temp_path {workdir / 'body'};",
        "proxy_temp_path /var/lib/nginx/proxy;": f"proxy_temp_path {workdir / 'proxy'};",
        "listen 80;": f"listen 127.0.0.1:{listen_port};",
        "root /srv/zhangshangban/static;": f"root {static_dir};",
    }
    for old, new in replacements.items():
        if old not in text:
            raise AssertionError(f"docker/nginx.conf no longer has {old!r} (tests/prod_stack.py renders it)")
        text = text.replace(old, new)
    servers = re.findall(r"^\s*server app-[ab]:8000 .*# rendered$", text, flags=re.M)
    if len(servers) != 2:
        raise AssertionError("docker/nginx.conf should list the two app instances app-a and app-b")
    lines = [line for line in text.splitlines() if not re.match(r"^\s*server app-[ab]:8000", line)]
    at = next(i for i, line in enumerate(lines) if line.strip() == "upstream zsb_app {") + 1
    for address in reversed(upstreams):
        lines.insert(at, f"        server {address} max_fails=1 fail_timeout=10s;")
    if not BROTLI_MODULE.exists():
        lines = [line for line in lines if not line.rstrip().endswith("# brotli")]
    path = workdir / "nginx.conf"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def nginx_test(conf: Path) -> subprocess.CompletedProcess[str]:
    binary = nginx_binary()
    assert binary is not None
    return subprocess.run([binary, "-t", "-q", "-c", str(conf), "-p", f"{conf.parent}/", "-e", "stderr"],
                          capture_output=True, text=True, timeout=30)


def start_nginx(conf: Path, log_path: Path) -> subprocess.Popen[bytes]:
    binary = nginx_binary()
    assert binary is not None
    log = log_path.open("ab")
    try:
        return subprocess.Popen([binary, "-c", str(conf), "-p", f"{conf.parent}/", "-e", "stderr",
                                 "-g", "daemon off;"], stdout=log, stderr=subprocess.STDOUT)
    finally:
        log.close()
