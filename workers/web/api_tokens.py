"""API tokens for HTTP intake: a name, an expiry, a scope, the last time used; revocable.

A token is random and shown once; only its SHA-256 digest is stored. A token answers only while
it is active, not revoked and not expired. Its scope is ``intake`` (records of any municipality)
or ``municipality`` (records that route to its one municipality; others are rejected). Making
and revoking a token are audit events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema import audit
from schema.console_models import ApiToken
from schema.models import MunicipalityRow
from workers.web.accounts import AccountError
from workers.web.credentials import new_api_token, token_digest
from workflows.states import AuditKind, TokenScope, TokenState

DEFAULT_LIFETIME = timedelta(days=365)
MAX_LIFETIME = timedelta(days=2 * 365)


@dataclass(frozen=True)
class TokenGrant:
    """What a presented token may do: its name (for the audit trail) and its municipality, if scoped to one."""

    name: str
    cbs_code: str | None


def add_token(session: Session, name: str, now: datetime, actor: str = "cli", *,
              lifetime: timedelta = DEFAULT_LIFETIME, cbs_code: str | None = None) -> str:  # fmt: skip
    """Create an API token and return it; only its digest is stored, so show it now or never."""
    name = name.strip()
    if not name or len(name) > 100:
        raise AccountError("naam van het token: 1-100 tekens")
    if not timedelta(0) < lifetime <= MAX_LIFETIME:
        raise AccountError(f"geldigheid van het token: 1 tot {MAX_LIFETIME.days} dagen")
    if session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise AccountError(f"token {name} bestaat al")
    if cbs_code and session.get(MunicipalityRow, cbs_code.upper()) is None:
        raise AccountError(f"{cbs_code} is geen gemeente van Groningen, Fryslân of Drenthe")
    scope = TokenScope.MUNICIPALITY if cbs_code else TokenScope.INTAKE
    token = new_api_token()
    cbs_code = cbs_code.upper() if cbs_code else None
    session.add(ApiToken(name=name, token_hash=token_digest(token), active=True, created_at=now,
                         expires_at=now + lifetime, scope=scope, cbs_code=cbs_code))  # fmt: skip
    details = {"name": name, "scope": scope.value, "cbs_code": cbs_code, "expires_at": (now + lifetime).isoformat()}
    audit.record(session, AuditKind.API_TOKEN_ADDED, actor=actor, at=now, details=details)
    return token


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.name)))


def revoke_token(session: Session, name: str, *, now: datetime, actor: str) -> ApiToken:
    """Revoke the token called ``name`` at once; raises ``AccountError`` when there is none, or it is revoked."""
    row = session.scalars(select(ApiToken).where(ApiToken.name == name.strip())).one_or_none()
    if row is None:
        raise AccountError(f"token {name} bestaat niet")
    if row.revoked_at is not None or not row.active:
        raise AccountError(f"token {name} is al ingetrokken")
    row.active, row.revoked_at = False, now
    audit.record(session, AuditKind.API_TOKEN_REVOKED, actor=actor, at=now, details={"name": row.name})
    return row


def token_state(row: ApiToken, now: datetime) -> TokenState:
    if row.revoked_at is not None or not row.active:
        return TokenState.REVOKED
    return TokenState.EXPIRED if row.expires_at <= now else TokenState.VALID


def token_grant(session: Session, token: str, now: datetime) -> TokenGrant | None:
    """What ``token`` may do (and it is marked as used), or None for an unknown, revoked or expired one."""
    if not token or len(token) > 200:
        return None
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == token_digest(token))).one_or_none()
    if row is None or token_state(row, now) is not TokenState.VALID:
        return None
    row.last_used_at = now
    return TokenGrant(row.name, row.cbs_code if row.scope == TokenScope.MUNICIPALITY else None)
