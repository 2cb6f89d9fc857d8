"""Streaming reader for intake feed files: CSV or JSON Lines, one ``RawRecord`` per record.

Feeds can hold 100,000+ records, so the file is read in fixed-size chunks and decoded line by
line; memory does not grow with the file. A record that cannot be read becomes an error record
with its line number and reading goes on, so one broken line never costs the good ones.

Encoding: UTF-8 (with or without BOM), Windows-1252 (Excel's "CSV" on Windows) and UTF-16/32
with a BOM (Excel's "Unicode text"). Without a BOM the choice is made at the first bytes that are
not ASCII (ASCII reads the same either way): UTF-8 if they decode as UTF-8, else Windows-1252 if
they look like it. Bytes that later do not fit the chosen encoding stop the reading with an error
record naming the line. Invariant: text is never decoded with replacement characters or in a
wrong code page, so no mojibake reaches a case.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from workflows.intake import FIELDS, REQUIRED_FIELDS, normalise_field_name

CHUNK_SIZE = 64 * 1024  # also the sample from which a file is judged binary or text
MAX_LINE_CHARS = 1024 * 1024
NOT_TEXT = "bestand is geen tekst in UTF-8 of Windows-1252"
MIXED_ENCODING = "tekens passen niet bij de codering van de rest van het bestand; verder lezen gestopt"

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: its BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_WIDE = frozenset({"utf-16", "utf-32"})  # NUL bytes are normal in these
_CONTROL_BYTES = bytes(range(0x00, 0x09)) + bytes(range(0x0E, 0x20))
_LINE_END = re.compile(r"\r\n|\r|\n")
# In real Windows-1252 text these symbols do not sit between two letters; when they do, the bytes
# are letters of another code page (e.g. Mac Roman "â" is 0x89, "‰" in Windows-1252).
_FOREIGN_CODE_PAGE = re.compile(r"[^\W\d_][‚ƒ„†‡ˆ‰‹›˜™ŽžŸ][^\W\d_]")
# A well-formed multi-byte UTF-8 character; in Windows-1252 text this pair is e.g. "Ã©", which is rare.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_DELIMITERS = (";", ",", "\t")
_KNOWN_FIELDS = frozenset(FIELDS)


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record as read from a feed, before validation: exactly one of ``fields`` and ``error``.

    ``line`` is the 1-based physical line where the record starts (a CSV header is line 1).
    CSV ``fields`` hold every named column (known ones under their field name, values as text,
    a missing trailing cell as ""); JSON Lines ``fields`` are the object as parsed.
    ``error`` is Dutch and starts with ``regel N:``; it never quotes the record's content.
    """

    line: int
    fields: dict[str, object] | None = None
    error: str | None = None

    def __post_init__(self) -> None:
        if (self.fields is None) == (self.error is None):
            raise ValueError("a RawRecord has either fields or an error")


class FeedError(Exception):
    """The file cannot be read at all (missing, empty, no header, unknown format); names the file."""


