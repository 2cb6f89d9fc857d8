"""Login throttling: a simple in-memory counter of recent failures per username and per address.

One console process keeps its own counts; that is enough to make password guessing slow. A
successful login clears the username's count.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class LoginThrottle:
    """Allows ``per_user`` failures per username and ``per_address`` per client within ``window`` seconds."""

    def __init__(self, per_user: int = 5, per_address: int = 20, window: float = 900.0,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self._limits = {"user": per_user, "address": per_address}
        self._window = window
        self._clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def is_blocked(self, username: str, address: str) -> bool:
        with self._lock:
            return any(self._count(key) >= self._limits[key[0]] for key in self._keys(username, address))

    def failed(self, username: str, address: str) -> None:
        with self._lock:
            for key in self._keys(username, address):
                self._failures.setdefault(key, deque()).append(self._clock())

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(("user", username.strip().lower()), None)

    @staticmethod
    def _keys(username: str, address: str) -> tuple[tuple[str, str], ...]:
        return ("user", username.strip().lower()), ("address", address)

    def _count(self, key: tuple[str, str]) -> int:
        times = self._failures.get(key)
        if not times:
            return 0
        horizon = self._clock() - self._window
        while times and times[0] < horizon:
            times.popleft()
        return len(times)
