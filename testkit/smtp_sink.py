"""``SmtpSink``: an SMTP server (aiosmtpd) in the test's or benchmark's own process.

It accepts everything, remembers what arrived, and can misbehave on request (temporary failures,
refused recipients, a stalled DATA, dropped connections), so ``SmtpMailer`` is tested against real
SMTP instead of mocks. ``message_ids()`` counts Message-IDs, which is how a test proves that each
email arrived exactly once. With ``store=False`` only the counts are kept, so memory stays flat
through a 10,000-message benchmark.

For a sink in a process of its own, see ``testkit.sink_process``.

The server runs on aiosmtpd's own thread and event loop; every public method is thread-safe.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from types import TracebackType
from typing import Any, Literal, NamedTuple

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

__all__ = ["ReceivedMessage", "SmtpSink"]

Stage = Literal["MAIL", "RCPT", "DATA"]
_HEADERS = BytesHeaderParser(policy=compat32)


class ReceivedMessage(NamedTuple):
    """One accepted message: the envelope and the raw bytes as the client sent them."""

    envelope_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes


@dataclass
class _Failure:
    stage: Stage
    reply: str
    remaining: int
    stall: float = 0.0


class SmtpSink:
    """An SMTP server on ``host:port`` (``port=0``: a free port) that records what it receives.

    Args:
        store: keep each message's bytes in ``messages``; ``False`` keeps only the counts.
        tls_context: offer STARTTLS with this server certificate.
        auth: ``(username, password)`` to offer and check AUTH (allowed without TLS, for tests).
    """

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, store: bool = True,
        tls_context: ssl.SSLContext | None = None, auth: tuple[str, str] | None = None,
    ) -> None:  # fmt: skip
        self.host = host
        self.store = store
        self._cond = threading.Condition()
        self._messages: list[ReceivedMessage] = []
        self._ids: Counter[str] = Counter()
        self._received = self._tls_received = self._connections = self._auth_attempts = 0
        self._failures: list[_Failure] = []
        self._rejected: dict[str, str] = {}
        self._servers: list[SMTP] = []
        self._auth = auth
        kwargs: dict[str, Any] = {"tls_context": tls_context, "auth_require_tls": False}
        if auth is not None:
            kwargs["authenticator"] = self._authenticate
        self._controller = _Controller(self, _Handler(self), hostname=host, port=port, **kwargs)

    def start(self) -> SmtpSink:
        """Start listening; returns ``self`` so that ``sink = SmtpSink().start()`` reads well."""
        self._controller.start()
        with self._cond:
            self._connections = 0  # aiosmtpd's own start-up probe is not a client
        return self

    def stop(self) -> None:
        """Stop the server and close every open connection."""
        self._controller.stop()

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return int(self._controller.port)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    @property
    def messages(self) -> list[ReceivedMessage]:
        """A copy of the received messages (empty with ``store=False``)."""
        with self._cond:
            return list(self._messages)

    @property
    def received(self) -> int:
        return self._received  # reading one int needs no lock

    @property
    def tls_received(self) -> int:
        """How many messages arrived over an encrypted connection."""
        return self._tls_received  # reading one int needs no lock

    @property
    def connections(self) -> int:
        """How many client connections were opened since ``start`` (reuse keeps this low)."""
        return self._connections  # reading one int needs no lock

    @property
    def auth_attempts(self) -> int:
        """How many AUTH commands reached the server (to prove credentials stayed home)."""
        return self._auth_attempts

    def message_ids(self) -> Counter[str]:
        """How often each Message-ID arrived; every count should be 1."""
        with self._cond:
            return Counter(self._ids)

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        """Block until ``count`` messages have arrived; ``TimeoutError`` (naming the count) if they don't."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._received >= count, timeout):
                raise TimeoutError(f"{self._received} van {count} berichten ontvangen binnen {timeout} s")

    def fail_next(
        self, n: int = 1, code: int = 451, text: str = "4.3.0 Tijdelijk niet beschikbaar", *, stage: Stage = "DATA"
    ) -> None:
        """Answer the next ``n`` transactions with ``code text`` at ``stage`` (nothing is stored)."""
        with self._cond:
            self._failures.append(_Failure(stage, f"{code} {text}", n))

    def reject_recipient(self, address: str, code: int = 550, text: str = "5.1.1 Onbekende ontvanger") -> None:
        """Refuse ``address`` at RCPT TO, every time, until ``reset_faults``."""
        with self._cond:
            self._rejected[address.lower()] = f"{code} {text}"

    def hang(self, seconds: float, times: int = 1) -> None:
        """Stall the next ``times`` DATA replies for ``seconds``, then answer 451 (nothing is stored)."""
        with self._cond:
            self._failures.append(_Failure("DATA", "451 4.4.2 Testserver bleef hangen", times, seconds))

    def reset_faults(self) -> None:
        """Forget every injected failure, hang and refused recipient."""
        with self._cond:
            self._failures.clear()
            self._rejected.clear()

    def drop_connections(self) -> None:
        """Close every open client connection from the server side, as a relay's idle time-out does."""
        with self._cond:
            servers, self._servers = self._servers, []
        for server in servers:
            if server.transport is not None:
                self._controller.loop.call_soon_threadsafe(server.transport.close)

    # called on the server's thread, from _Handler and _Controller

    def _connected(self, server: SMTP) -> None:
        with self._cond:
            self._connections += 1
            self._servers = [s for s in self._servers if s.transport is None or not s.transport.is_closing()]
            self._servers.append(server)

    def _take_failure(self, stage: Stage) -> _Failure | None:
        with self._cond:
            for failure in self._failures:
                if failure.stage == stage and failure.remaining > 0:
                    failure.remaining -= 1
                    return failure
        return None

    def _record(self, envelope: Envelope, data: bytes, is_tls: bool) -> int:
        message_id = _HEADERS.parsebytes(data).get("Message-ID")
        with self._cond:
            self._received += 1
            self._tls_received += is_tls
            self._ids[str(message_id).strip() if message_id else ""] += 1
            if self.store:
                self._messages.append(ReceivedMessage(envelope.mail_from or "", tuple(envelope.rcpt_tos), data))
            self._cond.notify_all()
            return self._received

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        with self._cond:
            self._auth_attempts += 1
        is_valid = isinstance(data, LoginPassword) and self._auth == (data.login.decode(), data.password.decode())
        return AuthResult(success=is_valid, handled=False)


