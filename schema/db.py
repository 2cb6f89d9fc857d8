"""Engine and session factories. Nothing connects at import time.

SQLite (the embedded default) gets WAL, foreign keys and a busy timeout so that the web console,
the worker threads and intake can share one file; PostgreSQL gets pre-ping so that a restarted
server heals without a failed request.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from schema.private_files import create_private, private_dir


def make_engine(url: str, pool_size: int = 5, **kwargs: Any) -> Engine:
    """Create an engine for ``url``; for a SQLite file, create its folder (0700) and the file (0600) first.

    ``pool_size`` (PostgreSQL): the connections kept open. A process should keep one per thread that
    uses the database: a connection beyond the pool is closed when returned, so a worker with more
    threads than pooled connections would connect anew (a new server backend) for most transactions.
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1].split("?", 1)[0]
        if path and path != ":memory:":
            _create_private_database(Path(path))
        kwargs.setdefault("hide_parameters", True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    # Errors must not carry row values (names, addresses) into logs or dead letters.
    kwargs.setdefault("hide_parameters", True)
    kwargs.setdefault("max_overflow", 10)
    return create_engine(url, pool_size=pool_size, **kwargs)


def _create_private_database(path: Path) -> None:
    """An empty file is an empty SQLite database: created here as 0600, SQLite keeps that mode for its
    -wal and -shm files, so the database never exists readable by others, whatever the umask."""
    private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(create_private(path))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, decide where transactions begin (see _sqlite_begin_immediate).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    # BEGIN IMMEDIATE takes the write lock up front, so two writers wait for each other instead of
    # failing with "database is locked" when a read transaction tries to upgrade to a write.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (handlers read them afterwards)."""
    return sessionmaker(engine, expire_on_commit=False)
