"""Parsing raw inbound mail into ``InboundMessage`` and classifying it.

Messages are built inline as bytes so each test shows exactly what arrives on the wire; the
project corpus in ``tests/data/replies`` checks whole messages as mail clients write them.
"""

from __future__ import annotations

import base64
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from messaging.bounces import is_delay_report
from messaging.classify import MessageKind, classify
from messaging.inbound import MessageTooLargeError, parse_message
from messaging.inbound_headers import is_text_codec

REPLIES = Path(__file__).resolve().parents[1] / "data" / "replies"
MANIFEST: dict[str, Any] = tomllib.loads((REPLIES / "MANIFEST.toml").read_text(encoding="utf-8"))
EML_FILES = sorted(name for name in MANIFEST["files"] if name.endswith(".eml"))
HEAD = b"From: Jan Smit <J.Smit@Leeuwarden.example>\r\nTo: zaak@antwoord.koers.example\r\nSubject: Re: Zaak\r\n"


def _mail(extra_headers: bytes = b"", body: bytes = b"Contact: ja\r\n") -> bytes:
    return HEAD + extra_headers + b"\r\n" + body


@pytest.mark.parametrize("name", EML_FILES)
def test_project_corpus_message_is_classified_as_listed(name: str) -> None:
    entry = MANIFEST["files"][name]

    verdict = classify(parse_message((REPLIES / name).read_bytes()))

    assert verdict.kind is MessageKind(entry["kind"]), verdict.reason
    assert verdict.bounced_message_ids == tuple(entry.get("bounced_message_ids", ()))
    assert verdict.bounced_recipients == tuple(entry.get("bounced_recipients", ()))


def test_headers_are_decoded_and_addresses_lower_cased() -> None:
    raw = (
        b"From: =?utf-8?q?Jolanda_de_Vri=C3=ABs?= <J.deVries@Leeuwarden.example>\r\n"
        b'To: a@koers.example, "Smit, Jan" <jan@x.example>\r\nCc: c@x.example\r\n'
        b"Reply-To: r@x.example\r\nSubject: =?iso-8859-1?q?Re:_Zaak_caf=E9?=\r\n"
        b"Date: Tue, 3 Mar 2026 10:12:00 +0100\r\nMessage-ID: <abc@x.example>\r\n"
        b"In-Reply-To: <n1@koers.example>\r\nReferences: <n0@koers.example>\r\n <n1@koers.example>\r\n\r\nhoi\r\n"
    )

    message = parse_message(raw)

    assert (message.from_address, message.from_display) == ("j.devries@leeuwarden.example", "Jolanda de Vriës")
    assert message.to == ("a@koers.example", "jan@x.example")
    assert (message.cc, message.reply_to) == (("c@x.example",), ("r@x.example",))
    assert message.subject == "Re: Zaak café"
    assert message.date == datetime(2026, 3, 3, 9, 12, tzinfo=UTC)
    assert message.message_id == "<abc@x.example>"
    assert message.in_reply_to == ("<n1@koers.example>",)
    assert message.references == ("<n0@koers.example>", "<n1@koers.example>")


@pytest.mark.parametrize(
    ("from_header", "expected"),
    [
        (b"Foo Bar [ongeldig] <foo@bar.example>", "foo@bar.example"),
        (b"MAILER-DAEMON@mx.example (Mail Delivery System)", "mailer-daemon@mx.example"),
        (b'"Hoekstra, Sjoerd" <s.hoekstra@x.example>', "s.hoekstra@x.example"),
        (b"MAILER-DAEMON (Mail Delivery System)", None),
        (b"tim@x.example concierge@x.example", None),
        (b"a@x.example, b@x.example", None),
        (b"Gemeente Stadskanaal", None),
        (b"", None),
    ],
)
def test_from_must_name_exactly_one_valid_mailbox(from_header: bytes, expected: str | None) -> None:
    message = parse_message(b"From: " + from_header + b"\r\n\r\nhoi")

    assert message.from_address == expected


