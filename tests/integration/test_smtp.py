"""SmtpMailer against a real SMTP server (the in-process ``SmtpSink``): delivery, reuse, errors, TLS, threads."""

from __future__ import annotations

import email
import email.policy
import gc
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import dkim
import pytest

from messaging.dkim_signing import DkimSigner
from messaging.email_message import OutgoingEmail, to_mime
from messaging.render import LetterData, NotificationData, Renderer
from messaging.smtp import (
    AmbiguousDeliveryError,
    MailError,
    PermanentMailError,
    SendEnvelope,
    SmtpMailer,
    SmtpTarget,
    SpoolMailer,
    TransientMailError,
    classify_error,
    make_mailer,
)
from testkit.mail_dns import DkimKey
from testkit.processes import free_port
from testkit.smtp_sink import SmtpSink
from tests.conftest import service_unavailable

pytestmark = pytest.mark.integration

SENDER = "Zelfmelders 3Noord <zelfmelders@koers.example>"
MAILBOX = "zelfmelders@leeuwarden.example"
OTHER = "team@leeuwarden.example"
LETTER = LetterData(
    case_ref="ZM-000042", recipient_name="Sjoukje de Vries", street="Tsjerkestrjitte", house_number="12a",
    postcode="8701 AB", woonplaats="Boalsert", report_date=date(2025, 3, 17), institution="PI Veenhuizen",
    municipality_name="Leeuwarden", team=None, phone=None, team_email=None, address=None, letter_date=date(2025, 2, 17),
)  # fmt: skip
NOTIFICATION = NotificationData(
    case_ref="ZM-000042", municipality_name="Leeuwarden", report_date=date(2025, 3, 17), days_left=14,
    institution="PI Veenhuizen", sentence_days=30, given_names="Sjoukje", surname="de Vries",
    birth_date=date(1990, 5, 14), reason="Er is een nieuwe zelfmelder aan uw gemeente toegewezen.",
    routed_by="op woonplaats Boalsert",
)  # fmt: skip


def message(i: int, *to: str) -> EmailMessage:
    """A small Koers-shaped message with a unique, stable Message-ID."""
    outgoing = OutgoingEmail(
        f"<zm-{i:06d}.reminder.1@koers.example>", to or (MAILBOX,), f"[ZM-{i:06d}] Herinnering", "Tekst\n"
    )
    return to_mime(outgoing, SENDER)


def ids_of(*numbers: int) -> set[str]:
    return {f"<zm-{i:06d}.reminder.1@koers.example>" for i in numbers}


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as server:
        yield server


@pytest.fixture
def mailer(sink: SmtpSink) -> Iterator[SmtpMailer]:
    smtp = SmtpMailer(sink.url, timeout=5)
    yield smtp
    smtp.close()


def closed_port() -> int:
    return free_port()  # nobody listens on it


# Delivery and connection reuse


def test_rendered_notification_arrives_with_its_headers_and_the_letter(sink: SmtpSink, mailer: SmtpMailer) -> None:
    # Given a notification rendered with the letter PDF attached
    renderer = Renderer()
    pdf = renderer.letter_pdf(LETTER, "GM0080")
    outgoing = renderer.notification(
        NOTIFICATION, to=MAILBOX, reply_to="t0k3n@antwoord.koers.example",
        message_id="<zm-000042.notification.1@koers.example>", letter_pdf=pdf, cbs_code="GM0080",
    )  # fmt: skip

    # When it is sent
    reply = mailer.send(to_mime(outgoing, SENDER))

    # Then the server's acceptance comes back and the message arrived intact
    assert reply.startswith("250 2.0.0 Ok: queued as SINK")
    [(envelope_from, rcpt_tos, raw)] = sink.messages
    assert (envelope_from, rcpt_tos) == ("zelfmelders@koers.example", (MAILBOX,))
    received = email.message_from_bytes(raw, policy=email.policy.default)
    assert received["Message-ID"] == "<zm-000042.notification.1@koers.example>"
    assert received["Auto-Submitted"] == "auto-generated"
    assert received["Reply-To"] == "t0k3n@antwoord.koers.example"
    [attachment] = list(received.iter_attachments())
    assert attachment.get_filename() == "brief-ZM-000042.pdf"
    assert attachment.get_content() == pdf


def test_two_messages_share_one_connection(sink: SmtpSink, mailer: SmtpMailer) -> None:
    mailer.send(message(1))
    mailer.send(message(2))

    assert sink.connections == 1
    assert set(sink.message_ids()) == ids_of(1, 2)


