"""Console users: create, list, check a password, change it, deactivate. Used by the web app and the CLI.

A municipal user always has a municipality and an operator never has one: the municipal boundary
(``workers.web.scope``) depends on it. Every login attempt and every new user or token is an
audit event. Changing a password or deactivating a user ends their sessions in the same
transaction.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from schema import audit
from schema.console_models import User
from schema.models import MunicipalityRow
from workers.web.credentials import burn_time, hash_password, needs_rehash, verify_password
from workers.web.sessions import end_sessions
from workflows.states import AuditKind

ROLES = ("operator", "municipal")
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1000
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
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"gebruiker {username} bestaat al")


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.role, User.username)))


def password_problem(password: str) -> str | None:
    """What is wrong with a new password (Dutch), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"wachtwoord: minstens {MIN_PASSWORD_LENGTH} tekens"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"wachtwoord: hoogstens {MAX_PASSWORD_LENGTH} tekens"
    return None


def check_password(sessions: sessionmaker[Session], username: str, password: str) -> User | None:
    """The active local user with this password (detached), or None; as slow for an unknown username.

    The hash runs outside any transaction: a login holds no database connection while it hashes.
    """
    with sessions() as db:
        user = db.scalars(select(User).where(User.username == username.strip().lower())).one_or_none()
        if user is not None:
            db.expunge(user)
    if user is None or not user.active or not user.password_hash:
        burn_time(password)
        return None
    return user if verify_password(password, user.password_hash) else None


def record_login(db: Session, user: User, password: str | None, now: datetime) -> None:
    """After a successful login: the time, and a stronger hash when the stored one is weaker than today's."""
    row = db.get(User, user.id)
    if row is None:
        return
    row.last_login_at = now
    if password is not None and row.password_hash == user.password_hash and needs_rehash(row.password_hash):
        row.password_hash = hash_password(password)


def set_password(db: Session, username: str, password: str, *, now: datetime, actor: str,
                 keep_session: str | None = None) -> int:  # fmt: skip
    """A new password for a local user; ends their sessions (but ``keep_session``). Returns how many ended."""
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    user = db.scalars(select(User).where(User.username == username.strip().lower())).one_or_none()
    if user is None:
        raise AccountError(f"gebruiker {username} bestaat niet")
    if user.oidc_subject is not None:
        raise AccountError(f"{user.username} logt in via de eigen organisatie en heeft hier geen wachtwoord")
    user.password_hash = hash_password(password)
    ended = end_sessions(db, user.id, keep=keep_session)
    audit.record(db, AuditKind.PASSWORD_CHANGED, actor=actor, at=now,
                 details={"username": user.username, "sessions_ended": ended})  # fmt: skip
    return ended


def deactivate_user(session: Session, username: str, *, now: datetime, actor: str = "cli") -> None:
    """Switch a user off: no login, and their sessions end at once."""
    user = session.scalars(select(User).where(User.username == username.strip().lower())).one_or_none()
    if user is None:
        raise AccountError(f"gebruiker {username} bestaat niet")
    user.active = False
    ended = end_sessions(session, user.id)
    audit.record(session, AuditKind.USER_DEACTIVATED, actor=actor, at=now,
                 details={"username": user.username, "sessions_ended": ended})  # fmt: skip
