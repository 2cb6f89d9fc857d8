"""Replies from municipal staff: recorded only when trusted and readable; everything else visible."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest
from sqlalchemy import select

from messaging.tokens import reply_address
from messaging.verp import bounce_address
from schema import migrate
from schema.models import CaseRow
from schema.reference_sync import sync_reference_data
from schema.runtime_models import InboundMessage, OutboundEmail
from testkit.flow import fast_settings, relayed, wait_until
from testkit.processes import free_port
from workers.bootstrap import App, bootstrap
from workers.demo.synthetic import FeedMix, generate_records, write_feed
from workers.feed_files import iter_feed
from workers.inbound_store import store_inbound
from workers.runner import Running, start
from workers.services import Services, build_services, secret_key
from workers.wiring import intake_service

BLOCK = """Hallo,

Contact: ja
Vorm van contact: reactie op brief
Acties uitgezet: ja
Leefgebieden: huisvesting, schulden
Al bekend bij hulpverlening: nee
Toelichting: afspraak gemaakt

Groet, Anne
"""


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    application = bootstrap(fast_settings(tmp_path, f"sqlite:///{tmp_path / 'koers.db'}"))
    migrate.upgrade(application.engine)
    with application.sessions.begin() as session:
        sync_reference_data(session)
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


def reply(app: App, case: CaseRow, *, body: str = BLOCK, sender: str | None = None, to: str | None = None,
          headers: dict[str, str] | None = None, dmarc: str | None = "pass") -> bytes:  # fmt: skip
    """A reply as the organisation's relay hands it on (its Authentication-Results on top, ``dmarc=None``: none)."""
    domain = app.settings.municipalities[case.cbs_code].reply_from[0]
    message = EmailMessage()
    message["From"] = sender or f"Anne de Vries <anne@{domain}>"
    message["To"] = to or reply_address(secret_key(app.settings), case.id, case.cbs_code, app.settings.reply_domain)
    message["Subject"] = f"RE: [ZM-{case.id:06d}] Zelfmelder: verzoek om contact"
    message["Message-ID"] = f"<reply-{case.id}-{abs(hash(body)) % 10**8}@{domain}>"
    for key, value in (headers or {}).items():
        message[key] = value
    message.set_content(body + "\n> --- Beantwoord deze e-mail en vul hieronder in ---\n> Contact: ja/nee\n")
    from_domain = str(message["From"]).rpartition("@")[2].rstrip(">")
    return relayed(message.as_bytes(), from_domain, dmarc) if dmarc else message.as_bytes()


def process(app: App, services: Services, raw: bytes, envelope_to: list[str] | None = None) -> InboundMessage:
    with app.sessions.begin() as session:
        inbound_id = store_inbound(session, raw, source="import", envelope_from=None, envelope_to=envelope_to or [],
                                   now=app.clock())  # fmt: skip
    services.replies.process(inbound_id)
    with app.sessions() as session:
        return session.get(InboundMessage, inbound_id)  # type: ignore[return-value]


def reload(app: App, case: CaseRow) -> CaseRow:
    with app.sessions() as session:
        return session.get(CaseRow, case.id)  # type: ignore[return-value]


def answers(app: App, case: CaseRow) -> list[str]:
    with app.sessions() as session:
        return list(session.scalars(select(OutboundEmail.kind).where(OutboundEmail.recipient == "sender")))


def test_a_trusted_readable_reply_records_the_outcome_and_is_confirmed(app: App, services: Services,
                                                                        case: CaseRow) -> None:  # fmt: skip
    row = process(app, services, reply(app, case))
    assert row.state == "processed"
    stored = reload(app, case)
    assert (stored.outcome_contact, stored.outcome_contact_form, stored.outcome_actions) == ("yes", "letter", "yes")
    assert stored.outcome_life_domains == ["huisvesting", "schulden"] and stored.outcome_known_to_care == "no"
    assert stored.state == "closed" and stored.close_reason == "outcome_complete"
    assert answers(app, case) == ["confirmation"]


