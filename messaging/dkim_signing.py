"""DKIM signatures on outgoing mail (``[outbound] dkim_selector`` / ``dkim_key``), made by ``dkimpy``.

Municipal spam filters check DMARC on Koers' own mail too: signed with the sender domain's key, a
notification passes even when it reaches the mailbox through a forwarder that breaks SPF. The key
file is read once at start-up; a key dkimpy cannot use fails then, not at the first email.

Invariant: the signature covers exactly the bytes that are sent (``sign`` returns them whole), so
the mailers send these bytes and never re-flatten the message after signing.
"""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import dkim

__all__ = ["DkimSigner"]

SIGNED_HEADERS = (
    b"from", b"to", b"cc", b"subject", b"date", b"message-id", b"reply-to", b"in-reply-to", b"references",
    b"mime-version", b"content-type", b"auto-submitted",
)  # fmt: skip


class DkimSigner:
    """Signs as ``d=<domain>`` with selector ``s=<selector>`` (relaxed/relaxed canonicalisation)."""

    def __init__(self, selector: str, domain: str, private_key: bytes) -> None:
        self.selector, self.domain = selector.strip().lower(), domain.strip().lower()
        self._key = private_key
        try:
            self._signature(b"From: a@" + self.domain.encode("ascii") + b"\r\nSubject: test\r\n\r\ntest\r\n")
        except (dkim.DKIMException, ValueError, UnicodeError) as exc:
            raise ValueError(f"outbound.dkim_key: DKIM-sleutel is onbruikbaar ({type(exc).__name__})") from None

    @classmethod
    def from_file(cls, selector: str, domain: str, path: Path) -> DkimSigner:
        try:
            return cls(selector, domain, path.read_bytes())
        except OSError:
            raise ValueError(f"outbound.dkim_key: bestand {path} kan niet worden gelezen") from None

    def sign(self, message: EmailMessage) -> bytes:
        """The message as it will be sent, with its ``DKIM-Signature`` header first."""
        data = message.as_bytes()
        return self._signature(data) + data

    def _signature(self, data: bytes) -> bytes:
        signature: bytes = dkim.sign(data, self.selector.encode("ascii"), self.domain.encode("ascii"), self._key,
                                     canonicalize=(b"relaxed", b"relaxed"),
                                     include_headers=list(SIGNED_HEADERS))  # fmt: skip
        return signature
