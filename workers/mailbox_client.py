"""The IMAP side of mailbox mode (``imapclient``): list the inbox, read a message, move it, wait for mail.

Every message is addressed by UID within the inbox's UIDVALIDITY, never by sequence number, so
that a message arriving or leaving meanwhile cannot shift which one is moved. A message is read
with ``BODY.PEEK[]`` (reading marks nothing) and only after its size (``RFC822.SIZE``) was checked,
so an oversized message is never downloaded. Waiting uses IDLE where the server offers it and the
config allows it; IDLE is renewed every few minutes, as servers (Exchange Online too) drop an IDLE
that lasts longer than about half an hour. Every failure of the server or the connection leaves as
a ``MailboxError`` with one Dutch line for the operator.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from selectors import EVENT_READ, DefaultSelector

from imapclient import DELETED, IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from workers.mailbox_settings import PASSWORD_VARIABLE, MailboxSettings

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 30.0  # connect and each command; a hung server must not hang the fetcher
IDLE_RENEW_SECONDS = 300.0  # end and restart IDLE at least this often
BATCH = 200  # messages listed per look at the inbox


class MailboxError(Exception):
    """The mailbox could not be reached or refused something; ``str()`` is one Dutch line for the operator."""


class MessageBrokeConnectionError(MailboxError):
    """The connection broke while one message was read: a damaged message can do that on every try."""


@dataclass(frozen=True)
class Waiting:
    """A message in the inbox: its UID, its size as the server reports it, and its unique key."""

    uid: int
    size: int
    key: str


class Mailbox:
    """One logged-in IMAP connection with the inbox selected; use ``Mailbox.open`` as a context manager."""

    def __init__(self, client: IMAPClient, settings: MailboxSettings) -> None:
        self._client = client
        self._settings = settings
        self._uidvalidity = 0

    @classmethod
    @contextmanager
    def open(cls, settings: MailboxSettings) -> Iterator[Mailbox]:
        with _translated(settings, "verbinden"):
            client = IMAPClient(settings.host, port=settings.port, ssl=settings.tls, ssl_context=_tls_context(settings),
                                timeout=TIMEOUT_SECONDS)  # fmt: skip
        try:
            with _translated(settings, "inloggen"):
                client.login(settings.user, settings.password or "")
            box = cls(client, settings)
            box.ensure_folders()
            yield box
        finally:
            _quietly_logout(client)

    @property
    def can_idle(self) -> bool:
        return self._settings.idle and bool(self._client.has_capability("IDLE"))

    def ensure_folders(self) -> None:
        with _translated(self._settings, "mappen aanmaken"):
            for folder in (self._settings.processed, self._settings.quarantine):
                if not self._client.folder_exists(folder):
                    self._client.create_folder(folder)

    def waiting(self) -> list[Waiting]:
        """The oldest messages in the inbox (at most ``BATCH``), with their sizes."""
        with _translated(self._settings, "postvak lezen"):
            selected = self._client.select_folder(self._settings.inbox)
            self._uidvalidity = int(selected[b"UIDVALIDITY"])
            uids = sorted(int(u) for u in self._client.search(["NOT", "DELETED"]))[:BATCH]
            sizes = self._client.fetch(uids, ["RFC822.SIZE"]) if uids else {}
        return [Waiting(uid, int(sizes[uid][b"RFC822.SIZE"]), self._key(uid)) for uid in uids if uid in sizes]

    def read(self, uid: int) -> bytes | None:
        """The message as it lies on the server, or None when the server hands out no body for it.

        A server that answers NO or BAD for this one message makes it unreadable, so that it goes
        to quarantine instead of blocking the inbox on every run. A server that drops the connection
        over it (Dovecot does, for a damaged file) raises ``MessageBrokeConnectionError``: the fetcher
        counts that per message.
        """
        with _translated(self._settings, "bericht ophalen"):
            try:
                found = self._client.fetch([uid], ["BODY.PEEK[]"]).get(uid, {})
            except (IMAPClientAbortError, OSError) as exc:
                raise MessageBrokeConnectionError(f"postvak {self._settings.location}: de verbinding brak af bij "
                                                  f"het ophalen van bericht {uid}") from exc  # fmt: skip
            except IMAPClientError as exc:
                log.warning("mailbox uid %d: the server refused to hand it out (%s)", uid, type(exc).__name__)
                return None
        body = found.get(b"BODY[]")
        return bytes(body) if body else None

    def move(self, uids: list[int], folder: str) -> None:
        with _translated(self._settings, f"berichten verplaatsen naar {folder}"):
            if self._client.has_capability("MOVE"):
                self._client.move(uids, folder)
                return
            # RFC 6851's fallback: copy, flag, expunge only these UIDs where the server can.
            self._client.copy(uids, folder)
            self._client.add_flags(uids, [DELETED], silent=True)
            if self._client.has_capability("UIDPLUS"):
                self._client.uid_expunge(uids)
            else:
                self._client.expunge()

    def wait_for_mail(self, stop: threading.Event) -> None:
        """Return when new mail may be there: IDLE said so, or the wait ran out, or ``stop`` was set."""
        if not self.can_idle:
            stop.wait(self._settings.poll_interval)
            return
        with _translated(self._settings, "wachten op nieuwe post (IDLE)"):
            self._client.idle()
            try:
                self._idle_until_mail(stop)
            finally:
                self._client.idle_done()

    def _idle_until_mail(self, stop: threading.Event) -> None:
        deadline = time.monotonic() + IDLE_RENEW_SECONDS
        with DefaultSelector() as selector:
            selector.register(self._client.socket(), EVENT_READ)
            while not stop.is_set() and time.monotonic() < deadline:
                if not selector.select(1.0):
                    continue
                responses = self._client.idle_check(timeout=0)
                if not responses:  # readable without data: the server closed the connection
                    raise ConnectionError("IDLE connection closed by the server")
                if any(len(r) > 1 and r[1] == b"EXISTS" for r in responses):
                    return

    def _key(self, uid: int) -> str:
        """The message's IMAP URL (RFC 5092): unique while the folder keeps its UIDVALIDITY."""
        return f"{self._settings.location}{self._settings.inbox};UIDVALIDITY={self._uidvalidity}/;UID={uid}"[:300]


def _tls_context(settings: MailboxSettings) -> ssl.SSLContext | None:
    if not settings.tls:
        return None
    return ssl.create_default_context(cafile=str(settings.ca_file) if settings.ca_file else None)


@contextmanager
def _translated(settings: MailboxSettings, doing: str) -> Iterator[None]:
    """Library and socket errors become one Dutch line naming the mailbox, the step and what to check."""
    where = f"postvak {settings.location}"
    try:
        yield
    except LoginError as exc:
        raise MailboxError(f"{where}: inloggen geweigerd; controleer mailbox.user en {PASSWORD_VARIABLE}") from exc
    except ssl.SSLCertVerificationError as exc:
        raise MailboxError(f"{where}: TLS-certificaat niet vertrouwd ({exc.verify_message}); "
                           "controleer mailbox.host of zet mailbox.ca_file") from exc  # fmt: skip
    except (IMAPClientError, OSError) as exc:
        raise MailboxError(f"{where}: {doing} mislukt ({type(exc).__name__}); controleer mailbox.host, "
                           "mailbox.port en mailbox.tls, of probeer het later opnieuw") from exc  # fmt: skip


def _quietly_logout(client: IMAPClient) -> None:
    try:
        client.logout()
    except (IMAPClientError, OSError):
        log.debug("logout after an error failed; the connection is closed anyway")
