"""Needs-routing triage (operators): pick the municipality among the candidates; the workflow starts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from schema.case_store import CaseActionError
from schema.models import CaseRow, MunicipalityRow
from workers.web.context import WebState, flash, in_thread, redirect, render, state_of, viewer_of
from workers.web.scope import Viewer, open_case_or_404, require_operator, scoped
from workflows.model import CaseState, case_reference

TRIAGE_LIMIT = 200


def _queue(state: WebState, viewer: Viewer) -> dict[str, Any]:
    with state.app.sessions() as session:
        query = scoped(select(CaseRow).where(CaseRow.state == CaseState.NEEDS_ROUTING), viewer)
        cases = list(session.scalars(query.order_by(CaseRow.deadline, CaseRow.id).limit(TRIAGE_LIMIT)))
        all_municipalities = list(session.execute(
            select(MunicipalityRow.cbs_code, MunicipalityRow.name, MunicipalityRow.province)
            .order_by(MunicipalityRow.province, MunicipalityRow.name)).tuples())  # fmt: skip
        names = {code: f"{name} ({province})" for code, name, province in all_municipalities}
        items = [{"case": c, "reference": case_reference(c.id), "days_left": (c.deadline - state.today()).days,
                  "candidates": [(code, names.get(code, code)) for code in c.routing_candidates or []]}
                 for c in cases]  # fmt: skip
        return {"items": items, "all": [(code, names[code]) for code, _, _ in all_municipalities]}


async def triage(request: Request) -> Response:
    viewer = viewer_of(request)
    require_operator(viewer)
    return render(request, "triage.html", await in_thread(_queue, state_of(request), viewer))


def _assign(state: WebState, viewer: Viewer, case_id: int, cbs_code: str) -> str:
    store = state.services.store
    with store.sessions.begin() as session, open_case_or_404(store, session, viewer, case_id) as case:
        case.assign_municipality(cbs_code, by=viewer.actor, now=state.now())
        return _name(session, cbs_code)


def _name(session: Session, cbs_code: str) -> str:
    return session.scalar(select(MunicipalityRow.name).where(MunicipalityRow.cbs_code == cbs_code)) or cbs_code


async def post_assign(request: Request) -> Response:
    viewer = viewer_of(request)
    require_operator(viewer)
    case_id = request.path_params["case_id"]
    cbs_code = str((await request.form()).get("cbs_code", "")).strip().upper()
    try:
        name = await in_thread(_assign, state_of(request), viewer, case_id, cbs_code)
    except CaseActionError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, f"Zaak {case_reference(case_id)} is toegewezen aan {name}; de workflow start.")
    return redirect("/triage")


routes = [
    Route("/triage", triage),
    Route("/triage/{case_id:id}", post_assign, methods=["POST"]),
]
