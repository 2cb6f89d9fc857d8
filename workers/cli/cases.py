"""``koers case``: look at one case; the operator actions on it are in ``workers.cli.case_actions``."""

from __future__ import annotations

import json
import sys
from datetime import datetime

import click

from schema.case_queries import case_details
from workers.bootstrap import bootstrap
from workers.cli.case_actions import ACTION_COMMANDS
from workflows.calendar import WorkdayCalendar
from workflows.labels import TARGET_GROUPS, label


@click.group()
def case() -> None:
    """Zaken bekijken, en acties van een operator op één zaak (elk met --reason, in het auditlog)."""


@case.command()
@click.argument("dji_id")
@click.option("--json", "as_json", is_flag=True, help="Eén JSON-document op stdout.")
def show(dji_id: str, as_json: bool) -> None:
    """Toon één zaak: gemeente, status, uitkomst, e-mails en tijdlijn."""
    app = bootstrap()
    with app.sessions() as session:
        details = case_details(session, dji_id)
    app.dispose()
    if details is None:
        click.echo(f"koers case show: geen zaak met dji_id {dji_id}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(details, ensure_ascii=False, default=str))
        return
    _print_case(details)


def _print_case(d: dict) -> None:  # type: ignore[type-arg]
    m = d["municipality"]
    click.echo(f"Zaak {d['reference']} (dji_id {d['dji_id']})")
    click.echo(f"  status         {d['state']}{' — URGENT' if d['urgent'] else ''}")
    click.echo(f"  gemeente       {m['name']} ({m['cbs_code']}, {m['province']})" if m else "  gemeente       —")
    click.echo(f"  routering      {d['routing']['method']}: " + "; ".join(
        f"{k}: {v}" for k, v in d["routing"]["evidence"].items()))
    if d["routing"]["candidates"]:
        click.echo(f"  kandidaten     {', '.join(d['routing']['candidates'])}")
    click.echo(f"  groep          {label(TARGET_GROUPS, d['group'])}")
    if d["release_date"]:
        click.echo(f"  vrijlating     {d['release_date']} uit {d['institution']} (vast sinds {d['custody_since']})")
    else:
        click.echo(f"  meldingsdatum  {d['report_date']} bij {d['institution']}")
    if d["workflow"]:
        click.echo(f"  workflow       {d['workflow']['definition']} v{d['workflow']['version']}")
    if d.get("paused_until"):
        until = WorkdayCalendar().local_date(datetime.fromisoformat(d["paused_until"]))
        click.echo(f"  gepauzeerd tot {until:%d-%m-%Y}")
    if d.get("review_reason"):
        click.echo(f"  te beoordelen  {d['review_reason']}")
    if d["outcome"]:
        click.echo("  uitkomst       " + ", ".join(f"{k}: {v}" for k, v in d["outcome"].items() if v))
    for email in d["emails"]:
        sent = email.get("sent_at") or ""
        click.echo(f"  e-mail         {email['kind']} aan {email['to']}: {email['status']} {sent}")
    click.echo("  tijdlijn")
    for item in d["timeline"]:
        click.echo(f"    {item['at'][:19]}  {item['event']}  ({item['actor']})")


for _command in ACTION_COMMANDS:  # reroute, close, escalate, resend, pause, resume, update-date
    case.add_command(_command)
