"""Read the outcome block (``Contact: ja`` ...) from the new text of a municipality's reply.

The input is the reply's own text, with quotes and signatures already removed. Lines that are not fields
(greetings, prose) are ignored; reading stops at ``--- Einde ---`` or after ``MAX_TEXT_CHARS`` / ``MAX_LINES``.

Decisions, so that nothing is guessed:

- Only keyed fields count. Prose such as "we hebben contact gehad" is not interpreted: a reply without
  fields is ``is_empty``, and the caller asks back.
- An exact key with a separator (``:``, ``=``, `` - ``) always makes a field line, so an unreadable value
  becomes a problem. A key with a small typo, or an exact key without a separator (``Contact ja``), makes a
  field line only when its value reads cleanly; otherwise the line is prose.
- The template's own placeholder (``ja/nee``, the list of contact forms, ``(bijv. ...)``) means "not
  answered" and is not a problem.
- Values are matched exactly, then within a small edit distance; a value within reach of two different
  answers (``nve``: nee or nvt) is a problem. A clear answer followed by an explanation (``ja, gebeld``)
  reads as that answer.
- A problem is *doubtful* (the field is asked back, never recorded) or only a flag: an unknown life domain
  is flagged and its words are kept in the note, while the known ones beside it are certain. Actions "ja"
  without life domains is not a problem. Contradictions make both sides doubtful: a field repeated with
  another value, ``Contact: nee`` with ``Acties uitgezet: ja``. A contact form beside ``Contact: nee`` is
  dropped with a flag (an attempt, not contact). A missing ``Contact`` is the caller's to ask for.
- A dated update in the same mail (``Update 14-3: Acties uitgezet: ja``, or a line ``Aanvulling:`` above
  the fields) replaces what the lines before it said; ``superseded`` keeps the replaced value for the audit.
- ``recognised_fields`` holds the fields that were answered or attempted, so an untouched template is empty.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from types import MappingProxyType
from typing import Final

from messaging import reply_block
from messaging.outcome_values import LIFE_DOMAINS, NOTE_MAX_CHARS, closest, needs_keeping
from messaging.reply_block import FIELD_LABELS, FIELDS
from workflows.labels import ANSWERS
from workflows.model import Answer, ContactForm, Outcome

__all__ = ["FIELD_LABELS", "LIFE_DOMAINS", "NOTE_MAX_CHARS", "OutcomeReading", "Problem", "parse_outcome"]
MAX_TEXT_CHARS: Final = 100_000  # a reply's own text beyond this is not an outcome block
MAX_LINES: Final = 2_000

# Every key spelling of the block's fields (``messaging.reply_block``), to the field's key.
_KEYS: Final[Mapping[str, str]] = MappingProxyType({spelling: f.key for f in FIELDS for spelling in f.keys})
_KEY_FIRST_WORDS: Final = frozenset(key.split()[0] for key in _KEYS)
_KEY_NOISE = re.compile(r"\([^)]*\)|[?.,!'\"`_]")
_BULLET = re.compile(r"^(?:[-*•·‣▪◦–—]+|\d{1,2}[.)])\s+")
_SEPARATOR = re.compile(r":|=|(?<=\s)[-–—](?=\s|$)")
_UPDATE = re.compile(
    r"^(?:(?:update|aanvulling|correctie|wijziging|edit|bijgewerkt|toevoeging|later|inmiddels|sorry|vergeten"
    r"|p\.?s\.?|n\.?b\.?)(?!\w)[^:]{0,30}:"
    r"|(?:\d{1,2}[-/.]\d{1,2}(?:[-/.]\d{2,4})?|\d{1,2}\s+(?:jan|feb|mrt|maa|apr|mei|jun|jul|aug|sep|okt|nov|dec)"
    r"[a-z]*\.?)\s*:)\s*",
    re.IGNORECASE,
)
_CLOSING = re.compile(
    r"^(?:(?:met\s+)?(?:vriendelijke|hartelijke|beste|vr\.?|vrdl\.?)\s*)?groet(?:en|jes)?\b|^m\.?v\.?g\b|^gr\.?$|"
    r"^vr\.?\s*gr\b|^mvgr\b|"
    r"^(?:kind|best|warm)\s+regards\b|^regards\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing in the reply that could not be read; ``line`` quotes the sender's line back to them.

    ``field`` is the ``Outcome`` attribute name (``FIELD_LABELS`` has the Dutch label); ``message`` is Dutch.
    """

    field: str
    line: str
    message: str
    doubtful: bool = True


