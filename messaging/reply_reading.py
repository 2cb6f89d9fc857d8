"""A reply read per field: certain, doubtful (with the reason) or absent; prose read into a proposal.

``read_reply`` joins the readers of one reply's body:

1. the block in the sender's own text (``messaging.outcome_fields``), the first source;
2. answers typed next to Koers' own question lines in the quote (``messaging.inline_answers``):
   they fill only fields the own text left open, and one that contradicts what the case already
   has, or what the own text says, is doubtful;
3. a bare value (``huisbezoek``, ``ja``) as the whole answer to a question that asked one field;
4. the prose around the fields (``messaging.prose``): clear evidence against a filled-in field
   makes it doubtful (``Contact: ja`` above "nog geen reactie ontvangen"); fields the block left
   open, read from prose, become the *proposal*, never certain.

Invariants: only ``certain`` fields may be recorded without a person's confirmation; a doubtful
field carries a Dutch reason and the sender's line; the reading never raises on any text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from types import MappingProxyType
from typing import Final

from messaging import reply_block
from messaging.inline_answers import read_inline
from messaging.outcome_fields import FIELD_LABELS, NOTE_MAX_CHARS, OutcomeReading, Problem, parse_outcome
from messaging.prose import Evidence, ProposedField, is_confirmation, read_prose
from messaging.quotes import extract_new_text
from workflows.labels import ANSWERS
from workflows.model import Answer, Outcome
from workflows.states import FieldCertainty

__all__ = ["FieldReading", "ReplyReading", "read_reply"]

_ANSWER_FIELDS: Final = ("contact", "actions", "known_to_care")
_BARE_ANSWER_CHARS: Final = 80


@dataclass(frozen=True, slots=True)
class FieldReading:
    """One field of a reply: how certain, the value read (``None`` when absent), and for doubt why and where."""

    key: str
    certainty: FieldCertainty
    value: object = None
    reason: str = ""
    line: str = ""


@dataclass(frozen=True)
class ReplyReading:
    """Everything one reply says, per field; ``certain`` holds only the certain values."""

    fields: Mapping[str, FieldReading]
    certain: Outcome
    proposal: Mapping[str, ProposedField] = dataclass_field(default_factory=dict)
    flags: tuple[Problem, ...] = ()
    superseded: Mapping[str, object] = dataclass_field(default_factory=dict)
    confirmation: bool | None = None
    inline: tuple[str, ...] = ()

    def keys(self, certainty: FieldCertainty) -> tuple[str, ...]:
        return tuple(key for key, f in self.fields.items() if f.certainty is certainty)

    @property
    def doubtful(self) -> tuple[FieldReading, ...]:
        return tuple(f for f in self.fields.values() if f.certainty is FieldCertainty.DOUBTFUL)

    @property
    def has_certain(self) -> bool:
        return bool(self.keys(FieldCertainty.CERTAIN))

    @property
    def is_empty(self) -> bool:
        """Nothing certain, nothing doubtful, nothing proposed: the reply says nothing about the outcome."""
        return not self.has_certain and not self.doubtful and not self.proposal


def read_reply(body: str, *, known: Outcome | None = None, asked: tuple[str, ...] = ()) -> ReplyReading:
    """Read the decoded body of a reply; ``known`` is what the case has, ``asked`` the fields the answered
    question asked for (an ask-back or follow-up), so that a bare value answers the one it asked."""
    known = known or Outcome()
    own = extract_new_text(body)
    block = parse_outcome(own, known_contact=known.contact)
    fields = _from_block(block)
    inline = _add_inline(fields, body, known)
    if not block.recognised_fields and not inline and len(asked) == 1:
        _add_bare_answer(fields, own, asked[0])
    prose = read_prose(block.prose)
    _doubt_what_prose_contradicts(fields, prose.contradiction)
    open_keys = {key for key, f in fields.items() if f.certainty is FieldCertainty.ABSENT}
    proposal = {key: p for key, p in prose.fields.items() if key in open_keys and _is_news(known, key, p.value)}
    if proposal and "note" in open_keys and block.prose.strip():
        # Confirmed, the sender's own words become the note, as a Toelichting would.
        proposal["note"] = ProposedField("note", block.prose.strip()[:NOTE_MAX_CHARS], "", True)
    return ReplyReading(
        fields=MappingProxyType(fields), certain=_certain_outcome(fields), proposal=MappingProxyType(proposal),
        flags=tuple(p for p in block.problems if not p.doubtful), superseded=block.superseded,
        confirmation=is_confirmation(own) if own else None, inline=tuple(inline),
    )  # fmt: skip


def _from_block(block: OutcomeReading) -> dict[str, FieldReading]:
    doubts = {p.field: p for p in block.problems if p.doubtful}
    fields: dict[str, FieldReading] = {}
    for key in FIELD_LABELS:
        if key in doubts:
            fields[key] = FieldReading(key, FieldCertainty.DOUBTFUL, None, doubts[key].message, doubts[key].line)
        elif key in block.certain_fields:
            fields[key] = FieldReading(key, FieldCertainty.CERTAIN, getattr(block.outcome, key))
        else:
            fields[key] = FieldReading(key, FieldCertainty.ABSENT)
    return fields


def _add_inline(fields: dict[str, FieldReading], body: str, known: Outcome) -> list[str]:
    """Answers typed in Koers' quoted block fill the fields the own text left open."""
    used: list[str] = []
    for key, answer in read_inline(body).items():
        value, issues = reply_block.field(key).read_value(answer.value)
        current = fields[key]
        doubt = next((issue.message for issue in issues if issue.doubtful), None)
        if value is None and doubt is None or value is Answer.UNKNOWN:
            continue
        if current.certainty is FieldCertainty.CERTAIN:
            if current.value != value and key != "note":
                fields[key] = replace(current, certainty=FieldCertainty.DOUBTFUL, line=answer.line,
                                      reason=f"{FIELD_LABELS[key]} staat er twee keer, met verschillende antwoorden")
            continue  # fmt: skip
        if current.certainty is FieldCertainty.ABSENT:
            fields[key] = _inline_field(key, value, doubt, answer.line, known)
            used.append(key)
    return used


