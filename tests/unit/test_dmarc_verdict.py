"""Koers' DMARC rules (messaging/dmarc_verdict.py) against a real DNS server (testkit.mail_dns).

Each test names the RFC 7489 rule it holds; each fails when that rule is wrong: alignment relaxed
against strict, ``sp`` only below the record's domain, the organisational-domain fallback, errors
as temperror/permerror and never a pass. The last tests run the whole ``check_sender`` with real
DKIM signatures for the two attacks the old evaluation (authheaders) let through or misjudged.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from email.message import EmailMessage

import dns.resolver
import pytest

from messaging.dmarc_verdict import DmarcVerdict, dmarc_verdict, organisational_domain
from messaging.smtp_checks import check_sender, use_nameservers
from testkit.mail_dns import DkimKey, MailDns

RECORDS = {
    "_dmarc.gm0080.example": ["v=DMARC1; p=reject"],  # relaxed alignment by default
    "_dmarc.strikt.example": ["v=DMARC1; p=reject; adkim=s; aspf=s"],
    "_dmarc.gm0363.example": ["v=DMARC1; p=reject; sp=quarantine"],
    "_dmarc.eigen.gm0363.example": ["v=DMARC1; p=none"],
    "_dmarc.twee.example": ["v=DMARC1; p=none", "v=DMARC1; p=reject"],
    "_dmarc.gemengd.example": ["google-site-verification=abc", "v=DMARC1; p=quarantine", "v=dmarc1; p=none"],
    "_dmarc.kapot.example": ["v=DMARC1; p=weigeren"],
    "_dmarc.zonder-p.example": ["v=DMARC1; sp=reject"],
    "_dmarc.alphen-chaam.example": ["v=DMARC1; p=reject"],
}


@pytest.fixture(scope="module")
def mail_dns() -> Iterator[MailDns]:
    server = MailDns(RECORDS).start()
    yield server
    server.stop()


@pytest.fixture
def resolver(mail_dns: MailDns) -> Iterator[MailDns]:
    use_nameservers([mail_dns.nameserver])
    yield mail_dns
    with contextlib.suppress(dns.resolver.NoResolverConfiguration):
        dns.resolver.reset_default_resolver()


def verdict(from_domain: str | None, spf: str | None = None, dkim: tuple[str, ...] = ()) -> DmarcVerdict:
    return dmarc_verdict(from_domain, spf_domain=spf, dkim_domains=dkim)


def test_relaxed_alignment_takes_any_domain_of_the_same_organisation(resolver: MailDns) -> None:
    assert verdict("gm0080.example", dkim=("mail.gm0080.example",)) == DmarcVerdict("pass", "reject")
    assert verdict("gm0080.example", spf="bounces.gm0080.example") == DmarcVerdict("pass", "reject")


def test_strict_alignment_takes_only_the_from_domain_itself(resolver: MailDns) -> None:
    assert verdict("strikt.example", dkim=("mail.strikt.example",), spf="bounces.strikt.example").result == "fail"
    assert verdict("strikt.example", dkim=("strikt.example",)).result == "pass"
    assert verdict("strikt.example", spf="strikt.example").result == "pass"


def test_another_organisation_never_aligns_even_under_the_same_unlisted_top_level_domain(resolver: MailDns) -> None:
    # "example" is not on the public suffix list: its default rule makes gm0080.example and
    # stranger.example two organisations (publicsuffix2, used before, called both "example").
    assert organisational_domain("mail.gm0080.example") == "gm0080.example"
    assert verdict("gm0080.example", dkim=("stranger.example",), spf="stranger.example") == DmarcVerdict(
        "fail", "reject"
    )


def test_a_public_suffix_is_no_organisation_to_align_with(resolver: MailDns) -> None:
    # A parent domain is not aligned by being a parent: "example" itself has no organisational domain.
    assert organisational_domain("example") is None
    assert verdict("gm0080.example", dkim=("example",), spf="example").result == "fail"


def test_sp_applies_to_a_subdomain_through_the_organisational_domains_record(resolver: MailDns) -> None:
    assert verdict("afdeling.gm0363.example") == DmarcVerdict("fail", "quarantine")
    assert verdict("gm0363.example") == DmarcVerdict("fail", "reject")  # the record's own domain: p, not sp


def test_discovery_falls_back_to_the_organisational_domain_only_without_a_record_of_its_own(
    resolver: MailDns,
) -> None:
    # No _dmarc.afdeling.gm0363.example: gm0363.example's record decides, and its domain aligns (relaxed).
    assert verdict("afdeling.gm0363.example", dkim=("gm0363.example",)) == DmarcVerdict("pass", "quarantine")
    assert verdict("eigen.gm0363.example") == DmarcVerdict("fail", "none")  # its own record wins
    queried = resolver.zone.queries
    assert "_dmarc.afdeling.gm0363.example" in queried and "_dmarc.gm0363.example" in queried


def test_no_record_at_either_level_is_none(resolver: MailDns) -> None:
    assert verdict("nergens.example", dkim=("nergens.example",)) == DmarcVerdict("none")
    assert verdict("sub.nergens.example", dkim=("nergens.example",)) == DmarcVerdict("none")


def test_two_dmarc_records_are_a_permerror_even_when_everything_aligns(resolver: MailDns) -> None:
    assert verdict("twee.example", dkim=("twee.example",), spf="twee.example") == DmarcVerdict("permerror")


def test_other_txt_records_beside_the_dmarc_record_are_not_counted(resolver: MailDns) -> None:
    # Not a second DMARC record either: "v=dmarc1" is no DMARC version (only the tag name ignores case).
    assert verdict("gemengd.example", dkim=("gemengd.example",)) == DmarcVerdict("pass", "quarantine")


def test_a_broken_record_is_a_permerror_never_a_pass(resolver: MailDns) -> None:
    assert verdict("kapot.example", dkim=("kapot.example",)) == DmarcVerdict("permerror")
    assert verdict("zonder-p.example", dkim=("zonder-p.example",)) == DmarcVerdict("permerror")


def test_no_single_from_domain_is_a_permerror(resolver: MailDns) -> None:
    assert verdict(None, dkim=("gm0080.example",), spf="gm0080.example") == DmarcVerdict("permerror")


def test_a_dns_timeout_is_a_temperror_never_a_pass() -> None:
    # A server that never answers: the resolver gives up after its lifetime.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        use_nameservers([f"127.0.0.1:{silent.getsockname()[1]}"], timeout=0.3)
        try:
            assert verdict("gm0080.example", dkim=("gm0080.example",)) == DmarcVerdict("temperror")
        finally:
            with contextlib.suppress(dns.resolver.NoResolverConfiguration):
                dns.resolver.reset_default_resolver()


def signed_reply(sender: str, key: DkimKey) -> bytes:
    message = EmailMessage()
    message["From"] = f"Medewerker <{sender}>"
    message["To"] = "x@antwoord.koers.example"
    message["Subject"] = "RE: [ZM-000001] Zelfmelder"
    message.set_content("Contact: ja\n")
    return key.sign(message.as_bytes())


def check(raw: bytes, mail_from: str) -> tuple[str, str, str | None, str]:
    result = check_sender(raw, ip="127.0.0.9", mail_from=mail_from, helo="mx.elders.example",
                          authserv_id="antwoord.koers.example")  # fmt: skip
    return result.dkim, result.dmarc, result.policy, result.header


def test_a_strangers_signature_does_not_pass_dmarc_for_a_municipal_from(resolver: MailDns) -> None:
    stranger = DkimKey("stranger.example")
    resolver.add(stranger.dns_name, stranger.record)
    dkim_result, dmarc_result, policy, header = check(signed_reply("anne@gm0080.example", stranger),
                                                      "iemand@stranger.example")  # fmt: skip
    assert (dkim_result, dmarc_result, policy) == ("pass", "fail", "reject")
    assert "header.from=gm0080.example" in header


def test_a_hyphenated_municipal_domain_is_judged_as_itself(resolver: MailDns) -> None:
    own = DkimKey("alphen-chaam.example")
    resolver.add(own.dns_name, own.record)
    dkim_result, dmarc_result, policy, header = check(signed_reply("anne@alphen-chaam.example", own),
                                                      "anne@alphen-chaam.example")  # fmt: skip
    assert (dkim_result, dmarc_result, policy) == ("pass", "pass", "reject")
    assert "dmarc=pass header.from=alphen-chaam.example" in header
