"""Reads one stored inbound message and decides what it means for which case.

Order of checks (each ends the message in one visible state with a Dutch reason):
malformed → ``rejected``; automatic reply → ``ignored``; delivery report at a signed VERP address →
``bounce`` (exactly that email marked bounced, the case put to review), any other delivery report →
``ignored``; forwarded mail → ``quarantined``; a reply whose case cannot be established, whose token
is missing or invalid, whose sender does not belong to the municipality or does not pass DMARC
(``workers.reply_trust``) → ``quarantined``, for operators only; a trusted reply without a readable outcome →
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
from sqlalchemy.orm import Session

from messaging.classify import Classification, classify
from messaging.correlation import correlate, subject_case_reference
from messaging.inbound import InboundMessage as ParsedMessage
from messaging.inbound import parse_message
from messaging.outcome_fields import FIELD_LABELS, OutcomeReading, parse_outcome
from messaging.quotes import extract_new_text
from messaging.sender_auth import TrustPolicy
from messaging.tokens import TokenClaim, find_token
from schema import audit, inbound_rows
from schema.case_store import CaseActionError, CaseStore, Email, OpenCase
from schema.runtime_models import InboundMessage, OutboundEmail
from workers.contacts import Contacts
from workers.errors import PermanentError
from workers.reply_trust import apply_bounce, check_sender
from workflows.commands import EmailKind, Recipient
from workflows.states import AuditKind, InboundState, MessageKind

ACTOR = "mail"
_REFERENCE = re.compile(r"^ZM-(\d{1,12})$")


@dataclass(frozen=True)
class Verdict:
    state: InboundState
    reason: str
    case_id: int | None = None
    details: dict[str, Any] | None = None


class ReplyProcessor:
    """The ``process_inbound_mail`` handler."""

    def __init__(self, store: CaseStore, contacts: Contacts, secret_keys: tuple[bytes, ...], reply_domain: str,
                 clock: Callable[[], datetime], policy: TrustPolicy) -> None:  # fmt: skip
        self._store = store
        self._contacts = contacts
        self._secrets = secret_keys
        self._domain = reply_domain
        self._clock = clock
        self._policy = policy

    def process(self, inbound_id: int) -> str:
        with self._store.sessions.begin() as session:
            row = inbound_rows.lock(session, inbound_id)
            if row is None:
                raise PermanentError(f"inbound bericht {inbound_id} bestaat niet")
            if row.state != InboundState.RECEIVED:
                return row.state
            now = self._clock()
            message = parse_message(row.raw)  # bounded; never raises below the stored size limit
            verdict = self._judge(session, row, message, classify(message), now)
            row.state, row.reason, row.case_id = verdict.state.value, storable(verdict.reason)[:500], verdict.case_id
            row.kind = row.kind or MessageKind.REPLY.value
            row.message_id = storable(message.message_id or "")[:300] or None
            row.from_address = storable(message.from_address or "")[:300] or None
            row.details = storable({**(row.details or {}), **(verdict.details or {})})
            row.processed_at = now
            if verdict.case_id is not None:
                # Quarantined mail is for operators only: its event stays off the case's timeline.
                is_quarantined = verdict.state is InboundState.QUARANTINED
                audit.record(session, AuditKind.for_reply(verdict.state), actor=ACTOR, at=now,
                             case_id=None if is_quarantined else verdict.case_id,
                             details={"inbound_id": row.id, "reason": row.reason[:300],
                                      **({"claimed_case_id": verdict.case_id} if is_quarantined else {})})  # fmt: skip
            return verdict.state.value

    def _judge(self, session: Session, row: InboundMessage, msg: ParsedMessage, verdict: Classification,
               now: datetime) -> Verdict:  # fmt: skip
        row.kind = verdict.kind.value
        if verdict.kind is MessageKind.MALFORMED:
            return Verdict(InboundState.REJECTED, verdict.reason)
        if verdict.kind is MessageKind.AUTO_REPLY:
            return Verdict(InboundState.IGNORED, verdict.reason)
        if verdict.kind is MessageKind.BOUNCE:
            bounce = apply_bounce(self._store, session, row, msg, secrets=self._secrets, domain=self._domain, now=now)
            if bounce.email_id is None:
                return Verdict(InboundState.IGNORED, bounce.reason)
            return Verdict(InboundState.BOUNCE, bounce.reason, bounce.case_id, {"bounced_email_ids": [bounce.email_id]})
        claim = find_token([*row.envelope_to, *msg.to, *msg.cc], self._secrets, self._domain)
        correlation = correlate(
            token_claim=claim, in_reply_to_ids=[*msg.in_reply_to, *msg.references],
            subject_reference=subject_case_reference(msg.subject),
            lookup_message_id=lambda mid: _case_of_message_id(session, mid), lookup_reference=_case_of_reference,
        )  # fmt: skip
        if correlation.case_id is None:
            return Verdict(InboundState.QUARANTINED, correlation.reason)
        try:
            opened = self._store.lock(session, correlation.case_id)
        except CaseActionError as exc:
            return Verdict(InboundState.QUARANTINED, str(exc))
        with opened as case:
            return self._judge_for(session, row, msg, verdict, claim, case, now)

    def _judge_for(self, session: Session, row: InboundMessage, msg: ParsedMessage, verdict: Classification,
                   claim: TokenClaim | None, case: OpenCase, now: datetime) -> Verdict:  # fmt: skip
        earlier = _earlier_copy(session, row, msg)  # checked under the case lock: two copies can't race
        if earlier is not None:
            return Verdict(InboundState.IGNORED,
                           f"dit bericht is al eerder ontvangen (bericht {earlier}); niet opnieuw gelezen", case.id)
        if verdict.kind is MessageKind.FORWARD:
            return Verdict(InboundState.QUARANTINED, verdict.reason, case.id)
        distrust = self._distrust(case, claim, row, msg)
        if distrust:
            return Verdict(InboundState.QUARANTINED, distrust, case.id)
        return self._read(row, msg, case, now)

    def _distrust(self, case: OpenCase, claim: TokenClaim | None, row: InboundMessage,
                  msg: ParsedMessage) -> str | None:  # fmt: skip
        """Why this reply may not speak for the case: no valid token for it, or a sender not verified."""
        if claim is None:
            return "geen geldig antwoordadres (token); alleen aan de zaak gekoppeld via kopregels en onderwerp"
        if claim.case_id != case.id or claim.cbs_code != case.row.cbs_code:
            return "het antwoordadres hoort niet bij deze zaak of gemeente"
        allowed = self._contacts.municipality(case.row.cbs_code).reply_from
        sender = check_sender(self._policy, allowed, row, msg)
        return None if sender.passed else sender.reason

    def _read(self, row: InboundMessage, msg: ParsedMessage, case: OpenCase, now: datetime) -> Verdict:
        reading = parse_outcome(extract_new_text(msg.text), known_contact=case.outcome.contact)
        sender = msg.from_address or ""
        if reading.is_empty or reading.needs_review:
            reason = _review_reason(reading)
            case.mark_for_review(reason, by=ACTOR, now=now, inbound_id=row.id)
            problems = storable([{"field": p.field, "line": p.line, "message": p.message} for p in reading.problems])
            self._answer(case, row, msg, EmailKind.ASK_BACK, sender, now)
            details = {"problems": problems, "needed": _needed(reading)}
            return Verdict(InboundState.NEEDS_REVIEW, reason, case.id, details)
        actor = storable(f"{ACTOR}:{sender}")[:200]
        try:
            case.record_outcome(reading.outcome, by=actor, now=now, inbound_id=row.id)
        except CaseActionError as exc:
            return Verdict(InboundState.QUARANTINED, str(exc), case.id)
        self._answer(case, row, msg, EmailKind.CONFIRMATION, sender, now)
        return Verdict(InboundState.PROCESSED, "uitkomst vastgelegd", case.id,
                       {"fields": list(reading.recognised_fields)})  # fmt: skip

    def _answer(self, case: OpenCase, row: InboundMessage, msg: ParsedMessage, kind: EmailKind, to: str,
                now: datetime) -> None:  # fmt: skip
        case.queue_email(Email(kind, Recipient.SENDER, storable(to)[:200] or None, "antwoord op uw e-mail",
                               f"inbound:{row.id}", inbound_id=row.id,
                               in_reply_to=storable(msg.message_id or "")[:300] or None), now, by=ACTOR)  # fmt: skip


def _earlier_copy(session: Session, row: InboundMessage, msg: ParsedMessage) -> int | None:
    """Another copy of this message that was already read (a sender's MTA may deliver it twice)."""
    if not msg.message_id:
        return None
    found = session.scalars(
        select(InboundMessage.id).where(
            InboundMessage.id != row.id, InboundMessage.state != InboundState.RECEIVED,
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

