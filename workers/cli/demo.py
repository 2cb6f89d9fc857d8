"""``koers demo``: the whole flow on synthetic data, on the embedded default.

A fresh SQLite database under ``KOERS_HOME/demo`` (unless KOERS_DATABASE_URL is set: then that
database, with a seed of its own), the in-process broker, worker threads and scheduler of
``koers run``, and timers in seconds instead of working days, so that notifications, reminders
and escalations all happen within a minute. Mail goes to the spool folder (or KOERS_SMTP_URL).
"""

from __future__ import annotations

import logging
import secrets
import socket
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import click
from sqlalchemy import func, select

from messaging.sender_auth import AuthMode
from schema import migrate
from schema.models import CaseRow, MunicipalityRow
from schema.reference_sync import sync_reference_data
from schema.report_queries import monitoring_report
from schema.runtime_models import InboundMessage, OutboundEmail
from workers.bootstrap import App, bootstrap
from workers.cli.intake import ingest_file, print_summary
from workers.cli.processes import configure_logging
from workers.demo import MISSING_EXTRA, has_faker
from workers.demo.staff_simulation import DEMO_RELAY, StaffSimulation
from workers.intake import LOCAL
from workers.mail_settings import InboundConfig
from workers.report_export import report_text
from workers.runner import Running, start, wait_for_signal
from workers.services import secret_key
from workers.settings import load_settings
from workers.web.accounts import add_user
from workers.web.app import create_app
from workers.web.server import WebServer
from workers.wiring import intake_service
from workflows.durations import parse_duration
from workflows.labels import CASE_STATES, INBOUND_STATES, label
from workflows.model import CaseState
from workflows.states import InboundState

DEMO_TIMERS = {"first_reminder": "PT5S", "second_reminder": "PT10S", "escalate_after": "PT15S",
               "partial_follow_up": "PT5S"}  # fmt: skip

# Stages in which a case waits for nobody but a person (or is done): the flow has run its course.
_AT_REST = (CaseState.NEEDS_ROUTING, CaseState.ESCALATED, CaseState.CLOSED)


# The demo plays the municipalities' mail relay too: its staff's replies carry the relay's
# Authentication-Results (DMARC pass), which the gateway on 127.0.0.1 trusts in trusted-relay mode.
# The same rules as in production decide; only who vouches for the sender is simulated.
DEMO_INBOUND = InboundConfig(authentication=AuthMode.TRUSTED_RELAY, authserv_id=DEMO_RELAY,
                             max_connections_per_ip=100, max_messages_per_minute=100_000)  # fmt: skip


def _demo_app(seed: int | None) -> tuple[App, int]:
    settings = load_settings()
    timers = dict(settings.timers) | {k: parse_duration(v) for k, v in DEMO_TIMERS.items()}
    settings = replace(settings, timers=timers, sweep_interval=0.5, relay_interval=0.2, reconcile_interval=5.0,
                       inbound=DEMO_INBOUND)  # fmt: skip
    if settings.database_url.startswith("sqlite"):
        folder = settings.home / "demo"
        folder.mkdir(parents=True, exist_ok=True)
        for leftover in [*folder.glob("koers.db*"), *folder.glob("spool/*.eml")]:
            leftover.unlink()
        settings = replace(settings, home=folder, database_url=f"sqlite:///{folder / 'koers.db'}")
        return bootstrap(settings), seed if seed is not None else 2019
    return bootstrap(settings), seed if seed is not None else int(time.time()) % 100_000


@click.command()
@click.option("--cases", "count", default=200, show_default=True, help="Aantal synthetische zelfmelders.")
@click.option("--seed", type=int, default=None, help="Zaad voor de synthetische aanlevering (standaard 2019).")
@click.option("--wait", "max_wait", default=90, show_default=True, help="Maximaal zoveel seconden op de flow wachten.")
@click.option("--console/--no-console", default=True, show_default=True,
              help="Laat daarna de webconsole draaien om rond te kijken (stoppen met Ctrl-C).")
