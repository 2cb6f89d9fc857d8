"""The workflow runtime: runs the pure engine against the database, one case at a time.

Each handler locks the case row, asks the engine what to do, and writes every consequence —
instance state, timer rows, email rows and the outbox messages that send them, the case's stage
and an audit event for each change — in one transaction. Handlers are idempotent: a case that
already has an instance is not started again; a timer that is done or cancelled does nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from messaging.email_message import make_message_id
from schema.models import AuditEvent, CaseRow, MunicipalityRow
from schema.outbox import enqueue
from schema.runtime_models import OutboundEmail, Timer, WorkflowInstance
from workers import queues
from workers.contacts import Contacts
from workers.errors import PermanentError
from workflows.calendar import WorkdayCalendar
from workflows.commands import CancelTimers, CloseCase, MarkUrgent, Recipient, ScheduleTimer, SendEmail
from workflows.engine import CaseFacts, Decision, InstanceState, handle, start
from workflows.events import Event, TimerFired
from workflows.model import CaseState
from workflows.registry import DefinitionRegistry

SELF_REPORT_TRIGGER = "case_accepted"


class WorkflowRuntime:
    """Starts workflows, fires timers and applies outcomes and operator actions."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        definitions: DefinitionRegistry,
        calendar: WorkdayCalendar,
        clock: Callable[[], datetime],
        contacts: Contacts,
    ) -> None:
        self._sessions = sessions
        self._definitions = definitions
        self._calendar = calendar
        self._clock = clock
        self._contacts = contacts

    # --- handlers (one transaction each) -----------------------------------------------------

    def start_case(self, case_id: int) -> None:
        """Start the workflow of an accepted case; a case already started is left alone."""
        with self._sessions.begin() as session:
            case = _lock_case(session, case_id)
            if case.state != CaseState.ACCEPTED.value or _instance_of(session, case_id) is not None:
                return
            (definition,) = self._definitions.for_trigger(SELF_REPORT_TRIGGER)
            now = self._clock()
            decision = start(definition, CaseFacts(case.id, case.report_date), now, self._calendar)
            instance = WorkflowInstance(
                case_id=case.id, definition=definition.name, version=definition.version,
                stage=decision.state.stage.value, state={}, created_at=now, updated_at=now,
            )  # fmt: skip
            session.add(instance)
            session.flush()
            _audit(session, case.id, now, "workflow_started",
                   {"definition": definition.name, "version": definition.version})  # fmt: skip
            self._apply(session, case, instance, decision, now)

    def fire_timer(self, timer_id: int) -> None:
        """Feed a due timer to the engine; done or cancelled timers are a no-op."""
        with self._sessions.begin() as session:
            timer = session.get(Timer, timer_id)
            if timer is None:
                raise PermanentError(f"timer {timer_id} bestaat niet")
            case = _lock_case(session, timer.case_id)
            session.refresh(timer)
            now = self._clock()
            if timer.state not in ("pending", "claimed") or timer.due_at > now:
                return
            timer.state, timer.done_at = "done", now
            self.apply_event(session, case, TimerFired(timer.name), now)

    def apply_event(self, session: Session, case: CaseRow, event: Event, now: datetime) -> Decision | None:
        """Apply one event to the case's instance inside the caller's transaction (case row locked)."""
        instance = _instance_of(session, case.id)
        if instance is None:
            return None
        definition = self._definitions.get(instance.definition, instance.version)
        state = InstanceState.from_dict(instance.state)
        decision = handle(definition, state, event, now, self._calendar)
        self._apply(session, case, instance, decision, now)
        return decision

    # --- carrying out the engine's commands --------------------------------------------------

    def _apply(self, session: Session, case: CaseRow, instance: WorkflowInstance, decision: Decision,
               now: datetime) -> None:  # fmt: skip
        for command in decision.commands:
            if isinstance(command, SendEmail):
                self._queue_email(session, case, command, now)
            elif isinstance(command, ScheduleTimer):
                session.add(Timer(instance_id=instance.id, case_id=case.id, name=command.name,
                                  due_at=command.due_at, state="pending", created_at=now))  # fmt: skip
                _audit(session, case.id, now, "timer_scheduled",
                       {"timer": command.name, "due_at": command.due_at.isoformat()})  # fmt: skip
            elif isinstance(command, CancelTimers):
                _cancel_timers(session, instance.id, command.names)
                _audit(session, case.id, now, "timers_cancelled", {"timers": list(command.names)})
            elif isinstance(command, CloseCase):
                case.closed_at, case.close_reason = now, command.reason.value
                _audit(session, case.id, now, "case_closed", {"reason": command.reason.value})
            elif isinstance(command, MarkUrgent):
                case.urgent = True
                _audit(session, case.id, now, "marked_urgent", {})
        instance.state = decision.state.to_dict()
        instance.stage = decision.state.stage.value
        instance.updated_at = now
        if case.state != decision.state.stage.value and case.state != CaseState.NEEDS_REVIEW.value:
            _audit(session, case.id, now, "stage_changed", {"from": case.state, "to": decision.state.stage.value})
            case.state = decision.state.stage.value
        case.updated_at = now

    def _queue_email(self, session: Session, case: CaseRow, command: SendEmail, now: datetime) -> None:
        if command.recipient is Recipient.COORDINATOR:
            province = session.scalar(select(MunicipalityRow.province).where(MunicipalityRow.cbs_code == case.cbs_code))
            to_address = self._contacts.coordinator(province)
        else:
            to_address = self._contacts.mailbox(case.cbs_code)
        sequence = 1 + (session.scalar(
            select(func.count()).select_from(OutboundEmail)
            .where(OutboundEmail.case_id == case.id, OutboundEmail.kind == command.kind.value)
        ) or 0)  # fmt: skip
        email = OutboundEmail(
            case_id=case.id, kind=command.kind.value, step=command.step or command.kind.value,
            recipient=command.recipient.value, to_address=to_address, reason=command.reason,
            attach_letter=command.attach_letter,
            message_id=make_message_id(command.kind.value, case.id, sequence, self._contacts.message_domain),
            state="queued", attempts=0, created_at=now, updated_at=now,
        )  # fmt: skip
        session.add(email)
        session.flush()
        enqueue(session, queues.SEND_EMAIL, queues.OUTGOING_MAIL, [(email.id,)], now)
        _audit(session, case.id, now, "email_queued",
               {"email_id": email.id, "kind": email.kind, "recipient": email.recipient})  # fmt: skip


def _lock_case(session: Session, case_id: int) -> CaseRow:
    case = session.get(CaseRow, case_id, with_for_update=True)
    if case is None:
        raise PermanentError(f"zaak {case_id} bestaat niet")
    return case


def _instance_of(session: Session, case_id: int) -> WorkflowInstance | None:
    return session.scalars(select(WorkflowInstance).where(WorkflowInstance.case_id == case_id)).one_or_none()


def _cancel_timers(session: Session, instance_id: int, names: tuple[str, ...]) -> None:
    session.execute(
        update(Timer)
        .where(Timer.instance_id == instance_id, Timer.name.in_(names), Timer.state.in_(("pending", "claimed")))
        .values(state="cancelled")
    )


def _audit(session: Session, case_id: int, now: datetime, event: str, details: dict[str, Any],
           actor: str = "workflow") -> None:  # fmt: skip
    session.add(AuditEvent(at=now, actor=actor, case_id=case_id, event=event, details=details))
