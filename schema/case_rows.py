"""The statements of the case store and the rows one unit of work gathers before writing them.

One locking query loads a case — with its workflow instance, which lives on the case row — its
province and whether it has any email yet; the writes of one unit of work are gathered so that each
table gets one statement (timers, audit rows and outbox rows by COPY on PostgreSQL), in the order
the engine's commands asked for them, and the case row gets one UPDATE.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, exists, func, insert, select, update
from sqlalchemy.orm import Session

from schema import audit, bulk, outbox
from schema.models import CaseRow, MunicipalityRow
from schema.runtime_models import OutboundEmail, Timer
from workflows.commands import CloseReason
from workflows.engine import CaseStatus, InstanceState
from workflows.events import outcome_from_dict
from workflows.model import CaseState, Outcome
from workflows.states import AuditKind, TimerState

CASES = cast(Table, CaseRow.__table__)
TIMERS = cast(Table, Timer.__table__)
EMAILS = cast(Table, OutboundEmail.__table__)
_MUNICIPALITIES = cast(Table, MunicipalityRow.__table__)


class LockedCase(NamedTuple):
    """A case's columns as locked, with its instance (``definition`` None: not started)."""

    id: int
    state: str
    cbs_code: str | None
    target_group: str
    report_date: date | None
    release_date: date | None
    urgent: bool
    closed_at: datetime | None
    close_reason: str | None
    review_reason: str | None
    routing_candidates: list[Any] | None
    routing_evidence: dict[str, Any] | None
    outcome_contact: str
    outcome_contact_form: str | None
    outcome_actions: str
    outcome_life_domains: list[Any] | None
    outcome_known_to_care: str
    outcome_note: str | None
    outcome_recorded_at: datetime | None
    workflow: str | None
    workflow_version: int | None
    workflow_progress: dict[str, Any] | None
    purged_at: datetime | None
    paused_until: datetime | None
    province: str | None
    has_emails: bool

    @property
    def outcome(self) -> Outcome | None:
        """The recorded outcome; None while nothing was ever recorded."""
        if self.outcome_recorded_at is None:
            return None
        return outcome_from_dict({
            "contact": self.outcome_contact, "contact_form": self.outcome_contact_form,
            "actions": self.outcome_actions, "life_domains": self.outcome_life_domains or (),
            "known_to_care": self.outcome_known_to_care, "note": self.outcome_note,
        })  # fmt: skip

    def instance(self) -> InstanceState | None:
        """The running (or closed) instance, from its bookkeeping and the case's own facts."""
        if self.workflow is None or self.workflow_version is None or self.workflow_progress is None:
            return None
        reason = CloseReason(self.close_reason) if self.close_reason else None
        status = CaseStatus(self.id, self.workflow, self.workflow_version, CaseState(self.state), self.urgent,
                            self.outcome, reason, self.closed_at, self.paused_until)  # fmt: skip
        return InstanceState.restore(self.workflow_progress, status)


_LOCKED_COLUMNS = [CASES.c[name] for name in LockedCase._fields[: LockedCase._fields.index("province")]]
LOCK_CASE = (
    select(*_LOCKED_COLUMNS, _MUNICIPALITIES.c.province,
           exists().where(EMAILS.c.case_id == CASES.c.id).label("has_emails"))
    .select_from(CASES.outerjoin(_MUNICIPALITIES, _MUNICIPALITIES.c.cbs_code == CASES.c.cbs_code))
    .where(CASES.c.id == bindparam("case_id"))
    .with_for_update(of=CASES)
)  # fmt: skip
# Under concurrency on PostgreSQL: after waiting for the lock, the case's own columns (its stage, its
# instance) are those of the version just committed, but the province and the EXISTS come from the
# statement's earlier snapshot. The province does not change under a lock; only a start writes a
# case's first email, and a start first checks the (fresh) stage; the unique Message-ID refuses a
# duplicate anyway (an error and a retry, never a second email).
COUNT_EMAILS = select(func.count()).where(EMAILS.c.case_id == bindparam("case_id"),
                                          EMAILS.c.kind == bindparam("kind"))  # fmt: skip
INSERT_EMAIL = insert(EMAILS).returning(EMAILS.c.id)


def outcome_columns(outcome: Outcome | None, now: datetime) -> dict[str, Any]:
    """The ``cases.outcome_*`` columns for ``outcome`` (the one place an outcome is stored)."""
    if outcome is None:
        return {}
    return {
        "outcome_contact": outcome.contact.value, "outcome_actions": outcome.actions.value,
        "outcome_contact_form": outcome.contact_form.value if outcome.contact_form is not None else None,
        "outcome_life_domains": list(outcome.life_domains), "outcome_known_to_care": outcome.known_to_care.value,
        "outcome_note": outcome.note, "outcome_recorded_at": now,
    }  # fmt: skip


class Writes:
    """The rows one unit of work writes, gathered so that each table gets one statement."""

    def __init__(self, session: Session, case_id: int) -> None:
        self.session, self.case_id = session, case_id
        self.case_changes: dict[str, Any] = {}
        self.timers: list[dict[str, Any]] = []
        self.audits: list[dict[str, Any]] = []
        self.outbox: list[tuple[str, str, tuple[int, ...]]] = []  # (actor, queue, args)

    def audit(self, now: datetime, actor: str, event: AuditKind, details: dict[str, Any]) -> None:
        self.audits.append(audit.row(now, actor, self.case_id, event, details))

    def timer(self, name: str, due_at: datetime, now: datetime) -> None:
        self.timers.append({"case_id": self.case_id, "name": name, "due_at": due_at, "state": TimerState.PENDING,
                            "created_at": now, "claimed_at": None, "done_at": None})  # fmt: skip

    def cancel_timers(self, names: tuple[str, ...]) -> None:
        self.insert_timers()  # a timer scheduled earlier in this decision can be cancelled too
        self.session.connection().execute(
            update(TIMERS).where(TIMERS.c.case_id == self.case_id, TIMERS.c.name.in_(names),
                                 TIMERS.c.state.in_(TimerState.waiting())).values(state=TimerState.CANCELLED)
        )  # fmt: skip

    def insert_timers(self) -> None:
        if self.timers:
            bulk.insert_rows(self.session, TIMERS, [{**t, "state": TimerState(t["state"]).value} for t in self.timers])
            self.timers = []

    def flush(self, now: datetime) -> None:
        """Write what was gathered: timers, outbox messages, audit rows, then the case's changed columns."""
        self.insert_timers()
        by_queue: dict[tuple[str, str], list[tuple[int, ...]]] = {}
        for actor_name, queue_name, args in self.outbox:
            by_queue.setdefault((actor_name, queue_name), []).append(args)
        for (actor_name, queue_name), args_list in by_queue.items():
            outbox.enqueue(self.session, actor_name, queue_name, args_list, now)
        self.outbox = []
        if self.audits:
            audit.write(self.session, self.audits)
            self.audits = []
        if self.case_changes:
            changes = {k: (v.value if isinstance(v, CaseState) else v) for k, v in self.case_changes.items()}
            self.session.connection().execute(update(CASES).where(CASES.c.id == self.case_id).values(changes))
            self.case_changes = {}
