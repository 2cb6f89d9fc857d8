"""Email values: what each kind of email is rendered from, the rendered email, and its MIME form.

``NotificationData``, ``ReminderData``... hold exactly what one kind of email may say (minimal data:
only the notification carries the person's details). ``OutgoingEmail`` is what rendering produces
and what the outbox stores: plain data, no I/O. ``to_mime`` turns it into an
``email.message.EmailMessage`` ready for SMTP. ``messaging.render`` re-exports all of them.

Invariants:

- Every message carries ``Auto-Submitted: auto-generated`` (RFC 3834), so that auto-responders
  stay quiet and our own inbound side can recognise mail loops, and ``X-Auto-Response-Suppress``
  for Exchange.
- The ``Message-ID`` is the stable id chosen by the caller (see ``make_message_id``): a resend of
  the same email has the same id, which is how mail clients and our reply correlation recognise it.
- No header value may contain CR, LF or another control or line-separator character: such a
  value is rejected with ``HeaderInjectionError``, never silently cleaned, because it means some
  input reached a header unchecked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr

from workflows.model import Outcome

# C0 controls (CR, LF, NUL, TAB...), DEL, C1 controls (incl. NEL) and the Unicode line/paragraph
# separators: all of them can end a header line in some parser.
_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")  # RFC 5322 ftext: printable ASCII except ':'
_MESSAGE_ID = re.compile(r"^<[^<>@\s]+@[^<>@\s]+>$")
_TOKEN = re.compile(r"^[a-z][a-z0-9_-]*$")
_DOMAIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
_RESERVED = frozenset(
    name.lower()
    for name in ("From", "To", "Subject", "Reply-To", "Message-ID", "Date", "Auto-Submitted", "MIME-Version")
)


class HeaderInjectionError(ValueError):
    """A header name or value contains characters that could start a new header line."""


@dataclass(frozen=True)
class Attachment:
    """A file attached to an email; ``filename`` carries no personal data (e.g. ``brief-ZM-000042.pdf``)."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class OutgoingEmail:
    """One rendered email, ready to be stored in the outbox and sent.

    ``kind`` names the template family (``notification``, ``reminder``...). ``headers`` holds the
    extra headers (e.g. ``In-Reply-To``, ``X-Koers-Reference``); the fixed ones are set by ``to_mime``.
    """

    message_id: str
    to: tuple[str, ...]
    subject: str
    text: str
    reply_to: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()
    kind: str = ""


@dataclass(frozen=True)
class NotificationData:
    """The case notification: the facts the municipality's team needs to reach the person in time."""

    case_ref: str
    municipality_name: str
    report_date: date
    days_left: int
    institution: str
    sentence_days: int
    given_names: str
    surname: str
    birth_date: date
    reason: str
    routed_by: str
    street: str | None = None
    house_number: str | None = None
    postcode: str | None = None
    woonplaats: str | None = None
    phone: str | None = None
    email: str | None = None
    urgent: bool = False


@dataclass(frozen=True)
class ReminderData:
    """A (second) reminder: the reference and the deadline, no personal data."""

    case_ref: str
    municipality_name: str
    report_date: date
    days_left: int
    notified_on: date
    working_days_waited: int
    urgent: bool = False


@dataclass(frozen=True)
class EscalationData:
    """An escalation to the province's coordinator; ``reason`` is a Dutch sentence from the engine."""

    case_ref: str
    municipality_name: str
    cbs_code: str
    report_date: date
    days_left: int
    reason: str
    notified_mailbox: str | None
    notified_on: date | None
    reminders_sent: int = 0


@dataclass(frozen=True)
class FollowUpData:
    """Contact was recorded but the outcome is partial: ask only for what is missing."""

    case_ref: str
    municipality_name: str
    report_date: date
    days_left: int
    outcome: Outcome


