"""``SpoolMailer``: the embedded default's outbound mail, one ``.eml`` file per message in a folder.

Used when no ``KOERS_SMTP_URL`` is set, so a newcomer sees every outgoing mail on a bare machine.

Invariants:

- Idempotent per ``Message-ID``: a second send of the same id writes nothing and returns the first
  file, so at-least-once delivery upstream still spools each email once.
- Each file appears whole: written aside under a hidden name, fsynced, then ``os.replace``-d.
- One process owns a spool folder: the id index is read from the folder once, then kept in memory.
- Each file starts with ``Return-Path: <envelope sender>``, as a delivering server writes it, then the
  message (DKIM-signed when a signer is given).
"""

from __future__ import annotations

import os
import re
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path

from messaging.dkim_signing import DkimSigner

__all__ = ["SendEnvelope", "SpoolMailer"]


@dataclass(frozen=True)
class SendEnvelope:
    """How one message is sent: its envelope sender (``MAIL FROM``; the signed VERP address) and whether
    the connection must be encrypted (a municipality that requires TLS)."""

    sender: str | None = None
    require_tls: bool = False

_UNSAFE = re.compile(r"[^A-Za-z0-9._@+=-]")


class SpoolMailer:
    """Writes each message as ``<UTC timestamp>-<sanitised Message-ID>.eml``; thread-safe."""

    def __init__(self, directory: Path, signer: DkimSigner | None = None) -> None:
        self.directory = Path(directory)
        self._signer = signer
        self._lock = threading.Lock()
        self._index: dict[str, Path] | None = None

    def send(self, message: EmailMessage, envelope: SendEnvelope | None = None) -> str:
        """Spool ``message`` unless its Message-ID was spooled before; returns ``spooled <path>``."""
        key = spool_key(message.get("Message-ID"))
        sender = (envelope.sender if envelope else None) or parseaddr(str(message.get("From", "")))[1]
        data = self._signer.sign(message) if self._signer is not None else message.as_bytes()
        if "\r" in sender or "\n" in sender:
            raise ValueError("ongeldig afzenderadres voor de envelop")
        with self._lock:
            index = self._load_index()
            existing = index.get(key)
            if existing is None or not existing.exists():
                index[key] = existing = self._write(key, f"Return-Path: <{sender}>\r\n".encode() + data)
        return f"spooled {existing}"

    def close(self) -> None:
        """Nothing to close; present so that both mailers can be closed alike."""

    def _load_index(self) -> dict[str, Path]:
        if self._index is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            files = sorted(self.directory.glob("*-*.eml"), reverse=True)
            self._index = {path.stem.split("-", 1)[1]: path for path in files}  # the oldest file wins
        return self._index

    def _write(self, key: str, data: bytes) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        final = self.directory / f"{stamp}-{key}.eml"
        temporary = self.directory / f".{uuid.uuid4().hex}.tmp"
        with temporary.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, final)
        return final


def spool_key(message_id: object) -> str:
    """The file-name part for a Message-ID: ``<a/b@x>`` becomes ``a_b@x``; a random one when there is none."""
    raw = str(message_id or "").strip().strip("<>")
    if not raw:
        return f"zonder-id-{uuid.uuid4().hex}"  # no id, so no idempotency either
    return _UNSAFE.sub("_", raw)[:180]