def test_a_partial_reply_keeps_the_case_open_and_a_later_reply_completes_it(app: App, services: Services,
                                                                            case: CaseRow) -> None:  # fmt: skip
    assert process(app, services, reply(app, case, body="Contact: ja\nVorm van contact: telefonisch\n")).state == (
        "processed"
    )
    assert reload(app, case).state == "outcome_partial"
    process(app, services, reply(app, case, body="Acties uitgezet: nee\n"))
    stored = reload(app, case)
    assert (stored.outcome_contact, stored.outcome_actions, stored.state) == ("yes", "no", "closed")


@pytest.mark.parametrize(
    ("body", "quoted"),
    [("Contact: misschien\nActies uitgezet: ja\n", "Contact: misschien"),
     ("Contact: ja\nContact: nee\n", "Contact: nee"),
     ("Bedankt, we pakken het op.\n", None)],
)  # fmt: skip
def test_an_unreadable_reply_records_nothing_and_asks_back(app: App, services: Services, case: CaseRow, body: str,
                                                           quoted: str | None) -> None:  # fmt: skip
    row = process(app, services, reply(app, case, body=body))
    assert row.state == "needs_review"
    stored = reload(app, case)
    assert stored.outcome_contact == "unknown" and stored.review_reason
    assert answers(app, case) == ["ask_back"]
    if quoted:
        assert any(quoted in p["line"] for p in row.details["problems"])


@pytest.mark.parametrize(
    "tamper",
    ["forged_sender", "other_case_token", "other_municipality_token", "tampered_token", "no_token", "dmarc_fail",
     "no_relay_header", "forged_relay_header_below"],
)
def test_untrusted_replies_are_quarantined_or_rejected_and_never_answered(
    app: App, services: Services, case: CaseRow, tamper: str
) -> None:
    key, domain = secret_key(app.settings), app.settings.reply_domain
    token = reply_address(key, case.id, case.cbs_code, domain)
    kwargs: dict[str, object] = {}
    if tamper == "forged_sender":
        kwargs["sender"] = "iemand@gmail.example"
    elif tamper == "other_case_token":
        kwargs["to"] = reply_address(key, case.id + 1, case.cbs_code, domain)
    elif tamper == "other_municipality_token":
        other = "GM0014" if case.cbs_code != "GM0014" else "GM0080"
        kwargs["to"] = reply_address(key, case.id, other, domain)
    elif tamper == "tampered_token":
        local, at = token.split("@")
        kwargs["to"] = local[:-1] + ("a" if local[-1] != "a" else "b") + "@" + at
    elif tamper == "no_token":
        kwargs["to"] = f"zelfmelders@{domain}"
    elif tamper == "dmarc_fail":
        kwargs["dmarc"] = "fail"
    elif tamper == "no_relay_header":
        kwargs["dmarc"] = None
    elif tamper == "forged_relay_header_below":  # the sender wrote the relay's header; the relay's own says none
        domain = app.settings.municipalities[case.cbs_code].reply_from[0]
        kwargs["dmarc"] = "none"
        kwargs["headers"] = {"Authentication-Results": f"relay.koers.test; dmarc=pass header.from={domain}"}

    row = process(app, services, reply(app, case, **kwargs))  # type: ignore[arg-type]

    assert row.state in ("quarantined", "rejected") and row.reason
    assert reload(app, case).outcome_contact == "unknown"
    assert answers(app, case) == []


def test_an_out_of_office_reply_is_ignored_and_not_answered(app: App, services: Services, case: CaseRow) -> None:
    raw = reply(app, case, body="Ik ben afwezig tot maandag.\n",
                headers={"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"})  # fmt: skip
    assert process(app, services, raw).state == "ignored"
    assert answers(app, case) == [] and reload(app, case).outcome_contact == "unknown"


