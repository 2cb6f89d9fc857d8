"""The case store: the one way a case is changed — lock it, load it, apply what was decided.

``with store.case(case_id) as c:`` opens a transaction, locks the case row and loads it with its
workflow instance; ``store.lock(session, case_id)`` does the same inside a caller's transaction
(the reply processor also holds the inbound message). Through ``c`` go all writes of a case: the
engine's decisions (``c.start``, ``c.handle``, ``c.record_outcome``), emails (``c.queue_email``),
review flags, the municipality chosen in triage, and audit rows (``c.audit``). Nothing else writes
cases, timers, queued emails or the outbox rows that start and send them; bulk intake inserts new
cases by COPY (``schema.intake_store``) and sending moves an email's state (``schema.email_store``).

Invariants:
    - Each fact of a case is stored once, on its row: stage (``state``), urgency, outcome, closure,
      and the instance (definition, version and the engine's bookkeeping).
    - Every change is written with its audit event and the outbox messages it causes, in the same
      transaction; the case row lock serialises concurrent actions on one case.
    - An action that does not fit the case raises ``CaseActionError`` with a Dutch reason, and
      nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from schema import email_store, outbox
from schema.case_rows import COUNT_EMAILS, INSERT_EMAIL, LOCK_CASE, LockedCase, Writes, outcome_columns
from schema.case_types import Addresses, CaseActionError, Email, MessageIds, Nudges
from schema.models import CaseRow, MunicipalityRow
from workflows.calendar import WorkdayCalendar
from workflows.commands import (
    CancelEmails,
    CancelTimers,
    CloseCase,
    MarkUrgent,
    Recipient,
    ScheduleTimer,
    SendEmail,
)
from workflows.engine import CaseFacts, Decision, InstanceState, RefusedActionError, UnknownActionError, handle, start
from workflows.events import Event, OperatorAction, OutcomeReceived, outcome_to_dict
from workflows.labels import CLOSE_REASONS, label
from workflows.model import CaseState, Outcome, TargetGroup, case_reference
from workflows.registry import DefinitionRegistry
from workflows.states import AuditKind, EmailState, RoutingMethod

WORKFLOW_ACTOR = "workflow"
REASON_MAX = 300


class CaseStore:
    """Opens cases for change; built once per process from the definitions and the configuration."""

    def __init__(self, sessions: sessionmaker[Session], definitions: DefinitionRegistry, calendar: WorkdayCalendar,
                 addresses: Addresses, message_ids: MessageIds, nudges: Nudges) -> None:  # fmt: skip
        self.sessions = sessions
        self.nudges = nudges
        self.definitions = definitions
        self.calendar = calendar
        self.addresses = addresses
        self.message_ids = message_ids

    @contextmanager
    def case(self, case_id: int, *, sends_itself: bool = False) -> Iterator[OpenCase]:
        """A transaction with ``case_id`` locked; everything done through it is committed at the end.

        ``sends_itself``: see ``lock``.
        """
        with self.sessions.begin() as session, self.lock(session, case_id, sends_itself=sends_itself) as opened:
            yield opened

    def lock(self, session: Session, case_id: int, *, sends_itself: bool = False) -> OpenCase:
        """Lock and load ``case_id`` in the caller's transaction; use it as a context manager.

        ``sends_itself``: the caller is a worker that sends the emails this unit queues right after the
        commit (``OpenCase.queued``), so no ``send_email`` message is written for them. The email rows are
        committed all the same: if the worker dies before sending, its message is redelivered and it sends
        the case's queued emails then, and the reconciler re-nudges any email left queued.

        Raises:
            CaseActionError: there is no such case, or its personal data was purged (nothing may
                bring any back: a late reply is kept as mail of no case).
        """
        found = session.connection().execute(LOCK_CASE, {"case_id": case_id}).one_or_none()
        if found is None:
            raise CaseActionError(f"zaak {case_id} bestaat niet")
        if found.purged_at is not None:
            raise CaseActionError(f"zaak {case_reference(case_id)} is na de bewaartermijn opgeschoond en kan niet "
                                  "meer veranderen")  # fmt: skip
        return OpenCase(self, session, LockedCase._make(found), sends_itself=sends_itself)


class OpenCase:
    """One locked case and the changes made to it; written on leaving the ``with`` block."""

    def __init__(self, store: CaseStore, session: Session, row: LockedCase, *, sends_itself: bool = False) -> None:
        self._store, self.session, self.row = store, session, row
        self._sends_itself = sends_itself
        self.queued: list[int] = []  # emails queued through this unit, in order
        self._writes = Writes(session, row.id)
        self._instance = row.instance()
        self._stage = CaseState(row.state)
        self._email_counts: dict[str, int] = {}
        self._now: datetime | None = None
        self._municipality = (row.cbs_code, row.province)  # changed by a re-route, before its decision

    def __enter__(self) -> OpenCase:
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is None:
            self.flush()

    @property
    def id(self) -> int:
        return self.row.id

    @property
    def group(self) -> TargetGroup:
        return TargetGroup(self.row.target_group)

    @property
    def stage(self) -> CaseState:
        return self._stage

    @property
    def instance(self) -> InstanceState | None:
        return self._instance

    @property
    def is_closed(self) -> bool:
        return self._stage is CaseState.CLOSED

    @property
    def cbs_code(self) -> str | None:
        """The case's municipality now (a re-route in this unit of work changes it)."""
        return self._municipality[0]

    @property
    def outcome(self) -> Outcome:
        """What is recorded now (an all-unknown outcome while nothing is)."""
        recorded = self._instance.outcome if self._instance is not None else self.row.outcome
        return recorded if recorded is not None else Outcome()

    # --- the engine's decisions ----------------------------------------------------------------

    def start(self, now: datetime, trigger: str) -> Decision | None:
        """Start the workflow ``trigger`` starts for an accepted case; None if it has one already."""
        if self._stage is not CaseState.ACCEPTED or self._instance is not None:
            return None
        (definition,) = self._store.definitions.for_trigger(trigger)
        deadline = getattr(self.row, definition.deadline_field)
        if deadline is None:  # a trigger of another group: its definition's date is not on this case
            raise CaseActionError(f"zaak {case_reference(self.id)} heeft geen {definition.deadline_field}: "
                                  f"{definition.label} past niet bij groep {self.row.target_group}")  # fmt: skip
        decision = start(definition, CaseFacts(self.id, deadline), now, self._store.calendar)
        self._writes.case_changes.update(workflow=definition.name, workflow_version=definition.version)
        self.audit(AuditKind.WORKFLOW_STARTED, now, by=WORKFLOW_ACTOR, definition=definition.name,
                   version=definition.version)  # fmt: skip
        self._apply(decision, now)
        return decision

    def handle(self, event: Event, now: datetime) -> Decision:
        """Feed ``event`` to the running instance and carry out the engine's decision.

        Timers and replies that reach a closed case are handled (silently: the engine sends nothing);
        a person's action on a closed case is refused.

        Raises:
            CaseActionError: the case's workflow has not started, or a person acts on a closed case.
        """
        instance = self._require_instance()
        if isinstance(event, OperatorAction):
            self.check_open(event.action)
        definition = self._store.definitions.get(instance.definition, instance.version)
        try:
            decision = handle(definition, instance, event, now, self._store.calendar)
        except (RefusedActionError, UnknownActionError) as exc:
            raise CaseActionError(f"zaak {case_reference(self.id)}: {exc}") from None
        if decision.state.deadline_at != instance.deadline_at:
            self._writes.case_changes[definition.deadline_field] = self._store.calendar.local_date(
                decision.state.deadline_at)  # fmt: skip
        self._apply(decision, now)
        return decision

    def check_open(self, action: str) -> None:
        """Refuse a person's ``action`` on a case whose workflow has not started or is closed.

        Raises:
            CaseActionError: naming the case and why.
        """
        instance = self._require_instance()
        if instance.is_closed:
            why = label(CLOSE_REASONS, instance.closed_reason)
            raise CaseActionError(f"zaak {case_reference(self.id)} is afgesloten ({why}): {action} kan niet meer")

    def record_outcome(self, reading: Outcome, *, by: str, now: datetime, inbound_id: int | None = None,
                       **details: Any) -> Outcome:  # fmt: skip
        """Merge ``reading`` into the outcome (the engine's rule) and let the workflow act on it.

        A closed case keeps the outcome for the figures (a late reply) but sends nothing more.
        ``details`` go into the audit event (e.g. the values a correction replaced).
        """
        self._require_instance()
        decision = self.handle(OutcomeReceived(reading), now)
        merged = decision.state.outcome
        assert merged is not None
        if merged.is_complete or merged.is_partial:
            self._writes.case_changes["review_reason"] = None
        self.audit(AuditKind.OUTCOME_RECORDED, now, by=by, outcome=outcome_to_dict(merged), inbound_id=inbound_id,
                   **details)  # fmt: skip
        return merged

    # --- what people do ------------------------------------------------------------------------

    def mark_for_review(self, reason: str, *, by: str, now: datetime, inbound_id: int | None = None) -> None:
        self._writes.case_changes.update(review_reason=reason[:REASON_MAX], updated_at=now)
        self.audit(AuditKind.REVIEW_NEEDED, now, by=by, reason=reason[:REASON_MAX], inbound_id=inbound_id)

    def clear_review(self, note: str, *, by: str, now: datetime) -> None:
        if self.row.review_reason is None and "review_reason" not in self._writes.case_changes:
            raise CaseActionError("deze zaak staat niet ter beoordeling")
        self._writes.case_changes.update(review_reason=None, updated_at=now)
        self.audit(AuditKind.REVIEW_CLEARED, now, by=by, note=note[:REASON_MAX])

    def assign_municipality(self, cbs_code: str, *, by: str, now: datetime) -> None:
        """Triage: the municipality of a *needs routing* case is chosen; its workflow starts."""
        if self._stage is not CaseState.NEEDS_ROUTING:
            raise CaseActionError(f"zaak {self.id} wacht niet op een gemeentekeuze (status {self._stage.value})")
        candidates = list(self.row.routing_candidates or [])
        if self.session.get(MunicipalityRow, cbs_code) is None:
            raise CaseActionError(f"{cbs_code} is geen gemeente van Groningen, Fryslân of Drenthe")
        if candidates and cbs_code not in candidates:
            raise CaseActionError(f"{cbs_code} is geen van de kandidaten ({', '.join(candidates)})")
        evidence = {**(self.row.routing_evidence or {}), "operator": f"gekozen door {by}"}
        self._writes.case_changes.update(cbs_code=cbs_code, routing_method=RoutingMethod.OPERATOR.value,
                                         routing_evidence=evidence, updated_at=now)  # fmt: skip
        self._move_to(CaseState.ACCEPTED, now)
        self.audit(AuditKind.MUNICIPALITY_ASSIGNED, now, by=by, cbs_code=cbs_code, candidates=candidates)
        self._writes.outbox.append((*self._store.nudges.start_workflow, (self.id,)))

    def reroute_to(self, cbs_code: str, *, by: str, now: datetime) -> None:
        """Move the case to the municipality ``cbs_code`` (a re-route: its decision follows through ``handle``).

        Raises:
            CaseActionError: ``cbs_code`` is no municipality of the region, or the case's own.
        """
        found = self.session.get(MunicipalityRow, cbs_code)
        if found is None:
            raise CaseActionError(f"{cbs_code} is geen gemeente van Groningen, Fryslân of Drenthe")
        previous = self._municipality[0]
        if cbs_code == previous:
            raise CaseActionError(f"zaak {case_reference(self.id)} hoort al bij {found.name} ({cbs_code})")
        moved = f"omgeleid van {previous} naar {cbs_code} door {by}"
        evidence = {**(self.row.routing_evidence or {}), "operator": moved}
        self._writes.case_changes.update(cbs_code=cbs_code, routing_method=RoutingMethod.OPERATOR.value,
                                         routing_evidence=evidence, updated_at=now)  # fmt: skip
        self._municipality = (cbs_code, found.province)
        self.audit(AuditKind.CASE_REROUTED, now, by=by, **{"from": previous, "to": cbs_code})

    def address_of(self, recipient: Recipient) -> str | None:
        """The configured address of ``recipient`` for this case (now)."""
        return self._address(recipient)

    def audit(self, event: AuditKind, now: datetime, *, by: str, **details: Any) -> None:
        """An audit event about this case, written with the case's other changes."""
        self._touch(now)
        self._writes.audit(now, by, event, details)

    def queue_email(self, email: Email, now: datetime, *, by: str = WORKFLOW_ACTOR) -> int:
        """Queue ``email`` with its deterministic Message-ID; the outbox message that sends it goes too."""
        kind = email.kind.value
        message_id = self._store.message_ids(kind, self.id, self._next_sequence(kind))
        email_id = int(self.session.connection().execute(INSERT_EMAIL, {
            "case_id": self.id, "kind": kind, "step": email.step or kind, "recipient": email.recipient.value,
            "to_address": email.to, "reason": email.reason, "attach_letter": email.attach_letter,
            "message_id": message_id, "state": EmailState.QUEUED.value, "attempts": 0, "created_at": now,
            "updated_at": now, "inbound_id": email.inbound_id, "in_reply_to": email.in_reply_to,
        }).scalar_one())  # fmt: skip
        self.queued.append(email_id)
        if not self._sends_itself:
            self._writes.outbox.append((*self._store.nudges.send_email, (email_id,)))
        self.audit(AuditKind.EMAIL_QUEUED, now, by=by, email_id=email_id, kind=kind, recipient=email.recipient.value)
        return email_id

    def flush(self) -> None:
        """Write what was gathered (called on leaving the ``with`` block)."""
        if self._now is not None:
            self._writes.flush(self._now)

    # --- carrying out a decision ---------------------------------------------------------------

    def _touch(self, now: datetime) -> None:
        self._now = now if self._now is None else max(self._now, now)

    def _apply(self, decision: Decision, now: datetime) -> None:
        self._touch(now)
        for command in decision.commands:
            if isinstance(command, SendEmail):
                to = command.to or self._address(command.recipient)
                self.queue_email(Email(command.kind, command.recipient, to, command.reason, command.step,
                                       command.attach_letter), now)  # fmt: skip
            elif isinstance(command, ScheduleTimer):
                self._writes.timer(command.name, command.due_at, now)
                self.audit(AuditKind.TIMER_SCHEDULED, now, by=WORKFLOW_ACTOR, timer=command.name,
                           due_at=command.due_at.isoformat())  # fmt: skip
            elif isinstance(command, CancelTimers):
                self._writes.cancel_timers(command.names)
                self.audit(AuditKind.TIMERS_CANCELLED, now, by=WORKFLOW_ACTOR, timers=list(command.names))
            elif isinstance(command, CancelEmails):
                email_store.cancel_queued(self.session.connection(), self.id, now, actor=WORKFLOW_ACTOR)
            elif isinstance(command, CloseCase):
                self._writes.case_changes.update(closed_at=now, close_reason=command.reason.value)
                self.audit(AuditKind.CASE_CLOSED, now, by=WORKFLOW_ACTOR, reason=command.reason.value)
            elif isinstance(command, MarkUrgent):
                self._writes.case_changes["urgent"] = True
                self.audit(AuditKind.MARKED_URGENT, now, by=WORKFLOW_ACTOR)
        state = decision.state
        if state.outcome is not None and state.outcome != (self._instance.outcome if self._instance else None):
            self._writes.case_changes.update(outcome_columns(state.outcome, now))
        if state.paused_until != (self._instance.paused_until if self._instance else None):
            self._writes.case_changes["paused_until"] = state.paused_until
        self._writes.case_changes["workflow_progress"] = state.bookkeeping()
        self._move_to(state.stage, now)
        self._instance = state

    def _move_to(self, stage: CaseState, now: datetime) -> None:
        if stage is not self._stage:
            moved = {"from": self._stage.value, "to": stage.value}
            self.audit(AuditKind.STAGE_CHANGED, now, by=WORKFLOW_ACTOR, **moved)
            self._writes.case_changes["state"] = stage
            self._stage = stage
        self._writes.case_changes["updated_at"] = now

    def _address(self, recipient: Recipient) -> str | None:
        cbs_code, province = self._municipality
        if recipient is Recipient.COORDINATOR:
            return self._store.addresses.coordinator(province)
        if recipient is Recipient.FORMER_MUNICIPALITY:
            return self._store.addresses.mailbox(self.row.cbs_code)  # as the case was locked: before its re-route
        return self._store.addresses.mailbox(cbs_code)

    def _require_instance(self) -> InstanceState:
        if self._instance is None:
            raise CaseActionError(f"de workflow van zaak {self.id} is nog niet gestart")
        return self._instance

    def _next_sequence(self, kind: str) -> int:
        """1 + the emails of this kind the case has (those queued just now included)."""
        if kind not in self._email_counts:
            count = 0
            if self.row.has_emails:
                params = {"case_id": self.id, "kind": kind}
                count = int(self.session.connection().execute(COUNT_EMAILS, params).scalar() or 0)
            self._email_counts[kind] = count
        self._email_counts[kind] += 1
        return self._email_counts[kind]


def renudge_unstarted(session: Session, now: datetime, updated_before: datetime, nudge: tuple[str, str],
                      limit: int = 5000) -> int:  # fmt: skip
    """Queue again the start of accepted cases whose workflow did not start (a lost message).

    The case's ``updated_at`` moves to ``now``, so it is nudged once per window.
    """
    ids = list(session.scalars(
        select(CaseRow.id).where(CaseRow.state == CaseState.ACCEPTED, CaseRow.workflow.is_(None),
                                 CaseRow.updated_at < updated_before).limit(limit)
    ))  # fmt: skip
    if ids:
        outbox.enqueue(session, *nudge, [(i,) for i in ids], now)
        session.execute(update(CaseRow).where(CaseRow.id.in_(ids)).values(updated_at=now))
    return len(ids)


__all__ = ["Addresses", "CaseActionError", "CaseStore", "Email", "MessageIds", "Nudges", "OpenCase",
           "renudge_unstarted"]  # fmt: skip
