"""Command line: python -m backend {serve,worker,migrate,seed,reencrypt-pii,export-schema,dev-token}."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from pathlib import Path

from backend.settings import REPO_ROOT, SettingsError, get_settings

log = logging.getLogger("backend")


def _serve(_args: argparse.Namespace) -> int:
    import uvicorn

    from backend.observability import configure_logging

    settings = get_settings()
    configure_logging(settings)
    if settings.is_dev and settings.host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("APP_ENV=dev is listening on %s; use APP_ENV=production for a public host", settings.host)
    uvicorn.run(
        "backend.app:create_app", factory=True, host=settings.host, port=settings.port,
        log_level=settings.log_level.lower(), server_header=False, log_config=None,
        # X-Forwarded-* are applied in the app, from TRUSTED_PROXIES only (backend/app.py).
        proxy_headers=False,
        ws_per_message_deflate=settings.ws_per_message_deflate,
        # SIGTERM: stop accepting, close websockets with 1012 (the PWA reconnects at once, to
        # another instance), give requests in flight this long to finish.
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )
    return 0


def _worker(_args: argparse.Namespace) -> int:
    """The push dispatcher, push jobs and 电子监察, outside the server (WORKER_MODE=external)."""
    import signal

    from backend.bus import create_bus
    from backend.keys import load_keys
    from backend.observability import configure_logging, serve_worker_metrics
    from notifications.worker import Worker

    settings = get_settings()
    configure_logging(settings)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        bus = create_bus(settings.redis_url)
        worker = Worker(settings=settings, keys=load_keys(settings), bus=bus)
        await worker.start()
        metrics_server = serve_worker_metrics(settings) if settings.worker_metrics_port else None
        gauges = asyncio.create_task(_refresh_gauges(stop), name="worker-metrics-refresh")
        log.info("worker running (broker: %s); Ctrl-C stops it", "redis" if settings.redis_url else "in-memory")
        try:
            await stop.wait()
        finally:
            await gauges  # it ends after its current round: a query cut off would hang the shutdown
            # Jobs in flight finish (bounded by the push timeout); the rest go back to the queue.
            await worker.stop(grace_seconds=settings.shutdown_grace_seconds)
            await bus.close()
            if metrics_server is not None:
                metrics_server.shutdown()

    asyncio.run(_with_orm(run))
    return 0


async def _refresh_gauges(stop: asyncio.Event, *, seconds: float = 15.0) -> None:
    from backend import metrics

    while not stop.is_set():
        await metrics.refresh({})
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await stop.wait()


async def _with_orm(coro_factory):  # type: ignore[no-untyped-def]
    from tortoise import Tortoise

    from backend.db import tortoise_config

    await Tortoise.init(config=tortoise_config(get_settings()))
    try:
        return await coro_factory()
    finally:
        await Tortoise.close_connections()


def _migrate(_args: argparse.Namespace) -> int:
    from backend.migrations_runner import apply_migrations

    asyncio.run(apply_migrations(get_settings()))
    print("migrations applied")
    return 0


def _seed(args: argparse.Namespace) -> int:
    from backend.seed import seed_demo_data

    report = asyncio.run(_with_orm(lambda: seed_demo_data(force=args.force)))
    state = "unchanged, skipped" if report.skipped else "written"
    print(f"demo data {state}: {report.departments} departments, {report.items} items, {report.halls} halls")
    return 0


def _reencrypt_pii(args: argparse.Namespace) -> int:
    """After a PII key rotation: seal every stored ID and phone number again under the current
    keys (PII_ENCRYPTION_KEY / PII_INDEX_KEY); the previous ones (PII_PREVIOUS_ENCRYPTION_KEYS)
    open what is still sealed under them until this has finished."""
    from backend.keys import load_keys, pii_vault
    from backend.services.identity.pii_rotation import reseal_all

    vault = pii_vault(load_keys(get_settings()))
    report = asyncio.run(_with_orm(lambda: reseal_all(vault=vault, batch=args.batch)))
    print(f"re-encrypted {report.resealed} of {report.rows} rows with personal data"
          + (f"; {report.changed_meanwhile} were rewritten meanwhile (already current)" if report.changed_meanwhile else ""))
    if not report.complete:
        print(f"{len(report.unreadable)} rows open with no configured key: {', '.join(report.unreadable[:20])}",
              file=sys.stderr)
        return 1
    print("every row is sealed under the current keys: PII_PREVIOUS_ENCRYPTION_KEYS may now be removed")
    return 0


def _export_schema(args: argparse.Namespace) -> int:
    from backend.schema import build_schema

    sdl = build_schema(get_settings()).as_str() + "\n"
    if args.check:
        current = Path(args.output).read_text(encoding="utf-8") if Path(args.output).exists() else ""
        if current != sdl:
            print(f"{args.output} is stale: run `python -m backend export-schema`", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0
    Path(args.output).write_text(sdl, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


def _dev_token(args: argparse.Namespace) -> int:
    from backend.auth.dev_idp import mint_access_token
    from backend.auth.identity import build_identity
    from backend.auth.personas import PERSONAS
    from backend.keys import load_keys

    settings = get_settings()
    if not settings.dev_idp_enabled:
        print("dev-token needs the development identity provider: APP_ENV=dev and no OIDC_ISSUER", file=sys.stderr)
        return 2
    if args.persona not in PERSONAS:
        print(f"unknown persona {args.persona!r}; choose from: {', '.join(PERSONAS)}", file=sys.stderr)
        return 2
    identity = build_identity(settings, load_keys(settings))
    print(mint_access_token(identity, persona=args.persona, audience=settings.oidc_audience, seconds=args.seconds))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend", description="掌上办 backend")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve the app (HOST/PORT)").set_defaults(run=_serve)
    commands.add_parser("worker", help="run push delivery and 电子监察 jobs").set_defaults(run=_worker)
    commands.add_parser("migrate", help="apply database migrations").set_defaults(run=_migrate)
    seed = commands.add_parser("seed", help="load demo data (idempotent)")
    seed.add_argument("--force", action="store_true", help="rewrite even if unchanged")
    seed.set_defaults(run=_seed)
    reencrypt = commands.add_parser("reencrypt-pii", help="re-seal personal data under the current PII keys")
    reencrypt.add_argument("--batch", type=int, default=500, help="rows per read")
    reencrypt.set_defaults(run=_reencrypt_pii)
    export = commands.add_parser("export-schema", help="write schema.graphql")
    export.add_argument("--output", default=str(REPO_ROOT / "schema.graphql"))
    export.add_argument("--check", action="store_true", help="fail if the file is stale")
    export.set_defaults(run=_export_schema)
    token = commands.add_parser("dev-token", help="print an access token for a demo persona (dev only)")
    token.add_argument("persona")
    token.add_argument("--seconds", type=int, default=3600)
    token.set_defaults(run=_dev_token)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        get_settings()
    except SettingsError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
