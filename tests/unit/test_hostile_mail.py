"""Hostile and broken mail: parsing and classification stay total, bounded and quick.

Anyone can send mail to the reply address. Each test feeds a message built to hurt a parser and
checks that the result is either rejected as ``MALFORMED`` or is a usable message, without an
exception. The timeout marker turns a runaway into a failure instead of a hung test run; nothing
here asserts on speed itself.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from messaging.classify import Classification, MessageKind, classify
from messaging.inbound import InboundMessage, MessageTooLargeError, parse_message
from messaging.quotes import extract_new_text

HEAD = b"From: Jan <jan@leeuwarden.example>\r\nSubject: Re: Zaak\r\n"


def _read(raw: bytes) -> tuple[InboundMessage, Classification]:
    message = parse_message(raw)
    return message, classify(message)


def _nested_multiparts(depth: int) -> bytes:
    parts = [HEAD + b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n"]
    parts += [
        b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (level - 1, level)
        for level in range(1, depth)
    ]
    parts.append(b"--b%d\r\nContent-Type: text/plain\r\n\r\nContact: ja\r\n" % (depth - 1))
    return b"".join(parts)


@pytest.mark.timeout(10)
def test_oversized_message_is_refused_by_size() -> None:
    with pytest.raises(MessageTooLargeError):
        parse_message(HEAD + b"\r\n" + b"x" * (10 * 1024 * 1024))


@pytest.mark.timeout(10)
@pytest.mark.parametrize("depth", [5_000, 150])
def test_deeply_nested_multiparts_are_rejected(depth: int) -> None:
    message, verdict = _read(_nested_multiparts(depth))

    assert verdict.kind is MessageKind.MALFORMED
    assert {"too-many-parts", "too-deep"} & set(message.defects)


@pytest.mark.timeout(10)
@pytest.mark.parametrize("content_type", [b"Content-Type: text/plain\r\n", b""])
def test_ten_thousand_parts_are_rejected(content_type: bytes) -> None:
    parts = b"".join(b"--x\r\n" + content_type + b"\r\ndeel %d\r\n" % index for index in range(10_000))
    raw = HEAD + b"Content-Type: multipart/mixed; boundary=x\r\n\r\n" + parts + b"--x--\r\n"

    message, verdict = _read(raw)

    assert verdict.kind is MessageKind.MALFORMED
    assert "too-many-parts" in message.defects


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    "body",
    [
        b"--abc\r\nContent-Type: text/plain\r\n\r\nContact: ja\r\n--ab",  # never closed
        b"Contact: ja\r\n",  # boundary declared, never used
        b"--abc\r\n\r\n--abc\r\n--abc--\r\n--abc\r\nContact: ja\r\n",  # empty parts, text after the end
    ],
)
def test_broken_boundaries_still_give_a_result(body: bytes) -> None:
    message, verdict = _read(HEAD + b'Content-Type: multipart/alternative; boundary="abc"\r\n\r\n' + body)

    assert verdict.kind in (MessageKind.REPLY, MessageKind.MALFORMED)
    if verdict.kind is MessageKind.REPLY:
        assert "Contact: ja" in message.text


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    "subject",
    [
        b"Re: Zaak\r\nBcc: evil@x.example",
        b"=?utf-8?q?Re:_Zaak=0D=0ABcc:_evil@x.example?=",
        b"=?utf-8?b?UmU6IFphYWsNCkJjYzogZXZpbEB4LmV4YW1wbGU=?=",
    ],
)
def test_header_injection_never_yields_a_line_break_in_a_header(subject: bytes) -> None:
    message, _ = _read(b"From: a@x.example\r\nSubject: " + subject + b"\r\n\r\nContact: ja\r\n")

    assert not any(char in message.subject for char in "\r\n\x00")
    assert message.from_address == "a@x.example"


@pytest.mark.timeout(10)
def test_nul_bytes_are_removed_from_headers_and_text() -> None:
    message, verdict = _read(b"From: a@x.example\r\nSubject: Re:\x00 Zaak\r\n\r\nContact:\x00 ja\r\n\x00")

    assert "\x00" not in message.subject + message.text
    assert verdict.kind is MessageKind.REPLY


@pytest.mark.timeout(10)
@pytest.mark.parametrize("payload", [b"!!!@@@###a", b"Q29udGFjdDogamE", b"====", b"Q29u\x00dGFj\xffdDogamE="])
def test_invalid_base64_decodes_leniently_or_is_rejected(payload: bytes) -> None:
    message, verdict = _read(HEAD + b"Content-Transfer-Encoding: base64\r\n\r\n" + payload)

    assert verdict.kind in (MessageKind.REPLY, MessageKind.MALFORMED)
    if payload.startswith(b"Q29u"):
        assert message.text.startswith("Contact")


@pytest.mark.timeout(10)
@pytest.mark.parametrize("header", [b"Subject: ", b"X-Junk: ", b"References: <", b"From: a@x.example, "])
def test_gigantic_single_header_line_is_capped(header: bytes) -> None:
    raw = b"From: a@x.example\r\n" + header + b"=?utf-8?q?x?= " * 500_000 + b"\r\n\r\nContact: ja\r\n"

    message, verdict = _read(raw)

    assert len(message.subject) <= 8 * 1024
    assert verdict.kind in (MessageKind.REPLY, MessageKind.MALFORMED)


@pytest.mark.timeout(10)
def test_undeclared_8bit_in_headers_and_body_is_decoded() -> None:
    raw = b"From: =?utf-8?q?Jos=C3=A9?= <jose@x.example>\r\nSubject: Re: cli\xc3\xabnt\r\n\r\ncli\xebnt gebeld\r\n"

    message, verdict = _read(raw)

    assert (message.subject, message.text) == ("Re: cliënt", "cliënt gebeld\n")
    assert verdict.kind is MessageKind.REPLY


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    "raw",
    [
        HEAD + b"\r\n" + b"x" * 9_000_000,
        HEAD + b"\r\n" + b"> q\r\nantwoord\r\n" * 400_000,
        HEAD + b"\r\n" + b"On 1 2 3 4 5 wrote\r\n" * 400_000,
        HEAD + b"Content-Type: text/html\r\n\r\n" + b"<div>" * 1_500_000,
        HEAD + b"Content-Type: text/html\r\n\r\n" + b"<" * 9_000_000,
        b"From: a@x.example\r\n" + b"X-A: b\r\n" * 1_000_000,
        HEAD + b"Content-Type: multipart/mixed; boundary=x\r\n\r\n" + b"--x\r\n" * 1_000_000,
    ],
    ids=[
        "long-line",
        "many-quotes",
        "many-attribution-like-lines",
        "deep-html",
        "html-brackets",
        "headers",
        "boundaries",
    ],
)
def test_large_pathological_inputs_finish(raw: bytes) -> None:
    message, verdict = _read(raw)

    assert verdict.kind in MessageKind
    assert len(message.text) <= 1024 * 1024


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    message, verdict = _read(raw)

    assert verdict.kind in MessageKind
    assert "unparseable" not in message.defects, "the last-resort fallback hid an internal error"
    extract_new_text(message.text)


_LINE = st.one_of(
    st.sampled_from(
        [
            "From: a@x.example",
            "Content-Type: multipart/mixed; boundary=b",
            "Content-Type: text/html; charset=big5",
            "Content-Transfer-Encoding: base64",
            "Content-Transfer-Encoding: quoted-printable",
            "--b",
            "--b--",
            "",
            "> quote",
            "Op 3 mrt. 2026 schreef Koers <a@k.example>:",
            "Van: Koers",
            "-- ",
            "<blockquote>",
            "=?utf-8?b?w6k=?=",
        ]
    ),
    st.text(max_size=80),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINE, max_size=40), st.sampled_from(["\r\n", "\n", "\r"]))
def test_mail_shaped_garbage_never_raises(lines: list[str], newline: str) -> None:
    raw = newline.join(lines).encode("utf-8", errors="surrogatepass")

    message, verdict = _read(raw)

    assert verdict.kind in MessageKind
    assert "unparseable" not in message.defects, "the last-resort fallback hid an internal error"
    assert "\n" not in message.subject
