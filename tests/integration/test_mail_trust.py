"""The mail channel against strangers, end to end through the real gateway (verify mode, a real DNS server).

A local DNS server (``testkit.mail_dns``) serves SPF, DKIM and DMARC for two municipalities' domains;
the gateway checks them itself at SMTP time (``[inbound] authentication = "verify"``, ``nameservers``)
and the reply processor decides from what the gateway stored. Clients connect from different loopback
addresses (127.0.0.x), so SPF and the per-IP limits see different hosts. Each attack of issue 10 is a
test here that the code before it let through.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import ssl
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import dns.resolver
import pytest
import trustme
from sqlalchemy import select

from messaging.sender_auth import AuthMode
from messaging.tokens import reply_address
from schema import migrate
from schema.models import CaseRow
from schema.reference_sync import sync_reference_data
from schema.runtime_models import InboundMessage, OutboundEmail
from testkit.flow import fast_settings
from testkit.mail_dns import DkimKey, MailDns
from testkit.processes import free_port
from workers.bootstrap import App, bootstrap
from workers.demo.synthetic import FeedMix, generate_records, write_feed
from workers.feed_files import iter_feed
from workers.mail_gateway import gateway_handler, start_gateway
from workers.mail_settings import InboundConfig
from workers.services import Services, build_services, secret_key
from workers.wiring import intake_service

pytestmark = pytest.mark.integration

SPF_HOST = "127.0.0.2"  # the municipalities' own mail server
STRANGER = "127.0.0.66"
AUTHSERV_ID = "antwoord.koers.example"
BLOCK = "Contact: ja\nVorm van contact: reactie op brief\nActies uitgezet: nee\nAl bekend bij hulpverlening: nee\n"
_STORED = re.compile(r"Opgeslagen als (\d+)")


@pytest.fixture(scope="module")
def mail_dns() -> Iterator[MailDns]:
    server = MailDns().start()
    yield server
    server.stop()
    with contextlib.suppress(dns.resolver.NoResolverConfiguration):
        dns.resolver.reset_default_resolver()


@pytest.fixture
def app(tmp_path: Path, mail_dns: MailDns) -> Iterator[App]:
    inbound = InboundConfig(authentication=AuthMode.VERIFY, authserv_id=AUTHSERV_ID, nameservers=(mail_dns.nameserver,),
                            max_connections_per_ip=50, max_messages_per_minute=1000)  # fmt: skip
    application = bootstrap(fast_settings(tmp_path, f"sqlite:///{tmp_path / 'koers.db'}", inbound=inbound))
    migrate.upgrade(application.engine)
    with application.sessions.begin() as session:
        sync_reference_data(session)
    yield application
    application.dispose()


@pytest.fixture
def services(app: App) -> Services:
    return build_services(app)


@pytest.fixture
def cases(app: App, services: Services, tmp_path: Path) -> list[CaseRow]:
    """Two started cases whose notifications were sent (into the spool, with their VERP Return-Path)."""
    feed = tmp_path / "feed.csv"
    write_feed(feed, generate_records(2, seed=31, today=date.today(), mix=FeedMix(0, 0, 0, 0)))
    ids = [r.case_id for r in intake_service(app).ingest(iter_feed(feed), "feed").results]
    for case_id in ids:
        services.workflow.start_case(case_id)
    with app.sessions() as session:
        email_ids = list(session.scalars(select(OutboundEmail.id)))
    for email_id in email_ids:
        services.sender.send(email_id)
    with app.sessions() as session:
        return [session.get(CaseRow, case_id) for case_id in ids]  # type: ignore[misc]


@pytest.fixture
def domains(app: App, cases: list[CaseRow], mail_dns: MailDns) -> dict[str, DkimKey]:
    """DNS for the first case's municipality (p=quarantine) and a neighbour (p=reject), each with a DKIM key."""
    own = app.settings.municipalities[cases[0].cbs_code].reply_from[0]
    neighbour = next(c for c in sorted(app.settings.municipalities) if c != cases[0].cbs_code)
    keys = {"own": DkimKey(own), "neighbour": DkimKey(app.settings.municipalities[neighbour].reply_from[0])}
    for key, policy in ((keys["own"], "quarantine"), (keys["neighbour"], "reject")):
        mail_dns.add(key.domain, f"v=spf1 ip4:{SPF_HOST} -all")
        mail_dns.add(f"_dmarc.{key.domain}", f"v=DMARC1; p={policy}")
        mail_dns.add(key.dns_name, key.record)
    return keys


