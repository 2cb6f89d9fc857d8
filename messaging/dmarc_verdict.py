"""The gateway's DMARC verdict for one message (RFC 7489): policy discovery, identifier alignment, p or sp.

Who does what:

- the record's syntax (``v=DMARC1`` first, ``p`` required, valid values, defaults) is the ``dmarc``
  package's parser (``dmarc.DMARC().parse_record``);
- organisational domains are ``publicsuffixlist``'s ``privatesuffix``, on one list built once per
  process (~0.08 s);
- DNS is dnspython's default resolver, which ``smtp_checks.use_nameservers`` points at the
  configured servers.

What is Koers' own is only the RFC's rules that glue them together: §6.6.3 policy discovery (the
From domain's ``_dmarc`` record, else its organisational domain's), §3.1 alignment (strict: the same
domain; relaxed: the same organisational domain) and §6.3 ``sp`` for a From domain below the record's.

Why not a library for those rules as well (measured and read, 2026-12):

- ``authheaders.check_dmarc`` (used before) builds the public suffix list anew for every
  organisational domain it needs (~0.16 s each, two per signed reply: ~6 replies/s) and none of its
  public functions takes a prebuilt list; it also reads the From domain with a pattern that stops at
  a hyphen (``anne@alphen-chaam.nl`` is judged as ``alphen``), applies ``sp`` to the From domain's
  own record and turns a failing server (SERVFAIL) into "no record".
- the ``dmarc`` package's resolver binds dnspython's default resolver when it is imported (so
  ``[inbound] nameservers`` would not reach it) and counts any TXT record at ``_dmarc`` as a DMARC
  record; its alignment check takes a parent domain as aligned without asking the list, so
  ``d=amazonaws.com`` would align with ``From: x@bucket.s3.amazonaws.com`` (two organisations).

Invariants: never ``pass`` on an error; a DNS failure is ``temperror``; two DMARC records or a
broken one is ``permerror``; no record at either level is ``none``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import dns.exception
import dns.resolver
from dmarc import DMARC, DMARCAlignment, DMARCDisposition, Policy
from dmarc import Error as RecordError
from publicsuffixlist import PublicSuffixList

__all__ = ["DmarcVerdict", "dmarc_verdict", "organisational_domain"]

# RFC 7489 §6.6.3 step 3: only TXT records that start with the version tag are DMARC records
# (§6.4: the tag name is case-insensitive, "DMARC1" is not).
_DMARC_RECORD = re.compile(r"\s*[vV]\s*=\s*DMARC1\s*(;|$)")


@dataclass(frozen=True)
class DmarcVerdict:
    """``result`` is pass, fail, none, temperror or permerror; ``policy`` the p or sp that applies."""

    result: str
    policy: str | None = None


class _DiscoveryError(Exception):
    def __init__(self, result: str) -> None:
        super().__init__(result)
        self.result = result


def dmarc_verdict(from_domain: str | None, *, spf_domain: str | None, dkim_domains: Sequence[str]) -> DmarcVerdict:
    """DMARC for ``From: ...@from_domain``.

    ``spf_domain`` is the domain SPF authenticated (only when SPF passed); ``dkim_domains`` the ``d=``
    of every signature that verified.
    """
    if not from_domain:  # no From, or several addresses: nothing to align with (RFC 7489 §6.6.1)
        return DmarcVerdict("permerror")
    from_domain = from_domain.lower().rstrip(".")
    try:
        policy = _discover(from_domain)
    except _DiscoveryError as error:
        return DmarcVerdict(error.result)
    if policy is None:
        return DmarcVerdict("none")
    applies = policy.sp if policy.org_domain and policy.sp is not DMARCDisposition.UNSPECIFIED else policy.p
    dkim_aligned = any(_aligned(from_domain, domain, policy.adkim) for domain in dkim_domains)
    spf_aligned = spf_domain is not None and _aligned(from_domain, spf_domain, policy.aspf)
    return DmarcVerdict("pass" if dkim_aligned or spf_aligned else "fail", str(applies.value))


def organisational_domain(domain: str) -> str | None:
    """The registrable domain under the public suffix list (RFC 7489 §3.2); ``None`` for a public suffix."""
    return _organisational(domain.lower().rstrip("."))


def _discover(from_domain: str) -> Policy | None:
    """The From domain's record, else its organisational domain's (RFC 7489 §6.6.3), parsed."""
    record = _record(from_domain)
    org_domain = None
    if record is None:
        org_domain = organisational_domain(from_domain)
        if org_domain is None or org_domain == from_domain:
            return None
        record = _record(org_domain)
        if record is None:
            return None
    try:
        return DMARC().parse_record(record, from_domain, org_domain)
    except RecordError as error:
        raise _DiscoveryError("permerror") from error


def _record(domain: str) -> str | None:
    try:
        answer = dns.resolver.resolve(f"_dmarc.{domain}", "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return None
    except dns.exception.DNSException as error:  # timeout, SERVFAIL, a refusing server: try again later
        raise _DiscoveryError("temperror") from error
    texts = [b"".join(rdata.strings).decode("utf-8", "replace") for rdata in answer]
    records = [text for text in texts if _DMARC_RECORD.match(text)]
    if len(records) > 1:  # the owner's intent is unknown: never a pass, and no policy to apply
        raise _DiscoveryError("permerror")
    return records[0] if records else None


def _aligned(from_domain: str, identifier: str, mode: DMARCAlignment) -> bool:
    identifier = identifier.lower().rstrip(".")
    if mode is DMARCAlignment.STRICT:
        return identifier == from_domain
    organisation = organisational_domain(from_domain)
    return organisation is not None and organisational_domain(identifier) == organisation


@lru_cache(maxsize=4096)
def _organisational(domain: str) -> str | None:
    suffix: str | None = _suffix_list().privatesuffix(domain)
    return suffix


@lru_cache(maxsize=1)
def _suffix_list() -> PublicSuffixList:
    return PublicSuffixList()  # the list the package ships, parsed once per process
