"""Outbound mail through an SMTP relay: ``SmtpMailer`` (aiosmtplib), plus the ``Mailer`` port.

``Mailer.send`` is synchronous because dramatiq actors run in worker threads. ``SmtpMailer`` gives
every calling thread its own event loop and its own SMTP connection, kept open for the next message.
Without ``KOERS_SMTP_URL``, ``make_mailer`` returns the ``SpoolMailer`` (``messaging.smtp_spool``).
Errors and their classification live in ``messaging.smtp_errors``; all are re-exported here.

TLS: ``smtp://`` upgrades with STARTTLS whenever the server offers it (``?starttls=no`` turns that
off); ``smtps://`` is TLS from the first byte. With ``require_tls`` (globally, or per message through
``SendEnvelope`` for a municipality that demands it) an unencrypted connection is refused with
``TransientMailError``: it is a relay or configuration problem that an operator can fix, after which
the mail still goes out; it is never sent in clear text instead.

Envelope and signature: each email's own signed VERP address (``messaging.verp``) is its ``MAIL FROM``
(``SendEnvelope.sender``), so delivery reports come back to it. With a ``DkimSigner`` the message is
signed and exactly the signed bytes are sent. Credentials are sent only after that check. Certificates are
always verified (system CAs, ``?cafile=`` or ``tls_context``): an untrusted one is a transient error,
never a silent fall-back to plain text.

Invariants:

- At most one in-process retry, on a fresh connection, and only when a *reused* connection turns
  out dead (disconnect or 421) before DATA was sent. After DATA nothing is retried here: the
  server may already have accepted the message, and the caller's outbox decides.
- A partial acceptance (some recipients refused) is not an error, since resending would duplicate
  it; the returned reply text notes the refused codes.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import Any, Literal, Protocol

import aiosmtplib
from aiosmtplib.response import SMTPResponse
from aiosmtplib.typing import Default

from messaging.dkim_signing import DkimSigner
from messaging.smtp_errors import (
    AmbiguousDeliveryError,
    MailError,
    PermanentMailError,
    TransientMailError,
    classify_error,
    clean_reply,
    raise_classified,
)
from messaging.smtp_spool import SendEnvelope, SpoolMailer
from messaging.smtp_target import SmtpTarget

__all__ = [
    "AmbiguousDeliveryError",
    "MailError", "Mailer", "PermanentMailError", "SendEnvelope", "SmtpMailer", "SmtpTarget", "SpoolMailer",
    "TransientMailError", "classify_error", "make_mailer",
]  # fmt: skip

log = logging.getLogger(__name__)
_ADDRESS = re.compile(r'^[^@\s<>(),;:"\\]+@[^@\s<>(),;:"\\]+$')


class Mailer(Protocol):
    """The outbound-mail port: send one message; returns the server's acceptance reply or the spool path."""

    def send(self, message: EmailMessage, envelope: SendEnvelope | None = None) -> str: ...


class _Connection(aiosmtplib.SMTP):
    """aiosmtplib's client that remembers whether DATA went out, and the server's reply to it."""

    data_sent = False
    data_reply: SMTPResponse | None = None

    async def data(
        self, message: str | bytes, /, *, timeout: float | None | Literal[Default.token] = Default.token
    ) -> SMTPResponse:
        self.data_sent = True
        self.data_reply = await super().data(message, timeout=timeout)
        return self.data_reply


@dataclass
class _ThreadState:
    lock: threading.Lock
    loop: asyncio.AbstractEventLoop | None = None
    connection: _Connection | None = None


@dataclass(frozen=True)
class _Envelope:
    message: EmailMessage
    sender: str
    recipients: list[str]
    require_tls: bool = False


