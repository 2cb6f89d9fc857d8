"""The letter PDF as a reader gets it: read back with pypdf, string by string, with font, size and place.

The places are those of the letter's design: the municipality's name at the top left, its details
in a column at 130 mm, the address in the window of a DL envelope (25 mm from the left, 50 mm from
the top), then date, reference and subject, then the body in 12 pt with 16 pt between lines.
"""

from __future__ import annotations

import dataclasses
import io
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from messaging import letter as letter_module
from messaging.letter import LetterData, pdf_safe, split_letter_text
from messaging.render import NotificationData, Renderer, _flat_fields
from tests.unit.test_letter import LETTER

TOP = A4[1]
BULLET = "\x7f"  # ReportLab writes "•" as WinAnsi code 127, which PDF viewers show as a bullet


class Shown(NamedTuple):
    font: str
    size: float
    x: float
    y: float
    text: str


def read(pdf: bytes) -> tuple[PdfReader, list[Shown]]:
    reader = PdfReader(io.BytesIO(pdf))
    shown: list[Shown] = []

    def visit(text: str, cm: Any, tm: list[float], font: Any, size: float) -> None:
        if text.strip():
            x, y = tm[4] + cm[4], tm[5] + cm[5]
            shown.append(Shown(font["/BaseFont"][1:], size, round(x, 2), round(y, 2), text.strip()))

    reader.pages[0].extract_text(visitor_text=visit)
    return reader, shown


def at(font: str, size: float, x_mm: float, y: float, text: str) -> Shown:
    return Shown(font, size, round(x_mm * mm, 2), round(y, 2), text)


@pytest.fixture(scope="module")
def letter() -> tuple[PdfReader, list[Shown]]:
    return read(Renderer().letter_pdf(LETTER, "GM1900"))


def test_the_letter_is_one_a4_page_in_the_standard_helvetica_fonts(letter: tuple[PdfReader, list[Shown]]) -> None:
    reader, _ = letter

    (page,) = reader.pages
    assert [round(float(v), 1) for v in page.mediabox] == [0, 0, 595.3, 841.9]
    fonts = {(f.get_object()["/BaseFont"], f.get_object()["/Encoding"]) for f in page["/Resources"]["/Font"].values()}
    assert fonts == {("/Helvetica", "/WinAnsiEncoding"), ("/Helvetica-Bold", "/WinAnsiEncoding")}
    assert reader.metadata is not None
    assert (reader.metadata.title, reader.metadata.author) == ("Brief ZM-000042", "Gemeente Súdwest-Fryslân")


def test_the_head_of_the_letter_is_where_the_window_envelope_needs_it(letter: tuple[PdfReader, list[Shown]]) -> None:
    _, shown = letter
    sender = ["Team Sociaal Domein", "Marktstraat 15", "8601 CR Sneek", "Telefoon 14 0515",
              "zelfmelders@sudwestfryslan.example"]  # fmt: skip
    address = ["Sjoukje Zoë de Vries", "Tsjerkestrjitte 12a", "8701 AB  BOALSERT"]
    subject = "Wij willen u helpen voordat u zich meldt"
    meta = [("Datum", "3 maart 2025"), ("Kenmerk", "ZM-000042"), ("Onderwerp", subject)]

    assert shown[: 1 + len(sender) + len(address) + 2 * len(meta)] == [
        at("Helvetica-Bold", 16, 25, TOP - 22 * mm, "Gemeente Súdwest-Fryslân"),
        *(at("Helvetica", 9, 130, TOP - 22 * mm - i * 9 * 1.3, line) for i, line in enumerate(sender)),
        *(at("Helvetica", 12, 25, TOP - 50 * mm - i * 12 * 1.3, line) for i, line in enumerate(address)),
        *(
            shown
            for i, (label, value) in enumerate(meta)
            for shown in (
                at("Helvetica-Bold", 12, 25, TOP - 88 * mm - i * 16, label),
                at("Helvetica", 12, 53, TOP - 88 * mm - i * 16, value),
            )
        ),
    ]


def expected_body(text: str, first_y: float) -> list[Shown]:
    """The body as the letter's markup says: blocks 23 pt apart, lines 16 pt, bold ``# ``, bullets ``- ``."""
    out, y = [], first_y
    for block in split_letter_text(text)[1]:
        for line in block:
            if line.startswith("# "):
                out.append(at("Helvetica-Bold", 12, 25, y, line[2:]))
            elif line.startswith("- "):
                out += [at("Helvetica", 12, 26.5, y, BULLET), at("Helvetica", 12, 31, y, line[2:])]
            else:
                out.append(at("Helvetica", 12, 25, y, line))
            y -= 16
        y -= 7
    return out


def test_the_body_follows_the_template_line_by_line(letter: tuple[PdfReader, list[Shown]]) -> None:
    _, shown = letter
    body = shown[15:]

    assert body == expected_body(Renderer().letter_text(LETTER, "GM1900"), TOP - 88 * mm - 3 * 16 - 16 - 7)
    assert body[0].text == "Beste Sjoukje Zoë de Vries," and body[-1].text == "Gemeente Súdwest-Fryslân"
    assert min(s.y for s in shown) >= 18 * mm  # the bottom margin


