"""Triage (operators): pick the municipality of a *needs routing* case; decide a request for another one.

A request (a municipal user's, or a "not our resident" reply's) is decided here: re-route the case
(to the suggested municipality or another: ``workers.case_actions.perform``) or decline it with a
reason (``schema.reroute_requests.decline``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from schema import reroute_requests
from schema.case_store import CaseActionError
from schema.models import CaseRow, MunicipalityRow, RerouteRequest
from workers.case_actions import perform
from workers.contacts import Contacts
from workers.web.context import WebState, flash, in_thread, redirect, render, state_of, viewer_of
from workers.web.scope import Viewer, not_found, open_case_or_404, require_operator, scoped
from workflows.events import OperatorAction, OperatorActionKind
from workflows.model import CaseState, case_reference
from workflows.states import RerouteRequestState

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
        return {"items": items, "all": [(code, names[code]) for code, _, _ in all_municipalities], "names": names,
                "requests": _open_requests(session, state)}


def _open_requests(session: Session, state: WebState) -> list[dict[str, Any]]:
    """The open requests for another municipality, the soonest deadline (report or release date) first."""
    found = session.execute(
        select(RerouteRequest, CaseRow).join(CaseRow, CaseRow.id == RerouteRequest.case_id)
        .where(RerouteRequest.state == RerouteRequestState.OPEN)
        .order_by(CaseRow.deadline, RerouteRequest.id).limit(TRIAGE_LIMIT)
    ).tuples()  # fmt: skip
    return [{"request": r, "case": c, "reference": case_reference(c.id),
             "days_left": (c.deadline - state.today()).days} for r, c in found]  # fmt: skip


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


def _decide(state: WebState, viewer: Viewer, request_id: int, decision: str, form: dict[str, str]) -> str:
    store = state.services.store
    with store.sessions.begin() as session:
        case_id = reroute_requests.case_of(session, request_id)
        if case_id is None:
            raise CaseActionError(f"verzoek {request_id} bestaat niet")
        with open_case_or_404(store, session, viewer, case_id) as case:
            if decision == "decline":
                reroute_requests.decline(case, request_id, note=form["reason"], by=viewer.actor, now=state.now())
                return f"Verzoek afgewezen; zaak {case_reference(case_id)} blijft bij {case.cbs_code}."
            action = OperatorAction(OperatorActionKind.REROUTE, form["reason"], municipality=form["cbs_code"] or None)
            result = perform(case, action, contacts=Contacts(state.app.settings), by=viewer.actor, now=state.now())
            return result.message


async def post_request(request: Request) -> Response:
    viewer = viewer_of(request)
    require_operator(viewer)
    decision = request.path_params["decision"]
    if decision not in ("reroute", "decline"):
        raise not_found()
    form = await request.form()
    fields = {name: str(form.get(name, "")).strip()[:300] for name in ("reason", "cbs_code")}
    fields["cbs_code"] = fields["cbs_code"].upper()
    try:
        message = await in_thread(_decide, state_of(request), viewer, request.path_params["request_id"], decision,
                                  fields)  # fmt: skip
    except CaseActionError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, message)
    return redirect("/triage")


routes = [
    Route("/triage", triage),
    Route("/triage/{case_id:id}", post_assign, methods=["POST"]),
    Route("/triage/requests/{request_id:id}/{decision}", post_request, methods=["POST"]),
]
