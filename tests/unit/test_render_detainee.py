"""A detainee's emails: its own notification (no letter); "vrijlating" where a self-reporter's say "meldingsdatum"."""

from __future__ import annotations

from datetime import date

import pytest

from messaging.render import (
    AskBackData,
    ConfirmationData,
    DetaineeNotificationData,
    EscalationData,
    FollowUpData,
    OutgoingEmail,
    ReminderData,
    Renderer,
)
from workflows.model import Answer, ContactForm, Outcome, TargetGroup

DETAINEE = TargetGroup.DETAINEE
MAILBOX = "zelfmelders@leeuwarden.example"
TOKEN = "t0k3n@antwoord.koers.example"
MID = "<zm-000042.x.1@koers.example>"
NOTIFICATION = DetaineeNotificationData(
    case_ref="ZM-000042", municipality_name="Leeuwarden", release_date=date(2025, 3, 27), days_left=24,
    custody_since=date(2025, 2, 10), institution="PI Leeuwarden", sentence_days=45, given_names="Sjoerd",
    surname="Hoekstra", birth_date=date(1988, 4, 2), reason="Er is een gedetineerde aan uw gemeente toegewezen.",
    routed_by="op woonplaats", street="Nieuwestad", house_number="12", postcode="8911 CT", woonplaats="Leeuwarden",
)  # fmt: skip
PARTIAL = Outcome(contact=Answer.YES, contact_form=ContactForm.VISIT)


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def emails(renderer: Renderer, group: TargetGroup) -> dict[str, OutgoingEmail]:
    reminder = ReminderData("ZM-000042", "Leeuwarden", date(2025, 3, 27), 9, date(2025, 3, 3), 5, group=group)
    escalation = EscalationData("ZM-000042", "Leeuwarden", "GM0080", date(2025, 3, 27), 6, "Geen uitkomst.",
                                MAILBOX, date(2025, 3, 3), 1, group)  # fmt: skip
    return {
        "reminder": renderer.reminder(reminder, to=MAILBOX, reply_to=TOKEN, message_id=MID),
        "second_reminder": renderer.reminder(reminder, to=MAILBOX, reply_to=TOKEN, message_id=MID, second=True),
        "escalation": renderer.escalation(escalation, to="coordinator@zvh-fryslan.example", message_id=MID),
        "follow_up": renderer.follow_up(FollowUpData("ZM-000042", "Leeuwarden", date(2025, 3, 27), 9, PARTIAL, group),
                                        to=MAILBOX, reply_to=TOKEN, message_id=MID),
        "confirmation": renderer.confirmation(ConfirmationData("ZM-000042", "Leeuwarden", PARTIAL, group),
                                              to=MAILBOX, reply_to=TOKEN, message_id=MID),
        "ask_back": renderer.ask_back(AskBackData("ZM-000042", ("Contact: misschien",), ("contact",), group=group),
                                      to=MAILBOX, message_id=MID),
    }  # fmt: skip


def test_the_detainee_notification_asks_to_prepare_the_release_and_carries_no_letter(renderer: Renderer) -> None:
    mail = renderer.detainee_notification(NOTIFICATION, to=MAILBOX, reply_to=TOKEN, message_id=MID, cbs_code="GM0080")

    assert mail.kind == "notification" and mail.attachments == ()
    assert mail.subject == "[ZM-000042] Gedetineerde uit uw gemeente: verzoek om de vrijlating voor te bereiden"
    assert "zit sinds 10 februari 2025 in PI Leeuwarden en komt op donderdag 27 maart 2025 vrij" in mail.text
    assert "Vrijlating:         donderdag 27 maart 2025 (over 24 dagen)" in mail.text
    assert "In detentie sinds:  10 februari 2025" in mail.text
    assert "Strafduur:          3 weken tot 3 maanden" in mail.text  # the band, not the exact days
    assert "Ingeschreven adres: Nieuwestad 12, 8911 CT Leeuwarden" in mail.text
    assert "Koers stuurt daarom geen brief naar het huisadres" in mail.text
    assert "Meldingsdatum" not in mail.text and "zelfmelder" not in mail.text and "Telefoon" not in mail.text
    assert "Contact: ja/nee" in mail.text  # the same reply block as every notification


def test_an_urgent_detainee_notification_says_so_first(renderer: Renderer) -> None:
    urgent = DetaineeNotificationData(**{**vars(NOTIFICATION), "urgent": True, "days_left": 3})

    mail = renderer.detainee_notification(urgent, to=MAILBOX, reply_to=TOKEN, message_id=MID)

    assert mail.subject.startswith("[ZM-000042] SPOED – ")
    assert mail.text.startswith("SPOED: de vrijlating is over 3 dagen.")


@pytest.mark.parametrize("kind", ["reminder", "second_reminder", "follow_up"])
def test_reminders_and_follow_ups_of_a_detainee_name_the_release(renderer: Renderer, kind: str) -> None:
    detainee, self_reporter = emails(renderer, DETAINEE)[kind], emails(renderer, TargetGroup.SELF_REPORTER)[kind]

    assert "De vrijlating is op donderdag 27 maart 2025" in detainee.text and "meldingsdatum" not in detainee.text
    assert "gedetineerde ZM-000042" in detainee.text and "zelfmelder" not in detainee.text + detainee.subject
    assert "De meldingsdatum is donderdag 27 maart 2025" in self_reporter.text
    assert "zelfmelder ZM-000042" in self_reporter.text


def test_a_detainee_reminder_does_not_refer_to_a_letter(renderer: Renderer) -> None:
    # (the reply block's "reactie op de brief" stays: the block has one definition, which the reader uses too)
    detainee = emails(renderer, DETAINEE)["reminder"].text
    assert "Zie de eerdere melding voor de gegevens van de gedetineerde. Die gegevens" in detainee
    assert "gegevens van de zelfmelder en de brief" in emails(renderer, TargetGroup.SELF_REPORTER)["reminder"].text


def test_the_questions_about_missing_answers_name_the_detainee(renderer: Renderer) -> None:
    text = emails(renderer, DETAINEE)["ask_back"].text

    assert "- Contact: Was er contact met de gedetineerde? Vul ja of nee in." in text


def test_the_escalation_of_a_detainee_names_the_release_date(renderer: Renderer) -> None:
    detainee, self_reporter = (emails(renderer, g)["escalation"].text for g in (DETAINEE, TargetGroup.SELF_REPORTER))

    assert "Vrijlating:        donderdag 27 maart 2025 (over 6 dagen)" in detainee
    assert "de vrijlating van de gedetineerde op tijd wordt voorbereid" in detainee and "Meldingsdatum" not in detainee
    assert "Meldingsdatum:     donderdag 27 maart 2025 (over 6 dagen)" in self_reporter


@pytest.mark.parametrize("kind", ["confirmation", "ask_back"])
def test_answers_to_a_detainee_case_name_the_person_as_a_detainee(renderer: Renderer, kind: str) -> None:
    text = emails(renderer, DETAINEE)[kind].text

    assert "gedetineerde ZM-000042" in text and "zelfmelder" not in text
