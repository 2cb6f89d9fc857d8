"""The "hostile sender" scenario: strangers on the internet write to the gateway, from many hosts at once.

The gateway runs as Koers' MX (``authentication = "verify"``) against a DNS server of the scenario's
own (``testkit.mail_dns``): the municipalities publish SPF for their mail server and DMARC (half
``p=quarantine``, half ``p=reject``). Then many clients (each its own loopback address) send a mix of
forged delivery reports (to the sender address, pasting the real Message-IDs; to forged VERP
addresses), spoofed replies with valid case tokens (unsigned, from outside SPF; with a forged
``Authentication-Results`` carrying Koers' own authserv-id), DMARC-passing mail from a stranger's own
domain with a valid token, unknown recipients and oversized messages. The check: 0 outcomes recorded,
0 emails changed, 0 answers sent, every stored message in a final state with a reason, and the usual
invariant of the fault suite.
"""

from __future__ import annotations

import smtplib
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from random import Random

from sqlalchemy import func, select

from messaging.tokens import reply_address
from messaging.verp import bounce_address
from schema.models import CaseRow
from schema.runtime_models import InboundMessage, OutboundEmail
from testkit.mail_dns import DkimKey, MailDns
from tests.faults.harness import SECRET, Harness
from tests.faults.invariants import Row
from tests.faults.mail import REPLY_DOMAIN, notified_cases
from tests.faults.scenarios import KILL_WINDOWS, email_count, feed, settle, wait_for
from tests.faults.services import PrivateServices
from workers.demo.synthetic import FeedMix

SENDER = "zelfmelders@koers.example"
STRANGER_DOMAIN = "stranger.example"
OUTCOME = "Contact: ja\nVorm van contact: reactie op brief\nActies uitgezet: ja\nAl bekend bij hulpverlening: nee\n"
KINDS = ("forged_report", "forged_verp", "spoofed_reply", "forged_own_header", "stranger_dmarc_pass",
         "unknown_recipient", "oversized")  # fmt: skip


@dataclass
class Attempt:
    kind: str
    ip: str
    mail_from: str
    rcpt: str
    data: bytes
    code: int = 0


def hostile_sender(services: PrivateServices, cases: int = 20, messages: int = 70, clients: int = 14,
                   oversized: int = 1, seed: int = 909) -> Row:  # fmt: skip
    """``messages`` hostile messages from ``clients`` hosts; nothing may change, nobody may be answered."""
    dns = MailDns().start()
    stranger = DkimKey(STRANGER_DOMAIN)
    inbound = {"authentication": '"verify"', "nameservers": f'["{dns.nameserver}"]',
               "max_connections_per_ip": "20", "max_messages_per_minute": "600"}  # fmt: skip
    try:
        with Harness(services, f"hostile_sender_{messages}", windows=KILL_WINDOWS, inbound=inbound) as h:
            h.start(workers=2, gateway=True)
            h.intake(feed(h, cases, seed, mix=FeedMix(0, 0, 0, 0)))
            wait_for(lambda: email_count(h, "queued", "sending") == 0 and email_count(h, "sent") >= cases, 120, 0.3)
            targets = notified_cases(h)
            _publish(dns, stranger, {cbs for _, cbs, _ in targets})
            before = _snapshot(h)
            attempts = _attempts(h, targets, stranger, Random(seed), messages, clients, oversized)
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda a: _send(h.gateway_port, a), attempts))
            h.mark("hostile mail sent")
            wait_for(lambda: _unread(h) == 0, 120, 0.5)
            row = settle(h, time.monotonic(), timeout=60, expect_records=cases)
            _judge(h, row, before, attempts)
            return row
    finally:
        dns.stop()


def _publish(dns: MailDns, stranger: DkimKey, cbs_codes: set[str]) -> None:
    for n, cbs in enumerate(sorted(cbs_codes)):
        domain = f"{cbs.lower()}.example"
        dns.add(domain, "v=spf1 ip4:127.0.0.2 -all")
        dns.add(f"_dmarc.{domain}", f"v=DMARC1; p={'reject' if n % 2 else 'quarantine'}")
    dns.add(stranger.dns_name, stranger.record)
    dns.add(f"_dmarc.{stranger.domain}", "v=DMARC1; p=reject")


def _attempts(h: Harness, targets: list[tuple[int, str, str]], stranger: DkimKey, rng: Random, messages: int,
              clients: int, oversized: int) -> list[Attempt]:  # fmt: skip
    with h.sessions() as session:
        emails = list(session.execute(select(OutboundEmail.id, OutboundEmail.message_id)))
    attempts = []
    for n in range(messages):
        kind = "oversized" if n < oversized else KINDS[n % (len(KINDS) - 1)]
        ip = f"127.0.0.{10 + n % clients}"
        case_id, cbs, _ = targets[n % len(targets)]
        token = reply_address(SECRET.encode(), case_id, cbs, REPLY_DOMAIN)
        attempts.append(_attempt(kind, ip, token, case_id, cbs, emails, stranger, rng))
    return attempts


