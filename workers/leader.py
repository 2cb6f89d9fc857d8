"""One scheduler leader at a time.

PostgreSQL: a session advisory lock held on a dedicated connection; when that connection dies,
the server releases the lock and another scheduler takes over. SQLite (the embedded default, one
machine): an exclusive ``flock`` on a file next to the database.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import Connection, Engine, text

from schema.private_files import create_private, private_dir

log = logging.getLogger(__name__)
LOCK_KEY = 0x4B4F455253  # "KOERS"


class LeaderLock(Protocol):
    def try_acquire(self) -> bool:
        """True when this process is (still) the leader."""

    def release(self) -> None: ...


class PostgresLeaderLock:
    def __init__(self, engine: Engine, key: int = LOCK_KEY) -> None:
        self._engine = engine
        self._key = key
        self._conn: Connection | None = None

    def try_acquire(self) -> bool:
        try:
            if self._conn is not None:
                self._conn.execute(text("SELECT 1"))  # still connected means still holding the lock
                return True
            conn = self._engine.connect()
            if conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key}).scalar():
                conn.commit()
                self._conn = conn
                log.info("scheduler: leader")
                return True
            conn.close()
            return False
        except Exception:
            log.warning("scheduler: lost the database connection; not the leader until it is back")
            self._drop()
            return False

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
            except Exception:  # the server releases it with the connection anyway
                log.debug("advisory unlock failed", exc_info=True)
            self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.invalidate()
                self._conn.close()
            except Exception:
                log.debug("closing the leader connection failed", exc_info=True)
        self._conn = None


class FileLeaderLock:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._handle: IO[str] | None = None

    def try_acquire(self) -> bool:
        if self._handle is not None:
            return True
        private_dir(self._path.parent)
        handle = os.fdopen(create_private(self._path, os.O_WRONLY | os.O_CREAT | os.O_APPEND), "a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._handle = handle
        return True

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


def make_leader_lock(engine: Engine, home: Path) -> LeaderLock:
    if engine.dialect.name == "postgresql":
        return PostgresLeaderLock(engine)
    return FileLeaderLock(home / "scheduler.lock")
