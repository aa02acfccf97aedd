"""A tiny app for the worker supervisor's tests: it says which process answered. The second
process to build it takes `SLOW_START_SECONDS` more (as a worker still loading its models)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from fastapi import FastAPI

SLOW_START_SECONDS = 3.0


def app() -> FastAPI:
    try:
        Path(os.environ["WORKERS_TEST_FIRST"]).mkdir()
    except FileExistsError:  # not the first worker
        time.sleep(SLOW_START_SECONDS)
    served = FastAPI()

    @served.get("/pid")
    def pid() -> dict:
        return {"pid": os.getpid()}

    return served
