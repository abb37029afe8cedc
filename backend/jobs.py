"""Periodic jobs run inside the app process: 电子监察 every SUPERVISION_INTERVAL_SECONDS.

`supervise` is safe on several instances at once (each flag is claimed by a conditional
update), so every instance may run it; 0 turns the loop off (tests call it directly).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from backend.bus import Bus
from backend.services.supervision import supervise
from backend.settings import Settings

log = logging.getLogger("backend.jobs")


async def _supervision_loop(settings: Settings, bus: Bus) -> None:
    while True:
        await asyncio.sleep(settings.supervision_interval_seconds)
        try:
            await supervise(warn_percent=settings.supervision_warn_percent, bus=bus)
        except asyncio.CancelledError:
            raise
        except Exception:  # one failed round must not end supervision: log and try next time
            log.exception("supervision round failed")


def start_periodic_jobs(settings: Settings, *, bus: Bus) -> list[asyncio.Task[None]]:
    if settings.supervision_interval_seconds <= 0:
        return []
    return [asyncio.create_task(_supervision_loop(settings, bus), name="supervision")]


async def stop_periodic_jobs(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
