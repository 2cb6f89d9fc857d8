"""CSRF protection: a per-session token in every form, checked on every state-changing request.

A pure ASGI middleware (inside the session middleware) reads the request body once, compares its
``csrf_token`` field — or the ``X-CSRF-Token`` header — with the session's token in constant time,
and hands the same body on to the route. Paths under an exempt prefix (the token-authenticated
API, which ignores cookies) are not checked. Anything else without a valid token gets 403.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import parse_qs

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

FIELD = "csrf_token"
HEADER = b"x-csrf-token"
MAX_FORM_BYTES = 1024 * 1024
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def ensure_csrf(session: MutableMapping[str, Any]) -> str:
    """The session's CSRF token, made on first use."""
    token = session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def _sent_token(scope: Scope, body: bytes) -> str:
    for name, value in scope.get("headers", []):
        if name == HEADER:
            return str(value.decode("latin-1"))
    content_type = next((v for k, v in scope.get("headers", []) if k == b"content-type"), b"")
    if not content_type.startswith(b"application/x-www-form-urlencoded"):
        return ""
    values = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).get(FIELD, [])
    return values[0] if len(values) == 1 else ""


class CsrfMiddleware:
    """Rejects a state-changing request without the session's CSRF token (403)."""

    def __init__(self, app: ASGIApp, exempt_prefixes: tuple[str, ...] = ("/api/",)) -> None:
        self.app = app
        self.exempt = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS or scope["path"].startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:
            await PlainTextResponse("Formulier te groot", status_code=413)(scope, receive, send)
            return
        expected = scope.get("session", {}).get("csrf")
        sent = _sent_token(scope, body)
        if not (isinstance(expected, str) and expected and sent and hmac.compare_digest(sent, expected)):
            response = PlainTextResponse("Formulier verlopen of ongeldig: laad de pagina opnieuw en probeer het nog "
                                         "eens.", status_code=403)  # fmt: skip
            await response(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, original: Receive) -> Receive:
    """A receive that hands out the body already read, then waits on the real connection."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await original()

    return receive
