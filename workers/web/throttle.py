"""Login throttling in the database: an attempt is counted, atomically, before its password is hashed.

Two budgets are taken for every attempt, in one transaction that commits before the hash runs:

- per client address: at most ``client_limit`` attempts per ``window`` (a fixed window); a
  successful login gives its attempt back;
- per account: the first ``free_attempts`` go at once, then each further attempt must wait
  ``base_delay`` doubled per attempt, at most ``max_delay``; a successful login resets it, and
  ``window`` without attempts forgets them.

So an attacker never gets more hashes than the budgets allow, however many requests run in
parallel (each budget is one guarded ``UPDATE … WHERE`` on its row: PostgreSQL re-checks the
condition on the row a concurrent attempt committed, SQLite writes one at a time), and cannot lock
the real user out: the account only slows down, to one attempt per ``max_delay`` at worst.
Whose address a request comes from is decided before this (``[web] trusted_proxies``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, delete, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from schema.base import UtcDateTime
from schema.console_models import ThrottleRow

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ThrottlePolicy:
    client_limit: int = 30
    window: timedelta = timedelta(minutes=15)
    free_attempts: int = 3
    base_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(seconds=60)

    def delay(self, attempts: int) -> timedelta:
        """How long the account waits after its ``attempts``-th attempt."""
        if attempts < self.free_attempts:
            return timedelta(0)
        return min(self.base_delay * 2 ** (attempts - self.free_attempts), self.max_delay)

    @property
    def steps(self) -> int:
        """The attempt count from which the delay is ``max_delay``."""
        n = self.free_attempts
        while self.delay(n) < self.max_delay:
            n += 1
        return n


class _Refused(Exception):
    def __init__(self, wait: float) -> None:
        self.wait = wait


class LoginThrottle:
    """Takes and gives back login attempts; ``take`` answers None (go on) or the seconds to wait."""

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime],
                 policy: ThrottlePolicy | None = None) -> None:  # fmt: skip
        self._sessions = sessions
        self._clock = clock
        self.policy = policy or ThrottlePolicy()

    def take(self, username: str | None, address: str) -> int | None:
        """Count one attempt for ``username`` (None: no account yet, single sign-on) from ``address``.

        Returns None when the attempt may go on, else the seconds to wait.
        """
        now = self._clock()
        try:
            with self._sessions.begin() as db:
                self._take_client(db, _client_key(address), now)
                if username is not None:
                    self._take_account(db, _account_key(username), now)
        except _Refused as refused:  # the transaction rolled back: a refused attempt takes nothing
            return max(1, math.ceil(refused.wait))
        return None

    def succeeded(self, username: str | None, address: str) -> None:
        """A right password: the account starts afresh, and the client gets its attempt back."""
        now = self._clock()
        with self._sessions.begin() as db:
            if username is not None:
                db.execute(update(ThrottleRow).where(ThrottleRow.key == _account_key(username))
                           .values(attempts=0, next_allowed_at=now))  # fmt: skip
            db.execute(update(ThrottleRow).where(ThrottleRow.key == _client_key(address), ThrottleRow.attempts > 0)
                       .values(attempts=ThrottleRow.attempts - 1))  # fmt: skip
            stale = now - timedelta(days=1)
            db.execute(delete(ThrottleRow).where(ThrottleRow.window_start < stale, ThrottleRow.next_allowed_at < now))

    def _take_client(self, db: Session, key: str, now: datetime) -> None:
        _ensure_row(db, key)
        expired = ThrottleRow.window_start <= now - self.policy.window
        room = expired | (ThrottleRow.attempts < self.policy.client_limit)
        values = {"attempts": case((expired, 1), else_=ThrottleRow.attempts + 1),
                  "window_start": case((expired, _at(now)), else_=ThrottleRow.window_start)}  # fmt: skip
        taken = db.execute(update(ThrottleRow).where(ThrottleRow.key == key, room).values(values)
                           .returning(ThrottleRow.attempts)).first()  # fmt: skip
        if taken is None:
            start = db.scalar(select(ThrottleRow.window_start).where(ThrottleRow.key == key)) or now
            raise _Refused((start + self.policy.window - now).total_seconds())

    def _take_account(self, db: Session, key: str, now: datetime) -> None:
        _ensure_row(db, key)
        expired = ThrottleRow.window_start <= now - self.policy.window
        attempts = case((expired, 1), else_=ThrottleRow.attempts + 1)
        values = {"attempts": attempts, "window_start": now, "next_allowed_at": self._next_allowed(attempts, now)}
        taken = db.execute(update(ThrottleRow).where(ThrottleRow.key == key, ThrottleRow.next_allowed_at <= now)
                           .values(values).returning(ThrottleRow.attempts)).first()  # fmt: skip
        if taken is None:
            allowed = db.scalar(select(ThrottleRow.next_allowed_at).where(ThrottleRow.key == key)) or now
            raise _Refused((allowed - now).total_seconds())

    def _next_allowed(self, attempts: ColumnElement[Any], now: datetime) -> ColumnElement[Any]:
        # Computed here and bound as values, so the same statement works on PostgreSQL and SQLite.
        steps = self.policy.steps
        whens = [(attempts == n, _at(now + self.policy.delay(n))) for n in range(self.policy.free_attempts, steps)]
        return case((attempts < self.policy.free_attempts, _at(now)), *whens, else_=_at(now + self.policy.max_delay))


def _ensure_row(db: Session, key: str) -> None:
    values = {"key": key, "attempts": 0, "window_start": _EPOCH, "next_allowed_at": _EPOCH}
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.execute(insert(ThrottleRow).values(values).on_conflict_do_nothing(index_elements=["key"]))


def _at(moment: datetime) -> ColumnElement[datetime]:
    return literal(moment, UtcDateTime())


def _client_key(address: str) -> str:
    return f"client:{address}"[:200]


def _account_key(username: str) -> str:
    return f"account:{username.strip().lower()}"[:200]
