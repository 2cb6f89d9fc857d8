"""Read free Dutch text into a proposed outcome, each field with the sentence that supports it.

Staff often answer in a sentence instead of the block: "Ik heb meneer gisteren gebeld, hij had al
een schuldhulpverlener, we hebben een afspraak gemaakt bij het wijkteam". Koers never records what
it read from prose by itself: it proposes it to the sender (``messaging.reply_reading``), and the
sender confirms. The method is rules (``messaging.prose_patterns``), chosen by measuring on the
labelled corpus (``bench/bench_replies.py``; the README has the figures).

How a text is read:

- It is cut into clauses: sentences, cut again at ``,``, ``;`` and ``maar``/``want``/``daarna``.
- In each clause the phrases that say "no" are found first and blanked out, so "niet bereikt" never
  also reads as "bereikt"; a "yes" phrase in a clause that still holds ``niet``/``geen`` reads as
  "no" for contact and as nothing certain for the other fields.
- A clause with a hedge (``nog geen``, ``proberen``, ``gaan``, ``volgende week``) is no fact: it
  is kept as evidence (it can make a filled-in field doubtful) but is never proposed.
- Per field, the facts must agree. When they do not, a later clause marked as such (``later``,
  ``toch``, ``alsnog``, ``foutje``) wins, but the field is then not *confident*; otherwise the
  field is left out. ``gebeld`` alone is a weak fact (an attempt until nothing says it failed).
- The contact form comes only from sentences that say contact was made, and only when one form is
  named; life domains only from clauses that say an action was set. Contact with someone else than the person
  (``contact gehad met haar bewindvoerder``) says nothing about contact.

``confident`` fields come from one unhedged, unopposed strong phrase each: a municipality may opt
in to record a complete proposal of only confident fields at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from types import MappingProxyType
from typing import Final

from messaging import prose_patterns as pp
from messaging.outcome_values import LIFE_DOMAINS
from workflows.model import Answer, ContactForm

__all__ = ["Evidence", "ProposedField", "ProseReading", "is_confirmation", "read_prose"]

MAX_PROSE_CHARS: Final = 5_000
_MAX_CLAUSES: Final = 120
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")
_CLAUSES = re.compile(r"[,;:()]|\s(?:maar|want|omdat|daarna|en toen|toen)\s|\s[-–—]\s")
_SENTENCE_MAX: Final = 300
_SALUTATION = re.compile(r"^(?:hoi|hallo|hey|hi|beste|dag|goedemorgen|goedemiddag|geachte)\b[^.?!]{0,40}[,!]?$", re.I)


@dataclass(frozen=True, slots=True)
class Evidence:
    """One phrase in one clause that says something about one field."""

    field: str
    value: object
    sentence: str  # the sentence it stands in, as written (cut at ``_SENTENCE_MAX``)
    order: int
    hedged: bool = False
    strong: bool = True
    later: bool = False


@dataclass(frozen=True, slots=True)
class ProposedField:
    """A field read from prose: its value, the sentence that supports it, and whether it is confident."""

    field: str
    value: object
    sentence: str
    confident: bool


@dataclass(frozen=True)
class ProseReading:
    evidence: tuple[Evidence, ...] = ()
    fields: Mapping[str, ProposedField] = dataclass_field(default_factory=dict)

    def contradiction(self, field: str, value: object) -> Evidence | None:
        """Strong evidence (hedged or not) that ``field`` is something else than ``value``."""
        return next((e for e in self.evidence if e.field == field and e.strong and e.value != value), None)

    @property
    def is_empty(self) -> bool:
        return not self.fields


def read_prose(text: str) -> ProseReading:
    """The evidence in ``text`` and the fields it supports; never raises, bounded in time."""
    evidence: list[Evidence] = []
    order = 0
    for sentence in _SENTENCES.split(text[:MAX_PROSE_CHARS]):
        written = " ".join(sentence.split())[:_SENTENCE_MAX]
        if not written:
            continue
        lowered = written.lower().replace("wél", "wel").replace("é", "e")
        sentence_later = pp.LATER.search(lowered) is not None and lowered.startswith(("foutje", "correctie", "sorry"))
        for clause in _CLAUSES.split(lowered):
            if order >= _MAX_CLAUSES:
                break
            if clause.strip():
                evidence += _clause_evidence(clause, written, order, sentence_later)
                order += 1
    return ProseReading(tuple(evidence), MappingProxyType(_resolve(evidence)))


def is_confirmation(text: str) -> bool | None:
    """``True`` for "ja"/"klopt" as the whole first paragraph (after a salutation such as "Hoi,"), ``False`` for
    "nee"/"klopt niet", else ``None``."""
    lines = [line.strip() for line in text.strip().splitlines()]
    while lines and (not lines[0] or _SALUTATION.match(lines[0])):
        lines.pop(0)
    first = " ".join("\n".join(lines).split("\n\n", 1)[0].split())[:80]
    if pp.CONFIRM_NO.match(first):
        return False
    if pp.CONFIRM_YES.match(first):
        return True
    return None


def _clause_evidence(clause: str, sentence: str, order: int, sentence_later: bool) -> list[Evidence]:
    hedged = pp.HEDGES.search(clause) is not None
    later = sentence_later or pp.LATER.search(clause) is not None
    found: list[Evidence] = []
    rest = clause
    for field, value, pattern in pp.FIELD_PATTERNS:
        if value is Answer.NO and pattern.search(rest):
            found.append(Evidence(field, value, sentence, order, hedged, True, later))
            rest = pattern.sub(" ", rest)
    negated = pp.NEGATIONS.search(rest) is not None
    for field, value, pattern in pp.FIELD_PATTERNS:
        if value is Answer.YES and pattern.search(rest):
            found.append(_positive(field, sentence, order, hedged, negated, later))
    if pp.CONTACT_YES_WEAK.search(rest) and not any(e.field == "contact" for e in found):
        found.append(Evidence("contact", Answer.NO if negated else Answer.YES, sentence, order, hedged, negated, later))
    if pp.SOMEONE_ELSE.search(rest):  # contact with a relative or a professional says nothing about the person
        return [e for e in found if e.field not in ("contact", "contact_form")]
    if not negated:  # a form counts where its sentence says contact was made (``_resolve``)
        found += [Evidence("contact_form", form, sentence, order, hedged, True, later)
                  for form, pattern in pp.CONTACT_FORMS.items() if pattern.search(rest)]  # fmt: skip
    if any(e.field == "actions" and e.value is Answer.YES and not e.hedged for e in found):
        domains = tuple(domain for domain, pattern in pp.DOMAINS.items() if pattern.search(rest))
        found += [Evidence("life_domains", domains, sentence, order, hedged, True, later)] if domains else []
    return found


def _positive(field: str, sentence: str, order: int, hedged: bool, negated: bool, later: bool) -> Evidence:
    """A "yes" phrase; negated it says "no" for contact, and nothing certain (hedged "no") for the rest."""
    if not negated:
        return Evidence(field, Answer.YES, sentence, order, hedged, True, later)
    return Evidence(field, Answer.NO, sentence, order, hedged or field != "contact", True, later)


def _resolve(evidence: list[Evidence]) -> dict[str, ProposedField]:
    fields: dict[str, ProposedField] = {}
    for field in ("contact", "actions", "known_to_care"):
        proposed = _resolve_answer(field, [e for e in evidence if e.field == field])
        if proposed is not None:
            fields[field] = proposed
    contact = fields.get("contact")
    if contact is not None and contact.value is Answer.YES:
        made = {e.sentence for e in evidence if e.field == "contact" and e.value is Answer.YES and not e.hedged}
        forms = [e for e in evidence if e.field == "contact_form" and not e.hedged and e.sentence in made]
        if len({e.value for e in forms}) == 1 and isinstance(forms[0].value, ContactForm):
            fields["contact_form"] = ProposedField("contact_form", forms[0].value, forms[0].sentence,
                                                   contact.confident)  # fmt: skip
    actions = fields.get("actions")
    if actions is not None and actions.value is Answer.YES:
        named = [e for e in evidence if e.field == "life_domains" and not e.hedged]
        domains = {d for e in named if isinstance(e.value, tuple) for d in e.value}
        if domains:
            value = tuple(domain for domain in LIFE_DOMAINS if domain in domains)
            fields["life_domains"] = ProposedField("life_domains", value, named[0].sentence, False)
    return fields


def _resolve_answer(field: str, found: list[Evidence]) -> ProposedField | None:
    facts = [e for e in found if not e.hedged]
    strong = [e for e in facts if e.strong]
    if not facts:
        return None
    if not strong:  # only "gebeld": an attempt, unless anything (even hedged) says it failed
        if any(e.value is not facts[0].value for e in found) or len({e.value for e in facts}) > 1:
            return None
        return ProposedField(field, facts[0].value, facts[0].sentence, False)
    values = {e.value for e in strong}
    if len(values) == 1:
        opposed = any(e.value not in values for e in found)
        return ProposedField(field, strong[0].value, strong[0].sentence, not opposed)
    last = max(strong, key=lambda e: e.order)
    if last.later and not any(e.later for e in strong if e.value != last.value):
        return ProposedField(field, last.value, last.sentence, False)
    return None
