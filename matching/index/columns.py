"""Storage primitives: bit sets over creators and exact money splits."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from matching.diversity import TIER_BOUNDS

_U64 = np.uint64
# Value credit is stored in 1/255 steps (uint8): a byte per cause and creator, not four.
CREDIT_UNIT = 1 / 255
_TIER_BOUNDS = TIER_BOUNDS.tolist()
_MAX_FOLLOWERS = 2**32 - 1
_INT64_MAX = 2**63 - 1
_HUGE = np.iinfo(np.int64).min  # residual sentinel: exact value lives in the side table


def _split_amount(amount: int) -> tuple[float, int]:
    hi = float(amount)
    return hi, amount - int(hi)


class _Bits:
    """Named bits over a (words, cap) uint64 matrix; words grow with the registry."""

    def __init__(self, cap: int, names: Iterable[str] = ()):
        self.names: dict[str, int] = {}
        self.arr = np.zeros((1, cap), dtype=_U64)
        for name in names:
            self.bit(name)

    def bit(self, name: str) -> int:
        b = self.names.get(name)
        if b is None:
            b = self.names[name] = len(self.names)
            words = b // 64 + 1
            if words > self.arr.shape[0]:
                extra = np.zeros((words - self.arr.shape[0], self.arr.shape[1]), dtype=_U64)
                self.arr = np.vstack([self.arr, extra])
        return b

    def grow(self, cap: int) -> None:
        new = np.zeros((self.arr.shape[0], cap), dtype=_U64)
        new[:, : self.arr.shape[1]] = self.arr
        self.arr = new

    def mask(self, names: Iterable[str], create: bool = False) -> np.ndarray:
        """Per-word query mask; unknown names are skipped unless ``create``."""
        bits = [self.bit(n) if create else self.names.get(n) for n in names]
        m = [0] * self.arr.shape[0]
        for b in bits:
            if b is not None:
                m[b // 64] |= 1 << (b % 64)
        return np.array(m, dtype=_U64)

    def set_row(self, row: int, names: Iterable[str]) -> None:
        bits = 0
        for name in names:
            bits |= 1 << self.bit(name)
        for w in range(self.arr.shape[0]):
            self.arr[w, row] = (bits >> (64 * w)) & 0xFFFFFFFFFFFFFFFF

    def row_names(self, row: int) -> list[str]:
        out = []
        for name, b in self.names.items():
            if int(self.arr[b // 64, row]) >> (b % 64) & 1:
                out.append(name)
        return out

    def intersects(self, qmask: np.ndarray, cols) -> np.ndarray:
        hit = None
        for w, m in enumerate(qmask):
            if m:
                part = (self.arr[w, cols] & m) != 0
                hit = part if hit is None else (hit | part)
        if hit is None:
            return np.zeros(self._len(cols), dtype=bool)
        return hit

    def count_common(self, qmask: np.ndarray, cols) -> np.ndarray:
        total = None
        for w, m in enumerate(qmask):
            if m:
                part = np.bitwise_count(self.arr[w, cols] & m)
                total = part if total is None else total + part
        if total is None:
            return np.zeros(self._len(cols), dtype=np.uint8)
        return total

    def _len(self, cols) -> int:
        return len(self.arr[0, cols])
