"""Header decoding for inbound mail: raw header values in, safe text and addresses out.

Inbound headers are written by strangers, so every helper here is total: it returns a usable value
(possibly empty) and records what was wrong as a short defect code instead of raising.

Invariants:

- Decoded values hold no CR, LF, NUL or other control characters, so a value can never smuggle an
  extra header (``"x\\r\\nBcc: ..."``) into anything that later writes it out.
- Every value is capped before RFC 2047 decoding: the standard library decoder is quadratic in the
  number of encoded words, and a single hostile header must not cost more than milliseconds.
- Addresses are returned as lower-cased ``local@domain`` strings, or not at all.
"""

from __future__ import annotations

import binascii
import codecs
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.errors import HeaderParseError
from email.header import decode_header
from email.utils import parsedate_to_datetime

MAX_HEADER_CHARS = 8 * 1024
MAX_ADDRESSES = 100
MAX_IDS = 100

_FOLD = re.compile(r"[\r\n]+[ \t]*")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_ADDR_SPEC = re.compile(r"[^\s@<>()\[\],;:\"\\]+@[^\s@<>()\[\],;:\"\\.]+(?:\.[^\s@<>()\[\],;:\"\\.]+)+")
_MSG_ID = re.compile(r"<[^<>\s]{1,500}>")
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060\ufeff]")
# Text codecs that interpret escapes or are not charsets at all; a header may name them, we ignore them.
_UNSAFE_CODECS = frozenset({"unicode-escape", "raw-unicode-escape", "idna", "punycode", "undefined"})


@dataclass(frozen=True, slots=True)
class Mailbox:
    """One parsed mailbox: ``address`` is None when no single valid addr-spec could be found."""

    display: str
    address: str | None


def raw_to_text(value: str, defects: list[str]) -> str:
    """Turn a header value as stored by the parser back into text.

    The bytes parser keeps undeclared 8-bit bytes as surrogate escapes. RFC 6532 allows raw UTF-8
    in headers, so valid UTF-8 is accepted quietly; anything else is decoded as Windows-1252 and
    recorded as ``header-8bit-invalid``, which marks the message as malformed.
    """
    try:
        raw = value.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return value  # Already real text (e.g. a str policy); nothing to undo.
    if raw.isascii():
        return value
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        defects.append("header-8bit-invalid")
        return raw.decode("cp1252", errors="replace")


def unfold(value: str, defects: list[str]) -> str:
    """Unfold a raw header value and cap its length (``header-too-long`` when cut)."""
    if len(value) > MAX_HEADER_CHARS:
        defects.append("header-too-long")
        value = value[:MAX_HEADER_CHARS]
    return _FOLD.sub(" ", value).strip()


def decode_words(value: str, defects: list[str]) -> str:
    """Decode RFC 2047 encoded words; unknown charsets and bad encodings degrade to replacement."""
    if "=?" not in value:
        return clean(value)
    try:
        chunks = decode_header(value)
    except (HeaderParseError, ValueError, binascii.Error):
        defects.append("header-bad-encoding")
        return clean(value)
    return clean("".join(_decode_chunk(chunk, charset, defects) for chunk, charset in chunks))


def _decode_chunk(chunk: bytes | str, charset: str | None, defects: list[str]) -> str:
    if isinstance(chunk, str):
        return chunk
    if charset is None:
        # decode_header returns the unencoded parts between encoded words as raw-unicode-escape
        # bytes; undo exactly that so raw UTF-8 text next to an encoded word survives.
        return chunk.decode("raw-unicode-escape", errors="replace")
    name = charset
    if not is_text_codec(name):
        defects.append("header-unknown-charset")
        name = "utf-8"
    return chunk.decode(name, errors="replace")


def is_text_codec(name: str) -> bool:
    """Whether ``name`` names a codec that is safe to use for decoding mail text."""
    try:
        info = codecs.lookup(name)
        if info.name in _UNSAFE_CODECS:
            return False
        b"x".decode(info.name, "replace")  # bytes.decode refuses the bytes-to-bytes codecs (zlib, base64, rot13)
    except (LookupError, ValueError):
        return False
    return True


def clean(value: str) -> str:
    """Remove control and invisible formatting characters and collapse whitespace."""
    value = _INVISIBLE.sub("", _CONTROL.sub(" ", value.replace("\r", " ").replace("\n", " ")))
    return " ".join(value.split())


