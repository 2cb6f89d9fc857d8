"""``koers worker``, ``koers scheduler`` and ``koers run``: the long-running parts."""

from __future__ import annotations

import logging

import click

from schema import migrate
from schema.reference_sync import sync_reference_data
from workers.bootstrap import bootstrap
from workers.cli.preflight import require_broker, require_schema, require_smtp
from workers.mail_fetch import configured_mailbox
from workers.queues import ALL_QUEUES, OUTGOING_MAIL
from workers.runner import start, wait_for_signal


def configure_logging(verbose: bool, level: int = logging.INFO) -> None:
    # Log lines carry ids and counts only; handlers never log names, addresses or outcomes.
    logging.basicConfig(level=logging.DEBUG if verbose else level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")  # fmt: skip
    logging.getLogger("pika").setLevel(logging.WARNING)
    # A relay run that overlaps the next tick is skipped on purpose (max_instances=1); not news.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    # aiosmtpd logs every DATA line at DEBUG: message text (names, notes) must never reach a log.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    # Alembic says at INFO that it looked at the schema, on every start-up check.
    logging.getLogger("alembic.runtime.migration").setLevel(logging.INFO if verbose else logging.WARNING)


@click.command()
@click.option("--queues", default=",".join(ALL_QUEUES), show_default=True, help="Welke wachtrijen (komma's).")
@click.option("--threads", default=8, show_default=True, help="Werkthreads in dit proces.")
@click.option("-v", "--verbose", is_flag=True)
def worker(queues: str, threads: int, verbose: bool) -> None:
    """Verwerk berichten van RabbitMQ (zaken starten, timers, e-mail)."""
    configure_logging(verbose)
    app = bootstrap(threads=threads)
    if app.settings.is_embedded:
        raise click.UsageError("koers worker heeft KOERS_BROKER_URL nodig; `koers run` doet alles in één proces")
    selected = [q.strip() for q in queues.split(",") if q.strip()]
    unknown = set(selected) - set(ALL_QUEUES)
    if unknown:
        raise click.BadParameter(f"onbekende wachtrij(en): {', '.join(sorted(unknown))}", param_hint="--queues")
    require_schema(app)
    require_broker(app.settings.broker_url)
    if OUTGOING_MAIL in selected:
        require_smtp(app.settings.smtp_url)
    running = start(app, worker_threads=threads, queues=selected)
    logging.getLogger("koers").info("worker: %d threads on %s", threads, ", ".join(selected))
    wait_for_signal()
    running.stop()
    app.dispose()


@click.command()
@click.option("-v", "--verbose", is_flag=True)
def scheduler(verbose: bool) -> None:
    """Timers vegen, de outbox publiceren en achterstanden herstellen (één leider tegelijk)."""
    configure_logging(verbose)
    app = bootstrap()
    require_schema(app)
    require_broker(app.settings.broker_url)
    running = start(app, scheduler=True)
    logging.getLogger("koers").info("scheduler started (leader: %s)", running.scheduler and running.scheduler.is_leader)
    wait_for_signal()
    running.stop()
    app.dispose()


@click.command()
@click.option("--threads", default=4, show_default=True, help="Werkthreads.")
@click.option("-v", "--verbose", is_flag=True)
def run(threads: int, verbose: bool) -> None:
    """Alles in één proces: werkers en planner (standaard op SQLite met een interne broker).

    Met een [mailbox] in de configuratie leest het ook de antwoorden uit dat postvak (zoals koers mail-fetch).
    """
    configure_logging(verbose)
    app = bootstrap(threads=threads + 5)  # and the scheduler, the mail gateway, the console and the mail fetcher
    mailbox = configured_mailbox(app.settings)
    migrate.upgrade(app.engine)  # a fresh home gets its database here: `koers run` needs nothing done first
    with app.sessions.begin() as session:
        sync_reference_data(session)
    require_broker(app.settings.broker_url)
    require_smtp(app.settings.smtp_url)
    running = start(app, worker_threads=threads, scheduler=True, gateway_listen=app.settings.inbound_listen,
                    web_listen=app.settings.web_listen, mailbox=mailbox)  # fmt: skip
    click.echo(f"koers run: console op http://{app.settings.web_listen}/ (gebruikers: koers users add)")
    click.echo(f"koers run: mail-gateway op {app.settings.inbound_listen}")
    if mailbox is not None:
        click.echo(f"koers run: leest antwoorden uit {mailbox.location}{mailbox.inbox}")
    click.echo(f"koers run: database {app.engine.url.render_as_string(hide_password=True)}, "
               f"broker {'RabbitMQ' if app.settings.broker_url else 'in-process'}, "
               f"e-mail {app.settings.smtp_url or app.settings.spool_dir}")  # fmt: skip
    wait_for_signal()
    running.stop()
    app.dispose()
