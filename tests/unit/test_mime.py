"""``to_mime``: what a recipient's mail client reads back is exactly what Koers meant to send.

Each message is flattened as the spool writes it (``as_bytes``) and as the SMTP client sends it
(aiosmtplib), parsed back with ``email.policy.default`` and compared with the expected values:
every header decoded (addresses as display name and address), the text, every attachment. Also:
ASCII-only headers, lines folded to 78 characters where there is a space to fold at and never over
998, CRLF line ends.
"""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, date, datetime
from email.utils import getaddresses

import aiosmtplib.email
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from messaging.email_message import Attachment, HeaderInjectionError, OutgoingEmail, to_mime
from messaging.render import NotificationData, Renderer

SENDER = "Zelfmelders 3Noord <zelfmelders@koers.example>"
WHEN = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
PDF = Attachment("brief-ZM-000042.pdf", "application/pdf", b"%PDF-1.4\n" + bytes(range(256)) * 20)
ADDRESS_HEADERS = ("from", "to", "reply-to")


def expected(mail: OutgoingEmail, sender: str) -> dict[str, object]:
    """What the recipient must read: the headers (decoded), the text with CRLF line ends, the attachments."""
    headers: dict[str, object] = {
        "from": getaddresses([sender]), "to": getaddresses(list(mail.to)), "subject": mail.subject,
        "message-id": mail.message_id, "date": "Mon, 03 Mar 2025 09:30:00 +0000",
        "auto-submitted": "auto-generated", "x-auto-response-suppress": "All", "mime-version": "1.0",
        **{name.lower(): value.lstrip(" \t") for name, value in mail.headers.items()},  # the space after ":"
    }  # fmt: skip
    if mail.reply_to:
        headers["reply-to"] = getaddresses([mail.reply_to])
    lines = [line.decode() for line in mail.text.encode().splitlines()]
    attachments = [(a.content_type, a.filename, a.data) for a in mail.attachments]
    return {"headers": headers, "text": "".join(line + "\r\n" for line in lines) or "\r\n", "attachments": attachments}


def read_back(raw: bytes) -> dict[str, object]:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert not [defect for part in parsed.walk() for defect in part.defects]
    content_headers = ("content-type", "content-transfer-encoding")
    headers: dict[str, object] = {}
    for name, value in parsed.items():
        if name.lower() not in content_headers:
            assert name.lower() not in headers, f"{name} twice"
            is_address = name.lower() in ADDRESS_HEADERS
            addresses = [(a.display_name, a.addr_spec) for a in value.addresses] if is_address else None
            headers[name.lower()] = addresses if is_address else str(value)
    body = parsed.get_body(preferencelist=("plain",))
    assert body is not None and body.get_content_type() == "text/plain" and body.get_content_charset() == "utf-8"
    attachments = [(p.get_content_type(), p.get_filename(), p.get_payload(decode=True))
                   for p in parsed.iter_attachments()]  # fmt: skip
    assert parsed.get_content_type() == ("multipart/mixed" if attachments else "text/plain")
    return {"headers": headers, "text": body.get_content(), "attachments": attachments}


def assert_well_formed(raw: bytes) -> None:
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF line ends throughout
    for line in raw.split(b"\r\n"):
        assert len(line) <= 998
    for line in head.split(b"\r\n"):  # longer than 78 only where there is no space to fold at
        assert len(line) <= 78 or len(line.split(b": ", 1)[-1].split()) == 1, line


def assert_read_as_meant(mail: OutgoingEmail, sender: str = SENDER) -> bytes:
    message = to_mime(mail, sender, date=WHEN)
    raw = message.as_bytes()
    sent = aiosmtplib.email.flatten_message(message)  # what the SMTP client sends
    for flattened in (raw, sent):
        assert_well_formed(flattened)
        assert read_back(flattened) == expected(mail, sender)
    return raw


def mail(**changes: object) -> OutgoingEmail:
    base: dict[str, object] = {
        "message_id": "<zm-000042.notification.1@koers.example>",
        "to": ("zelfmelders@leeuwarden.example",),
        "subject": "[ZM-000042] Zelfmelder: verzoek om contact vóór detentie",
        "text": "Beste collega,\n\nSjoukje Zoë de Vries – Súdwest-Fryslân.\n",
        "reply_to": "t0k3n@antwoord.koers.example",
        "headers": {"X-Koers-Reference": "ZM-000042", "X-Koers-Kind": "notification"},
        "attachments": (PDF,),
        "kind": "notification",
    }
    return OutgoingEmail(**(base | changes))  # type: ignore[arg-type]


