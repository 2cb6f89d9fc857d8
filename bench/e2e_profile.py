"""Summarises a py-spy ``--format raw`` profile: where a Koers process spends its CPU.

Each line of the file is ``frame;frame;...;leaf count``, a frame being ``function (path:line)``.
Prints the share of on-CPU samples per package of the leaf frame (self time), the inclusive share
of the functions that matter for the benchmark, and the top leaf functions.

Usage: ``python bench/e2e_profile.py PROFILE.txt``
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*) \((?P<path>[^():]*):\d+\)$")
KOERS_PACKAGES = {"messaging", "workers", "schema", "workflows"}
KEY_FUNCTIONS = (
    ("start_workflow: WorkflowRuntime.start_case", "WorkflowRuntime.start_case"),
    ("send_email: EmailSender.send", "EmailSender.send"),
    ("  claim: EmailSender._claim (compose inside)", "EmailSender._claim"),
    ("    EmailComposer.compose", "EmailComposer.compose"),
    ("      Renderer.letter_pdf", "Renderer.letter_pdf"),
    ("      Renderer.notification", "Renderer.notification"),
    ("      to_mime", "to_mime"),
    ("  SmtpMailer.send", "SmtpMailer.send"),
    ("  finish: EmailSender._finish", "EmailSender._finish"),
    ("relay_outbox", "relay_outbox"),
    ("  RabbitmqBroker.enqueue", "RabbitmqBroker.enqueue"),
    ("reconcile", "reconcile"),
    ("dramatiq consumer/worker plumbing", "_ConsumerThread"),
    ("ReportLab pure-Python fallbacks (rl_accel.py)", "rl_accel.py"),
    ("SQLAlchemy Session.commit", "Session.commit"),
    ("psycopg (any)", "psycopg/"),
)


def package(path: str) -> str:
    top = path.split("/", 1)[0]
    if top in KOERS_PACKAGES:
        return f"koers ({top})"
    if "/" not in path or top in {"email", "asyncio", "json", "logging", "threading", "socket", "ssl", "selectors",
                                  "uuid", "re", "queue", "concurrent", "encodings", "zlib", "base64"}:  # fmt: skip
        return f"stdlib ({top.removesuffix('.py')})"
    return top


def load(path: Path) -> list[tuple[list[str], int]]:
    stacks = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    return stacks


def summarize_profile(path: Path, top: int = 12) -> None:
    stacks = load(path)
    total = sum(n for _, n in stacks)
    print(f"  {path.stem}: {total:,} on-CPU samples")
    if not total:
        return
    by_package: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for frames, n in stacks:
        match = _FRAME.match(frames[-1])
        leaf_path = match.group("path") if match else "?"
        by_package[package(leaf_path)] += n
        leaves[f"{match.group('func')} ({leaf_path})" if match else frames[-1]] += n
        joined = ";".join(frames)
        for label, needle in KEY_FUNCTIONS:
            if needle in joined:
                inclusive[label] += n
    print("    self time by package: " + ", ".join(f"{k} {v / total:.0%}" for k, v in by_package.most_common(9)))
    print("    inclusive: " + "; ".join(f"{label.strip()} {inclusive[label] / total:.0%}"
                                       for label, _ in KEY_FUNCTIONS if inclusive[label]))  # fmt: skip
    print("    top self: " + "; ".join(f"{k} {v / total:.0%}" for k, v in leaves.most_common(top)))


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        summarize_profile(Path(arg))
