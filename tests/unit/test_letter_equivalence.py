"""The faster letter drawing puts the same text, in the same fonts, at the same places as before.

``reference_build_pdf`` is ``build_pdf`` as it was at 9468399 (``drawString`` per string). Both
PDFs' content streams are interpreted (``Tf``, ``Tm``, ``Tj``) into what is shown where.
"""

from __future__ import annotations

import dataclasses
import re
import zlib
from datetime import date, timedelta
from io import BytesIO
from typing import Any

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from messaging import letter as letter_module
from messaging.letter import (
    BLOCK_GAP,
    BODY_SIZE,
    FONT,
    FONT_BOLD,
    LEADING,
    LEFT,
    RIGHT,
    LetterData,
    LetterLayout,
    LetterTooLongError,
    build_pdf,
    pdf_safe,
)
from messaging.render import NotificationData, Renderer, _flat_fields


def reference_build_pdf(layout: LetterLayout, *, compress: bool = True) -> bytes:
    """``build_pdf`` at 9468399."""
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1 if compress else 0, invariant=1)
    canvas.setTitle(pdf_safe(layout.title))
    canvas.setAuthor(pdf_safe(layout.sender_title))
    canvas.setFont(FONT_BOLD, 16)
    canvas.drawString(LEFT, A4[1] - 22 * mm, pdf_safe(layout.sender_title))
    lines = (
        (130 * mm, A4[1] - 22 * mm, layout.sender_lines, 9.0),
        (LEFT, A4[1] - 50 * mm, layout.recipient_lines, 12.0),
    )
    for x, y, texts, size in lines:
        canvas.setFont(FONT, size)
        for line in texts:
            canvas.drawString(x, y, pdf_safe(line))
            y -= size * 1.3
    y = A4[1] - 88 * mm
    for label, value in layout.meta:
        canvas.setFont(FONT_BOLD, BODY_SIZE)
        canvas.drawString(LEFT, y, pdf_safe(label))
        canvas.setFont(FONT, BODY_SIZE)
        canvas.drawString(LEFT + 28 * mm, y, pdf_safe(value))
        y -= LEADING
    y -= LEADING
    for block in layout.blocks:
        y -= BLOCK_GAP
        for line in block:
            font, indent, text = FONT, 0.0, line
            if line.startswith("# "):
                font, text = FONT_BOLD, line[2:]
            elif line.startswith("- "):
                indent, text = 6 * mm, line[2:]
                letter_module._check_room(y)
                canvas.setFont(FONT, BODY_SIZE)
                canvas.drawString(LEFT + 1.5 * mm, y, "\u2022")
            canvas.setFont(font, BODY_SIZE)
            for part in letter_module._wrap(text, font, RIGHT - LEFT - indent):
                letter_module._check_room(y)
                canvas.drawString(LEFT + indent, y, part)
                y -= LEADING
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


TOKEN = re.compile(rb"\((?:\\.|[^\\)])*\)|/[^\s/\[\]()<>]+|[-+]?[\d.]+|[A-Za-z*]+|\[|\]")


def shown(pdf: bytes) -> list[tuple[str, float, float, float, bytes]]:
    """(base font, size, x, y, string) for every ``Tj`` of the page, in order."""
    fonts = dict(re.findall(rb"/BaseFont /([\w-]+) /Encoding /WinAnsiEncoding /Name /(F\d+)", pdf))
    names = {name.decode(): base.decode() for base, name in fonts.items()}
    start = pdf.index(b"stream", pdf.index(b"/Length")) + len(b"stream")
    stream = pdf[start : pdf.index(b"endstream", start)].strip(b"\r\n")
    if b"/FlateDecode" in pdf:
        stream = zlib.decompress(stream)
    font, size, x, y, stack = "", 0.0, 0.0, 0.0, []
    out: list[tuple[str, float, float, float, bytes]] = []
    for token in TOKEN.findall(stream):
        if token[:1].isalpha() or token == b"T*":
            op, args, stack = token.decode(), stack, []
            if op == "Tf":
                font, size = names[args[0].decode()[1:]], float(args[1])
            elif op == "Tm":
                x, y = float(args[4]), float(args[5])
            elif op == "Tj":
                out.append((font, size, round(x, 3), round(y, 3), args[0]))
        else:
            stack.append(token)
    return out


