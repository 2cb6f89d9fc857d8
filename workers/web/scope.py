"""The municipal boundary: the one place that decides what a console user may see and touch.

Operators see everything. A municipal user sees the cases of their own municipality only, the
emails of those cases, and of their inbound mail only what came from a verified sender and is not
quarantined (forged, spoofed or token-less mail is for operators, even when tied to such a case);
anything else answers 404, exactly as if it did
not exist, so ids of other municipalities reveal nothing. Every query of the console goes
through ``scoped`` or one of the ``*_or_404`` helpers below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException

from schema.case_store import CaseActionError, CaseStore, OpenCase
from schema.console_models import User
from schema.models import CaseRow
from schema.runtime_models import InboundMessage, OutboundEmail
from workflows.states import InboundState

S = TypeVar("S", bound=Select[Any])


@dataclass(frozen=True)
class Viewer:
    """The logged-in user as the console sees them, reloaded from the database on every request."""

    id: int
    username: str
    display_name: str
    role: str
    cbs_code: str | None

    @property
    def is_operator(self) -> bool:
        return self.role == "operator"

    @property
    def actor(self) -> str:
        """How this user appears in audit events."""
        return f"web:{self.username}"

    @classmethod
    def of(cls, user: User) -> Viewer | None:
        """The viewer for an active, consistent user; None for one that may not log in."""
        if not user.active or user.role not in ("operator", "municipal"):
            return None
        if user.role == "municipal" and not user.cbs_code:
            return None
        cbs_code = user.cbs_code if user.role == "municipal" else None
        return cls(user.id, user.username, user.display_name, user.role, cbs_code)


def scoped(query: S, viewer: Viewer) -> S:
    """``query`` (which selects from or joins ``cases``) limited to what ``viewer`` may see."""
    if viewer.is_operator:
        return query
    return query.where(CaseRow.cbs_code == viewer.cbs_code)


def municipality_filter(viewer: Viewer, requested: list[str]) -> list[str] | None:
    """The municipalities a list, report or export covers: a municipal user's own, whatever was asked."""
    if not viewer.is_operator:
        return [viewer.cbs_code or ""]
    wanted = sorted({code.strip().upper() for code in requested if code.strip()})
    return wanted or None


def not_found() -> HTTPException:
    return HTTPException(404, "Niet gevonden")


def require_operator(viewer: Viewer) -> None:
    """Operator-only areas (dead letters, triage, users, quarantined mail without a case)."""
    if not viewer.is_operator:
        raise HTTPException(403, "Alleen voor operators")


def may_see(viewer: Viewer, cbs_code: str | None) -> bool:
    """Whether ``viewer`` may see a case of the municipality ``cbs_code``."""
    return viewer.is_operator or (cbs_code is not None and cbs_code == viewer.cbs_code)


def case_or_404(session: Session, viewer: Viewer, case_id: int) -> CaseRow:
    """A case to read (not to change: see ``open_case_or_404``)."""
    case = session.get(CaseRow, case_id)
    if case is None or not may_see(viewer, case.cbs_code):
        raise not_found()
    return case


def open_case_or_404(store: CaseStore, session: Session, viewer: Viewer, case_id: int) -> OpenCase:
    """A case locked for change through the case store, in the caller's transaction; use it with ``with``."""
    try:
        opened = store.lock(session, case_id)
    except CaseActionError:
        raise not_found() from None
    if not may_see(viewer, opened.row.cbs_code):
        raise not_found()
    return opened


def email_or_404(session: Session, viewer: Viewer, email_id: int) -> OutboundEmail:
    row = session.scalars(scoped(select(OutboundEmail).join(CaseRow, CaseRow.id == OutboundEmail.case_id)
                                 .where(OutboundEmail.id == email_id), viewer)).one_or_none()  # fmt: skip
    if row is None:
        raise not_found()
    return row


def municipal_may_see(row: InboundMessage) -> bool:
    """Mail a municipal user may see: from a verified sender (valid token for the case, DMARC pass) and not
    quarantined. Anything else, even tied to a case of theirs, is for operators only."""
    return row.sender_verified and row.state != InboundState.QUARANTINED


def inbound_or_404(session: Session, viewer: Viewer, inbound_id: int, *, lock: bool = False) -> InboundMessage:
    """An inbound message; a municipal user only gets verified ones tied to a case of their municipality."""
    row = session.get(InboundMessage, inbound_id, with_for_update=lock)
    if row is None:
        raise not_found()
    if viewer.is_operator:
        return row
    if not municipal_may_see(row):
        raise not_found()
    case = session.get(CaseRow, row.case_id) if row.case_id is not None else None
    if case is None or not may_see(viewer, case.cbs_code):
        raise not_found()
    return row


def inbound_scoped(query: S, viewer: Viewer) -> S:
    """``query`` over ``inbound_messages`` limited to what ``viewer`` may see (joins ``cases``): for a municipal
    user, the verified, not quarantined mail of their municipality's cases (``municipal_may_see``)."""
    if viewer.is_operator:
        return query
    return query.join(CaseRow, CaseRow.id == InboundMessage.case_id).where(
        CaseRow.cbs_code == viewer.cbs_code, InboundMessage.sender_verified.is_(True),
        InboundMessage.state != InboundState.QUARANTINED,
    )  # fmt: skip
