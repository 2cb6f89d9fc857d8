"""The letter to the self-reporter as a one-page A4 PDF.

The wording comes from a Jinja2 template (see ``messaging.render``); this module only lays it out.
It draws on a ReportLab canvas with the built-in Helvetica, through one text object for the page:
no font files to register, no flowable machinery, so a letter takes well under a millisecond
(rendering is on the hot path). Only ReportLab's public API is used.

Text markup of the letter template, after rendering: the first line is the subject, then a blank
line, then blocks separated by blank lines. Inside a block, every line is kept as a line of its own
(wrapped when too long); a line starting with ``# `` is bold, one starting with ``- `` is a bullet.

Invariants:

- Exactly one page. Text that does not fit raises ``LetterTooLongError`` instead of spilling onto
  a second page that nobody prints.
- Only characters of the WinAnsi (cp1252) encoding of the standard fonts reach the PDF; others are
  transliterated (``Ş`` → ``S``), so a name never shows up as black squares. ë, é, ô, â, € pass.
- The output is deterministic (``invariant``): the same letter gives the same bytes.
- Minimal data: the letter knows name, address, report date and institution, nothing about the
  sentence or the offence.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from io import BytesIO

from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.textobject import PDFTextObject

FONT = "Helvetica"
FONT_BOLD = "Helvetica-Bold"
BODY_SIZE = 12.0
LEADING = 16.0
BLOCK_GAP = 7.0
LEFT = 25 * mm
RIGHT = A4[0] - 20 * mm
BOTTOM = 18 * mm
# Compressed streams stay binary: ReportLab's default ASCII85-encodes them on top of the
# compression, a quarter more bytes and CPU for a PDF that travels base64-encoded anyway.
# (A process-wide setting of ReportLab's; Koers makes no other PDFs.)
rl_config.useA85 = 0
_NO_DECOMPOSITION = str.maketrans({"ı": "i", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ħ": "h", "ŀ": "l"})


class LetterTooLongError(ValueError):
    """The letter text does not fit on one A4 page; shorten the (override) template."""


@dataclass(frozen=True)
class LetterData:
    """What the letter may know about the self-reporter and the municipality: the minimum to act."""

    case_ref: str
    recipient_name: str
    street: str | None
    house_number: str | None
    postcode: str | None
    woonplaats: str | None
    report_date: date
    institution: str
    municipality_name: str
    team: str | None
    phone: str | None
    team_email: str | None
    address: str | None
    letter_date: date


@dataclass(frozen=True)
class LetterLayout:
    """Everything that goes on the page, as plain lines: the input of ``build_pdf``."""

    sender_title: str
    sender_lines: tuple[str, ...]
    recipient_lines: tuple[str, ...]
    meta: tuple[tuple[str, str], ...]
    blocks: tuple[tuple[str, ...], ...]
    title: str = "Brief"


def pdf_safe(text: str) -> str:
    """Return ``text`` with every character the standard fonts cannot show replaced by a close one."""
    try:
        text.encode("cp1252")
        return text
    except UnicodeEncodeError:
        return "".join(_safe_char(ch) for ch in text)


def _safe_char(ch: str) -> str:
    try:
        ch.encode("cp1252")
        return ch
    except UnicodeEncodeError:
        base = unicodedata.normalize("NFKD", ch.translate(_NO_DECOMPOSITION))
        stripped = "".join(c for c in base if not unicodedata.combining(c))
        return stripped if stripped.encode("cp1252", "ignore").decode("cp1252") == stripped else "?"


def split_letter_text(text: str) -> tuple[str, tuple[tuple[str, ...], ...]]:
    """Split rendered template text into the subject line and the body blocks."""
    first, _, rest = text.strip("\n").partition("\n")
    blocks: list[tuple[str, ...]] = []
    current: list[str] = []
    for line in rest.splitlines():
        if line.strip():
            current.append(line.rstrip())
        elif current:
            blocks.append(tuple(current))
            current = []
    if current:
        blocks.append(tuple(current))
    return first.strip(), tuple(blocks)


def recipient_lines(data: LetterData) -> tuple[str, ...]:
    """The address block for a window envelope: name, street and number, ``9711 AB  GRONINGEN``."""
    street = " ".join(part for part in (data.street, data.house_number) if part)
    place = "  ".join(part for part in (data.postcode, (data.woonplaats or "").upper()) if part)
    return tuple(line for line in (data.recipient_name, street, place) if line)


def build_pdf(layout: LetterLayout, *, compress: bool = True) -> bytes:
    """Draw the letter on one A4 page and return the PDF bytes."""
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1 if compress else 0, invariant=1)
    canvas.setTitle(pdf_safe(layout.title))
    canvas.setAuthor(pdf_safe(layout.sender_title))
    pen = _Pen(canvas.beginText(), personal=layout.recipient_lines)
    _draw_header(pen, layout)
    _draw_lines(pen, LEFT, A4[1] - 50 * mm, layout.recipient_lines, BODY_SIZE)
    y = _draw_meta(pen, A4[1] - 88 * mm, layout.meta)
    for block in layout.blocks:
        y = _draw_block(pen, y - BLOCK_GAP, block)
    canvas.drawText(pen.text)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


class _Pen:
    """Shows strings at given places, as one PDF text object for the whole page.

    ``canvas.drawString`` wraps every string in a text object of its own, with the font set around
    it; here all strings go into one (``beginText``, ``setTextOrigin``, ``textLine``, then one
    ``drawText``), and the font is set only when it changes.
    """

    def __init__(self, text: PDFTextObject, personal: tuple[str, ...]) -> None:
        self.text = text
        self._personal = tuple({v for line in personal if line.strip() for v in (line, pdf_safe(line))})
        self._font: tuple[str, float] | None = None

    def draw(self, x: float, y: float, font: str, size: float, line: str) -> None:
        if self._font != (font, size):
            self.text.setFont(font, size)
            self._font = (font, size)
        self.text.setTextOrigin(x, y)
        self.text.textLine(line)  # ``textOut`` would also measure the line, to move on to its end

    def is_personal(self, line: str) -> bool:
        """Whether ``line`` holds the recipient's name or (part of the) address."""
        return any(value in line for value in self._personal)