def test_a_connection_the_server_dropped_is_replaced_and_the_message_arrives_once(
    sink: SmtpSink, mailer: SmtpMailer
) -> None:
    mailer.send(message(1))
    sink.drop_connections()  # as a relay's idle time-out does
    time.sleep(0.05)

    mailer.send(message(2))

    assert sink.message_ids() == {i: 1 for i in ids_of(1, 2)}
    assert sink.connections == 2


def test_421_before_data_on_a_reused_connection_is_retried_on_a_fresh_one(sink: SmtpSink, mailer: SmtpMailer) -> None:
    mailer.send(message(1))
    sink.fail_next(1, 421, "4.4.2 Idle time-out, verbinding wordt gesloten", stage="MAIL")

    mailer.send(message(2))

    assert sink.message_ids() == {i: 1 for i in ids_of(1, 2)}


def test_a_failure_after_data_is_not_retried(sink: SmtpSink, mailer: SmtpMailer) -> None:
    mailer.send(message(1))
    sink.fail_next(1, 421, "4.3.0 Verbinding wordt gesloten", stage="DATA")

    with pytest.raises(TransientMailError, match="421 bij DATA") as caught:
        mailer.send(message(2))

    assert caught.value.code == 421
    assert set(sink.message_ids()) == ids_of(1)  # a retry would have delivered it


def test_connections_closed_after_failures_leave_no_unretrieved_error_behind(
    sink: SmtpSink, mailer: SmtpMailer, caplog: pytest.LogCaptureFixture
) -> None:
    # Given connections that Koers closes itself: after a 421 at DATA, after a stall, and on close()
    mailer.send(message(1))
    sink.fail_next(1, 421, "4.3.0 Verbinding wordt gesloten", stage="DATA")
    with pytest.raises(TransientMailError):
        mailer.send(message(2))
    mailer.send(message(3))
    mailer.close()

    # When the closed connections are collected
    gc.collect()

    # Then asyncio reports no reply future whose "Connection lost" nobody read (aiosmtplib issue #112)
    assert not [r for r in caplog.records if "never retrieved" in r.getMessage()]
    assert set(sink.message_ids()) == ids_of(1, 3)


# Errors


def test_451_is_transient_and_the_next_message_still_goes_out(sink: SmtpSink, mailer: SmtpMailer) -> None:
    sink.fail_next(1, 451, "4.3.0 Wachtrij vol")

    with pytest.raises(TransientMailError) as caught:
        mailer.send(message(1))
    mailer.send(message(2))

    assert caught.value.code == 451
    assert str(caught.value) == "SMTP 451 bij DATA: 4.3.0 Wachtrij vol"
    assert set(sink.message_ids()) == ids_of(2)
    assert sink.connections == 1  # a refusal does not cost the connection


def test_550_for_the_only_recipient_is_permanent(sink: SmtpSink, mailer: SmtpMailer) -> None:
    sink.reject_recipient(MAILBOX, 550, "5.1.1 Onbekende ontvanger")

    with pytest.raises(PermanentMailError, match="550 bij RCPT TO: 5.1.1 Onbekende ontvanger") as caught:
        mailer.send(message(1))

    assert caught.value.code == 550
    assert sink.received == 0


def test_451_for_the_only_recipient_is_transient(sink: SmtpSink, mailer: SmtpMailer) -> None:
    sink.reject_recipient(MAILBOX, 451, "4.7.1 Greylisted")

    with pytest.raises(TransientMailError) as caught:
        mailer.send(message(1))

    assert caught.value.code == 451


def test_554_on_data_is_permanent(sink: SmtpSink, mailer: SmtpMailer) -> None:
    sink.fail_next(1, 554, "5.7.1 Inhoud geweigerd")

    with pytest.raises(PermanentMailError) as caught:
        mailer.send(message(1))

    assert caught.value.code == 554


def test_one_refused_of_two_recipients_is_accepted_and_noted(sink: SmtpSink, mailer: SmtpMailer) -> None:
    sink.reject_recipient(OTHER)

    reply = mailer.send(message(1, MAILBOX, OTHER))

    assert reply.startswith("250 ") and "1 van 2 ontvangers geweigerd: 550" in reply
    assert sink.messages[0].rcpt_tos == (MAILBOX,)


def test_invalid_recipient_is_permanent_and_no_connection_is_made(sink: SmtpSink, mailer: SmtpMailer) -> None:
    msg = message(1)
    msg.replace_header("To", "geen adres")

    with pytest.raises(PermanentMailError, match="ongeldig ontvangeradres") as caught:
        mailer.send(msg)

    assert "geen adres" not in str(caught.value)
    assert sink.connections == 0


def test_connection_refused_is_transient() -> None:
    mailer = SmtpMailer(f"smtp://127.0.0.1:{closed_port()}", timeout=2)

    with pytest.raises(TransientMailError, match="verbinding mislukt") as caught:
        mailer.send(message(1))

    assert caught.value.code is None


