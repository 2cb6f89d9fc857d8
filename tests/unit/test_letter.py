"""The letter to the self-reporter: one valid A4 page, plain Dutch, minimal data."""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from pathlib import Path

import pytest

from messaging.letter import LetterData, LetterTooLongError, pdf_safe, recipient_lines, split_letter_text
from messaging.render import Renderer

LETTER = LetterData(
    case_ref="ZM-000042",
    recipient_name="Sjoukje Zoë de Vries",
    street="Tsjerkestrjitte",
    house_number="12a",
    postcode="8701 AB",
    woonplaats="Boalsert",
    report_date=date(2025, 3, 17),
    institution="PI Leeuwarden",
    municipality_name="Súdwest-Fryslân",
    team="Team Sociaal Domein",
    phone="14 0515",
    team_email="zelfmelders@sudwestfryslan.example",
    address="Marktstraat 15, 8601 CR Sneek",
    letter_date=date(2025, 3, 3),
)


def pdf_text(pdf: bytes) -> str:
    """All literal strings of an uncompressed PDF, WinAnsi-decoded, one per line."""
    strings = re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", pdf)
    return "\n".join(_unescape(s).decode("cp1252") for s in strings)


def _unescape(raw: bytes) -> bytes:
    def one(match: re.Match[bytes]) -> bytes:
        token = match.group(1)
        return bytes([int(token, 8)]) if token[:1].isdigit() else token

    return re.sub(rb"\\([0-7]{1,3}|.)", one, raw)


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(compress_pdf=False)


def test_letter_is_a_valid_one_page_pdf(renderer: Renderer) -> None:
    pdf = Renderer().letter_pdf(LETTER, "GM1900")

    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert page_count(pdf) == 1
    assert page_count(renderer.letter_pdf(LETTER, "GM1900")) == 1


def test_letter_shows_municipality_and_dutch_characters_survive(renderer: Renderer) -> None:
    text = pdf_text(renderer.letter_pdf(LETTER, "GM1900"))

    assert "Gemeente Súdwest-Fryslân" in text
    assert "Sjoukje Zoë de Vries" in text
    assert "vóórdat" in text
    assert b"ZapfDingbats" not in renderer.letter_pdf(LETTER, "GM1900")  # no black squares


def test_letter_has_sender_block_recipient_block_date_and_reference(renderer: Renderer) -> None:
    text = pdf_text(renderer.letter_pdf(LETTER, "GM1900"))

    for expected in ("Team Sociaal Domein", "Marktstraat 15", "8601 CR Sneek", "Telefoon 14 0515",
                     "zelfmelders@sudwestfryslan.example", "Tsjerkestrjitte 12a", "8701 AB  BOALSERT",
                     "3 maart 2025", "ZM-000042", "Onderwerp"):  # fmt: skip
        assert expected in text


def test_letter_text_explains_why_voluntary_and_how_to_respond(renderer: Renderer) -> None:
    text = renderer.letter_text(LETTER, "GM1900")

    assert "maandag 17 maart 2025" in text and "PI Leeuwarden" in text
    for word in ("werk", "huis", "schulden", "relatie", "vrijwillig", "U bepaalt zelf"):
        assert word in text
    assert "Bel ons op 14 0515" in text and "zelfmelders@sudwestfryslan.example" in text
    assert "proberen wij zelf contact met u op te nemen" in text
    assert text.rstrip().endswith("Team Sociaal Domein\nGemeente Súdwest-Fryslân")


def test_letter_without_contact_details_says_the_municipality_will_call(renderer: Renderer) -> None:
    bare = dataclasses.replace(LETTER, phone=None, team_email=None, team=None, address=None)

    text = renderer.letter_text(bare, "GM1900")

    assert "Wij nemen binnenkort contact met u op." in text
    assert "Bel ons" not in text
    assert "Team Zorg en Veiligheid\nGemeente Súdwest-Fryslân" in text
    assert page_count(renderer.letter_pdf(bare, "GM1900")) == 1


def test_letter_knows_nothing_about_the_sentence_or_offence() -> None:
    names = {f.name for f in dataclasses.fields(LetterData)}

    assert not {n for n in names if "sentence" in n or "offence" in n or "birth" in n}


def test_letter_is_deterministic() -> None:
    assert Renderer().letter_pdf(LETTER, "GM1900") == Renderer().letter_pdf(LETTER, "GM1900")


def test_characters_outside_winansi_are_transliterated_not_boxed(renderer: Renderer) -> None:
    letter = dataclasses.replace(LETTER, recipient_name="Şükrü Yıldız-Łukasiewicz")

    pdf = renderer.letter_pdf(letter, "GM1900")

    assert "Sükrü Yildiz-Lukasiewicz" in pdf_text(pdf)
    assert b"ZapfDingbats" not in pdf
    assert pdf_safe("Fryslân € ô") == "Fryslân € ô"


def test_letter_that_does_not_fit_on_one_page_is_refused(tmp_path: Path) -> None:
    # Given an override that makes the letter far too long
    folder = tmp_path / "municipalities" / "GM1900"
    folder.mkdir(parents=True)
    (folder / "letter.txt.j2").write_text("Onderwerp\n\n" + "Een zin die te vaak staat.\n" * 80)

    # Then rendering fails instead of spilling onto a second page
    with pytest.raises(LetterTooLongError):
        Renderer([tmp_path]).letter_pdf(LETTER, "GM1900")


def test_recipient_block_follows_postal_conventions() -> None:
    assert recipient_lines(LETTER) == ("Sjoukje Zoë de Vries", "Tsjerkestrjitte 12a", "8701 AB  BOALSERT")
    unknown = dataclasses.replace(LETTER, street=None, house_number=None, postcode=None, woonplaats=None)
    assert recipient_lines(unknown) == ("Sjoukje Zoë de Vries",)


def test_letter_text_splits_into_subject_and_blocks() -> None:
    subject, blocks = split_letter_text("\nOnderwerp\n\nA\n- b\n\n\n# C\nd\n")

    assert subject == "Onderwerp"
    assert blocks == (("A", "- b"), ("# C", "d"))
