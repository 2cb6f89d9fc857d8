"""The overview (status, refreshing itself) and the list of console users (operators only)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from workers.status import attention, collect_status
from workers.web.accounts import list_users
from workers.web.context import WebState, in_thread, render, state_of, viewer_of
from workers.web.queries import work_counts
from workers.web.scope import Viewer, require_operator

REFRESH_SECONDS = 30


def _overview(state: WebState, viewer: Viewer) -> dict[str, Any]:
    with state.app.sessions() as session:
        counts = work_counts(session, viewer, state.today())
    if not viewer.is_operator:
        return {"counts": counts, "status": None, "attention": []}
    status = collect_status(state.app, state.broker_url)
    return {"counts": counts, "status": status, "attention": attention(status)}


async def overview(request: Request) -> Response:
    context = await in_thread(_overview, state_of(request), viewer_of(request))
    return render(request, "overview.html", {**context, "refresh": REFRESH_SECONDS})


def _users(state: WebState) -> list[dict[str, Any]]:
    with state.app.sessions() as session:
        return [{"username": u.username, "display_name": u.display_name, "role": u.role, "cbs_code": u.cbs_code,
                 "active": u.active, "last_login_at": u.last_login_at} for u in list_users(session)]  # fmt: skip


async def users(request: Request) -> Response:
    require_operator(viewer_of(request))
    return render(request, "users.html", {"users": await in_thread(_users, state_of(request))})


routes = [Route("/", overview), Route("/users", users)]