def dsn_for(notification: OutboundEmail, case: CaseRow, to: str, action: str = "failed") -> bytes:
    return (
        f"From: MAILER-DAEMON@mx.example\r\nTo: {to}\r\nSubject: Undelivered Mail Returned to "
        "Sender\r\nMessage-ID: <dsn-1@mx.example>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n--B\r\n'
        "Content-Type: text/plain\r\n\r\nDelivery failed.\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; " + (notification.to_address or "") +
        f"\r\nAction: {action}\r\nStatus: 5.1.1\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {notification.message_id}\r\nSubject: [ZM-{case.id:06d}] melding\r\n--B--\r\n"
    ).encode()


def notification_of(app: App) -> OutboundEmail:
    with app.sessions() as session:
        return session.scalars(select(OutboundEmail).where(OutboundEmail.kind == "notification")).one()


def state_of(app: App, email_id: int) -> str:
    with app.sessions() as session:
        return session.get(OutboundEmail, email_id).state  # type: ignore[union-attr]


def test_a_bounce_at_the_verp_address_of_our_notification_marks_it_bounced_and_puts_the_case_to_review(
    app: App, services: Services, case: CaseRow
) -> None:
    notification = notification_of(app)
    verp = bounce_address(secret_key(app.settings), notification.id, app.settings.reply_domain)
    assert process(app, services, dsn_for(notification, case, verp), envelope_to=[verp]).state == "bounce"
    assert state_of(app, notification.id) == "bounced"
    assert reload(app, case).review_reason and answers(app, case) == []


@pytest.mark.parametrize("to", ["zelfmelders@koers.example", "bounce+1-aaaaaaaaaaaaaaaaaaaaaaaaaa@antwoord.koers.example"])
def test_a_bounce_naming_our_message_id_but_not_at_its_verp_address_changes_nothing(
    app: App, services: Services, case: CaseRow, to: str
) -> None:
    notification = notification_of(app)
    row = process(app, services, dsn_for(notification, case, to), envelope_to=[to])
    assert row.state == "ignored" and "VERP" in (row.reason or "")
    assert state_of(app, notification.id) == notification.state and not reload(app, case).review_reason


def test_a_delay_notice_at_the_verp_address_never_marks_the_email_bounced(
    app: App, services: Services, case: CaseRow
) -> None:
    notification = notification_of(app)
    verp = bounce_address(secret_key(app.settings), notification.id, app.settings.reply_domain)
    row = process(app, services, dsn_for(notification, case, verp, action="delayed"), envelope_to=[verp])
    assert row.state == "ignored"
    assert state_of(app, notification.id) == notification.state and not reload(app, case).review_reason


def test_a_reply_sent_over_smtp_into_the_gateway_records_the_outcome(app: App, case: CaseRow) -> None:
    port = free_port()
    running: Running = start(app, worker_threads=2, scheduler=True, gateway_listen=f"127.0.0.1:{port}")
    try:
        raw = reply(app, case)
        token = reply_address(secret_key(app.settings), case.id, case.cbs_code, app.settings.reply_domain)
        sender = f"anne@{app.settings.municipalities[case.cbs_code].reply_from[0]}"
        asyncio.run(aiosmtplib.send(raw, sender=sender, recipients=[token], hostname="127.0.0.1", port=port))

        wait_until(lambda: reload(app, case).outcome_contact == "yes", timeout=30)
        assert reload(app, case).state == "closed"
    finally:
        running.stop()


def test_the_gateway_refuses_mail_for_other_addresses(app: App) -> None:
    port = free_port()
    running = start(app, gateway_listen=f"127.0.0.1:{port}")
    try:
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
            asyncio.run(aiosmtplib.send(b"Subject: x\r\n\r\nhoi\r\n", sender="a@b.example",
                                        recipients=["iemand@elders.example"], hostname="127.0.0.1", port=port))  # fmt: skip
    finally:
        running.stop()