@dataclass(frozen=True)
class ConfirmationData:
    """What was recorded from a reply, sent back so the sender can correct it."""

    case_ref: str
    municipality_name: str
    outcome: Outcome


@dataclass(frozen=True)
class AskBackData:
    """A reply that could not (fully) be read: the lines quoted back and the fields still needed.

    ``needed`` holds keys of ``messaging.render.REPLY_FIELDS`` (e.g. ``("contact", "actions")``).
    """

    case_ref: str
    unreadable: tuple[str, ...]
    needed: tuple[str, ...]


def make_message_id(kind: str, case_id: int, sequence: int, domain: str) -> str:
    """The stable Message-ID of one email, e.g. ``<zm-000042.notification.1@koers.example>``.

    The same inputs always give the same id: that is how a resend is recognised.
    """
    if not _TOKEN.match(kind) or case_id < 0 or sequence < 1 or not _DOMAIN.match(domain):
        raise ValueError(f"ongeldige Message-ID-onderdelen: {kind!r}, {case_id}, {sequence}, {domain!r}")
    return f"<zm-{case_id:06d}.{kind}.{sequence}@{domain.lower()}>"


def check_header_value(name: str, value: str) -> str:
    """Return ``value`` unchanged, or raise ``HeaderInjectionError`` if it could break the header block."""
    if not _HEADER_NAME.match(name):
        raise HeaderInjectionError(f"ongeldige headernaam: {name!r}")
    if _FORBIDDEN.search(value):
        raise HeaderInjectionError(f"header {name} bevat een regeleinde of stuurteken")
    return value


def check_address(name: str, value: str) -> str:
    """Check one address header value (``a@b.example`` or ``Naam <a@b.example>``)."""
    check_header_value(name, value)
    _, addr = parseaddr(value)
    if "@" not in addr or any(c in addr for c in " ,;<>"):
        raise HeaderInjectionError(f"header {name} is geen geldig e-mailadres")  # no address in errors or logs
    return value


def to_mime(email: OutgoingEmail, sender: str, *, date: datetime | None = None) -> EmailMessage:
    """Build the MIME message: text/plain UTF-8 body plus attachments, all headers checked.

    Args:
        email: the rendered email.
        sender: the ``From`` address, e.g. ``Zelfmelders 3Noord <zelfmelders@koers.example>``.
        date: the ``Date`` header; defaults to now (UTC). Pass it for reproducible output.
    """
    if not email.to:
        raise ValueError("een e-mail heeft minstens één ontvanger nodig")
    if not _MESSAGE_ID.match(check_header_value("Message-ID", email.message_id)):
        raise HeaderInjectionError(f"ongeldige Message-ID: {email.message_id!r}")
    msg = EmailMessage(policy=SMTP)
    msg["From"] = check_address("From", sender)
    msg["To"] = ", ".join(check_address("To", addr) for addr in email.to)
    msg["Subject"] = check_header_value("Subject", email.subject)
    if email.reply_to:
        msg["Reply-To"] = check_address("Reply-To", email.reply_to)
    msg["Message-ID"] = email.message_id
    msg["Date"] = format_datetime(date or datetime.now(UTC))
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    _add_extra_headers(msg, email.headers)
    msg.set_content(email.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    for attachment in email.attachments:
        _attach(msg, attachment)
    return msg


def _add_extra_headers(msg: EmailMessage, headers: dict[str, str]) -> None:
    for name, value in headers.items():
        if name.lower() in _RESERVED:
            raise HeaderInjectionError(f"header {name} wordt door Koers zelf gezet")
        msg[name] = check_header_value(name, value)


def _attach(msg: EmailMessage, attachment: Attachment) -> None:
    check_header_value("Content-Disposition", attachment.filename)
    maintype, _, subtype = check_header_value("Content-Type", attachment.content_type).partition("/")
    if not maintype or not subtype:
        raise ValueError(f"ongeldig content type: {attachment.content_type!r}")
    msg.add_attachment(attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename)
