"""A process that contends for a leader role and says so: ``python -m tests.api.leader_contender
DATABASE_URL ROLE`` prints ``leading <pid>`` when its loop starts, ``stepped down <pid>`` when it
stops, and exits on SIGTERM."""

from __future__ import annotations

import os
import signal
import sys
import threading

from api.core.db import make_engine
from api.kit.leader import as_leader


def main(database_url: str, role: str) -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def loop(term: threading.Event, _poll_seconds: float) -> None:
        print(f"leading {os.getpid()}", flush=True)
        term.wait()
        print(f"stepped down {os.getpid()}", flush=True)

    engine = make_engine(database_url)
    as_leader(loop, engine=engine, role=role, retry_seconds=0.2)(stop, 0.1)
    engine.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:3])
