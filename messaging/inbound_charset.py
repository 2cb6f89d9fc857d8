"""Transfer and charset decoding of inbound MIME parts, tolerant of what real mail gets wrong.

Real replies arrive with base64 that lacks padding, quoted-printable that contains bare ``=`` or raw
8-bit text, and charsets that are missing, unknown (``ks_c_5601-1987``) or simply wrong (UTF-8
labelled ``Big5`` or ``iso-8859-1``). Decoding therefore never fails: it picks the most plausible
reading and records the repair as a defect code.

Invariant: the returned text contains no NUL or other C0 control characters except tab and newline,
and uses ``\\n`` line endings only.
"""

from __future__ import annotations

import binascii
import re

from messaging.inbound_headers import is_text_codec

# Microsoft and legacy labels Python does not know, or knows under a narrower meaning.
_ALIASES = {
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso_8859-1": "cp1252",
    "us-ascii": "ascii",
    "ansi_x3.4-1968": "ascii",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "big5": "big5hkscs",
    "x-sjis": "cp932",
    "shift_jis": "cp932",
    "unicode-1-1-utf-7": "utf-7",
}
_UNDECLARED = frozenset({"", "unknown-8bit", "x-unknown", "none", "unknown", "default", "charset"})
_KNOWN_CTE = frozenset({"7bit", "8bit", "binary"})
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NEWLINES = re.compile(r"\r\n?")


def transfer_decode(raw: bytes, encoding: str, defects: list[str]) -> bytes:
    """Undo the Content-Transfer-Encoding; unknown or empty encodings pass the bytes through."""
    encoding = encoding.strip().lower()
    if encoding == "base64":
        return _base64(raw, defects)
    if encoding == "quoted-printable":
        return binascii.a2b_qp(raw)
    if encoding not in _KNOWN_CTE:
        defects.append("invalid-transfer-encoding")
    return raw


def _base64(raw: bytes, defects: list[str]) -> bytes:
    # Drop everything outside the alphabet (line breaks, stray '=' and junk) and repair the padding
    # instead of failing: a reply with a truncated last line is still mostly readable.
    cleaned = _NOT_BASE64.sub(b"", raw)
    remainder = len(cleaned) % 4
    if remainder == 1:
        defects.append("invalid-base64")
        cleaned = cleaned[:-1]
    elif remainder:
        cleaned += b"=" * (4 - remainder)
    try:
        return binascii.a2b_base64(cleaned)
    except binascii.Error:
        defects.append("invalid-base64")
        return b""


def decode_text(data: bytes, charset: str | None, defects: list[str]) -> str:
    """Decode a text part: declared charset first, then UTF-8, then Windows-1252, then replacement."""
    return normalize_text(_decode(data, _codec_for(charset, defects), defects))


def normalize_text(text: str) -> str:
    """Use LF line endings and drop control characters that have no place in a reply."""
    return _CONTROL.sub("", _NEWLINES.sub("\n", text))


def _codec_for(charset: str | None, defects: list[str]) -> str | None:
    name = (charset or "").strip().strip("\"'").lower()
    if name in _UNDECLARED:
        return None
    name = _ALIASES.get(name, name)
    if not is_text_codec(name):
        defects.append("unknown-charset")
        return None
    return name


def _decode(data: bytes, codec: str | None, defects: list[str]) -> str:
    if data.isascii():
        return data.decode("ascii")
    # Non-ASCII bytes that happen to be valid UTF-8 are almost never meant as another charset, so a
    # body labelled Big5 or iso-8859-1 that is valid UTF-8 is read as UTF-8 (a common mislabelling).
    if codec is None or not codec.startswith(("utf-16", "utf-32")):
        text = _attempt(data, "utf-8")
        if text is not None:
            if codec not in (None, "ascii", "utf-8", "utf8"):
                defects.append("charset-mismatch")
            return text
    if codec not in (None, "ascii"):
        text = _attempt(data, codec)
        if text is not None:
            return text
        defects.append("charset-mismatch")
    text = _attempt(data, "cp1252")
    if text is not None:
        return text
    defects.append("charset-replaced")
    return data.decode("latin-1")


def _attempt(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None
