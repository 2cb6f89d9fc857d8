"""Tying a reply to its case: the token decides, headers and subject only as agreeing fallbacks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from messaging.correlation import Correlation, correlate, subject_case_reference
from messaging.tokens import TokenClaim

SENT = {"<n-42@koers.example>": 42, "<r-42@koers.example>": 42, "<n-7@koers.example>": 7}
REFERENCES = {"ZM-000042": 42, "ZM-000007": 7}


def run(token: TokenClaim | None = None, ids: tuple[str, ...] = (), subject: str | None = None) -> Correlation:
    return correlate(
        token_claim=token,
        in_reply_to_ids=ids,
        subject_reference=subject_case_reference(subject),
        lookup_message_id=SENT.get,
        lookup_reference=REFERENCES.get,
    )


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Zelfmelder [ZM-000042]: melding", "ZM-000042"),
        ("RE: Zelfmelder [ZM-000042]", "ZM-000042"),
        ("Antw: [ZM-000042] melding", "ZM-000042"),
        ("AW: AW: ZM-000042", "ZM-000042"),
        ("Fwd: re: zm-000042", "ZM-000042"),
        ("Re: ZM 000042 herinnering", "ZM-000042"),
        ("ZM000042", "ZM-000042"),
        ("Zaak ZM-42", "ZM-000042"),
        ("[ZM-000042] en nogmaals [ZM-000042]", "ZM-000042"),
        ("[ZM-000042] en [ZM-000007]", None),
        ("Geen verwijzing", None),
        ("XZM-000042", None),
        ("ZM-000000", None),
        ("", None),
        (None, None),
    ],
)
def test_subject_case_reference(subject: str | None, expected: str | None) -> None:
    assert subject_case_reference(subject) == expected


def test_a_valid_token_decides_on_its_own() -> None:
    result = run(TokenClaim(42, "GM0080"))

    assert (result.case_id, result.method) == (42, "token")


def test_a_valid_token_with_agreeing_headers_and_subject() -> None:
    result = run(TokenClaim(42, "GM0080"), ("<n-42@koers.example>",), "RE: [ZM-000042]")

    assert (result.case_id, result.method) == (42, "token")


def test_unknown_headers_do_not_disturb_a_valid_token() -> None:
    result = run(TokenClaim(42, "GM0080"), ("<other@gemeente.example>",), "RE: [ZM-999999]")

    assert (result.case_id, result.method) == (42, "token")


@pytest.mark.parametrize(
    ("ids", "subject"),
    [
        (("<n-7@koers.example>",), None),
        ((), "RE: [ZM-000007]"),
        (("<n-42@koers.example>", "<n-7@koers.example>"), "RE: [ZM-000042]"),
    ],
)
def test_a_token_contradicted_by_headers_or_subject_is_a_conflict(ids: tuple[str, ...], subject: str | None) -> None:
    result = run(TokenClaim(42, "GM0080"), ids, subject)

    assert (result.case_id, result.method) == (None, None)
    assert "ZM-000042" in result.reason and "ZM-000007" in result.reason


def test_without_token_agreeing_headers_and_subject_tie_the_reply() -> None:
    result = run(None, ("<n-42@koers.example>", "<r-42@koers.example>"), "Antw: [ZM-000042]")

    assert (result.case_id, result.method) == (42, "headers")


def test_message_ids_are_stripped_before_lookup() -> None:
    result = run(None, ("  <n-42@koers.example>\n",), "RE: ZM-000042")

    assert result.case_id == 42


@pytest.mark.parametrize(
    ("ids", "subject", "reason_part"),
    [
        (("<n-42@koers.example>",), None, "geen zaakverwijzing in het onderwerp"),
        (("<n-42@koers.example>",), "RE: [ZM-000099]", "onbekende zaak ZM-000099"),
        (("<n-42@koers.example>",), "RE: [ZM-000007]", "onderwerp naar ZM-000007"),
        ((), "RE: [ZM-000042]", "niet naar een bekende zaak"),
        (("<unknown@example>",), "RE: [ZM-000042]", "niet naar een bekende zaak"),
        (("<n-42@koers.example>", "<n-7@koers.example>"), "RE: [ZM-000042]", "meerdere zaken"),
    ],
)
def test_without_token_fallbacks_that_do_not_agree_tie_nothing(
    ids: tuple[str, ...], subject: str | None, reason_part: str
) -> None:
    result = run(None, ids, subject)

    assert (result.case_id, result.method) == (None, None)
    assert reason_part in result.reason


def test_lookups_are_not_called_for_empty_ids() -> None:
    seen: list[str] = []

    def lookup(message_id: str) -> int | None:
        seen.append(message_id)
        return None

    correlate(
        token_claim=None,
        in_reply_to_ids=["", "  ", "<a@b>", "<a@b>"],
        subject_reference=None,
        lookup_message_id=lookup,
        lookup_reference=REFERENCES.get,
    )

    assert seen == ["<a@b>"]


@given(st.text(max_size=300))
def test_subject_parsing_never_raises(subject: str) -> None:
    reference = subject_case_reference(subject)

    assert reference is None or (reference.startswith("ZM-") and reference[3:].isdigit())