@dataclass(frozen=True, slots=True)
class OutcomeReading:
    """What a reply's outcome block says, per field, and what in it needs a person.

    ``outcome`` holds what was read; a field with a doubtful problem is not certain (``doubtful_fields``) and
    must not be recorded from here. ``superseded`` holds, per field, the value a dated update replaced.
    """

    outcome: Outcome
    problems: tuple[Problem, ...] = ()
    recognised_fields: tuple[str, ...] = ()
    superseded: Mapping[str, object] = dataclass_field(default_factory=dict)
    prose: str = ""  # the text that is no field line (the note's text included): for the prose reader

    @property
    def is_empty(self) -> bool:
        return not self.recognised_fields

    @property
    def needs_review(self) -> bool:
        return any(problem.doubtful for problem in self.problems)

    @property
    def doubtful_fields(self) -> frozenset[str]:
        return frozenset(problem.field for problem in self.problems if problem.doubtful)

    @property
    def certain_fields(self) -> tuple[str, ...]:
        """The fields read with a value and no doubt, in block order."""
        doubtful = self.doubtful_fields
        return tuple(key for key in self.recognised_fields if key not in doubtful and _has_value(self.outcome, key))


@dataclass(frozen=True, slots=True)
class _Entry:
    field: str
    value: str
    lines: tuple[str, ...]
    later: bool = False  # below a dated update: it replaces what the lines above said


def _has_value(outcome: Outcome, key: str) -> bool:
    value = getattr(outcome, key)
    return value is not None and value != () and value is not Answer.UNKNOWN


_CONFLICT: Final = object()  # a repeated field whose values disagree


def parse_outcome(text: str, *, known_contact: Answer = Answer.UNKNOWN) -> OutcomeReading:
    """Read the outcome fields from a reply's new text; never raises on any text.

    ``known_contact`` is the contact answer the case already has: a later reply that only adds
    the missing part (``Acties uitgezet: nee``) need not repeat it, and is checked against it.
    """
    lines = _block_lines(text if isinstance(text, str) else "")
    entries = _scan(lines)
    values: dict[str, object] = {}
    first_lines: dict[str, str] = {}
    later: dict[str, bool] = {}
    superseded: dict[str, object] = {}
    problems: list[Problem] = []
    kept: list[str] = []
    for entry in entries:
        value, issues = reply_block.field(entry.field).read_value(entry.value)
        problems += [Problem(entry.field, _line_of(entry, i.fragment), i.message, i.doubtful) for i in issues]
        if value is not None or issues:
            first_lines.setdefault(entry.field, entry.lines[-1])
        if entry.field == "life_domains" and value is not None and needs_keeping(entry.value):
            kept.append(f"{FIELD_LABELS['life_domains']}: {entry.value}")
        if value is not None:
            _merge(values, entry, value, problems, later, superseded)
    if kept:
        note = values.get("note")
        values["note"] = "\n".join([*([note] if isinstance(note, str) else []), *kept])[:NOTE_MAX_CHARS]
    problems += _cross_check(values, first_lines, known_contact)
    recognised = tuple(field for field in FIELD_LABELS if field in first_lines or field in values)
    field_lines = {line for entry in entries if entry.field != "note" for line in entry.lines}
    prose = "\n".join(line for line in lines if line not in field_lines)
    return OutcomeReading(_outcome(values), tuple(problems), recognised, MappingProxyType(superseded), prose)


