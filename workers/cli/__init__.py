"""The ``koers`` command line. Every command has ``--help``; ``--json`` prints one JSON document."""

from __future__ import annotations

import sys

import click

from workers.cli.cases import case
from workers.cli.db import db
from workers.cli.dead_letters import dead_letters
from workers.cli.demo import demo
from workers.cli.intake import intake, watch
from workers.cli.mail import mail_gateway, replies
from workers.cli.mailbox import mail_fetch
from workers.cli.processes import run, scheduler, worker
from workers.cli.purge import purge
from workers.cli.status_report import report, status
from workers.cli.web import tokens, users, web
from workers.settings import ConfigError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="koers")
def cli() -> None:
    """Koers: de zelfmelders-aanpak van Koers & Kansen 3Noord als workflow.

    Configuratie via KOERS_DATABASE_URL, KOERS_BROKER_URL, KOERS_SMTP_URL, KOERS_CONFIG en
    KOERS_SECRET_KEY; zonder omgeving draait alles in één proces op SQLite.
    """


for command in (
    db,
    intake,
    watch,
    case,
    demo,
    worker,
    scheduler,
    run,
    dead_letters,
    mail_gateway,
    mail_fetch,
    replies,
    web,
    users,
    tokens,
    purge,
):
    cli.add_command(command)
cli.add_command(status)
cli.add_command(report)


def main() -> None:
    try:
        cli(prog_name="koers")
    except ConfigError as exc:
        click.echo(f"koers: configuratiefout: {exc}", err=True)
        sys.exit(2)
