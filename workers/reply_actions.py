"""What a trusted reply means for its case: read it per field, then record, propose or ask, through the case store.

The reply processor (``workers.reply_processor``) decides whether a message is a trusted reply to a
case; this module reads it (``messaging.reply_reading``), plans (``messaging.reply_plan``) and
carries the plan out on the locked case: the certain fields through ``OpenCase.record_outcome``
(with the values a correction replaced in the audit event), a proposal stored
(``schema.proposal_store``) and sent, an ask-back for only the doubtful or missing fields.

Loop guard: at most one question (ask-back or proposal) per case per day, counted in the database
(``proposal_store.questions_since``), so that neither a misreading nor a machine that answers
machines can turn into a mail loop. A question held back is an audit event and puts the case to
review.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from messaging.inbound import InboundMessage as ParsedMessage
from messaging.outcome_fields import FIELD_LABELS
from messaging.reply_block import field as reply_field
from messaging.reply_plan import ReplyPlan, plan_reply, proposal_outcome
from messaging.reply_reading import ReplyReading, read_reply
from schema import proposal_store
from schema.case_store import CaseActionError, Email, OpenCase
from schema.runtime_models import InboundMessage, OutboundEmail
from workflows.commands import EmailKind, Recipient
from workflows.events import outcome_to_dict
from workflows.model import Answer, Outcome
from workflows.states import AuditKind, FieldCertainty, InboundState, ProposalState

ACTOR = "mail"
QUESTION_INTERVAL = timedelta(days=1)
_ANSWERED_KINDS = (EmailKind.ASK_BACK.value, EmailKind.FOLLOW_UP.value, EmailKind.PROPOSAL.value)


@dataclass(frozen=True)
class Handled:
    """How the reply ends: its state, the Dutch reason, and what the console and the ask-back need."""

    state: InboundState
    reason: str
    details: dict[str, Any]


class ReplyActions:
    """Reads a trusted reply and acts on its case; ``record_at_once`` says per municipality (CBS code) whether
    confident prose may be recorded without the sender's confirmation."""

    def __init__(self, record_at_once: Callable[[str | None], bool]) -> None:
        self._record_at_once = record_at_once

    def handle(self, case: OpenCase, row: InboundMessage, msg: ParsedMessage, now: datetime) -> Handled:
        session = case.session
        known = case.outcome
        proposal = proposal_store.open_for(session, case.id)
        reading = read_reply(msg.text, known=known, asked=_asked(session, case.id, msg))
        plan = plan_reply(reading, known=known, open_proposal=proposal_store.outcome_of(proposal) if proposal else None,
                          record_at_once=self._record_at_once(case.row.cbs_code))  # fmt: skip
        sender = storable(msg.from_address or "")
        actor = storable(f"{ACTOR}:{sender}")[:200]
        try:
            if plan.record is not None:
                case.record_outcome(plan.record, by=actor, now=now, inbound_id=row.id,
                                    **_corrections(known, plan.record, reading))  # fmt: skip
            _settle_proposal(case, proposal, plan, reading, row, actor, now)
        except CaseActionError as exc:
            return Handled(InboundState.QUARANTINED, str(exc), {})
        details = _details(reading, plan, known)
        answered = self._answer(case, row, msg, plan, sender, now)
        return Handled(_state(plan, reading, answered), plan.reason, details)

    def _answer(self, case: OpenCase, row: InboundMessage, msg: ParsedMessage, plan: ReplyPlan, to: str,
                now: datetime) -> EmailKind | None:  # fmt: skip
        """Queue the one email that answers the reply; a second question on one day is held back."""
        kind = plan.answer
        if kind is None:
            return None
        if kind is EmailKind.ASK_BACK:
            case.mark_for_review(plan.reason, by=ACTOR, now=now, inbound_id=row.id)
        is_question = kind in (EmailKind.ASK_BACK, EmailKind.PROPOSAL)
        if is_question and proposal_store.questions_since(case.session, case.id, now - QUESTION_INTERVAL):
            case.audit(AuditKind.QUESTION_HELD, now, by=ACTOR, inbound_id=row.id, kind=kind.value)
            if kind is EmailKind.PROPOSAL:
                case.mark_for_review(plan.reason, by=ACTOR, now=now, inbound_id=row.id)
            return None
        case.queue_email(Email(kind, Recipient.SENDER, to[:200] or None, "antwoord op uw e-mail", f"inbound:{row.id}",
                               inbound_id=row.id, in_reply_to=storable(msg.message_id or "")[:300] or None),
                         now, by=ACTOR)  # fmt: skip
        return kind


