"""`collab serve --workers N`: N API processes, each with a listening socket of its own.

Uvicorn's own workers share one listening socket, and a worker that wakes to a burst of new
connections accepts all of them: with clients that keep their connections (a proxy, the load
bench), one worker can end up with every connection while the others sit idle. Here each worker
binds the port itself with SO_REUSEPORT, and the kernel spreads new connections over the
workers' sockets. The parent makes every socket before it starts any worker, so a connection
made to a worker that is still starting (or starting again) waits in its socket's backlog rather
than go to one that is up already. It hands each worker its socket, starts again one that dies,
and stops them all on SIGINT or SIGTERM.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import sys
import time

log = logging.getLogger("collab.workers")

BACKLOG = 2048
CHECK_SECONDS = 0.5
STOP_SECONDS = 30.0
# A worker that dies sooner than this after its start failed to start: it would again.
START_SECONDS = 10.0


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket on (host, port) that other processes may bind too, the kernel sharing the
    incoming connections between them."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    return sock


def _worker(app: str, sock: socket.socket, log_level: str, app_dir: str) -> None:
    import uvicorn

    if app_dir:
        sys.path.insert(0, app_dir)
    config = uvicorn.Config(app, factory=True, log_level=log_level)
    uvicorn.Server(config).run(sockets=[sock])


def serve(
    app: str, *, workers: int, host: str, port: int, log_level: str, app_dir: str = ""
) -> None:
    """Run ``workers`` processes serving ``app`` (an import string of an app factory, found in
    ``app_dir`` too) on (host, port) until SIGINT or SIGTERM."""
    context = multiprocessing.get_context("spawn")
    stopping = False

    started: dict[int, float] = {}
    # Made here, before any worker, and kept: multiprocessing passes each to its worker.
    sockets = [listening_socket(host, port) for _ in range(workers)]

    def start(sock: socket.socket) -> multiprocessing.Process:
        process = context.Process(target=_worker, args=(app, sock, log_level, app_dir))
        process.start()
        started[process.pid] = time.monotonic()
        return process

    def stop(*_args) -> None:
        nonlocal stopping
        stopping = True

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    processes = [start(sock) for sock in sockets]
    try:
        while not stopping:
            time.sleep(CHECK_SECONDS)
            for i, process in enumerate(processes):
                if process.is_alive() or stopping:
                    continue
                if time.monotonic() - started[process.pid] < START_SECONDS:
                    raise SystemExit(f"API worker {process.pid} failed to start")
                log.warning(
                    "API worker %s exited (%s); starting another", process.pid, process.exitcode
                )
                processes[i] = start(sockets[i])
    finally:
        _stop_all(processes)
        for sock in sockets:
            sock.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stop_all(processes: list) -> None:
    for process in processes:
        if process.is_alive():
            process.terminate()  # SIGTERM: uvicorn finishes what it serves, then stops
    deadline = time.monotonic() + STOP_SECONDS
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
