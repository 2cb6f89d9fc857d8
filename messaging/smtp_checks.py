"""Koers' own SPF, DKIM and DMARC checks of a message at SMTP time (``[inbound] authentication = "verify"``).

The gateway calls ``check_sender`` for every message before it answers ``DATA``, with the connecting
IP, the envelope sender and the HELO name, and stores the resulting ``Authentication-Results`` value
(carrying Koers' own authserv-id) beside the raw message. ``messaging.sender_auth`` later decides on
that stored value alone. Nothing here is hand-written protocol logic: SPF is ``pyspf``, DKIM is
``dkimpy``, DMARC is ``messaging.dmarc_verdict`` (the ``dmarc`` package's record parser and
``publicsuffixlist``, glued by RFC 7489's rules), the header is ``authres``; every DNS query goes
through dnspython's default resolver, which ``use_nameservers`` points at the configured servers
(tests run their own DNS server).

Invariants:

- Fails closed: a check that raises gives ``permerror`` or ``temperror``, never ``pass``.
- ``must_reject`` only for a DMARC ``fail`` under the domain owner's ``p=reject`` (RFC 7489 §6.6.2);
  a DNS failure is ``must_retry`` (the sender tries again later), anything else is stored and judged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses

import dkim
import dns.exception
import dns.nameserver
import dns.resolver
import spf
from authres import AuthenticationResultsHeader, DKIMAuthenticationResult, SPFAuthenticationResult
from authres.dmarc import DMARCAuthenticationResult

from messaging.dmarc_verdict import dmarc_verdict, organisational_domain

__all__ = ["SenderCheck", "check_sender", "use_nameservers"]

MAX_SIGNATURES = 5  # each costs a DNS query and an RSA verification; no honest reply carries more
_FIELD = "Authentication-Results:"


@dataclass(frozen=True)
class SenderCheck:
    """The outcome for one message: the ``Authentication-Results`` value to store, and what it means now."""

    header: str
    spf: str
    dkim: str
    dmarc: str
    policy: str | None

    @property
    def must_reject(self) -> bool:
        return self.dmarc == "fail" and self.policy == "reject"

    @property
    def must_retry(self) -> bool:
        return "temperror" in (self.spf, self.dkim, self.dmarc)


def use_nameservers(nameservers: Sequence[str], timeout: float = 5.0) -> None:
    """Point every SPF, DKIM and DMARC query of this process at ``nameservers`` (``host`` or ``host:port``)."""
    if not nameservers:
        return
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [_nameserver(entry) for entry in nameservers]
    resolver.timeout, resolver.lifetime = min(2.0, timeout), timeout
    dns.resolver.default_resolver = resolver


def check_sender(raw: bytes, *, ip: str, mail_from: str, helo: str, authserv_id: str) -> SenderCheck:
    """SPF for ``ip``/``mail_from``/``helo``, every DKIM signature (up to 5), DMARC for the ``From:`` domain."""
    from_domain = _from_domain(raw)
    spf_result = _spf(ip, mail_from, helo)
    dkim_result, dkim_passed = _dkim(raw, from_domain)
    dmarc_result = _dmarc(from_domain, spf_result, dkim_passed, helo)
    header = str(AuthenticationResultsHeader(authserv_id=authserv_id, results=[spf_result, dkim_result,
                                                                                dmarc_result]))  # fmt: skip
    return SenderCheck(header=header.removeprefix(_FIELD).strip(), spf=str(spf_result.result),
                       dkim=str(dkim_result.result), dmarc=str(dmarc_result.result),
                       policy=str(getattr(dmarc_result, "policy", None) or "") or None)  # fmt: skip


def _spf(ip: str, mail_from: str, helo: str) -> SPFAuthenticationResult:
    try:
        result, _explanation = spf.check2(i=ip, s=mail_from, h=helo or "unknown", querytime=10)
    except dns.exception.DNSException:
        result = "temperror"
    except Exception:  # noqa: BLE001 - a hostile record must never pass, nor break the gateway
        result = "permerror"
    return SPFAuthenticationResult(result=str(result or "none"), smtp_mailfrom=mail_from or None,
                                   smtp_helo=helo or None)  # fmt: skip


def _dkim(raw: bytes, from_domain: str | None) -> tuple[DKIMAuthenticationResult, list[str]]:
    """The signature to show (the From domain's first, then an aligned pass, then any pass, else the
    first failure), and the ``d=`` of every signature that passed, for DMARC."""
    try:
        count = sum(1 for name, _ in dkim.rfc822_parse(raw)[0] if name.lower() == b"dkim-signature")
    except Exception:  # noqa: BLE001 - headers no parser can split carry no signature we could verify
        return DKIMAuthenticationResult(result="permerror"), []
    if count == 0:
        return DKIMAuthenticationResult(result="none"), []
    outcomes = [_verify_one(raw, index) for index in range(min(count, MAX_SIGNATURES))]
    passed = [domain for result, domain in outcomes if result == "pass"]
    if passed:
        organisation = organisational_domain(from_domain) if from_domain else None
        shown = sorted(passed, key=lambda d: (d != from_domain, organisational_domain(d) != organisation))[0]
        return DKIMAuthenticationResult(result="pass", header_d=shown), passed
    worst = "temperror" if any(result == "temperror" for result, _ in outcomes) else "fail"
    return DKIMAuthenticationResult(result=worst, header_d=outcomes[0][1] or None), []


def _verify_one(raw: bytes, index: int) -> tuple[str, str]:
    verifier = dkim.DKIM(raw)
    try:
        ok = verifier.verify(idx=index)
    except dns.exception.DNSException:
        return "temperror", ""
    except Exception:  # noqa: BLE001 - a malformed signature is a failed one
        ok = False
    domain = verifier.signature_fields.get(b"d", b"").decode("ascii", "replace").lower() if ok else ""
    return ("pass" if ok else "fail"), domain


def _dmarc(from_domain: str | None, spf_result: SPFAuthenticationResult, dkim_passed: list[str],
           helo: str) -> DMARCAuthenticationResult:  # fmt: skip
    # SPF authenticates the MAIL FROM domain, or the HELO name for a null sender (RFC 7208 §2.4).
    spf_identity = str(spf_result.smtp_mailfrom or "").rpartition("@")[2] or helo
    spf_domain = spf_identity if spf_result.result == "pass" and spf_identity else None
    verdict = dmarc_verdict(from_domain, spf_domain=spf_domain, dkim_domains=dkim_passed)
    return DMARCAuthenticationResult(result=verdict.result, header_from=from_domain, policy=verdict.policy)


def _from_domain(raw: bytes) -> str | None:
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
    addresses = [address for _, address in getaddresses([str(v) for v in headers.get_all("From", [])])]
    if len(addresses) != 1 or "@" not in addresses[0]:
        return None
    return addresses[0].rpartition("@")[2].lower()


def _nameserver(entry: str) -> dns.nameserver.Do53Nameserver:
    host, port = entry.strip(), 53
    if host.startswith("["):  # [::1]:5353
        host, _, rest = host[1:].partition("]")
        port = int(rest.lstrip(":") or 53)
    elif host.count(":") == 1:
        host, _, number = host.partition(":")
        port = int(number)
    return dns.nameserver.Do53Nameserver(host, port)