def _draw_header(pen: _Pen, layout: LetterLayout) -> None:
    pen.draw(LEFT, A4[1] - 22 * mm, FONT_BOLD, 16, pdf_safe(layout.sender_title))
    column = 130 * mm
    _draw_lines(pen, column, A4[1] - 22 * mm, layout.sender_lines, 9.0)


def _draw_lines(pen: _Pen, x: float, y: float, lines: tuple[str, ...], size: float) -> float:
    for line in lines:
        pen.draw(x, y, FONT, size, pdf_safe(line))
        y -= size * 1.3
    return y


def _draw_meta(pen: _Pen, y: float, meta: tuple[tuple[str, str], ...]) -> float:
    for label, value in meta:
        pen.draw(LEFT, y, FONT_BOLD, BODY_SIZE, pdf_safe(label))
        pen.draw(LEFT + 28 * mm, y, FONT, BODY_SIZE, pdf_safe(value))
        y -= LEADING
    return y - LEADING


def _draw_block(pen: _Pen, y: float, block: tuple[str, ...]) -> float:
    for line in block:
        font, indent, text = FONT, 0.0, line
        if line.startswith("# "):
            font, text = FONT_BOLD, line[2:]
        elif line.startswith("- "):
            indent, text = 6 * mm, line[2:]
            _check_room(y)
            pen.draw(LEFT + 1.5 * mm, y, FONT, BODY_SIZE, "\u2022")
        width = RIGHT - LEFT - indent
        # Only template lines are cached: a worker must not keep earlier letters' names in memory.
        parts = wrap(text, font, width) if pen.is_personal(text) else _template_wrap(text, font, width)
        for part in parts:
            _check_room(y)
            pen.draw(LEFT + indent, y, font, BODY_SIZE, part)
            y -= LEADING
    return y


def wrap(text: str, font: str, width: float) -> tuple[str, ...]:
    """``text`` (made PDF-safe) split into lines of at most ``width`` points in ``font`` at body size."""
    return tuple(simpleSplit(pdf_safe(text), font, BODY_SIZE, width))


# Most lines come from the template and repeat from letter to letter: measuring them once saves
# a third of the rendering time. Never call it with a line that holds personal data.
_template_wrap = lru_cache(maxsize=2048)(wrap)


def _check_room(y: float) -> None:
    if y < BOTTOM:
        raise LetterTooLongError("de brief past niet op één A4-pagina; maak de tekst korter")
