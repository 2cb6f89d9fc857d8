"""``koers dead-letters``: messages that exhausted their retries; list, replay, discard."""

from __future__ import annotations

import getpass
import json
import sys

import click

from workers.bootstrap import bootstrap
from workers.dead_letters import DeadLetterError, discard, list_dead_letters, replay
from workflows.states import DeadLetterState


@click.group(name="dead-letters")
def dead_letters() -> None:
    """Berichten die na alle pogingen mislukten (duurzaam bewaard)."""


@dead_letters.command(name="list")
@click.option("--all", "show_all", is_flag=True, help="Ook opnieuw aangeboden en weggegooide.")
@click.option("--json", "as_json", is_flag=True, help="Eén JSON-document op stdout.")
def list_command(show_all: bool, as_json: bool) -> None:
    """Toon de dead letters (standaard alleen de openstaande)."""
    app = bootstrap()
    with app.sessions() as session:
        rows = list_dead_letters(session, None if show_all else DeadLetterState.DEAD)
    app.dispose()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        click.echo("geen dead letters")
    for r in rows:
        click.echo(f"{r['id']:>6}  {r['failed_at'][:19]}  {r['actor']}{tuple(r['args'])}  {r['state']}  {r['error']}")


def _act(action: str, dead_letter_id: int, reason: str | None = None) -> None:
    app = bootstrap()
    who = f"cli:{getpass.getuser()}"
    try:
        with app.sessions.begin() as session:
            if action == "replay":
                replay(session, dead_letter_id, who, app.clock())
            else:
                discard(session, dead_letter_id, who, reason or "", app.clock())
    except DeadLetterError as exc:
        click.echo(f"koers dead-letters: {exc}", err=True)
        sys.exit(1)
    finally:
        app.dispose()
    click.echo(f"dead letter {dead_letter_id}: {'opnieuw aangeboden' if action == 'replay' else 'weggegooid'}")


@dead_letters.command(name="replay")
@click.argument("dead_letter_id", type=int)
def replay_command(dead_letter_id: int) -> None:
    """Bied het bericht opnieuw aan (via de outbox)."""
    _act("replay", dead_letter_id)


@dead_letters.command(name="discard")
@click.argument("dead_letter_id", type=int)
@click.option("--reason", required=True, help="Waarom het bericht weg mag.")
def discard_command(dead_letter_id: int, reason: str) -> None:
    """Gooi het bericht weg, met een reden (audit)."""
    _act("discard", dead_letter_id, reason)
