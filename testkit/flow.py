"""What a test or benchmark of the whole flow needs: addresses for every municipality, fast timers, polling.

``fast_settings`` builds ``Settings`` in the test's own process; ``write_config`` writes the same
addresses as a ``KOERS_CONFIG`` file for Koers processes the test or benchmark starts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from messaging.sender_auth import AuthMode
from workers.mail_settings import InboundConfig
from workers.settings import MunicipalityConfig, Settings, load_settings
from workflows.durations import parse_duration

T = TypeVar("T")

FAST_TIMERS = {
    "first_reminder": "PT3S",
    "second_reminder": "PT6S",
    "escalate_after": "PT9S",
    "escalate_before_report": "5 werkdagen",
    "partial_follow_up": "PT3S",
    "escalate_before_release": "10 werkdagen",
}
# The flow tests play the organisation's own mail relay: Koers trusts its Authentication-Results
# (trusted-relay mode); the gateway's limits are far above what a flow test sends from 127.0.0.1.
RELAY_ID = "relay.koers.test"
TEST_INBOUND = InboundConfig(authentication=AuthMode.TRUSTED_RELAY, authserv_id=RELAY_ID,
                             max_connections_per_ip=500, max_messages_per_minute=100_000)  # fmt: skip
COORDINATORS = {p: f"coordinator@zvh-{p[:3].lower()}.example" for p in ("Groningen", "Fryslân", "Drenthe")}
TEAM = "Team Zelfmelders"


def mailbox(cbs_code: str) -> str:
    return f"zelfmelders@{cbs_code.lower()}.example"


# A strong key for every test (Koers refuses weak ones): 32 random bytes, URL-safe base64.
TEST_SECRET_KEY = "3PCV4oq7WuelBYRaLQtTi3zZNRrm19IZB5wu9HFMrgE"  # noqa: S105 - a test key, never deployed


def reply_domain(cbs_code: str) -> str:
    """The one domain from which the municipality's staff reply."""
    return f"{cbs_code.lower()}.example"


def fast_settings(home: Path, database_url: str, **overrides: object) -> Settings:
    """Settings for a flow test: every municipality and province has an address, timers in seconds."""
    base = load_settings({"KOERS_HOME": str(home), "KOERS_DATABASE_URL": database_url,
                          "KOERS_SECRET_KEY": TEST_SECRET_KEY})  # fmt: skip
    from schema.reference import iter_municipalities

    municipalities = {
        m.cbs_code: MunicipalityConfig(mailbox=mailbox(m.cbs_code), reply_from=(reply_domain(m.cbs_code),), team=TEAM)
        for m in iter_municipalities()
    }
    provinces = {p: {"escalation": address} for p, address in COORDINATORS.items()}
    timers = {k: parse_duration(v) for k, v in FAST_TIMERS.items()}
    overrides.setdefault("inbound", TEST_INBOUND)
    return replace(base, municipalities=municipalities, provinces=provinces, timers=timers, sweep_interval=0.5,
                   relay_interval=0.2, reconcile_interval=2.0, **overrides)  # type: ignore[arg-type]


def relay_results(domain: str, dmarc: str = "pass") -> str:
    """The ``Authentication-Results`` value the test relay adds for mail from ``domain``."""
    return f"{RELAY_ID}; spf=pass smtp.mailfrom={domain}; dmarc={dmarc} header.from={domain}"


def relayed(raw: bytes, domain: str, dmarc: str = "pass") -> bytes:
    """``raw`` as the test relay hands it on: its ``Authentication-Results`` header on top."""
    return f"Authentication-Results: {relay_results(domain, dmarc)}\r\n".encode("ascii") + raw


def write_config(path: Path, *, scheduler: Mapping[str, str] | None = None, timers: Mapping[str, str] | None = None,
                 inbound_listen: str | None = None, inbound: Mapping[str, str] | None = None) -> Path:  # fmt: skip
    """A ``KOERS_CONFIG`` with the addresses of ``fast_settings``; ``[scheduler]`` and ``[timers]`` as given
    (ISO 8601 durations or working days), Koers' defaults otherwise. ``inbound`` replaces the test relay's
    ``[inbound]`` keys (values as TOML text, e.g. ``{"authentication": '"verify"'}``)."""
    from schema.reference import iter_municipalities

    lines = []
    for section, values in (("scheduler", scheduler), ("timers", timers)):
        if values:
            lines += [f"[{section}]", *(f'{key} = "{value}"' for key, value in values.items())]
    relay = {"authentication": '"trusted-relay"', "authserv_id": f'"{RELAY_ID}"',
             "max_connections_per_ip": str(TEST_INBOUND.max_connections_per_ip),
             "max_messages_per_minute": str(TEST_INBOUND.max_messages_per_minute)}  # fmt: skip
    lines += ["[inbound]", *(f"{key} = {value}" for key, value in (inbound if inbound is not None else relay).items())]
    if inbound_listen:
        lines += [f'listen = "{inbound_listen}"']
    for province, address in COORDINATORS.items():
        lines += [f'[provinces."{province}"]', f'escalation = "{address}"']
    for m in iter_municipalities():
        lines += [f"[municipalities.{m.cbs_code}]", f'mailbox = "{mailbox(m.cbs_code)}"',
                  f'reply_from = ["{reply_domain(m.cbs_code)}"]', f'team = "{TEAM}"']  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def wait_until(check: Callable[[], T], timeout: float = 30.0, interval: float = 0.2) -> T:
    """Poll ``check`` until it returns something truthy; fail with its last value at the deadline."""
    deadline = time.monotonic() + timeout
    value = check()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = check()
    assert value, f"condition not met within {timeout}s (last value: {value!r})"
    return value
