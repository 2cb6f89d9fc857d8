"""Console users and API tokens: create, list, authenticate. Used by the web app and the CLI.

A municipal user always has a municipality and an operator never has one: the municipal boundary
(``workers.web.scope``) depends on it. Every login attempt and every new user or token is an
audit event.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema import audit
from schema.console_models import ApiToken, User
from schema.models import MunicipalityRow
from workers.web.credentials import burn_time, hash_password, new_api_token, token_digest, verify_password
from workflows.states import AuditKind

ROLES = ("operator", "municipal")
MIN_PASSWORD_LENGTH = 12
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,99}$")


class AccountError(ValueError):
    """A user or token that cannot be made as asked; the message is Dutch."""


def add_user(session: Session, username: str, *, role: str, password: str, now: datetime,
             cbs_code: str | None = None, display_name: str | None = None, actor: str = "cli") -> User:  # fmt: skip
    """Create a user after checking role, municipality and password; raises ``AccountError``."""
    username = username.strip().lower()
    _check_new_user(session, username, role, cbs_code, password)
    user = User(username=username, display_name=(display_name or username).strip()[:200],
                password_hash=hash_password(password), role=role, cbs_code=cbs_code.upper() if cbs_code else None,
                active=True, created_at=now)  # fmt: skip
    session.add(user)
    audit.record(session, AuditKind.USER_ADDED, actor=actor, at=now,
                 details={"username": username, "role": role, "cbs_code": user.cbs_code})
    return user


def _check_new_user(session: Session, username: str, role: str, cbs_code: str | None, password: str) -> None:
    if not _USERNAME.match(username):
        raise AccountError("gebruikersnaam: 2-100 tekens, kleine letters, cijfers en . _ @ -")
    if role not in ROLES:
        raise AccountError(f"rol moet een van {', '.join(ROLES)} zijn")
    if role == "municipal" and not cbs_code:
        raise AccountError("een gemeentelijke gebruiker heeft een gemeente nodig (--municipality GM0080)")
    if role == "operator" and cbs_code:
        raise AccountError("een operator hoort niet bij één gemeente")
    if cbs_code and session.get(MunicipalityRow, cbs_code.upper()) is None:
        raise AccountError(f"{cbs_code} is geen gemeente van Groningen, Fryslân of Drenthe")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"wachtwoord: minstens {MIN_PASSWORD_LENGTH} tekens")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"gebruiker {username} bestaat al")


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.role, User.username)))


def authenticate(session: Session, username: str, password: str, now: datetime) -> User | None:
    """The active user with this password, or None; takes as long for an unknown username."""
    user = session.scalars(select(User).where(User.username == username.strip().lower())).one_or_none()
    if user is None or not user.active:
        burn_time(password)
        return None
    if not verify_password(password, user.password_hash):
        return None
    user.last_login_at = now
    return user


def add_token(session: Session, name: str, now: datetime, actor: str = "cli") -> str:
    """Create an API token and return it; only its digest is stored, so show it now or never."""
    name = name.strip()
    if not name or len(name) > 100:
        raise AccountError("naam van het token: 1-100 tekens")
    if session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise AccountError(f"token {name} bestaat al")
    token = new_api_token()
    session.add(ApiToken(name=name, token_hash=token_digest(token), active=True, created_at=now))
    audit.record(session, AuditKind.API_TOKEN_ADDED, actor=actor, at=now, details={"name": name})
    return token


def token_owner(session: Session, token: str, now: datetime) -> ApiToken | None:
    """The active token row for ``token`` (marked as used), or None."""
    if not token:
        return None
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == token_digest(token))).one_or_none()
    if row is None or not row.active:
        return None
    row.last_used_at = now
    return row


def deactivate_user(session: Session, username: str, *, now: datetime, actor: str = "cli") -> None:
    """Switch a user off: no login, and their open sessions end at the next request."""
    user = session.scalars(select(User).where(User.username == username.strip().lower())).one_or_none()
    if user is None:
        raise AccountError(f"gebruiker {username} bestaat niet")
    user.active = False
    audit.record(session, AuditKind.USER_DEACTIVATED, actor=actor, at=now, details={"username": user.username})
