"""Child processes of ``bench_e2e.py``; each prints one JSON line with its figures, last.

Usage (by ``bench_e2e.py``): ``python bench/e2e_children.py MODE ARGS...`` with the ``KOERS_*``
environment of the benchmark. Modes: ``noop-enqueue N``, ``noop-worker N THREADS``,
``render N RUNS``, ``smtp URL N THREADS RUNS``, ``feed FILE RATE``, ``relay``, ``replies N``.
"""

from __future__ import annotations

import json
import random
import resource
import statistics
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]

from e2e_support import AMQP_URL  # noqa: E402

NOOP_QUEUE, NOOP_ACTOR = "bench-noop", "bench_noop"


def emit(figures: dict[str, Any]) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    figures["peak_rss_mb"] = usage.ru_maxrss / 1024
    figures["cpu_s"] = usage.ru_utime + usage.ru_stime
    print(json.dumps(figures), flush=True)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _broker() -> Any:
    from workers.broker import DeadLetters, make_broker

    return make_broker(AMQP_URL, DeadLetters(lambda: None, utc_now))  # Koers' own broker set-up


def noop_enqueue(n: int) -> None:
    """Publish ``n`` no-op messages one by one with publisher confirms, as the outbox relay does."""
    import dramatiq

    broker = _broker()
    broker.declare_queue(NOOP_QUEUE)
    messages = [dramatiq.Message(queue_name=NOOP_QUEUE, actor_name=NOOP_ACTOR, args=(i,), kwargs={}, options={})
                for i in range(n)]  # fmt: skip
    broker.enqueue(messages[0])
    started = time.perf_counter()
    for message in messages[1:]:
        broker.enqueue(message)
    elapsed = time.perf_counter() - started
    broker.close()
    emit({"rate": (n - 1) / elapsed})


class _Counter:
    def __init__(self, n: int) -> None:
        self.n, self.count, self.first, self.last = n, 0, 0.0, 0.0
        self.lock, self.done = threading.Lock(), threading.Event()

    def __call__(self, i: int) -> None:
        with self.lock:
            self.count += 1
            if self.count == 1:
                self.first = time.perf_counter()
            if self.count == self.n:
                self.last = time.perf_counter()
                self.done.set()


def noop_worker(n: int, threads: int) -> None:
    """Consume ``n`` queued no-op messages with a dramatiq worker; rate from first to last message."""
    import dramatiq
    from dramatiq import Worker

    broker = _broker()
    counter = _Counter(n)

    def bench_noop(i: int) -> None:
        counter(i)

    dramatiq.actor(bench_noop, actor_name=NOOP_ACTOR, queue_name=NOOP_QUEUE, broker=broker, max_retries=0)
    worker = Worker(broker, queues={NOOP_QUEUE}, worker_threads=threads)
    worker.start()
    finished = counter.done.wait(600)
    worker.stop(timeout=10_000)
    broker.close()
    emit({"rate": (n - 1) / (counter.last - counter.first) if finished else 0.0, "consumed": counter.count})


def render(n: int, runs: int) -> None:
    """Letters (``Renderer.letter_pdf``) and notifications (render + to_mime + as_bytes) per second."""
    from bench_letters import letter_data, median_rate, notification_data

    from messaging.email_message import to_mime
    from messaging.render import Renderer, make_message_id

    renderer = Renderer()
    inputs = [letter_data(i) for i in range(n)]
    pdfs = [renderer.letter_pdf(*item) for item in inputs[:50]]
    now = datetime(2025, 2, 17, 9, 0, tzinfo=UTC)

    def one_notification(i: int) -> bytes:
        letter, cbs_code = inputs[i]
        mail = renderer.notification(
            notification_data(letter, i), to=f"zelfmelders@{cbs_code.lower()}.example",
            reply_to=f"t{i:08x}@antwoord.koers.example", letter_pdf=pdfs[i % len(pdfs)], cbs_code=cbs_code,
            message_id=make_message_id("notification", i, 1, "koers.example", key=b"bench-secret-key-0123456789"),
        )  # fmt: skip
        return to_mime(mail, "Zelfmelders 3Noord <zelfmelders@koers.example>", date=now).as_bytes()

    letters = median_rate(n, runs, lambda i: renderer.letter_pdf(*inputs[i]))
    notifications = median_rate(n, runs, one_notification)
    emit({"letters": letters, "notifications": notifications, "pdf_bytes": statistics.median(map(len, pdfs))})


