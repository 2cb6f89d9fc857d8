"""Operational status: queues, dead letters, outbox lag, timers, heartbeats and counts by state.

``collect_status`` asks the broker once (management API, else AMQP; see ``workers.queue_probe``)
and the database a handful of aggregate queries; ``attention`` turns the result into Dutch
reasons an operator must act on. ``koers status``, the web console and the metrics share both.
Counts only: a status never carries a name or an address.

Rules behind ``attention`` (thresholds are the constants below):

- the broker cannot be reached;
- dead letters: unresolved rows in ``dead_letters`` or messages in a ``.XQ`` queue;
- a queue (or its delay queue) holds ready messages while no worker consumes it;
- the outbox is stalled: its oldest unpublished row is older than ``OUTBOX_STALL``;
- timers overdue: pending longer than two sweep intervals after their ``due_at``;
- emails failed, bounced or in review; inbound mail quarantined or in review;
- cases waiting for routing or for review;
- the timer sweep or reconciler heartbeat is older than ``HEARTBEAT_FACTOR`` × its interval (the
  outbox relay only records a run when it published something, so its silence is judged by the
  outbox lag instead). A heartbeat that was never recorded is not judged (a fresh install).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from schema import status_queries as queries
from schema.runtime_models import OutboundEmail
from schema.status_queries import NEEDS_REVIEW
from workers.bootstrap import App
from workers.queue_probe import Probe, base_queue, dead_letter_queue, koers_queue_names, probe_queues
from workers.queues import ALL_QUEUES
from workers.settings import Settings
from workflows.model import CaseState
from workflows.states import EmailState, InboundState

OUTBOX_STALL = timedelta(seconds=60)
HEARTBEAT_FACTOR = 3
HEARTBEAT_MIN_GRACE = timedelta(seconds=10)  # sub-second intervals must not flap on scheduler jitter
OVERDUE_SWEEPS = 2
HEARTBEAT_JOBS = ("timer_sweep", "outbox_relay", "reconciler")
JUDGED_HEARTBEATS = ("timer_sweep", "reconciler")
EMAIL_PROBLEMS = {EmailState.FAILED: "mislukt", EmailState.NEEDS_REVIEW: "ter controle",
                  EmailState.BOUNCED: "onbestelbaar"}  # fmt: skip


def collect_status(app: App, broker_url: str | None, *, api_url: str | None = None) -> dict[str, Any]:
    """Everything ``koers status`` shows, as JSON-ready values.

    Args:
        broker_url: ``amqp://…``; ``None`` for the in-process broker (only the database is asked).
        api_url: the RabbitMQ management API; default ``KOERS_RABBITMQ_API`` or derived from
            ``broker_url``.
    """
    now = app.clock()
    with app.sessions() as session:
        status = _database_status(session, now, app.settings)
    probe = probe_queues(broker_url, api_url or app.settings.rabbitmq_api) if broker_url else None
    status["broker"] = _broker_summary(broker_url, probe)
    status["queues"] = _queue_rows(probe)
    status["dead_letters"] = _dead_letters(status.pop("_dead_letters_db"), probe)
    return {"checked_at": now.isoformat(), **status}


def _database_status(session: Session, now: datetime, settings: Settings) -> dict[str, Any]:
    intervals = {"timer_sweep": settings.sweep_interval, "outbox_relay": settings.relay_interval,
                 "reconciler": settings.reconcile_interval}  # fmt: skip
    beats = queries.heartbeat_times(session)
    heartbeats = {}
    for name in HEARTBEAT_JOBS:
        last = beats.get(name)
        heartbeats[name] = {"last_run_at": last.isoformat() if last else None,
                            "age_seconds": round((now - last).total_seconds(), 1) if last else None,
                            "interval_seconds": intervals[name]}  # fmt: skip
    overdue_after = timedelta(seconds=OVERDUE_SWEEPS * settings.sweep_interval)
    return {
        "outbox": queries.outbox_lag(session, now),
        "timers": queries.timer_counts(session, now, overdue_after),
        "heartbeats": heartbeats,
        "emails": queries.counts_by(session, OutboundEmail.state),
        "cases": queries.case_counts(session),
        "inbound": queries.inbound_counts(session),
        "_dead_letters_db": queries.dead_letter_counts(session),
    }


def _broker_summary(broker_url: str | None, probe: Probe | None) -> dict[str, Any]:
    if broker_url is None or probe is None:
        return {"kind": "in-process", "source": None, "reachable": None, "error": None}
    return {"kind": "rabbitmq", "source": probe.source, "reachable": probe.source is not None, "error": probe.error}


def _queue_rows(probe: Probe | None) -> list[dict[str, Any]]:
    rows = []
    for name in koers_queue_names():
        counts = probe.queues.get(name) if probe else None
        role = "delay" if name.endswith(".DQ") else "dead_letter" if name.endswith(".XQ") else "main"
        rows.append({"name": name, "queue": base_queue(name), "role": role,
                     "exists": counts.exists if counts else None, "ready": counts.ready if counts else None,
                     "unacked": counts.unacked if counts else None,
                     "consumers": counts.consumers if counts else None})  # fmt: skip
    return rows


def _dead_letters(database: dict[str, int], probe: Probe | None) -> dict[str, Any]:
    by_queue = {}
    for queue in dict.fromkeys([*ALL_QUEUES, *database]):
        xq = probe.queues.get(dead_letter_queue(queue)) if probe else None
        by_queue[queue] = {"database": database.get(queue, 0), "broker": xq.ready if xq else None}
    return {"database": sum(database.values()), "by_queue": by_queue}


def attention(status: dict[str, Any]) -> list[str]:
    """Dutch reasons that something needs an operator; empty when all is well."""
    reasons: list[str] = []
    for check in (_broker_reasons, _dead_letter_reasons, _consumer_reasons, _outbox_reasons, _timer_reasons,
                  _heartbeat_reasons, _email_reasons, _inbound_reasons, _case_reasons):  # fmt: skip
        reasons.extend(check(status))
    return reasons


def _broker_reasons(status: dict[str, Any]) -> list[str]:
    broker = status["broker"]
    if broker["kind"] == "rabbitmq" and not broker["reachable"]:
        return [f"RabbitMQ is niet bereikbaar ({broker['error']})"]
    return []


def _dead_letter_reasons(status: dict[str, Any]) -> list[str]:
    reasons = []
    for queue, counts in status["dead_letters"]["by_queue"].items():
        if counts["database"] or counts["broker"]:
            broker = f", {counts['broker']} in {dead_letter_queue(queue)}" if counts["broker"] else ""
            reasons.append(f"Dead letters van wachtrij {queue}: {counts['database']} open in de database{broker} "
                           "(bekijk met: koers dead-letters list)")  # fmt: skip
    return reasons


def _consumer_reasons(status: dict[str, Any]) -> list[str]:
    return [
        f"Wachtrij {q['name']}: {_count(q['ready'], 'bericht wacht', 'berichten wachten')}, maar geen worker "
        "luistert (0 consumers)"
        for q in status["queues"]
        if q["role"] != "dead_letter" and q["ready"] and q["consumers"] == 0
    ]


def _outbox_reasons(status: dict[str, Any]) -> list[str]:
    outbox = status["outbox"]
    lag = outbox["lag_seconds"]
    if lag is not None and lag > OUTBOX_STALL.total_seconds():
        return [f"Outbox staat stil: {_count(outbox['unpublished'], 'bericht', 'berichten')} niet gepubliceerd, "
                f"het oudste wacht "
                f"{duration_text(lag)} (draait de scheduler?)"]  # fmt: skip
    return []


def _timer_reasons(status: dict[str, Any]) -> list[str]:
    timers = status["timers"]
    if timers["overdue"]:
        return [f"{_count(timers['overdue'], 'timer is', 'timers zijn')} te laat: meer dan "
                f"{duration_text(timers['overdue_after_seconds'])} "
                "na het geplande tijdstip nog niet opgepakt (draait de scheduler?)"]  # fmt: skip
    return []


def _heartbeat_reasons(status: dict[str, Any]) -> list[str]:
    reasons = []
    for name in JUDGED_HEARTBEATS:
        beat = status["heartbeats"][name]
        limit = max(HEARTBEAT_FACTOR * beat["interval_seconds"], HEARTBEAT_MIN_GRACE.total_seconds())
        if beat["age_seconds"] is not None and beat["age_seconds"] > limit:
            reasons.append(f"{name} liep voor het laatst {duration_text(beat['age_seconds'])} geleden "
                           f"(verwacht elke {duration_text(beat['interval_seconds'])})")  # fmt: skip
    return reasons


def _email_reasons(status: dict[str, Any]) -> list[str]:
    parts = [f"{status['emails'][s]} {label}" for s, label in EMAIL_PROBLEMS.items() if status["emails"].get(s)]
    return [f"Uitgaande e-mails: {', '.join(parts)}"] if parts else []


def _inbound_reasons(status: dict[str, Any]) -> list[str]:
    inbound, reasons = status["inbound"], []
    quarantined, waiting_for_review = inbound[InboundState.QUARANTINED], inbound[NEEDS_REVIEW]
    if quarantined:
        reasons.append(f"{_count(quarantined, 'inkomend bericht', 'inkomende berichten')} in quarantaine")
    if waiting_for_review:
        waiting = _count(waiting_for_review, "inkomend bericht wacht", "inkomende berichten wachten")
        reasons.append(f"{waiting} op beoordeling")
    return reasons


def _case_reasons(status: dict[str, Any]) -> list[str]:
    cases, reasons = status["cases"], []
    if cases[CaseState.NEEDS_ROUTING]:
        waiting = _count(cases[CaseState.NEEDS_ROUTING], "zaak wacht", "zaken wachten")
        reasons.append(f"{waiting} op routering naar een gemeente")
    if cases[NEEDS_REVIEW]:
        reasons.append(f"{_count(cases[NEEDS_REVIEW], 'zaak', 'zaken')} ter beoordeling")
    return reasons


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"


def duration_text(seconds: float) -> str:
    """Seconds as a short Dutch duration: ``45 s``, ``12 min``, ``3 uur``, ``2 dagen``."""
    if seconds < 120:
        return f"{seconds:g} s".replace(".", ",") if seconds < 10 else f"{round(seconds)} s"
    if seconds < 7200:
        return f"{round(seconds / 60)} min"
    if seconds < 172800:
        return f"{round(seconds / 3600)} uur"
    return f"{round(seconds / 86400)} dagen"
