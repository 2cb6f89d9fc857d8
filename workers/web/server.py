"""Serving the console with uvicorn: in the foreground (``koers web``) or in a thread (``koers run``, tests).

Uvicorn's access log is off: request lines carry search terms and ids, and Koers' logs carry no
personal data.
"""

from __future__ import annotations

import ipaddress
import threading
import time

import uvicorn
from starlette.applications import Starlette

from workers.settings import Settings


def parse_listen(listen: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8080`` for IPv6) to a host and a port; raises ``ValueError``."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"verwacht HOST:POORT, niet {listen!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def is_loopback(listen: str) -> bool:
    """Whether ``listen`` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    host, _ = parse_listen(listen)
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: reachable from elsewhere, as far as Koers can tell


def secure_cookies_for(settings: Settings, listen: str, flag: bool | None = None) -> bool:
    """Secure cookies and HSTS: the command-line flag, else ``[web] secure_cookies``, else unless on loopback."""
    if flag is not None:
        return flag
    if settings.web.secure_cookies is not None:
        return settings.web.secure_cookies
    return not is_loopback(listen)


def server_config(web: Starlette, listen: str) -> uvicorn.Config:
    host, port = parse_listen(listen)
    return uvicorn.Config(web, host=host, port=port, access_log=False, log_level="warning", server_header=False,
                          proxy_headers=False)  # fmt: skip


class WebServer:
    """The console on a background thread; ``stop()`` shuts it down gracefully."""

    def __init__(self, web: Starlette, listen: str) -> None:
        self._server = uvicorn.Server(server_config(web, listen))
        self._thread = threading.Thread(target=self._server.run, name="koers-web", daemon=True)

    def start(self, timeout: float = 15.0) -> WebServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("de webconsole kon niet starten (is de poort al in gebruik?)")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
