"""Scenario sizes: the reduced run (pytest, ``./run test``, ``.ci/run``) and the full run (``python -m tests.faults``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.faults import mail_scenarios as m
from tests.faults import scenarios as s

Plan = dict[str, tuple[Callable[..., Any], dict[str, Any]]]

REDUCED: Plan = {
    "worker_kills": (s.worker_kills, {"cases": 250, "kills": 3, "crashes": 2}),
    "rabbitmq_restart": (s.rabbitmq_restart, {"cases": 200}),
    "postgres_outage": (s.postgres_outage, {"cases": 200, "outage_s": 15}),
    "smtp_faults": (s.smtp_faults, {"cases": 200}),
    "two_schedulers": (s.two_schedulers, {"cases": 150}),
    "gateway_kill": (m.gateway_kill, {"cases": 120, "kills": 2}),
    "fuzz_and_hostile": (m.fuzz_and_hostile, {"records": 1000}),
    "privacy_canaries": (m.privacy_canaries, {"cases": 120}),
}

FULL: Plan = {
    "worker_kills": (s.worker_kills, {"cases": 2000, "kills": 12, "crashes": 5, "workers": 3}),
    "rabbitmq_restart": (s.rabbitmq_restart, {"cases": 1000}),
    "postgres_outage": (s.postgres_outage, {"cases": 1000, "outage_s": 30}),
    "smtp_faults": (s.smtp_faults, {"cases": 1000}),
    "two_schedulers": (s.two_schedulers, {"cases": 600, "workers": 4}),
    "gateway_kill": (m.gateway_kill, {"cases": 500, "kills": 5}),
    "fuzz_and_hostile": (m.fuzz_and_hostile, {"records": 1000}),
    "privacy_canaries": (m.privacy_canaries, {"cases": 300}),
    "privacy_canaries_verbose": (m.privacy_canaries, {"cases": 100, "verbose": True}),
    "gateway_redelivery": (m.gateway_redelivery, {"cases": 30}),
    "smtp_late_accept": (s.smtp_late_accept, {"cases": 20}),
}

KNOWN_DEFECTS: tuple[str, ...] = ()
