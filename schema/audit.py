"""The one way an audit event is written: who, when, what, about which case, with which details.

``audit_events`` is append-only (database triggers refuse UPDATE and DELETE). Events about a case
are gathered by the case store and written with its other rows; events about no case (a login, a
user added, a report exported) and a single event next to another change use ``record``. Details
hold ids, states and reasons — never a name, address or note that the case itself does not hold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from schema import bulk
from schema.models import AuditEvent
from workflows.states import AuditKind

AUDIT = cast(Table, AuditEvent.__table__)
ACTOR_MAX = 200
_INSERT = insert(AUDIT).inline()  # no RETURNING of the id: nobody reads it back


def row(at: datetime, actor: str, case_id: int | None, event: AuditKind, details: Mapping[str, Any]) -> dict[str, Any]:
    """An ``audit_events`` row as a dict (for ``write``)."""
    return {"at": at, "actor": actor[:ACTOR_MAX], "case_id": case_id, "event": AuditKind(event).value,
            "details": dict(details)}  # fmt: skip


def write(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Write gathered rows in one statement (COPY on PostgreSQL)."""
    bulk.insert_rows(session, AUDIT, rows)


def record(session: Session, event: AuditKind, *, actor: str, at: datetime, case_id: int | None = None,
           details: Mapping[str, Any] | None = None) -> None:  # fmt: skip
    """Write one event now, in the caller's transaction."""
    session.connection().execute(_INSERT, row(at, actor, case_id, event, details or {}))
