"""Single sign-on through OpenID Connect (authlib): the authorization code flow with PKCE and a nonce.

``GET /login/sso`` starts a short pre-login session on the server (no user yet) that keeps
authlib's state, nonce and PKCE verifier, and sends the browser to the identity provider. ``GET
/login/sso/callback`` ends that pre-login session whatever happens (so a callback works once),
lets authlib check the state, exchange the code with the verifier and verify the ID token
(signature from the provider's keys, issuer, audience, expiry, nonce), maps its claims to a role
and a municipality (``workers.web.sso_accounts``), and starts the user's session.
"""

from __future__ import annotations

import logging
from typing import Any

from authlib.integrations.starlette_client import OAuth
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from schema import audit
from workers.settings_web import OidcSettings
from workers.web.auth import safe_next, start_session
from workers.web.context import VIEWER_KEY, WebState, client_address, in_thread, redirect, render, state_of
from workers.web.scope import not_found
from workers.web.session_middleware import SESSION_KEY
from workers.web.sso_accounts import SsoRefused, identity_of, provision
from workflows.states import AuditKind

log = logging.getLogger(__name__)
NEXT_KEY = "sso_next"
TIMEOUT = 10.0


class SingleSignOn:
    """The configured identity provider, as an authlib client (discovery, JWKS and token calls over httpx)."""

    def __init__(self, settings: OidcSettings) -> None:
        self.settings = settings
        self.label = settings.label
        self.client: Any = OAuth().register(
            name="koers", client_id=settings.client_id, client_secret=settings.client_secret,
            server_metadata_url=f"{settings.issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": settings.scopes, "code_challenge_method": "S256", "timeout": TIMEOUT},
        )  # fmt: skip


def _sso_of(request: Request) -> tuple[WebState, SingleSignOn]:
    state = state_of(request)
    if state.sso is None:
        raise not_found()
    return state, state.sso


async def sso_start(request: Request) -> Response:
    state, sso = _sso_of(request)
    if VIEWER_KEY in request.scope:
        return redirect("/")
    address = client_address(request)
    wait = await in_thread(state.throttle.take, None, address)
    if wait is not None:
        return _refused(request, f"Te veel pogingen. Probeer het over {wait} seconden opnieuw.", 429)
    request.scope["session"] = {}  # authlib writes the state, nonce and verifier here: the pre-login session
    response = await sso.client.authorize_redirect(request, str(request.url_for("sso_callback")))
    data = {**request.session, NEXT_KEY: safe_next(request.query_params.get("next"))}
    token = await in_thread(state.sessions.start, None, data)
    request.scope[SESSION_KEY] = None
    response.headers.append("set-cookie", state.cookies.session_cookie(token))
    return response


async def sso_callback(request: Request) -> Response:
    state, sso = _sso_of(request)
    if VIEWER_KEY in request.scope:
        return redirect("/")
    pending, address = request.scope.get(SESSION_KEY), client_address(request)
    target = safe_next(str(request.session.get(NEXT_KEY) or "/"))
    try:
        token = await sso.client.authorize_access_token(request, claims_options={
            "iss": {"essential": True, "values": [sso.settings.issuer]}})  # fmt: skip
        identity = identity_of(sso.settings, dict(token.get("userinfo") or {}))
        user_id = await in_thread(_provision, state, identity, address)
    except SsoRefused as refused:
        await in_thread(_audit_failure, state, address, "refused")
        return _refused(request, f"Geen toegang tot Koers: {refused}.", 403)
    except Exception as exc:  # noqa: BLE001 - any failure of the provider's answer is a refused login
        log.warning("single sign-on failed: %s", type(exc).__name__)
        await in_thread(_audit_failure, state, address, type(exc).__name__)
        return _refused(request, "Inloggen via uw organisatie is mislukt (verlopen of ongeldig antwoord). "
                                 "Probeer het opnieuw.", 400)  # fmt: skip
    finally:
        if pending:
            await in_thread(state.sessions.end, pending)  # single use: a replayed callback finds nothing
        request.scope[SESSION_KEY] = None
    await in_thread(state.throttle.succeeded, None, address)
    return start_session(request, user_id, target)


def _provision(state: WebState, identity: Any, address: str) -> int:
    with state.app.sessions.begin() as db:
        return provision(db, identity, state.now(), address)


def _audit_failure(state: WebState, address: str, reason: str) -> None:
    with state.app.sessions.begin() as db:
        audit.record(db, AuditKind.LOGIN_FAILED, actor="web:sso", at=state.now(),
                     details={"address": address, "method": "oidc", "reason": reason[:100]})  # fmt: skip


def _refused(request: Request, message: str, status: int) -> Response:
    context = {"next": "/", "notice": None, "sso": None, "error": message}
    return render(request, "login.html", context, status=status)


routes = [
    Route("/login/sso", sso_start, methods=["GET"]),
    Route("/login/sso/callback", sso_callback, methods=["GET"], name="sso_callback"),
]