CASES = {
    "notification": mail(),
    "no attachment": mail(attachments=()),
    "ascii only": mail(subject="[ZM-000042] Herinnering", text="Tekst\n", attachments=()),
    "thread": mail(
        headers={
            "In-Reply-To": "<zm-000042.notification.1@koers.example>",
            "References": "<zm-000042.notification.1@koers.example>",
            "X-Koers-Kind": "reminder",
        }
    ),
    "long subject": mail(subject="[ZM-000042] " + "Zelfmelder vóór détentie – ëën heel lange regel " * 6),
    "long ascii subject": mail(subject="[ZM-000042] " + "een heel lange regel zonder bijzondere tekens " * 6),
    "unbreakable subject": mail(subject="[ZM-000042] " + "ë" * 120 + "x" * 90),
    "spaces in subject": mail(subject="[ZM-000042]  twee  spaties –  en  meer   "),
    "special q chars": mail(subject='[ZM-000042] a_b=c?d vóór_=?? (x) "y" <z> 100% Ş'),
    "non-ascii display names": mail(
        to=("Gemeente Súdwest-Fryslân – Team Zoë <zelfmelders@sudwest.example>", "b@c.example"),
        reply_to="Zoë <t0k3n@antwoord.koers.example>",
    ),
    "non-ascii display names after another": mail(
        to=("a@b.example", "Gemeente Súdwest-Fryslân – Team Zoë <zelfmelders@sudwest.example>", "Zoë <z@b.example>")
    ),
    "quoted display name": mail(to=('"de Vries, Zoë" <a@b.example>', '"Jansen, Jan" <j@b.example>')),
    "many recipients": mail(to=tuple(f"team{i}@gemeente{i}.example" for i in range(12))),
    "non-ascii extra header": mail(headers={"X-Koers-Reference": "ZM-000042 – Zoë"}),
    "long message ids": mail(headers={"In-Reply-To": "<" + "a" * 120 + "@b.example>", "References": "<x@y>"}),
    "awkward body": mail(text="From the start\n.\n=3D\ntrailing  \n\ttab\t\n" + "x" * 200 + "\n" + "ë" * 90 + "\n"),
    "crlf body": mail(text="een\r\ntwee\rdrie\n\nvier"),
    "empty body": mail(text=""),
    "non-ascii filename": mail(attachments=(Attachment("brief-Zoë.pdf", "application/pdf", b"%PDF"),)),
    "two attachments": mail(attachments=(PDF, Attachment("b.txt", "text/plain", "ë\n".encode()))),
    "non-ascii sender": mail(attachments=()),
}


@pytest.mark.parametrize("name", CASES)
def test_the_recipient_reads_the_message_as_meant(name: str) -> None:
    sender = "Zelfmelders Súdwest <zelfmelders@koers.example>" if name == "non-ascii sender" else SENDER
    assert_read_as_meant(CASES[name], sender)


def test_a_rendered_notification_reads_as_meant_and_its_non_ascii_headers_are_encoded() -> None:
    notification = NotificationData(
        "ZM-000042", "Súdwest-Fryslân", date(2025, 3, 17), 14, "PI Veenhuizen", 30, "Sjoukje Zoë", "de Vries",
        date(1990, 5, 14), "Er is een nieuwe zelfmelder aan uw gemeente toegewezen.", "op woonplaats",
    )  # fmt: skip
    outgoing = Renderer().notification(
        notification, to="Team Zoë <zelfmelders@sudwest.example>", reply_to="t@antwoord.koers.example",
        message_id="<zm-000042.notification.1@koers.example>", letter_pdf=PDF.data, cbs_code="GM1900",
    )  # fmt: skip
    raw = assert_read_as_meant(outgoing)
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"Subject: [ZM-000042]\r\n Zelfmelder: verzoek om contact =?utf-8?b?dsOzw7Ny?= detentie\r\n" in head
    assert b"To: Team =?utf-8?q?Zo=C3=AB?= <zelfmelders@sudwest.example>\r\n" in head
    assert b"Auto-Submitted: auto-generated\r\n" in head and b"Reply-To: t@antwoord.koers.example\r\n" in head


def test_the_message_read_without_parsing_answers_like_an_email_message() -> None:
    msg = to_mime(mail(), SENDER, date=WHEN)
    body = msg.get_body(preferencelist=("plain",))
    assert body is not None and "Sjoukje Zoë de Vries" in body.get_content()
    (pdf,) = list(msg.iter_attachments())
    assert pdf.get_filename() == "brief-ZM-000042.pdf" and pdf.get_content() == PDF.data
    assert msg["Message-ID"] == "<zm-000042.notification.1@koers.example>"
    assert msg.as_bytes() == msg.as_bytes()  # the boundary is chosen once


def test_text_that_looks_like_an_encoded_word_is_not_decoded_by_the_recipient() -> None:
    # Sent as it is, "=?utf-8?q?a_b?=" in a subject would show as "a b" in every client.
    subject = "[ZM-000042] =?utf-8?q?niet_decoderen?= en =?x?= vóór"
    assert_read_as_meant(mail(subject=subject, headers={"X-Naam": "=?utf-8?q?x?="}))


@pytest.mark.parametrize(
    ("name", "value"),
    [("Subject", "a\r\nBcc: x@y.example"), ("Subject", "a\nb"), ("X-Naam", "a\x00b"), ("X-Naam", "a\u2028b")],
)
def test_a_header_value_that_could_start_a_new_line_is_refused(name: str, value: str) -> None:
    changes = {"subject": value} if name == "Subject" else {"headers": {name: value}}
    with pytest.raises(HeaderInjectionError):
        to_mime(mail(**changes), SENDER, date=WHEN)


header_text = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\x7f\x85"), max_size=150
)


@settings(max_examples=150, deadline=None)
@given(subject=header_text, text=st.text(max_size=400), name=header_text)
def test_any_subject_body_and_extra_header_reads_as_meant(subject: str, text: str, name: str) -> None:
    raw = assert_read_as_meant(mail(subject="[ZM-1] " + subject, text=text, headers={"X-Naam": name}))
    assert raw.isascii()
