"""The user's own account: change the password (the current one first), log out on every device.

Changing the password ends the user's other sessions at once; this one stays. The current
password is checked through the login throttle, so a stolen session cannot guess it fast.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from schema.console_models import User
from workers.web.accounts import AccountError, check_password, password_problem, set_password
from workers.web.context import WebState, client_address, flash, in_thread, redirect, render, state_of, viewer_of
from workers.web.scope import Viewer, not_found
from workers.web.session_middleware import SESSION_KEY
from workers.web.sessions import count_sessions


def _account(state: WebState, viewer: Viewer) -> dict[str, Any]:
    with state.app.sessions() as db:
        user = db.get(User, viewer.id)
        if user is None:
            raise not_found()
        return {"local": user.oidc_subject is None, "sessions": count_sessions(db, viewer.id),
                "last_login_at": user.last_login_at}  # fmt: skip


async def account_page(request: Request) -> Response:
    return render(request, "account.html", await in_thread(_account, state_of(request), viewer_of(request)))


def _change(state: WebState, viewer: Viewer, current: str, new: str, session_id: str | None) -> int:
    if check_password(state.app.sessions, viewer.username, current) is None:
        raise AccountError("Het huidige wachtwoord klopt niet.")
    with state.app.sessions.begin() as db:
        return set_password(db, viewer.username, new, now=state.now(), actor=viewer.actor, keep_session=session_id)


async def change_password(request: Request) -> Response:
    viewer, state, form = viewer_of(request), state_of(request), await request.form()
    current, new, repeat = (str(form.get(k, ""))[:1000] for k in ("current", "new", "repeat"))
    problem = password_problem(new) or (None if new == repeat else "De twee nieuwe wachtwoorden verschillen.")
    if problem:
        flash(request, problem[:1].upper() + problem[1:], "error")
        return redirect("/account")
    wait = await in_thread(state.throttle.take, viewer.username, client_address(request))
    if wait is not None:
        flash(request, f"Te veel pogingen. Probeer het over {wait} seconden opnieuw.", "error")
        return redirect("/account")
    try:
        ended = await in_thread(_change, state, viewer, current, new, request.scope.get(SESSION_KEY))
    except AccountError as exc:
        flash(request, str(exc), "error")
        return redirect("/account")
    await in_thread(state.throttle.succeeded, viewer.username, client_address(request))
    flash(request, f"Wachtwoord gewijzigd. Uw andere sessies ({ended}) zijn beëindigd.")
    return redirect("/account")


routes = [
    Route("/account", account_page),
    Route("/account/password", change_password, methods=["POST"]),
]
