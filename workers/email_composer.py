"""Builds the MIME message for one outbound email row from the database state.

Rendering happens when the email is sent, from the case as it is then, with the row's stable
Message-ID — so a retry produces the same message. Personal data is only put where the template
asks for it (the notification and the letter); reminders and escalations carry the reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import Connection

from messaging.email_data import (
    AskBackData,
    ConfirmationData,
    DetaineeNotificationData,
    EscalationData,
    FollowUpData,
    NoticeData,
    NotificationData,
    ProposalData,
    ReminderData,
)
from messaging.email_message import (
    OutgoingEmail,
    to_mime,
)
from messaging.letter import LetterData
from messaging.render import Renderer
from messaging.smtp import SendEnvelope
from messaging.tokens import reply_address
from messaging.verp import bounce_address
from schema import email_store, inbound_rows, proposal_store
from schema.email_store import CaseFields, EmailFields
from workers.contacts import Contacts
from workflows.calendar import WorkdayCalendar
from workflows.commands import EmailKind, Recipient
from workflows.labels import ROUTED_BY, label
from workflows.model import Outcome, TargetGroup, case_reference


@dataclass(frozen=True)
class EmailComposer:
    """Renders email rows; needs the secret key for the signed Reply-To address."""

    renderer: Renderer
    contacts: Contacts
    calendar: WorkdayCalendar
    secret_key: bytes
    sender: str
    reply_domain: str

    def compose(self, connection: Connection, email: EmailFields, now: datetime, case: CaseFields,
                municipality_name: str | None) -> EmailMessage:  # fmt: skip
        """The MIME message of ``email`` about ``case`` (``municipality_name``: of the case's cbs_code)."""
        assert email.to_address is not None
        name = municipality_name or "onbekend"
        today = self.calendar.local_date(now)
        ref = case_reference(case.id)
        reply_to = reply_address(self.secret_key, case.id, case.cbs_code or "", self.reply_domain)
        days_left = (case.deadline - today).days
        if email.kind == EmailKind.NOTIFICATION:
            outgoing = self._notification(email, case, name, today, reply_to)
        elif email.kind in (EmailKind.REMINDER, EmailKind.SECOND_REMINDER):
            thread, notified_at = email_store.latest_notification(connection, case.id, email.to_address)
            notified_on = (self.calendar.local_date(notified_at) if notified_at else None) or today
            data = ReminderData(ref, name, case.deadline, days_left, notified_on,
                                self._workdays_between(notified_on, today), case.urgent, case.group)  # fmt: skip
            outgoing = self.renderer.reminder(data, to=email.to_address, reply_to=reply_to, message_id=email.message_id,
                                              in_reply_to=thread, second=email.kind == EmailKind.SECOND_REMINDER,
                                              cbs_code=case.cbs_code)  # fmt: skip
        elif email.kind == EmailKind.ESCALATION:
            _, notified_at = email_store.latest_notification(connection, case.id)
            data_e = EscalationData(ref, name, case.cbs_code or "", case.deadline, days_left, email.reason,
                                    self.contacts.mailbox(case.cbs_code),
                                    self.calendar.local_date(notified_at) if notified_at else None,
                                    email_store.reminders_sent(connection, case.id), case.group)  # fmt: skip
            outgoing = self.renderer.escalation(data_e, to=email.to_address, message_id=email.message_id)
        elif email.kind == EmailKind.FOLLOW_UP:
            thread, _ = email_store.latest_notification(connection, case.id, email.to_address)
            data_f = FollowUpData(ref, name, case.deadline, days_left, case.outcome, case.group)
            outgoing = self.renderer.follow_up(data_f, to=email.to_address, reply_to=reply_to,
                                               message_id=email.message_id, in_reply_to=thread,
                                               cbs_code=case.cbs_code)  # fmt: skip
        elif email.kind in (EmailKind.CONFIRMATION, EmailKind.ASK_BACK, EmailKind.PROPOSAL):
            outgoing = self._answer(connection, email, case, ref, name, reply_to)
        elif email.kind in (EmailKind.REROUTED, EmailKind.NOT_RESIDENT_RECEIVED):
            outgoing = self._notice(connection, email, case, ref, reply_to)
        else:
            raise ValueError(f"onbekende e-mailsoort {email.kind}")
        return to_mime(outgoing, self.sender, date=now)

    def _notification(self, email: EmailFields, case: CaseFields, name: str, today: date,
                      reply_to: str) -> OutgoingEmail:  # fmt: skip
        """The notification of the case's group: a self-reporter's with the letter, a detainee's without."""
        assert email.to_address is not None
        if case.group is TargetGroup.DETAINEE:
            return self.renderer.detainee_notification(
                self._detainee_data(case, name, today, email.reason), to=email.to_address, reply_to=reply_to,
                message_id=email.message_id, cbs_code=case.cbs_code,
            )  # fmt: skip
        letter = self.renderer.letter_pdf(self._letter_data(case, name, today), case.cbs_code or "")
        return self.renderer.notification(
            self._notification_data(case, name, today, email.reason), to=email.to_address, reply_to=reply_to,
            message_id=email.message_id, cbs_code=case.cbs_code, letter_pdf=letter,
        )  # fmt: skip

    def envelope(self, email: EmailFields, cbs_code: str | None) -> SendEnvelope:
        """This email's own signed VERP sender, and whether its municipality demands an encrypted relay."""
        municipal = email.recipient != Recipient.COORDINATOR
        return SendEnvelope(sender=bounce_address(self.secret_key, email.id, self.reply_domain),
                            require_tls=municipal and self.contacts.municipality(cbs_code).require_tls)  # fmt: skip

    def _answer(self, connection: Connection, email: EmailFields, case: CaseFields, ref: str, name: str,
                reply_to: str) -> OutgoingEmail:  # fmt: skip
        """The confirmation of a recorded outcome, or the question about what could not be read."""
        assert email.to_address is not None
        if email.kind == EmailKind.CONFIRMATION:
            outcome = case.outcome
            return self.renderer.confirmation(ConfirmationData(ref, name, outcome, case.group), to=email.to_address,
                                              message_id=email.message_id, reply_to=reply_to,
                                              in_reply_to=email.in_reply_to, cbs_code=case.cbs_code)  # fmt: skip
        details = inbound_rows.details_of(connection, email.inbound_id) if email.inbound_id else {}
        if email.kind == EmailKind.PROPOSAL:
            proposed = proposal_store.proposed_for_inbound(connection, email.inbound_id or 0) or Outcome()
            return self.renderer.proposal(ProposalData(ref, proposed, tuple(details.get("needed", ()))),
                                          to=email.to_address, message_id=email.message_id, reply_to=reply_to,
                                          in_reply_to=email.in_reply_to, cbs_code=case.cbs_code)  # fmt: skip
        problems = [p for p in details.get("problems", []) if p.get("line") and not p.get("flag")]
        lines = tuple(str(p["line"]) for p in problems)
        needed = tuple(details.get("needed", ())) or ("contact", "actions")
        read = tuple((str(key), str(value)) for key, value in details.get("read", []))
        return self.renderer.ask_back(AskBackData(ref, lines, needed, read, case.group), to=email.to_address,
                                      message_id=email.message_id, reply_to=reply_to, in_reply_to=email.in_reply_to,
                                      cbs_code=case.cbs_code)  # fmt: skip

    def _notice(self, connection: Connection, email: EmailFields, case: CaseFields, ref: str,
                reply_to: str) -> OutgoingEmail:  # fmt: skip
        """To the previous municipality after a re-route (threaded under what it got; no reply address,
        its token no longer fits the case), or the acknowledgement of a "not our resident" reply."""
        assert email.to_address is not None
        if email.kind == EmailKind.REROUTED:
            thread, _ = email_store.latest_notification(connection, case.id, email.to_address)
            return self.renderer.notice(email.kind, NoticeData(ref), to=email.to_address, message_id=email.message_id,
                                        in_reply_to=thread)  # fmt: skip
        details = inbound_rows.details_of(connection, email.inbound_id) if email.inbound_id else {}
        place = (details.get("not_resident") or {}).get("place")
        return self.renderer.notice(email.kind, NoticeData(ref, place), to=email.to_address,
                                    message_id=email.message_id, reply_to=reply_to, in_reply_to=email.in_reply_to,
                                    cbs_code=case.cbs_code)  # fmt: skip

    def _notification_data(self, case: CaseFields, name: str, today: date, reason: str) -> NotificationData:
        return NotificationData(
            case_ref=case_reference(case.id), municipality_name=name, report_date=case.deadline,
            days_left=(case.deadline - today).days, institution=case.institution,
            sentence_days=case.sentence_days, given_names=case.given_names, surname=case.surname,
            birth_date=case.birth_date, reason=reason,
            routed_by=label(ROUTED_BY, case.routing_method),
            street=case.street, house_number=case.house_number, postcode=case.postcode, woonplaats=case.woonplaats,
            phone=case.phone, email=case.email, urgent=case.urgent,
        )  # fmt: skip

    def _detainee_data(self, case: CaseFields, name: str, today: date, reason: str) -> DetaineeNotificationData:
        assert case.custody_since is not None  # a detainee's dates (CHECK constraint ck_cases_group_dates)
        return DetaineeNotificationData(
            case_ref=case_reference(case.id), municipality_name=name, release_date=case.deadline,
            days_left=(case.deadline - today).days, custody_since=case.custody_since, institution=case.institution,
            sentence_days=case.sentence_days, given_names=case.given_names, surname=case.surname,
            birth_date=case.birth_date, reason=reason, routed_by=label(ROUTED_BY, case.routing_method),
            street=case.street, house_number=case.house_number, postcode=case.postcode, woonplaats=case.woonplaats,
            urgent=case.urgent,
        )  # fmt: skip

    def _letter_data(self, case: CaseFields, name: str, today: date) -> LetterData:
        team = self.contacts.municipality(case.cbs_code)
        return LetterData(
            case_ref=case_reference(case.id), recipient_name=f"{case.given_names} {case.surname}",
            street=case.street, house_number=case.house_number, postcode=case.postcode, woonplaats=case.woonplaats,
            report_date=case.deadline, institution=case.institution, municipality_name=name, team=team.team,
            phone=team.phone, team_email=team.mailbox, address=team.address, letter_date=today,
        )  # fmt: skip

    def _workdays_between(self, first: date, last: date) -> int:
        days, current = 0, first
        while current < last and days < 400:
            current += timedelta(days=1)
            days += self.calendar.is_workday(current)
        return days
