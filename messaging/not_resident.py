"""Recognise a reply that says the person does not live (or no longer lives) in the municipality.

Municipal staff write it in prose: "deze meneer woont niet (meer) in onze gemeente", "is verhuisd
naar Assen", "niet bekend in onze gemeente", "staat niet ingeschreven in de BRP", "geen inwoner
van onze gemeente", "is uitgeschreven", "VOW" (vertrokken onbekend waarheen). Such a reply is no
outcome: Koers must move the case, not close it. ``read_not_resident`` returns what said so and the
new place when one is named, as written; ``where_to`` routes it with ``workflows.routing``.

Read sentence by sentence, on the reply's own new text (quotes stripped first). A sentence that
is a question, or that denies or conditions what it says, does not count: "woont wél in onze
gemeente", "is niet verhuisd", "het klopt niet dat hij niet meer in onze gemeente woont", "als hij
verhuisd is naar Assen", "weten niet of hij naar Assen is verhuisd".

Invariants: pure, never raises on any text, linear in its length (every pattern is bounded).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workflows.model import RoutingDecision
from workflows.routing import Registry, route

TEXT_MAX = 20_000  # a reply's own words; more is quoted history or a signature
PHRASE_MAX = 120
PLACE_MAX = 60
_OURS = r"(?:onze|deze|de|uw|ons|jullie)\s+gemeente"
_SENTENCES = re.compile(r"[^.!?\n]+[.!?]*")
_FLAGS = re.IGNORECASE
# Says the person does not live here; ``moves`` patterns also name where to, in a ``place`` group.
_NOT_HERE = [re.compile(p, _FLAGS) for p in (
    rf"\bwoon(?:t|de|den|en)\b(?:\s+[\w']+){{0,4}}?\s+(?:niet|nooit)\s+(?:\(?meer\)?\s+)?(?:in|binnen)\s+{_OURS}",
    rf"\b(?:niet|nooit)\s+(?:meer\s+)?(?:in|binnen)\s+{_OURS}\s+(?:woont|wonen|woonde|verblijft|woonachtig)\b",
    rf"\b(?:niet|niet\s+meer|nooit)\s+woonachtig\s+(?:in|binnen)\s+{_OURS}",
    rf"\b(?:is|zijn|was)\s+niet\s+meer\s+(?:in|binnen)\s+{_OURS}\b",
    r"\bwoon(?:t|de)\s+(?:[\w']+\s+){0,3}?(?:hier|daar)\s+(?:[\w']+\s+){0,3}?niet\b",
    r"\bwoon(?:t|de)\s+niet\s+(?:meer\s+)?(?:hier|daar|bij\s+ons)\b",
    rf"\b(?:niet|on)\s*bekend\s+(?:in|binnen)\s+{_OURS}",
    rf"\bniet\s+(?:meer\s+)?ingeschreven\s+(?:in|bij|binnen)\s+(?:{_OURS}|de\s+brp|de\s+basisregistratie)",
    r"\bkomt\s+niet\s+(?:meer\s+)?voor\s+in\s+(?:de\s+brp|de\s+basisregistratie|onze\s+administratie)",
    rf"\bgeen\s+inwoner\b(?:\s+(?:meer|van\s+{_OURS}))*",
    r"\b(?:is|staat|werd|zijn)\b(?:\s+[\w']+){0,4}?\s+uitgeschreven\b",
    r"\bvertrokken\s+onbekend\s+waarheen\b",
)]  # fmt: skip
_PLACE = r"(?P<place>[^\s,.;:!?()][^,.;:!?()\n]{0,80})"
_CAPITALISED = r"(?P<place>(?:'s-|'t\s)?[A-Z][^,.;:!?()\n]{0,80})"  # "woont nu in X": only a name, not "een flat"
_MOVES = [re.compile(p, _FLAGS) for p in (
    rf"\b(?:is|zijn|was)?\s*(?:verhuisd|vertrokken|verzogen|uitgeschreven)\s+naar\s+{_PLACE}",
    rf"\bnaar\s+{_PLACE}\s+(?:is\s+|zijn\s+)?(?:verhuisd|vertrokken|verzogen)\b",
    rf"\b(?:woont|wonen)\s+(?:nu|tegenwoordig|inmiddels|sinds\s+[\w-]+(?:\s+\d{{4}})?)\s+in\s+(?-i:{_CAPITALISED})",
    r"(?-i:\bVOW\b)",
)]  # fmt: skip
_MOVE_VERB = re.compile(r"\b(?:verhuisd|vertrokken|verzogen)\b", _FLAGS)
_OWN_PLACE = re.compile(rf"^(?:{_OURS}|ons|hier|deze\s+plaats)\b", _FLAGS)
# Said where to, but no place: "verhuisd naar een andere gemeente" still says the person lives elsewhere.
_NO_PLACE = re.compile(r"^(?:een\s+)?(?:andere|nieuwe|onbekende)\s+(?:gemeente|woonplaats|plaats|adres|stad)\b|"
                       r"^(?:elders|onbekend|een\s+onbekend\s+adres)\b", _FLAGS)  # fmt: skip
# Words that end a place name: what follows is the sentence going on.
_PLACE_END = re.compile(r"\s+(?:en|per|sinds|op\s+\d|met|maar|want|omdat|toen|vanaf|waar|in\s+\d|is|zijn|verhuisd|"
                        r"vertrokken|gegaan|getrokken|gaan|geweest|dus|volgens|bij)\b.*$", _FLAGS)  # fmt: skip
_LEADING = re.compile(r"^(?:de\s+)?(?:gemeente|plaats|stad|dorp)\s+", _FLAGS)
_DENIED = re.compile(r"\b(?:klopt\s+niet|niet\s+waar|niet\s+juist|onjuist|niet\s+zo\s+dat|geen\s+sprake|"
                     r"is\s+niet\s+zo|vergissing|wel\s+degelijk)\b", _FLAGS)  # fmt: skip
_CONDITION = re.compile(r"\b(?:als|indien|mocht|mochten|wanneer|zodra|of|tenzij|stel\s+dat)\b", _FLAGS)
_NEGATION = re.compile(r"\b(?:niet|nooit|geen|nog\s+niet)\b", _FLAGS)
_CLAUSE_START = re.compile(r"[,;:]|\b(?:maar|want|en|omdat)\b", _FLAGS)


@dataclass(frozen=True)
class NotResident:
    """A reply said the person does not live in the municipality; ``place`` where they went, if named."""

    phrase: str
    place: str | None = None


def read_not_resident(text: str) -> NotResident | None:
    """What in ``text`` says the person does not live in the municipality, or None (see the module docstring)."""
    phrase: str | None = None
    place: str | None = None
    for match in _SENTENCES.finditer(text[:TEXT_MAX]):
        sentence = match.group(0)
        if sentence.rstrip().endswith("?"):
            continue
        for pattern in _NOT_HERE:
            said = pattern.search(sentence)
            if said is not None and not _doubted(sentence, said.start()):
                phrase = phrase or said.group(0)
        for pattern in _MOVES:
            moved = pattern.search(sentence)
            if moved is None or _doubted(sentence, moved.start()) or _negated_move(sentence, moved):
                continue
            raw = moved.groupdict().get("place")
            named = _place(raw)
            if raw is not None and named is None:
                continue  # "woont nu in onze gemeente": no move at all
            phrase = phrase or moved.group(0)
            place = place or _said_place(raw)
    return NotResident(_clean(phrase)[:PHRASE_MAX], place) if phrase else None


def where_to(registry: Registry, place: str | None) -> RoutingDecision | None:
    """Where a named place routes: as a municipality's name, else as a woonplaats; None without a place."""
    if not place:
        return None
    as_municipality = route(registry, gemeente=place, woonplaats=None, postcode=None)
    if as_municipality.is_decided:
        return as_municipality
    as_woonplaats = route(registry, gemeente=None, woonplaats=place, postcode=None)
    return as_woonplaats if as_woonplaats.is_decided or as_woonplaats.candidates else as_municipality