def _settle_proposal(case: OpenCase, proposal: Any, plan: ReplyPlan, reading: ReplyReading, row: InboundMessage,
                     actor: str, now: datetime) -> None:  # fmt: skip
    """Confirm or decline the open proposal, or store the new one (recording it at once when planned)."""
    if proposal is not None and (plan.confirms_proposal or plan.declines_proposal):
        state = ProposalState.CONFIRMED if plan.confirms_proposal else ProposalState.DECLINED
        proposal_store.decide(proposal, state, by=actor, now=now, inbound_id=row.id)
        event = AuditKind.PROPOSAL_CONFIRMED if plan.confirms_proposal else AuditKind.PROPOSAL_DECLINED
        case.audit(event, now, by=actor, proposal_id=proposal.id, inbound_id=row.id)
    if not plan.propose:
        return
    proposed = proposal_outcome(plan.propose)
    state = ProposalState.RECORDED_AT_ONCE if plan.record_proposal_at_once else ProposalState.OPEN
    evidence = {key: storable(p.sentence) for key, p in plan.propose.items() if p.sentence}
    created = proposal_store.create(case.session, case_id=case.id, inbound_id=row.id, proposal=proposed,
                                    evidence=evidence, confident=all(p.confident for p in plan.propose.values()),
                                    now=now, state=state)  # fmt: skip
    case.audit(AuditKind.PROPOSAL_MADE, now, by=ACTOR, proposal_id=created.id, inbound_id=row.id,
               fields=sorted(key for key in plan.propose if key != "note"), state=state.value)  # fmt: skip
    if plan.record_proposal_at_once:
        case.record_outcome(proposed, by=actor, now=now, inbound_id=row.id, proposal_id=created.id)


def _asked(session: Session, case_id: int, msg: ParsedMessage) -> tuple[str, ...]:
    """The fields asked by the ask-back this reply answers (threaded by In-Reply-To or References)."""
    ids = [mid for mid in (*msg.in_reply_to, *msg.references) if mid][:20]
    if not ids:
        return ()
    found = session.execute(
        select(OutboundEmail.kind, OutboundEmail.inbound_id).where(
            OutboundEmail.case_id == case_id, OutboundEmail.message_id.in_(ids),
            OutboundEmail.kind.in_(_ANSWERED_KINDS)).order_by(OutboundEmail.id.desc()).limit(1)
    ).first()  # fmt: skip
    if found is None or found.kind != EmailKind.ASK_BACK or found.inbound_id is None:
        return ()
    details = session.scalar(select(InboundMessage.details).where(InboundMessage.id == found.inbound_id)) or {}
    return tuple(str(key) for key in details.get("needed", ()) if key in FIELD_LABELS)


def _corrections(known: Outcome, recorded: Outcome, reading: ReplyReading) -> dict[str, Any]:
    """For the audit: values of fields this reply changed, and what a dated update in it replaced."""
    changed = {key: _json(getattr(known, key)) for key in ("contact", "contact_form", "actions", "known_to_care")
               if _stated(getattr(known, key)) and _stated(getattr(recorded, key))
               and getattr(known, key) != getattr(recorded, key)}  # fmt: skip
    details: dict[str, Any] = {}
    if changed:
        details["replaced"] = changed
    if reading.superseded:
        details["superseded_in_reply"] = {key: _json(value) for key, value in reading.superseded.items()}
    return details


def _stated(value: object) -> bool:
    return value is not None and value is not Answer.UNKNOWN


def _json(value: object) -> object:
    return list(value) if isinstance(value, tuple) else getattr(value, "value", value)


def _details(reading: ReplyReading, plan: ReplyPlan, known: Outcome) -> dict[str, Any]:
    problems: list[dict[str, Any]] = [{"field": f.key, "line": f.line, "message": f.reason} for f in reading.doubtful]
    problems += [{"field": p.field, "line": p.line, "message": p.message, "flag": True} for p in reading.flags]
    recorded = plan.recorded
    read = [[key, _written(key, recorded)] for key in reading.keys(FieldCertainty.CERTAIN)
            if key != "note" and recorded is not None and _written(key, recorded)]  # fmt: skip
    return storable({
        "problems": problems, "needed": list(plan.ask), "read": read,
        "fields": {key: f.certainty.value for key, f in reading.fields.items()},
        "proposed": sorted(key for key in plan.propose if key != "note"), "inline": list(reading.inline),
        "outcome_before": outcome_to_dict(known) if known != Outcome() else None,
    })  # fmt: skip


def _written(key: str, outcome: Outcome) -> str:
    return reply_field(key).write(outcome) or ""


def _state(plan: ReplyPlan, reading: ReplyReading, answered: EmailKind | None) -> InboundState:
    if plan.propose and not plan.record_proposal_at_once:
        return InboundState.PROPOSED
    if reading.doubtful or (plan.ask and plan.recorded is None):
        return InboundState.NEEDS_REVIEW
    return InboundState.PROCESSED if plan.recorded is not None or answered is not None else InboundState.NEEDS_REVIEW


def storable(value: Any) -> Any:
    """Text without NUL characters (PostgreSQL refuses them in text and JSON), recursively."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable(v) for v in value]
    return value
