"""What RabbitMQ knows about Koers' queues: depth, unacknowledged messages and consumers.

Two sources, best first: the management HTTP API (``KOERS_RABBITMQ_API``; by default port 15672
on the broker's host, with the broker's user) gives all three numbers; when it is not reachable
(the plugin is often off), a passive ``queue_declare`` over AMQP gives depth and consumers, and
the unacknowledged count stays unknown (``None``). A probe never raises: an unreachable broker is
itself a status to report. Every probe is bounded by a short timeout so that ``koers status``
and the metrics stay fast.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from workers.queues import ALL_QUEUES

TIMEOUT_SECONDS = 2.0
MANAGEMENT_PORT = 15672


@dataclass(frozen=True)
class QueueCounts:
    """One queue as the broker sees it; ``None`` where the source cannot tell."""

    name: str
    exists: bool
    ready: int | None
    unacked: int | None
    consumers: int | None


@dataclass(frozen=True)
class Probe:
    """The result of asking the broker: where the numbers came from, or why there are none."""

    source: str | None  # management-api | amqp | None (unreachable)
    queues: dict[str, QueueCounts] = field(default_factory=dict)
    error: str | None = None


def delay_queue(queue: str) -> str:
    """dramatiq's delay queue of ``queue`` (retries with backoff wait there)."""
    return f"{queue}.DQ"


def dead_letter_queue(queue: str) -> str:
    """dramatiq's dead-letter queue of ``queue`` (RabbitMQ keeps messages there for 7 days)."""
    return f"{queue}.XQ"


def base_queue(name: str) -> str:
    """``workflow.DQ`` and ``workflow.XQ`` → ``workflow``."""
    return name.removesuffix(".DQ").removesuffix(".XQ")


def koers_queue_names() -> list[str]:
    """Every queue Koers' workers use: each queue, its delay queue (.DQ) and dead-letter queue (.XQ)."""
    return [name for queue in ALL_QUEUES for name in (queue, delay_queue(queue), dead_letter_queue(queue))]


def management_api_url(broker_url: str, configured: str | None = None) -> str:
    """The configured ``KOERS_RABBITMQ_API``, else ``http://user:pass@<broker host>:15672/api``."""
    if configured:
        return configured
    parts = urllib.parse.urlsplit(broker_url)
    user = urllib.parse.unquote(parts.username or "guest")
    password = urllib.parse.unquote(parts.password or "guest")
    credentials = f"{urllib.parse.quote(user, safe='')}:{urllib.parse.quote(password, safe='')}"
    return f"http://{credentials}@{parts.hostname or '127.0.0.1'}:{MANAGEMENT_PORT}/api"


def broker_vhost(broker_url: str) -> str:
    """The virtual host of an ``amqp://`` URL (``/`` when the path is empty)."""
    path = urllib.parse.urlsplit(broker_url).path.lstrip("/")
    return urllib.parse.unquote(path) or "/"


def probe_queues(broker_url: str, api_url: str | None = None, names: list[str] | None = None) -> Probe:
    """Ask the management API, then AMQP; the first that answers gives the numbers."""
    names = names or koers_queue_names()
    errors = []
    try:
        return _probe_management_api(api_url or management_api_url(broker_url), broker_vhost(broker_url), names)
    except Exception as exc:  # unreachable or refused: fall back to AMQP
        errors.append(f"beheer-API: {_describe(exc)}")
    try:
        return _probe_amqp(broker_url, names)
    except Exception as exc:
        errors.append(f"AMQP: {_describe(exc)}")
    return Probe(source=None, error="; ".join(errors))


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text[:200]


def _probe_management_api(api_url: str, vhost: str, names: list[str]) -> Probe:
    parts = urllib.parse.urlsplit(api_url)
    netloc = parts.hostname or "127.0.0.1"
    if parts.port:
        netloc += f":{parts.port}"
    base = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
    query = "columns=name,messages_ready,messages_unacknowledged,consumers"
    request = urllib.request.Request(f"{base}/queues/{urllib.parse.quote(vhost, safe='')}?{query}")  # noqa: S310
    if parts.username:
        user_pass = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
        request.add_header("Authorization", "Basic " + base64.b64encode(user_pass.encode()).decode())
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (operator-set URL)
        listing: list[dict[str, Any]] = json.load(response)
    by_name = {q.get("name"): q for q in listing}
    queues = {}
    for name in names:
        found = by_name.get(name)
        if found is None:
            queues[name] = QueueCounts(name, exists=False, ready=0, unacked=0, consumers=0)
        else:
            queues[name] = QueueCounts(name, exists=True, ready=_int(found.get("messages_ready")),
                                       unacked=_int(found.get("messages_unacknowledged")),
                                       consumers=_int(found.get("consumers")))  # fmt: skip
    return Probe(source="management-api", queues=queues)


def _int(value: Any) -> int | None:
    # The API omits message counts for a queue it has no statistics for yet.
    return int(value) if isinstance(value, int | float) else None


def _probe_amqp(broker_url: str, names: list[str]) -> Probe:
    import pika
    from pika.exceptions import ChannelClosedByBroker

    parameters = pika.URLParameters(broker_url)
    parameters.connection_attempts = 1
    parameters.socket_timeout = TIMEOUT_SECONDS
    parameters.stack_timeout = TIMEOUT_SECONDS * 2
    parameters.blocked_connection_timeout = TIMEOUT_SECONDS
    connection = pika.BlockingConnection(parameters)
    try:
        channel = connection.channel()
        queues = {}
        for name in names:
            try:
                ok = channel.queue_declare(queue=name, passive=True).method
                queues[name] = QueueCounts(name, True, ok.message_count, None, ok.consumer_count)
            except ChannelClosedByBroker:  # 404: not declared yet, so nothing waits in it
                queues[name] = QueueCounts(name, False, 0, 0, 0)
                channel = connection.channel()
        return Probe(source="amqp", queues=queues)
    finally:
        if connection.is_open:
            connection.close()
