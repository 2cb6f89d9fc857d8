"""``koers db``: create or migrate the database and load the reference data."""

from __future__ import annotations

import click

from schema import migrate
from schema.reference_sync import sync_reference_data
from workers.bootstrap import bootstrap


@click.group()
def db() -> None:
    """Database beheren."""


@db.command()
def upgrade() -> None:
    """Maak of migreer de database en laad de gemeentelijke referentiegegevens."""
    app = bootstrap()
    migrate.upgrade(app.engine)
    with app.sessions.begin() as session:
        counts = sync_reference_data(session)
    revision = migrate.current_revision(app.engine)
    click.echo(f"database op versie {revision}: {app.engine.url.render_as_string(hide_password=True)}")
    click.echo("referentiegegevens: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    app.dispose()
