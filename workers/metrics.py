"""Prometheus metrics: the status as gauges and the database's running totals as counters.

``render_metrics`` builds a fresh ``CollectorRegistry`` per call, so nothing accumulates in the
process and several web workers report the same numbers: every value is read from the broker
and the database at scrape time (the counters are totals the database keeps, hence monotonic
across restarts). Counts only; labels are queue names, states, kinds and job names, never a
person. The web console mounts it at ``/metrics``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from schema import status_queries
from schema.status_queries import NEEDS_REVIEW
from workers.bootstrap import App
from workers.status import attention, collect_status
from workflows.states import TimerState

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def render_metrics(app: App, broker_url: str | None) -> bytes:
    """The Prometheus text exposition of Koers' queues, backlog and throughput."""
    status = collect_status(app, broker_url)
    with app.sessions() as session:
        totals = status_queries.throughput(session)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(status, totals))
    return generate_latest(registry)


class _Snapshot(Collector):
    """Yields metric families from one status and one set of totals, read once per scrape."""

    def __init__(self, status: dict[str, Any], totals: dict[str, Any]) -> None:
        self._status = status
        self._totals = totals

    def collect(self) -> Iterator[Metric]:
        yield from _queue_metrics(self._status)
        yield from _backlog_metrics(self._status)
        yield from _state_metrics(self._status)
        yield from _throughput_metrics(self._totals)


def _gauge(name: str, documentation: str, labels: list[str], samples: list[tuple[list[str], float | None]]
           ) -> GaugeMetricFamily:  # fmt: skip
    family = GaugeMetricFamily(name, documentation, labels=labels)
    for values, value in samples:
        if value is not None:  # unknown (e.g. unacked over AMQP): no sample rather than a false zero
            family.add_metric(values, value)
    return family


def _queue_metrics(status: dict[str, Any]) -> Iterator[Metric]:
    broker = status["broker"]
    if broker["kind"] == "rabbitmq":
        yield _gauge("koers_broker_up", "1 als RabbitMQ bereikbaar is, anders 0.", [],
                     [([], 1.0 if broker["reachable"] else 0.0)])  # fmt: skip
    queues = status["queues"]
    for key, name, text in (("ready", "koers_queue_messages_ready", "Berichten klaar in de wachtrij."),
                            ("unacked", "koers_queue_messages_unacknowledged", "Berichten in behandeling."),
                            ("consumers", "koers_queue_consumers", "Workers die de wachtrij lezen.")):  # fmt: skip
        yield _gauge(name, text, ["queue"], [([q["name"]], q[key]) for q in queues])
    by_queue = status["dead_letters"]["by_queue"]
    yield _gauge("koers_dead_letters", "Openstaande dead letters in de database (status dead).", ["queue"],
                 [([queue], counts["database"]) for queue, counts in by_queue.items()])  # fmt: skip


def _backlog_metrics(status: dict[str, Any]) -> Iterator[Metric]:
    outbox, timers = status["outbox"], status["timers"]
    yield _gauge("koers_outbox_unpublished", "Outbox-berichten nog niet gepubliceerd.", [],
                 [([], outbox["unpublished"])])  # fmt: skip
    yield _gauge("koers_outbox_lag_seconds", "Leeftijd van het oudste ongepubliceerde outbox-bericht.", [],
                 [([], outbox["lag_seconds"] or 0.0)])  # fmt: skip
    yield _gauge("koers_timers", "Timers: wachtend, nu aan de beurt, te laat, opgepakt.", ["state"],
                 [([k], timers[k]) for k in (TimerState.PENDING, "due_now", "overdue",
                                              TimerState.CLAIMED)])  # fmt: skip
    yield _gauge("koers_heartbeat_age_seconds", "Seconden sinds de periodieke taak voor het laatst liep.", ["job"],
                 [([job], beat["age_seconds"]) for job, beat in status["heartbeats"].items()])  # fmt: skip
    yield _gauge("koers_attention_reasons", "Aantal redenen waarom iets aandacht nodig heeft (koers status).", [],
                 [([], len(attention(status)))])  # fmt: skip


def _state_metrics(status: dict[str, Any]) -> Iterator[Metric]:
    cases, inbound = status["cases"], status["inbound"]
    yield _gauge("koers_emails", "Uitgaande e-mails per status.", ["state"],
                 [([state], n) for state, n in status["emails"].items()])  # fmt: skip
    yield _gauge("koers_cases", "Zaken per status.", ["state"],
                 [([state], n) for state, n in cases["by_state"].items()])  # fmt: skip
    yield _gauge("koers_cases_needing_review", "Zaken ter beoordeling (review_reason gezet).", [],
                 [([], cases[NEEDS_REVIEW])])  # fmt: skip
    yield _gauge("koers_inbound_messages", "Inkomende berichten per status.", ["state"],
                 [([state], n) for state, n in inbound["by_state"].items()])  # fmt: skip


def _throughput_metrics(totals: dict[str, Any]) -> Iterator[Metric]:
    sent = CounterMetricFamily("koers_emails_sent", "Verzonden e-mails per soort (totaal).", labels=["kind"])
    for kind, n in totals["emails_sent"].items():
        sent.add_metric([kind], n)
    yield sent
    yield CounterMetricFamily("koers_cases_created", "Aangemaakte zaken (totaal).", value=totals["cases_created"])
    yield CounterMetricFamily("koers_outcomes_recorded", "Vastgelegde uitkomsten (auditgebeurtenissen, totaal).",
                              value=totals["audit_events"]["outcome_recorded"])  # fmt: skip
    events = CounterMetricFamily("koers_audit_events", "Auditgebeurtenissen per soort (totaal).", labels=["event"])
    for event, n in totals["audit_events"].items():
        events.add_metric([event], n)
    yield events
