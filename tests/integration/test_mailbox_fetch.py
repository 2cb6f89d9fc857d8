"""Mailbox mode against a real IMAP server (Dovecot): stored first, moved after; nothing lost, nothing twice.

Each test gets an empty mailbox of its own on the session's Dovecot (TLS, IDLE, MOVE) and the
PostgreSQL test database. Crashes are injected where they hurt: a failure inside the storing
transaction (before its commit) and a failure of the move right after the commit.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from schema.runtime_models import InboundMessage, OutboxMessage
from testkit.flow import fast_settings, wait_until
from testkit.imap_server import PASSWORD, ImapServer
from tests.conftest import PG_URL
from workers.bootstrap import App, bootstrap
from workers.inbound_store import store_inbound
from workers.mail_fetch import FetchCounts, MailboxStore, MailFetcher
from workers.mail_gateway import MAX_MESSAGE_BYTES
from workers.mailbox_client import Mailbox, MailboxError
from workers.mailbox_settings import MailboxSettings
from workflows.states import InboundSource

PROCESSED, QUARANTINE = "Koers-verwerkt", "Koers-quarantaine"
_users = count(1)


def message(n: int, *, subject: str = "RE: [ZM-000001] Zelfmelder", body: str = "Contact: ja\r\n") -> bytes:
    return (f"From: Anne de Vries <anne@gm0014.example>\r\nTo: zelfmelders@gm0014.example\r\nSubject: {subject}\r\n"
            f"Message-ID: <mailbox-{n}@gm0014.example>\r\nDate: Fri, 4 Dec 2026 10:00:00 +0100\r\n"
            f"\r\n{body}").encode()  # fmt: skip


@pytest.fixture
def app(pg_sessions: sessionmaker[Session], tmp_path: Path) -> Iterator[App]:
    application = bootstrap(fast_settings(tmp_path, PG_URL))
    yield application
    application.dispose()


@pytest.fixture
def user() -> str:
    return f"koers-fetch-{next(_users)}"


@pytest.fixture
def mailbox(imap_server: ImapServer, user: str) -> MailboxSettings:
    return MailboxSettings(host="127.0.0.1", port=imap_server.port, user=user, ca_file=imap_server.ca_file,
                           password=PASSWORD, poll_interval=3600.0)  # fmt: skip


def fetcher(app: App, mailbox: MailboxSettings, store: MailboxStore | None = None, **kwargs: object) -> MailFetcher:
    return MailFetcher(mailbox, store or MailboxStore(app.sessions, app.clock), **kwargs)  # type: ignore[arg-type]


def stored(app: App) -> list[InboundMessage]:
    with app.sessions() as session:
        return list(session.scalars(select(InboundMessage).order_by(InboundMessage.id)))


def test_each_message_is_stored_through_the_gateways_pipeline_then_moved_to_processed(
    app: App, mailbox: MailboxSettings, imap_server: ImapServer, user: str
) -> None:
    raws = [message(1), message(2)]
    for raw in raws:
        imap_server.deliver(user, raw)

    counts = fetcher(app, mailbox).fetch_once()

    assert counts == FetchCounts(stored=2)
    rows = stored(app)
    assert [r.raw for r in rows] == raws and {r.source for r in rows} == {InboundSource.IMAP.value}
    assert {r.state for r in rows} == {"received"} and all(r.mailbox_key for r in rows)
    with app.sessions() as session:  # the same nudge as the gateway's: the reply processor reads each one
        nudges = session.scalar(select(func.count()).select_from(OutboxMessage))
    assert nudges == 2
    assert imap_server.uids(user, "INBOX") == [] and len(imap_server.uids(user, PROCESSED)) == 2
    assert fetcher(app, mailbox).fetch_once() == FetchCounts()


class FailingBeforeCommit(MailboxStore):
    """Stores the message inside the transaction, then dies before the commit (as a killed process would)."""

    def store(self, raw: bytes, key: str) -> int:
        with self._sessions.begin() as session:
            store_inbound(session, raw, source=InboundSource.IMAP, envelope_from=None, envelope_to=[],
                          now=self._clock(), mailbox_key=key)  # fmt: skip
            session.flush()
            raise RuntimeError("crash between fetching and committing")


def test_a_crash_before_the_commit_loses_nothing_and_the_next_run_stores_it(
    app: App, mailbox: MailboxSettings, imap_server: ImapServer, user: str
) -> None:
    imap_server.deliver(user, message(1))

    with pytest.raises(RuntimeError):
        fetcher(app, mailbox, FailingBeforeCommit(app.sessions, app.clock)).fetch_once()

    assert stored(app) == [] and len(imap_server.uids(user, "INBOX")) == 1  # not moved before its commit
    assert fetcher(app, mailbox).fetch_once() == FetchCounts(stored=1)
    assert len(stored(app)) == 1 and imap_server.uids(user, "INBOX") == []


class MoveDiesOnce:
    """A mailbox whose first move fails, as when the fetcher dies right after its commit."""

    def __init__(self) -> None:
        self.failed = False

    @contextmanager
    def __call__(self, settings: MailboxSettings) -> Iterator[Mailbox]:
        with Mailbox.open(settings) as box:
            real_move = box.move

            def move(uids: list[int], folder: str) -> None:
                if not self.failed:
                    self.failed = True
                    raise MailboxError("verbinding verbroken na het opslaan")
                real_move(uids, folder)

            box.move = move  # type: ignore[method-assign]
            yield box


def test_a_crash_after_storing_and_before_moving_reads_nothing_twice(
    app: App, mailbox: MailboxSettings, imap_server: ImapServer, user: str
) -> None:
    imap_server.deliver(user, message(1))
    connect: MoveDiesOnce = MoveDiesOnce()

    with pytest.raises(MailboxError):
        fetcher(app, mailbox, connect=connect).fetch_once()
    assert len(stored(app)) == 1 and len(imap_server.uids(user, "INBOX")) == 1

    assert fetcher(app, mailbox).fetch_once() == FetchCounts(already_stored=1)
    assert len(stored(app)) == 1  # the same message, not a second copy
    assert imap_server.uids(user, "INBOX") == [] and len(imap_server.uids(user, PROCESSED)) == 1


def test_two_fetchers_on_one_mailbox_store_a_message_once(
    app: App, mailbox: MailboxSettings, imap_server: ImapServer, user: str
) -> None:
    imap_server.deliver(user, message(1))
    with imap_server.client(user) as client:
        client.select_folder("INBOX")
        (uid,) = client.search(["ALL"])
        validity = client.folder_status("INBOX", [b"UIDVALIDITY"])[b"UIDVALIDITY"]
    key = f"{mailbox.location}INBOX;UIDVALIDITY={validity}/;UID={uid}"
    store = MailboxStore(app.sessions, app.clock)

    first, second = store.store(message(1), key), store.store(message(1), key)  # the unique key, not luck

    assert first == second and len(stored(app)) == 1


def test_an_oversized_message_goes_to_quarantine_without_being_downloaded_or_stored(
    app: App, mailbox: MailboxSettings, imap_server: ImapServer, user: str, caplog: pytest.LogCaptureFixture
) -> None:
    big = message(1, subject="Groot bestand", body="x" * 76 + "\r\n")
    big += ("y" * 998 + "\r\n").encode() * (MAX_MESSAGE_BYTES // 1000 + 100)
    imap_server.deliver(user, big)
    imap_server.deliver(user, message(2))

    with caplog.at_level(logging.INFO):
        counts = fetcher(app, mailbox).fetch_once()

    sent = wait_until(lambda: bytes_sent(imap_server, user, sessions=3))  # two deliveries and the fetcher
    assert max(sent) < MAX_MESSAGE_BYTES // 10  # no session was sent the large body
    assert counts == FetchCounts(stored=1, quarantined=1)
    assert [r.raw for r in stored(app)] == [message(2)]
    assert len(imap_server.uids(user, QUARANTINE)) == 1 and imap_server.uids(user, "INBOX") == []
    assert "quarantined before storing: too large" in caplog.text and "Groot bestand" not in caplog.text


def test_a_damaged_message_the_server_cannot_hand_out_goes_to_quarantine_and_does_not_block_the_rest(
    app: App, mailbox: MailboxSettings, imap_server: ImapServer, user: str
) -> None:
    imap_server.deliver(user, message(1))
    imap_server.damage_only_message(user)
    imap_server.deliver(user, message(2))

    counts = fetcher(app, mailbox).fetch_once()

    assert counts == FetchCounts(stored=1, quarantined=1)
    assert [r.raw for r in stored(app)] == [message(2)]
    assert len(imap_server.uids(user, QUARANTINE)) == 1 and imap_server.uids(user, "INBOX") == []


def test_a_server_whose_certificate_is_not_trusted_is_refused_before_logging_in(
    app: App, mailbox: MailboxSettings, imap_server: ImapServer, user: str
) -> None:
    imap_server.deliver(user, message(1))
    untrusting = replace(mailbox, ca_file=None)  # as a client anywhere sees a server that is not who it says
    before = len(imap_server.log())

    with pytest.raises(MailboxError, match="TLS-certificaat niet vertrouwd"):
        fetcher(app, untrusting).fetch_once()

    during = wait_until(lambda: log_since(imap_server, before, "unknown ca"))
    assert f"user=<{user}>" not in during  # the TLS handshake failed: the password was never sent
    assert stored(app) == [] and len(imap_server.uids(user, "INBOX")) == 1


def test_a_wrong_password_is_one_dutch_line_without_the_password(app: App, mailbox: MailboxSettings) -> None:
    with pytest.raises(MailboxError) as failure:
        fetcher(app, replace(mailbox, password="niet-het-wachtwoord")).fetch_once()

    assert "inloggen geweigerd" in str(failure.value) and "KOERS_IMAP_PASSWORD" in str(failure.value)
    assert "niet-het-wachtwoord" not in str(failure.value) and "\n" not in str(failure.value)


def bytes_sent(server: ImapServer, user: str, sessions: int) -> list[int]:
    """What Dovecot sent in each of the user's sessions, once that many have ended (its log, ``out=``)."""
    found = [int(n) for n in re.findall(rf"imap\({user}\).*Logged out in=\d+ out=(\d+) ", server.log())]
    return found if len(found) >= sessions else []


