"""``koers mail-fetch``: replies read from an IMAP mailbox into the same pipeline as the mail gateway.

For each message in the inbox, oldest first:

1. already stored (its key — inbox, UIDVALIDITY, UID — is in ``inbound_messages``): the fetcher
   died after storing it and before moving it; it is moved to the processed folder, not stored again;
2. larger than the gateway's limit (by the server's ``RFC822.SIZE``, before downloading), or
   unreadable (the server hands out no body for it, or drops the connection over it twice): moved to
   the quarantine folder, the reason logged (UID and size only), nothing stored;
3. otherwise stored with ``store_inbound`` (source ``imap``) and committed, and only then moved to
   the processed folder. A crash before the commit leaves it in the inbox, to be stored on the next
   run; a crash after it leaves it in the inbox with its key stored, which is case 1.

What a stored message means is decided by the reply processor, as for the gateway's mail: for
mail from the mailbox only the provider's ``Authentication-Results`` counts (trusted-relay, with the
provider's authserv-id in ``[inbound]``). Logs carry UIDs, ids and sizes: never an address, a subject
or a line of the message.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from schema import inbound_rows
from workers.inbound_store import store_inbound
from workers.mail_gateway import MAX_MESSAGE_BYTES
from workers.mailbox_client import BATCH, Mailbox, MailboxError, MessageBrokeConnectionError, Waiting
from workers.mailbox_settings import PASSWORD_VARIABLE, MailboxSettings
from workers.settings import ConfigError, Settings
from workflows.states import InboundSource

log = logging.getLogger(__name__)
RETRY_SECONDS = (1.0, 5.0, 15.0, 60.0)  # after a failure: wait, then connect again (the last one repeats)
BREAKS_BEFORE_QUARANTINE = 2  # a message over which the connection broke this often is not read again
Connect = Callable[[MailboxSettings], AbstractContextManager[Mailbox]]


@dataclass
class FetchCounts:
    """What one look at the inbox did."""

    stored: int = 0
    already_stored: int = 0  # stored by an earlier run that did not get to move it
    quarantined: int = 0

    def add(self, other: FetchCounts) -> None:
        self.stored += other.stored
        self.already_stored += other.already_stored
        self.quarantined += other.quarantined

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class MailboxStore:
    """Stores a mailbox message with its key, in one commit; knows which keys are stored."""

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self._sessions = sessions
        self._clock = clock

    def stored(self, keys: list[str]) -> dict[str, int]:
        """Which of these keys are stored already, with their messages' ids."""
        with self._sessions() as session:
            return inbound_rows.stored_from_mailbox(session, keys)

    def store(self, raw: bytes, key: str) -> int:
        """The new message's id; another fetcher's, when it stored the same message first."""
        try:
            with self._sessions.begin() as session:
                return store_inbound(session, raw, source=InboundSource.IMAP, envelope_from=None, envelope_to=[],
                                     now=self._clock(), mailbox_key=key)  # fmt: skip
        except IntegrityError:
            earlier = self.stored([key]).get(key)
            if earlier is None:
                raise
            return earlier


def configured_mailbox(settings: Settings) -> MailboxSettings | None:
    """``[mailbox]`` with its password, None without the section; a ConfigError when the password is missing."""
    if settings.mailbox is not None and not settings.mailbox.password:
        raise ConfigError(f"{PASSWORD_VARIABLE} is niet gezet (het wachtwoord van mailbox.user)")
    return settings.mailbox


