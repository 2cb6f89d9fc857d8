"""The shared real-world corpus: every file parses, classifies as labelled, and loses its quotes.

The labels are read from the corpus README's per-file table ("The files"), never retyped here, so
the README stays the single source of truth. The corpus lives in ``shared/corpus`` beside the
repository; CI always has it, and a missing corpus is a failure, not a skip.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from messaging.classify import MessageKind, classify
from messaging.html_text import html_to_text
from messaging.inbound import parse_message
from messaging.quotes import extract_new_text, split_reply
from messaging.sender_auth import AuthMode, TrustPolicy, authenticate

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
EMAILS = CORPUS / "emails"
_ROW = re.compile(r"^\| `(?P<file>[^`]+\.(?:eml|txt|html))` \|.*\| `(?P<label>[a-z-]+)`[^|]*\|\s*$", re.MULTILINE)
_QUOTE_HEADER = re.compile(
    r"^(?:>|On .*wrote:|Op .*(?:schreef|geschreven)|-{2,} ?Original Message|-{2,}Oorspronkelijk bericht"
    r"|Van: .*|From: .*\[mailto:)",
    re.MULTILINE,
)


def _labels() -> dict[str, str]:
    readme = CORPUS / "README.md"
    if not readme.is_file():
        pytest.fail(f"shared corpus not found at {CORPUS}; it must sit beside the repository (shared/corpus)")
    labels = {match["file"]: match["label"] for match in _ROW.finditer(readme.read_text(encoding="utf-8"))}
    if not labels:
        pytest.fail("no per-file label rows found in the corpus README; has its table format changed?")
    return labels


LABELS = _labels() if (CORPUS / "README.md").is_file() else {}
EML = sorted(name for name in LABELS if name.endswith(".eml"))
BODIES = sorted(name for name in LABELS if not name.endswith(".eml"))


def _body_text(name: str) -> str:
    raw = (EMAILS / name).read_bytes().decode("utf-8", errors="replace")
    return html_to_text(raw) if name.endswith(".html") else raw


def test_corpus_is_present_and_every_file_is_labelled() -> None:
    labels = _labels()
    on_disk = {path.relative_to(EMAILS).as_posix() for path in EMAILS.rglob("*") if path.is_file()}
    on_disk.discard(".gitattributes")
    assert on_disk == set(labels), "files and README label rows differ"
    assert len(labels) == 90


# Labelled "malformed (sender not authenticated)": since issue 10 that is decided by messaging.sender_auth from
# the results that count, not by classifying the text (a header in the message is the sender's own word).
SENDER_NOT_AUTHENTICATED = {"discourse/dmarc_fail.eml"}


@pytest.mark.parametrize("name", EML)
def test_full_message_is_classified_as_labelled(name: str) -> None:
    message = parse_message((EMAILS / name).read_bytes())

    verdict = classify(message)

    if name in SENDER_NOT_AUTHENTICATED:
        assert verdict.kind is MessageKind.REPLY
        domain = (message.from_address or "").rpartition("@")[2]
        for policy in (TrustPolicy(AuthMode.TRUSTED_RELAY, "example.com"), TrustPolicy(AuthMode.VERIFY, "example.com")):
            auth = authenticate(policy=policy, from_address=message.from_address, reply_from=[domain],
                                header_results=message.authentication_results, smtp_results=None)  # fmt: skip
            assert not auth.passed, auth
        return
    assert verdict.kind is MessageKind(LABELS[name]), verdict.reason
    assert verdict.reason


@pytest.mark.parametrize("name", [name for name in EML if LABELS[name] == "reply"])
def test_reply_messages_yield_new_text_without_quotes(name: str) -> None:
    new_text = extract_new_text(parse_message((EMAILS / name).read_bytes()).text)

    assert new_text
    assert not any(line.startswith(">") for line in new_text.splitlines())


@pytest.mark.parametrize("name", BODIES)
def test_body_only_files_lose_quotes_headers_and_forwarded_parts(name: str) -> None:
    text = _body_text(name)

    split = split_reply(text)

    assert not any(line.lstrip().startswith(">") for line in split.new_text.splitlines())
    assert _QUOTE_HEADER.search(split.new_text) is None
    if LABELS[name] == "forward":
        assert split.new_text == "", "a pure forward has no text of the sender's own"
        assert split.cut is not None or split.has_forward_marker
    else:
        assert split.new_text
        if split.cut is not None or _QUOTE_HEADER.search(text):
            assert len(split.new_text) < len(text.strip())


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("email_reply_trimmer/embedded_email_dutch_1.txt", "Nice of you to pick it up! Could you make a PR?"),
        ("email_reply_trimmer/embedded_email_dutch_2.txt", "to test this in 2 weeks. I will let you know then..."),
        ("crisp-email-reply-parser/email_8.txt", "et mollis ligula rutrum quis. Fusce sed odio id arcu varius"),
        ("crisp-email-reply-parser/email_12.txt", "et mollis ligula rutrum quis. Fusce sed odio id arcu varius"),
        ("email_reply_parser/email_1_8.txt", "I will reply under this one\n\nand under this."),
        ("talon/ms_outlook_2003.html", "Hi. I am fine."),
    ],
)
def test_new_text_of_known_bodies(name: str, expected: str) -> None:
    new_text = extract_new_text(_body_text(name))

    assert expected in new_text


@pytest.mark.parametrize(
    ("name", "quoted"),
    [
        ("email_reply_trimmer/embedded_email_dutch_1.txt", "VannillaSky"),
        ("email_reply_trimmer/embedded_email_dutch_2.txt", "codinghorror"),
        ("crisp-email-reply-parser/email_8.txt", "Beste Praesent"),
        ("crisp-email-reply-parser/email_8.txt", "eget accumsan est viverra quis"),
        ("crisp-email-reply-parser/email_12.txt", "Etiam non sagittis orci"),
        ("email_reply_trimmer/embedded_email_german_3.txt", "Wie geht es Ihnen"),
        ("email_reply_trimmer/embedded_email_10.txt", "Sent from Outlook Mobile"),
        ("email_reply_parser/email_1_8.txt", "Hey there, this is my signature"),
    ],
)
def test_quoted_part_of_known_bodies_is_gone(name: str, quoted: str) -> None:
    assert quoted not in extract_new_text(_body_text(name))


def test_dutch_full_message_keeps_only_the_dutch_answer() -> None:
    message = parse_message((EMAILS / "discourse/dutch.eml").read_bytes())

    assert extract_new_text(message.text) == "Dit is een antwoord in het Nederlands."


def test_bounces_are_tied_to_the_returned_message_and_recipient() -> None:
    verdict = classify(parse_message((EMAILS / "mikel-mail/report_422.eml").read_bytes()))

    assert verdict.bounced_message_ids == ("<15655788.13.1200472642578.JavaMail.Administrator@mail.ttttt.com.au>",)
    assert verdict.bounced_recipients == ("fraser@oooooooo.com.au",)
