"""A loop the API runs beside its requests (the indexer, the webhook worker): one daemon thread
calling ``run_forever(stop, poll_seconds)`` until its event is set."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Loop:
    stop: threading.Event
    thread: threading.Thread

    def halt(self, timeout: float = 10) -> None:
        """Ask the loop to stop and wait for its current round (at most ``timeout`` seconds)."""
        self.stop.set()
        self.thread.join(timeout=timeout)


def start_loop(
    run_forever: Callable[[threading.Event, float], None], poll_seconds: float, name: str
) -> Loop:
    stop = threading.Event()
    thread = threading.Thread(target=run_forever, args=(stop, poll_seconds), name=name, daemon=True)
    thread.start()
    return Loop(stop, thread)