@click.option("-v", "--verbose", is_flag=True, help="Logregels van werkers en planner tonen.")
def demo(count: int, seed: int | None, max_wait: int, console: bool, verbose: bool) -> None:
    """Een complete run op synthetische gegevens: aanlevering, routering, melding, antwoorden, escalatie."""
    if not has_faker():  # one line that names the fix, not a traceback
        click.echo(MISSING_EXTRA, err=True)
        sys.exit(1)
    configure_logging(verbose, level=logging.WARNING)
    app, seed = _demo_app(seed)
    click.echo(f"Koers demo — database {app.engine.url.render_as_string(hide_password=True)}")
    click.echo("Termijnen in seconden: " + ", ".join(f"{k} {app.settings.timers[k]}" for k in DEMO_TIMERS))
    click.echo(f"Antwoorden via de mail-gateway; afzenders gecontroleerd door een gesimuleerde relay ({DEMO_RELAY}, "
               "trusted-relay)")  # fmt: skip
    migrate.upgrade(app.engine)
    with app.sessions.begin() as session:
        sync_reference_data(session)
    port = _free_port()
    running = start(app, worker_threads=4, scheduler=True, gateway_listen=f"127.0.0.1:{port}")
    staff = StaffSimulation(app.sessions, app.settings, secret_key(app.settings), ("127.0.0.1", port), seed)
    try:
        feed = _synthetic_feed(app, count, seed)
        summary = ingest_file(app, intake_service(app), feed)
        print_summary(summary)
        _follow_flow(app, staff, max_wait)
        _print_outcome(app)
        _print_report(app)
        if console:
            _show_console(app, running)
    finally:
        running.stop()
    app.dispose()


def _synthetic_feed(app: App, count: int, seed: int) -> Path:
    # Imported here: it needs Faker (the demo extra), which the other commands must not.
    from workers.demo.synthetic import FeedMix, generate_records, write_feed

    today = app.clock().astimezone(LOCAL).date()
    feed = app.settings.home / f"aanlevering-{seed}.csv"
    written = write_feed(feed, generate_records(count, seed=seed, today=today, mix=FeedMix()), delimiter=";")
    click.echo(f"\nSynthetische aanlevering: {written} records in {feed}")
    return feed


def _states(app: App) -> Counter[str]:
    with app.sessions() as session:
        rows = session.execute(select(CaseRow.state, func.count()).group_by(CaseRow.state)).all()
        return Counter({state: int(n) for state, n in rows})


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _follow_flow(app: App, staff: StaffSimulation, max_wait: int) -> None:
    """Show the cases moving through the flow until every started case is escalated or closed."""
    click.echo("\nDe flow loopt (melding → antwoorden van gemeenten via SMTP → herinneringen → escalatie):")
    started = time.monotonic()
    last = ""
    while time.monotonic() - started < max_wait:
        staff.step(app.clock())
        states = _states(app)
        line = ", ".join(f"{label(CASE_STATES, s)} {n}" for s, n in sorted(states.items()))
        if line != last:
            click.echo(f"  {time.monotonic() - started:5.1f} s  {line}")
            last = line
        moving = sum(n for s, n in states.items() if s not in _AT_REST)
        if not moving and not staff.pending and not _unread_replies(app):
            click.echo(f"  gemeenten stuurden {staff.sent} antwoorden")
            return
        time.sleep(0.5)
    click.echo(f"  gestopt na {max_wait} s; de rest loopt door bij een volgende `koers run`")


def _print_report(app: App) -> None:
    with app.sessions() as session:
        report = monitoring_report(session, date_from=None, date_to=None)
    click.echo("\nMonitoring (zoals de regio rapporteert):\n")
    click.echo(report_text(report))


