"""Machine endpoints: HTTP intake (API token), health for load balancers, metrics for Prometheus.

``POST /api/intake`` takes one intake record (a JSON object) or a list of them, exactly as the file
intake reads them, and answers with the file intake's own summary: the same path, the same results.
It authenticates with ``Authorization: Bearer <token>`` (``koers tokens add``) and ignores cookies,
so it needs no CSRF token. A token scoped to one municipality has its other records rejected.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from workers.feed_files import RawRecord
from workers.metrics import CONTENT_TYPE, render_metrics
from workers.web.api_tokens import TokenGrant, token_grant
from workers.web.context import WebState, in_thread, state_of
from workers.wiring import intake_service

MAX_BODY_BYTES = 20 * 1024 * 1024
MAX_RECORDS = 10_000
BROKER_TIMEOUT = 2.0


def _grant(state: WebState, token: str) -> TokenGrant | None:
    with state.app.sessions.begin() as session:
        return token_grant(session, token, state.now())


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _error(message: str, status: int, **headers: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


def raw_records(data: Any) -> list[RawRecord] | None:
    """The posted JSON as intake records (line = position, from 1); None when it is neither object nor list."""
    items = data if isinstance(data, list) else [data] if isinstance(data, dict) else None
    if items is None:
        return None
    return [RawRecord(i, fields=item) if isinstance(item, dict) else RawRecord(i, error=f"regel {i}: geen geldig "
            "JSON-object") for i, item in enumerate(items, start=1)]  # fmt: skip


async def _limited_body(request: Request) -> bytes | None:
    """The request body, or None as soon as it is larger than ``MAX_BODY_BYTES``."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def intake(request: Request) -> Response:
    state = state_of(request)
    grant = await in_thread(_grant, state, _bearer(request))
    if grant is None:
        return _error("geen geldig API-token (Authorization: Bearer …; verlopen en ingetrokken tokens gelden niet)",
                      401, **{"WWW-Authenticate": "Bearer"})  # fmt: skip
    body = await _limited_body(request)
    if body is None:
        return _error(f"te groot: maximaal {MAX_BODY_BYTES // (1024 * 1024)} MB per verzoek", 413)
    try:
        records = raw_records(json.loads(body))
    except (ValueError, RecursionError):
        return _error("geen geldige JSON", 400)
    if records is None:
        return _error("verwacht één record (JSON-object) of een lijst van records", 400)
    if len(records) > MAX_RECORDS:
        return _error(f"te veel records: maximaal {MAX_RECORDS} per verzoek", 413)
    summary = await in_thread(intake_service(state.app).ingest, records, f"http:{grant.name}",
                              only_municipality=grant.cbs_code)  # fmt: skip
    return JSONResponse(summary.to_json())


def _database_ok(state: WebState) -> str | None:
    try:
        with state.app.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure is "unhealthy", named by its type only
        return type(exc).__name__
    return None


def _broker_ok(broker_url: str | None) -> str | None:
    if broker_url is None:
        return None
    import pika

    parameters = pika.URLParameters(broker_url)
    parameters.connection_attempts, parameters.socket_timeout = 1, BROKER_TIMEOUT
    parameters.stack_timeout, parameters.blocked_connection_timeout = BROKER_TIMEOUT * 2, BROKER_TIMEOUT
    try:
        pika.BlockingConnection(parameters).close()
    except Exception as exc:  # noqa: BLE001
        return type(exc).__name__
    return None


async def healthz(request: Request) -> Response:
    state = state_of(request)
    database = await in_thread(_database_ok, state)
    broker = await in_thread(_broker_ok, state.broker_url)
    checks = {"database": database or "ok",
              "broker": broker or ("ok" if state.broker_url else "in-process")}  # fmt: skip
    healthy = database is None and broker is None
    return JSONResponse({"status": "ok" if healthy else "fout", **checks}, status_code=200 if healthy else 503)


async def metrics(request: Request) -> Response:
    state = state_of(request)
    body = await in_thread(render_metrics, state.app, state.broker_url)
    return Response(body, media_type=CONTENT_TYPE)


routes = [
    Route("/api/intake", intake, methods=["POST"]),
    Route("/healthz", healthz),
    Route("/metrics", metrics),
]