class SmtpMailer:
    """Sends through an SMTP relay; thread-safe, one event loop and one kept-open connection per thread.

    Args:
        url: ``smtp://`` (plain, STARTTLS when offered) or ``smtps://`` (implicit TLS); see ``SmtpTarget``.
        timeout: seconds per network step (connect, each reply), so a stalled server fails fast.
        require_tls: refuse to send (``TransientMailError``) unless the connection is encrypted.
        tls_context: certificate checks for TLS, e.g. trusting a test CA; default: the system's.
        bounce_address: the envelope sender when a message has none of its own; default the ``From`` address.
        signer: DKIM-signs every message.
    """

    def __init__(
        self, url: str, *, timeout: float = 30, require_tls: bool = False,
        tls_context: ssl.SSLContext | None = None, bounce_address: str | None = None, signer: DkimSigner | None = None,
    ) -> None:  # fmt: skip
        self.target = SmtpTarget.from_url(url, require_tls=require_tls)
        self._signer = signer
        self._timeout = timeout
        self._tls_context = tls_context
        self._bounce = bounce_address or self.target.bounce
        self._local = threading.local()
        self._states: list[_ThreadState] = []
        self._states_lock = threading.Lock()

    def send(self, message: EmailMessage, envelope: SendEnvelope | None = None) -> str:
        """Send ``message``; returns e.g. ``250 2.0.0 Ok: queued as ABC``, raises ``MailError``.

        Call it from a plain thread, never from a coroutine (there, use ``asyncio.to_thread``).
        """
        given = envelope or SendEnvelope()
        envelope_ = _envelope(message, given.sender or self._bounce, given.require_tls)
        state = self._state()
        with state.lock:
            if state.loop is None or state.loop.is_closed():
                state.loop = asyncio.new_event_loop()
                state.loop.set_exception_handler(_report_loop_error)
            try:
                return state.loop.run_until_complete(self._send(state, envelope_))
            except MailError:
                raise
            except BaseException:
                _abandon(state)  # interrupted mid-conversation (e.g. dramatiq's time limit): start afresh
                raise

    def close(self) -> None:
        """Close every thread's connection and loop; a later ``send`` simply reconnects."""
        with self._states_lock:
            states = list(self._states)
        for state in states:
            with state.lock:
                if state.loop is not None and not state.loop.is_closed():
                    state.loop.run_until_complete(_quit(state.connection))
                    state.loop.close()
                state.loop, state.connection = None, None

    def _state(self) -> _ThreadState:
        state: _ThreadState | None = getattr(self._local, "state", None)
        if state is None:
            state = self._local.state = _ThreadState(threading.Lock())
            with self._states_lock:
                self._states.append(state)
        return state

    async def _send(self, state: _ThreadState, envelope: _Envelope) -> str:
        is_reused = state.connection is not None and state.connection.is_connected
        try:
            return await self._transact(state, envelope)
        except Exception as exc:
            _raise_if_ambiguous(state.connection, exc)
            is_stale = is_reused and _is_stale_connection(exc, state.connection)
            _discard_if_broken(state, exc)
            if not is_stale:
                raise_classified(exc)
            log.info("SMTP-verbinding was verbroken voor DATA; opnieuw op een nieuwe verbinding")
        try:
            return await self._transact(state, envelope)
        except Exception as exc:
            _raise_if_ambiguous(state.connection, exc)
            _discard_if_broken(state, exc)
            raise_classified(exc)

    async def _transact(self, state: _ThreadState, envelope: _Envelope) -> str:
        if state.connection is None or not state.connection.is_connected:
            state.connection = await self._connect()
        conn = state.connection
        if envelope.require_tls and conn.get_transport_info("sslcontext") is None:
            raise TransientMailError("SMTP: TLS is vereist voor deze ontvanger, maar de verbinding is niet versleuteld")
        conn.data_sent, conn.data_reply = False, None
        if self._signer is not None:
            data = self._signer.sign(envelope.message)  # exactly the signed bytes go out
            refused, text = await conn.sendmail(envelope.sender, envelope.recipients, data)
        else:
            refused, text = await conn.send_message(
                envelope.message, sender=envelope.sender, recipients=envelope.recipients
            )
        reply = f"{conn.data_reply.code} {conn.data_reply.message}" if conn.data_reply else f"250 {text}"
        if refused:
            codes = ", ".join(str(r.code) for r in refused.values())
            log.warning("SMTP: geaccepteerd, %d van %d ontvangers geweigerd", len(refused), len(envelope.recipients))
            reply += f" (gedeeltelijk: {len(refused)} van {len(envelope.recipients)} ontvangers geweigerd: {codes})"
        return clean_reply(reply)

    async def _connect(self) -> _Connection:
        target = self.target
        conn = _Connection(
            hostname=target.hostname, port=target.port, timeout=self._timeout, use_tls=target.implicit_tls,
            start_tls=None if target.starttls and not target.implicit_tls else False,
            tls_context=self._tls_context, cert_bundle=target.cafile,
        )  # fmt: skip
        await conn.connect()  # no credentials yet: they must not cross a connection we would refuse
        try:
            if target.require_tls and conn.get_transport_info("sslcontext") is None:
                raise TransientMailError("SMTP: TLS is vereist, maar de server biedt geen STARTTLS aan")
            if target.username is not None:
                await conn.login(target.username, target.password or "")
        except BaseException:
            conn.close()
            raise
        return conn


