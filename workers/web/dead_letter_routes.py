"""Dead letters (operators only): inspect, replay through the outbox, discard with a reason."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from schema.runtime_models import DeadLetter
from workers.dead_letters import DeadLetterError, discard, list_dead_letters, replay
from workers.web.context import WebState, flash, in_thread, redirect, render, state_of, viewer_of
from workers.web.scope import Viewer, not_found, require_operator
from workflows.labels import DEAD_LETTER_STATES
from workflows.states import DeadLetterState


def _list(state: WebState, which: str | None) -> list[dict[str, Any]]:
    with state.app.sessions() as session:
        return list_dead_letters(session, which)


async def dead_letters(request: Request) -> Response:
    require_operator(viewer_of(request))
    asked = request.query_params.get("status", DeadLetterState.DEAD)
    which = asked if asked in DEAD_LETTER_STATES else None
    rows = await in_thread(_list, state_of(request), which)
    return render(request, "dead_letters.html", {"rows": rows, "which": which, "states": DEAD_LETTER_STATES})


def _one(state: WebState, dead_letter_id: int) -> DeadLetter:
    with state.app.sessions() as session:
        row = session.get(DeadLetter, dead_letter_id)
        if row is None:
            raise not_found()
        return row


async def dead_letter_page(request: Request) -> Response:
    require_operator(viewer_of(request))
    row = await in_thread(_one, state_of(request), request.path_params["dead_letter_id"])
    return render(request, "dead_letter.html", {"row": row})


def _act(state: WebState, viewer: Viewer, dead_letter_id: int, reason: str | None) -> None:
    with state.app.sessions.begin() as session:
        if session.get(DeadLetter, dead_letter_id) is None:
            raise not_found()
        if reason is None:
            replay(session, dead_letter_id, viewer.actor, state.now())
        else:
            discard(session, dead_letter_id, viewer.actor, reason, state.now())


async def _post(request: Request, reason: str | None, done: str) -> Response:
    viewer = viewer_of(request)
    require_operator(viewer)
    dead_letter_id = request.path_params["dead_letter_id"]
    try:
        await in_thread(_act, state_of(request), viewer, dead_letter_id, reason)
    except DeadLetterError as exc:
        flash(request, str(exc), "error")
        return redirect(f"/dead-letters/{dead_letter_id}")
    flash(request, f"Dead letter {dead_letter_id}: {done}.")
    return redirect("/dead-letters")


async def post_replay(request: Request) -> Response:
    return await _post(request, None, "opnieuw aangeboden")


async def post_discard(request: Request) -> Response:
    reason = str((await request.form()).get("reason", "")).strip()
    return await _post(request, reason, "weggegooid")


routes = [
    Route("/dead-letters", dead_letters),
    Route("/dead-letters/{dead_letter_id:id}", dead_letter_page),
    Route("/dead-letters/{dead_letter_id:id}/replay", post_replay, methods=["POST"]),
    Route("/dead-letters/{dead_letter_id:id}/discard", post_discard, methods=["POST"]),
]