@pytest.fixture
def gateway(app: App) -> Iterator[int]:
    port = free_port()
    controller = start_gateway(gateway_handler(app), f"127.0.0.1:{port}")
    yield port
    controller.stop()


def token_of(app: App, case: CaseRow) -> str:
    return reply_address(secret_key(app.settings), case.id, case.cbs_code, app.settings.reply_domain)


def reply(app: App, case: CaseRow, sender: str) -> bytes:
    message = EmailMessage()
    message["From"] = f"Medewerker <{sender}>"
    message["To"] = token_of(app, case)
    message["Subject"] = f"RE: [ZM-{case.id:06d}] Zelfmelder"
    message["Message-ID"] = f"<r-{case.id}-{abs(hash(sender)) % 10**6}@{sender.split('@')[1]}>"
    message.set_content(f"Hallo,\n\n{BLOCK}\nGroet\n")
    return message.as_bytes()


def smtp(port: int, mail_from: str, rcpt: str, data: bytes, *, ip: str = STRANGER,
         helo: str = "mail.elders.example") -> tuple[int, str]:  # fmt: skip
    """One transaction as a sending server from ``ip``; the code and text of the first refusal or of DATA."""
    with smtplib.SMTP("127.0.0.1", port, local_hostname=helo, source_address=(ip, 0), timeout=30) as client:
        client.ehlo()
        for code, text in (client.mail(mail_from), client.rcpt(rcpt)):
            if code >= 400:
                return code, text.decode()
        code, text = client.data(data)
        return code, text.decode()


def processed(services: Services, reply_text: str) -> InboundMessage:
    match = _STORED.search(reply_text)
    assert match, reply_text
    services.replies.process(int(match[1]))
    with services.app.sessions() as session:
        return session.get(InboundMessage, int(match[1]))  # type: ignore[return-value]


def case_now(app: App, case: CaseRow) -> CaseRow:
    with app.sessions() as session:
        return session.get(CaseRow, case.id)  # type: ignore[return-value]


def emails(app: App) -> dict[int, tuple[str, str]]:
    with app.sessions() as session:
        return {e.id: (e.kind, e.state) for e in session.scalars(select(OutboundEmail))}


def test_a_dkim_signed_reply_from_the_municipality_is_recorded(
    app: App, services: Services, cases: list[CaseRow], domains: dict[str, DkimKey], gateway: int
) -> None:
    key, case = domains["own"], cases[0]
    sender = f"anne@{key.domain}"
    # From a host outside the domain's SPF record (a forwarder, a cloud mail service): DKIM alone aligns.
    code, text = smtp(gateway, sender, token_of(app, case), key.sign(reply(app, case, sender)))

    row = processed(services, text)
    assert code == 250 and row.state == "processed" and row.sender_verified
    assert row.details["auth"]["results"] == {"spf": "fail", "dkim": "pass", "dmarc": "pass"}
    assert case_now(app, case).outcome_contact == "yes"


def test_the_same_reply_unsigned_from_a_host_outside_spf_is_quarantined_and_never_answered(
    app: App, services: Services, cases: list[CaseRow], domains: dict[str, DkimKey], gateway: int
) -> None:
    # The issue's spoofed sender: a case's token and From: the municipality's domain, from any host.
    case = cases[0]
    sender = f"spoofed@{domains['own'].domain}"
    before = emails(app)
    code, text = smtp(gateway, sender, token_of(app, case), reply(app, case, sender))

    row = processed(services, text)
    assert code == 250 and row.state == "quarantined" and not row.sender_verified
    assert "DMARC fail" in (row.reason or "")
    stored = case_now(app, case)
    assert stored.outcome_contact == "unknown" and stored.state != "closed"
    assert emails(app) == before  # no confirmation to the spoofed address


