"""``koers status`` and ``koers report``: the operator's view of the queues and the monitoring figures."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from schema.report_queries import monitoring_report
from schema.status_queries import NEEDS_REVIEW
from workers.bootstrap import bootstrap
from workers.report_export import report_csv, report_text
from workers.status import attention, collect_status, duration_text
from workflows.model import CaseState, TargetGroup
from workflows.states import TimerState

BROKER_SOURCES = {"management-api": "RabbitMQ via de beheer-API", "amqp": "RabbitMQ via AMQP (onbevestigd onbekend)",
                  None: "RabbitMQ niet bereikbaar"}  # fmt: skip


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Eén JSON-document op stdout (met de lijst 'attention').")
def status(as_json: bool) -> None:
    """Toon wachtrijen, dead letters, outbox-achterstand, timers en zaken per status.

    Alleen aantallen, nooit namen. Eindigt met code 1 als iets aandacht nodig heeft (de redenen
    staan erbij), anders met 0.
    """
    app = bootstrap()
    try:
        current = collect_status(app, app.settings.broker_url)
    finally:
        app.dispose()
    reasons = attention(current)
    if as_json:
        click.echo(json.dumps(current | {"attention": reasons}, ensure_ascii=False))
    else:
        click.echo("\n".join(status_lines(current, reasons)))
    sys.exit(1 if reasons else 0)


def status_lines(s: dict[str, Any], reasons: list[str]) -> list[str]:
    """The human form of ``koers status``: a compact table, then what needs attention."""
    broker = s["broker"]
    source = "in-process broker (alleen wat de database weet)" if broker["kind"] == "in-process" else \
        BROKER_SOURCES[broker["source"]]  # fmt: skip
    lines = [f"Koers-status {s['checked_at'][:19]} — {source}", ""]
    lines.append(f"{'wachtrij':<22}{'klaar':>8}{'onbevestigd':>13}{'consumers':>11}{'dead letters':>14}")
    in_process = broker["kind"] == "in-process"
    for q in (q for q in s["queues"] if q["role"] == "main" or not in_process):
        dead = s["dead_letters"]["by_queue"][q["queue"]]["database"] if q["role"] == "main" else ""
        lines.append(f"{q['name']:<22}{_n(q['ready']):>8}{_n(q['unacked']):>13}{_n(q['consumers']):>11}{dead:>14}")
    outbox, timers = s["outbox"], s["timers"]
    lag = f", oudste {duration_text(outbox['lag_seconds'])}" if outbox["lag_seconds"] is not None else ""
    lines += ["", f"outbox       {outbox['unpublished']} niet gepubliceerd{lag}",
              f"timers       {timers[TimerState.PENDING]} wachtend, {timers['due_now']} nu aan de beurt, "
              f"{timers['overdue']} te laat, {timers[TimerState.CLAIMED]} opgepakt",
              "heartbeats   " + ", ".join(f"{name} {_age(b['age_seconds'])}" for name, b in s["heartbeats"].items()),
              "e-mails      " + _by_state(s["emails"]),
              f"zaken        {s['cases']['total']}: " + _by_state(s["cases"]["by_state"]),
              f"             wachten op routering {s['cases'][CaseState.NEEDS_ROUTING]}, "
              f"ter beoordeling {s['cases'][NEEDS_REVIEW]}",
              "inkomend     " + _by_state(s["inbound"]["by_state"]), ""]  # fmt: skip
    if reasons:
        lines += ["Aandacht nodig:"] + [f"  - {reason}" for reason in reasons]
    else:
        lines.append("Alles in orde: niets vraagt aandacht.")
    return lines


def _n(value: int | None) -> str:
    return "?" if value is None else str(value)


def _age(seconds: float | None) -> str:
    return "nooit" if seconds is None else f"{duration_text(seconds)} geleden"


def _by_state(counts: dict[str, int]) -> str:
    return ", ".join(f"{state} {count}" for state, count in sorted(counts.items())) or "geen"


def _to_date(_ctx: click.Context, _param: click.Parameter, value: datetime | None) -> date | None:
    return value.date() if value else None


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Eén JSON-document op stdout.")
@click.option(
    "--csv",
    "csv_target",
    metavar="BESTAND|-",
    help="Schrijf de cijfers als CSV (puntkomma's, voor Excel) naar BESTAND, of '-' voor stdout.",
)
@click.option(
    "--from",
    "date_from",
    type=click.DateTime(["%Y-%m-%d"]),
    metavar="JJJJ-MM-DD",
    callback=_to_date,
    help="Zaken aangemaakt vanaf deze datum (JJJJ-MM-DD).",
)
@click.option(
    "--to",
    "date_to",
    type=click.DateTime(["%Y-%m-%d"]),
    metavar="JJJJ-MM-DD",
    callback=_to_date,
    help="Zaken aangemaakt tot en met deze datum (JJJJ-MM-DD).",
)
@click.option("--municipality", "cbs_codes", multiple=True, metavar="GMxxxx",
              help="Alleen deze gemeente (CBS-code, bijv. GM0080); mag vaker.")  # fmt: skip
@click.option("--group", type=click.Choice([g.value for g in TargetGroup]), default=None,
              help="Alleen deze groep: self_reporter (zelfmelders) of detainee (kortgestrafte gedetineerden).")
def report(as_json: bool, csv_target: str | None, date_from: date | None, date_to: date | None,
           cbs_codes: tuple[str, ...], group: str | None) -> None:  # fmt: skip
    """Monitoringscijfers per provincie en gemeente: respons op de brief, contact, acties, al bekend bij hulpverlening.

    Eerst alle groepen samen, dan elke groep apart (zelfmelders, kortgestrafte gedetineerden), met
    dezelfde kolommen; de filters gelden voor elke groep. Percentages noemen hun noemer (van
    verzonden brieven, van alle zaken, van zaken met contact, van zaken met acties) en zijn ook
    uitgesplitst naar strafduur. Alleen aantallen, nooit namen.
    """
    if as_json and csv_target == "-":
        raise click.UsageError("--json en --csv - schrijven allebei naar stdout; kies er één")
    app = bootstrap()
    try:
        with app.sessions() as session:
            result = monitoring_report(session, date_from=date_from, date_to=date_to, cbs_codes=cbs_codes or None,
                                       group=group)  # fmt: skip
    finally:
        app.dispose()
    unknown = sorted({c.upper() for c in cbs_codes} - {m.cbs_code for m in result.municipalities})
    if unknown:
        raise click.BadParameter(f"onbekende gemeente(n): {', '.join(unknown)}", param_hint="--municipality")
    if csv_target == "-":
        click.echo(report_csv(result), nl=False)
    elif csv_target:
        Path(csv_target).write_text(report_csv(result), encoding="utf-8-sig", newline="")  # BOM: Excel reads UTF-8
        click.echo(f"CSV geschreven naar {csv_target}", err=True)
    if as_json:
        click.echo(result.to_json())
    elif csv_target != "-":
        click.echo(report_text(result), nl=False)
