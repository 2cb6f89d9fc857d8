"""Operator actions on a locked case: decided by the engine, carried out by the case store, audited with who and why.

``act(case, action, by=, now=)`` is the one entry for ``koers case <action>`` and the console's
forms: it checks what only the runtime can (a reason is given; a re-route names a municipality of
the region other than the case's own; a resend address is one address), hands the action to the
engine through ``OpenCase.handle``, writes the ``operator_action`` audit event (who, which action,
why, and whether anything changed) and says in one Dutch line what happened. A re-route also
settles the case's open re-route requests.

Idempotent: an action that already holds (the same municipality, the same date, an escalated case,
a resend while the same one still waits in the queue) changes nothing and says so; the attempt is
still audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from typing import Any

from sqlalchemy import func, select

from schema import reroute_requests
from schema.case_store import REASON_MAX, CaseActionError, OpenCase
from schema.runtime_models import OutboundEmail
from workflows.commands import CancelEmails, CancelTimers, CloseCase, EmailKind, Recipient, ScheduleTimer, SendEmail
from workflows.engine import Decision
from workflows.events import OperatorAction, OperatorActionKind, UnknownActionError, parse_action
from workflows.labels import EMAIL_KINDS, OPERATOR_ACTIONS, RECIPIENTS, label
from workflows.model import case_reference
from workflows.states import AuditKind, EmailState


@dataclass(frozen=True)
class ActionResult:
    """What an action did, for the person who asked (``message``) and for programs (``as_json``)."""

    case_id: int
    action: OperatorActionKind
    changed: bool
    message: str
    state: str
    cbs_code: str | None
    emails: tuple[tuple[str, str], ...] = ()  # (kind, recipient) queued
    cancelled_timers: tuple[str, ...] = ()
    scheduled: tuple[tuple[str, datetime], ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        return {
            "reference": case_reference(self.case_id), "action": self.action.value, "changed": self.changed,
            "message": self.message, "state": self.state, "cbs_code": self.cbs_code,
            "emails_queued": [{"kind": kind, "recipient": to} for kind, to in self.emails],
            "timers_cancelled": list(self.cancelled_timers),
            "timers_scheduled": [{"timer": name, "due_at": due.isoformat()} for name, due in self.scheduled],
        }  # fmt: skip


def act(case: OpenCase, action: OperatorAction, *, by: str, now: datetime) -> ActionResult:
    """Carry out ``action`` on ``case`` as ``by``; see the module docstring.

    Raises:
        CaseActionError: the action does not fit the case (Dutch reason); nothing is written.
    """
    try:
        kind = parse_action(action.action)
    except UnknownActionError as exc:
        raise CaseActionError(str(exc)) from None
    case.check_open(kind.value)
    note = (action.note or "").strip()
    if not note:
        raise CaseActionError("geef een reden: waarom deze actie?")
    unchanged = _already_holds(case, kind, action)
    if unchanged is not None:
        _audit(case, kind, action, note, by, now, changed=False)
        return _result(case, kind, False, unchanged, None)
    if kind is OperatorActionKind.REROUTE:
        assert action.municipality is not None
        case.reroute_to(action.municipality, by=by, now=now)
    decision = case.handle(action, now)
    changed = bool(decision.commands)
    _audit(case, kind, action, note, by, now, changed=changed)
    if kind is OperatorActionKind.REROUTE:
        reroute_requests.settle(case, by=by, now=now)
    return _result(case, kind, changed, _describe(case, kind, action, decision) if changed else _NO_CHANGE, decision)


_NO_CHANGE = "niets veranderd: dit gold al"


def valid_address(to: str) -> str:
    """``to`` as one plain address (``naam@domein.nl``), or ``CaseActionError``: never a list or a header."""
    text = to.strip()
    try:
        parsed = Address(addr_spec=text)
    except (ValueError, IndexError, HeaderParseError):
        parsed = None
    if parsed is None or parsed.addr_spec != text or "." not in parsed.domain or parsed.domain.startswith("["):
        raise CaseActionError("geef één e-mailadres, zoals naam@gemeente.nl")
    return text


def _already_holds(case: OpenCase, kind: OperatorActionKind, action: OperatorAction) -> str | None:
    """Why nothing needs doing, for the checks only the runtime can make; None: go on."""
    if kind is OperatorActionKind.REROUTE:
        if not action.municipality:
            raise CaseActionError("geef de nieuwe gemeente (CBS-code, bijvoorbeeld GM0106)")
        if action.municipality == case.cbs_code:
            return f"de zaak hoort al bij {action.municipality}; niets veranderd"
    if kind is OperatorActionKind.RESEND_NOTIFICATION:
        to = valid_address(action.to) if action.to else case.address_of(Recipient.MUNICIPALITY)
        if _queued(case, EmailKind.NOTIFICATION, to):
            return f"er wacht al een melding aan {to} in de wachtrij; niets veranderd"
    return None


def _queued(case: OpenCase, kind: EmailKind, to: str | None) -> bool:
    """Whether an email of ``kind`` to ``to`` already waits in the queue (a repeated resend)."""
    query = select(func.count()).select_from(OutboundEmail).where(
        OutboundEmail.case_id == case.id, OutboundEmail.kind == kind, OutboundEmail.to_address == to,
        OutboundEmail.state == EmailState.QUEUED)  # fmt: skip
    return bool(case.session.scalar(query))


def _audit(case: OpenCase, kind: OperatorActionKind, action: OperatorAction, note: str, by: str, now: datetime, *,
           changed: bool) -> None:  # fmt: skip
    details: dict[str, Any] = {"action": kind.value, "reason": note[:REASON_MAX], "changed": changed}
    for name in ("municipality", "to"):
        if getattr(action, name):
            details[name] = getattr(action, name)
    for name in ("until", "deadline"):
        if getattr(action, name) is not None:
            details[name] = getattr(action, name).isoformat()
    case.audit(AuditKind.OPERATOR_ACTION, now, by=by, **details)


def _result(case: OpenCase, kind: OperatorActionKind, changed: bool, message: str,
            decision: Decision | None) -> ActionResult:  # fmt: skip
    commands = decision.commands if decision is not None else ()
    return ActionResult(
        case.id, kind, changed, f"Zaak {case_reference(case.id)} ({label(OPERATOR_ACTIONS, kind)}): {message}.",
        case.stage.value, case.cbs_code,
        emails=tuple((c.kind.value, c.recipient.value) for c in commands if isinstance(c, SendEmail)),
        cancelled_timers=tuple(n for c in commands if isinstance(c, CancelTimers) for n in c.names),
        scheduled=tuple((c.name, c.due_at) for c in commands if isinstance(c, ScheduleTimer)),
    )  # fmt: skip


def _describe(case: OpenCase, kind: OperatorActionKind, action: OperatorAction, decision: Decision) -> str:
    """One Dutch clause per effect: closed, emails queued, timers recomputed, paused."""
    parts: list[str] = []
    if any(isinstance(c, CloseCase) for c in decision.commands):
        parts.append("gesloten" if kind is OperatorActionKind.CLOSE else "de einddatum is voorbij: gesloten")
    if kind is OperatorActionKind.REROUTE:
        parts.append(f"omgeleid naar {case.cbs_code}")
    if any(isinstance(c, CancelEmails) for c in decision.commands):
        parts.append("wachtende e-mails ingetrokken")
    for command in decision.commands:
        if isinstance(command, SendEmail):
            to = command.to or label(RECIPIENTS, command.recipient)
            parts.append(f"{label(EMAIL_KINDS, command.kind).lower()} aan {to} klaargezet")
    if kind is OperatorActionKind.PAUSE and action.until is not None:
        parts.append(f"gepauzeerd tot {action.until:%d-%m-%Y}: de termijnen wachten")
    if kind is OperatorActionKind.UPDATE_DATE and action.deadline is not None:
        parts.append(f"nieuwe datum {action.deadline:%d-%m-%Y}")
    planned = [c for c in decision.commands if isinstance(c, ScheduleTimer)]
    if planned and kind is not OperatorActionKind.PAUSE:
        parts.append(f"{len(planned)} termijn(en) opnieuw gepland")
    return "; ".join(parts) or "gedaan"
