"""The workflow runtime: runs the pure engine against the database, one case at a time.

Each handler locks the case row, asks the engine what to do, and writes every consequence —
instance state, timer rows, email rows and the outbox messages that send them, the case's stage
and an audit event for each change — in one transaction. Handlers are idempotent: a case that
already has an instance is not started again; a timer that is done or cancelled does nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, exists, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from messaging.email_message import make_message_id
from schema import bulk
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

_CASES = cast(Table, CaseRow.__table__)
_INSTANCES = cast(Table, WorkflowInstance.__table__)
_TIMERS = cast(Table, Timer.__table__)
_EMAILS = cast(Table, OutboundEmail.__table__)
_AUDIT = cast(Table, AuditEvent.__table__)

# Statements built once (Core, on the session's connection: no ORM objects on the hot path).
# start_case's first round trip locks the case row and also says whether the case has an instance
# already and whether it has any email at all (if not, every Message-ID sequence starts at 1).
# Under concurrency on PostgreSQL: after waiting for the lock, the case's columns are those of the
# version just committed, but the EXISTS answers come from the statement's earlier snapshot. A start
# that got there first has moved the case out of ``accepted`` (start always changes the stage), which
# is what the handler checks first; the unique case_id of workflow_instances and the unique
# Message-ID would refuse a duplicate anyway (an error and a retry, never a second start or email).
_LOCK_FOR_START = (
    select(
        _CASES.c.state,
        _CASES.c.report_date,
        _CASES.c.cbs_code,
        exists().where(_INSTANCES.c.case_id == _CASES.c.id).label("started"),
        exists().where(_EMAILS.c.case_id == _CASES.c.id).label("has_emails"),
    )
    .where(_CASES.c.id == bindparam("case_id"))
    .with_for_update(of=_CASES)
)
_INSERT_INSTANCE = insert(_INSTANCES).returning(_INSTANCES.c.id)
_INSERT_EMAIL = insert(_EMAILS).returning(_EMAILS.c.id)
_PROVINCE = select(MunicipalityRow.__table__.c.province).where(
    MunicipalityRow.__table__.c.cbs_code == bindparam("cbs_code")
)
_COUNT_EMAILS = select(func.count()).where(
    _EMAILS.c.case_id == bindparam("case_id"), _EMAILS.c.kind == bindparam("kind")
)


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
            row = session.connection().execute(_LOCK_FOR_START, {"case_id": case_id}).one_or_none()
            if row is None:
                raise PermanentError(f"zaak {case_id} bestaat niet")
            if row.state != CaseState.ACCEPTED.value or row.started:
                return
            (definition,) = self._definitions.for_trigger(SELF_REPORT_TRIGGER)
            now = self._clock()
            decision = start(definition, CaseFacts(case_id, row.report_date), now, self._calendar)
            # The instance is inserted with the decision's state at once (no second UPDATE).
            instance_id = session.connection().execute(_INSERT_INSTANCE, {
                "case_id": case_id, "definition": definition.name, "version": definition.version,
                "stage": decision.state.stage.value, "state": decision.state.to_dict(),
                "created_at": now, "updated_at": now,
            }).scalar_one()  # fmt: skip
            writes = _Writes(session, case_id, now, no_emails_yet=not row.has_emails)
            writes.audit("workflow_started", {"definition": definition.name, "version": definition.version})
            changes = self._carry_out(writes, row.cbs_code, row.state, instance_id, decision)
            session.connection().execute(update(_CASES).where(_CASES.c.id == case_id).values(changes))

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
        if session.new:
            # What the caller added (e.g. its own audit event) goes in first, as it would have.
            session.flush()
        changes = self._carry_out(_Writes(session, case.id, now), case.cbs_code, case.state, instance.id,
                                  decision)  # fmt: skip
        for column, value in changes.items():
            setattr(case, column, value)
        instance.state = decision.state.to_dict()
        instance.stage = decision.state.stage.value
        instance.updated_at = now
        return decision

    # --- carrying out the engine's commands --------------------------------------------------

    def _carry_out(self, writes: _Writes, cbs_code: str | None, case_state: str, instance_id: int,
                   decision: Decision) -> dict[str, Any]:  # fmt: skip
        """Write what ``decision`` asks for; returns the case's changed columns (for the caller to store)."""
        now = writes.now
        changes: dict[str, Any] = {}
        for command in decision.commands:
            if isinstance(command, SendEmail):
                self._queue_email(writes, cbs_code, command)
            elif isinstance(command, ScheduleTimer):
                writes.timers.append({"instance_id": instance_id, "case_id": writes.case_id, "name": command.name,
                                      "due_at": command.due_at, "state": "pending", "created_at": now,
                                      "claimed_at": None, "done_at": None})  # fmt: skip
                writes.audit("timer_scheduled", {"timer": command.name, "due_at": command.due_at.isoformat()})
            elif isinstance(command, CancelTimers):
                writes.insert_timers()  # a timer scheduled earlier in this decision can be cancelled too
                _cancel_timers(writes.session, instance_id, command.names)
                writes.audit("timers_cancelled", {"timers": list(command.names)})
            elif isinstance(command, CloseCase):
                changes["closed_at"], changes["close_reason"] = now, command.reason.value
                writes.audit("case_closed", {"reason": command.reason.value})
            elif isinstance(command, MarkUrgent):
                changes["urgent"] = True
                writes.audit("marked_urgent", {})
        stage = decision.state.stage.value
        if case_state != stage:
            writes.audit("stage_changed", {"from": case_state, "to": stage})
            changes["state"] = stage
        changes["updated_at"] = now
        writes.finish()
        return changes

    def _queue_email(self, writes: _Writes, cbs_code: str | None, command: SendEmail) -> None:
        connection = writes.session.connection()
        if command.recipient is Recipient.COORDINATOR:
            province = connection.execute(_PROVINCE, {"cbs_code": cbs_code}).scalar()
            to_address = self._contacts.coordinator(province)
        else:
            to_address = self._contacts.mailbox(cbs_code)
        kind = command.kind.value
        sequence = writes.next_sequence(kind)
        email_id = connection.execute(_INSERT_EMAIL, {
            "case_id": writes.case_id, "kind": kind, "step": command.step or kind,
            "recipient": command.recipient.value, "to_address": to_address, "reason": command.reason,
            "attach_letter": command.attach_letter,
            "message_id": make_message_id(kind, writes.case_id, sequence, self._contacts.message_domain),
            "state": "queued", "attempts": 0, "created_at": writes.now, "updated_at": writes.now,
        }).scalar_one()  # fmt: skip
        writes.outbox.append((email_id,))
        writes.audit("email_queued", {"email_id": email_id, "kind": kind, "recipient": command.recipient.value})


