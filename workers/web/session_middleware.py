"""The session middleware: loads the server-side session of the cookie, and writes back what changed.

It puts the session's data in ``scope["session"]`` (so ``request.session`` works as usual), the
viewer in ``scope[VIEWER_KEY]`` and the session's id in ``scope[SESSION_KEY]``. A route that
starts or ends a session sets the cookie itself (``CookiePolicy``) and clears ``SESSION_KEY``.
Without a live session, ``scope["session"]`` holds only the anonymous CSRF token of its cookie.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from http.cookies import SimpleCookie

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workers.web.context import VIEWER_KEY
from workers.web.sessions import MAX_SESSION, SessionStore

SESSION_KEY = "koers.session_id"
ENDED_KEY = "koers.session_ended"  # a session cookie came with the request, but its session is over
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


@dataclass(frozen=True)
class CookiePolicy:
    """Cookie names and attributes: ``secure`` marks them Secure and uses the ``__Host-`` prefix."""

    secure: bool

    @property
    def session_name(self) -> str:
        return "__Host-koers_sessie" if self.secure else "koers_sessie"

    @property
    def csrf_name(self) -> str:
        return "__Host-koers_csrf" if self.secure else "koers_csrf"

    def header(self, name: str, value: str, max_age: int | None) -> str:
        """The value of a ``Set-Cookie`` header: HttpOnly, SameSite=Lax, Path=/, Secure when ``secure``."""
        cookie: SimpleCookie = SimpleCookie()
        cookie[name] = value
        morsel = cookie[name]
        morsel["path"], morsel["httponly"], morsel["samesite"] = "/", True, "Lax"
        if max_age is not None:
            morsel["max-age"] = max_age
        if self.secure:
            morsel["secure"] = True
        return morsel.OutputString()

    def session_cookie(self, token: str) -> str:
        return self.header(self.session_name, token, int(MAX_SESSION.total_seconds()))

    def clear(self, name: str) -> str:
        return self.header(name, "", 0)


class ServerSessions:
    """ASGI middleware around the app: session in, changed data and the anonymous CSRF cookie out."""

    def __init__(self, app: ASGIApp, store: SessionStore, cookies: CookiePolicy) -> None:
        self.app = app
        self.store = store
        self.cookies = cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        jar = Request(scope).cookies
        token = jar.get(self.cookies.session_name, "")
        loaded = await run_in_threadpool(self.store.load, token) if _TOKEN.match(token) else None
        if loaded is not None:
            scope["session"], scope[SESSION_KEY] = loaded.data, loaded.id
            if loaded.viewer is not None:
                scope[VIEWER_KEY] = loaded.viewer
        else:
            csrf = jar.get(self.cookies.csrf_name, "")
            scope["session"] = {"csrf": csrf} if _TOKEN.match(csrf) else {}
            scope[ENDED_KEY] = bool(token)
        before = copy.deepcopy(scope["session"])

        async def send_with_session(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = await self._finish(scope, message, before, loaded.id if loaded else None)
            await send(message)

        await self.app(scope, receive, send_with_session)

    async def _finish(self, scope: Scope, message: Message, before: dict[str, object], loaded: str | None) -> Message:
        session = scope["session"]
        headers = list(message.get("headers", []))
        if loaded is not None and scope.get(SESSION_KEY) == loaded and session != before:
            await run_in_threadpool(self.store.save, loaded, session)
        elif loaded is None and session.get("csrf") and session.get("csrf") != before.get("csrf"):
            headers.append(_set_cookie(self.cookies.header(self.cookies.csrf_name, str(session["csrf"]), None)))
        prefix = self.cookies.session_name.encode() + b"="
        if scope.get(ENDED_KEY) and not any(k == b"set-cookie" and v.startswith(prefix) for k, v in headers):
            headers.append(_set_cookie(self.cookies.clear(self.cookies.session_name)))
        return {**message, "headers": headers}


def _set_cookie(value: str) -> tuple[bytes, bytes]:
    return b"set-cookie", value.encode("latin-1")
