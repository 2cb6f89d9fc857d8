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


# Missed or misread on the held-out corpus (tests/data/replies_heldout).
@pytest.mark.parametrize(
    ("text", "expected"),
    [("Gebeld met meneer. Wij hebben geen acties uitgezet.", {"contact": YES, "contact_form": ContactForm.PHONE,
                                                              "actions": NO}),
     ("Ja we hebben contact gehad. Er zijn geen acties ingezet.", {"contact": YES, "actions": NO}),
     ("Gesproken met meneer. We hebben niets ingezet.", {"contact": YES, "actions": NO}),
     ("Gesproken met meneer. Er hoeft van onze kant niets te gebeuren.", {"contact": YES, "actions": NO}),
     ("Gesproken met meneer. Niet nodig om iets in te zetten.", {"contact": YES, "actions": NO})],
)  # fmt: skip
def test_no_actions_said_with_the_verb_of_setting_them_is_no(text: str, expected: dict[str, object]) -> None:
    assert values(text) == expected


def test_care_someone_already_receives_means_known_to_care() -> None:
    assert values("Mevrouw gesproken. Ze krijgt al thuiszorg.")["known_to_care"] is YES


def test_contact_with_someone_else_is_not_contact_with_the_person() -> None:
    reading = values("Wij hebben mevrouw niet kunnen spreken. Wel contact gehad met haar bewindvoerder.")

    assert reading.get("contact") is NO  # "niet kunnen spreken" says so; the bewindvoerder says nothing
    assert "contact" not in values("Telefonisch contact gehad met zijn moeder.")
