"""The console's app factory: routes, middleware, templates, error pages.

Middleware, outermost first: the client's address from a trusted proxy (``[web]
trusted_proxies``; else the peer's), security headers (HSTS with Secure cookies), the error page for
what nobody expected, the server-side session, CSRF on every state-changing request, then the login
requirement. Routes live in one module per area.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from workers.bootstrap import App
from workers.services import Services, build_services
from workers.web import (
    account_routes,
    action_routes,
    api,
    auth,
    case_routes,
    dead_letter_routes,
    formatting,
    inbound_routes,
    oidc,
    overview_routes,
    report_routes,
    token_routes,
    triage_routes,
)
from workers.web.auth import LoginRequired
from workers.web.context import VIEWER_KEY, WebState
from workers.web.csrf import CsrfMiddleware, ensure_csrf
from workers.web.error_page import ErrorPage
from workers.web.session_middleware import CookiePolicy, ServerSessions
from workers.web.sessions import IDLE_TIMEOUT, SessionStore
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
HSTS = (b"strict-transport-security", b"max-age=31536000")


class SecurityHeaders:
    """CSP, no framing, no sniffing, HSTS when ``hsts``; ``no-store`` but on static files (pages hold case data)."""

    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.headers = [*SECURITY_HEADERS, HSTS] if hsts else SECURITY_HEADERS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if cacheable or h[0].lower() != b"cache-control"]
                headers += self.headers if cacheable else [*self.headers, (b"cache-control", b"no-store")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


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
    if exc.status_code in (400, 401, 403, 404, 405, 409) and "session" in request.scope:
        state: WebState = request.app.state.koers
        context = {"status": exc.status_code, "message": exc.detail}
        return state.templates.TemplateResponse(request, "error.html", context, status_code=exc.status_code)
    return PlainTextResponse(str(exc.detail), status_code=exc.status_code, headers=exc.headers)


def _routes() -> list[BaseRoute]:
    return [
        *auth.routes, *overview_routes.routes, *case_routes.routes, *triage_routes.routes, *inbound_routes.routes,
        *action_routes.routes, *dead_letter_routes.routes, *report_routes.routes, *api.routes,
        *account_routes.routes, *token_routes.routes, *oidc.routes,
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]  # fmt: skip


def create_app(app: App, services: Services | None = None, *, secure_cookies: bool = False) -> Starlette:
    """The console for ``app``; ``secure_cookies``: Secure cookies (``__Host-``) and HSTS (behind HTTPS).

    ``koers web`` and ``koers run`` turn them on unless the console listens on loopback
    (``workers.web.server.secure_by_default``).
    """
    web_settings = app.settings.web
    cookies = CookiePolicy(secure=secure_cookies)
    sessions = SessionStore(app.sessions, app.clock)
    middleware = [
        Middleware(SecurityHeaders, hsts=secure_cookies),
        Middleware(ErrorPage),  # inside the headers: the error page gets them too
        Middleware(ServerSessions, store=sessions, cookies=cookies),
        Middleware(CsrfMiddleware),
        Middleware(LoginRequired),
    ]
    if web_settings.trusted_proxies:
        middleware.insert(0, Middleware(ProxyHeadersMiddleware, trusted_hosts=list(web_settings.trusted_proxies)))
    web = Starlette(routes=_routes(), middleware=middleware, exception_handlers={HTTPException: _http_error})
    web.state.koers = WebState(app=app, services=services or build_services(app), templates=_templates(),
                               throttle=LoginThrottle(app.sessions, app.clock), broker_url=app.settings.broker_url,
                               sessions=sessions, cookies=cookies,
                               sso=oidc.SingleSignOn(web_settings.oidc) if web_settings.oidc else None)  # fmt: skip
    return web


__all__ = ["IDLE_TIMEOUT", "create_app"]
