"""A real webhook receiver on loopback: records every request, answers as a test scripts it."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str
    at: float = field(default_factory=time.time)  # arrival (the benchmark's clock)

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def payload(self) -> dict:
        return json.loads(self.body)

    def verify(self, secret: str) -> dict:
        """The payload, once the library has checked the signature (raises if it is wrong)."""
        return Webhook(secret).verify(self.body, self.headers)


@dataclass
class Receiver:
    """`answers`: status codes for the next requests (then 200). `hold`: while set, a request
    waits for `release` before answering (a delivery caught mid-flight)."""

    answers: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    hold: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go in two writes: without this, each answer waits for a
                # delayed ACK (40 ms) and the receiver, not the sender, sets the pace.
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
                length = int(self.headers.get("content-length", 0))
                body = self.rfile.read(length).decode()
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver.arrived:
                    receiver.received.append(Received(self.path, headers, body))
                    status = receiver.answers.pop(0) if receiver.answers else 200
                    receiver.arrived.notify_all()
                if receiver.hold.is_set():
                    receiver.release.wait(30)
                answer = b"ok" if status < 300 else b"server error " + b"x" * 2000
                self.send_response(status)
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"{len(self.received)} requests arrived, not {count}")
        return list(self.received)

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
