"""`collab serve --workers N`: each worker listens on its own socket, so connections opened while
one worker is still starting are not all taken by another; SIGTERM stops them all."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from contracts.localchain import free_port

ROOT = Path(__file__).resolve().parents[2]
CONNECTIONS = 32
SERVE = (
    "from api.kit.workers import serve; "
    "serve('tests.api.workers_app:app', workers=2, host='127.0.0.1', port={port}, "
    "log_level='warning')"
)


async def _pid(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> int:
    writer.write(b"GET /pid HTTP/1.1\r\nHost: test\r\n\r\n")
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if b"content-length" in line.lower()
    )
    return json.loads(await reader.readexactly(length))["pid"]


async def _burst(port: int) -> list[int]:
    """Open every connection at once (as a proxy or a pool of clients does), then ask on each
    which worker holds it."""
    opened = await asyncio.gather(
        *(asyncio.open_connection("127.0.0.1", port) for _ in range(CONNECTIONS))
    )
    pids = [await _pid(reader, writer) for reader, writer in opened]
    for _, writer in opened:
        writer.close()
    return pids


async def _one(port: int) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        return await _pid(reader, writer)
    finally:
        writer.close()


def test_connections_opened_while_a_worker_starts_wait_for_it(tmp_path) -> None:
    """With one shared socket, the worker that is up first accepts every connection opened
    meanwhile and keeps it (clients and proxies keep their connections): the other worker,
    once up, serves nobody."""
    port = free_port()
    env = {**os.environ, "WORKERS_TEST_FIRST": str(tmp_path / "first")}
    server = subprocess.Popen([sys.executable, "-c", SERVE.format(port=port)], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:  # the first worker answers; the second is still starting
            try:
                asyncio.run(_one(port))
                break
            except OSError:
                assert time.monotonic() < deadline, "no worker ever answered"
                time.sleep(0.1)
        pids = asyncio.run(_burst(port))
        assert len(set(pids)) == 2, pids
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=40) == 0
