"""Separate the new text of a reply from quoted text, quote headers and signatures.

Municipal staff answer *above* (or between the lines of) the quoted case notification, and that
notification contains the blank answer block itself. Reading the quoted block would record an
outcome nobody gave, so everything quoted must go, and only the sender's own words may stay.

How the text is read, line by line:

1. ``>``-quoted lines are dropped.
2. A *hard cut* ends the new text: a forwarded-message marker, ``-----Original Message-----`` (and
   translations), a header block of a quoted message (``Van:``/``Verzonden:``/``Aan:``/...,
   ``From:``/``Sent:``/..., in any order), or an attribution line (``Op … schreef …:``,
   ``On … wrote:``, ``Am … schrieb …:``, ``Le … a écrit :``, also wrapped over up to three lines)
   that is followed by *unquoted* original text. Everything from the cut onwards is dropped.
3. An attribution line followed by ``>``-quoted lines only introduces that quote: it is dropped,
   and reading continues after the quote. This is how **inline answers** are kept: non-quoted
   lines written between or below quote blocks stay part of the new text. The one exception is a
   single unquoted line squeezed between two quoted lines right after a long quoted line: that is
   the rest of a quoted line that a client wrapped without adding ``>``, not an answer.
4. Signatures are removed at the end: everything after a ``-- `` delimiter or from a legal
   disclaimer on, client lines such as ``Verstuurd vanaf mijn iPhone``, list footers below a rule,
   a closing greeting (``Met vriendelijke groet,``, ``Vr. groet``, ``Mvg``) with the few short
   lines below it, and a name-and-phone block that no greeting introduced (short name, title and
   address lines around a phone, mail or web line). A signature is only removed when text remains
   above it and when none of its lines is a Koers answer field, so the answer is never lost to
   signature stripping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from messaging import quote_patterns as qp

MAX_TEXT_CHARS = 1024 * 1024
_LONG_QUOTED_LINE = 60
_MAX_SIGNATURE_LINES = 10
_MAX_FOOTER_LINES = 6
_BLANK_RUNS = re.compile(r"\n{3,}")
_NEWLINES = re.compile(r"\r\n?")


class CutKind(StrEnum):
    """What ended the new text."""

    FORWARD = "forward"
    ORIGINAL_MESSAGE = "original-message"
    HEADER_BLOCK = "header-block"
    ATTRIBUTION = "attribution"


class _Mark(StrEnum):
    TEXT = "text"
    QUOTE = "quote"
    ATTRIBUTION = "attribution"


@dataclass(frozen=True, slots=True)
class QuoteSplit:
    """The new text of a message and what was found around it.

    ``cut`` says which marker ended the new text (None: the text ran to the end);
    ``has_forward_marker`` is also true for a marker inside ``>``-quoted text.
    """

    new_text: str
    cut: CutKind | None
    has_forward_marker: bool


def extract_new_text(text: str) -> str:
    """The sender's own new text: no quotes, quote headers, forwarded parts or trailing signature."""
    return split_reply(text).new_text


def split_reply(text: str) -> QuoteSplit:
    """Split ``text`` into the new text and the rest; see the module docstring for the rules."""
    lines = _NEWLINES.sub("\n", text[:MAX_TEXT_CHARS].lstrip("\ufeff")).split("\n")
    marks, cut = _scan(lines)
    marks = _mark_wrapped_quote_lines(lines, marks)
    kept = [line.rstrip() for line, mark in zip(lines, marks, strict=False) if mark is _Mark.TEXT]
    new_text = _BLANK_RUNS.sub("\n\n", "\n".join(_strip_signature(kept))).strip()
    return QuoteSplit(
        new_text=new_text,
        cut=cut,
        has_forward_marker=cut is CutKind.FORWARD or _quoted_forward_marker(lines, marks),
    )


def _scan(lines: list[str]) -> tuple[list[_Mark], CutKind | None]:
    """Mark each line up to the first hard cut; return the marks and the kind of cut."""
    marks: list[_Mark] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if qp.is_quoted(line):
            marks.append(_Mark.QUOTE)
            index += 1
            continue
        line_key = qp.key(line)
        cut = _cut_at(lines, index, line_key) if line_key else None
        if cut is not None:
            return marks, cut
        end = _attribution_end(lines, index, line_key) if line_key else None
        if end is None:
            marks.append(_Mark.TEXT)
            index += 1
        elif _quote_follows(lines, end + 1):
            marks.extend([_Mark.ATTRIBUTION] * (end - index + 1))
            index = end + 1
        else:
            return marks, CutKind.ATTRIBUTION
    return marks, None


def _cut_at(lines: list[str], index: int, line_key: str) -> CutKind | None:
    if qp.is_forward_marker(line_key):
        return CutKind.FORWARD
    if qp.is_original_message(line_key):
        return CutKind.ORIGINAL_MESSAGE
    if qp.header_label(line_key) and _is_header_block_at(lines, index):
        return CutKind.HEADER_BLOCK
    return None