class _Handler:
    """aiosmtpd's hooks, delegating to the sink's state."""

    def __init__(self, sink: SmtpSink) -> None:
        self._sink = sink

    async def handle_MAIL(  # aiosmtpd's hook names
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        failure = self._sink._take_failure("MAIL")
        if failure is not None:
            return failure.reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        refusal = self._sink._rejected.get(address.lower())
        if refusal is None and (failure := self._sink._take_failure("RCPT")) is not None:
            refusal = failure.reply
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        failure = self._sink._take_failure("DATA")
        if failure is not None:
            await asyncio.sleep(failure.stall)  # a hang: the client's time-out should fire first
            return failure.reply
        data = envelope.original_content or envelope.content or b""
        raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
        number = self._sink._record(envelope, raw, session.ssl is not None)
        return f"250 2.0.0 Ok: queued as SINK{number}"


class _Controller(Controller):
    """aiosmtpd's threaded controller, able to bind port 0 and to tell the sink about each connection."""

    def __init__(self, sink: SmtpSink, handler: _Handler, **kwargs: Any) -> None:
        super().__init__(handler, server_hostname="koers-sink", **kwargs)
        self._sink = sink

    def factory(self) -> SMTP:
        server = SMTP(self.handler, **self.SMTP_kwargs)
        self._sink._connected(server)
        return server

    def _create_server(self) -> Awaitable[asyncio.AbstractServer]:
        return self._bind()

    async def _bind(self) -> asyncio.AbstractServer:
        server = await self.loop.create_server(
            self._factory_invoker, host=self.hostname, port=self.port, ssl=self.ssl_context
        )
        self.port = server.sockets[0].getsockname()[1]  # the real port when 0 was asked for
        return server
