"""Console sessions on the server: the cookie carries a random id, the database everything else.

The cookie is not signed: it holds 256 random bits that mean nothing without their row (stored
as a SHA-256 digest, so a copy of the database opens no session), and no key, weak or strong,
can forge one. Ending a session is deleting its row, so logout, "log out everywhere",
deactivation and a password change end it at the next request, whatever a browser kept.
Sessions end after ``IDLE_TIMEOUT`` without a request and after ``MAX_SESSION`` in all; a
pre-login session (single sign-on on its way, no user yet) after ``PENDING_TIMEOUT``.

An anonymous visitor gets no session row and no session cookie: the login form's CSRF token
travels in a cookie of its own (random, unsigned: a double-submit token), so that a ``GET
/login`` hands out nothing to attack offline and costs the database nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from schema.console_models import ConsoleSession, User
from workers.web.credentials import token_digest
from workers.web.scope import Viewer

IDLE_TIMEOUT = timedelta(minutes=30)
MAX_SESSION = timedelta(hours=10)
PENDING_TIMEOUT = timedelta(minutes=10)
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often


@dataclass(frozen=True)
class Loaded:
    """A live session: its row id (the digest), its data, and the viewer when it belongs to a usable user."""

    id: str
    user_id: int | None
    data: dict[str, Any]
    viewer: Viewer | None


def new_session_data() -> dict[str, Any]:
    return {"csrf": secrets.token_urlsafe(32)}


class SessionStore:
    """Starts, loads, saves and ends console sessions; ``clock`` is the app's (tests move it)."""

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self._sessions = sessions
        self._clock = clock

    def start(self, user_id: int | None, data: dict[str, Any] | None = None) -> str:
        """A new session (a fresh id: never an id the browser had before); returns the cookie value."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with self._sessions.begin() as db:
            _delete_expired(db, now)
            db.add(ConsoleSession(id=token_digest(token), user_id=user_id, data={**new_session_data(), **(data or {})},
                                  created_at=now, last_seen_at=now))  # fmt: skip
        return token

    def load(self, token: str) -> Loaded | None:
        """The live session for a cookie value, or None (unknown, ended, timed out, or its user may not log in)."""
        now = self._clock()
        with self._sessions.begin() as db:
            row = db.get(ConsoleSession, token_digest(token))
            if row is None:
                return None
            if _expired(row, now):
                db.delete(row)
                return None
            user = db.get(User, row.user_id) if row.user_id is not None else None
            viewer = Viewer.of(user) if user is not None else None
            if row.user_id is not None and viewer is None:
                db.delete(row)
                return None
            if now - row.last_seen_at >= TOUCH_EVERY:
                row.last_seen_at = now
            return Loaded(row.id, row.user_id, dict(row.data), viewer)

    def save(self, session_id: str, data: dict[str, Any]) -> None:
        """Store changed session data (flash messages); a session ended meanwhile stays ended."""
        with self._sessions.begin() as db:
            db.execute(update(ConsoleSession).where(ConsoleSession.id == session_id).values(data=data))

    def end(self, session_id: str) -> None:
        with self._sessions.begin() as db:
            db.execute(delete(ConsoleSession).where(ConsoleSession.id == session_id))


def end_sessions(db: Session, user_id: int, *, keep: str | None = None) -> int:
    """End every session of ``user_id`` (but ``keep``) in the caller's transaction; returns how many."""
    query = select(ConsoleSession.id).where(ConsoleSession.user_id == user_id)
    if keep is not None:
        query = query.where(ConsoleSession.id != keep)
    ids = list(db.scalars(query))
    if ids:
        db.execute(delete(ConsoleSession).where(ConsoleSession.id.in_(ids)))
    return len(ids)


def count_sessions(db: Session, user_id: int) -> int:
    return len(list(db.scalars(select(ConsoleSession.id).where(ConsoleSession.user_id == user_id))))


def _expired(row: ConsoleSession, now: datetime) -> bool:
    if row.user_id is None:
        return now - row.created_at > PENDING_TIMEOUT
    return now - row.last_seen_at > IDLE_TIMEOUT or now - row.created_at > MAX_SESSION


def _delete_expired(db: Session, now: datetime) -> None:
    db.execute(delete(ConsoleSession).where(or_(
        ConsoleSession.last_seen_at < now - IDLE_TIMEOUT - TOUCH_EVERY,
        ConsoleSession.created_at < now - MAX_SESSION,
        ConsoleSession.user_id.is_(None) & (ConsoleSession.created_at < now - PENDING_TIMEOUT),
    )))  # fmt: skip
