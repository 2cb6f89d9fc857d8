"""Rendering of every outgoing email, template overrides, message ids and MIME headers."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import jinja2
import pytest

from messaging.email_message import HeaderInjectionError, OutgoingEmail, to_mime
from messaging.render import (
    AskBackData,
    ConfirmationData,
    EscalationData,
    FollowUpData,
    NotificationData,
    ReminderData,
    Renderer,
    days_phrase,
    dutch_date,
    make_message_id,
    sentence_band,
)
from workflows.model import Answer, ContactForm, Outcome

SENDER = "Zelfmelders 3Noord <zelfmelders@koers.example>"
MAILBOX = "zelfmelders@leeuwarden.example"
TOKEN = "t0k3n@antwoord.koers.example"
NOTIFIED_ID = "<zm-000042.notification.1@koers.example>"
PERSON = ("Sjoukje Zoë", "de Vries", "Tsjerkestrjitte", "8701 AB", "Boalsert", "14 mei 1990", "06 1234 5678")
NOTIFICATION = NotificationData(
    case_ref="ZM-000042",
    municipality_name="Leeuwarden",
    report_date=date(2025, 3, 17),
    days_left=14,
    institution="PI Veenhuizen",
    sentence_days=30,
    given_names="Sjoukje Zoë",
    surname="de Vries",
    birth_date=date(1990, 5, 14),
    reason="Er is een nieuwe zelfmelder aan uw gemeente toegewezen.",
    routed_by="op woonplaats Boalsert",
    street="Tsjerkestrjitte",
    house_number="12a",
    postcode="8701 AB",
    woonplaats="Boalsert",
    phone="06 1234 5678",
)
REMINDER = ReminderData("ZM-000042", "Leeuwarden", date(2025, 3, 17), 9, date(2025, 3, 3), 5)
ESCALATION = EscalationData(
    case_ref="ZM-000042",
    municipality_name="Leeuwarden",
    cbs_code="GM0080",
    report_date=date(2025, 3, 17),
    days_left=6,
    reason="Na twee herinneringen is er nog geen uitkomst vastgelegd.",
    notified_mailbox=MAILBOX,
    notified_on=date(2025, 3, 3),
    reminders_sent=2,
)
REPLY_BLOCK = """--- Beantwoord deze e-mail en vul hieronder in ---
Contact: ja/nee
Vorm van contact: reactie op de brief / telefonisch / huisbezoek / anders
Acties uitgezet: ja/nee
Leefgebieden: (bijv. huisvesting, inkomen, schulden, werk, zorg, relaties)
Al bekend bij hulpverlening: ja/nee
Toelichting:
--- Einde ---"""


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def notification(renderer: Renderer, data: NotificationData = NOTIFICATION) -> OutgoingEmail:
    return renderer.notification(
        data, to=MAILBOX, reply_to=TOKEN, message_id=NOTIFIED_ID, letter_pdf=b"%PDF-1.4 test", cbs_code="GM0080"
    )


def every_kind(renderer: Renderer) -> dict[str, OutgoingEmail]:
    partial = Outcome(contact=Answer.YES, contact_form=ContactForm.PHONE)
    mid = "<zm-000042.x.1@koers.example>"
    return {
        "notification": notification(renderer),
        "reminder": renderer.reminder(REMINDER, to=MAILBOX, reply_to=TOKEN, message_id=mid),
        "second_reminder": renderer.reminder(REMINDER, to=MAILBOX, reply_to=TOKEN, message_id=mid, second=True),
        "escalation": renderer.escalation(ESCALATION, to="coordinator@zvh-fryslan.example", message_id=mid),
        "follow_up": renderer.follow_up(
            FollowUpData("ZM-000042", "Leeuwarden", date(2025, 3, 17), 9, partial),
            to=MAILBOX, reply_to=TOKEN, message_id=mid,
        ),
        "confirmation": renderer.confirmation(
            ConfirmationData("ZM-000042", "Leeuwarden", partial), to=MAILBOX, reply_to=TOKEN, message_id=mid
        ),
        "ask_back": renderer.ask_back(
            AskBackData("ZM-000042", ("Contact: misschien",), ("contact",)), to=MAILBOX, message_id=mid
        ),
    }  # fmt: skip


def test_every_kind_has_the_reference_in_a_dutch_subject_without_a_name(renderer: Renderer) -> None:
    for kind, mail in every_kind(renderer).items():
        assert mail.subject.startswith("[ZM-000042] "), kind
        assert mail.kind == kind
        assert mail.headers["X-Koers-Reference"] == "ZM-000042"
        assert not any(part in mail.subject for part in ("Sjoukje", "Vries", "Boalsert"))
        assert "{{" not in mail.text and mail.text.endswith("\n")


@pytest.mark.parametrize("kind", ["reminder", "second_reminder", "escalation", "follow_up", "confirmation", "ask_back"])
def test_emails_after_the_notification_carry_no_personal_data(renderer: Renderer, kind: str) -> None:
    mail = every_kind(renderer)[kind]

    for detail in PERSON:
        assert detail not in mail.text, detail
    assert not mail.attachments


def test_notification_subject_matches_the_agreed_wording(renderer: Renderer) -> None:
    assert notification(renderer).subject == "[ZM-000042] Zelfmelder: verzoek om contact vóór detentie"


def test_notification_holds_the_facts_staff_need_to_act(renderer: Renderer) -> None:
    text = notification(renderer).text

    for fact in ("Sjoukje Zoë de Vries", "14 mei 1990", "Tsjerkestrjitte 12a, 8701 AB Boalsert", "06 1234 5678",
                 "maandag 17 maart 2025", "over 14 dagen", "PI Veenhuizen", "3 weken tot 3 maanden",
                 "op woonplaats Boalsert", NOTIFICATION.reason, "brief-ZM-000042.pdf"):  # fmt: skip
        assert fact in text, fact
    assert "E-mail:           onbekend" in text
    assert "30" not in text  # the exact sentence length stays out


def test_notification_reply_block_has_the_exact_shape_the_parser_reads(renderer: Renderer) -> None:
    text = notification(renderer).text

    assert REPLY_BLOCK in text
    before = text[: text.index(REPLY_BLOCK)].rstrip().splitlines()[-1]
    assert "boven de geciteerde tekst" in before and "[ZM-000042] in het onderwerp" in before


def test_notification_attaches_the_letter_and_sets_reply_to(renderer: Renderer) -> None:
    mail = notification(renderer)

    assert mail.to == (MAILBOX,) and mail.reply_to == TOKEN and mail.message_id == NOTIFIED_ID
    (attachment,) = mail.attachments
    assert (attachment.filename, attachment.content_type, attachment.data) == (
        "brief-ZM-000042.pdf", "application/pdf", b"%PDF-1.4 test",
    )  # fmt: skip


def test_urgent_notification_says_so_first(renderer: Renderer) -> None:
    mail = notification(renderer, replace(NOTIFICATION, urgent=True, days_left=3))

    assert mail.subject.startswith("[ZM-000042] SPOED")
    assert mail.text.startswith("SPOED: de meldingsdatum is over 3 dagen.")
    assert not notification(renderer).text.startswith("SPOED")


def test_reminders_say_why_and_point_to_the_earlier_notification(renderer: Renderer) -> None:
    mails = every_kind(renderer)
    first, second = mails["reminder"], mails["second_reminder"]

    for mail in (first, second):
        assert "Na 5 werkdagen" in mail.text and "3 maart 2025" in mail.text
        assert "maandag 17 maart 2025, over 9 dagen" in mail.text
        assert "eerdere melding" in mail.text and REPLY_BLOCK in mail.text
    assert first.subject == "[ZM-000042] Herinnering: uitkomst zelfmelder nog niet ontvangen"
    assert "coördinator" in second.text and "coördinator" not in first.text


def test_reminder_threads_under_the_notification(renderer: Renderer) -> None:
    mail = renderer.reminder(REMINDER, to=MAILBOX, reply_to=TOKEN, message_id="<a@b.example>", in_reply_to=NOTIFIED_ID)

    assert mail.headers["In-Reply-To"] == NOTIFIED_ID and mail.headers["References"] == NOTIFIED_ID


def test_escalation_names_municipality_reason_mailbox_and_time_left(renderer: Renderer) -> None:
    mail = every_kind(renderer)["escalation"]

    assert mail.subject == "[ZM-000042] Escalatie: geen uitkomst van de gemeente Leeuwarden"
    for fact in ("Leeuwarden (GM0080)", ESCALATION.reason, MAILBOX, "maandag 17 maart 2025 (over 6 dagen)",
                 f"\nMelding gestuurd:  3 maart 2025 aan {MAILBOX}\nHerinneringen:     2\n"):  # fmt: skip
        assert fact in mail.text, fact
    assert mail.to == ("coordinator@zvh-fryslan.example",)


def test_follow_up_asks_only_for_the_missing_part(renderer: Renderer) -> None:
    mail = every_kind(renderer)["follow_up"]
    text = mail.text

    assert "contact was (telefonisch)" in text
    block = text[text.index("--- Beantwoord") :]
    assert "Acties uitgezet: ja/nee" in block and "Al bekend bij hulpverlening: ja/nee" in block
    assert "Contact: ja/nee" not in block and "Vorm van contact" not in block
    assert mail.subject == "[ZM-000042] Aanvulling gevraagd: zijn er acties uitgezet?"


def test_confirmation_summarises_what_was_recorded(renderer: Renderer) -> None:
    outcome = Outcome(Answer.YES, ContactForm.LETTER, Answer.YES, ("huisvesting", "schulden"), Answer.NO, "Belt terug")
    mail = renderer.confirmation(ConfirmationData("ZM-000042", "Leeuwarden", outcome), to=MAILBOX, message_id="<a@b.c>")

    for line in ("- Contact met de zelfmelder: ja (reactie op de brief)", "- Acties uitgezet: ja",
                 "- Leefgebieden: huisvesting, schulden", "- Al bekend bij hulpverlening: nee",
                 "- Toelichting: Belt terug", "Klopt iets niet? Antwoord op deze e-mail"):  # fmt: skip
        assert line in mail.text, line
    assert "later een korte vraag" not in mail.text
    assert "later een korte vraag" in every_kind(renderer)["confirmation"].text


def test_ask_back_quotes_unreadable_lines_and_asks_exactly_what_is_needed(renderer: Renderer) -> None:
    data = AskBackData("ZM-000042", ("Contact: misschien", "Acties: weet niet"), ("contact", "actions"))
    text = renderer.ask_back(data, to=MAILBOX, message_id="<a@b.c>").text

    assert "> Contact: misschien\n> Acties: weet niet" in text
    assert "- Contact: Was er contact met de zelfmelder? Vul ja of nee in." in text
    assert "Contact: ja/nee\nActies uitgezet: ja/nee\n--- Einde ---" in text
    with pytest.raises(ValueError, match="onbekende antwoordvelden"):
        renderer.ask_back(AskBackData("ZM-000042", (), ("colour",)), to=MAILBOX, message_id="<a@b.c>")


def write_template(root: Path, name: str, text: str, cbs_code: str | None = None) -> None:
    folder = root / "municipalities" / cbs_code if cbs_code else root
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def test_escalation_without_a_mailbox_says_the_municipality_was_not_notified(renderer: Renderer) -> None:
    data = replace(ESCALATION, notified_mailbox=None, notified_on=None, reminders_sent=0)

    text = renderer.escalation(data, to="c@zvh.example", message_id="<a@b.c>").text

    assert "Melding gestuurd:  nog niet: er is geen e-mailadres van de gemeente bekend\n" in text


def test_municipality_template_wins_over_the_general_one(tmp_path: Path) -> None:
    write_template(tmp_path, "notification.txt.j2", "Eigen onderwerp\n\nHoi {{ municipality_name }}\n", "GM0080")
    renderer = Renderer([tmp_path])

    assert notification(renderer).subject == "[ZM-000042] Eigen onderwerp"
    assert notification(renderer).text == "Hoi Leeuwarden\n"
    other = renderer.reminder(REMINDER, to=MAILBOX, reply_to=TOKEN, message_id="<a@b.c>", cbs_code="GM0080")
    assert other.subject.startswith("[ZM-000042] Herinnering")  # no override: the general template


def test_extra_directory_wins_over_package_templates_and_municipality_over_both(tmp_path: Path) -> None:
    write_template(tmp_path, "escalation.txt.j2", "Algemeen\n\nx\n")
    write_template(tmp_path, "escalation.txt.j2", "Voor Leeuwarden\n\nx\n", "GM0080")
    renderer = Renderer([tmp_path])
    mid = "<a@b.c>"

    assert renderer.escalation(ESCALATION, to=MAILBOX, message_id=mid).subject == "[ZM-000042] Voor Leeuwarden"
    groningen = replace(ESCALATION, cbs_code="GM0014")
    assert renderer.escalation(groningen, to=MAILBOX, message_id=mid).subject == "[ZM-000042] Algemeen"


def test_unknown_template_variable_fails_loudly(tmp_path: Path) -> None:
    write_template(tmp_path, "notification.txt.j2", "Onderwerp\n\n{{ voornaam }}\n", "GM0080")

    with pytest.raises(jinja2.UndefinedError):
        notification(Renderer([tmp_path]))


def test_cbs_code_cannot_reach_outside_the_template_folders(renderer: Renderer) -> None:
    with pytest.raises(ValueError, match="CBS-code"):
        renderer.template("letter.txt.j2", "../../etc")


KEY = b"test-secret-key-of-at-least-32-bytes!"


def test_message_ids_are_deterministic_and_unguessable_without_the_key() -> None:
    first = make_message_id("notification", 42, 1, "koers.example", key=KEY)

    assert re.fullmatch(r"<zm-000042\.notification\.1\.[a-z2-7]{16}@koers\.example>", first)
    assert make_message_id("notification", 42, 1, "koers.example", key=KEY) == first
    assert make_message_id("reminder", 42, 1, "koers.example", key=KEY) != first
    assert make_message_id("notification", 42, 2, "koers.example", key=KEY) != first
    # The guessable form of the forged bounce ("<zm-0000NN.notification.1@...>") is not an id Koers uses,
    # and another key gives another id: only the key holder can name a Message-ID.
    assert first != "<zm-000042.notification.1@koers.example>"
    assert make_message_id("notification", 42, 1, "koers.example", key=b"another-key-of-at-least-32-bytes!!") != first
    for bad in (("Notification\n", 42, 1, "koers.example"), ("reminder", 42, 0, "koers.example"),
                ("reminder", 42, 1, "koers.example>\r\nBcc: x")):  # fmt: skip
        with pytest.raises(ValueError):
            make_message_id(*bad, key=KEY)
    with pytest.raises(ValueError):
        make_message_id("reminder", 42, 1, "koers.example", key=b"short")


def test_to_mime_sets_every_required_header(renderer: Renderer) -> None:
    when = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
    raw = to_mime(notification(renderer), SENDER, date=when).as_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)

    assert parsed["From"] == SENDER and parsed["To"] == MAILBOX and parsed["Reply-To"] == TOKEN
    assert parsed["Subject"] == "[ZM-000042] Zelfmelder: verzoek om contact vóór detentie"
    assert parsed["Message-ID"] == NOTIFIED_ID
    assert parsed["Date"] == "Mon, 03 Mar 2025 09:30:00 +0000"
    assert parsed["Auto-Submitted"] == "auto-generated" and parsed["X-Auto-Response-Suppress"] == "All"
    assert parsed["MIME-Version"] == "1.0"
    body = parsed.get_body(preferencelist=("plain",))
    assert body is not None and "Sjoukje Zoë de Vries" in body.get_content()
    (pdf,) = list(parsed.iter_attachments())
    assert pdf.get_content_type() == "application/pdf" and pdf.get_filename() == "brief-ZM-000042.pdf"
    assert pdf.get_content() == b"%PDF-1.4 test"


def test_to_mime_is_stable_for_a_resend(renderer: Renderer) -> None:
    when = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
    mail = every_kind(renderer)["reminder"]

    assert to_mime(mail, SENDER, date=when)["Message-ID"] == to_mime(mail, SENDER, date=when)["Message-ID"]


@pytest.mark.parametrize(
    "field, value",
    [
        ("subject", "Hallo\r\nBcc: iedereen@example.org"),
        ("subject", "Hallo\nBcc: iedereen@example.org"),
        ("subject", "Hallo\u2028Bcc: iedereen@example.org"),
        ("to", ("a@b.example\r\nBcc: x@y.example",)),
        ("to", ("geen adres",)),
        ("reply_to", "t@antwoord.example\nBcc: x@y.example"),
        ("message_id", "<a@b.example>\r\nBcc: x@y.example"),
        ("message_id", "geen-id"),
        ("headers", {"X-Extra": "ja\r\nBcc: x@y.example"}),
        ("headers", {"Bcc: x": "y"}),
        ("headers", {"From": "iemand@anders.example"}),
    ],
)
def test_header_injection_is_rejected(renderer: Renderer, field: str, value: object) -> None:
    mail = replace(every_kind(renderer)["reminder"], **{field: value})

    with pytest.raises(HeaderInjectionError):
        to_mime(mail, SENDER)


def test_injection_through_the_sender_or_attachment_name_is_rejected(renderer: Renderer) -> None:
    mail = notification(renderer)
    with pytest.raises(HeaderInjectionError):
        to_mime(mail, "x@y.example\r\nBcc: z@y.example")
    bad = replace(mail, attachments=(replace(mail.attachments[0], filename="a.pdf\r\nX: y"),))
    with pytest.raises(HeaderInjectionError):
        to_mime(bad, SENDER)


def test_dutch_formatting_helpers() -> None:
    assert dutch_date(date(2025, 3, 17)) == "17 maart 2025"
    assert dutch_date(date(2025, 3, 17), weekday=True) == "maandag 17 maart 2025"
    assert [days_phrase(n) for n in (12, 1, 0, -1, -3)] == [
        "over 12 dagen", "morgen", "vandaag", "gisteren", "3 dagen geleden",
    ]  # fmt: skip
    assert [sentence_band(d) for d in (21, 22, 91, 92)] == [
        "korte straf (maximaal 3 weken)", "3 weken tot 3 maanden", "3 weken tot 3 maanden", "langer dan 3 maanden",
    ]  # fmt: skip
