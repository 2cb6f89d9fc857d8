"""Builds the MIME message for one outbound email row from the database state.

Rendering happens when the email is sent, from the case as it is then, with the row's stable
Message-ID — so a retry produces the same message. Personal data is only put where the template
asks for it (the notification and the letter); reminders and escalations carry the reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from typing import Any, NamedTuple, cast

from sqlalchemy import Column, Table, bindparam, func, select
from sqlalchemy.orm import Session

from messaging.email_message import (
    AskBackData,
    ConfirmationData,
    EscalationData,
    FollowUpData,
    NotificationData,
    OutgoingEmail,
    ReminderData,
    to_mime,
)
from messaging.letter import LetterData
from messaging.render import Renderer
from messaging.tokens import reply_address
from schema.models import CaseRow, MunicipalityRow
from schema.runtime_models import InboundMessage, OutboundEmail
from workers.case_actions import case_outcome
from workers.contacts import Contacts
from workflows.calendar import WorkdayCalendar
from workflows.labels import ROUTED_BY, label
from workflows.model import case_reference


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
    """The columns of a ``cases`` row that the templates use (with the municipality's name)."""

    id: int
    cbs_code: str | None
    report_date: date
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


_EMAILS = cast(Table, OutboundEmail.__table__)
_CASES = cast(Table, CaseRow.__table__)
_MUNICIPALITIES = cast(Table, MunicipalityRow.__table__)
EMAIL_COLUMNS: tuple[Column[Any], ...] = tuple(_EMAILS.c[name] for name in EmailFields._fields)
CASE_COLUMNS: tuple[Column[Any], ...] = tuple(_CASES.c[name] for name in CaseFields._fields)

# One round trip for everything a notification needs: the email row (locked: the caller moves its
# state), its case and the municipality's name.
LOAD_FOR_SENDING = (
    select(*EMAIL_COLUMNS, *CASE_COLUMNS, _MUNICIPALITIES.c.name)
    .select_from(_EMAILS.join(_CASES, _CASES.c.id == _EMAILS.c.case_id)
                 .outerjoin(_MUNICIPALITIES, _MUNICIPALITIES.c.cbs_code == _CASES.c.cbs_code))
    .where(_EMAILS.c.id == bindparam("email_id"))
    .with_for_update(of=_EMAILS)
)  # fmt: skip
_N_EMAIL = len(EmailFields._fields)
_N_CASE = len(CaseFields._fields)


def split_loaded(row: Any) -> tuple[EmailFields, CaseFields, str | None]:
    """A row of ``LOAD_FOR_SENDING``: the email, the case and the municipality's name."""
    values = tuple(row)
    return (EmailFields._make(values[:_N_EMAIL]), CaseFields._make(values[_N_EMAIL:_N_EMAIL + _N_CASE]),
            values[_N_EMAIL + _N_CASE])  # fmt: skip


_FIRST_OF_KIND = (
    select(_EMAILS.c.message_id, _EMAILS.c.created_at)
    .where(_EMAILS.c.case_id == bindparam("case_id"), _EMAILS.c.kind == "notification")
    .order_by(_EMAILS.c.id)
    .limit(1)
)
_REMINDERS_SENT = select(func.count()).where(
    _EMAILS.c.case_id == bindparam("case_id"),
    _EMAILS.c.kind.in_(("reminder", "second_reminder")),
    _EMAILS.c.state == "sent",
)


@dataclass(frozen=True)
class EmailComposer:
    """Renders email rows; needs the secret key for the signed Reply-To address."""

    renderer: Renderer
    contacts: Contacts
    calendar: WorkdayCalendar
    secret_key: bytes
    sender: str
    reply_domain: str

    def compose(self, session: Session, email: EmailFields, now: datetime, case: CaseFields,
                municipality_name: str | None) -> EmailMessage:  # fmt: skip
        """The MIME message of ``email`` about ``case`` (``municipality_name``: of the case's cbs_code)."""
        assert email.to_address is not None
        name = municipality_name or "onbekend"
        today = self.calendar.local_date(now)
        ref = case_reference(case.id)
        reply_to = reply_address(self.secret_key, case.id, case.cbs_code or "", self.reply_domain)
        days_left = (case.report_date - today).days
        if email.kind == "notification":
            outgoing = self.renderer.notification(
                self._notification_data(case, name, today, email.reason),
                to=email.to_address, reply_to=reply_to, message_id=email.message_id, cbs_code=case.cbs_code,
                letter_pdf=self.renderer.letter_pdf(self._letter_data(case, name, today), case.cbs_code or ""),
            )  # fmt: skip
        elif email.kind in ("reminder", "second_reminder"):
            thread, notified_at = self._notification(session, case.id)
            notified_on = (self.calendar.local_date(notified_at) if notified_at else None) or today
            data = ReminderData(ref, name, case.report_date, days_left, notified_on,
                                self._workdays_between(notified_on, today), case.urgent)  # fmt: skip
            outgoing = self.renderer.reminder(data, to=email.to_address, reply_to=reply_to, message_id=email.message_id,
                                              in_reply_to=thread, second=email.kind == "second_reminder",
                                              cbs_code=case.cbs_code)  # fmt: skip
        elif email.kind == "escalation":
            _, notified_at = self._notification(session, case.id)
            data_e = EscalationData(ref, name, case.cbs_code or "", case.report_date, days_left, email.reason,
                                    self.contacts.mailbox(case.cbs_code),
                                    self.calendar.local_date(notified_at) if notified_at else None,
                                    self._reminders_sent(session, case.id))  # fmt: skip
            outgoing = self.renderer.escalation(data_e, to=email.to_address, message_id=email.message_id)
        elif email.kind == "follow_up":
            thread, _ = self._notification(session, case.id)
            data_f = FollowUpData(ref, name, case.report_date, days_left, case_outcome(cast(CaseRow, case)))
            outgoing = self.renderer.follow_up(data_f, to=email.to_address, reply_to=reply_to,
                                               message_id=email.message_id, in_reply_to=thread,
                                               cbs_code=case.cbs_code)  # fmt: skip
        elif email.kind in ("confirmation", "ask_back"):
            outgoing = self._answer(session, email, case, ref, name, reply_to)
        else:
            raise ValueError(f"onbekende e-mailsoort {email.kind}")
        return to_mime(outgoing, self.sender, date=now)

    def _answer(self, session: Session, email: EmailFields, case: CaseFields, ref: str, name: str,
                reply_to: str) -> OutgoingEmail:  # fmt: skip
        """The confirmation of a recorded outcome, or the question about what could not be read."""
        assert email.to_address is not None
        if email.kind == "confirmation":
            outcome = case_outcome(cast(CaseRow, case))  # reads only the outcome columns, which CaseFields has
            return self.renderer.confirmation(ConfirmationData(ref, name, outcome), to=email.to_address,
                                              message_id=email.message_id, reply_to=reply_to,
                                              in_reply_to=email.in_reply_to, cbs_code=case.cbs_code)  # fmt: skip
        inbound = session.get(InboundMessage, email.inbound_id) if email.inbound_id else None
        details = inbound.details if inbound is not None else {}
        lines = tuple(str(p.get("line", "")) for p in details.get("problems", []) if p.get("line"))
        needed = tuple(details.get("needed", ())) or ("contact", "actions")
        return self.renderer.ask_back(AskBackData(ref, lines, needed), to=email.to_address,
                                      message_id=email.message_id, reply_to=reply_to, in_reply_to=email.in_reply_to,
                                      cbs_code=case.cbs_code)  # fmt: skip

    def _notification_data(self, case: CaseFields, name: str, today: date, reason: str) -> NotificationData:
        return NotificationData(
            case_ref=case_reference(case.id), municipality_name=name, report_date=case.report_date,
            days_left=(case.report_date - today).days, institution=case.institution,
            sentence_days=case.sentence_days, given_names=case.given_names, surname=case.surname,
            birth_date=case.birth_date, reason=reason,
            routed_by=label(ROUTED_BY, case.routing_method),
            street=case.street, house_number=case.house_number, postcode=case.postcode, woonplaats=case.woonplaats,
            phone=case.phone, email=case.email, urgent=case.urgent,
        )  # fmt: skip

    def _letter_data(self, case: CaseFields, name: str, today: date) -> LetterData:
        team = self.contacts.municipality(case.cbs_code)
        return LetterData(
            case_ref=case_reference(case.id), recipient_name=f"{case.given_names} {case.surname}",
            street=case.street, house_number=case.house_number, postcode=case.postcode, woonplaats=case.woonplaats,
            report_date=case.report_date, institution=case.institution, municipality_name=name, team=team.team,
            phone=team.phone, team_email=team.mailbox, address=team.address, letter_date=today,
        )  # fmt: skip

    @staticmethod
    def _notification(session: Session, case_id: int) -> tuple[str | None, datetime | None]:
        """The case's (first) notification: its Message-ID, to thread under, and when it was queued."""
        row = session.connection().execute(_FIRST_OF_KIND, {"case_id": case_id}).one_or_none()
        return (row.message_id, row.created_at) if row is not None else (None, None)

    @staticmethod
    def _reminders_sent(session: Session, case_id: int) -> int:
        return int(session.connection().execute(_REMINDERS_SENT, {"case_id": case_id}).scalar() or 0)

    def _workdays_between(self, first: date, last: date) -> int:
        days, current = 0, first
        while current < last and days < 400:
            current += timedelta(days=1)
            days += self.calendar.is_workday(current)
        return days