def test_a_long_line_is_wrapped_inside_the_margins_and_keeps_every_word(tmp_path: Path) -> None:
    # Given a municipality's letter with a line far wider than the page, in a paragraph and a bullet
    folder = tmp_path / "municipalities" / "GM1900"
    folder.mkdir(parents=True)
    words = " ".join(f"woord{i} vóór" for i in range(40))
    (folder / "letter.txt.j2").write_text(f"Onderwerp\n\nBeste {{{{ recipient_name }}}},\n{words}\n- {words}\n")

    # When the letter is drawn
    _, shown = read(Renderer([tmp_path]).letter_pdf(LETTER, "GM1900"))

    # Then each part fits between 25 mm and 20 mm from the right edge, 16 pt below the one before
    paragraph = [s for s in shown if s.x == round(25 * mm, 2) and ("woord" in s.text or "vóór" in s.text)]
    bullet = [s for s in shown if s.x == round(31 * mm, 2)]
    for lines in (paragraph, bullet):
        assert len(lines) >= 3 and " ".join(s.text for s in lines) == words
        assert all(s.x + stringWidth(s.text, "Helvetica", 12) <= A4[0] - 20 * mm for s in lines)
        assert [round(a.y - b.y, 2) for a, b in zip(lines, lines[1:], strict=False)] == [16.0] * (len(lines) - 1)


def test_the_same_letter_gives_the_same_bytes_whatever_was_drawn_before() -> None:
    first = Renderer().letter_pdf(LETTER, "GM1900")
    Renderer().letter_pdf(dataclasses.replace(LETTER, recipient_name="Jan Jansen"), "GM0080")
    letter_module._template_wrap.cache_clear()

    assert Renderer().letter_pdf(LETTER, "GM1900") == first


def test_the_compressed_stream_is_binary_not_ascii85_and_small() -> None:
    pdf = Renderer().letter_pdf(LETTER, "GM1900")

    assert b"/FlateDecode" in pdf and b"ASCII85" not in pdf
    assert len(pdf) < 2800


def test_characters_outside_winansi_reach_the_page_transliterated() -> None:
    person = dataclasses.replace(LETTER, recipient_name="Şükrü Yıldız-Łukasiewicz (€ ô «x» \\ ( ))")

    _, shown = read(Renderer().letter_pdf(person, "GM1900"))

    assert Shown("Helvetica", 12, round(25 * mm, 2), round(TOP - 50 * mm, 2),
                 "Sükrü Yildiz-Lukasiewicz (€ ô «x» \\ ( ))") in shown  # fmt: skip
    assert pdf_safe(person.recipient_name) == "Sükrü Yildiz-Lukasiewicz (€ ô «x» \\ ( ))"


def test_no_name_or_address_goes_into_the_wrap_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the cache of wrapped template lines, with every argument that reaches it recorded
    cached: list[str] = []
    template_wrap = letter_module._template_wrap

    def recording(text: str, font: str, width: float) -> tuple[str, ...]:
        cached.append(text)
        return template_wrap(text, font, width)

    monkeypatch.setattr(letter_module, "_template_wrap", recording)
    person = dataclasses.replace(LETTER, recipient_name="Xandrijn Qwertyveld", street="Canariestraat",
                                 house_number="7", postcode="9711 ZZ", woonplaats="Haren")  # fmt: skip

    # When a letter for this person is rendered
    _, shown = read(Renderer().letter_pdf(person, "GM0014"))

    # Then the letter has the name and the address, and the cache saw only the template's own lines
    drawn = " ".join(s.text for s in shown)
    assert "Beste Xandrijn Qwertyveld," in drawn and "Canariestraat 7" in drawn and "9711 ZZ  HAREN" in drawn
    assert len(cached) > 20
    assert not [t for t in cached if any(v in t for v in ("Qwertyveld", "Xandrijn", "Canariestraat", "9711 ZZ"))]


def test_template_contexts_are_the_flat_fields_asdict_gave() -> None:
    assert _flat_fields(LETTER) == dataclasses.asdict(LETTER)
    note = NotificationData("ZM-1", "X", date(2025, 1, 1), 3, "PI", 10, "A", "B", date(1990, 1, 1), "r", "w")
    assert _flat_fields(note) == dataclasses.asdict(note)
    for cls in (LetterData, NotificationData):  # no nested dataclass, list or dict that asdict would copy
        assert all(f.type in ("str", "str | None", "int", "bool", "date") for f in dataclasses.fields(cls)), cls


def test_reportlab_uses_its_c_accelerator() -> None:
    from reportlab.lib import rl_accel

    for name in ("fp_str", "unicode2T1", "escapePDF", "instanceStringWidthT1"):
        assert type(getattr(rl_accel, name)).__name__ == "builtin_function_or_method", name