def smtp(url: str, n: int, threads: int, runs: int) -> None:
    """Notifications with the PDF through ``SmtpMailer`` into a sink in another process (median rate)."""
    from bench_smtp import letter_pdf, messages, send_all

    pdf = letter_pdf()
    rates = [n / send_all(url, messages(n, f"smtp{threads}t{run}", pdf), threads) for run in range(runs)]
    emit({"rate": statistics.median(rates), "runs": rates, "bytes": len(messages(1, "size", pdf)[0].as_bytes())})


def feed(path: str, rate: float) -> None:
    """Intake of a feed file: all at once (``rate`` 0, as ``koers intake``) or ``rate`` records/s."""
    from workers.bootstrap import bootstrap
    from workers.feed_files import iter_feed
    from workers.wiring import intake_service

    app = bootstrap()
    service = intake_service(app)
    counts: Counter[str] = Counter()
    if rate <= 0:
        started = time.time()
        counts.update(service.ingest(iter_feed(Path(path)), "bench", keep_results=False).counts)
    else:
        records = list(iter_feed(Path(path)))
        per_tick = max(1, round(rate / 10))
        started = time.time()
        for tick, first in enumerate(range(0, len(records), per_tick)):
            time.sleep(max(0.0, started + tick * per_tick / rate - time.time()))
            counts.update(service.ingest(records[first : first + per_tick], "bench", keep_results=False).counts)
    finished = time.time()
    app.dispose()
    emit({"started": started, "finished": finished, "counts": dict(counts),
          "rate": sum(counts.values()) / (finished - started)})  # fmt: skip


def relay() -> None:
    """Publish every unpublished outbox row once (``relay_outbox``, publisher confirms)."""
    from workers.bootstrap import bootstrap
    from workers.broker import DeadLetters, make_broker
    from workers.periodic import relay_outbox

    app = bootstrap()
    broker = make_broker(AMQP_URL, DeadLetters(lambda: app.sessions, app.clock))
    started = time.perf_counter()
    published = relay_outbox(app.sessions, broker, app.clock)
    elapsed = time.perf_counter() - started
    broker.close()
    app.dispose()
    emit({"published": published, "rate": published / elapsed if elapsed else 0.0})


class _NoMailer:
    def send(self, message: EmailMessage, envelope: object = None) -> str:
        raise AssertionError("the reply benchmark sends no mail")


def replies(n: int) -> None:
    """``store_inbound`` + ``ReplyProcessor.process`` for ``n`` simulated staff replies to sent notifications."""
    from sqlalchemy import select

    from schema.models import CaseRow
    from schema.runtime_models import OutboundEmail
    from workers.bootstrap import bootstrap
    from workers.demo.staff_simulation import compose_reply, plan_replies
    from workers.inbound_store import store_inbound
    from workers.services import build_services

    app = bootstrap()
    services = build_services(app, _NoMailer())
    assert app.settings.secret_key is not None
    rng = random.Random(7)
    prepared: list[tuple[bytes, str, str]] = []
    with app.sessions() as session:
        rows = session.execute(
            select(CaseRow, OutboundEmail).join(OutboundEmail, OutboundEmail.case_id == CaseRow.id)
            .where(OutboundEmail.kind == "notification", OutboundEmail.state == "sent").order_by(CaseRow.id)
            .limit(n * 2)
        ).all()  # fmt: skip
        for case, notification in rows:
            plan = plan_replies(rng, 1.0)
            if plan and len(prepared) < n:
                message, sender, to = compose_reply(app.settings, app.settings.secret_key, case, notification,
                                                    plan[0], 0)  # fmt: skip
                prepared.append((message.as_bytes(), sender, to))
    latencies, states = [], Counter()
    started = time.perf_counter()
    for raw, sender, to in prepared:
        begun = time.perf_counter()
        with app.sessions.begin() as session:
            inbound_id = store_inbound(session, raw, source="bench", envelope_from=sender, envelope_to=[to],
                                       now=app.clock())  # fmt: skip
        states[services.replies.process(inbound_id)] += 1
        latencies.append(time.perf_counter() - begun)
    elapsed = time.perf_counter() - started
    app.dispose()
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    emit({"messages": len(prepared), "rate": len(prepared) / elapsed, "p50_ms": cuts[49] * 1000,
          "p99_ms": cuts[98] * 1000, "states": dict(states)})  # fmt: skip


def main() -> None:
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "noop-enqueue":
        noop_enqueue(int(args[0]))
    elif mode == "noop-worker":
        noop_worker(int(args[0]), int(args[1]))
    elif mode == "render":
        render(int(args[0]), int(args[1]))
    elif mode == "smtp":
        smtp(args[0], int(args[1]), int(args[2]), int(args[3]))
    elif mode == "feed":
        feed(args[0], float(args[1]))
    elif mode == "relay":
        relay()
    elif mode == "replies":
        replies(int(args[0]))
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
