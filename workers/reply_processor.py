"""Reads one stored inbound message and decides what it means for which case.

Order of checks (each ends the message in one visible state with a Dutch reason):
malformed → ``rejected``; automatic reply → ``ignored``; delivery report at a signed VERP address →
``bounce`` (exactly that email marked bounced, the case put to review), any other delivery report →
``ignored``; forwarded mail → ``quarantined``; a reply whose case cannot be established, whose token
is missing or invalid, whose sender does not belong to the municipality or does not pass DMARC
(``workers.reply_trust``) → ``quarantined``, for operators only; a trusted reply that says the person
does not live in the municipality → ``not_resident`` (no outcome: a request for another municipality
waits in the operator's triage, with the place it names, and the sender gets an acknowledgement); any
other trusted reply is read per field by ``workers.reply_actions``: what is certain is recorded, what
was read from prose is proposed to the sender (``proposed``), what is doubtful or missing is asked
back (``needs_review``), and a recorded outcome is confirmed (``processed``). Only trusted human
replies are answered, at most one question per case per day. Idempotent: a message that is no longer
``received`` is left alone.
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
from messaging.not_resident import read_not_resident, where_to
from messaging.quotes import extract_new_text
from messaging.sender_auth import TrustPolicy
from messaging.tokens import TokenClaim, find_token
from schema import audit, inbound_rows, reroute_requests
from schema.case_store import CaseActionError, CaseStore, Email, OpenCase
from schema.reference import load_registry
from schema.runtime_models import InboundMessage, OutboundEmail
from workers.contacts import Contacts
from workers.errors import PermanentError
from workers.reply_actions import ReplyActions, storable
from workers.reply_trust import apply_bounce, check_sender
from workflows.commands import EmailKind, Recipient
from workflows.routing import Registry
from workflows.states import AuditKind, InboundState, MessageKind, RerouteRequestSource

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
                 clock: Callable[[], datetime], policy: TrustPolicy,
                 places: Registry | None = None) -> None:  # fmt: skip
        self._store = store
        self._contacts = contacts
        self._secrets = secret_keys
        self._domain = reply_domain
        self._clock = clock
        self._actions = ReplyActions(lambda cbs_code: contacts.municipality(cbs_code).record_confident_proposals)
        self._places = places
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
        # A trusted reply to this case. First: is this our resident at all? (a reply saying otherwise is
        # no outcome); then what the reply means for the case, in ``workers.reply_actions``.
        elsewhere = self._not_our_resident(row, msg, case, extract_new_text(msg.text), now)
        if elsewhere is not None:
            return elsewhere
        handled = self._actions.handle(case, row, msg, now)
        return Verdict(handled.state, handled.reason, case.id, handled.details)

    def _not_our_resident(self, row: InboundMessage, msg: ParsedMessage, case: OpenCase, text: str,
                          now: datetime) -> Verdict | None:  # fmt: skip
        """A reply saying the person lives elsewhere: a re-route request for the triage, never an outcome."""
        said = read_not_resident(text)
        if said is None:
            return None
        if self._places is None:
            self._places = load_registry()
        hint = where_to(self._places, said.place)
        if hint is not None and hint.cbs_code == case.cbs_code:
            return None  # moved within the municipality: not a reason to move the case
        sender = msg.from_address or ""
        request_id, _ = reroute_requests.ask(
            case, reason=f"antwoord van de gemeente: {said.phrase}", by=storable(f"{ACTOR}:{sender}")[:200], now=now,
            source=RerouteRequestSource.REPLY, suggested=hint.cbs_code if hint else None, place=said.place,
            inbound_id=row.id)  # fmt: skip
        self._answer(case, row, msg, EmailKind.NOT_RESIDENT_RECEIVED, sender, now)
        found = {"phrase": said.phrase, "place": said.place, "request_id": request_id,
                 "suggested": hint.cbs_code if hint else None, "candidates": list(hint.candidates) if hint else []}
        return Verdict(InboundState.NOT_RESIDENT, "woont volgens het antwoord niet in de gemeente; een operator "
                       "kiest de gemeente", case.id, {"not_resident": storable(found)})  # fmt: skip

    def _answer(self, case: OpenCase, row: InboundMessage, msg: ParsedMessage, kind: EmailKind, to: str,
                now: datetime) -> None:  # fmt: skip
        case.queue_email(Email(kind, Recipient.SENDER, storable(to)[:200] or None, "antwoord op uw e-mail",
                               f"inbound:{row.id}", inbound_id=row.id,
                               in_reply_to=storable(msg.message_id or "")[:300] or None), now, by=ACTOR)  # fmt: skip


def _earlier_copy(session: Session, row: InboundMessage, msg: ParsedMessage) -> int | None:
    """Another copy of this message that was already read (a sender's MTA may deliver it twice).

    A copy that was quarantined or rejected does not count: a stranger who sent a forgery with the
    Message-ID and From of a genuine reply first must not get the genuine one ignored.
    """
    if not msg.message_id:
        return None
    found = session.scalars(
        select(InboundMessage.id).where(
            InboundMessage.id != row.id,
            InboundMessage.state.not_in((InboundState.RECEIVED, InboundState.QUARANTINED, InboundState.REJECTED)),
            InboundMessage.message_id == storable(msg.message_id)[:300],
            InboundMessage.from_address == storable(msg.from_address or "")[:300],
        ).limit(1)
    ).first()  # fmt: skip
    return int(found) if found is not None else None


def _case_of_message_id(session: Session, message_id: str) -> int | None:
    return session.scalar(select(OutboundEmail.case_id).where(OutboundEmail.message_id == message_id.strip()))


def _case_of_reference(reference: str) -> int | None:
    match = _REFERENCE.match(reference.strip().upper())
    return int(match.group(1)) if match else None