class _Writes:
    """The rows one handler writes, gathered so that each table gets one statement (in command order)."""

    def __init__(self, session: Session, case_id: int, now: datetime, *, no_emails_yet: bool = False) -> None:
        self.session, self.case_id, self.now = session, case_id, now
        # Emails of the case per kind, for the Message-ID sequence, read when first needed (or known
        # to be none). Every writer of outbound emails holds the case row lock: no count changes under us.
        self._no_emails_yet = no_emails_yet
        self._email_counts: dict[str, int] = {}
        self.timers: list[dict[str, Any]] = []
        self.audits: list[dict[str, Any]] = []
        self.outbox: list[tuple[int]] = []

    def audit(self, event: str, details: dict[str, Any]) -> None:
        self.audits.append({"at": self.now, "actor": "workflow", "case_id": self.case_id, "event": event,
                            "details": details})  # fmt: skip

    def next_sequence(self, kind: str) -> int:
        """1 + the number of emails of this kind the case has (including those queued just now)."""
        if kind not in self._email_counts:
            count = None
            if not self._no_emails_yet:
                params = {"case_id": self.case_id, "kind": kind}
                count = self.session.connection().execute(_COUNT_EMAILS, params).scalar()
            self._email_counts[kind] = int(count or 0)
        self._email_counts[kind] += 1
        return self._email_counts[kind]

    def insert_timers(self) -> None:
        if self.timers:
            bulk.insert_rows(self.session, _TIMERS, self.timers)
            self.timers = []

    def finish(self) -> None:
        self.insert_timers()
        if self.outbox:
            enqueue(self.session, queues.SEND_EMAIL, queues.OUTGOING_MAIL, self.outbox, self.now)
        if self.audits:
            bulk.insert_rows(self.session, _AUDIT, self.audits)


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