def test_a_server_that_stalls_after_data_makes_the_delivery_ambiguous_not_transient(sink: SmtpSink) -> None:
    # The server has the whole message and never answers: it may have stored it, so no retry.
    mailer = SmtpMailer(sink.url, timeout=1)
    sink.hang(10)

    with pytest.raises(AmbiguousDeliveryError, match="mogelijk afgeleverd"):
        mailer.send(message(1))

    mailer.send(message(2))  # the broken connection was dropped, a new one works
    assert set(sink.message_ids()) == ids_of(2)
    mailer.close()


def test_credentials_from_the_url_are_used_and_a_wrong_password_is_transient() -> None:
    with SmtpSink(auth=("koers", "geheim")) as sink:
        good = SmtpMailer(f"smtp://koers:geheim@127.0.0.1:{sink.port}")
        bad = SmtpMailer(f"smtp://koers:fout@127.0.0.1:{sink.port}")

        good.send(message(1))
        with pytest.raises(TransientMailError, match="535 bij AUTH"):
            bad.send(message(2))

        assert set(sink.message_ids()) == ids_of(1)
        good.close()


# TLS


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        service_unavailable("openssl (to make a test certificate)")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_sink(certificate: tuple[Path, Path]) -> Iterator[SmtpSink]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    with SmtpSink(tls_context=context) as server:
        yield server


def trusting(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


def test_require_tls_sends_over_starttls(tls_sink: SmtpSink, certificate: tuple[Path, Path]) -> None:
    mailer = SmtpMailer(tls_sink.url, require_tls=True, tls_context=trusting(certificate))

    mailer.send(message(1))
    mailer.send(message(2))

    assert tls_sink.tls_received == 2 and tls_sink.connections == 1
    mailer.close()


def test_starttls_is_used_whenever_offered(tls_sink: SmtpSink, certificate: tuple[Path, Path]) -> None:
    SmtpMailer(tls_sink.url, tls_context=trusting(certificate)).send(message(1))

    assert tls_sink.tls_received == 1


def test_starttls_no_sends_in_plain_text(tls_sink: SmtpSink) -> None:
    SmtpMailer(tls_sink.url + "?starttls=no").send(message(1))

    assert tls_sink.received == 1 and tls_sink.tls_received == 0


def test_require_tls_refuses_a_server_without_starttls_as_transient(sink: SmtpSink) -> None:
    mailer = SmtpMailer(sink.url + "?require_tls=yes")

    with pytest.raises(TransientMailError, match="TLS is vereist"):
        mailer.send(message(1))

    assert sink.received == 0


def test_require_tls_sends_no_credentials_over_a_plain_connection() -> None:
    with SmtpSink(auth=("koers", "geheim")) as sink:
        mailer = SmtpMailer(f"smtp://koers:geheim@127.0.0.1:{sink.port}?require_tls=yes")

        with pytest.raises(TransientMailError, match="TLS is vereist"):
            mailer.send(message(1))

        assert sink.auth_attempts == 0 and sink.received == 0


def test_an_untrusted_certificate_is_transient(tls_sink: SmtpSink) -> None:
    with pytest.raises(TransientMailError, match="CERTIFICATE_VERIFY_FAILED"):
        SmtpMailer(tls_sink.url, require_tls=True).send(message(1))

    assert tls_sink.received == 0


# Threads


def test_four_threads_send_a_hundred_messages_each_exactly_once(sink: SmtpSink, mailer: SmtpMailer) -> None:
    errors: list[BaseException] = []

    def worker(first: int) -> None:
        try:
            for i in range(first, first + 25):
                mailer.send(message(i))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n * 25,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    sink.wait_for(100, timeout=5)
    assert sink.message_ids() == {i: 1 for i in ids_of(*range(100))}
    assert sink.connections == 4  # one kept-open connection per thread


# Configuration and classification (no network)


def test_smtp_url_is_parsed_with_credentials_and_options() -> None:
    target = SmtpTarget.from_url("smtps://user%40x:p%3Ass@relay.example?cafile=/etc/ca.pem&bounce=b@koers.example")

    assert (target.hostname, target.port, target.implicit_tls) == ("relay.example", 465, True)
    assert (target.username, target.password) == ("user@x", "p:ss")
    assert (target.cafile, target.bounce) == ("/etc/ca.pem", "b@koers.example")
    assert "p:ss" not in repr(target)


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://relay.example", "smtp://host:poort"),
        ("smtp://relay.example?starttls=misschien", "starttls moet yes of no"),
        ("smtp://relay.example?tls=yes", "onbekende optie(s) in KOERS_SMTP_URL: tls"),
        ("smtp://relay.example?starttls=no&require_tls=yes", "gaat niet samen"),
    ],
)
def test_a_bad_smtp_url_is_refused_with_the_reason(url: str, error: str) -> None:
    with pytest.raises(ValueError, match=error.replace("(", r"\(").replace(")", r"\)")):
        SmtpTarget.from_url(url)