class MailFetcher:
    """Moves every message of the inbox into Koers (see the module docstring), once or for as long as it runs."""

    def __init__(self, settings: MailboxSettings, store: MailboxStore, connect: Connect = Mailbox.open) -> None:
        self._settings = settings
        self._store = store
        self._connect = connect
        self._breaks: Counter[str] = Counter()  # per message key: how often reading it broke the connection

    def fetch_once(self) -> FetchCounts:
        """Connect, take everything that is in the inbox now, disconnect. Raises ``MailboxError``.

        A message that breaks the connection is tried again on a new one, and quarantined when it
        breaks that too, so that one damaged message never stops the mailbox.
        """
        total = FetchCounts()
        for _ in range(BREAKS_BEFORE_QUARANTINE):
            try:
                with self._connect(self._settings) as box:
                    total.add(self.drain(box))
                    return total
            except MessageBrokeConnectionError as exc:
                log.warning("mail-fetch: %s; connecting again", exc)
        with self._connect(self._settings) as box:
            total.add(self.drain(box))
        return total

    def drain(self, box: Mailbox) -> FetchCounts:
        """Take every message of the inbox; each one leaves it (or the call raises), so this ends.

        Per look at the inbox (up to ``BATCH`` messages): one query for the keys already stored, each
        new message stored in its own commit, then one ``MOVE`` per folder for all of them (a move
        costs the server an fsync: one per message would take most of the time). A crash before the
        moves leaves stored messages in the inbox, which the next look finds stored and only moves.
        """
        total = FetchCounts()
        while True:
            waiting = box.waiting()
            stored = self._store.stored([item.key for item in waiting])
            moves: dict[str, list[int]] = {self._settings.processed: [], self._settings.quarantine: []}
            for item in waiting:
                folder, counts = self._take(box, item, stored.get(item.key))
                moves[folder].append(item.uid)
                total.add(counts)
            for folder, uids in moves.items():
                if uids:
                    box.move(uids, folder)
            if len(waiting) < BATCH:
                return total

    def _take(self, box: Mailbox, item: Waiting, earlier: int | None) -> tuple[str, FetchCounts]:
        """Store ``item`` unless it is stored already or refused; the folder it goes to, and what was done."""
        if earlier is not None:
            log.info("mailbox uid %d was stored as inbound %d before; moving it now", item.uid, earlier)
            return self._settings.processed, FetchCounts(already_stored=1)
        raw = self._read(box, item)
        if raw is None or len(raw) > MAX_MESSAGE_BYTES:
            reason = "too large" if item.size > MAX_MESSAGE_BYTES or raw else "unreadable"
            log.warning("mailbox uid %d (%d bytes) quarantined before storing: %s", item.uid, item.size, reason)
            return self._settings.quarantine, FetchCounts(quarantined=1)
        inbound_id = self._store.store(raw, item.key)
        log.info("mailbox uid %d stored as inbound %d (%d bytes)", item.uid, inbound_id, len(raw))
        return self._settings.processed, FetchCounts(stored=1)

    def _read(self, box: Mailbox, item: Waiting) -> bytes | None:
        """The message, unless it is too large or broke the connection too often (then None: quarantine)."""
        if item.size > MAX_MESSAGE_BYTES or self._breaks[item.key] >= BREAKS_BEFORE_QUARANTINE:
            return None
        try:
            return box.read(item.uid)
        except MessageBrokeConnectionError:
            self._breaks[item.key] += 1
            raise

    def run(self, stop: threading.Event) -> None:
        """Until ``stop`` is set: take what is there, wait for more (IDLE or polling), reconnect after failures."""
        failures = 0
        while not stop.is_set():
            try:
                with self._connect(self._settings) as box:
                    how = "IDLE" if box.can_idle else f"polling every {self._settings.poll_interval:g} s"
                    log.info("mail-fetch reading %s%s (%s)", self._settings.location, self._settings.inbox, how)
                    while not stop.is_set():
                        self.drain(box)
                        failures = 0
                        box.wait_for_mail(stop)
            except (MailboxError, SQLAlchemyError) as exc:
                # Nothing is lost: a message leaves the inbox only after its commit.
                delay = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
                failures += 1
                what = str(exc) if isinstance(exc, MailboxError) else f"database: {type(exc).__name__}"
                log.warning("mail-fetch: %s; next attempt in %g s", what, delay)
                stop.wait(delay)

