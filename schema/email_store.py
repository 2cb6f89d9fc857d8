"""The write path of an outbound email after it was queued: its state moves, each with its audit event.

Emails are created by the case store (``schema.case_store``), which holds the case's lock. Sending
does not lock the case: it moves the email row only, ``queued → sending → sent | failed``, and a
stale ``sending`` or an ambiguous answer to ``needs_review`` (never resent blindly). Every move is
one guarded UPDATE and its audit row; on PostgreSQL both go in one statement (a data-modifying CTE),
so a state change costs one round trip.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any, NamedTuple, cast

from sqlalchemy import Column, Connection, Executable, Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from schema import outbox
from schema.audit import AUDIT
from schema.audit import row as audit_row
from schema.base import JsonType
from schema.models import CaseRow, MunicipalityRow
from schema.runtime_models import OutboundEmail
from workflows.commands import EmailKind
from workflows.definitions import deadline_field_of
from workflows.events import outcome_from_dict
from workflows.model import Outcome, TargetGroup
from workflows.states import AuditKind, EmailState

EMAILS = cast(Table, OutboundEmail.__table__)
_CASES = cast(Table, CaseRow.__table__)
_MUNICIPALITIES = cast(Table, MunicipalityRow.__table__)
ERROR_MAX = 500


class EmailFields(NamedTuple):
    """The columns of an ``outbound_emails`` row that sending and composing read."""

    id: int
    case_id: int
    kind: str
    recipient: str
    to_address: str | None
    reason: str
    message_id: str
    state: str
    attempts: int
    sending_started_at: datetime | None
    inbound_id: int | None
    in_reply_to: str | None


class CaseFields(NamedTuple):
    """The columns of a ``cases`` row that the templates use."""

    id: int
    cbs_code: str | None
    target_group: str
    report_date: date | None
    release_date: date | None
    custody_since: date | None
    institution: str
    sentence_days: int
    given_names: str
    surname: str
    birth_date: date
    routing_method: str
    street: str | None
    house_number: str | None
    postcode: str | None
    woonplaats: str | None
    phone: str | None
    email: str | None
    urgent: bool
    outcome_contact: str
    outcome_contact_form: str | None
    outcome_actions: str
    outcome_life_domains: list[Any]
    outcome_known_to_care: str
    outcome_note: str | None

    @property
    def group(self) -> TargetGroup:
        return TargetGroup(self.target_group)

    @property
    def deadline(self) -> date:
        """The date the case's window closes on: its group's date (the report date, the release date)."""
        day = getattr(self, deadline_field_of(self.group))
        assert isinstance(day, date), "the CHECK constraint ck_cases_group_dates keeps the group's date set"
        return day

    @property
    def outcome(self) -> Outcome:
        return outcome_from_dict({
            "contact": self.outcome_contact, "contact_form": self.outcome_contact_form,
            "actions": self.outcome_actions, "life_domains": self.outcome_life_domains or (),
            "known_to_care": self.outcome_known_to_care, "note": self.outcome_note,
        })  # fmt: skip


_EMAIL_COLUMNS: tuple[Column[Any], ...] = tuple(EMAILS.c[name] for name in EmailFields._fields)
_CASE_COLUMNS: tuple[Column[Any], ...] = tuple(_CASES.c[name] for name in CaseFields._fields)
_N_EMAIL, _N_CASE = len(EmailFields._fields), len(CaseFields._fields)
# One round trip for everything an email needs: its row (locked: the caller moves its state), its
# case and the municipality's name.
_LOAD_FOR_SENDING = (
    select(*_EMAIL_COLUMNS, *_CASE_COLUMNS, _MUNICIPALITIES.c.name)
    .select_from(EMAILS.join(_CASES, _CASES.c.id == EMAILS.c.case_id)
                 .outerjoin(_MUNICIPALITIES, _MUNICIPALITIES.c.cbs_code == _CASES.c.cbs_code))
    .where(EMAILS.c.id == bindparam("email_id"))
    .with_for_update(of=EMAILS)
)  # fmt: skip
_LOCK_STATE = select(EMAILS.c.state, EMAILS.c.attempts).where(EMAILS.c.id == bindparam("email_id")).with_for_update()
_NOTIFICATIONS = select(EMAILS.c.message_id, EMAILS.c.created_at).where(
    EMAILS.c.case_id == bindparam("case_id"), EMAILS.c.kind == EmailKind.NOTIFICATION,
    EMAILS.c.state != EmailState.CANCELLED,
)  # fmt: skip
_LATEST_NOTIFICATION = _NOTIFICATIONS.order_by(EMAILS.c.id.desc()).limit(1)
_LATEST_NOTIFICATION_TO = _LATEST_NOTIFICATION.where(EMAILS.c.to_address == bindparam("to_address"))
_REMINDERS_SENT = select(func.count()).where(
    EMAILS.c.case_id == bindparam("case_id"),
    EMAILS.c.kind.in_((EmailKind.REMINDER, EmailKind.SECOND_REMINDER)),
    EMAILS.c.state == EmailState.SENT,
)


class Loaded(NamedTuple):
    email: EmailFields
    case: CaseFields
    municipality_name: str | None


def load_for_sending(connection: Connection, email_id: int) -> Loaded | None:
    """The email (locked), its case and its municipality's name; None if there is no such email."""
    found = connection.execute(_LOAD_FOR_SENDING, {"email_id": email_id}).one_or_none()
    if found is None:
        return None
    values = tuple(found)
    return Loaded(EmailFields._make(values[:_N_EMAIL]), CaseFields._make(values[_N_EMAIL:_N_EMAIL + _N_CASE]),
                  values[_N_EMAIL + _N_CASE])  # fmt: skip