def test_a_dmarc_reject_domain_failing_alignment_is_refused_at_data(
    app: App, services: Services, cases: list[CaseRow], domains: dict[str, DkimKey], gateway: int
) -> None:
    sender = f"spoofed@{domains['neighbour'].domain}"
    with app.sessions() as session:
        before = session.query(InboundMessage).count()
    code, text = smtp(gateway, sender, token_of(app, cases[0]), reply(app, cases[0], sender))

    assert code == 550 and "DMARC" in text
    with app.sessions() as session:
        assert session.query(InboundMessage).count() == before  # refused, so nothing stored


def test_a_valid_token_with_a_neighbouring_municipalitys_signed_mail_is_quarantined(
    app: App, services: Services, cases: list[CaseRow], domains: dict[str, DkimKey], gateway: int
) -> None:
    key, case = domains["neighbour"], cases[0]
    sender = f"piet@{key.domain}"
    code, text = smtp(gateway, sender, token_of(app, case), key.sign(reply(app, case, sender)), ip=SPF_HOST)

    row = processed(services, text)
    assert code == 250 and row.state == "quarantined" and "gemeente" in (row.reason or "")
    assert row.details["auth"]["passed"] is False and case_now(app, case).outcome_contact == "unknown"


def forged_report(to: str, message_ids: list[str]) -> bytes:
    pasted = "".join(f"Message-ID: {mid}\r\n" for mid in message_ids)
    return ("From: MAILER-DAEMON@mx.evil.example\r\nTo: " + to + "\r\nSubject: Undelivered Mail Returned to Sender\r\n"
            "Message-ID: <dsn-1@mx.evil.example>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n--B\r\n'
            "Content-Type: text/plain\r\n\r\nThis is the mail system. Your message could not be delivered.\r\n"
            + pasted + "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; mx.evil.example\r\n\r\n"
            "Final-Recipient: rfc822; zelfmelders@elders.example\r\nAction: failed\r\nStatus: 5.1.1\r\n--B\r\n"
            "Content-Type: text/rfc822-headers\r\n\r\n" + pasted + "Subject: melding\r\n--B--\r\n").encode()  # fmt: skip


def test_a_forged_delivery_report_to_the_sender_address_changes_nothing(
    app: App, services: Services, cases: list[CaseRow], domains: dict[str, DkimKey], gateway: int
) -> None:
    # The issue's attack: one unauthenticated report to Koers' sender address, pasting Message-IDs. Here it
    # even names the real ones (as someone who saw one of the emails could), and the guessable old form.
    before = emails(app)
    with app.sessions() as session:
        real = list(session.scalars(select(OutboundEmail.message_id)))
    guessed = [f"<zm-{c.id:06d}.notification.1@koers.example>" for c in cases]
    sender_address = "zelfmelders@koers.example"
    code, text = smtp(gateway, "", sender_address, forged_report(sender_address, real + guessed), helo="mx.evil.example")

    row = processed(services, text)
    assert code == 250 and row.state == "ignored" and "VERP" in (row.reason or "")
    assert emails(app) == before and all(e[1] == "sent" for e in before.values())
    assert not any(case_now(app, c).review_reason for c in cases)


def test_a_genuine_report_to_the_verp_address_marks_exactly_that_email_bounced(
    app: App, services: Services, cases: list[CaseRow], domains: dict[str, DkimKey], gateway: int
) -> None:
    with app.sessions() as session:
        first = session.scalars(select(OutboundEmail).where(OutboundEmail.case_id == cases[0].id)).first()
        assert first is not None
    spooled = next(p for p in app.settings.spool_dir.glob("*.eml") if first.message_id.strip("<>") in p.name)
    return_path = re.match(rb"Return-Path: <([^>]+)>", spooled.read_bytes())
    assert return_path, "the spooled email starts with its envelope sender"
    verp = return_path[1].decode()
    assert verp.startswith("bounce+") and verp.endswith("@" + app.settings.reply_domain)
    before = emails(app)
    code, text = smtp(gateway, "", verp, forged_report(verp, [first.message_id]), helo="mx.gemeente.example")

    row = processed(services, text)
    assert code == 250 and row.state == "bounce" and row.details["bounced_email_ids"] == [first.id]
    after = emails(app)
    assert after[first.id][1] == "bounced"
    assert {k: v for k, v in after.items() if k != first.id} == {k: v for k, v in before.items() if k != first.id}
    assert case_now(app, cases[0]).review_reason and not case_now(app, cases[1]).review_reason


