"""Builds the MIME message for one outbound email row from the database state.

Rendering happens when the email is sent, from the case as it is then, with the row's stable
Message-ID — so a retry produces the same message. Personal data is only put where the template
asks for it (the notification and the letter); reminders and escalations carry the reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import select
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
from workflows.model import case_reference

ROUTED_BY = {
    "code": "op de gemeentecode in de aanlevering",
    "name": "op de gemeentenaam in de aanlevering",
    "alias": "op een andere naam van de gemeente",
    "legacy": "via een opgeheven gemeente en haar opvolger",
    "legacy_split_woonplaats": "via een gesplitste gemeente, beslist op woonplaats",
    "legacy_split_postcode": "via een gesplitste gemeente, beslist op postcode",
    "woonplaats": "op woonplaats",
    "woonplaats_postcode": "op woonplaats en postcode",
    "pc4": "op postcode (PC4)",
    "operator": "door een operator gekozen",
}


@dataclass(frozen=True)
class EmailComposer:
    """Renders email rows; needs the secret key for the signed Reply-To address."""

    renderer: Renderer
    contacts: Contacts
    calendar: WorkdayCalendar
    secret_key: bytes
    sender: str
    reply_domain: str

    def compose(self, session: Session, email: OutboundEmail, now: datetime) -> EmailMessage:
        case = session.get(CaseRow, email.case_id)
        assert case is not None and email.to_address is not None
        municipality = session.get(MunicipalityRow, case.cbs_code)
        name = municipality.name if municipality else "onbekend"
        today = self.calendar.local_date(now)
        ref = case_reference(case.id)
        reply_to = reply_address(self.secret_key, case.id, case.cbs_code or "", self.reply_domain)
        thread = self._notification_id(session, case.id)
        days_left = (case.report_date - today).days
        if email.kind == "notification":
            outgoing = self.renderer.notification(
                self._notification_data(case, name, today, email.reason),
                to=email.to_address, reply_to=reply_to, message_id=email.message_id, cbs_code=case.cbs_code,
                letter_pdf=self.renderer.letter_pdf(self._letter_data(case, name, today), case.cbs_code or ""),
            )  # fmt: skip
        elif email.kind in ("reminder", "second_reminder"):
            notified_on = self._notified_on(session, case.id) or today
            data = ReminderData(ref, name, case.report_date, days_left, notified_on,
                                self._workdays_between(notified_on, today), case.urgent)  # fmt: skip
            outgoing = self.renderer.reminder(data, to=email.to_address, reply_to=reply_to, message_id=email.message_id,
                                              in_reply_to=thread, second=email.kind == "second_reminder",
                                              cbs_code=case.cbs_code)  # fmt: skip
        elif email.kind == "escalation":
            data_e = EscalationData(ref, name, case.cbs_code or "", case.report_date, days_left, email.reason,
                                    self.contacts.mailbox(case.cbs_code), self._notified_on(session, case.id),
                                    self._reminders_sent(session, case.id))  # fmt: skip
            outgoing = self.renderer.escalation(data_e, to=email.to_address, message_id=email.message_id)
        elif email.kind == "follow_up":
            data_f = FollowUpData(ref, name, case.report_date, days_left, case_outcome(case))
            outgoing = self.renderer.follow_up(data_f, to=email.to_address, reply_to=reply_to,
                                               message_id=email.message_id, in_reply_to=thread,
                                               cbs_code=case.cbs_code)  # fmt: skip
        elif email.kind in ("confirmation", "ask_back"):
            outgoing = self._answer(session, email, case, ref, name, reply_to)
        else:
            raise ValueError(f"onbekende e-mailsoort {email.kind}")
        return to_mime(outgoing, self.sender, date=now)

    def _answer(self, session: Session, email: OutboundEmail, case: CaseRow, ref: str, name: str,
                reply_to: str) -> OutgoingEmail:  # fmt: skip
        """The confirmation of a recorded outcome, or the question about what could not be read."""
        assert email.to_address is not None
        if email.kind == "confirmation":
            return self.renderer.confirmation(ConfirmationData(ref, name, case_outcome(case)), to=email.to_address,
                                              message_id=email.message_id, reply_to=reply_to,
                                              in_reply_to=email.in_reply_to, cbs_code=case.cbs_code)  # fmt: skip
        inbound = session.get(InboundMessage, email.inbound_id) if email.inbound_id else None
        details = inbound.details if inbound is not None else {}
        lines = tuple(str(p.get("line", "")) for p in details.get("problems", []) if p.get("line"))
        needed = tuple(details.get("needed", ())) or ("contact", "actions")
        return self.renderer.ask_back(AskBackData(ref, lines, needed), to=email.to_address,
                                      message_id=email.message_id, reply_to=reply_to, in_reply_to=email.in_reply_to,
                                      cbs_code=case.cbs_code)  # fmt: skip

    def _notification_data(self, case: CaseRow, name: str, today: date, reason: str) -> NotificationData:
        return NotificationData(
            case_ref=case_reference(case.id), municipality_name=name, report_date=case.report_date,
            days_left=(case.report_date - today).days, institution=case.institution,
            sentence_days=case.sentence_days, given_names=case.given_names, surname=case.surname,
            birth_date=case.birth_date, reason=reason,
            routed_by=ROUTED_BY.get(case.routing_method, case.routing_method),
            street=case.street, house_number=case.house_number, postcode=case.postcode, woonplaats=case.woonplaats,
            phone=case.phone, email=case.email, urgent=case.urgent,
        )  # fmt: skip

    def _letter_data(self, case: CaseRow, name: str, today: date) -> LetterData:
        team = self.contacts.municipality(case.cbs_code)
        return LetterData(
            case_ref=case_reference(case.id), recipient_name=f"{case.given_names} {case.surname}",
            street=case.street, house_number=case.house_number, postcode=case.postcode, woonplaats=case.woonplaats,
            report_date=case.report_date, institution=case.institution, municipality_name=name, team=team.team,
            phone=team.phone, team_email=team.mailbox, address=team.address, letter_date=today,
        )  # fmt: skip

    @staticmethod
    def _notification_id(session: Session, case_id: int) -> str | None:
        return session.scalar(
            select(OutboundEmail.message_id)
            .where(OutboundEmail.case_id == case_id, OutboundEmail.kind == "notification")
            .order_by(OutboundEmail.id).limit(1)
        )  # fmt: skip

    def _notified_on(self, session: Session, case_id: int) -> date | None:
        sent = session.scalar(
            select(OutboundEmail.created_at)
            .where(OutboundEmail.case_id == case_id, OutboundEmail.kind == "notification")
            .order_by(OutboundEmail.id).limit(1)
        )  # fmt: skip
        return self.calendar.local_date(sent) if sent else None

    @staticmethod
    def _reminders_sent(session: Session, case_id: int) -> int:
        kinds = ("reminder", "second_reminder")
        rows = session.scalars(
            select(OutboundEmail.id).where(OutboundEmail.case_id == case_id, OutboundEmail.kind.in_(kinds),
                                           OutboundEmail.state == "sent")
        )  # fmt: skip
        return len(list(rows))

    def _workdays_between(self, first: date, last: date) -> int:
        days, current = 0, first
        while current < last and days < 400:
            current += timedelta(days=1)
            days += self.calendar.is_workday(current)
        return days
