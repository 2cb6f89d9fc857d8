"""Quote, attribution and signature stripping: the answer stays, the quoted notification goes.

The project corpus in ``tests/data/replies`` holds replies to the Koers notification written the
way municipal staff's mail clients write them. The quoted notification contains the blank answer
block, so a single leaked quoted line would be read as an answer nobody gave.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from messaging.html_text import html_to_text
from messaging.inbound import parse_message
from messaging.quotes import CutKind, extract_new_text, split_reply

REPLIES = Path(__file__).resolve().parents[1] / "data" / "replies"
MANIFEST: dict[str, Any] = tomllib.loads((REPLIES / "MANIFEST.toml").read_text(encoding="utf-8"))
BLANK_BLOCK: list[str] = MANIFEST["notification"]["blank_block"]
REPLY_FILES = sorted(name for name, entry in MANIFEST["files"].items() if entry["kind"] == "reply")


def _new_text(name: str) -> str:
    raw = (REPLIES / name).read_bytes()
    text = parse_message(raw).text if name.endswith(".eml") else raw.decode("utf-8")
    return extract_new_text(text)


def test_every_corpus_file_has_a_manifest_entry() -> None:
    on_disk = {path.name for path in REPLIES.iterdir() if path.suffix in (".eml", ".txt")}

    assert on_disk == set(MANIFEST["files"])


@pytest.mark.parametrize("name", REPLY_FILES)
def test_reply_keeps_answer_fields_and_drops_the_quoted_blank_block(name: str) -> None:
    entry = MANIFEST["files"][name]

    new_text = _new_text(name)

    for expected in entry["contains"]:
        assert expected in new_text
    for leaked in [*BLANK_BLOCK, *entry.get("absent", [])]:
        assert leaked not in new_text
    assert not any(line.lstrip().startswith(">") for line in new_text.splitlines())


# Given/When/Then in one line each: the input, the call, the exact new text.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "Contact: ja\n\nOp di 3 mrt. 2026 om 10:12 schreef Koers <\nzelfmelders@koers.example>:\n\n"
            "> Contact: ja/nee\n",
            "Contact: ja",
            id="gmail-nl-wrapped",
        ),
        pytest.param(
            'Contact: ja\nOp 16 aug. 2014 05:13 schreef "Koers" <a@koers.example> het\nvolgende geschreven:\n\n> x\n',
            "Contact: ja",
            id="gmail-android-nl-wrapped-mid-phrase",
        ),
        pytest.param(
            "Contact: nee\n\n> Op 3 mrt. 2026, om 10:12 heeft Koers <a@koers.example> het volgende geschreven:\n>\n> x",
            "Contact: nee",
            id="apple-mail-nl-inside-quote",
        ),
        pytest.param(
            "Acties uitgezet: ja\n\nOn Tue, Mar 3, 2026 at 10:12 AM Koers <a@koers.example> wrote:\n> x\n",
            "Acties uitgezet: ja",
            id="gmail-en",
        ),
        pytest.param("ja\n\nAm Di., 3. März 2026 um 10:12 Uhr schrieb Koers <a@k.example>:\n> x", "ja", id="german"),
        pytest.param("oui\n\nLe mar. 3 mars 2026 à 10:12, Koers <a@k.example> a écrit :\n> x", "oui", id="french"),
        pytest.param(
            "Contact: ja\n\n-----Oorspronkelijk bericht-----\nVan: Koers\nVerzonden: dinsdag\n\nContact: ja/nee",
            "Contact: ja",
            id="outlook-nl-separator",
        ),
        pytest.param(
            "Contact: ja\n\nVan: Koers <a@koers.example>\nDatum: dinsdag, 3 maart 2026 om 10:12\nAan: b@x.example\n"
            "Onderwerp: Zaak\nContact: ja/nee",
            "Contact: ja",
            id="new-outlook-nl-no-separator",
        ),
        pytest.param(
            "Contact: ja\n\n*From:* Koers [mailto:a@koers.example]\n*Sent:* Tuesday\n*To:* b@x.example\n\nx",
            "Contact: ja",
            id="outlook-bold-labels",
        ),
        pytest.param("Contact: ja\n\n---Original Message---\nContact: ja/nee", "Contact: ja", id="three-dashes"),
        pytest.param(
            "Contact: ja\n\n----- Oorspronkelijk bericht -----\nVan: Koers\nContact: ja/nee", "Contact: ja", id="yahoo"
        ),
    ],
)
def test_quote_headers_end_the_new_text(text: str, expected: str) -> None:
    assert extract_new_text(text) == expected


def test_inline_answers_between_quote_blocks_are_kept() -> None:
    text = (
        "Op di 3 mrt. 2026 om 10:12 schreef Koers <a@koers.example>:\n\n"
        "> Was er contact?\n\nContact: ja\n\n> En acties?\n\nActies uitgezet: nee\n"
    )

    assert extract_new_text(text) == "Contact: ja\n\nActies uitgezet: nee"


def test_a_short_inline_answer_directly_below_a_short_quoted_line_is_kept() -> None:
    text = "> Contact: ja/nee\nContact: ja\n> Acties uitgezet: ja/nee\nActies uitgezet: nee\n"

    assert extract_new_text(text) == "Contact: ja\nActies uitgezet: nee"


def test_rest_of_a_long_quoted_line_wrapped_without_marker_is_not_an_answer() -> None:
    text = (
        "Antwoord\n\n> "
        + "Dit is een lange geciteerde regel die de client heeft afgebroken, "
        + "\nzonder het teken\n> einde\n"
    )

    assert extract_new_text(text) == "Antwoord"


def test_attribution_followed_by_unquoted_original_cuts_everything_below() -> None:
    split = split_reply("Bedankt!\n\nOp 18 juli 2013 10:23 schreef Koers het volgende:\n\nContact: ja/nee\n")

    assert (split.new_text, split.cut) == ("Bedankt!", CutKind.ATTRIBUTION)


def test_sentence_ending_in_wrote_without_a_date_is_not_an_attribution() -> None:
    text = "On the phone he wrote:\nContact: ja"

    assert extract_new_text(text) == text


def test_greeting_block_is_stripped_but_fields_above_it_stay() -> None:
    text = "Contact: ja\nToelichting: gebeld.\n\nMet vriendelijke groet,\n\nJ. de Vries\nConsulent\nT 050 000 0000\n"

    assert extract_new_text(text) == "Contact: ja\nToelichting: gebeld."


def test_greeting_block_followed_by_an_answer_field_is_kept() -> None:
    text = "Hallo,\n\nMet vriendelijke groet,\nContact: ja\nActies uitgezet: nee"

    assert extract_new_text(text) == text


def test_greeting_is_not_stripped_when_it_is_all_there_is() -> None:
    assert extract_new_text("Met vriendelijke groet,\nJan") == "Met vriendelijke groet,\nJan"


def test_signature_delimiter_and_mobile_signature_are_stripped() -> None:
    assert extract_new_text("Contact: ja\n\nVerstuurd vanaf mijn iPhone") == "Contact: ja"
    assert extract_new_text("Contact: ja\n-- \nGemeente Assen\nPostbus 1") == "Contact: ja"


@pytest.mark.parametrize(
    "footer",
    ["Bespaar papier: print deze e-mail alleen als het echt nodig is.", "Print deze mail alleen als het nodig is.",
     "Think before you print this e-mail."],
)  # fmt: skip
def test_a_print_less_footer_is_stripped_like_a_disclaimer(footer: str) -> None:
    """Found by the held-out corpus: this footer ended up in the note."""
    assert extract_new_text(f"Contact: ja\nToelichting: Geen bijzonderheden.\n\n{footer}") == (
        "Contact: ja\nToelichting: Geen bijzonderheden."
    )


def test_only_a_client_signature_leaves_no_new_text() -> None:
    assert extract_new_text("Sent from [Proton Mail](https://proton.me/mail/home) for Android.") == ""


@pytest.mark.parametrize(
    "marker",
    [
        "---------- Forwarded message ---------",
        "-------- Doorgestuurd bericht --------",
        "Begin doorgestuurd bericht:",
        "   ----- Doorgestuurd bericht ----- Van: Koers <a@koers.example>Aan: b@x.example",
    ],
)
def test_forward_markers_end_the_new_text(marker: str) -> None:
    split = split_reply(f"Kun jij dit oppakken?\n\n{marker}\nContact: ja/nee\n")

    assert (split.new_text, split.cut) == ("Kun jij dit oppakken?", CutKind.FORWARD)
    assert split.has_forward_marker


def test_forward_marker_inside_a_quote_is_reported() -> None:
    split = split_reply("> Begin doorgestuurd bericht:\n>\n> Van: Koers\n")

    assert split.new_text == ""
    assert split.has_forward_marker


@pytest.mark.parametrize("text", ["", "\n\n", "\ufeff", "> alleen citaat"])
def test_empty_or_fully_quoted_text_has_no_new_text(text: str) -> None:
    assert extract_new_text(text) == ""


def test_line_endings_bom_and_no_break_spaces_are_tolerated() -> None:
    text = "\ufeffContact: ja\r\nActies uitgezet: nee\r\n\r\nOp\xa03 mrt. 2026 schreef Koers <a@k.example>:\r\n> x"

    assert extract_new_text(text) == "Contact: ja\nActies uitgezet: nee"


def test_html_blockquote_becomes_quoted_text_and_signature_div_is_dropped() -> None:
    html = (
        "<div>Contact: ja</div><div class='gmail_signature'>Gemeente X</div>"
        "<div class='gmail_quote'>Op di 3 mrt. 2026 schreef Koers &lt;a@k.example&gt;:<blockquote>Contact: ja/nee"
        "</blockquote></div>"
    )

    text = html_to_text(html)

    assert "> Contact: ja/nee" in text
    assert extract_new_text(text) == "Contact: ja"


def test_html_outlook_paragraphs_become_single_lines() -> None:
    html = "<p class=MsoNormal>Contact: ja<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p><p>Groet</p>"

    assert html_to_text(html) == "Contact: ja\n\nGroet"


def test_html_style_script_and_truncated_tags_never_surface_as_text() -> None:
    html = "<style>p {color: red}</style><script>alert(1)</script><p>Contact: ja</p><div"

    assert html_to_text(html) == "Contact: ja"
