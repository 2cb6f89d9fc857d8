"""The reply block: one definition from which Koers both renders the block and reads it back.

Municipal staff answer a notification by filling in a short block of Dutch fields
(``Contact: ja``, ``Vorm van contact: telefonisch`` ...). Each field of an ``Outcome`` has one
``ReplyField`` here: its label in the block, the hint after the colon in an empty block, the
question asked when it is missing, the other key spellings the reader accepts, how its value is
written (the Dutch words of ``workflows.labels``) and how it is read (``messaging.outcome_values``).

``messaging.render`` draws the empty block and the questions from ``FIELDS``;
``messaging.outcome_fields`` finds the keys and reads the values with the same ``FIELDS``;
``fill_block`` writes an outcome as staff would type it (for the round-trip property test and the
demo's simulated staff). So a label, hint or word changed here changes all three at once, and
``tests/unit/test_reply_roundtrip.py`` proves that what Koers renders it can read back.

Invariants:

- Every word ``fill_block`` writes is one the field's reader accepts (the readers index the labels
  of ``workflows.labels`` themselves), and a hint left in the block reads as "not answered".
- ``FIELDS`` is in block order; ``key`` is the ``Outcome`` attribute name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from messaging.outcome_values import (
    LIFE_DOMAINS,
    Issues,
    read_answer,
    read_contact_answer,
    read_contact_form,
    read_life_domains,
    read_note,
    read_progress_answer,
)
from workflows.labels import ANSWERS, CONTACT_FORMS
from workflows.model import Answer, Outcome

__all__ = [
    "BLOCK_END", "BLOCK_START", "FIELDS", "FIELD_LABELS", "FillStyle", "ReplyField", "empty_block", "field",
    "fields_of", "fill_block", "is_block_end",
]  # fmt: skip

BLOCK_START: Final = "--- Beantwoord deze e-mail en vul hieronder in ---"
_END_WORD: Final = "Einde"
BLOCK_END: Final = f"--- {_END_WORD} ---"
# Reading stops at the end marker however many dashes survived the sender's client, or at "--".
_END: Final = re.compile(rf"^-{{2,}}\s*{_END_WORD}\s*-{{2,}}$|^--$", re.IGNORECASE)
_HINT_NOISE: Final = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class ReplyField:
    """One line of the reply block.

    ``synonyms`` are the other key spellings (lower case) the reader accepts besides the label.
    ``read`` turns the text after the key into ``(value, issues)`` (``None``: not answered);
    ``write`` gives the Dutch text staff would type for an outcome's value, ``None`` when the
    outcome does not know it; ``unknown`` is what they type for a value they do not know.
    ``question`` may name the person as ``{person}`` ("zelfmelder", "gedetineerde"): ``ask`` fills it in.
    """

    key: str
    label: str
    hint: str
    question: str
    synonyms: tuple[str, ...]
    read: Callable[[str], tuple[object, Issues]]
    write: Callable[[Outcome], str | None]
    unknown: str = ""
    hint_key: str = dataclass_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hint_key", _squeeze(self.hint))  # read on every value: computed once

    @property
    def keys(self) -> tuple[str, ...]:
        """Every key spelling the reader accepts, the label first, lower case."""
        return (self.label.lower(), *self.synonyms)

    def ask(self, person: str) -> str:
        """The question about this field, for a case about ``person``."""
        return self.question.replace("{person}", person)

    def line(self, value: str | None = None) -> str:
        """The block line with ``value`` after the colon; without one, the empty line with its hint."""
        text = self.hint if value is None else value
        return f"{self.label}: {text}" if text else f"{self.label}:"

    def read_value(self, value: str) -> tuple[object, Issues]:
        """Read the text after the key; the field's own hint left in the block is "not answered".

        An answer typed after the hint (``Contact: ja/nee  JA``) is read without the hint.
        """
        if self.hint_key and len(value) >= len(self.hint_key) and _squeeze(value).startswith(self.hint_key):
            rest = _after_hint(value, self.hint_key)
            if not rest.strip():
                return None, ()
            value = rest
        return self.read(value)


def _squeeze(text: str) -> str:
    return _HINT_NOISE.sub("", text.lower())


def _after_hint(value: str, hint_key: str) -> str:
    """What ``value`` holds after the (whitespace-free) ``hint_key`` it starts with."""
    matched = 0
    for index, char in enumerate(value):
        if matched == len(hint_key):
            return value[index:]
        if not char.isspace():
            matched += 1
    return ""


def _answer_text(answer: Answer) -> str | None:
    return None if answer is Answer.UNKNOWN else ANSWERS[answer]


def _spellings(words: str) -> tuple[str, ...]:
    return tuple(word.strip().lower() for word in words.split("|"))


def _choice(words: Iterable[str]) -> str:
    """``a, b, c of d``: a list of options as a Dutch sentence says it."""
    items = list(words)
    return f"{', '.join(items[:-1])} of {items[-1]}" if len(items) > 1 else "".join(items)


_YES_NO: Final = f"{ANSWERS[Answer.YES]}/{ANSWERS[Answer.NO]}"
_FILL_IN_YES_NO: Final = f"Vul {ANSWERS[Answer.YES]} of {ANSWERS[Answer.NO]} in."
_EXAMPLE_DOMAINS: Final = tuple(LIFE_DOMAINS)[:6]

FIELDS: Final[tuple[ReplyField, ...]] = (
    ReplyField(
        key="contact",
        label="Contact",
        hint=_YES_NO,
        question=f"Was er contact met de {{person}}? {_FILL_IN_YES_NO}",
        synonyms=_spellings("contact gehad|is er contact geweest"),
        read=read_contact_answer,
        # Always written, "onbekend" included: a block without Contact is asked back.
        write=lambda outcome: ANSWERS[outcome.contact],
    ),
    ReplyField(
        key="contact_form",
        label="Vorm van contact",
        hint=" / ".join(CONTACT_FORMS.values()),
        question=f"Hoe was het contact? Kies: {_choice(CONTACT_FORMS.values())}.",
        synonyms=_spellings("vorm|contactvorm|soort contact|form of contact|contact form"),
        read=read_contact_form,
        write=lambda outcome: CONTACT_FORMS[outcome.contact_form] if outcome.contact_form else None,
    ),
    ReplyField(
        key="actions",
        label="Acties uitgezet",
        hint=_YES_NO,
        question=f"Zijn er acties uitgezet? {_FILL_IN_YES_NO}",
        synonyms=_spellings("acties|actie uitgezet|zijn er acties uitgezet|acties ingezet|actions|actions taken"),
        read=read_progress_answer,
        write=lambda outcome: _answer_text(outcome.actions),
        unknown=ANSWERS[Answer.UNKNOWN],
    ),
    ReplyField(
        key="life_domains",
        label="Leefgebieden",
        hint=f"(bijv. {', '.join(_EXAMPLE_DOMAINS)})",
        question=f"Op welke leefgebieden zijn acties uitgezet? Bijvoorbeeld {_choice(_EXAMPLE_DOMAINS[:3])}.",
        synonyms=_spellings("leefgebied|levensgebieden|life domains"),
        read=read_life_domains,
        write=lambda outcome: ", ".join(outcome.life_domains) or None,
    ),
    ReplyField(
        key="known_to_care",
        label="Al bekend bij hulpverlening",
        hint=_YES_NO,
        question=f"Was de {{person}} al bekend bij hulpverlening? {_FILL_IN_YES_NO}",
        synonyms=_spellings(
            "bekend bij hulpverlening|bekend bij de hulpverlening|bekend bij zorg|al bekend|bekend|"
            "known to care services|known to care"
        ),
        read=read_answer,
        write=lambda outcome: _answer_text(outcome.known_to_care),
        unknown=ANSWERS[Answer.UNKNOWN],
    ),
    ReplyField(
        key="note",
        label="Toelichting",
        hint="",
        question="Wilt u een korte toelichting geven?",
        synonyms=_spellings("opmerking|opmerkingen|notitie|note|notes|remarks|comments"),
        read=read_note,
        write=lambda outcome: outcome.note or None,
    ),
)
_BY_KEY: Final = MappingProxyType({f.key: f for f in FIELDS})
FIELD_LABELS: Final[Mapping[str, str]] = MappingProxyType({f.key: f.label for f in FIELDS})


def field(key: str) -> ReplyField:
    """The field for an ``Outcome`` attribute name; ``KeyError`` for anything else."""
    return _BY_KEY[key]


def fields_of(keys: Iterable[str] | None) -> tuple[ReplyField, ...]:
    """The fields for ``keys`` (all when ``None``) in block order; ``KeyError`` for a key that is no field."""
    if keys is None:
        return FIELDS
    wanted = {field(key).key for key in keys}
    return tuple(f for f in FIELDS if f.key in wanted)


def is_block_end(line: str) -> bool:
    """Whether a (stripped) line ends the block: ``--- Einde ---``, or a ``--`` signature delimiter."""
    return _END.match(line) is not None


def empty_block(keys: Iterable[str] | None = None) -> str:
    """The block as Koers sends it, for ``keys`` (all fields when ``None``) in block order.

    Raises:
        KeyError: a key that is no field of the block.
    """
    return "\n".join([BLOCK_START, *(f.line() for f in fields_of(keys)), BLOCK_END])


class FillStyle(StrEnum):
    """How a person fills in the block."""

    TEMPLATE = "template"  # the block as sent, markers kept; an unknown value keeps its hint
    EXPLICIT = "explicit"  # every line; an unknown yes/no as "onbekend", other unknown values left blank
    LINES = "lines"  # only the lines that carry a value, no markers: typed from memory


def fill_block(outcome: Outcome, *, style: FillStyle = FillStyle.TEMPLATE, keys: Iterable[str] | None = None) -> str:
    """The block filled in with ``outcome`` as staff would type it, in the words of ``workflows.labels``.

    ``keys`` limits the block to those fields (a follow-up or an ask-back asks for a few); all when ``None``.
    A multi-line note continues on the lines below ``Toelichting:``. Reading the result with
    ``messaging.outcome_fields.parse_outcome`` gives ``outcome`` back for every outcome a person can
    legitimately fill in (``tests/unit/test_reply_roundtrip.py`` says which those are).

    Raises:
        KeyError: a key that is no field of the block.
    """
    lines: list[str] = []
    for f in fields_of(keys):
        value = f.write(outcome)
        if value is not None:
            lines.append(f.line(value))
        elif style is FillStyle.TEMPLATE:
            lines.append(f.line())
        elif style is FillStyle.EXPLICIT:
            lines.append(f.line(f.unknown))
    if style is FillStyle.LINES:
        return "\n".join(lines)
    return "\n".join([BLOCK_START, *lines, BLOCK_END])
