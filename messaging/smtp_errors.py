"""Outbound-mail errors and how aiosmtplib's and the network's exceptions map onto them.

``MailError.code`` is the SMTP reply code, or ``None``. Messages name the code, the SMTP step and
the server's text, never the body; they end up in the database and the logs.

==============================================================  ======================
greeting, EHLO, STARTTLS, AUTH failure; TLS required but absent  ``TransientMailError``
4xx reply to MAIL / RCPT / DATA                                   ``TransientMailError``
5xx reply to MAIL / RCPT / DATA (e.g. 550, 554)                   ``PermanentMailError``
connection refused or dropped, time-out, TLS/certificate error    ``TransientMailError``
invalid or missing address (checked before connecting)            ``PermanentMailError``
==============================================================  ======================

Rule: *permanent* means this message can never be delivered as it is; a problem with our own
configuration or with the relay is *transient*, so the mail goes out once an operator fixes it.
When every recipient is refused, the refusal is permanent only if all refusals are 5xx.
"""

from __future__ import annotations

from typing import NoReturn

import aiosmtplib

__all__ = [
    "AmbiguousDeliveryError", "MailError", "PermanentMailError", "TransientMailError", "classify_error",
    "raise_classified",
]  # fmt: skip

_STEPS: tuple[tuple[type[aiosmtplib.SMTPResponseException], str], ...] = (
    (aiosmtplib.SMTPSenderRefused, "MAIL FROM"), (aiosmtplib.SMTPRecipientRefused, "RCPT TO"),
    (aiosmtplib.SMTPDataError, "DATA"), (aiosmtplib.SMTPAuthenticationError, "AUTH"),
    (aiosmtplib.SMTPHeloError, "EHLO"), (aiosmtplib.SMTPConnectResponseError, "begroeting"),
)  # fmt: skip
# Replies to the session rather than to this message: configuration or relay trouble.
_SESSION_ERRORS = (aiosmtplib.SMTPAuthenticationError, aiosmtplib.SMTPHeloError, aiosmtplib.SMTPConnectResponseError)


class MailError(Exception):
    """Sending failed; ``code`` is the SMTP reply code when the server gave one."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class TransientMailError(MailError):
    """Try again later, with backoff: 4xx, network trouble, time-outs, relay configuration."""


class AmbiguousDeliveryError(MailError):
    """The message went out but the server's verdict never came (time-out or disconnect after DATA).

    The server may have stored it. Sending again could deliver it twice, so a person decides.
    """


class PermanentMailError(MailError):
    """This message cannot be delivered as it is (5xx to the transaction, invalid address)."""


def classify_error(exc: BaseException) -> MailError | None:
    """The ``MailError`` for an aiosmtplib or network exception; ``None`` when it is neither."""
    if isinstance(exc, MailError):
        return exc
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return _recipients_refused(exc)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        text = f"SMTP {exc.code} bij {_step(exc)}: {clean_reply(exc.message)}"
        is_permanent = 500 <= exc.code < 600 and not isinstance(exc, _SESSION_ERRORS)
        return (PermanentMailError if is_permanent else TransientMailError)(text, exc.code)
    if isinstance(exc, aiosmtplib.SMTPNotSupported):
        return PermanentMailError(f"SMTP: niet ondersteund door de server: {clean_reply(exc.message)}")
    if isinstance(exc, TimeoutError):  # includes SMTPTimeoutError and asyncio.TimeoutError
        return TransientMailError(f"SMTP: time-out: {clean_reply(str(exc))}")
    if isinstance(exc, aiosmtplib.SMTPException | OSError):  # disconnects, refused, TLS and DNS errors
        return TransientMailError(f"SMTP: verbinding mislukt: {clean_reply(str(exc))}")
    return None


def raise_classified(exc: Exception) -> NoReturn:
    """Re-raise ``exc`` as its ``MailError`` (chained), or unchanged when it is not a mail error."""
    error = classify_error(exc)
    if error is None or error is exc:
        raise exc
    raise error from exc


def clean_reply(text: str) -> str:
    """A server reply on one line, capped: multi-line replies must not break log lines."""
    return " ".join(text.split())[:500]


def _recipients_refused(exc: aiosmtplib.SMTPRecipientsRefused) -> MailError:
    first = exc.recipients[0]
    text = f"SMTP {first.code} bij RCPT TO: {clean_reply(first.message)}"
    if all(500 <= r.code < 600 for r in exc.recipients):
        return PermanentMailError(text, first.code)
    return TransientMailError(text, next(r.code for r in exc.recipients if not 500 <= r.code < 600))


def _step(exc: aiosmtplib.SMTPResponseException) -> str:
    return next((name for kind, name in _STEPS if isinstance(exc, kind)), "SMTP")