class _StopReadingError(Exception):
    """Raised by the line source when the rest of the file cannot be decoded."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def iter_feed(path: Path) -> Iterator[RawRecord]:
    """Read the records of one feed file lazily, in file order.

    The file is checked when this is called (exists, not empty, known format); a CSV header is
    checked when iteration starts. A file that is not text yields one error record and nothing
    else.

    Raises:
        FeedError: the file as a whole cannot be read; the message is Dutch and names the file.
    """
    sample, complete = _read_sample(path)
    if _is_binary(sample, complete):
        return iter([RawRecord(1, error=f"regel 1: {NOT_TEXT}")])
    return _records(path, _bom_encoding(sample), _format_of(path, sample))


def _read_sample(path: Path) -> tuple[bytes, bool]:
    """The first chunk of the file and whether it is the whole file."""
    try:
        with path.open("rb") as handle:
            sample = handle.read(CHUNK_SIZE)
            complete = not handle.read(1)
    except FileNotFoundError as exc:
        raise FeedError(f"bestand {path} bestaat niet") from exc
    except IsADirectoryError as exc:
        raise FeedError(f"{path} is een map, geen bestand") from exc
    except OSError as exc:
        raise FeedError(f"bestand {path} kan niet gelezen worden ({exc.strerror or exc})") from exc
    if complete and not _preview(sample).strip():
        raise FeedError(f"bestand {path} is leeg")
    return sample, complete


def _bom_encoding(data: bytes) -> str | None:
    return next((encoding for bom, encoding in _BOMS if data.startswith(bom)), None)


def _preview(sample: bytes) -> str:
    """Text good enough to sniff the format and emptiness; never used for record content."""
    return sample.decode(_bom_encoding(sample) or "utf-8", errors="replace")


def _format_of(path: Path, sample: bytes) -> Literal["csv", "jsonl"]:
    suffix = path.suffix.lower()
    text = _preview(sample).lstrip()
    if suffix in {".jsonl", ".ndjson"} or text.startswith("{"):
        return "jsonl"
    first_line = text.splitlines()[0] if text else ""
    if suffix in {".csv", ".tsv", ".txt"} or any(d in first_line for d in _DELIMITERS):
        return "csv"
    raise FeedError(f"bestand {path}: onbekend formaat (verwacht CSV met kopregel of JSON Lines)")


def _is_binary(sample: bytes, complete: bool) -> bool:
    """Judge the file by its first chunk: NUL or many control bytes, or bytes no decoding accepts."""
    if _bom_encoding(sample) in _WIDE:
        return False
    control = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if b"\x00" in sample or control * 100 > len(sample):
        return True
    return not sample.isascii() and _choose_encoding(sample, complete) is None


def _choose_encoding(data: bytes, final: bool) -> str | None:
    """UTF-8 if ``data`` decodes as UTF-8, else Windows-1252 if it looks like it, else None."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final)
    except UnicodeDecodeError:
        return "cp1252" if _looks_like_cp1252(data) else None
    return "utf-8"


def _looks_like_cp1252(data: bytes) -> bool:
    if _UTF8_SEQUENCE.search(data):  # UTF-8 mixed with other bytes: either reading would give mojibake
        return False
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:  # 0x81, 0x8D, 0x8F, 0x90, 0x9D are not defined in Windows-1252
        return False
    return _FOREIGN_CODE_PAGE.search(text) is None


class _LineSource:
    """Physical lines (with their line ends) of a binary file, decoded chunk by chunk.

    ``line_no`` is the number of the last line handed out. Raises ``_StopReadingError`` after the
    last good line when the bytes that follow cannot be decoded.
    """

    def __init__(self, handle: BinaryIO, encoding: str | None) -> None:
        self._handle = handle
        self._encoding = encoding
        self._decoder = codecs.getincrementaldecoder(encoding)() if encoding else None
        self.line_no = 0

    def __iter__(self) -> Iterator[str]:
        pending = ""
        while True:
            chunk = self._handle.read(CHUNK_SIZE)
            text, problem = self._decode(chunk, final=not chunk)
            lines, pending = _split_lines(pending + text, flush=not chunk or problem is not None)
            for line in lines:
                self.line_no += 1
                yield line
            if problem is not None:
                raise _StopReadingError(self.line_no + 1, problem)
            if len(pending) > MAX_LINE_CHARS:
                raise _StopReadingError(self.line_no + 1, f"regel is langer dan {MAX_LINE_CHARS} tekens")
            if not chunk:
                if pending:
                    self.line_no += 1
                    yield pending
                return

    def _decode(self, chunk: bytes, final: bool) -> tuple[str, str | None]:
        """Decode one chunk: the text before any bad byte, and the problem if there is one."""
        if self._encoding not in _WIDE and b"\x00" in chunk:
            text, problem = self._decode(chunk[: chunk.index(b"\x00")], final=False)
            return text, problem or NOT_TEXT
        if self._decoder is None:
            if chunk.isascii():  # reads the same in UTF-8 and Windows-1252: keep the choice open
                return chunk.decode("ascii"), None
            self._encoding = _choose_encoding(chunk, final)
            if self._encoding is None:
                ascii_end = next(i for i, byte in enumerate(chunk) if byte > 0x7F)
                return chunk[:ascii_end].decode("ascii"), NOT_TEXT
            self._decoder = codecs.getincrementaldecoder(self._encoding)()
        try:
            return self._decoder.decode(chunk, final), None
        except UnicodeDecodeError as exc:
            # exc.encoding names the byte order a UTF-16 decoder settled on; "charmap" is Windows-1252.
            encoding = self._encoding if exc.encoding == "charmap" else exc.encoding
            try:
                good = exc.object[: exc.start].decode(encoding or "utf-8")
            except (UnicodeDecodeError, LookupError):  # cannot happen for the codecs above; lose lines, not text
                good = ""
            return good, MIXED_ENCODING


