"""Per-client limits of the mail gateway: open connections and messages per minute, per IP address.

The gateway is the one door anyone on the internet can knock on; one host must not be able to
fill the database or hold every connection. ``ClientLimits`` counts, ``LimitedSMTP`` answers
``421`` to a connection over ``max_connections_per_ip`` (and closes it at once); the handler asks
``allow_message`` at ``MAIL FROM`` and answers ``451`` when the host sent ``max_messages_per_minute``
already. Both are temporary answers: a well-behaved server tries again later.

All counting happens on the gateway's one event-loop thread; the lock only guards against tests
or status code reading it from another thread.
"""

from __future__ import annotations

import asyncio
import ipaddress
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

TOO_MANY_CONNECTIONS = b"421 4.7.0 Te veel verbindingen vanaf dit adres; probeer het later opnieuw\r\n"
TOO_MANY_MESSAGES = "451 4.7.1 Te veel berichten vanaf dit adres; probeer het later opnieuw"
_WINDOW = 60.0


class ClientLimits:
    """Counts open connections and recent messages per client IP."""

    def __init__(self, max_connections: int, max_messages_per_minute: int,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.max_connections = max_connections
        self.max_messages = max_messages_per_minute
        self._clock = clock
        self._lock = threading.Lock()
        self._open: defaultdict[str, int] = defaultdict(int)
        self._sent: defaultdict[str, deque[float]] = defaultdict(deque)
        self.refused_connections = 0
        self.refused_messages = 0

    def open(self, ip: str) -> bool:
        """Register a new connection from ``ip``; False (and nothing registered) when over the limit."""
        with self._lock:
            if self._open[ip] >= self.max_connections:
                self.refused_connections += 1
                return False
            self._open[ip] += 1
            return True

    def close(self, ip: str) -> None:
        with self._lock:
            self._open[ip] -= 1
            if self._open[ip] <= 0:
                del self._open[ip]

    def allow_message(self, ip: str) -> bool:
        """Count one message from ``ip``; False when it sent the maximum in the last minute already."""
        now = self._clock()
        with self._lock:
            recent = self._sent[ip]
            while recent and recent[0] <= now - _WINDOW:
                recent.popleft()
            if len(recent) >= self.max_messages:
                self.refused_messages += 1
                return False
            recent.append(now)
            return True


def peer_ip(peer: Any) -> str:
    """The IP address of an asyncio ``peername`` (a tuple for TCP), or ``"unknown"``.

    An IPv4 client on a dual-stack socket (``::ffff:192.0.2.1``) is its IPv4 address: limits, relay networks
    and SPF must see one host as one address.
    """
    if not isinstance(peer, tuple) or not peer:
        return "unknown"
    try:
        address = ipaddress.ip_address(str(peer[0]).split("%")[0])
    except ValueError:
        return "unknown"
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return str(mapped or address)


class LimitedSMTP(SMTP):
    """aiosmtpd's SMTP server that refuses a connection over the per-IP limit with 421 before greeting."""

    def __init__(self, handler: Any, limits: ClientLimits, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._limits = limits
        self._counted: str | None = None
        self._refused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self.transport is None:  # a new connection; the second call is its STARTTLS upgrade
            ip = peer_ip(transport.get_extra_info("peername"))
            if not self._limits.open(ip):
                self._refused = True
                if isinstance(transport, asyncio.WriteTransport):
                    transport.write(TOO_MANY_CONNECTIONS)
                transport.close()
                return
            self._counted = ip
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        if self._counted is not None:
            self._limits.close(self._counted)
            self._counted = None
        if not self._refused:  # a refused connection never had a session to tear down
            super().connection_lost(error)

    def eof_received(self) -> bool | None:
        return None if self._refused else super().eof_received()


class GatewayController(Controller):
    """aiosmtpd's threaded controller, serving each connection with ``LimitedSMTP``."""

    def __init__(self, handler: Any, limits: ClientLimits, **kwargs: Any) -> None:
        self.limits = limits
        super().__init__(handler, **kwargs)

    def factory(self) -> SMTP:
        return LimitedSMTP(self.handler, self.limits, **self.SMTP_kwargs)