def _block_lines(text: str) -> list[str]:
    """The stripped lines before the end marker, within the size limits."""
    lines: list[str] = []
    for raw in text[:MAX_TEXT_CHARS].splitlines()[:MAX_LINES]:
        if reply_block.is_block_end(raw.strip()):
            break
        lines.append(raw.strip())
    return lines


def _scan(lines: list[str]) -> list[_Entry]:
    """Find the field lines, each with the continuation lines that belong to its value."""
    plain = [_clean(line) for line in lines]
    updates = [_UPDATE.match(line) for line in plain]
    cleaned = [line[match.end() :] if match else line for line, match in zip(plain, updates, strict=True)]
    keys = [_key_line(line) for line in cleaned]
    entries: list[_Entry] = []
    i, in_update = 0, False
    while i < len(lines):
        found, start, i = keys[i], i, i + 1
        in_update = in_update or updates[start] is not None
        if found is None:
            continue
        field, value = found
        taken = _continuation(field, value, lines, cleaned, keys, i)
        if field == "note":  # a note keeps its own bullets, emphasis and spacing, on its first line too
            value = "\n".join([_typed_value(lines[start], value), *(lines[j] for j in taken)]).strip()
        else:
            value = "\n".join([value, *(cleaned[j] for j in taken)]).strip()
        entries.append(_Entry(field, value, (lines[start], *(lines[j] for j in taken)), in_update))
        i = taken[-1] + 1 if taken else i
    return entries


def _typed_value(line: str, cleaned_value: str) -> str:
    """The value of a field line as typed: after the key's separator, without the key's own emphasis.

    ``**Toelichting:** *niet* bellen`` gives ``*niet* bellen``. Falls back to the cleaned value when
    the typed line does not split into the same key.
    """
    typed = _BULLET.sub("", line, count=1)
    emphasis = typed[: len(typed) - len(typed.lstrip("*_"))]
    separator = _SEPARATOR.search(typed)
    if separator is None or _key_line(_clean(typed[: separator.start()]) + ":") != ("note", ""):
        return cleaned_value
    value = typed[separator.end() :].strip()
    return value[len(emphasis) :].strip() if emphasis and value.startswith(emphasis) else value


def _continuation(
    field: str, value: str, lines: list[str], cleaned: list[str], keys: list[tuple[str, str] | None], i: int
) -> list[int]:
    """Indices of the lines after a field line that continue its value."""
    taken: list[int] = []
    for j in range(i, len(lines)):
        if keys[j] is not None or _CLOSING.match(cleaned[j]):
            break
        if field == "note":
            taken.append(j)
        elif not cleaned[j]:
            if value or taken:
                break
        elif field == "life_domains" and (not (value or taken) or _BULLET.match(lines[j]) or _open(value)):
            taken.append(j)
        elif field != "life_domains" and not (value or taken):
            return [j]
        else:
            break
    return taken


def _open(value: str) -> bool:
    return bool(re.search(r"(?:[,;/&+]|\sen)$", value.strip().lower()))


def _key_line(line: str) -> tuple[str, str] | None:
    """The field and value of a cleaned field line, or ``None`` for any other line."""
    separator = _SEPARATOR.search(line, 0, 80)
    if separator is not None:
        key, value = _norm_key(line[: separator.start()]), line[separator.end() :].strip()
        if key in _KEYS:
            return _KEYS[key], value
        fields = closest(key, _KEYS)
        if len(fields) == 1 and _reads_cleanly(field := fields.pop(), value):
            return field, value
    words = line.split()
    if not words or _norm_key(words[0]) not in _KEY_FIRST_WORDS:
        return None
    for n in range(min(len(words), 6), 0, -1):
        field_or_none = _KEYS.get(_norm_key(" ".join(words[:n])))
        if field_or_none is not None:
            value = " ".join(words[n:])
            return (field_or_none, value) if not value or _reads_cleanly(field_or_none, value, prose=True) else None
    return None


def _reads_cleanly(key: str, value: str, *, prose: bool = False) -> bool:
    if key == "note":
        return not prose
    return not value or not reply_block.field(key).read_value(value)[1]