def _show_console(app: App, running: Running) -> None:
    """Start the console on a free port with a fresh operator account, until Ctrl-C."""
    password = secrets.token_urlsafe(12)
    with app.sessions.begin() as session:
        add_user(session, "demo", role="operator", password=password, now=app.clock(), actor="demo")
    address = f"127.0.0.1:{_free_port()}"
    running.web = WebServer(create_app(app, running.services), address).start()
    click.echo(f"\nDe console draait op http://{address}/ — gebruiker demo, wachtwoord {password}")
    click.echo("De werkers en de planner lopen door; stoppen met Ctrl-C.")
    wait_for_signal()


def _unread_replies(app: App) -> int:
    with app.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(InboundMessage)
                                  .where(InboundMessage.state == InboundState.RECEIVED)) or 0)  # fmt: skip


def _print_outcome(app: App) -> None:
    with app.sessions() as session:
        emails = session.execute(
            select(OutboundEmail.kind, OutboundEmail.state, func.count()).group_by(OutboundEmail.kind,
                                                                                   OutboundEmail.state)
        ).all()  # fmt: skip
        per_province = session.execute(
            select(MunicipalityRow.province, func.count(CaseRow.id))
            .join(CaseRow, CaseRow.cbs_code == MunicipalityRow.cbs_code)
            .group_by(MunicipalityRow.province).order_by(MunicipalityRow.province)
        ).all()  # fmt: skip
        urgent = session.scalar(select(func.count()).select_from(CaseRow).where(CaseRow.urgent.is_(True)))
        open_questions = session.execute(
            select(CaseRow.dji_id, CaseRow.routing_method, CaseRow.routing_candidates)
            .where(CaseRow.state == CaseState.NEEDS_ROUTING).order_by(CaseRow.id).limit(10)
        ).all()  # fmt: skip
    click.echo("\nZaken per status:")
    for state, n in sorted(_states(app).items()):
        click.echo(f"  {label(CASE_STATES, state):<40} {n:>5}")
    click.echo(f"  waarvan urgent (meldingsdatum binnen 5 werkdagen)  {urgent}")
    click.echo("Zaken per provincie: " + ", ".join(f"{p} {n}" for p, n in per_province))
    click.echo("E-mails:")
    for kind, state, n in sorted(emails):
        click.echo(f"  {kind:<16} {state:<12} {n:>5}")
    target = app.settings.smtp_url or app.settings.spool_dir
    click.echo(f"De e-mails staan in {target}")
    with app.sessions() as session:
        inbound = session.execute(select(InboundMessage.state, func.count()).group_by(InboundMessage.state)).all()
        outcomes = session.execute(
            select(CaseRow.outcome_contact, CaseRow.outcome_contact_form, CaseRow.outcome_actions, func.count())
            .group_by(CaseRow.outcome_contact, CaseRow.outcome_contact_form, CaseRow.outcome_actions)
        ).all()  # fmt: skip
        review = session.scalar(select(func.count()).select_from(CaseRow).where(CaseRow.review_reason.is_not(None)))
    click.echo("Antwoorden van gemeenten: " + ", ".join(f"{label(INBOUND_STATES, s)} {n}" for s, n in sorted(inbound)))
    click.echo(f"Zaken met een antwoord dat een mens moet bekijken: {review}")
    click.echo("Uitkomsten (contact / vorm / acties):")
    for contact, form, actions, n in sorted(outcomes, key=lambda r: -r[3]):
        click.echo(f"  {contact:<8} {form or '-':<8} {actions:<8} {n:>5}")
    if open_questions:
        click.echo("Gemeente onduidelijk (een operator kiest; zie `koers case show DJI_ID`):")
        names = app.registry.municipalities
        for dji_id, method, candidates in open_questions:
            listed = ", ".join(f"{names[c].name} ({c})" if c in names else c for c in candidates) or "geen"
            click.echo(f"  {dji_id}: {method}; kandidaten {listed}")