def parse_mailbox(value: str) -> Mailbox:
    """Parse a single-mailbox header such as ``From``, leniently but never ambiguously.

    ``Foo Bar [x] <foo@bar.example>`` keeps its intact address; a header naming two mailboxes, or
    none, gives ``address=None`` because Koers must know exactly who answered.
    """
    outside = _outside_quotes_and_comments(value)
    if outside.count("<") > 1 or outside.count(">") > 1 or "," in outside or ";" in outside:
        return Mailbox(display=_display_of(value), address=None)
    if "<" in outside:
        start, end = outside.find("<"), outside.find(">")
        candidate = value[start + 1 : end] if end > start else value[start + 1 :]
        return Mailbox(display=_display_of(value[:start]), address=_valid_address(candidate))
    bare = outside.strip()
    comment = value.replace(bare, "", 1).strip(" ()") if bare else value
    return Mailbox(display=clean(comment), address=_valid_address(bare))


def parse_address_list(value: str) -> tuple[str, ...]:
    """All valid addresses in an address-list header, lower-cased, in order, at most 100."""
    found: list[str] = []
    for piece in _split_top_level(value):
        mailbox = parse_mailbox(piece)
        if mailbox.address and mailbox.address not in found:
            found.append(mailbox.address)
        if len(found) >= MAX_ADDRESSES:
            break
    return tuple(found)


def addresses_in(text: str) -> tuple[str, ...]:
    """Every addr-spec that occurs anywhere in ``text`` (used for delivery reports)."""
    found: list[str] = []
    for match in _ADDR_SPEC.finditer(text):
        address = match.group(0).lower().strip(".")
        if address not in found:
            found.append(address)
        if len(found) >= MAX_ADDRESSES:
            break
    return tuple(found)


def parse_message_ids(value: str) -> tuple[str, ...]:
    """Message-IDs in ``<...>`` form, in order, without duplicates (brackets kept for matching)."""
    ids: list[str] = []
    for match in _MSG_ID.finditer(value):
        if match.group(0) not in ids:
            ids.append(match.group(0))
        if len(ids) >= MAX_IDS:
            break
    return tuple(ids)


def parse_date(value: str) -> datetime | None:
    """The header date, or None when absent or unparseable (never raises)."""
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (ValueError, TypeError, IndexError, OverflowError):
        return None


def first(values: Iterable[str]) -> str:
    """The first value, or ``''``: header accessors return lists to keep duplicates visible."""
    return next(iter(values), "")


def _valid_address(candidate: str) -> str | None:
    candidate = candidate.strip()
    if candidate.lower().startswith("mailto:"):
        candidate = candidate[7:]
    if _ADDR_SPEC.fullmatch(candidate) is None:
        return None
    return candidate.lower()


def _display_of(value: str) -> str:
    return clean(value.replace('"', " ").replace("\\", ""))


def _outside_quotes_and_comments(value: str) -> str:
    """``value`` with quoted strings and (comments) blanked, so their commas and brackets are ignored."""
    out: list[str] = []
    in_quote = False
    depth = 0
    escaped = False
    for char in value:
        if escaped:
            escaped = False
            out.append(" ")
        elif char == "\\":
            escaped = True
            out.append(" ")
        elif in_quote:
            in_quote = char != '"'
            out.append(" ")
        elif char == '"':
            in_quote = True
            out.append(" ")
        elif char == "(":
            depth += 1
            out.append(" ")
        elif char == ")" and depth:
            depth -= 1
            out.append(" ")
        else:
            out.append(" " if depth else char)
    return "".join(out)


def _split_top_level(value: str) -> list[str]:
    """Split an address list at commas that are not inside quotes, comments or angle brackets."""
    outside = _outside_quotes_and_comments(value)
    pieces: list[str] = []
    start = 0
    in_angle = False
    for index, char in enumerate(outside):
        if char == "<":
            in_angle = True
        elif char == ">":
            in_angle = False
        elif char in ",;" and not in_angle:
            pieces.append(value[start:index])
            start = index + 1
        if len(pieces) > MAX_ADDRESSES:
            return pieces
    pieces.append(value[start:])
    return [piece for piece in pieces if piece.strip()]
