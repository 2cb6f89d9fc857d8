"""Is the sender of a reply who the ``From:`` header says? The one decision, for any stored message.

An outcome may only be recorded from a reply whose ``From:`` domain belongs to the case's
municipality **and** passes DMARC (aligned SPF or DKIM). Who checked SPF, DKIM and DMARC depends on
the mode (``[inbound] authentication``):

- ``verify``: Koers is the MX. The gateway checked them itself at SMTP time (``messaging.smtp_checks``)
  and stored its ``Authentication-Results`` value beside the raw message; only that stored value
  counts. Every ``Authentication-Results`` header in the message itself was written by someone else
  and is ignored. A message without a stored result (an imported file) cannot be trusted.
- ``trusted-relay``: Koers sits behind the organisation's MTA or mailbox provider, which checks and
  prepends ``Authentication-Results: <authserv-id>; ...``. Only the topmost header carrying the
  configured authserv-id counts (RFC 8601 §5: the relay's own header is above anything the sender
  wrote); every other ``Authentication-Results`` header, with another id or further down, is ignored.

Invariants:

- Pure: no I/O, no clock; the results are parsed with ``authres``.
- Fails closed: a missing, unparsable or ambiguous result is "not authenticated", never "pass".
- The DMARC result must name the ``From:`` domain (``header.from``): a result about another domain
  (a second ``From:``, a relay that evaluated something else) does not vouch for this sender.
- ``reason`` is short Dutch for operators; it names no address or content, only the outcome of checks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import authres
from authres.core import AuthResError

from messaging.inbound import parse_message

__all__ = ["AuthMode", "AuthVerdict", "TrustPolicy", "authenticate", "authenticate_stored", "trusted_results"]

_MAX_HEADER = 8_000
_AUTHSERV_ID = re.compile(r"^\s*(?:\([^()]*\)\s*)*([^\s;()]+)")


class AuthMode(StrEnum):
    """Who checks SPF, DKIM and DMARC: Koers' gateway itself, or a relay in front of it."""

    VERIFY = "verify"
    TRUSTED_RELAY = "trusted-relay"


@dataclass(frozen=True)
class TrustPolicy:
    """The configured mode and the authserv-id whose results count (Koers' own in ``verify`` mode)."""

    mode: AuthMode
    authserv_id: str


@dataclass(frozen=True)
class AuthVerdict:
    """The decision on one sender; ``results`` holds method → result of the results that counted."""

    passed: bool
    reason: str
    from_domain: str | None = None
    results: dict[str, str] = field(default_factory=dict)

    def details(self) -> dict[str, object]:
        """What is stored with the message for operators: the outcome of each check, no addresses."""
        return {"passed": self.passed, "results": dict(self.results)}


def authenticate(*, policy: TrustPolicy, from_address: str | None, header_results: Sequence[str],
                 smtp_results: str | None, reply_from: Sequence[str]) -> AuthVerdict:  # fmt: skip
    """Decide whether a message's sender may answer for a municipality whose staff write from ``reply_from``.

    Args:
        policy: the configured mode and authserv-id.
        from_address: the single ``From:`` mailbox, lower case (``None`` when there is not exactly one).
        header_results: the values of the message's ``Authentication-Results`` headers, topmost first.
        smtp_results: the ``Authentication-Results`` value the gateway stored at SMTP time (``verify``).
        reply_from: the municipality's domains or full addresses (lower case).
    """
    if not from_address or "@" not in from_address:
        return AuthVerdict(False, "geen bruikbare afzender")
    domain = from_address.rpartition("@")[2].rstrip(".")
    if not any(from_address == allowed or domain == allowed for allowed in reply_from):
        return AuthVerdict(False, "de afzender hoort niet bij de gemeente van deze zaak", domain)
    results = trusted_results(policy, header_results, smtp_results)
    if results is None:
        source = "de gateway" if policy.mode is AuthMode.VERIFY else f"de relay ({policy.authserv_id})"
        return AuthVerdict(False, f"afzender niet gecontroleerd: geen authenticatieresultaat van {source}", domain)
    return _judge_dmarc(results, domain)


def authenticate_stored(raw: bytes, *, policy: TrustPolicy, smtp_results: str | None,
                        reply_from: Sequence[str]) -> AuthVerdict:  # fmt: skip
    """``authenticate`` for a stored raw message (gateway, import or mailbox) and its stored SMTP-time results.

    Raises ``messaging.inbound.MessageTooLargeError`` above the stored size limit, as ``parse_message`` does.
    """
    message = parse_message(raw)
    return authenticate(policy=policy, from_address=message.from_address, smtp_results=smtp_results,
                        header_results=message.authentication_results, reply_from=reply_from)  # fmt: skip


def trusted_results(policy: TrustPolicy, header_results: Sequence[str],
                    smtp_results: str | None) -> list[tuple[str, str, dict[str, str]]] | None:  # fmt: skip
    """The (method, result, properties) that count under ``policy``, or ``None`` when none count."""
    is_own = policy.mode is AuthMode.VERIFY
    candidates = ([smtp_results] if smtp_results else []) if is_own else list(header_results)
    wanted = policy.authserv_id.strip().lower()
    for value in candidates:
        if _leading_id(value) != wanted:
            continue
        # The topmost header with our id is the relay's; anything below it is not. If that one
        # cannot be read, nothing counts: a lower one may well be the sender's forgery.
        parsed = _parse(value)
        return parsed[1] if parsed is not None and parsed[0] == wanted else None
    return None


def _judge_dmarc(results: list[tuple[str, str, dict[str, str]]], domain: str) -> AuthVerdict:
    summary = {method: result for method, result, _ in reversed(results)}  # the first of each method wins
    dmarc = [(result, props) for method, result, props in results if method == "dmarc"]
    if not dmarc:
        return AuthVerdict(False, "geen DMARC-resultaat voor het afzenderdomein", domain, summary)
    result, props = dmarc[0]
    if result != "pass":
        return AuthVerdict(False, f"DMARC {result or 'onbekend'} voor het afzenderdomein", domain, summary)
    if props.get("header.from", "").rstrip(".") != domain:
        return AuthVerdict(False, "het DMARC-resultaat gaat over een ander domein dan de afzender", domain, summary)
    return AuthVerdict(True, "afzender geverifieerd (DMARC pass)", domain, summary)


def _leading_id(value: str) -> str | None:
    """The authserv-id a header starts with (comments skipped), without parsing the rest."""
    match = _AUTHSERV_ID.match(value[:_MAX_HEADER]) if isinstance(value, str) else None
    return match[1].lower() if match else None


def _parse(value: str) -> tuple[str, list[tuple[str, str, dict[str, str]]]] | None:
    """authserv-id and results of one ``Authentication-Results`` value; ``None`` if it cannot be read."""
    if not isinstance(value, str) or len(value) > _MAX_HEADER:
        return None
    unfolded = " ".join(value.replace("\x00", " ").split())
    try:
        header = authres.AuthenticationResultsHeader.parse_value(unfolded)
    except (AuthResError, ValueError, IndexError, AttributeError, TypeError):
        return None  # a header no parser can read vouches for nothing
    results = []
    for item in header.results:
        props = {f"{p.type}.{p.name}".lower(): str(p.value or "").lower() for p in item.properties}
        results.append((str(item.method or "").lower(), str(item.result or "").lower(), props))
    return str(header.authserv_id or "").lower(), results
