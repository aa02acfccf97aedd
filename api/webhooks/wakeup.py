"""Wakes this process's webhook worker when a commit leaves deliveries due (others poll)."""

from __future__ import annotations

import threading

_due = threading.Event()


def notify() -> None:
    _due.set()


def wait(timeout: float) -> None:
    """Sleep until notified or `timeout` seconds pass; then clear the flag."""
    _due.wait(timeout)
    _due.clear()
