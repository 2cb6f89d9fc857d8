"""What every route needs: the wired app, the viewer, rendering, flash messages and redirects.

Database work is synchronous (SQLAlchemy sessions), so routes run it through ``in_thread`` and
never block the event loop. Times are shown in Dutch local time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from workers.bootstrap import App
from workers.services import Services
from workers.web.scope import Viewer

if TYPE_CHECKING:
    from workers.web.oidc import SingleSignOn
    from workers.web.session_middleware import CookiePolicy
    from workers.web.sessions import SessionStore
    from workers.web.throttle import LoginThrottle

LOCAL = ZoneInfo("Europe/Amsterdam")
VIEWER_KEY = "koers.viewer"
P = ParamSpec("P")
T = TypeVar("T")


@dataclass
class WebState:
    """Shared by all requests of one console process."""

    app: App
    services: Services
    templates: Jinja2Templates
    throttle: LoginThrottle
    broker_url: str | None
    sessions: SessionStore
    cookies: CookiePolicy
    sso: SingleSignOn | None = None

    def now(self) -> datetime:
        return self.app.clock()

    def today(self) -> date:
        return self.now().astimezone(LOCAL).date()


def state_of(request: Request) -> WebState:
    state: WebState = request.app.state.koers
    return state


def viewer_of(request: Request) -> Viewer:
    """The logged-in viewer; the login middleware guarantees one on every non-public path."""
    viewer: Viewer = request.scope[VIEWER_KEY]
    return viewer


async def in_thread(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    return await run_in_threadpool(fn, *args, **kwargs)


def render(request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200) -> Response:
    """A page; ``viewer``, ``csrf_token`` and flash messages come from the context processor."""
    return state_of(request).templates.TemplateResponse(request, template, context or {}, status_code=status)


def flash(request: Request, message: str, kind: str = "ok") -> None:
    """A message shown once on the next page (``ok`` or ``error``)."""
    messages = list(request.session.get("flash", []))
    messages.append({"kind": kind, "text": message[:500]})
    request.session["flash"] = messages[-5:]


def redirect(url: str) -> RedirectResponse:
    """After a POST: see the result with a GET (303)."""
    return RedirectResponse(url, status_code=303)


def client_address(request: Request) -> str:
    """The client's address: the peer, or what a trusted proxy says (``[web] trusted_proxies``)."""
    return request.client.host if request.client else "onbekend"
