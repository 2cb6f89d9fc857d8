"""The ``koers`` command line. Every command has ``--help``; ``--json`` prints one JSON document."""

from __future__ import annotations

import os

import click

from schema.private_files import PRIVATE_UMASK
from workers.cli.cases import case
from workers.cli.db import db
from workers.cli.dead_letters import dead_letters
from workers.cli.demo import demo
from workers.cli.errors import DEBUG_KEY, KoersGroup
from workers.cli.intake import intake, watch
from workers.cli.mail import mail_gateway, replies
from workers.cli.mailbox import mail_fetch
from workers.cli.processes import run, scheduler, worker
from workers.cli.purge import purge
from workers.cli.status_report import report, status
from workers.cli.web import tokens, users, web


@click.group(cls=KoersGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="koers")
@click.option("--debug", is_flag=True, help="Toon bij een fout de volledige traceback in plaats van één regel.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Koers: de zelfmelders-aanpak van Koers & Kansen 3Noord als workflow.

    Configuratie via KOERS_DATABASE_URL, KOERS_BROKER_URL, KOERS_SMTP_URL, KOERS_CONFIG en
    KOERS_SECRET_KEY; zonder omgeving draait alles in één proces op SQLite. Een fout in de
    configuratie, de database, RabbitMQ of de SMTP-server meldt zich als één regel met wat er
    mis is en wat u kunt doen (afsluitcode 1; 2 bij een verkeerd gebruikte opdracht).
    """
    ctx.meta[DEBUG_KEY] = debug


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
    # Everything Koers writes (database, spool, key, intake results) holds personal data: owner-only from
    # the start, also what a library (SQLite's journal, a log handler) creates on Koers' behalf.
    os.umask(PRIVATE_UMASK)
    cli(prog_name="koers")
