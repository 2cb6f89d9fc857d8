"""Child processes that tests and benchmarks start: output in a file, ready at a log line, stopped by pid.

Whoever starts a process stops it (``stop``, or ``kill9`` for a crash on purpose); nothing here
looks for processes by name, so tests and benchmarks running side by side never touch each other's.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def die_with_parent() -> None:
    """In the child: SIGKILL when the parent dies, however it dies (Linux ``PR_SET_PDEATHSIG``)."""
    import ctypes

    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


@dataclass
class Proc:
    """A child process with its stdout and stderr in ``log``."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    fh: IO[bytes] = field(repr=False)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def is_alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for_line(self, needle: str, timeout: float = 60.0) -> None:
        """Block until ``needle`` is in the output; an exit or the deadline raises with the output's tail."""
        deadline = time.monotonic() + timeout
        while needle not in self.output():
            if not self.is_alive():
                raise RuntimeError(f"{self.name} exited ({self.popen.returncode}):\n{self.output()[-3000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name}: no {needle!r} within {timeout} s:\n{self.output()[-3000:]}")
            time.sleep(0.05)

    def kill9(self) -> None:
        if self.is_alive():
            os.kill(self.pid, signal.SIGKILL)
        self.popen.wait(30)
        self.fh.close()

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM, and SIGKILL when it has not exited within ``timeout`` seconds."""
        if self.is_alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(30)
        self.fh.close()


def spawn(name: str, argv: list[str], env: dict[str, str], log: Path, *, tied: bool = False) -> Proc:
    """Start ``argv`` in the repository root with its output in ``log``.

    ``tied``: a session of its own (a signal to the parent's group does not reach it) that is killed
    when the parent dies, as the fault suite needs for the processes it kills on purpose.
    """
    fh = log.open("wb")
    popen = subprocess.Popen(argv, cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=tied,
                             preexec_fn=die_with_parent if tied else None)  # fmt: skip
    return Proc(name, popen, log, fh)