def latest_notification(connection: Connection, case_id: int,
                        to_address: str | None = None) -> tuple[str | None, datetime | None]:  # fmt: skip
    """The case's latest notification (to ``to_address`` when it got one): its Message-ID and when it was queued.

    Latest, because a re-route or a resend notifies anew: a reminder threads under, and an escalation
    speaks of, the notification its reader got. Withdrawn notifications never went out.
    """
    found = None
    if to_address is not None:
        found = connection.execute(_LATEST_NOTIFICATION_TO, {"case_id": case_id, "to_address": to_address}).first()
    if found is None:
        found = connection.execute(_LATEST_NOTIFICATION, {"case_id": case_id}).first()
    return (found.message_id, found.created_at) if found is not None else (None, None)


def reminders_sent(connection: Connection, case_id: int) -> int:
    return int(connection.execute(_REMINDERS_SENT, {"case_id": case_id}).scalar() or 0)


def move(connection: Connection, email: EmailFields, state: EmailState, now: datetime, event: AuditKind, *,
         actor: str, error: str | None = None, guard: bool = False, **values: Any) -> bool:  # fmt: skip
    """Move ``email`` (as given: its state and attempts) to ``state``, with its audit event.

    With ``guard``, only if the row is still in the given state and attempt; returns whether it moved.
    """
    details: dict[str, Any] = {"email_id": email.id, "kind": email.kind, "from": email.state, "to": state.value,
                               "attempt": email.attempts}  # fmt: skip
    values.update(state=state.value, updated_at=now, attempts=email.attempts)
    if error:
        values["last_error"] = error[:ERROR_MAX]
        details["error"] = error[:300]
    audit = audit_row(now, actor, email.case_id, event, details)
    params = {f"v_{name}": value for name, value in values.items()} | {"b_id": email.id}
    if guard:
        params |= {"b_state": email.state, "b_attempts": email.attempts}
    postgres = connection.dialect.name == "postgresql"
    statement = _move_statement(tuple(sorted(values)), guard, postgres)
    if not postgres:
        if connection.execute(statement, params).rowcount != 1:
            return False
        connection.execute(_INSERT_AUDIT, audit)
        return True
    params |= {f"a_{name}": audit[name] for name in ("at", "actor", "event", "details")}
    # (SQLAlchemy reports no rowcount for an INSERT … SELECT: the returned id says whether it moved.)
    return len(connection.execute(statement, params).all()) == 1


_INSERT_AUDIT = AUDIT.insert().inline()


@lru_cache(maxsize=64)
def _move_statement(columns: tuple[str, ...], guard: bool, postgres: bool) -> Executable:
    """The UPDATE of a move (built once per shape); on PostgreSQL with its audit row in the same statement."""
    moving = update(EMAILS).where(EMAILS.c.id == bindparam("b_id")).values({c: bindparam(f"v_{c}") for c in columns})
    if guard:
        moving = moving.where(EMAILS.c.state == bindparam("b_state"), EMAILS.c.attempts == bindparam("b_attempts"))
    if not postgres:
        return moving
    # One statement: the UPDATE, and the audit row inserted only for the row it moved.
    moved = moving.returning(EMAILS.c.case_id).cte("moved")
    source = select(bindparam("a_at", type_=AUDIT.c.at.type), bindparam("a_actor", type_=AUDIT.c.actor.type),
                    moved.c.case_id, bindparam("a_event", type_=AUDIT.c.event.type),
                    bindparam("a_details", type_=JsonType))  # fmt: skip
    columns_of_audit = ["at", "actor", "case_id", "event", "details"]
    return AUDIT.insert().from_select(columns_of_audit, source).add_cte(moved).returning(AUDIT.c.id)


