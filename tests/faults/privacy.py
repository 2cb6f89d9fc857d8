"""Privacy canaries: marker values that may live in the database and in email, and nowhere else.

A scenario puts unique markers in names, addresses and reply notes, then ``leaks`` looks for them
in every process log (and the output of every ``koers`` command), every RabbitMQ message it could
see (``QueuePeeker`` samples all queues, ``.DQ`` and ``.XQ`` included, during the run), the
``dead_letters`` table and the outbox's arguments and errors. ``alive`` proves the markers really
flowed (they are in the cases and the replies), so an empty leak list means something.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import select

from schema.models import CaseRow
from schema.runtime_models import DeadLetter, InboundMessage, OutboxMessage
from tests.faults.harness import Harness


class QueuePeeker:
    """Samples every queue of the scenario's vhost (get + requeue via the management API) in the background."""

    def __init__(self, h: Harness, interval: float = 1.0) -> None:
        self._h, self._interval = h, interval
        self.payloads: list[str] = []
        self.seen: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> QueuePeeker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self.sample()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.sample()

    def sample(self) -> None:
        rabbit = self._h.services.rabbit
        try:
            # Every queue, also those the management API counts as empty: its counts lag by seconds.
            queues = rabbit.queues(self._h.vhost)
            for queue in queues:
                for message in rabbit.peek(self._h.vhost, str(queue["name"]), count=500):
                    self.payloads.append(json.dumps(message, ensure_ascii=False))
                    self.seen[str(queue["name"])] += 1
        except Exception:  # a sample during a restart may fail; the next one will do
            pass


def leaks(h: Harness, markers: list[str], payloads: list[str]) -> dict[str, int]:
    """Where each marker was found outside the database's case data and the mail: place -> count."""
    found: Counter[str] = Counter()
    for path in sorted(h.logs.glob("*.log")):
        text = path.read_text(encoding="utf-8", errors="replace")
        for marker in markers:
            if marker.lower() in text.lower():
                found[f"log {path.name}: {marker}"] += text.lower().count(marker.lower())
    for payload in payloads:
        for marker in markers:
            if marker.lower() in payload.lower():
                found[f"queue message: {marker}"] += 1
    with h.sessions() as session:
        rows: list[Any] = [*session.scalars(select(DeadLetter)), *session.scalars(select(OutboxMessage))]
        for row in rows:
            text = json.dumps({k: str(v) for k, v in vars(row).items() if not k.startswith("_")}, ensure_ascii=False)
            for marker in markers:
                if marker.lower() in text.lower():
                    found[f"table {row.__tablename__}: {marker}"] += 1
    return dict(found)


def alive(h: Harness, name_marker: str, note_marker: str) -> dict[str, int]:
    """How many cases and replies carry the markers (the canaries must have flowed to mean anything)."""
    with h.sessions() as session:
        cases = sum(1 for s in session.scalars(select(CaseRow.surname)) if name_marker in s)
        notes = sum(1 for n in session.scalars(select(CaseRow.outcome_note)) if n and note_marker in n)
        raw = sum(1 for r in session.scalars(select(InboundMessage.raw)) if note_marker.encode() in r)
    return {"cases_with_name_marker": cases, "outcomes_with_note_marker": notes, "replies_with_note_marker": raw}


def scan_rabbit_logs(h: Harness, markers: list[str]) -> dict[str, int]:
    """RabbitMQ's own log of our node (connection names, errors) must not carry markers either."""
    found: Counter[str] = Counter()
    for path in Path(h.services.rabbit.root / "log").glob("*.log"):
        text = path.read_text(encoding="utf-8", errors="replace").lower()
        for marker in markers:
            if marker.lower() in text:
                found[f"rabbitmq log {path.name}: {marker}"] += 1
    return dict(found)
