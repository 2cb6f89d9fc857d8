"""API tokens in the console (operators only): the list with scope, expiry and last use; revoke."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from schema.console_models import ApiToken
from workers.web.accounts import AccountError
from workers.web.api_tokens import list_tokens, revoke_token, token_state
from workers.web.context import WebState, flash, in_thread, redirect, render, state_of, viewer_of
from workers.web.scope import Viewer, not_found, require_operator
from workflows.states import TokenState


def _tokens(state: WebState) -> list[dict[str, Any]]:
    now = state.now()
    with state.app.sessions() as db:
        return [{"id": t.id, "name": t.name, "scope": t.scope, "cbs_code": t.cbs_code, "created_at": t.created_at,
                 "expires_at": t.expires_at, "last_used_at": t.last_used_at, "state": token_state(t, now),
                 "revocable": token_state(t, now) is not TokenState.REVOKED}
                for t in list_tokens(db)]  # fmt: skip


async def tokens_page(request: Request) -> Response:
    require_operator(viewer_of(request))
    return render(request, "tokens.html", {"tokens": await in_thread(_tokens, state_of(request))})


def _revoke(state: WebState, viewer: Viewer, token_id: int) -> str:
    with state.app.sessions.begin() as db:
        row = db.get(ApiToken, token_id)
        if row is None:
            raise not_found()
        return revoke_token(db, row.name, now=state.now(), actor=viewer.actor).name


async def post_revoke(request: Request) -> Response:
    viewer = viewer_of(request)
    require_operator(viewer)
    try:
        name = await in_thread(_revoke, state_of(request), viewer, request.path_params["token_id"])
    except AccountError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, f"Token {name} ingetrokken: het opent vanaf nu niets meer.")
    return redirect("/tokens")


routes = [
    Route("/tokens", tokens_page),
    Route("/tokens/{token_id:id}/revoke", post_revoke, methods=["POST"]),
]
