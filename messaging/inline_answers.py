"""Answers typed next to Koers' own question lines inside the quoted notification.

Some staff answer in the quote: under ``> Contact: ja/nee`` they type ``ja``, or in Outlook they
type over the hint in the quoted text itself (often in red), which reaches Koers as unquoted text
below Outlook's header block. Quote stripping rightly throws that text away, so this module reads
it separately: the quoted block is Koers' own text (``messaging.reply_block`` rendered it), so
what differs from it next to a question line is the answer.

Rules, so that Koers' own text is never read as an answer:

- Only text inside Koers' own block counts: from the block's start marker to its end marker (or
  the last field line), quoted or not.
- A question line exactly as Koers sent it (its label and its hint) is no answer; the one line
  typed below it that is not Koers' text is. A question line whose hint was replaced or followed
  by other text (``Contact: ja/nee JA``, ``Contact: ja``) is answered on that line.
- Lines of Koers' own text that are not question lines (the end marker, the next question) stop a
  field's answer; ``Toelichting`` takes the lines typed below it up to the end marker.

The caller decides what an inline answer is worth: it fills only the fields the reply's own text
left open, and one that contradicts what the case already has is doubtful.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from messaging.reply_block import BLOCK_START, FIELDS, ReplyField, is_block_end

__all__ = ["InlineAnswer", "read_inline"]

MAX_SCAN_LINES: Final = 5_000
_QUOTE_PREFIX = re.compile(r"^[ \t]*(?:>[ \t]?)+")
_SPACES = re.compile(r"\s+")
_START_KEY: Final = _SPACES.sub("", BLOCK_START.lower())
_LABELS: Final = tuple((_SPACES.sub(" ", f.label.lower()) + ":", f) for f in FIELDS)


@dataclass(frozen=True, slots=True)
class InlineAnswer:
    """The text typed as the answer to one question of Koers' block, and the line it stands on."""

    field: str
    value: str
    line: str


def read_inline(text: str) -> dict[str, InlineAnswer]:
    """The answers typed inside Koers' quoted block(s) in ``text``, per field (the first one found)."""
    lines = [_QUOTE_PREFIX.sub("", line).strip() for line in text.splitlines()[:MAX_SCAN_LINES]]
    answers: dict[str, InlineAnswer] = {}
    index = 0
    while index < len(lines):
        if _SPACES.sub("", lines[index].lower().replace("*", "")) == _START_KEY:
            index = _read_block(lines, index + 1, answers)
        else:
            index += 1
    return answers


def _read_block(lines: list[str], index: int, answers: dict[str, InlineAnswer]) -> int:
    """Read one block from ``index`` (just below the start marker); returns the index after it."""
    current: ReplyField | None = None
    while index < len(lines) and index < MAX_SCAN_LINES:
        line = lines[index]
        if is_block_end(line) or _SPACES.sub("", line.lower()) == _START_KEY:
            return index + 1
        question = _question_of(line)
        if question is not None:
            current = _on_question(question, line, answers)
        elif line and current is not None:
            _on_typed_line(current, line, answers)
            current = current if current.key == "note" else None
        elif not line and current is not None and current.key == "note" and current.key in answers:
            current = None
        index += 1
    return index


def _question_of(line: str) -> ReplyField | None:
    lowered = _SPACES.sub(" ", line.lower().replace("*", ""))
    return next((f for label, f in _LABELS if lowered.startswith(label)), None)


def _on_question(question: ReplyField, line: str, answers: dict[str, InlineAnswer]) -> ReplyField | None:
    """A question line: answered on the line itself, or waiting for the line typed below it."""
    value = line.replace("*", "").split(":", 1)[1].strip()
    if not value or _SPACES.sub("", value.lower()) == question.hint_key:
        return question
    answers.setdefault(question.key, InlineAnswer(question.key, value, line))
    return question if question.key == "note" else None


def _on_typed_line(current: ReplyField, line: str, answers: dict[str, InlineAnswer]) -> None:
    if current.key == "note" and current.key in answers:
        previous = answers[current.key]
        answers[current.key] = InlineAnswer(current.key, f"{previous.value}\n{line}", previous.line)
    else:
        answers.setdefault(current.key, InlineAnswer(current.key, line, line))