def log_since(server: ImapServer, start: int, needle: str) -> str:
    text = server.log()[start:]
    return text if needle in text else ""


def running(fetch: MailFetcher) -> AbstractContextManager[threading.Event]:
    @contextmanager
    def run() -> Iterator[threading.Event]:
        stop = threading.Event()
        thread = threading.Thread(target=fetch.run, args=(stop,), daemon=True)
        thread.start()
        try:
            yield stop
        finally:
            stop.set()
            thread.join(10)
            assert not thread.is_alive()

    return run()


def test_idle_wakes_the_fetcher_when_a_message_arrives(
    app: App, mailbox: MailboxSettings, imap_server: ImapServer, user: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO), running(fetcher(app, mailbox)):  # polling would wait an hour
        wait_until(lambda: "(IDLE)" in caplog.text, timeout=10)
        imap_server.deliver(user, message(1))
        wait_until(lambda: len(stored(app)) == 1, timeout=15)
        imap_server.deliver(user, message(2))
        wait_until(lambda: len(stored(app)) == 2, timeout=15)
    assert imap_server.uids(user, "INBOX") == []


def test_polling_reads_new_mail_when_idle_is_off(
    app: App, mailbox: MailboxSettings, imap_server: ImapServer, user: str, caplog: pytest.LogCaptureFixture
) -> None:
    polling = replace(mailbox, idle=False, poll_interval=0.5)
    with caplog.at_level(logging.INFO), running(fetcher(app, polling)):
        wait_until(lambda: "polling every 0.5 s" in caplog.text, timeout=10)
        imap_server.deliver(user, message(1))
        wait_until(lambda: len(stored(app)) == 1, timeout=15)
    assert imap_server.uids(user, "INBOX") == [] and "(IDLE)" not in caplog.text


def test_the_fetcher_keeps_trying_while_the_mailbox_is_unreachable_and_logs_no_secret(
    app: App, mailbox: MailboxSettings, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = replace(mailbox, password="geheim-dat-niet-in-de-log-mag")
    with caplog.at_level(logging.INFO), running(fetcher(app, wrong)):
        wait_until(lambda: caplog.text.count("inloggen geweigerd") >= 2, timeout=15)
    assert "geheim-dat-niet-in-de-log-mag" not in caplog.text
