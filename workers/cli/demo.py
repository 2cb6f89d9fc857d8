"""``koers demo``: the whole flow on synthetic data, on the embedded default.

Runs in a fresh SQLite database under ``KOERS_HOME/demo`` unless KOERS_DATABASE_URL is set (then
against that database, with a seed of its own so that earlier demo cases stay untouched).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace

import click
from sqlalchemy import func, select

from schema import migrate
from schema.models import CaseRow, MunicipalityRow
from schema.reference_sync import sync_reference_data
from workers.bootstrap import App, bootstrap
from workers.cli.intake import ingest_file, print_summary
from workers.intake import LOCAL
from workers.settings import load_settings
from workers.synthetic import FeedMix, generate_records, write_feed
from workers.wiring import intake_service


def _demo_app(seed: int | None) -> tuple[App, int]:
    settings = load_settings()
    if settings.database_url.startswith("sqlite"):
        folder = settings.home / "demo"
        folder.mkdir(parents=True, exist_ok=True)
        for leftover in folder.glob("koers.db*"):
            leftover.unlink()
        settings = replace(settings, home=folder, database_url=f"sqlite:///{folder / 'koers.db'}")
        return bootstrap(settings), seed if seed is not None else 2019
    return bootstrap(settings), seed if seed is not None else int(time.time()) % 100_000


@click.command()
@click.option("--cases", "count", default=400, show_default=True, help="Aantal synthetische zelfmelders.")
@click.option("--seed", type=int, default=None, help="Zaad voor de synthetische aanlevering (standaard 2019).")
def demo(count: int, seed: int | None) -> None:
    """Een complete run op synthetische gegevens: aanlevering, routering en wat er gebeurde."""
    app, seed = _demo_app(seed)
    click.echo(f"Koers demo — database {app.engine.url.render_as_string(hide_password=True)}")
    migrate.upgrade(app.engine)
    with app.sessions.begin() as session:
        sync_reference_data(session)
    today = app.clock().astimezone(LOCAL).date()
    feed = app.settings.home / f"aanlevering-{seed}.csv"
    written = write_feed(feed, generate_records(count, seed=seed, today=today, mix=FeedMix()), delimiter=";")
    click.echo(f"Synthetische aanlevering: {written} records in {feed}")
    started = time.monotonic()
    summary = ingest_file(app, intake_service(app), feed)
    elapsed = time.monotonic() - started
    print_summary(summary)
    click.echo(f"Verwerkt in {elapsed:.2f} s ({summary.received / max(elapsed, 1e-6):,.0f} records/s)")
    _print_routing(app)
    app.dispose()


def _print_routing(app: App) -> None:
    with app.sessions() as session:
        per_province = session.execute(
            select(MunicipalityRow.province, func.count(CaseRow.id))
            .join(CaseRow, CaseRow.cbs_code == MunicipalityRow.cbs_code)
            .group_by(MunicipalityRow.province)
            .order_by(MunicipalityRow.province)
        ).all()
        methods = Counter(dict(session.execute(
            select(CaseRow.routing_method, func.count()).group_by(CaseRow.routing_method)).all()))
        open_questions = session.execute(
            select(CaseRow.dji_id, CaseRow.routing_method, CaseRow.routing_candidates)
            .where(CaseRow.state == "needs_routing").order_by(CaseRow.id).limit(10)
        ).all()
    click.echo("Zaken per provincie: " + ", ".join(f"{p} {n}" for p, n in per_province))
    click.echo("Gerouteerd op: " + ", ".join(f"{m} {n}" for m, n in methods.most_common()))
    if open_questions:
        click.echo("Gemeente onduidelijk (een operator kiest):")
        for dji_id, method, candidates in open_questions:
            click.echo(f"  {dji_id}: {method}; kandidaten {', '.join(candidates) or 'geen'}")


__all__ = ["demo"]