def _split_lines(text: str, flush: bool) -> tuple[list[str], str]:
    """Complete lines (ending in CRLF, CR or LF) and the unfinished rest.

    A trailing CR is held back unless ``flush``: the LF of its CRLF may be in the next chunk.
    """
    held = ""
    if not flush and text.endswith("\r"):
        text, held = text[:-1], "\r"
    lines, start = [], 0
    for end in _LINE_END.finditer(text):  # matching ends, not whole lines: linear even for one huge line
        lines.append(text[start : end.end()])
        start = end.end()
    return lines, text[start:] + held


def _records(path: Path, encoding: str | None, fmt: Literal["csv", "jsonl"]) -> Iterator[RawRecord]:
    try:
        with path.open("rb") as handle:
            source = _LineSource(handle, encoding)
            try:
                yield from _csv_records(source, path) if fmt == "csv" else _jsonl_records(source)
            except _StopReadingError as stop:
                yield RawRecord(stop.line, error=f"regel {stop.line}: {stop.message}")
    except OSError as exc:
        raise FeedError(f"bestand {path} kan niet gelezen worden ({exc.strerror or exc})") from exc


def _jsonl_records(source: _LineSource) -> Iterator[RawRecord]:
    for text in source:
        line = source.line_no
        stripped = text.strip().lstrip("\ufeff")
        if not stripped:
            continue
        try:
            value = json.loads(stripped)
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
            value = None
        if isinstance(value, dict):
            yield RawRecord(line, fields=value)
        else:
            yield RawRecord(line, error=f"regel {line}: geen geldig JSON-object")


def _csv_records(source: _LineSource, path: Path) -> Iterator[RawRecord]:
    lines = iter(source)
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        raise FeedError(f"bestand {path} heeft geen kopregel")
    offset = source.line_no - 1  # blank lines above the header, which the csv reader does not see
    reader = csv.reader(_chain(first, lines), delimiter=_sniff_delimiter(first))
    try:
        header = _header(next(reader), path)
    except csv.Error as exc:
        raise FeedError(f"bestand {path}: de kopregel kan niet gelezen worden") from exc
    previous = reader.line_num
    while True:
        line = offset + previous + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:  # field over the csv module's size limit, usually an unclosed quote
            yield RawRecord(line, error=f"regel {line}: onleesbare CSV (te lang veld of niet gesloten aanhalingsteken)")
            if reader.line_num == previous:  # no progress: stop rather than loop
                return
            previous = reader.line_num
            continue
        previous = reader.line_num
        if any(cell.strip() for cell in row):
            yield _row_record(row, header, line)


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _sniff_delimiter(header_line: str) -> str:
    """The most frequent of ``;``, ``,`` and tab in the header line; ties go to ``;`` (Dutch Excel)."""
    best = max(_DELIMITERS, key=header_line.count)
    return best if header_line.count(best) else ","


def _header(cells: list[str], path: Path) -> list[str]:
    """Column keys: a known field's canonical name, else the stripped header text."""
    names = [cell.replace("\ufeff", "").strip() for cell in cells]
    keys = [normalise_field_name(name) if normalise_field_name(name) in _KNOWN_FIELDS else name for name in names]
    if not any(key in _KNOWN_FIELDS for key in keys):
        # Probably no header at all: refusing beats silently taking the first record as column names.
        expected = ", ".join(REQUIRED_FIELDS)
        raise FeedError(f"bestand {path}: de kopregel bevat geen bekende kolomnamen (verwacht o.a. {expected})")
    doubled = sorted(key for key, count in Counter(keys).items() if count > 1 and key in _KNOWN_FIELDS)
    if doubled:
        raise FeedError(f"bestand {path}: kolom {', '.join(doubled)} staat meer dan eens in de kopregel")
    return keys


def _row_record(row: list[str], header: list[str], line: int) -> RawRecord:
    """Map a row onto the header; missing trailing cells are empty, surplus non-empty cells an error."""
    if any(cell.strip() for cell in row[len(header) :]):
        return RawRecord(line, error=f"regel {line}: {len(row)} velden, maar de kopregel heeft {len(header)} kolommen")
    fields: dict[str, object] = {key: (row[i] if i < len(row) else "") for i, key in enumerate(header) if key}
    return RawRecord(line, fields=fields)