def _envelope(message: EmailMessage, bounce: str | None, require_tls: bool) -> _Envelope:
    sender = bounce or parseaddr(str(message.get("From", "")))[1]
    if not _ADDRESS.match(sender):
        raise PermanentMailError("ongeldig of ontbrekend afzenderadres")
    values = [str(v) for name in ("To", "Cc", "Bcc") for v in message.get_all(name, [])]
    recipients = [address for _, address in getaddresses(values)]
    if not recipients:
        raise PermanentMailError("het bericht heeft geen ontvanger")
    for number, address in enumerate(recipients, start=1):
        if not _ADDRESS.match(address):
            raise PermanentMailError(f"ongeldig ontvangeradres (ontvanger {number} van {len(recipients)})")
    return _Envelope(message, sender, recipients, require_tls)


def _raise_if_ambiguous(conn: _Connection | None, exc: Exception) -> None:
    """DATA started and no reply came: the server may have the message; never send it again blindly."""
    if conn is not None and conn.data_sent and conn.data_reply is None and not isinstance(
        exc, aiosmtplib.SMTPResponseException
    ):
        conn.close()
        reason = f"SMTP: geen antwoord na DATA ({type(exc).__name__}); mogelijk afgeleverd"
        raise AmbiguousDeliveryError(reason) from exc


def _is_stale_connection(exc: Exception, conn: _Connection | None) -> bool:
    if conn is None or conn.data_sent:
        return False
    is_closing = isinstance(exc, aiosmtplib.SMTPResponseException) and exc.code == 421
    return is_closing or isinstance(exc, ConnectionError)  # SMTPServerDisconnected is a ConnectionError


def _discard_if_broken(state: _ThreadState, exc: Exception) -> None:
    """Keep the connection after a plain refusal (aiosmtplib sent RSET); drop it after anything else."""
    conn = state.connection
    is_refusal = isinstance(exc, aiosmtplib.SMTPResponseException | aiosmtplib.SMTPRecipientsRefused)
    if conn is not None and not (is_refusal and getattr(exc, "code", 0) != 421 and conn.is_connected):
        conn.close()
        state.connection = None


def _report_loop_error(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """asyncio's report of an error nobody handled, less aiosmtplib's unread "Connection lost".

    aiosmtplib puts that error on its reply future whenever a connection closes, also one that
    Koers closed itself after a failure, when nobody waits for a reply any more; asyncio would log
    it as "Future exception was never retrieved" (aiosmtplib issue #112).
    """
    if "future" in context and isinstance(context.get("exception"), aiosmtplib.SMTPServerDisconnected):
        return
    loop.default_exception_handler(context)


def _abandon(state: _ThreadState) -> None:
    if state.connection is not None:
        state.connection.close()
    loop, state.loop, state.connection = state.loop, None, None
    if loop is None or loop.is_closed():
        return
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    try:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    finally:
        loop.close()


async def _quit(conn: _Connection | None) -> None:
    if conn is None or not conn.is_connected:
        return
    try:
        await conn.quit(timeout=2)
    except (aiosmtplib.SMTPException, OSError):
        conn.close()


def make_mailer(smtp_url: str | None, spool_dir: Path, *, require_tls: bool = False,
                signer: DkimSigner | None = None) -> Mailer:  # fmt: skip
    """``SmtpMailer`` when ``KOERS_SMTP_URL`` is set, otherwise the local spool folder."""
    if smtp_url:
        return SmtpMailer(smtp_url, require_tls=require_tls, signer=signer)
    return SpoolMailer(spool_dir, signer=signer)
