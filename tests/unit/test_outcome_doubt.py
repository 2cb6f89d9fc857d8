"""Reading the outcome block: what the held-out corpus (``tests/data/replies_heldout``) found.

Each test failed before its fix: values recorded wrong (hedges, contact with someone else, a second contact form,
a guessed life domain) and everyday answers a human reads with certainty that were asked back.
"""

from __future__ import annotations

import pytest

from messaging.outcome_fields import parse_outcome
from workflows.model import Answer

YES, NO, UNKNOWN = Answer.YES, Answer.NO, Answer.UNKNOWN

# Found by the held-out corpus (tests/data/replies_heldout): each of these was recorded wrong before.
def test_a_second_contact_form_in_the_explanation_is_a_problem_not_the_first_one_named() -> None:
    reading = parse_outcome("Contact: ja\nVorm van contact: eerst brief, daarna huisbezoek\nActies uitgezet: ja")

    assert reading.outcome.contact_form is None
    assert reading.doubtful_fields == {"contact_form"} and reading.outcome.actions is YES


@pytest.mark.parametrize("value", ["nee, nog niet", "ja, denk ik", "nee, voorlopig niet", "ja, volgens mij wel",
                                   "ja, waarschijnlijk"])  # fmt: skip
def test_a_hedged_answer_is_doubtful_not_the_word_it_starts_with(value: str) -> None:
    reading = parse_outcome(f"Contact: {value}\nToelichting: ik probeer het volgende week weer")

    assert reading.outcome.contact is UNKNOWN
    assert reading.doubtful_fields == {"contact"}


@pytest.mark.parametrize("value", ["ja, met zijn zus", "ja, via haar moeder", "ja, met de bewindvoerder",
                                   "ja, met zijn partner"])  # fmt: skip
def test_contact_with_someone_else_than_the_person_is_doubtful(value: str) -> None:
    reading = parse_outcome(f"Contact: {value}\nVorm van contact: telefonisch\nActies uitgezet: nee")

    assert reading.outcome.contact is UNKNOWN and "contact" in reading.doubtful_fields
    assert reading.outcome.actions is NO


def test_the_form_of_a_doubtful_contact_is_doubtful_too() -> None:
    reading = parse_outcome("Contact: ja, met zijn zus\nVorm van contact: telefonisch\nActies uitgezet: nee")

    assert reading.doubtful_fields == {"contact", "contact_form"} and reading.certain_fields == ("actions",)


def test_contact_with_the_person_and_actions_with_someone_else_are_certain() -> None:
    reading = parse_outcome("Contact: ja, met meneer zelf\nActies uitgezet: ja, met zijn bewindvoerder")

    assert reading.outcome.contact is YES and reading.outcome.actions is YES
    assert not reading.needs_review


def test_addiction_is_not_guessed_into_care() -> None:
    """The self-sufficiency matrix staff work with has addiction as a domain of its own: not certainly 'zorg'."""
    reading = parse_outcome("Contact: ja\nActies uitgezet: ja\nLeefgebieden: verslaving")

    assert reading.outcome.life_domains == ()
    assert reading.outcome.note is not None and "verslaving" in reading.outcome.note


# Missed by the held-out corpus: everyday answers a human reads with certainty.
@pytest.mark.parametrize(
    ("line", "field", "expected"),
    [("Contact: geen", "contact", NO), ("Acties uitgezet: geen", "actions", NO),
     ("Contact: niet gelukt", "contact", NO), ("Contact: niet bereikt", "contact", NO),
     ("Contact: ✅", "contact", YES), ("Acties uitgezet: ❌", "actions", NO), ("Contact: ✔️", "contact", YES),
     ("Acties uitgezet: 👎", "actions", NO)],
)  # fmt: skip
def test_none_and_not_reached_and_check_marks_are_certain_answers(line: str, field: str, expected: Answer) -> None:
    reading = parse_outcome(f"{line}\n")

    assert getattr(reading.outcome, field) is expected
    assert not reading.needs_review


def test_a_yes_mark_beside_a_no_word_is_not_a_choice() -> None:
    reading = parse_outcome("Contact: ✅ nee\n")

    assert reading.outcome.contact is UNKNOWN and reading.needs_review


@pytest.mark.parametrize("prefix", ["Sorry, vergeten: ", "Vergeten: ", "PS: ", "P.S. vergeten te melden: "])
def test_a_forgotten_field_after_an_afterthought_marker_is_read(prefix: str) -> None:
    """Found by the held-out corpus: the prose reader read "bekend bij hulpverlening: nee" as known = yes."""
    reading = parse_outcome(f"Contact: ja\nActies uitgezet: ja\n\n{prefix}Al bekend bij hulpverlening: nee")

    assert reading.outcome.known_to_care is NO and not reading.needs_review
