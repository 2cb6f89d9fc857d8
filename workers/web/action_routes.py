"""Operator actions on the case page, and a municipal user's request for another municipality.

``POST /cases/{id}/actions/{action}`` is for operators only (403 for anyone else, checked here on the
server whatever the page showed): re-route, close, escalate, resend, pause, resume and a new date,
each with a reason, through ``workers.case_actions.perform``. ``POST /cases/{id}/reroute-request``
is what a municipal user may do instead: ask, with a reason and optionally the municipality; the
request waits in the operator's triage. Both lock the case through the case store and refuse a case
outside the viewer's municipality with 404, as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from schema import reroute_requests
from schema.case_store import CaseActionError
from workers.case_actions import perform
from workers.contacts import Contacts
from workers.web.context import WebState, flash, in_thread, redirect, state_of, viewer_of
from workers.web.params import date_param
from workers.web.scope import Viewer, not_found, open_case_or_404, require_operator
from workflows.events import OperatorAction, OperatorActionKind
from workflows.states import RerouteRequestSource

# The path's action word → the engine's action (the console's own words, kebab-case like its paths).
ACTIONS: Mapping[str, OperatorActionKind] = {
    "reroute": OperatorActionKind.REROUTE, "close": OperatorActionKind.CLOSE,
    "escalate": OperatorActionKind.ESCALATE, "resend": OperatorActionKind.RESEND_NOTIFICATION,
    "pause": OperatorActionKind.PAUSE, "resume": OperatorActionKind.RESUME,
    "update-date": OperatorActionKind.UPDATE_DATE,
}  # fmt: skip
FIELD_MAX = 300


def _text(form: FormData, name: str) -> str:
    return str(form.get(name, "")).strip()[:FIELD_MAX]


def action_from_form(kind: OperatorActionKind, form: FormData) -> OperatorAction:
    """The action a form asks for; a date that is not ``JJJJ-MM-DD`` is refused in Dutch."""
    dates: dict[str, date | None] = {}
    for name in ("until", "deadline"):
        text = _text(form, name)
        try:
            dates[name] = date_param(text)
        except HTTPException:  # a form answers in Dutch on the page, not with a 400
            dates[name] = None
        if text and dates[name] is None:
            raise CaseActionError(f"{text!r} is geen datum; kies een datum")
    return OperatorAction(kind, _text(form, "reason"), municipality=_text(form, "cbs_code").upper() or None,
                          until=dates["until"], deadline=dates["deadline"], to=_text(form, "to") or None)  # fmt: skip


def _act(state: WebState, viewer: Viewer, case_id: int, action: OperatorAction) -> str:
    store = state.services.store
    with store.sessions.begin() as session, open_case_or_404(store, session, viewer, case_id) as case:
        result = perform(case, action, contacts=Contacts(state.app.settings), by=viewer.actor, now=state.now())
        return result.message


async def post_action(request: Request) -> Response:
    viewer = viewer_of(request)
    require_operator(viewer)
    case_id = request.path_params["case_id"]
    kind = ACTIONS.get(request.path_params["action"])
    if kind is None:
        raise not_found()
    try:
        action = action_from_form(kind, await request.form())
        message = await in_thread(_act, state_of(request), viewer, case_id, action)
    except CaseActionError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, message)
    return redirect(f"/cases/{case_id}")


def _ask(state: WebState, viewer: Viewer, case_id: int, reason: str, suggested: str | None) -> bool:
    store = state.services.store
    with store.sessions.begin() as session, open_case_or_404(store, session, viewer, case_id) as case:
        _, created = reroute_requests.ask(case, reason=reason, by=viewer.actor, now=state.now(),
                                          source=RerouteRequestSource.CONSOLE, suggested=suggested)  # fmt: skip
        return created


async def post_reroute_request(request: Request) -> Response:
    viewer = viewer_of(request)
    case_id = request.path_params["case_id"]
    form = await request.form()
    try:
        created = await in_thread(_ask, state_of(request), viewer, case_id, _text(form, "reason"),
                                  _text(form, "cbs_code").upper() or None)  # fmt: skip
    except CaseActionError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, "Verzoek verstuurd: een operator kiest de gemeente." if created
              else "Er staat al een verzoek open voor deze zaak; een operator beslist.")  # fmt: skip
    return redirect(f"/cases/{case_id}")


routes = [
    Route("/cases/{case_id:id}/actions/{action}", post_action, methods=["POST"]),
    Route("/cases/{case_id:id}/reroute-request", post_reroute_request, methods=["POST"]),
]
