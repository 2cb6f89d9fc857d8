"""The console's app factory: routes, middleware, templates, error pages.

Middleware, outermost first: security headers, the signed session cookie, CSRF on every
state-changing request, then the login requirement. Routes live in one module per area.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workers.bootstrap import App
from workers.services import Services, build_services, secret_key
from workers.web import (
    action_routes,
    api,
    auth,
    case_routes,
    dead_letter_routes,
    formatting,
    inbound_routes,
    overview_routes,
    report_routes,
    triage_routes,
)
from workers.web.auth import IDLE_TIMEOUT, MAX_SESSION, LoginRequired
from workers.web.context import VIEWER_KEY, WebState
from workers.web.csrf import CsrfMiddleware, ensure_csrf
from workers.web.throttle import LoginThrottle
from workflows import labels
from workflows.model import case_reference

HERE = Path(__file__).parent
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")  # fmt: skip
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


class SecurityHeaders:
    """CSP, no framing, no sniffing; ``no-store`` on everything but static files (pages hold case data)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if cacheable or h[0].lower() != b"cache-control"]
                headers += SECURITY_HEADERS if cacheable else [*SECURITY_HEADERS, (b"cache-control", b"no-store")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def session_key(app: App) -> str:
    """The cookie-signing key, derived from KOERS_SECRET_KEY so the raw key signs nothing else here."""
    return hmac.new(secret_key(app.settings), b"koers-web-session-v1", hashlib.sha256).hexdigest()


def _base_context(request: Request) -> dict[str, Any]:
    flashes = request.session.pop("flash", []) if "flash" in request.session else []
    return {"viewer": request.scope.get(VIEWER_KEY), "csrf_token": ensure_csrf(request.session), "flashes": flashes,
            "path": request.url.path}  # fmt: skip


def _templates() -> Jinja2Templates:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)  # fmt: skip
    env.filters.update(local_time=formatting.local_time, dutch_date=formatting.dutch_date,
                       days_left=formatting.days_left, percent=formatting.percent,
                       duration=formatting.duration)  # fmt: skip
    env.globals.update(label=labels.label, L=labels, ref=case_reference)
    return Jinja2Templates(env=env, context_processors=[_base_context])


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)
    if exc.status_code in (401, 403, 404, 405, 409) and "session" in request.scope:
        state: WebState = request.app.state.koers
        context = {"status": exc.status_code, "message": exc.detail}
        return state.templates.TemplateResponse(request, "error.html", context, status_code=exc.status_code)
    return PlainTextResponse(str(exc.detail), status_code=exc.status_code, headers=exc.headers)


def _routes() -> list[BaseRoute]:
    return [
        *auth.routes, *overview_routes.routes, *case_routes.routes, *triage_routes.routes, *inbound_routes.routes,
        *action_routes.routes, *dead_letter_routes.routes, *report_routes.routes, *api.routes,
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]  # fmt: skip


def create_app(app: App, services: Services | None = None, *, secure_cookies: bool = False) -> Starlette:
    """The console for ``app``; ``secure_cookies`` marks the session cookie Secure (behind HTTPS)."""
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(
            SessionMiddleware,
            secret_key=session_key(app),
            session_cookie="koers_sessie",
            max_age=MAX_SESSION,
            same_site="lax",
            https_only=secure_cookies,
        ),
        Middleware(CsrfMiddleware),
        Middleware(LoginRequired),
    ]
    web = Starlette(routes=_routes(), middleware=middleware, exception_handlers={HTTPException: _http_error})
    web.state.koers = WebState(app=app, services=services or build_services(app), templates=_templates(),
                               throttle=LoginThrottle(), broker_url=app.settings.broker_url)  # fmt: skip
    return web


__all__ = ["IDLE_TIMEOUT", "create_app"]