def _attempt(kind: str, ip: str, token: str, case_id: int, cbs: str, emails: list[tuple[int, str]],
             stranger: DkimKey, rng: Random) -> Attempt:  # fmt: skip
    municipal = f"medewerker@{cbs.lower()}.example"
    if kind == "forged_report":
        return Attempt(kind, ip, "", SENDER, _report(SENDER, [mid for _, mid in emails]))
    if kind == "forged_verp":
        email_id, mid = rng.choice(emails)
        forged = bounce_address(b"not-koers-key-but-long-enough!!", email_id, REPLY_DOMAIN)
        return Attempt(kind, ip, "", forged, _report(forged, [mid]))
    if kind == "spoofed_reply":
        return Attempt(kind, ip, municipal, token, _reply(municipal, token, case_id))
    if kind == "forged_own_header":
        domain = f"{cbs.lower()}.example"
        header = f"{REPLY_DOMAIN}; spf=pass smtp.mailfrom={domain}; dmarc=pass header.from={domain}"
        return Attempt(kind, ip, municipal, token, _reply(municipal, token, case_id, header))
    if kind == "stranger_dmarc_pass":
        sender = f"iemand@{STRANGER_DOMAIN}"
        return Attempt(kind, ip, sender, token, stranger.sign(_reply(sender, token, case_id)))
    if kind == "unknown_recipient":
        return Attempt(kind, ip, municipal, f"{rng.choice(['info', 'zm1', 'bounce', 'postmaster'])}@{REPLY_DOMAIN}",
                       _reply(municipal, token, case_id))  # fmt: skip
    big = _reply(municipal, token, case_id) + (b"x" * 998 + b"\r\n") * 10_600
    return Attempt(kind, ip, municipal, token, big)


def _reply(sender: str, token: str, case_id: int, auth_header: str | None = None) -> bytes:
    message = EmailMessage()
    if auth_header:
        message["Authentication-Results"] = auth_header
    message["From"] = f"Medewerker <{sender}>"
    message["To"] = token
    message["Subject"] = f"RE: [ZM-{case_id:06d}] Zelfmelder"
    message.set_content(f"Hallo,\n\n{OUTCOME}\nGroet\n")
    return message.as_bytes(policy=SMTP)  # CRLF line ends, as a mail server sends them


def _report(to: str, message_ids: list[str]) -> bytes:
    pasted = "".join(f"Message-ID: {mid}\r\n" for mid in message_ids[:200])
    return ("From: Mail Delivery System <MAILER-DAEMON@mx.evil.example>\r\nTo: " + to + "\r\nSubject: Undelivered "
            "Mail Returned to Sender\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
            "--B\r\nContent-Type: text/plain\r\n\r\nNot delivered.\r\n" + pasted + "--B\r\n"
            "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.evil.example\r\n\r\nFinal-Recipient: "
            "rfc822; x@elders.example\r\nAction: failed\r\nStatus: 5.1.1\r\n--B--\r\n").encode()  # fmt: skip


def _send(port: int, attempt: Attempt) -> None:
    try:
        with smtplib.SMTP("127.0.0.1", port, local_hostname="mx.evil.example", source_address=(attempt.ip, 0),
                          timeout=60) as client:  # fmt: skip
            client.ehlo()
            for code, _ in (client.mail(attempt.mail_from), client.rcpt(attempt.rcpt)):
                if code >= 400:
                    attempt.code = code
                    return
            attempt.code = client.data(attempt.data)[0]
    except smtplib.SMTPResponseException as exc:
        attempt.code = exc.smtp_code
    except (smtplib.SMTPException, OSError):
        attempt.code = -1


def _snapshot(h: Harness) -> dict[str, object]:
    with h.sessions() as session:
        return {"emails": dict(session.execute(select(OutboundEmail.id, OutboundEmail.state)).all()),
                "reviews": session.scalar(select(func.count()).select_from(CaseRow)
                                          .where(CaseRow.review_reason.is_not(None)))}  # fmt: skip


def _unread(h: Harness) -> int:
    with h.sessions() as session:
        return session.scalar(select(func.count()).select_from(InboundMessage)
                              .where(InboundMessage.state == "received")) or 0  # fmt: skip


def _judge(h: Harness, row: Row, before: dict[str, object], attempts: list[Attempt]) -> None:
    after = _snapshot(h)
    with h.sessions() as session:
        outcomes = session.scalar(select(func.count()).select_from(CaseRow).where(CaseRow.outcome_contact != "unknown"))
        states = Counter(session.scalars(select(InboundMessage.state)))
        unclear = session.scalar(select(func.count()).select_from(InboundMessage)
                                 .where(InboundMessage.reason.is_(None) | (InboundMessage.reason == "")))  # fmt: skip
    changed = [i for i, s in after["emails"].items() if before["emails"].get(i) != s]  # type: ignore[attr-defined]
    answers = len(after["emails"]) - len(before["emails"])  # type: ignore[arg-type]
    row.lose(outcomes or 0, "outcomes recorded from hostile mail")
    row.lose(len(changed), "emails changed by hostile mail")
    row.lose(answers, "answers sent to hostile senders")
    row.lose(states.get("processed", 0) + states.get("needs_review", 0), "hostile mail read as a trusted reply")
    row.lose(unclear or 0, "stored hostile mail without a reason")
    row.lose(sum(1 for a in attempts if a.code in (0, -1)), "attempts without a clear SMTP answer")
    if after["reviews"] != before["reviews"]:
        row.lose(1, "cases put to review by hostile mail")
    codes = Counter(f"{a.kind}:{a.code}" for a in attempts)
    row.figures.update(hostile=len(attempts), clients=len({a.ip for a in attempts}), smtp=dict(sorted(codes.items())),
                       stored=dict(states))  # fmt: skip