def move_from_current(connection: Connection, email: EmailFields, state: EmailState, now: datetime,
                      event: AuditKind, *, actor: str, error: str | None = None, **values: Any) -> None:  # fmt: skip
    """Move ``email`` to ``state`` from whatever state it is in now (locked and read first)."""
    current = connection.execute(_LOCK_STATE, {"email_id": email.id}).one()
    actual = email._replace(state=current.state, attempts=current.attempts)
    move(connection, actual, state, now, event, actor=actor, error=error, **values)


def cancel_queued(connection: Connection, case_id: int, now: datetime, *, actor: str) -> list[int]:
    """Withdraw the case's emails still ``queued`` (each with its audit event); returns their ids.

    Guarded: an email a worker moved to ``sending`` meanwhile is left alone (it may be delivered).
    """
    waiting = connection.execute(
        select(*_EMAIL_COLUMNS).where(EMAILS.c.case_id == case_id, EMAILS.c.state == EmailState.QUEUED)
        .order_by(EMAILS.c.id)
    ).all()  # fmt: skip
    cancelled = []
    for found in waiting:
        email = EmailFields._make(found)
        if move(connection, email, EmailState.CANCELLED, now, AuditKind.EMAIL_CANCELLED, actor=actor, guard=True):
            cancelled.append(email.id)
    return cancelled


def renudge_queued(session: Session, now: datetime, updated_before: datetime, nudge: tuple[str, str],
                   limit: int = 5000) -> int:  # fmt: skip
    """Queue again the emails still ``queued`` since before ``updated_before`` (a lost message)."""
    waiting = select(EMAILS.c.id).where(EMAILS.c.state == EmailState.QUEUED, EMAILS.c.updated_at < updated_before)
    ids = list(session.scalars(waiting.limit(limit)))
    if ids:
        outbox.enqueue(session, *nudge, [(i,) for i in ids], now)
        session.execute(update(EMAILS).where(EMAILS.c.id.in_(ids)).values(updated_at=now))
    return len(ids)


STALE_SENDING = "verzending onderbroken; mogelijk al afgeleverd — controleer voor opnieuw versturen"


def review_stale_sending(session: Session, now: datetime, started_before: datetime, *, actor: str) -> int:
    """Put emails stuck in ``sending`` since before ``started_before`` to review: never resent blindly."""
    stale = session.connection().execute(
        select(*_EMAIL_COLUMNS).where(EMAILS.c.state == EmailState.SENDING,
                                      EMAILS.c.sending_started_at < started_before)
    ).all()  # fmt: skip
    moved = 0
    for found in stale:
        email = EmailFields._make(found)
        moved += move(session.connection(), email, EmailState.NEEDS_REVIEW, now, AuditKind.EMAIL_NEEDS_REVIEW,
                      actor=actor, error=STALE_SENDING, guard=True)  # fmt: skip
    return moved


BOUNCED = "onbestelbaar: de ontvangende server meldde dat dit bericht niet aankwam"


def mark_bounced(connection: Connection, email_id: int, now: datetime, *, actor: str) -> EmailFields:
    """A delivery report says ``email_id`` did not arrive: it is ``bounced``, whatever it was."""
    email = EmailFields._make(connection.execute(select(*_EMAIL_COLUMNS).where(EMAILS.c.id == email_id)).one())
    move_from_current(connection, email, EmailState.BOUNCED, now, AuditKind.EMAIL_BOUNCED, actor=actor, error=BOUNCED)
    return email


_QUEUED_OF_CASE = (select(EMAILS.c.id)
                   .where(EMAILS.c.case_id == bindparam("case_id"), EMAILS.c.state == EmailState.QUEUED)
                   .order_by(EMAILS.c.id))  # fmt: skip


def queued_of_case(connection: Connection, case_id: int) -> list[int]:
    """The case's emails still waiting to be sent, oldest first."""
    return [int(i) for i in connection.execute(_QUEUED_OF_CASE, {"case_id": case_id}).scalars()]


def nudge(session: Session, email_id: int, now: datetime, queue: tuple[str, str]) -> None:
    """Queue the message that sends ``email_id`` (a retry through the outgoing-mail queue)."""
    outbox.enqueue(session, *queue, [(email_id,)], now)
