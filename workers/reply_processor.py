"""Reads one stored inbound message and decides what it means for which case.

Order of checks (each ends the message in one visible state with a Dutch reason):
malformed or DMARC failure → ``rejected``; automatic reply → ``ignored``; delivery report →
``bounce`` (our email marked bounced, the case put to review); forwarded mail → ``quarantined``;
a reply whose case cannot be established, whose token is missing or invalid, or whose sender does
not belong to the municipality → ``quarantined``; a trusted reply without a readable outcome →
``needs_review`` and the sender is asked back; a trusted, readable reply → ``processed``, the
outcome recorded and the sender gets a confirmation. Only trusted human replies are answered.
Idempotent: a message that is no longer ``received`` is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from messaging.classify import Classification, MessageKind, classify
from messaging.correlation import correlate, subject_case_reference
from messaging.email_message import make_message_id
from messaging.inbound import InboundMessage as ParsedMessage
from messaging.inbound import parse_message
from messaging.outcome_fields import FIELD_LABELS, OutcomeReading, parse_outcome
from messaging.quotes import extract_new_text
from messaging.tokens import TokenClaim, find_token
from schema import outbox
from schema.models import AuditEvent, CaseRow
from schema.runtime_models import InboundMessage, OutboundEmail
from workers import queues
from workers.case_actions import mark_for_review, record_outcome
from workers.contacts import Contacts
from workers.errors import PermanentError
from workers.workflow_runtime import WorkflowRuntime
from workflows.model import Answer

ACTOR = "mail"
_REFERENCE = re.compile(r"^ZM-(\d{1,12})$")


@dataclass(frozen=True)
class Verdict:
    state: str
    reason: str
    case_id: int | None = None
    details: dict[str, Any] | None = None


class ReplyProcessor:
    """The ``process_inbound_mail`` handler."""

    def __init__(self, sessions: sessionmaker[Session], runtime: WorkflowRuntime, contacts: Contacts,
                 secret_keys: tuple[bytes, ...], reply_domain: str, clock: Callable[[], datetime]) -> None:  # fmt: skip
        self._sessions = sessions
        self._runtime = runtime
        self._contacts = contacts
        self._secrets = secret_keys
        self._domain = reply_domain
        self._clock = clock

    def process(self, inbound_id: int) -> str:
        with self._sessions.begin() as session:
            row = session.get(InboundMessage, inbound_id, with_for_update=True)
            if row is None:
                raise PermanentError(f"inbound bericht {inbound_id} bestaat niet")
            if row.state != "received":
                return row.state
            now = self._clock()
            message = parse_message(row.raw)  # bounded; never raises below the stored size limit
            verdict = self._judge(session, row, message, classify(message), now)
            row.state, row.reason, row.case_id = verdict.state, storable(verdict.reason)[:500], verdict.case_id
            row.kind = row.kind or "reply"
            row.message_id = storable(message.message_id or "")[:300] or None
            row.from_address = storable(message.from_address or "")[:300] or None
            row.details = storable({**(row.details or {}), **(verdict.details or {})})
            row.processed_at = now
            if verdict.case_id is not None:
                session.add(AuditEvent(at=now, actor=ACTOR, case_id=verdict.case_id, event=f"reply_{verdict.state}",
                                       details={"inbound_id": row.id, "reason": row.reason[:300]}))  # fmt: skip
            return verdict.state

    def _judge(self, session: Session, row: InboundMessage, msg: ParsedMessage, verdict: Classification,
               now: datetime) -> Verdict:  # fmt: skip
        row.kind = verdict.kind.value
        if verdict.kind is MessageKind.MALFORMED:
            return Verdict("rejected", verdict.reason)
        if verdict.kind is MessageKind.AUTO_REPLY:
            return Verdict("ignored", verdict.reason)
        if verdict.kind is MessageKind.BOUNCE:
            return self._bounce(session, verdict, now)
        claim = find_token([*row.envelope_to, *msg.to, *msg.cc], self._secrets, self._domain)
        correlation = correlate(
            token_claim=claim, in_reply_to_ids=[*msg.in_reply_to, *msg.references],
            subject_reference=subject_case_reference(msg.subject),
            lookup_message_id=lambda mid: _case_of_message_id(session, mid), lookup_reference=_case_of_reference,
        )  # fmt: skip
        case_id = correlation.case_id
        if case_id is None:
            return Verdict("quarantined", correlation.reason)
        case = session.get(CaseRow, case_id, with_for_update=True)
        if case is None:
            return Verdict("quarantined", f"zaak {case_id} bestaat niet")
        earlier = _earlier_copy(session, row, msg)  # checked under the case lock: two copies can't race
        if earlier is not None:
            return Verdict("ignored", f"dit bericht is al eerder ontvangen (bericht {earlier}); niet opnieuw gelezen",
                           case.id)  # fmt: skip
        if verdict.kind is MessageKind.FORWARD:
            return Verdict("quarantined", verdict.reason, case.id)
        distrust = self._distrust(case, claim, msg)
        if distrust:
            return Verdict("quarantined", distrust, case.id)
        return self._read(session, row, msg, case, now)

    def _distrust(self, case: CaseRow, claim: TokenClaim | None, msg: ParsedMessage) -> str | None:
        if claim is None:
            return "geen geldig antwoordadres (token); alleen aan de zaak gekoppeld via kopregels en onderwerp"
        if claim.case_id != case.id or claim.cbs_code != case.cbs_code:
            return "het antwoordadres hoort niet bij deze zaak of gemeente"
        allowed = self._contacts.municipality(case.cbs_code).reply_from
        sender = (msg.from_address or "").lower()
        if not sender or not any(sender == a or sender.endswith("@" + a) for a in allowed):
            return "de afzender hoort niet bij de gemeente van deze zaak"
        return None

    def _read(self, session: Session, row: InboundMessage, msg: ParsedMessage, case: CaseRow,
              now: datetime) -> Verdict:  # fmt: skip
        reading = parse_outcome(extract_new_text(msg.text), known_contact=Answer(case.outcome_contact))
        sender = msg.from_address or ""
        if reading.is_empty or reading.needs_review:
            reason = _review_reason(reading)
            mark_for_review(session, case, reason, actor=ACTOR, now=now, inbound_id=row.id)
            problems = storable([{"field": p.field, "line": p.line, "message": p.message} for p in reading.problems])
            self._answer(session, case, row, msg, "ask_back", sender, now)
            return Verdict("needs_review", reason, case.id, {"problems": problems, "needed": _needed(reading)})
        actor = storable(f"{ACTOR}:{sender}")[:200]
        record_outcome(session, self._runtime, case, reading.outcome, actor=actor, now=now, inbound_id=row.id)
        self._answer(session, case, row, msg, "confirmation", sender, now)
        return Verdict("processed", "uitkomst vastgelegd", case.id, {"fields": list(reading.recognised_fields)})

    def _bounce(self, session: Session, verdict: Classification, now: datetime) -> Verdict:
        ids = [mid for mid in verdict.bounced_message_ids if mid]
        emails = list(session.scalars(select(OutboundEmail).where(OutboundEmail.message_id.in_(ids)))) if ids else []
        for email in emails:
            email.state, email.updated_at = "bounced", now
            email.last_error = "onbestelbaar: de ontvangende server meldde dat dit bericht niet aankwam"
            case = session.get(CaseRow, email.case_id, with_for_update=True)
            if case is not None:
                mark_for_review(session, case, f"e-mail ({email.kind}) kwam niet aan", actor=ACTOR, now=now)
        if not emails:
            return Verdict("bounce", verdict.reason + "; geen eigen bericht herkend")
        return Verdict("bounce", verdict.reason, emails[0].case_id, {"bounced_email_ids": [e.id for e in emails]})

    def _answer(self, session: Session, case: CaseRow, row: InboundMessage, msg: ParsedMessage, kind: str,
                to: str, now: datetime) -> None:  # fmt: skip
        sequence = 1 + len(list(session.scalars(
            select(OutboundEmail.id).where(OutboundEmail.case_id == case.id, OutboundEmail.kind == kind))))  # fmt: skip
        email = OutboundEmail(
            case_id=case.id, kind=kind, step=f"inbound:{row.id}", recipient="sender",
            to_address=storable(to)[:200] or None,
            reason="antwoord op uw e-mail", attach_letter=False,
            message_id=make_message_id(kind, case.id, sequence, self._contacts.message_domain),
            state="queued", attempts=0, created_at=now, updated_at=now, inbound_id=row.id,
            in_reply_to=storable(msg.message_id or "")[:300] or None,
        )  # fmt: skip
        session.add(email)
        session.flush()
        outbox.enqueue(session, queues.SEND_EMAIL, queues.OUTGOING_MAIL, [(email.id,)], now)


def _earlier_copy(session: Session, row: InboundMessage, msg: ParsedMessage) -> int | None:
    """Another copy of this message that was already read (a sender's MTA may deliver it twice)."""
    if not msg.message_id:
        return None
    found = session.scalars(
        select(InboundMessage.id).where(
            InboundMessage.id != row.id, InboundMessage.state != "received",
            InboundMessage.message_id == storable(msg.message_id)[:300],
            InboundMessage.from_address == storable(msg.from_address or "")[:300],
        ).limit(1)
    ).first()  # fmt: skip
    return int(found) if found is not None else None


def storable(value: Any) -> Any:
    """Text without NUL characters (PostgreSQL refuses them in text and JSON), recursively."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable(v) for v in value]
    return value


def _case_of_message_id(session: Session, message_id: str) -> int | None:
    return session.scalar(select(OutboundEmail.case_id).where(OutboundEmail.message_id == message_id.strip()))


def _case_of_reference(reference: str) -> int | None:
    match = _REFERENCE.match(reference.strip().upper())
    return int(match.group(1)) if match else None


def _review_reason(reading: OutcomeReading) -> str:
    if reading.is_empty:
        return "antwoord zonder leesbare uitkomst"
    fields = sorted({FIELD_LABELS.get(p.field, p.field) for p in reading.problems})
    return "antwoord niet eenduidig: " + ", ".join(fields)


def _needed(reading: OutcomeReading) -> list[str]:
    if reading.is_empty:
        return ["contact", "contact_form", "actions", "known_to_care"]
    return sorted({p.field for p in reading.problems if p.field in FIELD_LABELS and p.field != "note"})

