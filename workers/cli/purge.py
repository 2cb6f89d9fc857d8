"""``koers purge``: remove personal data of cases closed longer ago than the retention period.

The scheduler leader does this every hour; the command is for an operator who wants it done now
(after lowering the retention, say) or wants to see first what it would clear.
"""

from __future__ import annotations

import getpass
import json

import click

from schema.retention import due_for_purge, purge_closed_cases, purge_unlinked_records
from workers.bootstrap import bootstrap


@click.command()
@click.option("--dry-run", is_flag=True, help="Alleen tellen wat verwijderd zou worden.")
@click.option("--json", "as_json", is_flag=True, help="Eén JSON-document op stdout.")
def purge(dry_run: bool, as_json: bool) -> None:
    """Verwijder persoonsgegevens van zaken die langer dan de bewaartermijn gesloten zijn.

    De zaak blijft bestaan met gemeente, data, strafduur, status en uitkomst (voor de
    rapportage), net als het auditlog; namen, adres, contactgegevens, toelichtingen, het
    ruwe aanleverrecord en de ruwe antwoordmails verdwijnen. De bewaartermijn komt uit de
    configuratie (`retention`, standaard een jaar).
    """
    app = bootstrap()
    retention, actor = app.settings.retention, f"cli:{getpass.getuser()}"
    try:
        with app.sessions() as session:
            due = due_for_purge(session, now=app.clock(), retention=retention)
        done = {"cases": 0, "records": 0}
        if not dry_run:
            while True:  # batches of 5,000, each its own transaction, so a long purge keeps its progress
                with app.sessions.begin() as session:
                    n = purge_closed_cases(session, now=app.clock(), retention=retention, actor=actor)
                if n == 0:
                    break
                done["cases"] += n
                if not as_json:
                    click.echo(f"zaken opgeschoond: {done['cases']} van {due['cases']}", err=True)
            with app.sessions.begin() as session:
                done["records"] = purge_unlinked_records(session, now=app.clock(), retention=retention)
    finally:
        app.dispose()
    result = {"dry_run": dry_run, "retention_days": retention.days, "due": due, "purged": done}
    if as_json:
        click.echo(json.dumps(result))
    elif dry_run:
        click.echo(f"bewaartermijn {retention.days} dagen: {due['cases']} zaken en {due['records']} losse "
                   f"records/mails zouden worden opgeschoond (niets gewijzigd)")  # fmt: skip
    else:
        click.echo(f"bewaartermijn {retention.days} dagen: {done['cases']} zaken en {done['records']} losse "
                   f"records/mails opgeschoond")  # fmt: skip
