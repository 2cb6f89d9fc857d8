"""PostgreSQL databases of one's own for tests and benchmarks: create, recreate, migrate.

Every helper takes the URL of the database it may touch: the test suite, each benchmark and each
engineer's worktree use a database of their own, so that nothing here drops another's tables.
"""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url


def _admin(url: str) -> tuple[Engine, str]:
    """An autocommit engine on the server's ``postgres`` database, and the name of the one in ``url``."""
    target = make_url(url)
    return create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT"), str(target.database)


def ensure_database(url: str) -> None:
    """Create the database of ``url`` when it is missing; keep it (and its tables) when it exists."""
    admin, name = _admin(url)
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def recreate_database(url: str) -> None:
    """Drop (closing its connections) and create the database of ``url``."""
    admin, name = _admin(url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def migrate_with_reference_data(engine: Engine, *, fresh: bool = False) -> None:
    """What ``koers db upgrade`` does: migrate to head and load the municipality data.

    ``fresh`` first drops PostgreSQL's ``public`` schema, so that the database is empty before.
    """
    from schema import migrate
    from schema.db import make_session_factory
    from schema.reference_sync import sync_reference_data

    if fresh and engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    migrate.upgrade(engine)
    with make_session_factory(engine).begin() as session:
        sync_reference_data(session)
