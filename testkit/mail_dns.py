"""A real DNS server for the mail-trust tests, and the test domains' keys and records.

``MailDns`` answers TXT queries (SPF, DKIM, DMARC) for test domains over UDP and TCP on
127.0.0.1 (dnslib); everything else is NXDOMAIN. Koers is pointed at it through
``[inbound] nameservers``, exactly as a deployment would name its resolvers. ``DkimKey`` makes an
RSA key pair with ``cryptography`` and signs a message with ``dkimpy``, as a municipality's mail
server would.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from dnslib import QTYPE, RCODE, RR, TXT
from dnslib.server import BaseResolver, DNSLogger, DNSServer

from testkit.processes import free_port


@dataclass
class _Zone(BaseResolver):  # type: ignore[misc]
    records: dict[str, list[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    queries: list[str] = field(default_factory=list)

    def resolve(self, request, handler):  # type: ignore[no-untyped-def]
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        with self.lock:
            self.queries.append(name)
            found = list(self.records.get(name, ()))
        if not found:
            reply.header.rcode = RCODE.NXDOMAIN
        elif request.q.qtype == QTYPE.TXT:
            for text in found:
                chunks = [text[i : i + 255].encode("ascii") for i in range(0, len(text), 255)] or [b""]
                reply.add_answer(RR(request.q.qname, QTYPE.TXT, rdata=TXT(chunks), ttl=60))
        return reply


class MailDns:
    """TXT records served on ``127.0.0.1:<port>``; ``nameserver`` is the config value for Koers."""

    def __init__(self, records: Mapping[str, Iterable[str]] | None = None) -> None:
        self.port = free_port()
        self.zone = _Zone({name.lower(): list(texts) for name, texts in (records or {}).items()})
        quiet = DNSLogger(log="-recv,-send,-request,-reply,-truncated,-error,-data", logf=lambda *_: None)
        self._servers = [DNSServer(self.zone, address="127.0.0.1", port=self.port, tcp=tcp, logger=quiet)
                         for tcp in (False, True)]  # fmt: skip

    @property
    def nameserver(self) -> str:
        return f"127.0.0.1:{self.port}"

    def add(self, name: str, text: str) -> None:
        with self.zone.lock:
            self.zone.records.setdefault(name.lower(), []).append(text)

    def start(self) -> MailDns:
        for server in self._servers:
            server.start_thread()
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.stop()
            server.server.server_close()


class DkimKey:
    """An RSA key for one domain and selector; ``record`` is the TXT value for ``dns_name``."""

    def __init__(self, domain: str, selector: str = "koers", bits: int = 1024) -> None:
        self.domain, self.selector = domain, selector
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        self.private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                             serialization.NoEncryption())  # fmt: skip
        public = key.public_key().public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)  # fmt: skip
        self.record = "v=DKIM1; k=rsa; p=" + base64.b64encode(public).decode("ascii")

    @property
    def dns_name(self) -> str:
        return f"{self.selector}._domainkey.{self.domain}"

    def sign(self, raw: bytes) -> bytes:
        """``raw`` with a DKIM-Signature of this domain prepended."""
        signature: bytes = dkim.sign(raw, self.selector.encode(), self.domain.encode(), self.private_pem)
        return signature + raw
