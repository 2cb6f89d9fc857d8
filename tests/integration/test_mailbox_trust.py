"""The gateway's trust cases, through the mailbox: the same pipeline, the same trusted-relay rule.

Mail reaches the Dovecot mailbox as the provider delivers it: with the provider's own
``Authentication-Results`` on top (``testkit.flow.relayed``, the authserv-id of ``[inbound]``).
Everything else a sender writes into the message, other ids or the provider's id further down, is
the sender's word and counts for nothing. ``koers mail-fetch`` stores each message; the reply
processor judges it exactly as it judges the gateway's mail.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from messaging.verp import bounce_address
from schema.models import CaseRow
from schema.runtime_models import InboundMessage
from testkit.flow import RELAY_ID, fast_settings, relayed, wait_until
from testkit.imap_server import PASSWORD, ImapServer
from tests.conftest import PG_URL
from tests.integration.test_replies import BLOCK, answers, dsn_for, notification_of, reload, reply, state_of
from workers.bootstrap import App, bootstrap
from workers.demo.synthetic import FeedMix, generate_records, write_feed
from workers.feed_files import iter_feed
from workers.mail_fetch import FetchCounts, MailboxStore, MailFetcher
from workers.mailbox_settings import MailboxSettings
from workers.runner import start
from workers.services import Services, build_services, secret_key
from workers.wiring import intake_service

_users = count(1)


@pytest.fixture
def app(pg_sessions: sessionmaker[Session], tmp_path: Path) -> Iterator[App]:
    application = bootstrap(fast_settings(tmp_path, PG_URL))
    yield application
    application.dispose()


@pytest.fixture
def services(app: App) -> Services:
    return build_services(app)


@pytest.fixture
def case(app: App, services: Services, tmp_path: Path) -> CaseRow:
    feed = tmp_path / "feed.csv"
    write_feed(feed, generate_records(1, seed=21, today=date.today(), mix=FeedMix(0, 0, 0, 0)))
    (result,) = intake_service(app).ingest(iter_feed(feed), "feed").results
    services.workflow.start_case(result.case_id)
    with app.sessions() as session:
        return session.get(CaseRow, result.case_id)  # type: ignore[return-value]


@pytest.fixture
def user() -> str:
    return f"koers-trust-{next(_users)}"


@pytest.fixture
def mailbox(imap_server: ImapServer, user: str) -> MailboxSettings:
    return MailboxSettings(host="127.0.0.1", port=imap_server.port, user=user, ca_file=imap_server.ca_file,
                           password=PASSWORD, poll_interval=0.5)  # fmt: skip


def through_the_mailbox(app: App, services: Services, mailbox: MailboxSettings, imap_server: ImapServer,
                        raw: bytes) -> InboundMessage:  # fmt: skip
    """Deliver ``raw`` into the mailbox, let ``mail-fetch`` store it, and let the reply processor judge it."""
    imap_server.deliver(mailbox.user, raw)
    assert MailFetcher(mailbox, MailboxStore(app.sessions, app.clock)).fetch_once() == FetchCounts(stored=1)
    with app.sessions() as session:
        row = session.scalars(select(InboundMessage).order_by(InboundMessage.id.desc())).first()
    assert row is not None and row.source == "imap"
    services.replies.process(row.id)
    with app.sessions() as session:
        return session.get(InboundMessage, row.id)  # type: ignore[return-value]


def domain_of(app: App, case: CaseRow) -> str:
    return app.settings.municipalities[case.cbs_code].reply_from[0]


def test_a_reply_the_provider_authenticated_is_recorded_and_confirmed(
    app: App, services: Services, case: CaseRow, mailbox: MailboxSettings, imap_server: ImapServer
) -> None:
    row = through_the_mailbox(app, services, mailbox, imap_server, reply(app, case))

    assert row.state == "processed" and row.sender_verified
    assert reload(app, case).outcome_contact == "yes" and answers(app, case) == ["confirmation"]


def spoofed(app: App, case: CaseRow, forged: str, provider_dmarc: str | None) -> bytes:
    """A reply with a stolen token, ``From:`` the municipality, and the forger's own Authentication-Results."""
    domain = domain_of(app, case)
    body = BLOCK.replace("Groet, Anne", "Groet, A.")  # a message of its own (its own Message-ID)
    raw = reply(app, case, body=body, dmarc=None, headers={"Authentication-Results": forged.format(domain=domain)})
    return relayed(raw, domain, provider_dmarc) if provider_dmarc else raw


