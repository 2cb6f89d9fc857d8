"""The rendered email and its MIME form.

``OutgoingEmail`` is what rendering produces and what the outbox stores: plain data, no I/O.
``to_mime`` turns it into an ``email.message.EmailMessage`` ready for SMTP. What each kind of email
is rendered from is in ``messaging.email_data``; ``messaging.render`` re-exports both.

Invariants:

- Every message carries ``Auto-Submitted: auto-generated`` (RFC 3834), so that auto-responders
  stay quiet and our own inbound side can recognise mail loops, and ``X-Auto-Response-Suppress``
  for Exchange.
- The ``Message-ID`` is the stable id chosen by the caller (see ``make_message_id``): a resend of
  the same email has the same id, which is how mail clients and our reply correlation recognise it;
  it carries an HMAC, so it cannot be guessed.
- No header value may contain CR, LF or another control or line-separator character: such a
  value is rejected with ``HeaderInjectionError``, never silently cleaned, because it means some
  input reached a header unchecked.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import random
import re
import sys
from base64 import encodebytes
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.contentmanager import raw_data_manager
from email.header import Header
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP, Compat32
from email.utils import format_datetime, parseaddr
from functools import lru_cache
from typing import Any

# C0 controls (CR, LF, NUL, TAB...), DEL, C1 controls (incl. NEL) and the Unicode line/paragraph
# separators: all of them can end a header line in some parser.
_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")  # RFC 5322 ftext: printable ASCII except ':'
_MESSAGE_ID = re.compile(r"^<[^<>@\s]+@[^<>@\s]+>$")
_TOKEN = re.compile(r"^[a-z][a-z0-9_-]*$")
_MIN_KEY_BYTES = 16
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


def make_message_id(kind: str, case_id: int, sequence: int, domain: str, *, key: bytes) -> str:
    """The stable Message-ID of one email, e.g. ``<zm-000042.notification.1.k3v9...@koers.example>``.

    The same inputs always give the same id: that is how a resend is recognised. The last part is
    an HMAC-SHA256 of the others with the secret key (80 bits, base32): without the key nobody can
    name the Message-ID of an email they did not receive, so pasting guessed ids into a forged
    delivery report or a reply's ``In-Reply-To`` finds nothing.
    """
    if not _TOKEN.match(kind) or case_id < 0 or sequence < 1 or not _DOMAIN.match(domain):
        raise ValueError(f"ongeldige Message-ID-onderdelen: {kind!r}, {case_id}, {sequence}, {domain!r}")
    if len(key) < _MIN_KEY_BYTES:
        raise ValueError(f"geheime sleutel voor Message-ID's is te kort: minimaal {_MIN_KEY_BYTES} bytes")
    stem = f"zm-{case_id:06d}.{kind}.{sequence}"
    digest = hmac.new(key, b"koers-message-id-v1|" + stem.encode("ascii"), hashlib.sha256).digest()
    return f"<{stem}.{base64.b32encode(digest).decode('ascii')[:16].lower()}@{domain.lower()}>"


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

    The message is built on the compat32 machinery with every header value encoded (RFC 2047) and
    folded once (``_encoded``), by the standard library: ``email.policy.default`` parses and re-folds
    each header on every set and every flatten, five times the cost (``bench/bench_mime.py``). The
    result is still an ``EmailMessage`` (``get_body``, ``iter_attachments``, ``get_content`` work),
    but a header read from it is the plain string as sent (e.g. ``=?utf-8?q?...?=`` for a non-ASCII
    subject), not a header object.

    Args:
        email: the rendered email.
        sender: the ``From`` address, e.g. ``Zelfmelders 3Noord <zelfmelders@koers.example>``.
        date: the ``Date`` header; defaults to now (UTC). Pass it for reproducible output.
    """
    if not email.to:
        raise ValueError("een e-mail heeft minstens één ontvanger nodig")
    if not _MESSAGE_ID.match(check_header_value("Message-ID", email.message_id)):
        raise HeaderInjectionError(f"ongeldige Message-ID: {email.message_id!r}")
    msg = _Message(policy=_POLICY)
    msg["From"] = _addresses("From", [check_address("From", sender)])
    msg["To"] = _addresses("To", [check_address("To", addr) for addr in email.to])
    msg["Subject"] = _encoded_subject(check_header_value("Subject", email.subject))
    if email.reply_to:
        msg["Reply-To"] = _addresses("Reply-To", [check_address("Reply-To", email.reply_to)])
    msg["Message-ID"] = _encoded("Message-ID", email.message_id)
    msg["Date"] = format_datetime(date or datetime.now(UTC))
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    _add_extra_headers(msg, email.headers)
    attachments = [_attachment_part(attachment) for attachment in email.attachments]
    msg["MIME-Version"] = "1.0"
    if not attachments:
        _set_text(msg, email.text)
        return msg
    body = _Part(policy=_POLICY)
    _set_text(body, email.text)
    # The boundary cannot occur in the parts: quoted-printable and base64 never produce "==...==".
    msg["Content-Type"] = f'multipart/mixed;\n boundary="{"=" * 15}{random.randrange(sys.maxsize)}=="'
    msg.set_payload([body, *attachments])
    return msg


