"""The signed reply token in the Reply-To address of a case notification."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from messaging.tokens import MAX_LOCAL_PART, TokenClaim, find_token, make_token, parse_token, reply_address

SECRET = b"s" * 32
OLD_SECRET = b"o" * 32
DOMAIN = "antwoord.koers.example"


def test_round_trip_through_the_reply_address() -> None:
    address = reply_address(SECRET, 42, "GM0080", DOMAIN)

    assert parse_token(address, SECRET, domain=DOMAIN) == TokenClaim(case_id=42, cbs_code="GM0080")


def test_token_has_the_documented_shape_and_no_personal_data() -> None:
    token = make_token(SECRET, 42, "GM0080")

    prefix, cbs, mac = token.split("-")
    assert (prefix, cbs) == ("zm42", "gm0080")
    assert len(mac) == 26  # 130 bits of MAC
    assert token == token.lower()


def test_token_is_deterministic() -> None:
    assert make_token(SECRET, 7, "gm0014") == make_token(SECRET, 7, "GM0014")


def test_reply_address_with_a_local_part() -> None:
    address = reply_address(SECRET, 42, "GM0080", DOMAIN, local_part="zelfmelders")

    assert address.startswith("zelfmelders+zm42-gm0080-")
    assert address.endswith(f"@{DOMAIN}")
    assert parse_token(address, SECRET, domain=DOMAIN) == TokenClaim(42, "GM0080")


def test_a_token_for_another_case_or_municipality_does_not_verify_as_this_one() -> None:
    mac = make_token(SECRET, 42, "GM0080").rsplit("-", 1)[1]

    assert parse_token(f"zm43-gm0080-{mac}", SECRET) is None
    assert parse_token(f"zm42-gm0014-{mac}", SECRET) is None
    assert parse_token(make_token(SECRET, 43, "GM0080"), SECRET) == TokenClaim(43, "GM0080")


def test_every_single_character_tamper_fails() -> None:
    token = make_token(SECRET, 123456, "GM0080")
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-+."

    for position, original in enumerate(token):
        for replacement in alphabet:
            if replacement == original:
                continue
            tampered = token[:position] + replacement + token[position + 1 :]
            assert parse_token(tampered, SECRET) is None, (position, replacement)


def test_dropping_or_adding_a_character_fails() -> None:
    token = make_token(SECRET, 42, "GM0080")

    assert parse_token(token[:-1], SECRET) is None
    assert parse_token(token + "a", SECRET) is None
    assert parse_token("zm042" + token[4:], SECRET) is None


@pytest.mark.parametrize("transform", [str.lower, str.upper, str.title, str.swapcase])
def test_tokens_verify_in_any_case(transform: Callable[[str], str]) -> None:
    address = reply_address(SECRET, 42, "GM0080", DOMAIN)

    assert parse_token(transform(address), SECRET, domain=DOMAIN) == TokenClaim(42, "GM0080")


@pytest.mark.parametrize(
    "wrap",
    [
        "<{a}>",
        "Koers <{a}>",
        '"Zelfmelders, Koers" <{a}>',
        "  {a}  ",
        "mailto:{a}",
        "'{a}'",
    ],
)
def test_surrounding_brackets_and_display_names_are_tolerated(wrap: str) -> None:
    address = reply_address(SECRET, 42, "GM0080", DOMAIN)

    assert parse_token(wrap.format(a=address), SECRET, domain=DOMAIN) == TokenClaim(42, "GM0080")


def test_a_bare_local_part_verifies() -> None:
    assert parse_token(make_token(SECRET, 42, "GM0080"), SECRET, domain=DOMAIN) == TokenClaim(42, "GM0080")


def test_another_domain_is_refused_when_a_domain_is_given() -> None:
    address = reply_address(SECRET, 42, "GM0080", "elders.example")

    assert parse_token(address, SECRET, domain=DOMAIN) is None
    assert parse_token(address, SECRET) == TokenClaim(42, "GM0080")


def test_the_wrong_secret_fails() -> None:
    assert parse_token(make_token(SECRET, 42, "GM0080"), b"x" * 32) is None


def test_rotated_keys_verify_old_tokens_and_sign_with_the_first() -> None:
    old_token = make_token(OLD_SECRET, 42, "GM0080")

    assert parse_token(old_token, [SECRET, OLD_SECRET]) == TokenClaim(42, "GM0080")
    assert parse_token(old_token, [SECRET]) is None
    assert find_token([f"{old_token}@{DOMAIN}"], [SECRET, OLD_SECRET], DOMAIN) == TokenClaim(42, "GM0080")


@pytest.mark.parametrize("secret", [b"", b"short", b"x" * 15])
def test_a_short_secret_is_refused_without_revealing_it(secret: bytes) -> None:
    with pytest.raises(ValueError) as error:
        make_token(secret, 1, "GM0080")
    assert "short" not in str(error.value) and "xxxx" not in str(error.value)
    with pytest.raises(ValueError):
        parse_token("zm1-gm0080-" + "a" * 26, [SECRET, secret])


def test_no_secrets_at_all_is_refused() -> None:
    with pytest.raises(ValueError):
        parse_token("anything", [])


@pytest.mark.parametrize(
    ("case_id", "cbs"), [(0, "GM0080"), (-1, "GM0080"), (10**18, "GM0080"), (1, "0080"), (1, "GM80")]
)
def test_invalid_case_ids_and_cbs_codes_are_refused(case_id: int, cbs: str) -> None:
    with pytest.raises(ValueError):
        make_token(SECRET, case_id, cbs)


def test_the_local_part_stays_within_64_characters() -> None:
    largest = reply_address(SECRET, 10**18 - 1, "GM1999", DOMAIN)

    assert len(largest.split("@")[0]) <= MAX_LOCAL_PART
    assert len(reply_address(SECRET, 42, "GM0080", DOMAIN, local_part="a" * 20).split("@")[0]) <= MAX_LOCAL_PART
    with pytest.raises(ValueError):
        reply_address(SECRET, 42, "GM0080", DOMAIN, local_part="a" * 40)


@pytest.mark.parametrize("local_part", ["", "a+b", "has space", "é"])
def test_an_unusable_local_part_is_refused(local_part: str) -> None:
    with pytest.raises(ValueError):
        reply_address(SECRET, 42, "GM0080", DOMAIN, local_part=local_part)


def test_find_token_looks_through_all_recipient_headers() -> None:
    address = reply_address(SECRET, 42, "GM0080", DOMAIN)
    headers = ["Team Zorg <zorg@leeuwarden.example>", f"anne@leeuwarden.example, Koers <{address}>", address]

    assert find_token(headers, SECRET, DOMAIN) == TokenClaim(42, "GM0080")


def test_find_token_with_two_different_valid_tokens_is_ambiguous() -> None:
    first = reply_address(SECRET, 42, "GM0080", DOMAIN)
    second = reply_address(SECRET, 43, "GM0080", DOMAIN)

    assert find_token([first, second], SECRET, DOMAIN) is None
    assert find_token([f"{first}, {second}"], SECRET, DOMAIN) is None


def test_find_token_ignores_invalid_tokens_beside_a_valid_one() -> None:
    valid = reply_address(SECRET, 42, "GM0080", DOMAIN)
    forged = reply_address(b"f" * 32, 43, "GM0080", DOMAIN)

    assert find_token([forged, valid], SECRET, DOMAIN) == TokenClaim(42, "GM0080")
    assert find_token([forged, "nobody@example"], SECRET, DOMAIN) is None
    assert find_token([], SECRET, DOMAIN) is None


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=200))
def test_garbage_never_raises(garbage: str) -> None:
    assert parse_token(garbage, SECRET) is None
    assert parse_token(garbage, SECRET, domain=DOMAIN) is None
    assert find_token([garbage, garbage], SECRET, DOMAIN) is None


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=10**18 - 1), st.integers(min_value=0, max_value=9999))
def test_round_trip_for_any_case_and_municipality(case_id: int, number: int) -> None:
    cbs = f"GM{number:04d}"

    address = reply_address(SECRET, case_id, cbs, DOMAIN, local_part="zm")

    assert len(address.split("@")[0]) <= MAX_LOCAL_PART
    assert parse_token(address.upper(), SECRET, domain=DOMAIN) == TokenClaim(case_id, cbs)
