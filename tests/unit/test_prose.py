"""Prose read into a proposal: negation, tense and hedging respected; a "ja" to a proposal recognised."""

from __future__ import annotations

import pytest

from messaging.prose import is_confirmation, read_prose
from workflows.model import Answer, ContactForm

YES, NO = Answer.YES, Answer.NO


def values(text: str) -> dict[str, object]:
    return {key: field.value for key, field in read_prose(text).fields.items()}


def test_the_most_natural_reply_is_read_with_the_sentence_that_supports_each_field() -> None:
    reading = read_prose("Ik heb meneer gisteren gebeld, hij had al een schuldhulpverlener, we hebben een afspraak "
                         "gemaakt bij het wijkteam.")  # fmt: skip

    assert values("x") == {}
    assert {k: f.value for k, f in reading.fields.items()} == {
        "contact": YES, "contact_form": ContactForm.PHONE, "actions": YES, "known_to_care": YES}
    assert all("schuldhulpverlener" in f.sentence for f in reading.fields.values())
    assert not reading.fields["contact"].confident  # "gebeld" alone is an attempt: never recorded at once


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Meneer niet bereikt.", {"contact": NO}),
     ("Gebeld, maar hij nam niet op.", {"contact": NO}),
     ("Gesproken met meneer. Geen acties nodig.", {"contact": YES, "actions": NO}),
     ("Hij is niet bekend bij de hulpverlening.", {"known_to_care": NO}),
     ("Ik heb hem niet gesproken.", {"contact": NO})],
)  # fmt: skip
def test_negation_is_respected(text: str, expected: dict[str, object]) -> None:
    assert values(text) == expected


@pytest.mark.parametrize(
    "text",
    ["We gaan hem morgen bellen.", "Nog geen contact gehad, we proberen het volgende week opnieuw.",
     "Misschien regelen we nog iets voor zijn woning.", "We proberen hem te bereiken."],
)  # fmt: skip
def test_hedged_and_future_sentences_propose_nothing(text: str) -> None:
    assert values(text) == {}


def test_a_later_correction_wins_but_is_not_confident() -> None:
    reading = read_prose("Eerst niet bereikt, later toch gesproken.")

    assert reading.fields["contact"].value is YES and not reading.fields["contact"].confident


def test_a_hedged_no_still_contradicts_a_filled_in_yes() -> None:
    assert read_prose("nog geen reactie ontvangen").contradiction("contact", YES) is not None


@pytest.mark.parametrize(("text", "expected"), [("ja", True), ("Ja, klopt!", True), ("Hoi,\n\nJa, klopt.\n", True),
                                                ("klopt", True), ("Nee, acties nee", False),
                                                ("Ja maar acties nee", None), ("Contact: ja", None)])  # fmt: skip
def test_a_confirmation_is_ja_or_klopt_on_its_own(text: str, expected: bool | None) -> None:
    assert is_confirmation(text) is expected