class _PrefoldedPolicy(Compat32):
    """compat32 with CRLF line ends and no ``>From`` mangling that writes pre-folded headers as they are.

    ``to_mime`` stores every header value already encoded and folded (``_encoded``), so flattening
    only copies it; any other value (e.g. a header set later by a caller) is folded by compat32.
    ``content_manager`` makes ``get_content`` work on the result, as on any ``EmailMessage``.
    """

    content_manager = raw_data_manager

    def fold(self, name: str, value: str) -> str:
        text = self._as_is(name, value)
        return super().fold(name, value) if text is None else text

    def fold_binary(self, name: str, value: str) -> bytes:
        text = self._as_is(name, value)
        return super().fold_binary(name, value) if text is None else text.encode("ascii")

    def _as_is(self, name: str, value: object) -> str | None:
        """The header line(s) for an ASCII value already folded, i.e. continuation lines start with a space.

        Lines up to RFC 5322's hard limit of 998 characters are kept: ``_encoded`` only leaves a line
        longer than 78 where there is no space to fold at (a long Message-ID, a long encoded word).
        """
        if not isinstance(value, str) or not value.isascii():
            return None
        lines = value.splitlines() or [""]
        if len(name) + 2 + len(lines[0]) > _HARD_LIMIT:
            return None
        if any(len(line) > _HARD_LIMIT or line[:1] not in (" ", "\t") for line in lines[1:]):
            return None
        return f"{name}: {self.linesep.join(lines)}{self.linesep}"


class _Part(MIMEPart):
    """A part whose headers read as the strings stored, whatever policy is lent to it.

    A generator lends the message its own policy while flattening it; aiosmtplib flattens an
    ``EmailMessage`` with ``email.policy.SMTP``, which would parse every Content-Type it looks
    up into a header object, each time. ``is_attachment`` is ``MIMEPart``'s, on a string.
    """

    def get(self, name: str, failobj: Any = None) -> Any:
        name = name.lower()
        for key, value in self.raw_items():
            if key.lower() == name:
                return _POLICY.header_fetch_parse(key, value)
        return failobj

    def is_attachment(self) -> bool:
        return self.get_content_disposition() == "attachment"


class _Message(_Part, EmailMessage):
    """The ``EmailMessage`` that ``to_mime`` returns."""


# The line ends of email.policy.SMTP, which to_mime used before; no From-mangling, as there.
_POLICY = _PrefoldedPolicy(linesep="\r\n", mangle_from_=False)
_MAX_LINE = 78
_HARD_LIMIT = 998
_ENCODER = SMTP.clone(refold_source="all")  # parse and fold every value it is given, even a short one