@pytest.mark.parametrize(("forged", "provider_dmarc"), [
    ("mx.evil.example; spf=pass; dkim=pass; dmarc=pass header.from={domain}", "fail"),
    ("mx.evil.example; spf=pass; dkim=pass; dmarc=pass header.from={domain}", None),
    (RELAY_ID + "; spf=pass; dkim=pass; dmarc=pass header.from={domain}", "fail"),
], ids=["other-id-over-providers-fail", "other-id-no-provider-result", "providers-id-forged-below"])  # fmt: skip
def test_a_spoofed_reply_is_quarantined_and_never_answered(
    app: App, services: Services, case: CaseRow, mailbox: MailboxSettings, imap_server: ImapServer,
    forged: str, provider_dmarc: str | None,
) -> None:  # fmt: skip
    row = through_the_mailbox(app, services, mailbox, imap_server, spoofed(app, case, forged, provider_dmarc))

    assert row.state == "quarantined" and not row.sender_verified
    assert reload(app, case).outcome_contact == "unknown" and answers(app, case) == []


def test_a_neighbouring_municipalitys_authenticated_mail_with_this_cases_token_is_quarantined(
    app: App, services: Services, case: CaseRow, mailbox: MailboxSettings, imap_server: ImapServer
) -> None:
    neighbour = "gm0014.example" if domain_of(app, case) != "gm0014.example" else "gm0080.example"
    raw = reply(app, case, sender=f"piet@{neighbour}")  # DMARC pass, by the provider, for the neighbour's domain

    row = through_the_mailbox(app, services, mailbox, imap_server, raw)

    assert row.state == "quarantined" and reload(app, case).outcome_contact == "unknown"
    assert answers(app, case) == []


def test_a_forged_delivery_report_to_the_sender_address_changes_nothing(
    app: App, services: Services, case: CaseRow, mailbox: MailboxSettings, imap_server: ImapServer
) -> None:
    notification = notification_of(app)

    row = through_the_mailbox(app, services, mailbox, imap_server,
                              dsn_for(notification, case, "zelfmelders@koers.example"))  # fmt: skip

    assert row.state == "ignored"
    assert state_of(app, notification.id) == notification.state and not reload(app, case).review_reason


def test_a_genuine_delivery_report_at_the_verp_address_marks_exactly_that_email_bounced(
    app: App, services: Services, case: CaseRow, mailbox: MailboxSettings, imap_server: ImapServer
) -> None:
    notification = notification_of(app)
    verp = bounce_address(secret_key(app.settings), notification.id, app.settings.reply_domain)

    row = through_the_mailbox(app, services, mailbox, imap_server, dsn_for(notification, case, verp))

    assert row.state == "bounce" and state_of(app, notification.id) == "bounced"
    assert reload(app, case).review_reason


def test_koers_run_with_a_mailbox_records_the_genuine_reply_and_quarantines_the_spoofed_one(
    app: App, case: CaseRow, mailbox: MailboxSettings, imap_server: ImapServer
) -> None:
    running = start(app, worker_threads=2, scheduler=True, mailbox=mailbox)  # as `koers run` with [mailbox]
    try:
        forged = "mx.evil.example; dmarc=pass header.from={domain}"
        imap_server.deliver(mailbox.user, spoofed(app, case, forged, "fail"))
        wait_until(lambda: quarantined(app) == 1, timeout=60)
        imap_server.deliver(mailbox.user, reply(app, case))
        wait_until(lambda: reload(app, case).outcome_contact == "yes", timeout=60)
    finally:
        running.stop()
    assert answers(app, case) == ["confirmation"] and quarantined(app) == 1


def quarantined(app: App) -> int:
    with app.sessions() as session:
        return len(list(session.scalars(select(InboundMessage.id).where(InboundMessage.state == "quarantined"))))
