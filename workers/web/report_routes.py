"""The monitoring report: figures per province like the region's slides, a monthly trend, a CSV.

All groups together and each group apart (self-reporters, detainees), with the same columns; the
period, municipality and group filters hold for every group. A municipal user's report and export
cover their own municipality only, whatever the query string asks; an export is an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from schema import audit
from schema.report_model import GROUP_LABELS as GROUPS
from schema.report_model import Report
from schema.report_queries import UNKNOWN_PROVINCE as UNKNOWN
from schema.report_queries import monitoring_report
from workers.report_export import report_csv
from workers.web.charts import month_label, province_bars, trend_lines
from workers.web.context import WebState, in_thread, render, state_of, viewer_of
from workers.web.params import date_param
from workers.web.queries import municipalities
from workers.web.scope import Viewer, municipality_filter
from workflows.states import AuditKind


@dataclass(frozen=True)
class Period:
    date_from: date | None
    date_to: date | None
    cbs_codes: list[str] | None
    group: str | None = None

    def query(self) -> str:
        pairs = [("van", self.date_from.isoformat() if self.date_from else ""),
                 ("tot", self.date_to.isoformat() if self.date_to else "")]  # fmt: skip
        pairs += [("gemeente", code) for code in self.cbs_codes or []]
        pairs += [("groep", self.group)] if self.group else []
        return urlencode(pairs)


def _period(request: Request, viewer: Viewer, today: date) -> Period:
    params = request.query_params
    default_from = (today.replace(day=1) - timedelta(days=335)).replace(day=1)
    date_from = date_param(params.get("van")) if "van" in params else default_from
    date_to = date_param(params.get("tot")) if "tot" in params else today
    group = params.get("groep") or None
    if group is not None and group not in GROUPS:
        raise HTTPException(400, "onbekende groep")
    return Period(date_from, date_to, municipality_filter(viewer, params.getlist("gemeente")), group)


def _report(state: WebState, viewer: Viewer, period: Period) -> tuple[Report, list[Any]]:
    with state.app.sessions() as session:
        report = monitoring_report(session, date_from=period.date_from, date_to=period.date_to,
                                   cbs_codes=period.cbs_codes, group=period.group)  # fmt: skip
        return report, municipalities(session, viewer)


def _chart_groups(data: dict[str, Any], viewer: Viewer) -> list[tuple[str, dict[str, Any]]]:
    if not viewer.is_operator:
        return [(m["name"], m["percentages"]) for m in data["municipalities"]]
    groups = [(p["province"], p["percentages"]) for p in data["provinces"] if p["cases"] and p["province"] != UNKNOWN]
    return [*groups, ("Totaal", data["total"]["percentages"])]


async def report_page(request: Request) -> Response:
    state, viewer = state_of(request), viewer_of(request)
    period = _period(request, viewer, state.today())
    report, choices = await in_thread(_report, state, viewer, period)
    data = report.to_dict()
    context = {"data": data, "period": period, "municipalities": choices, "month_label": month_label, "groups": GROUPS,
               "bars": province_bars(_chart_groups(data, viewer)), "trend": trend_lines(data["trend"]),
               "active": [m for m in data["municipalities"] if m["cases"]]}  # fmt: skip
    return render(request, "report.html", context)


def _export(state: WebState, viewer: Viewer, period: Period) -> str:
    report, _ = _report(state, viewer, period)
    with state.app.sessions.begin() as session:
        audit.record(session, AuditKind.REPORT_EXPORTED, actor=viewer.actor, at=state.now(),
                     details={"from": str(period.date_from), "to": str(period.date_to), "cbs_codes": period.cbs_codes,
                              "group": period.group})  # fmt: skip
    return report_csv(report)


async def report_download(request: Request) -> Response:
    state, viewer = state_of(request), viewer_of(request)
    period = _period(request, viewer, state.today())
    text = await in_thread(_export, state, viewer, period)
    name = f"koers-rapportage-{period.date_from or 'begin'}-{period.date_to or 'heden'}.csv"
    return Response("\ufeff" + text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


routes = [Route("/report", report_page), Route("/report.csv", report_download)]
