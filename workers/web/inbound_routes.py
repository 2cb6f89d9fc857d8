"""Replies that need a person: the review queue, one message, outcome by hand, discard with a reason.

Quarantined mail without a case is for operators only (``scope.inbound_or_404``). Recording an
outcome from a message marks it ``processed``; discarding marks it ``discarded``; both say who.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from messaging.inbound import MessageTooLargeError, parse_message
from schema import audit, inbound_rows
from schema.case_store import CaseActionError
from schema.models import CaseRow
from schema.runtime_models import InboundMessage
from workers.web.context import WebState, flash, in_thread, redirect, render, state_of, viewer_of
from workers.web.outcome_form import OutcomeFormError, form_choices, parse_outcome_form
from workers.web.scope import Viewer, inbound_or_404, inbound_scoped, open_case_or_404, scoped
from workflows.model import Outcome, case_reference
from workflows.states import AuditKind, InboundState

QUEUE_LIMIT = 200
TEXT_LIMIT = 20_000


def _queue(state: WebState, viewer: Viewer) -> dict[str, Any]:
    with state.app.sessions() as session:
        messages = session.scalars(inbound_scoped(select(InboundMessage), viewer)
                                   .where(InboundMessage.state.in_(InboundState.open()))
                                   .order_by(InboundMessage.received_at.desc()).limit(QUEUE_LIMIT))  # fmt: skip
        cases = session.scalars(scoped(select(CaseRow), viewer).where(CaseRow.review_reason.is_not(None))
                                .order_by(CaseRow.deadline).limit(QUEUE_LIMIT))  # fmt: skip
        return {"messages": list(messages), "cases": [(c, case_reference(c.id)) for c in cases]}


async def review_queue(request: Request) -> Response:
    return render(request, "review.html", await in_thread(_queue, state_of(request), viewer_of(request)))


def _message(state: WebState, viewer: Viewer, inbound_id: int) -> dict[str, Any]:
    with state.app.sessions() as session:
        row = inbound_or_404(session, viewer, inbound_id)
        case = session.get(CaseRow, row.case_id) if row.case_id is not None else None
        try:
            parsed = parse_message(row.raw)
        except MessageTooLargeError:
            parsed = None
        return {"message": row, "parsed": parsed, "text": parsed.text[:TEXT_LIMIT] if parsed else "",
                "case": case, "reference": case_reference(case.id) if case else None,
                "problems": (row.details or {}).get("problems", []),
                "is_open": row.state in InboundState.open()}  # fmt: skip


async def message_page(request: Request) -> Response:
    context = await in_thread(_message, state_of(request), viewer_of(request), request.path_params["inbound_id"])
    return render(request, "inbound.html", {**context, **form_choices()})


def _open_message(session: Session, viewer: Viewer, inbound_id: int) -> InboundMessage:
    row = inbound_or_404(session, viewer, inbound_id, lock=True)
    if row.state not in InboundState.open():
        raise CaseActionError("dit bericht is al afgehandeld")
    return row


def _case_by_reference(session: Session, viewer: Viewer, reference: str) -> int:
    text = reference.strip()
    number = text.upper().removeprefix("ZM-")
    query = scoped(select(CaseRow), viewer)
    query = query.where(CaseRow.id == int(number)) if number.isdigit() and len(number) <= 12 else (
        query.where(CaseRow.dji_id == text))  # fmt: skip
    case = session.scalars(query).one_or_none() if text else None
    if case is None:
        raise CaseActionError("geen zaak gevonden met die zaakreferentie of dji_id")
    return case.id


def _record(state: WebState, viewer: Viewer, inbound_id: int, outcome: Outcome, reference: str) -> str:
    now, store = state.now(), state.services.store
    with store.sessions.begin() as session:
        row = _open_message(session, viewer, inbound_id)
        case_id = row.case_id if row.case_id is not None else _case_by_reference(session, viewer, reference)
        with open_case_or_404(store, session, viewer, case_id) as case:
            case.record_outcome(outcome, by=viewer.actor, now=now, inbound_id=row.id)
        inbound_rows.resolve(row, InboundState.PROCESSED, by=viewer.actor, now=now, action="outcome_recorded",
                             case_id=case_id)  # fmt: skip
        return case_reference(case_id)


async def post_outcome(request: Request) -> Response:
    inbound_id = request.path_params["inbound_id"]
    form = await request.form()
    try:
        outcome = parse_outcome_form(form, [str(v) for v in form.getlist("life_domains")])
        reference = await in_thread(_record, state_of(request), viewer_of(request), inbound_id, outcome,
                                    str(form.get("case_reference", ""))[:64])  # fmt: skip
    except (OutcomeFormError, CaseActionError) as exc:
        flash(request, str(exc), "error")
        return redirect(f"/inbound/{inbound_id}")
    flash(request, f"Uitkomst vastgelegd bij zaak {reference}; het bericht is verwerkt.")
    return redirect("/review")


def _discard(state: WebState, viewer: Viewer, inbound_id: int, reason: str) -> None:
    now = state.now()
    with state.app.sessions.begin() as session:
        row = _open_message(session, viewer, inbound_id)
        previous_state = row.state
        inbound_rows.resolve(row, InboundState.DISCARDED, by=viewer.actor, now=now, action="discarded",
                             reason=reason)  # fmt: skip
        audit.record(session, AuditKind.INBOUND_DISCARDED, actor=viewer.actor, at=now, case_id=row.case_id,
                     details={"inbound_id": row.id, "reason": reason[:300], "previous_state": previous_state})


async def post_discard(request: Request) -> Response:
    inbound_id = request.path_params["inbound_id"]
    reason = str((await request.form()).get("reason", "")).strip()
    if not reason:
        flash(request, "Geef een reden om het bericht weg te gooien.", "error")
        return redirect(f"/inbound/{inbound_id}")
    try:
        await in_thread(_discard, state_of(request), viewer_of(request), inbound_id, reason)
    except CaseActionError as exc:
        flash(request, str(exc), "error")
        return redirect(f"/inbound/{inbound_id}")
    flash(request, "Bericht weggegooid.")
    return redirect("/review")


routes = [
    Route("/review", review_queue),
    Route("/inbound/{inbound_id:id}", message_page),
    Route("/inbound/{inbound_id:id}/outcome", post_outcome, methods=["POST"]),
    Route("/inbound/{inbound_id:id}/discard", post_discard, methods=["POST"]),
]
