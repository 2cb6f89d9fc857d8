"""``koers purge``: remove personal data of cases closed longer ago than the retention period.

The scheduler leader does this every hour; the command is for an operator who wants it done now
(after lowering the retention, say) or wants to see first what it would clear.
"""

from __future__ import annotations

import getpass
import json

import click

from schema.retention import due_for_purge
from workers.bootstrap import bootstrap
from workers.purge import purge as run_purge


@click.command()
@click.option("--dry-run", is_flag=True, help="Alleen tellen wat verwijderd zou worden.")
@click.option("--json", "as_json", is_flag=True, help="Eén JSON-document op stdout.")
def purge(dry_run: bool, as_json: bool) -> None:
    """Verwijder persoonsgegevens van zaken die langer dan de bewaartermijn gesloten zijn.

    De zaak blijft bestaan met gemeente, data, strafduur, status en uitkomst (voor de
    rapportage), net als het auditlog (wat er gebeurde, wanneer en door wie); namen, adres,
    contactgegevens, toelichtingen, vrije tekst in het auditlog, het ruwe aanleverrecord, de
    ruwe antwoordmails en de e-mails in de spoolmap verdwijnen. De bewaartermijn komt uit de
    configuratie (`retention`, standaard een jaar).
    """
    app = bootstrap()
    actor = f"cli:{getpass.getuser()}"
    try:
        with app.sessions() as session:
            due = due_for_purge(session, now=app.clock(), retention=app.settings.retention)
        done = {"cases": 0, "records": 0, "spool_files": 0}
        if not dry_run:
            def progress(cases: int) -> None:
                if not as_json:
                    click.echo(f"zaken opgeschoond: {cases} van {due['cases']}", err=True)

            done = run_purge(app, actor=actor, progress=progress)
    finally:
        app.dispose()
    retention = app.settings.retention
    result = {"dry_run": dry_run, "retention_days": retention.days, "due": due, "purged": done}
    if as_json:
        click.echo(json.dumps(result))
    elif dry_run:
        click.echo(f"bewaartermijn {retention.days} dagen: {due['cases']} zaken en {due['records']} losse "
                   f"records/mails zouden worden opgeschoond (niets gewijzigd)")  # fmt: skip
    else:
        click.echo(f"bewaartermijn {retention.days} dagen: {done['cases']} zaken en {done['records']} losse "
                   f"records/mails opgeschoond, {done['spool_files']} e-mailbestanden verwijderd")  # fmt: skip
