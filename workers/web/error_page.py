"""The console's answer to an error nobody expected: a friendly Dutch page with an error id, never a stack.

The id is on the page and in the log line, so an operator who passes it on can be matched to what
happened. The log line names the error's type and the Koers code it came from (file, line, function),
not its text: an exception's message can hold a name or a note. The page is plain HTML that needs
neither the session nor the templates, which may be what failed.
"""

from __future__ import annotations

import html
import logging
import secrets
import traceback
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("koers.web")
_ROOT = Path(__file__).resolve().parents[2]
_PRODUCT = tuple(str(_ROOT / package) + "/" for package in ("workflows", "schema", "messaging", "workers"))
PAGE = """<!doctype html>
<html lang="nl">
<head><meta charset="utf-8"><title>Er ging iets mis · Koers 3Noord</title>
<link rel="stylesheet" href="/static/koers.css"></head>
<body><main id="inhoud"><section class="card narrow">
<h1>Er ging iets mis</h1>
<p>Koers kon deze pagina door een onverwachte fout niet tonen. Er is niets veranderd dat u niet al zag.
Probeer het zo nog eens; lukt het dan weer niet, geef deze foutcode door aan de beheerder van Koers:</p>
<p><strong>Foutcode: <code>{error_id}</code></strong></p>
<p><a href="/">Terug naar het overzicht</a></p>
</section></main></body></html>
"""


class ErrorPage:
    """ASGI middleware: an unhandled exception becomes a 500 page (JSON under ``/api/``) and one log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            error_id = secrets.token_hex(4)
            log.error("console error %s: %s on %s %s (%s)", error_id, type(exc).__name__, scope.get("method"),
                      scope.get("path"), where(exc))  # fmt: skip
            if not started:  # once the answer has begun, the connection can only be closed
                await _answer(scope, send, error_id)


def where(exc: BaseException) -> str:
    """The Koers frames the error passed through, innermost first: ``file:line function`` each."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(_PRODUCT)]
    return " < ".join(f"{Path(f.filename).relative_to(_ROOT)}:{f.lineno} {f.name}" for f in reversed(frames[-5:]))


async def _answer(scope: Scope, send: Send, error_id: str) -> None:
    if str(scope.get("path", "")).startswith("/api/"):
        body = f'{{"error": "interne fout", "error_id": "{error_id}"}}'.encode()
        content_type = b"application/json"
    else:
        body = PAGE.format(error_id=html.escape(error_id)).encode()
        content_type = b"text/html; charset=utf-8"
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": body})