def letters() -> list[tuple[LetterData, str]]:
    base = LetterData(
        case_ref="ZM-000042", recipient_name="Sjoukje Zoë de Vries", street="Tsjerkestrjitte", house_number="12a",
        postcode="8701 AB", woonplaats="Boalsert", report_date=date(2025, 3, 17), institution="PI Leeuwarden",
        municipality_name="Súdwest-Fryslân", team="Team Sociaal Domein", phone="14 0515",
        team_email="zelfmelders@sudwestfryslan.example", address="Marktstraat 15, 8601 CR Sneek",
        letter_date=date(2025, 3, 3),
    )  # fmt: skip
    return [
        (base, "GM1900"),
        (dataclasses.replace(base, recipient_name="Şükrü Yıldız-Łukasiewicz (€ ô «x» \\ ( ))"), "GM1900"),
        (dataclasses.replace(base, team=None, phone=None, team_email=None, address=None, street=None), "GM0080"),
        *(
            (dataclasses.replace(base, case_ref=f"ZM-{i:06d}", report_date=date(2025, 3, 3) + timedelta(days=i)), cbs)
            for i, cbs in enumerate(("GM0080", "GM0106", "GM1900", "GM0014"))
        ),
    ]


def layouts(renderer: Renderer) -> list[LetterLayout]:
    captured: list[LetterLayout] = []
    original = letter_module.build_pdf

    def capture(layout: LetterLayout, *, compress: bool = True) -> bytes:
        captured.append(layout)
        return original(layout, compress=compress)

    import messaging.render as render_module

    render_module.build_pdf = capture  # type: ignore[assignment]
    try:
        for data, cbs_code in letters():
            renderer.letter_pdf(data, cbs_code)
    finally:
        render_module.build_pdf = original
    return captured


@pytest.mark.parametrize("compress", [False, True])
def test_every_string_is_shown_in_the_same_font_at_the_same_place(compress: bool) -> None:
    for layout in layouts(Renderer()):
        new, old = build_pdf(layout, compress=compress), reference_build_pdf(layout, compress=compress)
        assert shown(new) == shown(old) and len(shown(new)) > 20
        for key in (rb"/Title \(.*?\) ", rb"/Author \(.*?\) ", rb"/MediaBox \[.*?\]"):
            assert re.findall(key, new) == re.findall(key, old)
        assert new.count(b"/Type /Page\n") == 1 and b"ZapfDingbats" not in new


def test_the_compressed_stream_is_binary_not_ascii85_and_smaller() -> None:
    layout = layouts(Renderer())[0]
    pdf = build_pdf(layout)
    assert b"/FlateDecode" in pdf and b"ASCII85" not in pdf
    assert len(pdf) < 2800


def test_a_letter_too_long_is_refused_as_before() -> None:
    layout = layouts(Renderer())[0]
    long = dataclasses.replace(layout, blocks=layout.blocks * 3)
    with pytest.raises(LetterTooLongError):
        reference_build_pdf(long)
    with pytest.raises(LetterTooLongError):
        build_pdf(long)


def test_template_contexts_are_the_flat_fields_asdict_gave() -> None:
    data = letters()[0][0]
    assert _flat_fields(data) == dataclasses.asdict(data)
    note = NotificationData("ZM-1", "X", date(2025, 1, 1), 3, "PI", 10, "A", "B", date(1990, 1, 1), "r", "w")
    assert _flat_fields(note) == dataclasses.asdict(note)
    for cls in (LetterData, NotificationData):  # no nested dataclass, list or dict that asdict would copy
        assert all(f.type in ("str", "str | None", "int", "bool", "date") for f in dataclasses.fields(cls)), cls


def test_reportlab_uses_its_c_accelerator() -> None:
    from reportlab.lib import rl_accel

    for name in ("fp_str", "unicode2T1", "escapePDF", "instanceStringWidthT1"):
        assert type(getattr(rl_accel, name)).__name__ == "builtin_function_or_method", name


def test_no_name_or_address_goes_into_the_letter_caches(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the two caches, with every argument that reaches them recorded
    cached_args: list[str] = []

    def recording(cached: Any) -> Any:
        def call(*args: Any) -> Any:
            cached_args.extend(str(a) for a in args)
            return cached(*args)

        call.__wrapped__ = cached.__wrapped__  # type: ignore[attr-defined]
        return call

    monkeypatch.setattr(letter_module, "_shown", recording(letter_module._shown))
    monkeypatch.setattr(letter_module, "_wrap", recording(letter_module._wrap))
    person = dataclasses.replace(letters()[0][0], recipient_name="Xandrijn Qwertyveld", street="Canariestraat",
                                 house_number="7", postcode="9711 ZZ", woonplaats="Haren")  # fmt: skip

    # When a letter for this person is rendered
    pdf = Renderer().letter_pdf(person, "GM0014")

    # Then the letter has the name and the address, and the caches saw only the template's own lines
    drawn = b" ".join(text for *_, text in shown(pdf))
    assert b"Qwertyveld" in drawn and b"Canariestraat" in drawn and b"9711 ZZ" in drawn
    assert len(cached_args) > 20
    assert not [a for a in cached_args if any(v in a for v in ("Qwertyveld", "Xandrijn", "Canariestraat", "9711 ZZ"))]