def _inline_field(key: str, value: object, doubt: str | None, line: str, known: Outcome) -> FieldReading:
    if doubt is not None:
        return FieldReading(key, FieldCertainty.DOUBTFUL, None, doubt, line)
    recorded = getattr(known, key)
    if key in _ANSWER_FIELDS and recorded is not Answer.UNKNOWN and recorded != value:
        why = f"{FIELD_LABELS[key]} in de geciteerde tekst wijkt af van wat eerder is vastgelegd ({ANSWERS[recorded]})"
        return FieldReading(key, FieldCertainty.DOUBTFUL, None, why, line)
    return FieldReading(key, FieldCertainty.CERTAIN, value)


def _add_bare_answer(fields: dict[str, FieldReading], own: str, key: str) -> None:
    """``huisbezoek`` alone, answering a question about one field, is that field's answer."""
    first = own.strip().split("\n\n", 1)[0].strip()
    if not first or len(first) > _BARE_ANSWER_CHARS or "\n" in first:
        return
    value, issues = reply_block.field(key).read_value(first)
    if value is not None and not issues and value is not Answer.UNKNOWN:
        fields[key] = FieldReading(key, FieldCertainty.CERTAIN, value)


def _doubt_what_prose_contradicts(fields: dict[str, FieldReading],
                                  contradiction: Callable[[str, object], Evidence | None]) -> None:  # fmt: skip
    for key in _ANSWER_FIELDS:
        current = fields[key]
        if current.certainty is not FieldCertainty.CERTAIN:
            continue
        against = contradiction(key, current.value)
        if against is not None:
            reason = f"{FIELD_LABELS[key]} is '{_word(current.value)}', maar de tekst zegt: \"{against.sentence}\""
            fields[key] = FieldReading(key, FieldCertainty.DOUBTFUL, None, reason, against.sentence)
            if key == "contact" and fields["contact_form"].certainty is FieldCertainty.CERTAIN:
                fields["contact_form"] = FieldReading("contact_form", FieldCertainty.DOUBTFUL, None, reason,
                                                      against.sentence)  # fmt: skip


def _word(value: object) -> str:
    return ANSWERS[value] if isinstance(value, Answer) else str(value)


def _is_news(known: Outcome, key: str, value: object) -> bool:
    return bool(getattr(known, key) != value)


def _certain_outcome(fields: Mapping[str, FieldReading]) -> Outcome:
    values = {key: f.value for key, f in fields.items() if f.certainty is FieldCertainty.CERTAIN}
    return Outcome(**values)  # type: ignore[arg-type]
