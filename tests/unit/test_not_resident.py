"""Reading "not our resident" from a municipality's reply: what says so, where to, and what does not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from messaging.not_resident import read_not_resident

SAYS_SO: list[tuple[str, str | None]] = [
    ("Deze meneer woont niet (meer) in onze gemeente.", None),
    ("Deze meneer woont niet meer in onze gemeente.", None),
    ("Mevrouw woont sinds maart niet meer in onze gemeente", None),
    ("Betrokkene woont niet in deze gemeente.", None),
    ("Wij hebben gezien dat hij niet meer in onze gemeente woont.", None),
    ("Is verhuisd naar Assen.", "Assen"),
    ("Hij is verhuisd naar Assen per 1 april.", "Assen"),
    ("Deze mevrouw is vorige maand verhuisd naar de gemeente Tynaarlo en woont daar bij haar zus.", "Tynaarlo"),
    ("Hij is naar 's-Hertogenbosch verhuisd.", "'s-Hertogenbosch"),
    ("Meneer woont niet meer in onze gemeente, hij is vertrokken naar Hoogezand-Sappemeer.", "Hoogezand-Sappemeer"),
    ("Woont inmiddels in Bergen op Zoom", "Bergen op Zoom"),
    ("hij woont nu in Emmen, bij zijn moeder", "Emmen"),
    ("verhuisd naar assen", "assen"),
    ("Niet bekend in onze gemeente.", None),
    ("Deze persoon is onbekend in onze gemeente", None),
    ("Staat niet ingeschreven in de BRP.", None),
    ("Komt niet voor in de BRP, wij kunnen niets doen.", None),
    ("Is geen inwoner van onze gemeente.", None),
    ("Meneer is per 1 januari uitgeschreven.", None),
    ("Vertrokken onbekend waarheen.", None),
    ("Status in de BRP: VOW", None),
    ("Woont hier al lang niet meer.", None),
    ("WOONT NIET MEER IN ONZE GEMEENTE", None),
    ("Contact: nee\nToelichting: woont niet meer in onze gemeente, verhuisd naar Stadskanaal", "Stadskanaal"),
    ("Hallo,\n\nde heer is helaas niet bereikbaar, maar is wel verhuisd naar Zwolle.\n\nGroet", "Zwolle"),
    # From the reply corpus (tests/data/replies/intro_then_fields_gmail.txt): a move, but no place
    ("Contact: nee\nToelichting: de brief kwam retour (onbekend op adres).\nVolgens de BRP is hij verhuisd naar een "
     "andere gemeente;\ngraag opnieuw routeren.", None),
    ("Vertrokken naar elders, adres onbekend.", None),
]
DOES_NOT: list[str] = [
    "Meneer woont wél in onze gemeente.",
    "Hij woont gewoon in onze gemeente, wij hebben contact gehad.",
    "Hij is niet verhuisd naar Assen; hij woont nog steeds hier.",
    "Zij is nog niet verhuisd.",
    "Het klopt niet dat hij niet meer in onze gemeente woont.",
    "Het is niet zo dat hij geen inwoner is.",
    "Woont hij niet meer in onze gemeente?",
    "Als hij verhuisd is naar Assen laten we het u weten.",
    "We weten niet of hij naar Assen is verhuisd.",
    "Hij woont nu in onze gemeente.",
    "Hij woont nu in een flat aan de rand van de stad.",
    "Contact: ja\nVorm van contact: telefonisch\nActies uitgezet: ja\nLeefgebieden: huisvesting",
    "Niet bekend bij de hulpverlening.",
    "Al bekend bij hulpverlening: nee",
    "Hij gaat volgende maand verhuizen naar Assen, we hebben het plan al besproken.",
    "",
]


@pytest.mark.parametrize(("text", "place"), SAYS_SO)
def test_a_reply_saying_the_person_lives_elsewhere_is_recognised(text: str, place: str | None) -> None:
    found = read_not_resident(text)
    assert found is not None, text
    assert found.place == place and found.phrase


@pytest.mark.parametrize("text", DOES_NOT)
def test_a_denied_conditional_or_questioned_statement_and_an_outcome_are_not(text: str) -> None:
    assert read_not_resident(text) is None


def test_the_phrase_is_what_said_it_and_short() -> None:
    found = read_not_resident("Beste,\nDeze meneer woont niet meer in onze gemeente.\nMet groet, Anne")
    assert found is not None and found.phrase == "woont niet meer in onze gemeente"
    long = read_not_resident("Hij is verhuisd naar " + "Groot " * 50 + "Assen.")
    assert long is not None and long.place is not None and len(long.place) <= 60


@given(st.text(max_size=400))
def test_any_text_is_read_without_an_error(text: str) -> None:
    read_not_resident(text)
