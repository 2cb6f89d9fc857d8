"""``koers case reroute|close|escalate|resend|pause|resume|update-date``: an operator acts on one case.

Each command locks the case through the case store, lets the engine decide, writes the changes with
their audit event (``cli:<user>``, the action and the reason) and the outbox messages that send the
emails; a running ``koers run`` or ``koers scheduler`` publishes them. Exit codes: 0 done (also when
the action already held: nothing changed, as the output says), 1 refused or no such case (one Dutch
line on stderr), 2 a usage error.
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable
from datetime import date
from typing import NoReturn

import click
from sqlalchemy.exc import OperationalError

from schema.case_actions import ActionResult
from schema.case_store import CaseActionError
from workers.bootstrap import App, bootstrap
from workers.case_actions import case_id_of, perform
from workers.contacts import Contacts
from workers.services import case_store
from workflows.calendar import WorkdayCalendar
from workflows.events import OperatorAction, OperatorActionKind


class DateType(click.ParamType):
    """A date as ``JJJJ-MM-DD``, refused in Dutch (exit code 2)."""

    name = "JJJJ-MM-DD"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is geen datum; schrijf JJJJ-MM-DD, bijvoorbeeld 2026-06-15", param, ctx)


DATE = DateType()
_REASON = click.option("--reason", default="", help="Waarom (verplicht; komt in het auditlog, niet in een e-mail).")
_JSON = click.option("--json", "as_json", is_flag=True, help="Eén JSON-document op stdout.")


def run_action(name: str, dji_id: str, make: Callable[[str], OperatorAction], reason: str, as_json: bool) -> None:
    """Look the case up, carry out the action, print the result; exit 1 with one Dutch line when refused."""
    if not reason.strip():
        raise click.UsageError("geef een reden met --reason")
    app = bootstrap()
    try:
        result = _act(app, dji_id, make(reason))
    except CaseActionError as exc:
        _fail(name, str(exc))
    except OperationalError:
        _fail(name, "de database is niet bereikbaar (KOERS_DATABASE_URL); controleer of PostgreSQL draait")
    finally:
        app.dispose()
    if as_json:
        click.echo(json.dumps({"dji_id": dji_id, **result.as_json()}, ensure_ascii=False))
    else:
        click.echo(result.message)


def _act(app: App, dji_id: str, action: OperatorAction) -> ActionResult:
    contacts = Contacts(app.settings)
    store = case_store(app, WorkdayCalendar(), contacts)
    with app.sessions() as session:
        case_id = case_id_of(session, dji_id)
    if case_id is None:
        raise CaseActionError(f"geen zaak met dji_id {dji_id}")
    with store.case(case_id) as case:
        return perform(case, action, contacts=contacts, by=f"cli:{getpass.getuser()}", now=app.clock())


def _fail(name: str, message: str) -> NoReturn:
    click.echo(f"koers case {name}: {message}", err=True)
    sys.exit(1)


@click.command()
@click.argument("dji_id")
@click.argument("cbs_code", metavar="GMxxxx")
@_REASON
@_JSON
def reroute(dji_id: str, cbs_code: str, reason: str, as_json: bool) -> None:
    """Zet de zaak over naar een andere gemeente: wat klaarstond voor de oude gemeente vervalt, die krijgt
    bericht, en de nieuwe gemeente krijgt de melding met de brief en alle termijnen opnieuw."""
    code = cbs_code.strip().upper()
    run_action("reroute", dji_id, lambda why: OperatorAction(OperatorActionKind.REROUTE, why, municipality=code),
               reason, as_json)  # fmt: skip


@click.command()
@click.argument("dji_id")
@_REASON
@_JSON
def close(dji_id: str, reason: str, as_json: bool) -> None:
    """Sluit de zaak nu: alle geplande termijnen vervallen."""
    run_action("close", dji_id, lambda why: OperatorAction(OperatorActionKind.CLOSE, why), reason, as_json)


@click.command()
@click.argument("dji_id")
@click.option("--reason", default="", help="Waarom (verplicht; in het auditlog en in de e-mail aan de coördinator).")
@_JSON
def escalate(dji_id: str, reason: str, as_json: bool) -> None:
    """Escaleer nu naar de coördinator van de provincie (de reden gaat mee); al geëscaleerd: niets."""
    run_action("escalate", dji_id, lambda why: OperatorAction(OperatorActionKind.ESCALATE, why), reason, as_json)


@click.command()
@click.argument("dji_id")
@click.option("--to", "to", default=None, metavar="ADRES",
              help="Naar dit adres van de gemeente (bijvoorbeeld na een onbestelbare melding).")
@_REASON
@_JSON
def resend(dji_id: str, to: str | None, reason: str, as_json: bool) -> None:
    """Verstuur de melding met de brief opnieuw, aan het ingestelde adres of aan --to."""
    run_action("resend", dji_id, lambda why: OperatorAction(OperatorActionKind.RESEND_NOTIFICATION, why, to=to),
               reason, as_json)  # fmt: skip


@click.command()
@click.argument("dji_id")
@click.option("--until", "until", type=DATE, default=None, help="Pauze tot deze datum (verplicht), vóór de einddatum.")
@_REASON
@_JSON
def pause(dji_id: str, until: date | None, reason: str, as_json: bool) -> None:
    """Pauzeer de zaak: de termijnen wachten tot --until en worden dan opnieuw berekend."""
    if until is None:
        raise click.UsageError("geef de einddatum van de pauze met --until JJJJ-MM-DD")
    run_action("pause", dji_id, lambda why: OperatorAction(OperatorActionKind.PAUSE, why, until=until), reason,
               as_json)  # fmt: skip


@click.command()
@click.argument("dji_id")
@_REASON
@_JSON
def resume(dji_id: str, reason: str, as_json: bool) -> None:
    """Hef de pauze op: de termijnen die wachtten worden opnieuw berekend."""
    run_action("resume", dji_id, lambda why: OperatorAction(OperatorActionKind.RESUME, why), reason, as_json)


@click.command("update-date")
@click.argument("dji_id")
@click.argument("new_date", metavar="JJJJ-MM-DD", type=DATE)
@_REASON
@_JSON
def update_date(dji_id: str, new_date: date, reason: str, as_json: bool) -> None:
    """Nieuwe melding- of vrijlatingsdatum (uitstel): de termijnen worden opnieuw berekend; ligt de datum zo
    dichtbij dat de zaak spoed heeft, dan wordt meteen geëscaleerd."""
    run_action("update-date", dji_id,
               lambda why: OperatorAction(OperatorActionKind.UPDATE_DATE, why, deadline=new_date),
               reason, as_json)  # fmt: skip


ACTION_COMMANDS = (reroute, close, escalate, resend, pause, resume, update_date)
