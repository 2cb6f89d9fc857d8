"""Mail the fault scenarios send to the gateway: replies as municipal staff write them, delivered as an MTA does.

``deliver`` keeps trying until the gateway answers 250 (or refuses with 5xx), reconnecting after a
dropped connection or a 4xx, which is what a sending mail server does when the receiving one was
killed mid-transaction. It returns the gateway's final reply, which names the stored id.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib
from sqlalchemy import select

from messaging.tokens import reply_address
from schema.models import CaseRow
from schema.runtime_models import OutboundEmail
from testkit.flow import relayed
from tests.faults.harness import SECRET, Harness

REPLY_DOMAIN = "antwoord.koers.example"
_STORED = re.compile(r"Opgeslagen als (\d+)")
OUTCOME = ("Contact: ja\nVorm van contact: reactie op brief\nActies uitgezet: ja\nLeefgebieden: huisvesting, schulden\n"
           "Al bekend bij hulpverlening: nee\n")  # fmt: skip


@dataclass
class Delivery:
    """One message and what became of it at the gateway."""

    data: bytes
    rcpt: str
    sender: str
    reply: str = ""
    code: int = 0
    attempts: int = 0

    @property
    def stored_id(self) -> int | None:
        match = _STORED.search(self.reply)
        return int(match.group(1)) if match else None


def notified_cases(h: Harness) -> list[tuple[int, str, str]]:
    """(case id, CBS code, notification Message-ID) of every case whose notification was sent."""
    with h.sessions() as session:
        rows = session.execute(select(CaseRow.id, CaseRow.cbs_code, OutboundEmail.message_id)
                               .join(OutboundEmail, OutboundEmail.case_id == CaseRow.id)
                               .where(OutboundEmail.kind == "notification", OutboundEmail.state == "sent")
                               .order_by(CaseRow.id))  # fmt: skip
        return [(case_id, cbs or "", mid) for case_id, cbs, mid in rows]


def staff_address(cbs_code: str) -> str:
    return f"medewerker@{cbs_code.lower()}.example"


def reply(case_id: int, cbs_code: str, notification_id: str, body: str, n: int = 1) -> Delivery:
    """A trusted reply to the case's notification: signed Reply-To token, a sender of the municipality, and the
    organisation's relay's ``Authentication-Results`` (DMARC pass) on top, as Koers' test config trusts it."""
    to = reply_address(SECRET.encode(), case_id, cbs_code, REPLY_DOMAIN)
    message = EmailMessage()
    message["From"] = f"Medewerker Zelfmelders <{staff_address(cbs_code)}>"
    message["To"] = to
    message["Subject"] = f"RE: [ZM-{case_id:06d}] Zelfmelder"
    message["Message-ID"] = f"<antwoord-{case_id}-{n}@{cbs_code.lower()}.example>"
    message["In-Reply-To"] = notification_id
    message.set_content(f"Hallo,\n\n{body}\nMet vriendelijke groet,\nTeam Zelfmelders\n")
    return Delivery(relayed(message.as_bytes(), f"{cbs_code.lower()}.example"), to, staff_address(cbs_code))


def deliver(port: int, delivery: Delivery, deadline_s: float = 120.0) -> Delivery:
    """Send until 250 or 5xx, retrying after 4xx and dropped connections like an MTA (bounded by ``deadline_s``)."""
    deadline = time.monotonic() + deadline_s
    while True:
        delivery.attempts += 1
        try:
            code, text = asyncio.run(_send(port, delivery))
        except aiosmtplib.SMTPRecipientsRefused as exc:
            code, text = exc.recipients[0].code, exc.recipients[0].message
        except aiosmtplib.SMTPResponseException as exc:
            code, text = exc.code, exc.message
        except (aiosmtplib.SMTPException, OSError) as exc:
            code, text = 0, repr(exc)
        delivery.code, delivery.reply = code, text
        if 200 <= code < 300 or 500 <= code < 600 or time.monotonic() > deadline:
            return delivery
        time.sleep(0.3)


async def _send(port: int, delivery: Delivery) -> tuple[int, str]:
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=30, start_tls=False)
    await client.connect()
    try:
        errors, text = await client.sendmail(delivery.sender, [delivery.rcpt], delivery.data)
        if errors:
            first = next(iter(errors.values()))
            return first.code, first.message
        return 250, text
    finally:
        try:
            await client.quit()
        except Exception:  # the server may already be gone
            client.close()