def _clean(raw: str) -> str:
    line = _BULLET.sub("", raw.strip(), count=1)
    return " ".join(line.replace("*", "").replace("__", "").split())


def _norm_key(text: str) -> str:
    text = _KEY_NOISE.sub(" ", text.lower())
    return " ".join(text.split()).strip("-–• ")


def _merge(values: dict[str, object], entry: _Entry, value: object, problems: list[Problem],
           later: dict[str, bool], superseded: dict[str, object]) -> None:  # fmt: skip
    """Add one field's value; a repeated field must agree, except lists and notes, which accumulate, and a
    dated update, which replaces what came before it."""
    field, previous = entry.field, values.get(entry.field)
    if previous is _CONFLICT:
        return
    if previous is None or previous == value:
        values[field], later[field] = value, later.get(field, False) or entry.later
    elif entry.later and not later.get(field, False) and field != "note":
        superseded[field], values[field], later[field] = previous, value, True
    elif isinstance(previous, tuple) and isinstance(value, tuple):
        values[field] = tuple(domain for domain in LIFE_DOMAINS if domain in previous or domain in value)
    elif isinstance(previous, str) and isinstance(value, str) and field == "note":
        values[field] = f"{previous}\n\n{value}"[:NOTE_MAX_CHARS]
    else:
        values[field] = _CONFLICT
        label = FIELD_LABELS[field]
        problems.append(
            Problem(field, entry.lines[-1], f"{label} staat er meer dan eens, met verschillende antwoorden")
        )


def _cross_check(values: dict[str, object], lines: Mapping[str, str], known_contact: Answer) -> list[Problem]:
    """Contradictions between fields make both sides doubtful; a form beside "no contact" is set aside, and a form
    beside a doubtful contact is doubtful too."""
    contact_field, yes, no = reply_block.field("contact"), ANSWERS[Answer.YES], ANSWERS[Answer.NO]
    contact_no = f"{contact_field.label} '{no}'"
    problems: list[Problem] = []
    contact = values.get("contact", known_contact)
    if contact is Answer.NO and values.get("actions") is Answer.YES:
        message = f"{FIELD_LABELS['actions']} is '{yes}' terwijl {contact_no} is"
        problems.append(Problem("actions", lines["actions"], message))
        if "contact" in values:
            problems.append(Problem("contact", lines["contact"], message))
    contact_in_doubt = "contact" in lines and "contact" not in values and known_contact is Answer.UNKNOWN
    if contact_in_doubt and isinstance(values.get("contact_form"), ContactForm):
        # The form says how the contact came about; while the contact itself is in doubt, so is its form.
        message = f"{FIELD_LABELS['contact_form']} hoort bij een contact dat nog niet vaststaat"
        problems.append(Problem("contact_form", lines["contact_form"], message))
    if contact is Answer.NO and isinstance(values.get("contact_form"), ContactForm):
        message = f"{FIELD_LABELS['contact_form']} is ingevuld bij {contact_no}: niet vastgelegd"
        problems.append(Problem("contact_form", lines["contact_form"], message, doubtful=False))
        values.pop("contact_form")
    return problems


def _outcome(values: Mapping[str, object]) -> Outcome:
    def answer(field: str) -> Answer:
        value = values.get(field)
        return value if isinstance(value, Answer) else Answer.UNKNOWN

    form, domains, note = values.get("contact_form"), values.get("life_domains"), values.get("note")
    return Outcome(
        contact=answer("contact"),
        contact_form=form if isinstance(form, ContactForm) else None,
        actions=answer("actions"),
        life_domains=domains if isinstance(domains, tuple) else (),
        known_to_care=answer("known_to_care"),
        note=note if isinstance(note, str) else None,
    )


def _line_of(entry: _Entry, fragment: str) -> str:
    needle = fragment.strip().lower()
    return next((line for line in entry.lines if needle and needle in line.lower()), entry.lines[-1])
