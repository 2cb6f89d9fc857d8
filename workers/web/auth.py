"""Login, logout and the middleware that requires a login on every page that is not public.

The session cookie (signed, HttpOnly, SameSite=Lax) holds the user's id and two timestamps; the
user is reloaded from the database on every request, so a deactivated user or a changed role
takes effect at once. Sessions end after ``IDLE_TIMEOUT`` without a request and after
``MAX_SESSION`` in all. Logins are throttled per username and per client address, and every
attempt is an audit event.
"""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from schema import audit
from schema.console_models import User
from workers.web.accounts import authenticate
from workers.web.context import VIEWER_KEY, WebState, flash, in_thread, redirect, render, state_of
from workers.web.csrf import ensure_csrf
from workers.web.scope import Viewer
from workflows.states import AuditKind

IDLE_TIMEOUT = 30 * 60
MAX_SESSION = 10 * 60 * 60
PUBLIC_PATHS = frozenset({"/login", "/healthz", "/metrics"})
PUBLIC_PREFIXES = ("/static/", "/api/")


def _load_viewer(state: WebState, session: MutableMapping[str, Any]) -> Viewer | None:
    uid, seen, started = session.get("uid"), session.get("seen"), session.get("started")
    now = time.time()
    if not isinstance(uid, int) or not isinstance(seen, float | int) or not isinstance(started, float | int):
        return None
    if now - seen > IDLE_TIMEOUT or now - started > MAX_SESSION:
        return None
    with state.app.sessions() as db:
        user = db.get(User, uid)
        viewer = Viewer.of(user) if user is not None else None
    if viewer is not None and now - seen > 60:
        session["seen"] = now  # re-signs the cookie at most once a minute
    return viewer


class LoginRequired:
    """Lets a request through to a non-public path only with a valid session; else to the login page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
            await self.app(scope, receive, send)
            return
        session = scope["session"]
        viewer = await in_thread(_load_viewer, scope["app"].state.koers, session)
        if viewer is None:
            if "uid" in session:  # a login that ended; an anonymous session keeps its CSRF token
                _reset(session)
                session["flash"] = [{"kind": "error", "text": "Uw sessie is verlopen; log opnieuw in."}]
            ensure_csrf(session)
            target = "/login?next=" + quote(path) if scope["method"] == "GET" and path != "/" else "/login"
            await redirect(target)(scope, receive, send)
            return
        scope[VIEWER_KEY] = viewer
        await self.app(scope, receive, send)


def _reset(session: MutableMapping[str, Any]) -> None:
    """A fresh anonymous session (new CSRF token): no fixation of a session across a login."""
    session.clear()
    ensure_csrf(session)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


async def login_page(request: Request) -> Response:
    if "uid" in request.session:
        viewer = await in_thread(_load_viewer, state_of(request), request.session)
        if viewer is not None:
            return redirect("/")
    return render(request, "login.html", {"next": _safe_next(request.query_params.get("next"))})


def _attempt(state: WebState, username: str, password: str, address: str) -> User | None:
    now = state.now()
    with state.app.sessions.begin() as db:
        user = authenticate(db, username, password, now)
        event = AuditKind.LOGIN if user is not None else AuditKind.LOGIN_FAILED
        audit.record(db, event, actor=f"web:{username[:100]}", at=now, details={"address": address})
        if user is not None:
            db.expunge(user)
        return user


async def login(request: Request) -> Response:
    form = await request.form()
    username = str(form.get("username", "")).strip().lower()[:100]
    password = str(form.get("password", ""))[:1000]
    target = _safe_next(str(form.get("next", "/")))
    state = state_of(request)
    address = request.client.host if request.client else "onbekend"
    if state.throttle.is_blocked(username, address):
        message = "Te veel mislukte pogingen. Probeer het over een kwartier opnieuw."
        return render(request, "login.html", {"next": target, "error": message, "username": username}, status=429)
    user = await in_thread(_attempt, state, username, password, address)
    if user is None:
        state.throttle.failed(username, address)
        message = "Gebruikersnaam of wachtwoord klopt niet."
        return render(request, "login.html", {"next": target, "error": message, "username": username}, status=401)
    state.throttle.succeeded(username)
    _reset(request.session)
    request.session.update({"uid": user.id, "seen": time.time(), "started": time.time()})
    return redirect(target)


def _audit_logout(state: WebState, actor: str) -> None:
    with state.app.sessions.begin() as db:
        audit.record(db, AuditKind.LOGOUT, actor=actor, at=state.now())


async def logout(request: Request) -> Response:
    viewer = request.scope[VIEWER_KEY]
    await in_thread(_audit_logout, state_of(request), viewer.actor)
    _reset(request.session)
    flash(request, "U bent uitgelogd.")
    return redirect("/login")


routes = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
