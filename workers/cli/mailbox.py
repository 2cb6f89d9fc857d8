"""``koers mail-fetch``: read replies from the IMAP mailbox of ``[mailbox]`` (mailbox mode)."""

from __future__ import annotations

import json
import logging
import sys

import click

from workers.bootstrap import bootstrap
from workers.cli.processes import configure_logging
from workers.mail_fetch import FetchCounts, MailboxStore, MailFetcher, configured_mailbox
from workers.mailbox_client import MailboxError
from workers.runner import FetcherThread, wait_for_signal
from workers.settings import ConfigError


@click.command(name="mail-fetch")
@click.option("--once", is_flag=True, help="Verwerk wat nu in het postvak staat en stop (voor cron en tests).")
@click.option("--json", "as_json", is_flag=True, help="Met --once: één JSON-document op stdout.")
@click.option("-v", "--verbose", is_flag=True)
def mail_fetch(once: bool, as_json: bool, verbose: bool) -> None:
    """Lees antwoorden uit het IMAP-postvak van [mailbox] (IDLE waar de server het biedt, anders periodiek).

    Elk bericht wordt eerst opgeslagen en pas daarna naar de map 'processed' verplaatst; een te groot
    of onleesbaar bericht gaat zonder opslaan naar de map 'quarantine'. Het wachtwoord komt uit
    KOERS_IMAP_PASSWORD.
    """
    if as_json and not once:
        raise click.UsageError("--json kan alleen met --once")
    configure_logging(verbose, logging.INFO if not once else logging.WARNING)
    app = bootstrap()
    settings = configured_mailbox(app.settings)
    if settings is None:
        raise ConfigError("geen [mailbox] in de configuratie (KOERS_CONFIG); zie config/koers.example.toml")
    fetcher = MailFetcher(settings, MailboxStore(app.sessions, app.clock))
    try:
        if once:
            _once(fetcher, as_json)
        else:
            _forever(fetcher)
    finally:
        app.dispose()


def _once(fetcher: MailFetcher, as_json: bool) -> None:
    try:
        counts = fetcher.fetch_once()
    except MailboxError as exc:
        click.echo(f"koers mail-fetch: {exc}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(counts.as_dict()))
    else:
        click.echo(summary(counts))


def summary(counts: FetchCounts) -> str:
    return (f"mail-fetch: {counts.stored} opgeslagen, {counts.already_stored} al eerder opgeslagen (nu verplaatst), "
            f"{counts.quarantined} in quarantaine (te groot of onleesbaar)")  # fmt: skip


def _forever(fetcher: MailFetcher) -> None:
    thread = FetcherThread(fetcher)
    wait_for_signal()
    thread.stop()