def _encoded(name: str, value: str) -> str:
    """``value`` RFC 2047-encoded where needed and folded to 78 columns, to be written as it is.

    Plain ASCII that fits on its line (most headers) stays as it is. Anything else is encoded and
    folded once, here, by the standard library's ``email.policy.SMTP`` (the non-ASCII words as
    ``=?utf-8?q?...?=``, the rest readable); see ``bench/bench_mime.py`` for what that costs against
    ``email.header.Header`` and against building the whole message on ``email.policy.SMTP``.
    Text that merely looks like an encoded word is encoded as a whole (``email.header.Header``):
    ``email.policy.SMTP`` would send it as it is, and every mail client would decode it.
    """
    if "=?" in value:
        return str(Header(value, "utf-8", header_name=name).encode(linesep="\n"))
    if value.isascii() and len(name) + 2 + len(value) <= _MAX_LINE:
        return value
    return _folded(name, value)


def _folded(name: str, value: str) -> str:
    folded: str = _ENCODER.fold(name, value)
    return folded[len(name) + 2 :].removesuffix("\r\n").replace("\r\n", "\n")


def _addresses(name: str, addresses: list[str]) -> str:
    """An address header, encoded and folded by ``email.policy.SMTP`` unless it is short plain ASCII.

    Unlike ``_encoded`` it leaves text that looks like an encoded word alone: it can only be in a
    display name, where RFC 2047 allows encoded words. Each address starts a line of its own: folded
    after another one, a display name can be split inside a word, and Python's own parser reads it
    back with a space there ("Frysl ân"; RFC 2047 clients join adjacent encoded words).
    """
    value = ", ".join(addresses)
    if value.isascii() and len(name) + 2 + len(value) <= _MAX_LINE:
        return value
    return ",\n ".join(_folded(name, address) for address in addresses)  # one address folded at a time


def _encoded_subject(subject: str) -> str:
    """The subject, encoded and folded as ``_encoded`` does, but folded after a leading ``[reference]``.

    Every Koers subject is ``[ZM-000042] text`` with a text that is the same for every email of a
    kind and carries no personal data (see ``messaging.render``): folding right after the reference
    lets the encoded text be reused; encoding it anew took ~55 µs, 40% of ``to_mime``.
    """
    reference, _, text = subject.partition(" ")
    is_reference = reference[:1] == "[" and reference[-1:] == "]" and reference.isascii() and "=?" not in reference
    is_plain = subject.isascii() and "=?" not in subject and len(subject) + len("Subject: ") <= _MAX_LINE
    if is_plain or not is_reference or not text.strip() or text[0] in " \t":
        return _encoded("Subject", subject)
    return f"{reference}\n {_encoded_text(text)}"  # unfolding gives back the space


@lru_cache(maxsize=256)
def _encoded_text(text: str) -> str:
    return _encoded("Subject", text)


def _add_extra_headers(msg: EmailMessage, headers: dict[str, str]) -> None:
    for name, value in headers.items():
        if name.lower() in _RESERVED:
            raise HeaderInjectionError(f"header {name} wordt door Koers zelf gezet")
        msg[name] = _encoded(name, check_header_value(name, value))


def _set_text(part: MIMEPart, text: str) -> None:
    """A UTF-8 text/plain body, quoted-printable; line ends normalised as ``set_content`` does."""
    data = b"\n".join(text.encode("utf-8").splitlines()) + b"\n"
    part["Content-Type"] = 'text/plain; charset="utf-8"'
    part["Content-Transfer-Encoding"] = "quoted-printable"
    part.set_payload(binascii.b2a_qp(data, istext=True).decode("ascii"))


def _attachment_part(attachment: Attachment) -> _Part:
    check_header_value("Content-Disposition", attachment.filename)
    maintype, _, subtype = check_header_value("Content-Type", attachment.content_type).partition("/")
    if not maintype or not subtype:
        raise ValueError(f"ongeldig content type: {attachment.content_type!r}")
    part = _Part(policy=_POLICY)
    part["Content-Type"] = f"{maintype}/{subtype}"
    part["Content-Transfer-Encoding"] = "base64"
    part.add_header("Content-Disposition", "attachment", filename=attachment.filename)
    part.set_payload(encodebytes(attachment.data).decode("ascii"))
    return part
