"""Login, logout, "log out everywhere", and the middleware that requires a login on every page that is not public.

Sessions live on the server (``workers.web.sessions``): a login starts a new one (a new id, so
no session id survives a login), logout ends it, "log out everywhere" ends every session of
the user. Every login attempt is counted by the throttle before its password is hashed, and is
an audit event.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from schema import audit
from schema.console_models import User
from workers.web.accounts import check_password, record_login
from workers.web.context import VIEWER_KEY, WebState, client_address, in_thread, redirect, render, state_of, viewer_of
from workers.web.csrf import ensure_csrf
from workers.web.session_middleware import ENDED_KEY, SESSION_KEY
from workers.web.sessions import end_sessions
from workflows.states import AuditKind

PUBLIC_PATHS = frozenset({"/login", "/login/sso", "/login/sso/callback", "/healthz", "/metrics"})
PUBLIC_PREFIXES = ("/static/", "/api/")
REASONS = {  # why the login page is shown: ?reden=…
    "verlopen": "Uw sessie is verlopen; log opnieuw in.",
    "uitgelogd": "U bent uitgelogd.",
    "overal": "U bent op al uw apparaten uitgelogd.",
}
BAD_LOGIN = "Gebruikersnaam of wachtwoord klopt niet."


class LoginRequired:
    """Lets a request through to a non-public path only with a live session; else to the login page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES) or VIEWER_KEY in scope:
            await self.app(scope, receive, send)
            return
        ensure_csrf(scope["session"])
        query = {"reden": "verlopen"} if scope.get(ENDED_KEY) else {}
        if scope["method"] == "GET" and path != "/":
            query["next"] = path
        await redirect("/login" + ("?" + urlencode(query, quote_via=quote) if query else ""))(scope, receive, send)


def safe_next(target: str | None) -> str:
    """A local path to go to after login; anything else (another site, a scheme) becomes ``/``."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


async def login_page(request: Request) -> Response:
    if VIEWER_KEY in request.scope:
        return redirect("/")
    state, params = state_of(request), request.query_params
    context = {"next": safe_next(params.get("next")), "notice": REASONS.get(params.get("reden", "")),
               "sso": state.sso.label if state.sso else None}  # fmt: skip
    return render(request, "login.html", context)


def start_session(request: Request, user_id: int, target: str) -> Response:
    """End the session the browser came with (if any), start a new one, and go to ``target``."""
    state = state_of(request)
    old = request.scope.get(SESSION_KEY)
    if old:
        state.sessions.end(old)
    request.scope[SESSION_KEY] = None  # nothing of the old session is written back
    response = redirect(target)
    response.headers.append("set-cookie", state.cookies.session_cookie(state.sessions.start(user_id)))
    response.headers.append("set-cookie", state.cookies.clear(state.cookies.csrf_name))
    return response


def _attempt(state: WebState, username: str, password: str, address: str) -> User | None:
    user = check_password(state.app.sessions, username, password)
    now = state.now()
    with state.app.sessions.begin() as db:
        if user is not None:
            record_login(db, user, password, now)
        event = AuditKind.LOGIN if user is not None else AuditKind.LOGIN_FAILED
        audit.record(db, event, actor=f"web:{username[:100]}", at=now, details={"address": address})
    return user


def _login_error(request: Request, context: dict[str, object], message: str, status: int) -> Response:
    return render(request, "login.html", {**context, "error": message, "sso": None}, status=status)


async def login(request: Request) -> Response:
    form = await request.form()
    username = str(form.get("username", "")).strip().lower()[:100]
    password = str(form.get("password", ""))[:1000]
    context: dict[str, object] = {"next": safe_next(str(form.get("next", "/"))), "username": username,
                                  "notice": None}  # fmt: skip
    state, address = state_of(request), client_address(request)
    wait = await in_thread(state.throttle.take, username, address)
    if wait is not None:
        response = _login_error(request, context, f"Te veel pogingen. Probeer het over {wait} seconden opnieuw.", 429)
        response.headers["Retry-After"] = str(wait)
        return response
    user = await in_thread(_attempt, state, username, password, address)
    if user is None:
        return _login_error(request, context, BAD_LOGIN, 401)
    await in_thread(state.throttle.succeeded, username, address)
    return start_session(request, user.id, str(context["next"]))


def _end(state: WebState, session_id: str | None, actor: str, user_id: int | None) -> None:
    with state.app.sessions.begin() as db:
        if user_id is not None:
            ended = end_sessions(db, user_id)
            audit.record(db, AuditKind.LOGOUT_EVERYWHERE, actor=actor, at=state.now(), details={"sessions": ended})
        else:
            audit.record(db, AuditKind.LOGOUT, actor=actor, at=state.now())
    if session_id:
        state.sessions.end(session_id)


async def _logout(request: Request, everywhere: bool) -> Response:
    viewer, state = viewer_of(request), state_of(request)
    await in_thread(_end, state, request.scope.get(SESSION_KEY), viewer.actor, viewer.id if everywhere else None)
    request.scope[SESSION_KEY] = None
    response = redirect("/login?reden=" + ("overal" if everywhere else "uitgelogd"))
    response.headers.append("set-cookie", state.cookies.clear(state.cookies.session_name))
    return response


async def logout(request: Request) -> Response:
    return await _logout(request, everywhere=False)


async def logout_everywhere(request: Request) -> Response:
    return await _logout(request, everywhere=True)


routes = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/logout/everywhere", logout_everywhere, methods=["POST"]),
]
