"""``koers mail-gateway`` and ``koers replies import``: receiving replies."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import click

from messaging.inbound import MessageTooLargeError
from schema.runtime_models import InboundMessage
from workers.bootstrap import bootstrap
from workers.cli.processes import configure_logging
from workers.inbound_store import store_inbound
from workers.mail_gateway import MAX_MESSAGE_BYTES, gateway_handler, start_gateway
from workers.runner import wait_for_signal
from workers.services import build_services
from workflows.labels import INBOUND_OUTCOMES, label
from workflows.states import InboundSource, InboundState


@click.command(name="mail-gateway")
@click.option("--listen", default=None, help="HOST:PORT (standaard [inbound] listen uit de configuratie).")
@click.option("-v", "--verbose", is_flag=True)
def mail_gateway(listen: str | None, verbose: bool) -> None:
    """SMTP-server voor antwoorden: slaat elk bericht op vóór het 250 antwoordt."""
    configure_logging(verbose)
    app = bootstrap()
    address = listen or app.settings.inbound_listen
    controller = start_gateway(gateway_handler(app), address)
    logging.getLogger("koers").info("mail-gateway listening on %s for @%s (%s)", address, app.settings.reply_domain,
                                    app.settings.inbound.authentication.value)  # fmt: skip
    wait_for_signal()
    controller.stop()
    app.dispose()


@click.group()
def replies() -> None:
    """Antwoorden van gemeenten."""


@replies.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Eén JSON-document op stdout.")
def import_replies(files: tuple[Path, ...], as_json: bool) -> None:
    """Lees .eml-bestanden (bijv. een export van een mailbox) via dezelfde verwerking als de gateway."""
    app = bootstrap()
    services = build_services(app)
    results: list[dict[str, object]] = []
    for path in files:
        raw = path.read_bytes()
        if len(raw) > MAX_MESSAGE_BYTES:
            results.append({"file": str(path), "state": InboundState.REJECTED.value,
                            "reason": "bericht is groter dan 10 MB"})
            continue
        with app.sessions.begin() as session:
            inbound_id = store_inbound(session, raw, source=InboundSource.IMPORT, envelope_from=None, envelope_to=[],
                                       now=app.clock())  # fmt: skip
        try:
            state = services.replies.process(inbound_id)
        except MessageTooLargeError:
            state = InboundState.REJECTED.value
        with app.sessions() as session:
            row = session.get(InboundMessage, inbound_id)
            reason = row.reason if row else None
        results.append({"file": str(path), "inbound_id": inbound_id, "state": state, "reason": reason})
    services.mailer_close()
    app.dispose()
    if as_json:
        click.echo(json.dumps(results, ensure_ascii=False))
        return
    for r in results:
        state = str(r["state"])
        click.echo(f"{r['file']}: {label(INBOUND_OUTCOMES, state)} — {r['reason']}")
