"""The demo's operator: a re-route to another province, a pause and its end, and a new date (uitstel).

Right after intake, on three cases whose notification just went out, the demo does what an operator
does with ``koers case reroute|pause|resume|update-date``, through the same code (the case store
and the engine), and prints what each did: which timers were recomputed, which emails queued, and
how the re-route moved the case between the provinces' figures.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import func, select

from schema.case_actions import ActionResult
from schema.case_store import CaseActionError, CaseStore
from schema.models import CaseRow, MunicipalityRow
from workers.bootstrap import App
from workers.case_actions import perform
from workers.contacts import Contacts
from workflows.calendar import WorkdayCalendar
from workflows.events import OperatorAction, OperatorActionKind
from workflows.labels import TIMERS, label
from workflows.model import CaseState

ACTOR = "demo:operator"
TARGET = "GM0106"  # Assen, in Drenthe: a re-route from Groningen or Fryslân crosses a provincial border
PAUSE_SECONDS = 3.0


def show_operator_actions(app: App, store: CaseStore, echo: Callable[[str], None], wait: float = 20.0) -> None:
    """Re-route, pause (and resume) and re-date three fresh cases; print what happened."""
    cases = _fresh_cases(app, wait)
    echo("\nActies van een operator (zoals `koers case reroute|pause|resume|update-date`):")
    if len(cases) < 3:
        echo("  (te weinig zaken die net een melding kregen; overgeslagen)")
        return
    before = _provinces(app)
    _reroute(app, store, cases[0], echo)
    _pause_and_resume(app, store, cases[1], echo)
    _new_date(app, store, cases[2], echo)
    after = _provinces(app)
    echo("  Zaken per provincie voor → na het omleiden: "
         + ", ".join(f"{p} {before.get(p, 0)} → {after.get(p, 0)}" for p in sorted(after)))  # fmt: skip


def _act(app: App, store: CaseStore, case_id: int, action: OperatorAction) -> ActionResult | str:
    try:
        with store.case(case_id) as case:
            return perform(case, action, contacts=Contacts(app.settings), by=ACTOR, now=app.clock())
    except CaseActionError as exc:
        return str(exc)


def _reroute(app: App, store: CaseStore, case_id: int, echo: Callable[[str], None]) -> None:
    result = _act(app, store, case_id, OperatorAction(OperatorActionKind.REROUTE, "verhuisd naar Assen (demo)",
                                                      municipality=TARGET))  # fmt: skip
    echo(f"  omleiden     {_said(result)}")


def _pause_and_resume(app: App, store: CaseStore, case_id: int, echo: Callable[[str], None]) -> None:
    until = _local_today(app) + timedelta(days=1)  # (a case notified now has more than a day left: not urgent)
    paused = _act(app, store, case_id, OperatorAction(OperatorActionKind.PAUSE, "opgenomen (demo)", until=until))
    echo(f"  pauzeren     {_said(paused)}")
    time.sleep(PAUSE_SECONDS)
    resumed = _act(app, store, case_id, OperatorAction(OperatorActionKind.RESUME, "weer bereikbaar (demo)"))
    echo(f"  hervatten    {_said(resumed)}")
    if isinstance(resumed, ActionResult):
        echo("               " + _timers(resumed))


def _new_date(app: App, store: CaseStore, case_id: int, echo: Callable[[str], None]) -> None:
    with app.sessions() as session:
        current = session.scalar(select(CaseRow.deadline).where(CaseRow.id == case_id))  # report or release date
    assert current is not None
    result = _act(app, store, case_id, OperatorAction(OperatorActionKind.UPDATE_DATE, "uitstel verleend (demo)",
                                                      deadline=current + timedelta(days=21)))  # fmt: skip
    echo(f"  datum        {_said(result)}")
    if isinstance(result, ActionResult):
        echo("               " + _timers(result))


def _said(result: ActionResult | str) -> str:
    return result.message if isinstance(result, ActionResult) else f"geweigerd: {result}"


def _timers(result: ActionResult) -> str:
    calendar = WorkdayCalendar()
    planned = [f"{label(TIMERS, name)} {calendar.local_date(due):%d-%m} {due.astimezone(calendar.zone):%H:%M:%S}"
               for name, due in result.scheduled]  # fmt: skip
    return "opnieuw gepland: " + (", ".join(planned) or "niets")


def _fresh_cases(app: App, wait: float) -> list[int]:
    """Three cases notified just now, the first outside Drenthe (so that the re-route crosses a border)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        with app.sessions() as session:
            rows = session.execute(
                select(CaseRow.id, MunicipalityRow.province).join(MunicipalityRow, MunicipalityRow.cbs_code
                                                                   == CaseRow.cbs_code)
                .where(CaseRow.state == CaseState.NOTIFIED, CaseRow.urgent.is_(False)).order_by(CaseRow.id).limit(20)
            ).tuples().all()  # fmt: skip
        away = [case_id for case_id, province in rows if province != "Drenthe"]
        if away and len(rows) >= 3:
            rest = [case_id for case_id, _ in rows if case_id != away[0]]
            return [away[0], *rest[:2]]
        time.sleep(0.3)
    return []


def _provinces(app: App) -> dict[str, int]:
    with app.sessions() as session:
        found = session.execute(select(MunicipalityRow.province, func.count(CaseRow.id))
                                .join(CaseRow, CaseRow.cbs_code == MunicipalityRow.cbs_code)
                                .group_by(MunicipalityRow.province)).tuples()  # fmt: skip
        return {province: int(n) for province, n in found}


def _local_today(app: App) -> date:
    return WorkdayCalendar().local_date(app.clock())

