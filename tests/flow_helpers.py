"""Helpers for tests that run the whole flow: settings with second-scale timers, polling."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

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


def fast_settings(home: Path, database_url: str, **overrides: object) -> Settings:
    """Settings for a flow test: every municipality and province has an address, timers in seconds."""
    base = load_settings({"KOERS_HOME": str(home), "KOERS_DATABASE_URL": database_url,
                          "KOERS_SECRET_KEY": "test-secret-key-of-at-least-32-bytes!"})  # fmt: skip
    from schema.reference import iter_municipalities

    municipalities = {
        m.cbs_code: MunicipalityConfig(mailbox=f"zelfmelders@{m.cbs_code.lower()}.example",
                                       reply_from=(f"{m.cbs_code.lower()}.example",), team="Team Zelfmelders")
        for m in iter_municipalities()
    }  # fmt: skip
    provinces = {p: {"escalation": f"coordinator@zvh-{p[:3].lower()}.example"}
                 for p in ("Groningen", "Fryslân", "Drenthe")}  # fmt: skip
    timers = {k: parse_duration(v) for k, v in FAST_TIMERS.items()}
    return replace(base, municipalities=municipalities, provinces=provinces, timers=timers, sweep_interval=0.5,
                   relay_interval=0.2, reconcile_interval=2.0, **overrides)  # type: ignore[arg-type]


def wait_until(check: Callable[[], T], timeout: float = 30.0, interval: float = 0.2) -> T:
    """Poll ``check`` until it returns something truthy; fail with its last value at the deadline."""
    deadline = time.monotonic() + timeout
    value = check()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = check()
    assert value, f"condition not met within {timeout}s (last value: {value!r})"
    return value