def _doubted(sentence: str, start: int) -> bool:
    """A denial anywhere before the statement, or a condition in its own clause."""
    before = sentence[:start]
    return bool(_DENIED.search(before) or _CONDITION.search(_clause(before)))


def _negated_move(sentence: str, moved: re.Match[str]) -> bool:
    """"is niet verhuisd naar", "nog niet naar Assen verhuisd": a negation in the move's own clause."""
    clause = _clause(sentence[: moved.start()]) + sentence[moved.start() : moved.end()]
    verb = _MOVE_VERB.search(clause)
    return bool(_NEGATION.search(clause[: verb.start()] if verb else clause))


def _clause(text: str) -> str:
    """The last clause of ``text``: what follows its last comma or conjunction."""
    starts = [m.end() for m in _CLAUSE_START.finditer(text)]
    return text[starts[-1] :] if starts else text


def _place(raw: str | None) -> str | None:
    """The place as named, without what follows it; None when it is the municipality itself."""
    if raw is None:
        return None
    place = _LEADING.sub("", _PLACE_END.sub("", raw.strip())).strip(' "').rstrip("'-")
    if not place or _OWN_PLACE.match(place):
        return None
    return " ".join(place.split()[:5])[:PLACE_MAX]


def _said_place(raw: str | None) -> str | None:
    """The place a move names, or None for "een andere gemeente" (a move, but no place)."""
    named = _place(raw)
    return None if named is None or _NO_PLACE.match(named) else named


def _clean(text: str) -> str:
    return " ".join(text.split())
