"""Which Authentication-Results count, and when a sender may answer for a municipality (messaging.sender_auth)."""

from __future__ import annotations

import pytest

from messaging.sender_auth import AuthMode, TrustPolicy, authenticate, authenticate_stored
from messaging.verp import bounce_address, find_bounce_claim, parse_bounce_address

RELAY = TrustPolicy(AuthMode.TRUSTED_RELAY, "mx.leeuwarden.nl")
VERIFY = TrustPolicy(AuthMode.VERIFY, "antwoord.koers.example")
SENDER = "anne@leeuwarden.example"
DOMAINS = ("leeuwarden.example",)
PASS = "mx.leeuwarden.nl; spf=pass smtp.mailfrom=leeuwarden.example; dmarc=pass header.from=leeuwarden.example"
FAIL = "mx.leeuwarden.nl; spf=fail smtp.mailfrom=evil.example; dkim=none; dmarc=fail header.from=leeuwarden.example"
KEY = b"test-secret-key-of-at-least-32-bytes!"


def relay(*headers: str, sender: str | None = SENDER, allowed: tuple[str, ...] = DOMAINS) -> bool:
    verdict = authenticate(policy=RELAY, from_address=sender, header_results=headers, smtp_results=None,
                           reply_from=allowed)  # fmt: skip
    assert verdict.reason
    return verdict.passed


def test_the_relays_header_with_dmarc_pass_for_the_from_domain_counts() -> None:
    assert relay(PASS)


def test_only_the_configured_authserv_id_counts() -> None:
    other = PASS.replace("mx.leeuwarden.nl", "mx.evil.example")
    assert not relay(other)  # a pass from anyone else is the sender's own word
    assert relay(other, PASS) and relay(PASS, other)


def test_the_authserv_id_is_compared_case_insensitively_and_comments_are_skipped() -> None:
    assert relay(PASS.replace("mx.leeuwarden.nl", "(relay) MX.Leeuwarden.NL"))


def test_a_forged_pass_below_the_relays_header_is_ignored() -> None:
    # The relay prepends its header; whatever the sender wrote is further down.
    assert not relay(FAIL, PASS)


def test_a_forged_header_of_another_id_above_the_relays_header_is_ignored() -> None:
    forged = PASS.replace("mx.leeuwarden.nl", "mx.evil.example")
    assert not relay(forged, FAIL)
    assert relay(forged.replace("pass", "fail"), PASS)


def test_an_unreadable_relay_header_fails_closed_even_with_a_readable_one_below() -> None:
    assert not relay("mx.leeuwarden.nl; dmarc=pass header.from=(", PASS)
    assert not relay("mx.leeuwarden.nl; ===; ;;", PASS)


@pytest.mark.parametrize("dmarc", ["fail", "none", "temperror", "permerror", "softfail"])
def test_anything_but_a_dmarc_pass_is_not_authenticated(dmarc: str) -> None:
    assert not relay(PASS.replace("dmarc=pass", f"dmarc={dmarc}"))


def test_spf_or_dkim_alone_without_a_dmarc_result_is_not_enough() -> None:
    assert not relay("mx.leeuwarden.nl; spf=pass smtp.mailfrom=leeuwarden.example; "
                     "dkim=pass header.d=leeuwarden.example")


def test_a_dmarc_pass_for_another_domain_does_not_vouch_for_this_sender() -> None:
    assert not relay(PASS.replace("header.from=leeuwarden.example", "header.from=evil.example"))
    assert not relay("mx.leeuwarden.nl; dmarc=pass")


def test_a_sender_of_another_municipality_fails_even_with_dmarc_pass() -> None:
    neighbour = PASS.replace("leeuwarden.example", "sudwest-fryslan.example")
    assert not relay(neighbour, sender="piet@sudwest-fryslan.example")


def test_reply_from_may_name_a_full_address() -> None:
    assert relay(PASS, allowed=("anne@leeuwarden.example",))
    assert not relay(PASS, sender="bob@leeuwarden.example", allowed=("anne@leeuwarden.example",))


def test_no_usable_from_address_is_not_authenticated() -> None:
    assert not relay(PASS, sender=None)
    assert not relay(PASS, sender="leeuwarden.example")


def test_in_verify_mode_only_the_gateways_stored_result_counts() -> None:
    own = PASS.replace("mx.leeuwarden.nl", "antwoord.koers.example")
    verdict = authenticate(policy=VERIFY, from_address=SENDER, header_results=[own], smtp_results=None,
                           reply_from=DOMAINS)  # fmt: skip
    assert not verdict.passed  # a header in the message carrying Koers' own id was written by the sender
    verdict = authenticate(policy=VERIFY, from_address=SENDER, header_results=[], smtp_results=own, reply_from=DOMAINS)
    assert verdict.passed and verdict.results["dmarc"] == "pass"
    failed = FAIL.replace("mx.leeuwarden.nl", "antwoord.koers.example")
    verdict = authenticate(policy=VERIFY, from_address=SENDER, header_results=[own], smtp_results=failed,
                           reply_from=DOMAINS)  # fmt: skip
    assert not verdict.passed and "DMARC fail" in verdict.reason


def test_a_stored_raw_message_is_judged_by_the_same_rules() -> None:
    raw = (f"Authentication-Results: {FAIL}\r\nAuthentication-Results: {PASS}\r\nFrom: Anne <{SENDER}>\r\n"
           "Subject: Re: zaak\r\n\r\nContact: ja\r\n").encode()  # fmt: skip
    assert not authenticate_stored(raw, policy=RELAY, smtp_results=None, reply_from=DOMAINS).passed
    relayed = f"Authentication-Results: {PASS}\r\n".encode() + raw
    assert authenticate_stored(relayed, policy=RELAY, smtp_results=None, reply_from=DOMAINS).passed


def test_verp_addresses_name_one_email_and_cannot_be_forged() -> None:
    address = bounce_address(KEY, 42, "Antwoord.Koers.Example")
    assert address.startswith("bounce+42-") and len(address.split("@")[0]) <= 64
    assert parse_bounce_address(address.upper(), [KEY], "antwoord.koers.example") == 42
    rotation = [b"old-key-of-at-least-32-bytes-long!", KEY]
    assert parse_bounce_address(f"<{address}>", rotation, "antwoord.koers.example") == 42
    forged = address.replace("bounce+42-", "bounce+43-")
    assert parse_bounce_address(forged, [KEY], "antwoord.koers.example") is None
    assert parse_bounce_address(address, [b"another-key-of-at-least-32-bytes!!"], "antwoord.koers.example") is None
    assert parse_bounce_address(address, [KEY], "elders.example") is None
    assert parse_bounce_address("zelfmelders@koers.example", [KEY], "koers.example") is None
    other = bounce_address(KEY, 7, "antwoord.koers.example")
    assert find_bounce_claim([address, "x@y.example"], [KEY], "antwoord.koers.example") == 42
    assert find_bounce_claim([address, other], [KEY], "antwoord.koers.example") is None  # two emails: ambiguous