def test_leading_blank_lines_and_any_line_ending_are_accepted() -> None:
    crlf = _mail()
    for raw in (b"\r\n\n" + crlf, crlf.replace(b"\r\n", b"\n"), crlf.replace(b"\r\n", b"\r")):
        message = parse_message(raw)

        assert message.from_address == "j.smit@leeuwarden.example"
        assert message.text == "Contact: ja\n"


def test_base64_and_quoted_printable_bodies_are_decoded() -> None:
    encoded = base64.b64encode("Toelichting: cliënt gebeld".encode()).rstrip(b"=")
    b64 = parse_message(
        _mail(b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n", encoded)
    )
    qp = parse_message(
        _mail(
            b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n",
            b"cli=EBnt =80 5 bare = sign",
        )
    )

    assert b64.text == "Toelichting: cliënt gebeld"
    assert qp.text == "cliënt € 5 bare = sign"


@pytest.mark.parametrize(
    ("charset", "body", "expected"),
    [
        (b"windows-1252", "“ja”".encode("cp1252"), "“ja”"),
        (b"big5", "您好".encode(), "您好"),  # Mislabelled: the bytes are UTF-8.
        (b"ks_c_5601-1987", "스티해".encode("cp949"), "스티해"),
        (b"x-no-such-charset", "café".encode(), "café"),
        (b"utf-8", "café".encode("cp1252"), "café"),  # Declared UTF-8, written as Windows-1252.
        (b"zlib", b"plain", "plain"),  # A bytes-to-bytes codec must never be used on mail.
    ],
)
def test_charsets_are_decoded_or_repaired(charset: bytes, body: bytes, expected: str) -> None:
    message = parse_message(_mail(b"Content-Type: text/plain; charset=" + charset + b"\r\n", body))

    assert message.text == expected


@pytest.mark.parametrize("cte", [b"8bit", b"quoted-printable", b"Quoted-Printable ", b"binary"])
def test_raw_8bit_bytes_reach_charset_repair_whatever_the_transfer_encoding(cte: bytes) -> None:
    # Declared UTF-8, written as Windows-1252 and sent without encoding it (also inside quoted-printable)
    headers = b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: " + cte + b"\r\n"

    message = parse_message(_mail(headers, "Toelichting: cliënt gebeld, café".encode("cp1252")))

    assert message.text == "Toelichting: cliënt gebeld, café"


def test_only_text_codecs_may_decode_mail() -> None:
    assert all(is_text_codec(name) for name in ("utf-8", "UTF8", "windows-1252", "latin_1", "big5", "utf-16"))
    unsafe = ("zlib", "base64", "rot13", "hex", "bz2", "quopri", "uu", "unicode-escape", "idna", "undefined", "nope")
    assert not any(is_text_codec(name) for name in unsafe)


def test_undeclared_8bit_body_is_read_as_utf8_or_windows_1252() -> None:
    assert parse_message(_mail(body="cliënt".encode())).text == "cliënt"
    assert parse_message(_mail(body="cliënt".encode("cp1252"))).text == "cliënt"


def test_plain_text_is_preferred_over_html_and_html_only_is_converted() -> None:
    alternative = (
        b"Content-Type: multipart/alternative; boundary=b\r\n",
        b"--b\r\nContent-Type: text/plain\r\n\r\nplain\r\n"
        b"--b\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--b--\r\n",
    )
    html_only = parse_message(_mail(b"Content-Type: text/html\r\n", b"<div>Contact: ja</div><div>Acties: nee</div>"))

    assert parse_message(_mail(*alternative)).text == "plain"
    assert (html_only.text, html_only.is_html_only) == ("Contact: ja\nActies: nee", True)


def test_attachments_are_listed_but_never_part_of_the_text() -> None:
    body = (
        b"--b\r\nContent-Type: text/plain\r\n\r\nZie bijlage.\r\n"
        b"--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=notities.txt\r\n\r\ngeheim\r\n"
        b"--b\r\nContent-Type: application/pdf; name=brief.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n"
        b"--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: x@y.example\r\nSubject: oud\r\n\r\nander bericht\r\n"
        b"--b--\r\n"
    )

    message = parse_message(_mail(b"Content-Type: multipart/mixed; boundary=b\r\n", body))

    assert message.text == "Zie bijlage."
    assert message.attachments == ("text/plain; notities.txt", "application/pdf; brief.pdf", "message/rfc822")
    assert message.has_attached_message


def test_header_injection_in_an_encoded_subject_cannot_produce_a_line_break() -> None:
    message = parse_message(b"From: a@x.example\r\nSubject: =?utf-8?q?hoi=0D=0ABcc:_evil@x.example?=\r\n\r\nhoi")

    assert "\n" not in message.subject and "\r" not in message.subject


def test_contradictory_and_invalid_headers_are_recorded_as_defects() -> None:
    two_types = parse_message(_mail(b"Content-Type: text/plain\r\nContent-Type: text/html\r\n"))
    raw_8bit = parse_message(b"From: a@x.example\r\nSubject: Forma\xe7\xe3o\r\n\r\nhoi")
    empty_cte = parse_message(_mail(b"Content-Transfer-Encoding: \r\n"))

    assert "contradictory-headers" in two_types.defects
    assert raw_8bit.subject == "Formação" and "header-8bit-invalid" in raw_8bit.defects
    assert "invalid-transfer-encoding" in empty_cte.defects


def test_message_over_the_size_limit_is_refused_before_parsing() -> None:
    with pytest.raises(MessageTooLargeError) as caught:
        parse_message(_mail(body=b"geheim " * 100), max_bytes=200)

    assert "geheim" not in str(caught.value)


@pytest.mark.parametrize(
    ("extra_headers", "subject", "kind"),
    [
        (b"Auto-Submitted: auto-replied\r\n", b"Re: Zaak", MessageKind.AUTO_REPLY),
        (b"Auto-Submitted: no\r\n", b"Re: Zaak", MessageKind.REPLY),
        (b"X-Autorespond: yes\r\n", b"Re: Zaak", MessageKind.AUTO_REPLY),
        (b"Precedence: bulk\r\n", b"Re: Zaak", MessageKind.AUTO_REPLY),
        (b"Precedence: list\r\n", b"Re: Zaak", MessageKind.AUTO_REPLY),
        (b"Precedence: list\r\nList-Id: <team.lists.example>\r\n", b"Re: Zaak", MessageKind.REPLY),
        (b"", b"Automatisch antwoord: Zaak", MessageKind.AUTO_REPLY),
        (b"", b"Afwezig: Zaak", MessageKind.AUTO_REPLY),
        (b"", b"Out of Office: Zaak", MessageKind.AUTO_REPLY),
        (b"", b"Afwezigheid van de zelfmelder", MessageKind.REPLY),
        (  # a header the sender wrote decides nothing here: messaging.sender_auth decides which ones count
            b"Authentication-Results: mx.koers.example; dmarc=fail header.from=x.example\r\n",
            b"Re: Zaak",
            MessageKind.REPLY,
        ),
        (
            b"Authentication-Results: mx.koers.example; dmarc=pass header.from=x.example\r\n",
            b"Re: Zaak",
            MessageKind.REPLY,
        ),
    ],
)
def test_classification_by_headers_and_subject(extra_headers: bytes, subject: bytes, kind: MessageKind) -> None:
    raw = b"From: a@x.example\r\nSubject: " + subject + b"\r\n" + extra_headers + b"\r\nContact: ja\r\n"

    assert classify(parse_message(raw)).kind is kind


@pytest.mark.parametrize(("actions", "is_delay"), [((b"delayed",), True), ((b"delayed", b"delivered"), True),
                                                   ((b"delayed", b"failed"), False),
                                                   ((b"failed",), False)])  # fmt: skip
def test_a_report_of_delays_only_is_a_delay_notice(actions: tuple[bytes, ...], is_delay: bool) -> None:
    statuses = b"".join(b"Final-Recipient: rfc822; r%d@x.example\r\nAction: %s\r\nStatus: %s\r\n\r\n"
                        % (n, action, b"4.4.7" if action == b"delayed" else b"5.1.1")
                        for n, action in enumerate(actions))  # fmt: skip
    raw = (b"From: MAILER-DAEMON@mx.example\r\nTo: x@koers.example\r\nSubject: Delayed Mail (still being retried)\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"
           b"--B\r\nContent-Type: text/plain\r\n\r\nStill trying.\r\n--B\r\nContent-Type: message/delivery-status"
           b"\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n" + statuses + b"--B--\r\n")  # fmt: skip

    message = parse_message(raw)
    assert classify(message).kind is MessageKind.BOUNCE  # a report about our mail, but ...
    assert is_delay_report(message) is is_delay  # ... one that only says "delayed" never marks an email bounced


def test_out_of_office_sentence_as_only_new_text_is_an_auto_reply() -> None:
    verdict = classify(parse_message(_mail(body=b"Ik ben afwezig tot en met 13 maart.\r\n")))

    assert verdict.kind is MessageKind.AUTO_REPLY


def test_reply_that_only_quotes_is_malformed_for_lack_of_new_text() -> None:
    verdict = classify(parse_message(_mail(body=b"> Contact: ja/nee\r\n")))

    assert (verdict.kind, verdict.reason) == (MessageKind.MALFORMED, "Geen nieuwe tekst in het bericht")


def test_text_bounce_from_mailer_daemon_carries_the_pasted_message_id() -> None:
    raw = (
        b"From: Mail Delivery Subsystem <mailer-daemon@mx.example>\r\n"
        b"Subject: Delivery Status Notification (Failure)\r\n"
        b"X-Failed-Recipients: zelfmelders@gemeente.example\r\nMessage-ID: <dsn@mx.example>\r\n\r\n"
        b"Delivery failed.\r\n\r\n----- Original message -----\r\nMessage-ID: <n1@koers.example>\r\nTo: x@y.example\r\n"
    )

    verdict = classify(parse_message(raw))

    assert verdict.kind is MessageKind.BOUNCE
    assert verdict.bounced_message_ids == ("<n1@koers.example>",)
    assert verdict.bounced_recipients == ("zelfmelders@gemeente.example",)


def test_classification_reasons_never_contain_message_content_or_addresses() -> None:
    raw = b"From: Geheim Persoon <geheim@x.example>\r\nSubject: Re: Zaak\r\n\r\n> alleen geciteerd geheim\r\n"

    verdict = classify(parse_message(raw))

    assert "geheim" not in verdict.reason.lower()


def test_read_receipt_and_delivery_receipt_are_automatic_not_replies_or_bounces() -> None:
    mdn = (
        b"From: a@x.example\r\nSubject: Gelezen: Zaak\r\n"
        b"Content-Type: multipart/report; report-type=disposition-notification; boundary=r\r\n\r\n"
        b"--r\r\nContent-Type: text/plain\r\n\r\nUw bericht is gelezen.\r\n"
        b"--r\r\nContent-Type: message/disposition-notification\r\n\r\n"
        b"Disposition: manual-action/MDN-sent-manually; displayed\r\n"
        b"--r--\r\n"
    )
    receipt = (
        b"From: postmaster@x.example\r\nSubject: Bezorgd: Zaak\r\n"
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=r\r\n\r\n"
        b"--r\r\nContent-Type: text/plain\r\n\r\nAfgeleverd.\r\n"
        b"--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x.example\r\n\r\n"
        b"Final-Recipient: rfc822; a@x.example\r\nAction: delivered\r\nStatus: 2.0.0\r\n--r--\r\n"
    )

    assert classify(parse_message(mdn)).kind is MessageKind.AUTO_REPLY
    assert classify(parse_message(receipt)).kind is MessageKind.AUTO_REPLY
