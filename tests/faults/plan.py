"""Scenario sizes, and the Koers defects the scenarios exposed.

``REDUCED`` is the pytest run (``./run test``, ``.ci/run``): every scenario, smaller. ``FULL`` is
``python -m tests.faults``: full sizes, plus the runs that first exposed a defect (marked ``[Dn]``),
kept as regression probes. D1-D6 were fixed in 75a910a; ``test_faults.py`` has a focused
regression test for each (D4's needs SmtpMailer's 30 s time-out, so only the full run has it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.faults import hostile_sender as hostile
from tests.faults import mail_scenarios as m
from tests.faults import scenarios as s

Plan = dict[str, tuple[Callable[..., Any], dict[str, Any]]]


@dataclass(frozen=True)
class KnownDefect:
    key: str
    summary: str


D1 = KnownDefect("D1", "a NUL byte in a received mail's From or Message-ID: ReplyProcessor.process writes it to "
                       "PostgreSQL (DataError); `koers replies import` crashes, the worker retries until it "
                       "dead-letters, the message stays 'received'")  # fmt: skip
D2 = KnownDefect("D2", "intake reasons quote raw values (report_date, sentence_days, institution): a name in a "
                       "shifted column reaches `koers intake` output and intake_records.reasons")  # fmt: skip
D3 = KnownDefect("D3", "a reply delivered twice (an MTA resending after the gateway died before its 250) is read "
                       "twice: the outcome is recorded again and a second confirmation goes out")  # fmt: skip
D4 = KnownDefect("D4", "a time-out after DATA (server stored the mail, reply came late) is treated as transient: "
                       "the email is sent again, a duplicate at the recipient")  # fmt: skip
D5 = KnownDefect("D5", "the reconciler re-enqueues start_workflow for every unstarted case on every run (no bump, "
                       "unlike emails and timers): a backlog longer than the window multiplies messages")  # fmt: skip
D6 = KnownDefect("D6", "`koers mail-gateway -v` logs every DATA line (aiosmtpd's mail.log at DEBUG): reply notes "
                       "and names reach the log")  # fmt: skip
DEFECTS_FOUND = (D1, D2, D3, D4, D5, D6)
# The hostile files that tripped D1 (NUL in From or Message-ID).
D1_FILES = ("100_nul_in_from.eml", "102_nul_in_message_id.eml", "111_nul_random_0.eml", "113_nul_random_2.eml",
            "122_dsn_unknown_id_8.eml")  # fmt: skip

FAST_TIMERS = {
    "first_reminder": "PT2S",
    "second_reminder": "PT4S",
    "escalate_after": "PT6S",
    "partial_follow_up": "PT2S",
}

REDUCED: Plan = {
    "worker_kills": (s.worker_kills, {"cases": 250, "kills": 3, "crashes": 2}),
    "rabbitmq_restart": (s.rabbitmq_restart, {"cases": 200}),
    "postgres_outage": (s.postgres_outage, {"cases": 200, "outage_s": 10}),
    "smtp_faults": (s.smtp_faults, {"cases": 200, "hang_s": 6}),
    "two_schedulers": (s.two_schedulers, {"cases": 150, "timers": FAST_TIMERS}),
    "gateway_kill": (m.gateway_kill, {"cases": 100, "kills": 2}),
    "fuzz_and_hostile": (m.fuzz_and_hostile, {"records": 1000}),
    "privacy_canaries": (m.privacy_canaries, {"cases": 120}),
    "hostile_sender": (hostile.hostile_sender, {"cases": 20, "messages": 70, "clients": 14, "oversized": 1}),
}

FULL: Plan = {
    "worker_kills": (s.worker_kills, {"cases": 2000, "kills": 12, "crashes": 5, "workers": 3}),
    "worker_kills_short_windows [D5]": (
        s.worker_kills,
        {"cases": 2000, "kills": 12, "crashes": 5, "windows": s.SHORT_WINDOWS},
    ),
    "rabbitmq_restart": (s.rabbitmq_restart, {"cases": 1000}),
    "postgres_outage": (s.postgres_outage, {"cases": 1000, "outage_s": 30}),
    "smtp_faults": (s.smtp_faults, {"cases": 1000}),
    "smtp_late_accept [D4]": (s.smtp_late_accept, {"cases": 20}),
    "two_schedulers": (s.two_schedulers, {"cases": 600, "workers": 4}),
    "gateway_kill": (m.gateway_kill, {"cases": 500, "kills": 5}),
    "gateway_redelivery [D3]": (m.gateway_redelivery, {"cases": 30}),
    "fuzz_and_hostile [D1]": (m.fuzz_and_hostile, {"records": 1000}),
    "privacy_canaries [D2]": (m.privacy_canaries, {"cases": 300}),
    "privacy_canaries_verbose [D6]": (m.privacy_canaries, {"cases": 100, "verbose": True, "misplaced": False}),
    "hostile_sender": (hostile.hostile_sender, {"cases": 100, "messages": 520, "clients": 50, "oversized": 5}),
}