def _is_header_block_at(lines: list[str], start: int) -> bool:
    """Header lines from ``start`` on, allowing blank lines and one wrapped continuation line."""
    labels: list[str] = []
    continuations = 0
    for line in lines[start : start + 12]:
        line_key = qp.key(line)
        if not line_key:
            continue
        label = qp.header_label(line_key)
        if label is None:
            continuations += 1
            if continuations > 1:
                break
            continue
        labels.append(label)
    return len(labels) >= 2 and qp.is_header_block(labels)


def _attribution_end(lines: list[str], index: int, line_key: str) -> int | None:
    """Index of the last line of an attribution starting at ``index``, or None."""
    if not qp.could_start_attribution(line_key):
        return None
    parts: list[str] = []
    for end in range(index, min(index + 3, len(lines))):
        part = qp.key(lines[end])
        if not part or qp.is_quoted(lines[end]):
            return None
        parts.append(part)
        if qp.is_attribution(" ".join(parts)):
            return end
    return None


def _quote_follows(lines: list[str], index: int) -> bool:
    while index < len(lines) and not qp.key(lines[index]):
        index += 1
    return index < len(lines) and qp.is_quoted(lines[index])


def _mark_wrapped_quote_lines(lines: list[str], marks: list[_Mark]) -> list[_Mark]:
    """Treat a lone unquoted line between quotes, right after a long quoted line, as quoted."""
    result = list(marks)
    for index in range(1, len(marks) - 1):
        if marks[index] is not _Mark.TEXT or not qp.key(lines[index]):
            continue
        before, after = marks[index - 1], marks[index + 1]
        previous = lines[index - 1].lstrip(" \t>")
        if before is _Mark.QUOTE and after is _Mark.QUOTE and len(previous) >= _LONG_QUOTED_LINE:
            result[index] = _Mark.QUOTE
    return result


def _quoted_forward_marker(lines: list[str], marks: list[_Mark]) -> bool:
    return any(
        mark is _Mark.QUOTE and qp.is_forward_marker(qp.key(line.lstrip(" \t>")))
        for line, mark in zip(lines, marks, strict=False)
    )


def _strip_signature(lines: list[str]) -> list[str]:
    """Remove the trailing signature parts; see rule 4 in the module docstring."""
    delimiter = next((index for index, line in enumerate(lines) if qp.is_signature_delimiter(line)), None)
    if delimiter is not None:
        lines = lines[:delimiter]
    lines = _strip_trailing_noise(_strip_disclaimer(lines))
    lines = _strip_footer(lines)
    lines = _strip_trailing_noise(_strip_greeting_block(lines))
    return _strip_trailing_noise(_strip_contact_block(lines))


def _strip_disclaimer(lines: list[str]) -> list[str]:
    """Drop a legal disclaimer and everything after it (it never carries an answer)."""
    for index, line in enumerate(lines):
        if qp.is_disclaimer(qp.key(line)) and any(qp.key(above) for above in lines[:index]):
            return lines[:index]
    return lines


def _strip_contact_block(lines: list[str]) -> list[str]:
    """Drop a trailing signature that no greeting introduced: short name, title and address lines around at
    least one phone, mail or web line, below some text of the sender's own."""
    start, has_contact_line = len(lines), False
    while start > 0 and len(lines) - start <= _MAX_SIGNATURE_LINES:
        line_key = qp.key(lines[start - 1])
        if line_key and (qp.is_answer_field(line_key) or not qp.is_signature_line(line_key)):
            break
        has_contact_line = has_contact_line or qp.is_contact_line(line_key)
        start -= 1
    if not has_contact_line or not any(qp.key(line) for line in lines[:start]):
        return lines
    return lines[:start]


def _strip_trailing_noise(lines: list[str]) -> list[str]:
    """Drop trailing blank lines, rules and client signature lines (``Sent from my iPhone``)."""
    end = len(lines)
    while end:
        line_key = qp.key(lines[end - 1])
        if line_key and not qp.is_rule(line_key) and not qp.is_mobile_signature(line_key):
            break
        end -= 1
    return lines[:end]


def _strip_footer(lines: list[str]) -> list[str]:
    """Drop a short block below the last rule line, such as a mailing-list footer."""
    for index in range(len(lines) - 1, 0, -1):
        if qp.is_rule(qp.key(lines[index])):
            tail = [line for line in lines[index + 1 :] if qp.key(line)]
            has_text_above = any(qp.key(line) for line in lines[:index])
            if has_text_above and len(tail) <= _MAX_FOOTER_LINES and not _has_answer_field(tail):
                return lines[:index]
            return lines
    return lines


def _strip_greeting_block(lines: list[str]) -> list[str]:
    """Drop a closing greeting and the short name/title/phone lines below it."""
    for index, line in enumerate(lines):
        if not qp.is_greeting(qp.key(line)) or not any(qp.key(above) for above in lines[:index]):
            continue
        tail = [qp.key(below) for below in lines[index + 1 :] if qp.key(below)]
        if len(tail) <= _MAX_SIGNATURE_LINES and all(len(item) <= 120 for item in tail) and not _has_answer_field(tail):
            return lines[:index]
    return lines


def _has_answer_field(lines: list[str]) -> bool:
    return any(qp.is_answer_field(qp.key(line)) for line in lines)
