"""Simulated municipal staff for ``koers demo``: they answer the notifications by real SMTP.

Shares follow the region's 2019 figures (response to the letter ~41% in Groningen; actions in
~65% of contacts; ~40% of those already known to care) and the way people answer email: most
answer the notification, some only after a reminder, some never (those cases escalate); some
answer in two steps (contact first, actions after the follow-up), some from an HTML-only client,
some with typos, a few unreadably (they are asked back). Each reply goes through the gateway
like any other mail, from an address of the municipality, to the case's signed Reply-To address,
with the ``Authentication-Results`` of the municipality's mail relay (``DEMO_RELAY``): the demo runs
the gateway in trusted-relay mode and plays that relay, which would check SPF, DKIM and DMARC.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

import aiosmtplib
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from messaging.reply_block import FillStyle, fill_block
from messaging.tokens import reply_address
from schema.models import CaseRow
from schema.runtime_models import OutboundEmail
from workers.settings import Settings
from workflows.commands import EmailKind
from workflows.model import Answer, ContactForm, Outcome
from workflows.states import EmailState

DEMO_RELAY = "relay.demo.koers.example"


@dataclass(frozen=True)
class PlannedReply:
    after: timedelta  # after the notification was sent
    body: str
    html: bool = False


_CONTACT_FORMS = (ContactForm.LETTER, ContactForm.PHONE, ContactForm.VISIT)
_DOMAINS = ("huisvesting", "inkomen", "schulden", "werk", "zorg", "relaties")


def _block(outcome: Outcome, keys: tuple[str, ...] | None = None) -> str:
    """The reply block as staff type it: Koers' own block definition, so what they write reads back."""
    return fill_block(outcome, style=FillStyle.LINES, keys=keys) + "\n"


def plan_replies(rng: random.Random, second: float) -> list[PlannedReply]:
    """What one municipality does with one case; ``second`` scales the demo's short timers."""
    roll = rng.random()
    if roll < 0.25:
        return []  # never answers: the case is escalated
    when = timedelta(seconds=rng.uniform(1, 4) * second if roll < 0.8 else rng.uniform(6, 9) * second)
    contact = rng.random() < 0.75
    if not contact:
        return [PlannedReply(when, _block(Outcome(contact=Answer.NO, note="niet bereikt, brief verstuurd"),
                                          ("contact", "note")))]  # fmt: skip
    form = _CONTACT_FORMS[0] if rng.random() < 0.7 else rng.choice(_CONTACT_FORMS[1:])
    actions = rng.random() < 0.65
    domains = tuple(rng.sample(_DOMAINS, rng.randint(1, 3))) if actions else ()
    outcome = Outcome(contact=Answer.YES, contact_form=form, actions=Answer.YES if actions else Answer.NO,
                      life_domains=domains, known_to_care=Answer.YES if rng.random() < 0.4 else Answer.NO)
    full = _block(outcome, ("contact", "contact_form", "actions", "life_domains", "known_to_care"))
    style = rng.random()
    if style < 0.15:  # two steps: contact first, the rest after the follow-up reminder
        return [PlannedReply(when, _block(outcome, ("contact", "contact_form"))),
                PlannedReply(when + timedelta(seconds=7 * second), _block(outcome, ("actions", "life_domains")))]
    if style < 0.25:
        return [PlannedReply(when, full.replace("Contact: ja", "Contact: jaa").replace("Acties", "Acites"))]
    if style < 0.35:
        return [PlannedReply(when, full, html=True)]
    if style < 0.40:
        return [PlannedReply(when, "Contact: misschien\nActies uitgezet: weet ik nog niet\n")]
    return [PlannedReply(when, full)]


def compose_reply(settings: Settings, secret: bytes, case: CaseRow, notification: OutboundEmail,
                  planned: PlannedReply, sequence: int) -> tuple[EmailMessage, str, str]:  # fmt: skip
    domain = settings.municipalities[case.cbs_code or ""].reply_from[0]
    sender = f"medewerker@{domain}"
    to = reply_address(secret, case.id, case.cbs_code or "", settings.reply_domain)
    message = EmailMessage()
    message["Authentication-Results"] = (f"{DEMO_RELAY}; spf=pass smtp.mailfrom={domain}; "
                                         f"dmarc=pass header.from={domain}")
    message["From"] = f"Medewerker Zelfmelders <{sender}>"
    message["To"] = to
    message["Subject"] = f"RE: [ZM-{case.id:06d}] Zelfmelder"
    message["Message-ID"] = f"<antwoord-{case.id}-{sequence}@{domain}>"
    message["In-Reply-To"] = notification.message_id
    original = ("Van: Zelfmelders 3Noord", "Contact: ja/nee", "Acties uitgezet: ja/nee")
    quoted = "\n".join("> " + line for line in original)
    text = f"Hoi,\n\n{planned.body}\nMet vriendelijke groet,\nTeam Zelfmelders\n\n{quoted}\n"
    if planned.html:
        paragraphs = "".join(f"<p>{line}</p>" for line in text.splitlines() if line and not line.startswith(">"))
        message.set_content(f"<html><body>{paragraphs}</body></html>", subtype="html")
    else:
        message.set_content(text)
    return message, sender, to


class StaffSimulation:
    """Sends each planned reply once its moment has come; call ``step()`` repeatedly."""

    def __init__(self, sessions: sessionmaker[Session], settings: Settings, secret: bytes, gateway: tuple[str, int],
                 seed: int, second: float = 1.0) -> None:  # fmt: skip
        self._sessions, self._settings, self._secret, self._gateway = sessions, settings, secret, gateway
        self._rng = random.Random(seed)
        self._second = second
        self._plans: dict[int, list[PlannedReply]] = {}
        self.sent = 0

    @property
    def pending(self) -> int:
        return sum(len(p) for p in self._plans.values())

    def step(self, now: datetime) -> int:
        outgoing = []
        with self._sessions() as session:  # read what is due, then let go before talking SMTP
            rows = session.execute(
                select(CaseRow, OutboundEmail).join(OutboundEmail, OutboundEmail.case_id == CaseRow.id)
                .where(OutboundEmail.kind == EmailKind.NOTIFICATION, OutboundEmail.state == EmailState.SENT)
            ).all()  # fmt: skip
            for case, notification in rows:
                plan = self._plans.setdefault(case.id, plan_replies(self._rng, self._second))
                while plan and notification.sent_at and now >= notification.sent_at + plan[0].after:
                    planned = plan.pop(0)
                    outgoing.append(compose_reply(self._settings, self._secret, case, notification, planned,
                                                  len(plan)))  # fmt: skip
        for message, sender, to in outgoing:
            asyncio.run(aiosmtplib.send(message, sender=sender, recipients=[to], hostname=self._gateway[0],
                                        port=self._gateway[1]))  # fmt: skip
        self.sent += len(outgoing)
        return len(outgoing)
