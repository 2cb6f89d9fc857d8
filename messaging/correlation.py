"""Tie an inbound reply to its case: by the signed token, with headers and subject only as agreeing fallbacks.

The rule (DESIGN.md, "Email"): a reply is tied to its case by the token; ``In-Reply-To`` / ``References``
and the subject's case reference are fallbacks only when they agree with each other.

Invariants:

- A valid token decides, unless the headers or the subject resolve to a *different* case: then nothing
  is tied and an operator looks (a forwarded thread or a mix-up must not record an outcome on the
  wrong case).
- Without a token both fallbacks must resolve, to the same single case; one alone is not enough,
  because a subject is easily edited and a thread is easily reused for another case.
- Pure: the lookups are passed in, so this module does no I/O and reads no clock. ``reason`` is Dutch
  for operators and holds only case references, never message text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from messaging.tokens import TokenClaim
from workflows.model import case_reference

Method = Literal["token", "headers"]

_MAX_REFERENCES = 100  # a References header longer than this is not one of our threads
_MAX_SUBJECT = 998
_REFERENCE = re.compile(r"(?<![a-z0-9])zm[ \t]*[-_:#]?[ \t]*([0-9]{1,12})(?![0-9])", re.IGNORECASE | re.ASCII)


@dataclass(frozen=True, slots=True)
class Correlation:
    """The case a reply belongs to, how that was decided, and why (Dutch, for operators).

    ``case_id`` and ``method`` are both set or both ``None``.
    """

    case_id: int | None
    method: Method | None
    reason: str


def subject_case_reference(subject: str | None) -> str | None:
    """The canonical case reference (``ZM-000042``) in a subject line, or ``None``.

    Tolerant of reply and forward prefixes (``RE:``, ``Antw:``, ``AW:``, ``Fwd:``), of missing brackets
    and of ``ZM 42`` / ``zm000042`` spellings. Two different references make the subject useless as
    evidence, so they yield ``None``.
    """
    if not isinstance(subject, str) or len(subject) > _MAX_SUBJECT:
        return None
    case_ids = {int(match[1]) for match in _REFERENCE.finditer(subject)}
    case_ids.discard(0)
    return case_reference(case_ids.pop()) if len(case_ids) == 1 else None


def correlate(
    *,
    token_claim: TokenClaim | None,
    in_reply_to_ids: Sequence[str],
    subject_reference: str | None,
    lookup_message_id: Callable[[str], int | None],
    lookup_reference: Callable[[str], int | None],
) -> Correlation:
    """Decide the case of a reply from its verified token, its thread headers and its subject reference.

    Args:
        token_claim: the verified token from the recipient headers, if any.
        in_reply_to_ids: message ids from ``In-Reply-To`` and ``References``; resolved as given (stripped).
        subject_reference: the output of ``subject_case_reference`` for the reply's subject.
        lookup_message_id: the case of a Message-ID Koers sent, or ``None``.
        lookup_reference: the case of a ``ZM-000042`` reference, or ``None``.
    """
    header_cases = _header_cases(in_reply_to_ids, lookup_message_id)
    subject_case = lookup_reference(subject_reference) if subject_reference else None
    if token_claim is not None:
        return _with_token(token_claim.case_id, header_cases, subject_case)
    return _without_token(header_cases, subject_reference, subject_case)


def _with_token(case_id: int, header_cases: set[int], subject_case: int | None) -> Correlation:
    evidence = header_cases if subject_case is None else header_cases | {subject_case}
    others = sorted(evidence - {case_id})
    if others:
        listed = ", ".join(case_reference(other) for other in others)
        return _uncorrelated(f"token wijst naar {case_reference(case_id)}, kopregels of onderwerp naar {listed}")
    return Correlation(case_id, "token", f"geldig token voor {case_reference(case_id)}")


def _without_token(header_cases: set[int], subject_reference: str | None, subject_case: int | None) -> Correlation:
    if not header_cases:
        return _uncorrelated("geen geldig token en In-Reply-To/References verwijzen niet naar een bekende zaak")
    if len(header_cases) > 1:
        return _uncorrelated("geen geldig token en In-Reply-To/References verwijzen naar meerdere zaken")
    (header_case,) = header_cases
    if subject_reference is None:
        return _uncorrelated("geen geldig token en geen zaakverwijzing in het onderwerp")
    if subject_case is None:
        return _uncorrelated(f"geen geldig token en onderwerp verwijst naar onbekende zaak {subject_reference}")
    if subject_case != header_case:
        return _uncorrelated(
            f"geen geldig token; kopregels wijzen naar {case_reference(header_case)}, "
            f"onderwerp naar {case_reference(subject_case)}"
        )
    return Correlation(
        header_case, "headers", f"kopregels en onderwerp wijzen beide naar {case_reference(header_case)}"
    )


def _header_cases(message_ids: Sequence[str], lookup: Callable[[str], int | None]) -> set[int]:
    """The distinct cases that the thread headers resolve to; unknown ids (other mail) are skipped."""
    cleaned = dict.fromkeys(mid.strip() for mid in message_ids if isinstance(mid, str) and mid.strip())
    cases = (lookup(mid) for mid in list(cleaned)[:_MAX_REFERENCES])
    return {case for case in cases if case is not None}


def _uncorrelated(reason: str) -> Correlation:
    return Correlation(None, None, reason)
