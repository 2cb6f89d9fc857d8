"""Worker CPU per case on the database side: ``start_workflow`` and ``send_email``, in-process.

Wall-clock throughput on a shared machine says little; this measures ``time.process_time()`` (this
process's CPU, so the PostgreSQL server's own work is not counted) around each handler call:

* ``start_workflow``: ``WorkflowRuntime.start_case`` for every case of a batch of accepted cases;
* ``send_email``: ``EmailSender.send`` for the notification each of those queued, with the real
  composer (letter PDF and MIME included) and a mailer that only counts; the time spent inside the
  renderer and ``to_mime`` (the ``messaging`` package) is measured separately and also reported
  subtracted ("db side"), as that is the part the database code decides;
* ``relay``: ``relay_outbox`` with a broker that only counts, per outbox message.

It also counts the SQL statements each handler sends per case (a deterministic figure; a ``COPY``
of ``schema.bulk.insert_rows``, which goes to the driver directly, counts as one). Each run
ingests a fresh batch of synthetic cases (``FeedMix(0, 0, 0, 0)``: every one accepted), after one
warm-up run; prints the median over the runs of the mean per case.

Database: ``KOERS_BENCH_DATABASE_URL``, else the local ``koers_bench_cpu``;
the database is DROPPED and recreated. ``--sqlite`` uses a temporary
SQLite file instead (the embedded mode).

Usage: ``.venv/bin/python bench/bench_worker_cpu.py [-n 200] [--runs 5] [--sqlite]``
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import event, select  # noqa: E402

import schema.bulk  # noqa: E402
import workers.email_composer as composer_module  # noqa: E402
from messaging.render import Renderer  # noqa: E402
from schema.runtime_models import OutboundEmail  # noqa: E402
from testkit.databases import migrate_with_reference_data, recreate_database  # noqa: E402
from testkit.flow import fast_settings  # noqa: E402
from workers.bootstrap import App, bootstrap  # noqa: E402
from workers.contacts import Contacts  # noqa: E402
from workers.demo.synthetic import FeedMix, generate_records  # noqa: E402
from workers.email_composer import EmailComposer  # noqa: E402
from workers.email_sender import EmailSender  # noqa: E402
from workers.feed_files import RawRecord  # noqa: E402
from workers.intake import IntakeService  # noqa: E402
from workers.periodic import relay_outbox  # noqa: E402
from workers.services import case_store  # noqa: E402
from workers.settings import Settings, load_settings  # noqa: E402
from workers.workflow_runtime import WorkflowRuntime  # noqa: E402
from workflows.calendar import WorkdayCalendar  # noqa: E402

# Its own database by default: the public schema is dropped, so never the test suite's.
PG_URL = os.environ.get("KOERS_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/koers_bench_cpu")
SECRET = "bench-secret-key-of-at-least-32-bytes!"


@dataclass
class Meter:
    """CPU seconds spent inside the messaging package (renderer methods, ``to_mime``)."""

    seconds: float = 0.0

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += time.process_time() - started

        return timed


class TimedRenderer:
    """A ``Renderer`` whose public methods add their CPU time to a meter (nested calls counted once)."""

    def __init__(self, renderer: Renderer, meter: Meter) -> None:
        self._renderer, self._meter, self._depth = renderer, meter, 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._renderer, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self._depth += 1
            started = time.process_time()
            try:
                return attr(*args, **kwargs)
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._meter.seconds += time.process_time() - started

        return call


@dataclass
class CountingMailer:
    sent: int = 0

    def send(self, message: EmailMessage, envelope: object = None) -> str:
        self.sent += 1
        return "250 2.0.0 Ok: queued"


@dataclass
class CountingBroker:
    """Enough of a dramatiq broker for ``relay_outbox``."""

    published: int = 0

    def enqueue(self, message: Any, *, delay: int | None = None) -> Any:
        self.published += 1
        return message


@dataclass
class StatementCounter:
    count: int = 0
    by_handler: dict[str, list[int]] = field(default_factory=dict)

    def __call__(self, *_: Any) -> None:
        self.count += 1


def settings_for(home: Path, url: str) -> Settings:
    """The flow tests' settings (every municipality and province has an address), with the default
    working-day timers, so that urgent cases are as many as in a real run."""
    defaults = load_settings({"KOERS_HOME": str(home), "KOERS_DATABASE_URL": url, "KOERS_SECRET_KEY": SECRET})
    return replace(fast_settings(home, url), timers=defaults.timers)


@contextmanager
def quiet_gc() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def one_run(app: App, n: int, seed: int, counter: StatementCounter) -> dict[str, float]:
    settings = app.settings
    calendar = WorkdayCalendar()
    contacts = Contacts(settings)
    meter = Meter()
    composer = EmailComposer(TimedRenderer(Renderer(signature="Zelfmelders 3Noord"), meter),  # type: ignore[arg-type]
                             contacts, calendar, SECRET.encode(), settings.sender, settings.reply_domain)  # fmt: skip
    runtime = WorkflowRuntime(case_store(app, calendar, contacts), app.clock)
    mailer = CountingMailer()
    sender = EmailSender(app.sessions, composer, mailer, app.clock)
    broker = CountingBroker()

    from workers.wiring import start_workflows

    intake = IntakeService(app.sessions, app.registry, institutions=settings.institutions, clock=app.clock,
                           on_accepted=start_workflows)  # fmt: skip
    records = generate_records(n, seed=seed, today=date.today(), mix=FeedMix(0, 0, 0, 0))
    summary = intake.ingest((RawRecord(i + 2, dict(r)) for i, r in enumerate(records)), "bench")
    case_ids = [r.case_id for r in summary.results if r.case_id is not None]
    assert len(case_ids) == n, f"expected {n} accepted cases, got {len(case_ids)}"

    figures: dict[str, float] = {}
    with quiet_gc():
        counter.count, started = 0, time.process_time()
        published = relay_outbox(app.sessions, broker, app.clock)  # type: ignore[arg-type]
        figures["relay_start"] = (time.process_time() - started) / max(published, 1)
        figures["relay_start_stmts"] = counter.count / max(published, 1)

        counter.count, started = 0, time.process_time()
        for case_id in case_ids:
            runtime.start_case(case_id)
        figures["start_workflow"] = (time.process_time() - started) / n
        figures["start_workflow_stmts"] = counter.count / n

    with app.sessions() as session:
        email_ids = list(session.scalars(
            select(OutboundEmail.id).where(OutboundEmail.case_id.in_(case_ids), OutboundEmail.state == "queued")
            .order_by(OutboundEmail.id)
        ))  # fmt: skip
    assert len(email_ids) >= n, f"expected at least {n} queued emails, got {len(email_ids)}"
    figures["emails_per_case"] = len(email_ids) / n

    with quiet_gc():
        counter.count, started = 0, time.process_time()
        published = relay_outbox(app.sessions, broker, app.clock)  # type: ignore[arg-type]
        figures["relay_send"] = (time.process_time() - started) / max(published, 1)

        counter.count, meter.seconds, started = 0, 0.0, time.process_time()
        for email_id in email_ids:
            assert sender.send(email_id) == "sent"
        total = time.process_time() - started
        figures["send_email"] = total / n
        figures["send_email_messaging"] = meter.seconds / n
        figures["send_email_db_side"] = (total - meter.seconds) / n
        figures["send_email_stmts"] = counter.count / n
    assert mailer.sent == len(email_ids)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=200, help="cases per run (default 200)")
    parser.add_argument("--runs", type=int, default=5, help="measured runs after one warm-up (default 5)")
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file instead of PostgreSQL")
    args = parser.parse_args()

    # The messaging package's to_mime is timed too (renderer methods are wrapped per run).
    original_to_mime = composer_module.to_mime
    mime_meter = Meter()
    composer_module.to_mime = mime_meter.wrap(original_to_mime)  # type: ignore[assignment]

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        url = f"sqlite:///{home / 'koers.db'}" if args.sqlite else PG_URL
        if not args.sqlite:
            recreate_database(url)
        app = bootstrap(settings_for(home, url))
        migrate_with_reference_data(app.engine, fresh=True)
        counter = StatementCounter()
        event.listen(app.engine, "before_cursor_execute", counter)
        if app.engine.dialect.name == "postgresql":  # COPY bypasses the engine's events: count it here
            insert_rows = schema.bulk.insert_rows

            def counted_insert_rows(session: Any, table: Any, rows: Any) -> None:
                counter.count += 1 if rows else 0
                insert_rows(session, table, rows)

            schema.bulk.insert_rows = counted_insert_rows  # type: ignore[assignment]
        results: list[dict[str, float]] = []
        for run in range(args.runs + 1):
            mime_meter.seconds = 0.0
            figures = one_run(app, args.n, seed=1000 + run, counter=counter)
            figures["send_email_messaging"] += mime_meter.seconds / args.n
            figures["send_email_db_side"] -= mime_meter.seconds / args.n
            if run > 0:  # the first run warms caches (compiled statements, templates, fonts)
                results.append(figures)
            label = "warm-up" if run == 0 else f"run {run}"
            print(f"{label:>8}: start_workflow {figures['start_workflow'] * 1000:6.2f} ms, "
                  f"send_email {figures['send_email'] * 1000:6.2f} ms "
                  f"(db side {figures['send_email_db_side'] * 1000:5.2f} ms), "
                  f"relay {figures['relay_start'] * 1000:5.3f}/{figures['relay_send'] * 1000:5.3f} ms per message",
                  flush=True)  # fmt: skip
        app.dispose()

    def med(key: str) -> float:
        return statistics.median(r[key] for r in results)

    print(f"\n{app.engine.dialect.name}, {args.n} cases x {args.runs} runs; CPU of this process "
          "(time.process_time), median of per-run means:")  # fmt: skip
    print(f"  start_workflow (WorkflowRuntime.start_case)  {med('start_workflow') * 1000:6.2f} ms/case   "
          f"{med('start_workflow_stmts'):5.1f} SQL statements/case")  # fmt: skip
    print(f"  send_email     (EmailSender.send)            {med('send_email') * 1000:6.2f} ms/case   "
          f"{med('send_email_stmts'):5.1f} SQL statements/case ({med('emails_per_case'):.2f} emails/case)")  # fmt: skip
    print(f"    of which messaging (render, PDF, to_mime)  {med('send_email_messaging') * 1000:6.2f} ms/case")
    print(f"    of which the rest (database side)          {med('send_email_db_side') * 1000:6.2f} ms/case")
    print(f"  relay_outbox   start_workflow messages       {med('relay_start') * 1000:6.3f} ms/message   "
          f"{med('relay_start_stmts'):5.2f} SQL statements/message")  # fmt: skip
    print(f"  relay_outbox   send_email messages           {med('relay_send') * 1000:6.3f} ms/message")
    db_total = med("start_workflow") + med("send_email_db_side") + med("relay_start") + med("relay_send")
    print(f"  database side per case (start + send excluding messaging + 2 relayed messages) {db_total * 1000:6.2f} ms")


if __name__ == "__main__":
    main()
