"""Reading the outcome block from the new text of a municipality's reply."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from messaging.outcome_fields import LIFE_DOMAINS, NOTE_MAX_CHARS, OutcomeReading, parse_outcome
from workflows.model import Answer, ContactForm

YES, NO, UNKNOWN = Answer.YES, Answer.NO, Answer.UNKNOWN

TEMPLATE = """Contact: ja/nee
Vorm van contact: reactie op brief / telefonisch / huisbezoek / anders
Acties uitgezet: ja/nee
Leefgebieden: (bijv. huisvesting, inkomen, schulden, werk, zorg, relaties)
Al bekend bij hulpverlening: ja/nee
Toelichting:
"""

FULL_REPLY = """Hoi,

Contact: ja
Vorm van contact: telefonisch
Acties uitgezet: ja
Leefgebieden: huisvesting, schulden en werk
Al bekend bij hulpverlening: nee
Toelichting: Meneer was goed bereikbaar.
Hij gaat naar de schuldhulp.

Met vriendelijke groet,
Anne
"""


def messages(reading: OutcomeReading) -> list[str]:
    return [problem.message for problem in reading.problems]


def test_a_complete_reply_is_read_without_problems() -> None:
    reading = parse_outcome(FULL_REPLY)

    assert reading.outcome.contact is YES
    assert reading.outcome.contact_form is ContactForm.PHONE
    assert reading.outcome.actions is YES
    assert reading.outcome.life_domains == ("huisvesting", "schulden", "werk")
    assert reading.outcome.known_to_care is NO
    assert reading.outcome.note == "Meneer was goed bereikbaar.\nHij gaat naar de schuldhulp."
    assert not reading.needs_review
    assert reading.recognised_fields == ("contact", "contact_form", "actions", "life_domains", "known_to_care", "note")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ja", YES),
        ("Ja.", YES),
        ("JA", YES),
        ("j", YES),
        ("yes", YES),
        ("y", YES),
        ("jaa", YES),
        ("jaaaa", YES),
        ("Ja, telefonisch gesproken", YES),
        ("ja (via het wijkteam)", YES),
        ("nee", NO),
        ("Nee!", NO),
        ("n", NO),
        ("no", NO),
        ("neen", NO),
        ("nnee", NO),
        ("NEE.", NO),
        ("onbekend", UNKNOWN),
        ("weet niet", UNKNOWN),
        ("Weet ik niet.", UNKNOWN),
        ("?", UNKNOWN),
        ("n.v.t.", UNKNOWN),
    ],
)
def test_yes_no_values_are_read_tolerantly(value: str, expected: Answer) -> None:
    reading = parse_outcome(f"Contact: {value}")

    assert reading.outcome.contact is expected
    assert not reading.needs_review


@pytest.mark.parametrize(
    "line",
    [
        "Contact: ja",
        "Contact ja",
        "Contact - ja",
        "Contact = ja",
        "Contact:ja",
        "  Contact :\t ja  ",
        "CONTACT: JA",
        "- Contact: ja",
        "* Contact: ja",
        "• Contact: ja",
        "1. Contact: ja",
        "*Contact:* ja",
        "**Contact:** ja",
        "Contact (ja/nee): ja",
        "Cntact: ja",
        "Contact\u00a0: ja",
    ],
)
def test_contact_key_is_found_in_any_common_shape(line: str) -> None:
    reading = parse_outcome(line)

    assert reading.outcome.contact is YES
    assert reading.recognised_fields == ("contact",)
    assert not reading.needs_review


@pytest.mark.parametrize(
    ("key", "field"),
    [
        ("Acties uitgezet", "actions"),
        ("Acties", "actions"),
        ("Actie uitgezet", "actions"),
        ("Zijn er acties uitgezet?", "actions"),
        ("Acites uitgezet", "actions"),
        ("Actions", "actions"),
        ("Al bekend bij hulpverlening", "known_to_care"),
        ("Bekend bij hulpverlening", "known_to_care"),
        ("Bekend bij zorg", "known_to_care"),
        ("Known to care services", "known_to_care"),
        ("Al bekend bij hulpverleneng", "known_to_care"),
    ],
)
def test_key_synonyms_and_typos_map_to_their_field(key: str, field: str) -> None:
    reading = parse_outcome(f"Contact: ja\n{key}: nee")

    assert getattr(reading.outcome, field) is NO
    assert field in reading.recognised_fields
    assert not reading.needs_review


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("reactie op brief", ContactForm.LETTER),
        ("Reactie op de brief", ContactForm.LETTER),
        ("brief", ContactForm.LETTER),
        ("schriftelijk", ContactForm.LETTER),
        ("telefonisch", ContactForm.PHONE),
        ("telefoon", ContactForm.PHONE),
        ("gebeld", ContactForm.PHONE),
        ("phone", ContactForm.PHONE),
        ("telefnisch", ContactForm.PHONE),
        ("huisbezoek", ContactForm.VISIT),
        ("bezoek", ContactForm.VISIT),
        ("langs geweest", ContactForm.VISIT),
        ("anders", ContactForm.OTHER),
        ("other", ContactForm.OTHER),
        ("via de wijkagent", ContactForm.OTHER),
    ],
)
def test_contact_form_values(value: str, expected: ContactForm) -> None:
    for key in ("Vorm van contact", "Vorm", "Contactvorm", "Form of contact"):
        reading = parse_outcome(f"Contact: ja\n{key}: {value}")

        assert reading.outcome.contact_form is expected, key
        assert not reading.needs_review


def test_two_contact_forms_are_a_problem_not_a_choice() -> None:
    reading = parse_outcome("Contact: ja\nVorm van contact: telefonisch en huisbezoek")

    assert reading.outcome.contact_form is None
    assert reading.needs_review
    assert reading.problems[0].line == "Vorm van contact: telefonisch en huisbezoek"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("huisvesting, inkomen", ("huisvesting", "inkomen")),
        ("schulden; werk", ("schulden", "werk")),
        ("wonen en geld", ("huisvesting", "inkomen")),
        ("huisvesting/schulden", ("huisvesting", "schulden")),
        ("GGZ, verslavingszorg", ("zorg",)),
        ("dak boven het hoofd", ("huisvesting",)),
        ("id-kaart & paspoort", ("identiteitsbewijs",)),
        ("relaties (kinderen)", ("relaties",)),
        ("Schuldhulp, Dagbesteding.", ("schulden", "werk")),
        ("huisvestng", ("huisvesting",)),
        ("hulp bij schulden", ("schulden",)),
        ("geen", ()),
    ],
)
def test_life_domains_are_normalised_to_canonical_names(value: str, expected: tuple[str, ...]) -> None:
    reading = parse_outcome(f"Contact: ja\nActies uitgezet: ja\nLeefgebieden: {value}")

    assert reading.outcome.life_domains == expected
    assert not reading.needs_review


def test_life_domains_may_be_a_bulleted_list_over_several_lines() -> None:
    text = "Contact: ja\nLeefgebieden:\n- huisvesting\n- werk\n* zorg\nAl bekend bij hulpverlening: ja"

    reading = parse_outcome(text)

    assert reading.outcome.life_domains == ("huisvesting", "werk", "zorg")
    assert reading.outcome.known_to_care is YES


def test_life_domains_continue_after_a_trailing_comma() -> None:
    reading = parse_outcome("Contact: ja\nLeefgebieden: huisvesting,\nschulden\n\nGroet, Anne")

    assert reading.outcome.life_domains == ("huisvesting", "schulden")


def test_an_unknown_life_domain_is_flagged_kept_in_the_note_and_the_known_ones_are_certain() -> None:
    reading = parse_outcome("Contact: ja\nLeefgebieden:\n- wonen\n- hobbyclub")

    assert reading.outcome.life_domains == ("huisvesting",)
    assert not reading.needs_review and reading.certain_fields == ("contact", "life_domains", "note")
    assert reading.problems[0].field == "life_domains" and not reading.problems[0].doubtful
    assert reading.problems[0].line == "- hobbyclub"
    assert "'hobbyclub' is geen bekend leefgebied" in reading.problems[0].message
    assert reading.outcome.note is not None and "hobbyclub" in reading.outcome.note


@pytest.mark.parametrize(
    ("value", "expected"),
    [("wonen, financiën, dagbesteding", ("huisvesting", "werk", "financiën")),
     ("huisvesting (huurachterstand), schulden", ("huisvesting", "schulden")),
     ("geldzaken en wonen", ("huisvesting", "financiën"))],
)  # fmt: skip
def test_everyday_life_domain_words_are_certain(value: str, expected: tuple[str, ...]) -> None:
    reading = parse_outcome(f"Contact: ja\nActies uitgezet: ja\nLeefgebieden: {value}")

    assert reading.outcome.life_domains == expected
    assert not reading.needs_review and "life_domains" in reading.certain_fields


def test_actions_without_life_domains_is_not_a_problem() -> None:
    reading = parse_outcome("Contact: ja\nActies uitgezet: ja")

    assert reading.outcome.actions is YES
    assert reading.outcome.life_domains == ()
    assert reading.outcome.is_complete
    assert not reading.needs_review


def test_life_domains_constant_has_canonical_lowercase_names() -> None:
    assert 7 <= len(LIFE_DOMAINS) <= 9
    assert all(name == name.lower() and name in synonyms for name, synonyms in LIFE_DOMAINS.items())


def test_only_contact_is_a_partial_outcome_without_problems() -> None:
    reading = parse_outcome("Contact: ja")

    assert reading.outcome.is_partial
    assert reading.recognised_fields == ("contact",)
    assert not reading.needs_review


def test_contradictory_repeated_field_is_a_problem_and_left_unknown() -> None:
    reading = parse_outcome("Contact: ja\nActies uitgezet: nee\nContact: nee")

    assert reading.outcome.contact is UNKNOWN
    assert reading.needs_review
    assert reading.problems[0].field == "contact"
    assert reading.problems[0].line == "Contact: nee"


def test_repeating_the_same_answer_is_fine() -> None:
    reading = parse_outcome("Contact: ja\nContact: Ja.")

    assert reading.outcome.contact is YES
    assert not reading.needs_review


def test_contact_no_with_actions_yes_is_contradictory() -> None:
    reading = parse_outcome("Contact: nee\nActies uitgezet: ja")

    assert reading.needs_review and reading.doubtful_fields == {"contact", "actions"}
    assert [p.line for p in reading.problems] == ["Acties uitgezet: ja", "Contact: nee"]
    assert reading.certain_fields == ()


def test_a_contact_form_beside_no_contact_is_set_aside_and_no_contact_is_certain() -> None:
    reading = parse_outcome("Contact: nee\nVorm van contact: huisbezoek")

    assert [(p.field, p.doubtful) for p in reading.problems] == [("contact_form", False)]
    assert reading.outcome.contact is NO and reading.outcome.contact_form is None
    assert reading.certain_fields == ("contact",)


def test_fields_without_contact_are_certain_and_contact_is_simply_absent() -> None:
    reading = parse_outcome("Acties uitgezet: ja\nLeefgebieden: werk")

    assert not reading.needs_review
    assert reading.certain_fields == ("actions", "life_domains")


def test_a_dated_update_in_the_same_mail_replaces_the_earlier_answer() -> None:
    reading = parse_outcome("Contact: ja\nActies uitgezet: nee\n\nUpdate 14-3: Acties uitgezet: ja\nLeefgebieden: werk")

    assert reading.outcome.actions is YES and not reading.needs_review
    assert reading.superseded == {"actions": NO}


def test_an_update_marker_line_above_the_new_fields_also_replaces() -> None:
    reading = parse_outcome("Contact: nee\n\nAanvulling 15 maart:\nContact: ja\nActies uitgezet: nee")

    assert (reading.outcome.contact, reading.outcome.actions) == (YES, NO) and not reading.needs_review
    assert reading.superseded == {"contact": NO}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("misschien", "'misschien' is geen ja of nee"),
        ("ja nee", "'ja nee' is geen ja of nee"),
        ("nve", "'nve' is niet eenduidig: antwoord met ja, nee of onbekend"),
    ],
)
def test_unreadable_values_are_problems_quoting_the_line(value: str, message: str) -> None:
    reading = parse_outcome(f"Hoi,\n\nContact: {value}\n\nGroet")

    assert reading.outcome.contact is UNKNOWN
    assert reading.needs_review
    assert not reading.is_empty
    assert reading.problems[0].line == f"Contact: {value}"
    assert reading.problems[0].message == message


def test_short_values_are_never_matched_fuzzily() -> None:
    reading = parse_outcome("Contact: na")

    assert reading.outcome.contact is UNKNOWN
    assert messages(reading) == ["'na' is geen ja of nee"]


def test_the_untouched_template_is_empty_and_not_a_problem() -> None:
    reading = parse_outcome(TEMPLATE)

    assert reading.is_empty
    assert not reading.needs_review
    assert reading.outcome.contact is UNKNOWN
    assert reading.outcome.contact_form is None


def test_template_placeholders_left_in_do_not_count_as_answers() -> None:
    reading = parse_outcome(TEMPLATE.replace("Contact: ja/nee", "Contact: nee"))

    assert reading.outcome.contact is NO
    assert reading.recognised_fields == ("contact",)
    assert not reading.needs_review


def test_value_on_the_next_line_after_a_bare_key() -> None:
    reading = parse_outcome("Contact:\nja\nActies uitgezet:\n\nnee\nToelichting:\nGesproken met moeder.")

    assert reading.outcome.contact is YES
    assert reading.outcome.actions is NO
    assert reading.outcome.note == "Gesproken met moeder."


def test_an_unreadable_next_line_value_quotes_that_line() -> None:
    reading = parse_outcome("Contact:\nmisschien")

    assert reading.problems[0].line == "misschien"


def test_html_to_text_bold_markers() -> None:
    reading = parse_outcome("*Contact:* Ja\n**Acties uitgezet:** nee\n*Al bekend bij hulpverlening:* ja")

    assert (reading.outcome.contact, reading.outcome.actions, reading.outcome.known_to_care) == (YES, NO, YES)


def test_an_english_reply() -> None:
    text = (
        "Contact: yes\nForm of contact: home visit\nActions: yes\nLife domains: housing, debts\n"
        "Known to care services: no\nNote: Met him at home."
    )

    reading = parse_outcome(text)

    assert reading.outcome.contact is YES
    assert reading.outcome.contact_form is ContactForm.VISIT
    assert reading.outcome.life_domains == ("huisvesting", "schulden")
    assert reading.outcome.known_to_care is NO
    assert reading.outcome.note == "Met him at home."


def test_typos_in_keys_and_values() -> None:
    reading = parse_outcome("Cntact: jaa\nAcites uitgezet: nnee\nLeefgebeiden: schuldne")

    assert reading.outcome.contact is YES
    assert reading.outcome.actions is NO
    assert reading.outcome.life_domains == ("schulden",)


def test_a_key_with_a_typo_and_an_unreadable_value_is_prose() -> None:
    reading = parse_outcome("Contract: huurcontract opgezegd")

    assert reading.is_empty
    assert not reading.needs_review


def test_the_note_continues_over_lines_until_the_next_key_or_the_end_marker() -> None:
    text = (
        "Contact: ja\nToelichting: Eerste regel.\n\n- tweede alinea\nderde regel\n"
        "Acties uitgezet: ja\n--- Einde ---\nContact: nee\n"
    )

    reading = parse_outcome(text)

    assert reading.outcome.note == "Eerste regel.\n\n- tweede alinea\nderde regel"
    assert reading.outcome.actions is YES
    assert reading.outcome.contact is YES
    assert not reading.needs_review


def test_the_note_stops_at_a_closing_greeting() -> None:
    reading = parse_outcome("Contact: ja\nToelichting: Alles loopt.\n\nMet vriendelijke groet,\nAnne")

    assert reading.outcome.note == "Alles loopt."


def test_the_note_is_cut_at_its_maximum_length() -> None:
    reading = parse_outcome("Contact: ja\nToelichting: " + "x" * 5000)

    assert reading.outcome.note is not None
    assert len(reading.outcome.note) == NOTE_MAX_CHARS


def test_greetings_and_signature_lines_outside_the_block_are_ignored() -> None:
    reading = parse_outcome("Hoi,\n\nZie hieronder.\n\nContact: nee\n\nGroet,\nAnne\nTeam Zorg")

    assert reading.outcome.contact is NO
    assert reading.recognised_fields == ("contact",)
    assert not reading.needs_review


@pytest.mark.parametrize(
    "text",
    [
        "We hebben contact gehad en er zijn acties uitgezet.",
        "Contact gehad met moeder, acties volgen.",
        "Bekend bij de politie, verder niets.",
        "",
    ],
)
def test_prose_without_keys_is_not_guessed(text: str) -> None:
    reading = parse_outcome(text)

    assert reading.is_empty
    assert reading.outcome.contact is UNKNOWN


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_text_never_raises_and_yields_valid_values(text: str) -> None:
    reading = parse_outcome(text)

    assert_valid(reading)


LINE_PARTS = st.sampled_from(
    ["Contact", "Acties uitgezet", "Leefgebieden", "Vorm", "Toelichting", "Bekend", ":", " ", "-", "*", "\n", "ja"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(LINE_PARTS, st.text(max_size=8)), max_size=40).map("".join))
def test_field_like_text_never_raises_and_yields_valid_values(text: str) -> None:
    assert_valid(parse_outcome(text))


def assert_valid(reading: OutcomeReading) -> None:
    outcome = reading.outcome
    assert all(isinstance(a, Answer) for a in (outcome.contact, outcome.actions, outcome.known_to_care))
    assert outcome.contact_form is None or isinstance(outcome.contact_form, ContactForm)
    assert set(outcome.life_domains) <= set(LIFE_DOMAINS)
    assert outcome.note is None or len(outcome.note) <= NOTE_MAX_CHARS
    assert reading.is_empty == (not reading.recognised_fields)
    assert reading.needs_review == any(problem.doubtful for problem in reading.problems)


def test_a_follow_up_reply_need_not_repeat_the_contact_already_known() -> None:
    from workflows.model import Answer

    reading = parse_outcome("Acties uitgezet: nee\n", known_contact=Answer.YES)
    assert not reading.needs_review and reading.outcome.actions is Answer.NO
    contradicting = parse_outcome("Acties uitgezet: ja\n", known_contact=Answer.NO)
    assert contradicting.needs_review


@pytest.mark.parametrize(
    ("line", "field", "expected"),
    [("Vorm van contact: tel.", "contact_form", ContactForm.PHONE),
     ("Vorm van contact: telefonisch contact", "contact_form", ContactForm.PHONE),
     ("Vorm van contact: gebeld", "contact_form", ContactForm.PHONE),
     ("Vorm van contact: huisbezoek", "contact_form", ContactForm.VISIT),
     ("Vorm van contact: op bezoek", "contact_form", ContactForm.VISIT),
     ("Vorm van contact: via brief", "contact_form", ContactForm.LETTER),
     ("Vorm van contact: per mail", "contact_form", ContactForm.OTHER),
     ("Contact: ja 👍", "contact", YES),
     ("Contact: JA!", "contact", YES),
     ("Contact: ✅ ja", "contact", YES),
     ("Contact: ja/nee  JA", "contact", YES),
     ("Contact: ja/nee nee", "contact", NO),
     ("Al bekend bij hulpverlening: n.v.t.", "known_to_care", UNKNOWN),
     ("Leefgebieden: (bijv. huisvesting, inkomen, schulden, werk, zorg, relaties) schulden", "life_domains",
      ("schulden",))],
)  # fmt: skip
def test_everyday_spellings_are_certain(line: str, field: str, expected: object) -> None:
    reading = parse_outcome(f"{line}\n")

    assert getattr(reading.outcome, field) == expected
    assert not reading.needs_review and field in reading.recognised_fields
    assert field in reading.certain_fields or expected is UNKNOWN


def test_an_unknown_single_word_contact_form_is_doubtful_not_other() -> None:
    reading = parse_outcome("Contact: ja\nVorm van contact: xyzzy")

    assert reading.doubtful_fields == {"contact_form"} and reading.certain_fields == ("contact",)