@pytest.mark.parametrize("local", ["postmaster", "hostile", "zm1-gm0014-aaaaaaaaaaaaaaaaaaaaaaaaaa", "bounce+1-x"])
def test_rcpt_to_an_unknown_local_part_gets_550_before_data(app: App, gateway: int, local: str) -> None:
    code, text = smtp(gateway, "a@elders.example", f"{local}@{app.settings.reply_domain}", b"Subject: x\r\n\r\nx\r\n")
    assert code == 550 and "Onbekende ontvanger" in text


# TLS and limits: gateways of their own, configured for the point under test.


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, Path, Path]:
    ca, folder = trustme.CA(), tmp_path_factory.mktemp("gateway-tls")
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert.private_key_pem.write_to_path(str(folder / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(folder / "cert.pem"))
    return ca, folder / "cert.pem", folder / "key.pem"


def own_gateway(app: App, **inbound: object) -> tuple[object, int]:
    port = free_port()
    configured = replace(app, settings=replace(app.settings, inbound=replace(app.settings.inbound, **inbound)))
    return start_gateway(gateway_handler(configured), f"127.0.0.1:{port}"), port


def test_starttls_is_offered_and_require_tls_refuses_plain_mail(
    app: App, cases: list[CaseRow], tls_files: tuple[trustme.CA, Path, Path]
) -> None:
    ca, cert, key = tls_files
    controller, port = own_gateway(app, tls_cert=cert, tls_key=key, require_tls=True)
    token = token_of(app, cases[0])
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            client.ehlo()
            assert client.has_extn("starttls")
            code, text = client.mail("a@elders.example")
            assert code == 530  # mail before STARTTLS is refused
            context = ssl.create_default_context()
            ca.configure_trust(context)
            client.starttls(context=context)
            client.ehlo()
            assert client.mail("a@elders.example")[0] == 250 and client.rcpt(token)[0] == 250
    finally:
        controller.stop()  # type: ignore[attr-defined]


def test_the_per_ip_limits_answer_4xx_and_the_size_limit_stays(app: App, cases: list[CaseRow]) -> None:
    controller, port = own_gateway(app, max_connections_per_ip=2, max_messages_per_minute=3)
    token = token_of(app, cases[0])
    try:
        held = [smtplib.SMTP("127.0.0.1", port, source_address=("127.0.0.5", 0), timeout=30) for _ in range(2)]
        with pytest.raises(smtplib.SMTPConnectError) as refused:
            smtplib.SMTP("127.0.0.1", port, source_address=("127.0.0.5", 0), timeout=30)
        assert refused.value.smtp_code == 421
        with smtplib.SMTP("127.0.0.1", port, source_address=("127.0.0.6", 0), timeout=30) as other:
            assert other.ehlo()[0] == 250  # another host is not held back
            answers = []
            for _ in range(4):
                answers.append(other.mail("a@elders.example")[0])
                other.rset()
            assert answers == [250, 250, 250, 451]
        for client in held:
            client.quit()
        with smtplib.SMTP("127.0.0.1", port, source_address=("127.0.0.7", 0), timeout=60) as big:
            big.ehlo()
            big.mail("a@elders.example")
            big.rcpt(token)
            code, _ = big.data(b"Subject: groot\r\n\r\n" + (b"x" * 998 + b"\r\n") * 10_600)
            assert code == 552
    finally:
        controller.stop()  # type: ignore[attr-defined]


def test_in_trusted_relay_mode_only_the_relays_network_may_deliver(app: App, cases: list[CaseRow]) -> None:
    # Anyone else could write the relay's Authentication-Results header themselves.
    controller, port = own_gateway(app, authentication=AuthMode.TRUSTED_RELAY, authserv_id="mx.gemeente.nl",
                                   relay_networks=("127.0.0.2/32",))  # fmt: skip
    token = token_of(app, cases[0])
    try:
        assert smtp(port, "a@elders.example", token, b"Subject: x\r\n\r\nx\r\n")[0] == 550
        assert smtp(port, "a@elders.example", token, b"Subject: x\r\n\r\nx\r\n", ip="127.0.0.2")[0] == 250
    finally:
        controller.stop()  # type: ignore[attr-defined]