@pytest.mark.parametrize(
    ("exc", "kind", "code"),
    [
        (aiosmtplib.SMTPDataError(451, "later"), TransientMailError, 451),
        (aiosmtplib.SMTPDataError(554, "nee"), PermanentMailError, 554),
        (aiosmtplib.SMTPSenderRefused(553, "nee", "z@k.example"), PermanentMailError, 553),
        (aiosmtplib.SMTPAuthenticationError(535, "fout"), TransientMailError, 535),
        (aiosmtplib.SMTPConnectResponseError(554, "geen dienst"), TransientMailError, 554),
        (aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(550, "x", "a@b")]), PermanentMailError, 550),
        (
            aiosmtplib.SMTPRecipientsRefused(
                [aiosmtplib.SMTPRecipientRefused(550, "x", "a@b"), aiosmtplib.SMTPRecipientRefused(452, "y", "c@d")]
            ),
            TransientMailError,
            452,
        ),
        (aiosmtplib.SMTPServerDisconnected("weg"), TransientMailError, None),
        (aiosmtplib.SMTPReadTimeoutError("traag"), TransientMailError, None),
        (TimeoutError(), TransientMailError, None),
        (ConnectionRefusedError(111, "refused"), TransientMailError, None),
        (aiosmtplib.SMTPNotSupported("SMTPUTF8"), PermanentMailError, None),
    ],
)
def test_errors_are_classified(exc: Exception, kind: type[MailError], code: int | None) -> None:
    error = classify_error(exc)

    assert type(error) is kind and error.code == code


def test_an_unrelated_exception_is_not_a_mail_error() -> None:
    assert classify_error(ValueError("bug")) is None


def test_make_mailer_spools_without_an_smtp_url(tmp_path: Path) -> None:
    assert isinstance(make_mailer(None, tmp_path), SpoolMailer)
    assert isinstance(make_mailer("smtp://relay.example:2525", tmp_path), SmtpMailer)


# Envelope, per-recipient TLS and DKIM (issue 10)


def test_each_message_goes_out_with_its_own_envelope_sender(sink: SmtpSink, mailer: SmtpMailer) -> None:
    verp = "bounce+42-aaaaaaaaaaaaaaaaaaaaaaaaaa@antwoord.koers.example"
    mailer.send(message(1), SendEnvelope(sender=verp))
    mailer.send(message(2))
    assert [m.envelope_from for m in sink.messages] == [verp, "zelfmelders@koers.example"]


def test_a_municipality_that_requires_tls_is_never_sent_to_in_clear_text(sink: SmtpSink, mailer: SmtpMailer) -> None:
    # The relay offers no STARTTLS (as one that drops it would): refused visibly, not sent in plain text.
    with pytest.raises(TransientMailError, match="TLS is vereist"):
        mailer.send(message(1), SendEnvelope(require_tls=True))
    mailer.send(message(2))  # other recipients on the same relay are not held back
    assert [m.data.count(b"zm-000002") > 0 for m in sink.messages] == [True]


def test_outgoing_mail_is_dkim_signed_and_the_signature_verifies(sink: SmtpSink, tmp_path: Path) -> None:
    key = DkimKey("koers.example")
    (tmp_path / "dkim.pem").write_bytes(key.private_pem)
    signer = DkimSigner.from_file("koers", "koers.example", tmp_path / "dkim.pem")
    SmtpMailer(sink.url, signer=signer).send(message(1))
    SpoolMailer(tmp_path / "spool", signer=signer).send(message(2), SendEnvelope(sender="bounce+2-x@a.example"))

    def txt(name: bytes, timeout: int = 5) -> bytes:
        return key.record.encode() if name == key.dns_name.encode() + b"." else b""

    spooled = next((tmp_path / "spool").glob("*.eml")).read_bytes()
    assert spooled.startswith(b"Return-Path: <bounce+2-x@a.example>\r\nDKIM-Signature: ")
    for data in (sink.messages[0].data, spooled.split(b"\r\n", 1)[1]):
        assert dkim.verify(data, dnsfunc=txt)
        assert not dkim.verify(data.replace(b"Herinnering", b"Herinnerinf"), dnsfunc=txt)  # tampering shows
    with pytest.raises(ValueError, match="dkim_key"):
        DkimSigner("koers", "koers.example", b"not a key")
