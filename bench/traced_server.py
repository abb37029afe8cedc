"""`python -m backend serve` with tracemalloc on demand: SIGUSR2 starts tracing (from then on:
tracing the imports would make the start take minutes), SIGUSR1 writes a snapshot to
$TRACE_SNAPSHOT (then renames it to $TRACE_SNAPSHOT.done). Used by bench/ws_memory.py only."""

from __future__ import annotations

import os
import runpy
import signal
import sys
import tracemalloc
from pathlib import Path
from types import FrameType


def dump(_signum: int, _frame: FrameType | None) -> None:
    target = Path(os.environ["TRACE_SNAPSHOT"])
    tracemalloc.take_snapshot().dump(str(target))
    target.rename(target.with_name(target.name + ".done"))


def start(_signum: int, _frame: FrameType | None) -> None:
    tracemalloc.start(int(os.environ.get("TRACE_FRAMES", "30")))


if __name__ == "__main__":
    sys.path.insert(0, os.getcwd())  # the checkout being served (bench.ws_memory sets the cwd)
    signal.signal(signal.SIGUSR2, start)
    signal.signal(signal.SIGUSR1, dump)
    sys.argv = ["backend", "serve"]
    runpy.run_module("backend", run_name="__main__", alter_sys=True)
