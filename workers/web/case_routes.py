"""Cases: the deadline board, the case list, one case, one email; outcome by hand, review cleared."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from schema.case_store import CaseActionError
from workers.web.case_view import case_view, event_summary
from workers.web.context import WebState, flash, in_thread, redirect, render, state_of, viewer_of
from workers.web.outcome_form import OutcomeFormError, form_choices, parse_outcome_form
from workers.web.params import page_param
from workers.web.queries import PAGE_SIZE, board_summary, case_list, deadline_board, municipalities
from workers.web.scope import Viewer, case_or_404, email_or_404, municipality_filter, open_case_or_404
from workflows.labels import CASE_STATES
from workflows.model import Outcome


def _municipality_param(viewer: Viewer, value: str | None) -> str | None:
    """A municipality filter; a municipal user's own, whatever the query string says."""
    codes = municipality_filter(viewer, [value or ""])
    return codes[0] if codes else None


def _board(state: WebState, viewer: Viewer, cbs_code: str | None, stage: str | None) -> dict[str, Any]:
    with state.app.sessions() as session:
        rows = deadline_board(session, viewer, state.today(), cbs_code=cbs_code, state=stage)
        return {"rows": rows, "summary": board_summary(rows), "municipalities": municipalities(session, viewer)}


async def board(request: Request) -> Response:
    viewer = viewer_of(request)
    cbs_code = _municipality_param(viewer, request.query_params.get("gemeente"))
    stage = request.query_params.get("fase") or None
    context = await in_thread(_board, state_of(request), viewer, cbs_code, stage)
    return render(request, "board.html", {**context, "selected": cbs_code, "stage": stage, "stages": CASE_STATES})


def _cases(state: WebState, viewer: Viewer, filters: dict[str, Any]) -> dict[str, Any]:
    with state.app.sessions() as session:
        rows, total = case_list(session, viewer, **filters)
        return {"rows": rows, "total": total, "municipalities": municipalities(session, viewer)}


async def cases(request: Request) -> Response:
    viewer, params = viewer_of(request), request.query_params
    filters = {
        "text": params.get("q", "")[:100],
        "state": params.get("status") or None,
        "cbs_code": _municipality_param(viewer, params.get("gemeente")),
        "review": params.get("beoordelen") == "1",
        "page": page_param(params.get("pagina")),
    }
    context = await in_thread(_cases, state_of(request), viewer, filters)
    pages = max((context["total"] + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render(request, "cases.html", {**context, **filters, "pages": pages, "states": CASE_STATES})


def _case(state: WebState, viewer: Viewer, case_id: int) -> dict[str, Any]:
    with state.app.sessions() as session:
        case = case_or_404(session, viewer, case_id)
        return case_view(session, viewer, case, state.today())


async def case_page(request: Request) -> Response:
    context = await in_thread(_case, state_of(request), viewer_of(request), request.path_params["case_id"])
    return render(request, "case.html", {**context, **form_choices(), "summary": event_summary})


def _email(state: WebState, viewer: Viewer, email_id: int) -> dict[str, Any]:
    with state.app.sessions() as session:
        email = email_or_404(session, viewer, email_id)
        session.expunge(email)
        return {"email": email}


async def email_page(request: Request) -> Response:
    context = await in_thread(_email, state_of(request), viewer_of(request), request.path_params["email_id"])
    return render(request, "email.html", context)


def _record(state: WebState, viewer: Viewer, case_id: int, outcome: Outcome) -> None:
    store = state.services.store
    with store.sessions.begin() as session, open_case_or_404(store, session, viewer, case_id) as case:
        case.record_outcome(outcome, by=viewer.actor, now=state.now())


async def post_outcome(request: Request) -> Response:
    case_id = request.path_params["case_id"]
    form = await request.form()
    try:
        outcome = parse_outcome_form(form, [str(v) for v in form.getlist("life_domains")])
        await in_thread(_record, state_of(request), viewer_of(request), case_id, outcome)
    except (OutcomeFormError, CaseActionError) as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, "Uitkomst vastgelegd.")
    return redirect(f"/cases/{case_id}")


def _clear(state: WebState, viewer: Viewer, case_id: int, note: str) -> None:
    store = state.services.store
    with store.sessions.begin() as session, open_case_or_404(store, session, viewer, case_id) as case:
        case.clear_review(note, by=viewer.actor, now=state.now())


async def post_clear_review(request: Request) -> Response:
    case_id = request.path_params["case_id"]
    note = str((await request.form()).get("note", "")).strip()
    if not note:
        flash(request, "Geef een toelichting: wat is er gecontroleerd?", "error")
        return redirect(f"/cases/{case_id}")
    try:
        await in_thread(_clear, state_of(request), viewer_of(request), case_id, note)
    except CaseActionError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, "Beoordeling afgerond.")
    return redirect(f"/cases/{case_id}")


routes = [
    Route("/deadlines", board),
    Route("/cases", cases),
    Route("/cases/{case_id:id}", case_page),
    Route("/emails/{email_id:id}", email_page),
    Route("/cases/{case_id:id}/outcome", post_outcome, methods=["POST"]),
    Route("/cases/{case_id:id}/clear-review", post_clear_review, methods=["POST"]),
]
