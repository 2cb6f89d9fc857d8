"""``to_mime`` builds on compat32 for speed; what a recipient's mail client reads must not change.

``reference_to_mime`` is the implementation before that change (``email.policy.SMTP`` doing all
the encoding). Both outputs are parsed back with ``email.policy.default`` and compared header by
header (decoded) and part by part (decoded content, type, parameters, file name). Only the random
multipart boundary and the redundant ``MIME-Version`` inside the PDF part may differ.
"""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

import aiosmtplib.email
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from messaging.email_message import (
    _MESSAGE_ID,
    _RESERVED,
    Attachment,
    HeaderInjectionError,
    OutgoingEmail,
    check_address,
    check_header_value,
    to_mime,
)
from messaging.render import NotificationData, Renderer

SENDER = "Zelfmelders 3Noord <zelfmelders@koers.example>"
WHEN = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
PDF = Attachment("brief-ZM-000042.pdf", "application/pdf", b"%PDF-1.4\n" + bytes(range(256)) * 20)


def reference_to_mime(mail: OutgoingEmail, sender: str, *, date: datetime | None = None) -> EmailMessage:
    """``to_mime`` as it was at 9468399, on ``email.policy.SMTP``."""
    if not mail.to:
        raise ValueError("een e-mail heeft minstens één ontvanger nodig")
    if not _MESSAGE_ID.match(check_header_value("Message-ID", mail.message_id)):
        raise HeaderInjectionError(f"ongeldige Message-ID: {mail.message_id!r}")
    msg = EmailMessage(policy=SMTP)
    msg["From"] = check_address("From", sender)
    msg["To"] = ", ".join(check_address("To", addr) for addr in mail.to)
    msg["Subject"] = check_header_value("Subject", mail.subject)
    if mail.reply_to:
        msg["Reply-To"] = check_address("Reply-To", mail.reply_to)
    msg["Message-ID"] = mail.message_id
    msg["Date"] = format_datetime(date or datetime.now(UTC))
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    for name, value in mail.headers.items():
        if name.lower() in _RESERVED:
            raise HeaderInjectionError(f"header {name} wordt door Koers zelf gezet")
        msg[name] = check_header_value(name, value)
    msg.set_content(mail.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    for attachment in mail.attachments:
        check_header_value("Content-Disposition", attachment.filename)
        maintype, _, subtype = check_header_value("Content-Type", attachment.content_type).partition("/")
        msg.add_attachment(attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename)
    return msg


def read_back(raw: bytes) -> list[object]:
    """What a client sees: decoded headers (as a multiset) and every part's decoded content."""
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    seen: list[object] = []
    for depth, part in enumerate(parsed.walk()):
        headers = sorted(
            (name.lower(), str(value))
            for name, value in part.items()
            if name.lower() != "content-type" and not (depth and name.lower() == "mime-version")
        )
        params = sorted((k, v) for k, v in part["Content-Type"].params.items() if k != "boundary")
        content = None if part.is_multipart() else part.get_content()
        seen.append((headers, part.get_content_type(), params, part.get_filename(), content))
    assert not parsed.defects and all(not p.defects for p in parsed.walk())
    return seen


def assert_same_for_the_recipient(mail: OutgoingEmail, sender: str = SENDER) -> bytes:
    new = to_mime(mail, sender, date=WHEN)
    raw = new.as_bytes()
    assert read_back(raw) == read_back(reference_to_mime(mail, sender, date=WHEN).as_bytes())
    sent = aiosmtplib.email.flatten_message(new)  # what the SMTP client sends: the same bytes, or
    assert sent == raw or read_back(sent) == read_back(raw)  # refolded where a line is over 78
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF line ends throughout, as before
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
def test_the_recipient_reads_the_same_message_as_before(name: str) -> None:
    sender = "Zelfmelders Súdwest <zelfmelders@koers.example>" if name == "non-ascii sender" else SENDER
    assert_same_for_the_recipient(CASES[name], sender)


def test_a_rendered_notification_reads_the_same_and_its_non_ascii_headers_are_encoded() -> None:
    notification = NotificationData(
        "ZM-000042", "Súdwest-Fryslân", date(2025, 3, 17), 14, "PI Veenhuizen", 30, "Sjoukje Zoë", "de Vries",
        date(1990, 5, 14), "Er is een nieuwe zelfmelder aan uw gemeente toegewezen.", "op woonplaats",
    )  # fmt: skip
    outgoing = Renderer().notification(
        notification, to="Team Zoë <zelfmelders@sudwest.example>", reply_to="t@antwoord.koers.example",
        message_id="<zm-000042.notification.1@koers.example>", letter_pdf=PDF.data, cbs_code="GM1900",
    )  # fmt: skip
    raw = assert_same_for_the_recipient(outgoing)
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    assert b"Subject: [ZM-000042] Zelfmelder: verzoek om contact =?utf-8?q?v=C3=B3=C3=B3r?=" in head
    assert b"To: Team =?utf-8?q?Zo=C3=AB?= <zelfmelders@sudwest.example>" in head


def test_the_message_read_without_parsing_answers_like_an_email_message() -> None:
    msg = to_mime(mail(), SENDER, date=WHEN)
    body = msg.get_body(preferencelist=("plain",))
    assert body is not None and "Sjoukje Zoë de Vries" in body.get_content()
    (pdf,) = list(msg.iter_attachments())
    assert pdf.get_filename() == "brief-ZM-000042.pdf" and pdf.get_content() == PDF.data
    assert msg["Message-ID"] == "<zm-000042.notification.1@koers.example>"
    assert msg.as_bytes() == msg.as_bytes()  # the boundary is chosen once


def test_text_that_looks_like_an_encoded_word_is_no_longer_decoded_by_the_recipient() -> None:
    # Before, "=?utf-8?q?a_b?=" in a subject went out as it was and every client showed "a b".
    subject = "[ZM-000042] =?utf-8?q?niet_decoderen?= en =?x?= vóór"
    raw = to_mime(mail(subject=subject, headers={"X-Naam": "=?utf-8?q?x?="}), SENDER, date=WHEN).as_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == subject and parsed["X-Naam"] == "=?utf-8?q?x?="


header_text = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\x7f\x85"), max_size=150
)


@settings(max_examples=150, deadline=None)
@given(subject=header_text, text=st.text(max_size=400), name=header_text)
def test_any_subject_body_and_extra_header_reads_the_same(subject: str, text: str, name: str) -> None:
    assume("=?" not in subject + name)  # see the test above
    raw = assert_same_for_the_recipient(mail(subject="[ZM-1] " + subject, text=text, headers={"X-Naam": name}))
    assert raw.isascii()
