"""The reply block's one definition: what the emails render is what the reader reads."""

from __future__ import annotations

from datetime import date

import pytest

from messaging import quote_patterns
from messaging.outcome_fields import FIELD_LABELS as READER_LABELS
from messaging.outcome_fields import parse_outcome
from messaging.render import AskBackData, FollowUpData, NotificationData, ReminderData, Renderer
from messaging.reply_block import (
    BLOCK_END,
    BLOCK_START,
    FIELD_LABELS,
    FIELDS,
    FillStyle,
    empty_block,
    field,
    fill_block,
)
from workflows.labels import ANSWERS, CONTACT_FORMS
from workflows.model import Answer, ContactForm, Outcome

YES, NO, UNKNOWN = Answer.YES, Answer.NO, Answer.UNKNOWN
MAILBOX, TOKEN, MID = "zelfmelders@leeuwarden.example", "t0k3n@antwoord.koers.example", "<a@koers.example>"


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def test_the_block_koers_sends_reads_as_not_answered() -> None:
    reading = parse_outcome(empty_block())

    assert reading.is_empty and not reading.problems and reading.outcome == Outcome()


def test_each_email_with_a_block_renders_it_from_the_definition(renderer: Renderer) -> None:
    notification = NotificationData("ZM-000042", "Leeuwarden", date(2025, 3, 17), 14, "PI Veenhuizen", 30, "Anna",
                                    "Bakker", date(1990, 5, 14), "Nieuwe zelfmelder.", "op woonplaats")  # fmt: skip
    reminder = ReminderData("ZM-000042", "Leeuwarden", date(2025, 3, 17), 9, date(2025, 3, 3), 5)
    partial = Outcome(YES, ContactForm.PHONE)
    mails = {
        empty_block(): [
            renderer.notification(notification, to=MAILBOX, reply_to=TOKEN, message_id=MID, letter_pdf=b"%PDF"),
            renderer.reminder(reminder, to=MAILBOX, reply_to=TOKEN, message_id=MID),
            renderer.reminder(reminder, to=MAILBOX, reply_to=TOKEN, message_id=MID, second=True),
        ],
        empty_block(["actions", "life_domains", "known_to_care"]): [
            renderer.follow_up(
                FollowUpData("ZM-000042", "Leeuwarden", date(2025, 3, 17), 9, partial),
                to=MAILBOX,
                reply_to=TOKEN,
                message_id=MID,
            ),  # fmt: skip
        ],
        empty_block(["contact", "actions"]): [
            renderer.ask_back(
                AskBackData("ZM-000042", ("Contact: misschien",), ("actions", "contact")), to=MAILBOX, message_id=MID
            ),  # fmt: skip
        ],
    }

    for block, rendered in mails.items():
        for mail in rendered:
            assert f"\n{block}\n" in mail.text, mail.kind
    assert len(FIELDS) == 6 and BLOCK_START in empty_block() and empty_block().endswith(BLOCK_END)


def test_questions_and_hints_use_the_words_of_the_labels_module() -> None:
    assert field("contact").hint == f"{ANSWERS[YES]}/{ANSWERS[NO]}"
    assert field("contact_form").hint == " / ".join(CONTACT_FORMS.values())
    assert field("contact_form").question == (
        "Hoe was het contact? Kies: reactie op de brief, telefonisch, huisbezoek of anders."
    )
    assert field("note").line() == "Toelichting:" and field("actions").line("ja") == "Acties uitgezet: ja"


def test_the_reader_uses_the_labels_of_the_definition() -> None:
    assert READER_LABELS == FIELD_LABELS
    assert list(FIELD_LABELS) == ["contact", "contact_form", "actions", "life_domains", "known_to_care", "note"]


@pytest.mark.parametrize(("key", "spelling"), [(f.key, spelling) for f in FIELDS for spelling in f.keys])
def test_every_key_spelling_of_the_definition_is_read(key: str, spelling: str) -> None:
    value = {"contact_form": "telefonisch", "life_domains": "werk", "note": "iets"}.get(key, "nee")
    text = f"Contact: ja\n{spelling.capitalize()}: {value}" if key != "contact" else f"{spelling}: {value}"

    reading = parse_outcome(text)

    assert key in reading.recognised_fields and not reading.problems


@pytest.mark.parametrize("form", list(ContactForm))
def test_every_contact_form_word_koers_writes_is_read_back(form: ContactForm) -> None:
    outcome = Outcome(YES, form, NO, (), NO)

    assert parse_outcome(fill_block(outcome)).outcome == outcome


def test_the_contact_form_without_the_article_is_still_read() -> None:
    # The labels module says "reactie op de brief"; blocks sent before it said "reactie op brief".
    for text in ("Vorm van contact: reactie op brief", "Vorm van contact: reactie op de brief"):
        assert parse_outcome(f"Contact: ja\n{text}").outcome.contact_form is ContactForm.LETTER
    old_hint = "Vorm van contact: reactie op brief / telefonisch / huisbezoek / anders"
    assert parse_outcome(f"Contact: ja\n{old_hint}").outcome.contact_form is None


def test_fill_styles_say_the_same_outcome_in_three_ways() -> None:
    outcome = Outcome(YES, None, UNKNOWN, (), NO, "Belt terug.\nVolgende week.")

    template, explicit, lines = (fill_block(outcome, style=style) for style in FillStyle)

    assert "Acties uitgezet: ja/nee" in template and "Vorm van contact: reactie op de brief /" in template
    assert "Acties uitgezet: onbekend" in explicit and "\nVorm van contact:\n" in explicit
    assert lines == "Contact: ja\nAl bekend bij hulpverlening: nee\nToelichting: Belt terug.\nVolgende week."
    assert {parse_outcome(text).outcome for text in (template, explicit, lines)} == {outcome}


def test_an_unknown_contact_is_written_so_the_block_is_not_asked_back() -> None:
    outcome = Outcome(UNKNOWN, None, NO)

    text = fill_block(outcome, style=FillStyle.LINES)

    assert text == "Contact: onbekend\nActies uitgezet: nee"
    assert not parse_outcome(text).problems and parse_outcome(text).outcome == outcome


def test_fill_block_can_answer_only_the_fields_asked_for() -> None:
    text = fill_block(Outcome(YES, ContactForm.VISIT, YES, ("werk",), NO), keys=["life_domains", "actions"])

    assert text.splitlines()[1:-1] == ["Acties uitgezet: ja", "Leefgebieden: werk"]
    with pytest.raises(KeyError):
        fill_block(Outcome(), keys=["colour"])


def test_quote_stripping_protects_every_label_of_the_block() -> None:
    # A closing greeting above the block must not be cut off as a signature (messaging.quotes, rule 4).
    for f in FIELDS:
        assert quote_patterns.is_answer_field(f.line("x")), f.label


@pytest.mark.parametrize(
    ("line", "note"),
    [
        ("Toelichting: *niet* bellen na 17:00", "*niet* bellen na 17:00"),
        ("**Toelichting:** *niet* bellen", "*niet* bellen"),
        ("*Toelichting*: __dringend__", "__dringend__"),
        ("- Toelichting: twee  keer gebeld", "twee  keer gebeld"),
        ("Toelichtng: 3 * 2 gesprekken", "3 * 2 gesprekken"),
    ],
)
def test_the_first_line_of_a_note_is_kept_as_typed(line: str, note: str) -> None:
    # Found by the round-trip property: the first line lost its '*' and '_' and doubled spaces, the
    # lines below it kept theirs.
    reading = parse_outcome(f"Contact: nee\n{line}\n- tweede *regel*")

    assert reading.outcome.note == f"{note}\n- tweede *regel*"
