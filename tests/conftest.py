"""Shared fixtures: databases and services.

Integration fixtures check each service once. Locally a service that is down skips those tests;
in CI (``CI`` set) it fails them, so a missing service can never pass for a green run.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from schema.db import make_engine, make_session_factory
from testkit.databases import migrate_with_reference_data
from testkit.imap_server import ImapServer, dovecot_installed, start_imap_server

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
PG_URL = os.environ.get("KOERS_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/koers_test")
AMQP_URL = os.environ.get("KOERS_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
IN_CI = bool(os.environ.get("CI"))

# No timing assertions in tests: Hypothesis' per-example deadline is one, and fails on a busy machine.
settings.register_profile("koers", deadline=None)
settings.load_profile("koers")


@pytest.hookimpl(tryfirst=True)  # before xdist reads the marks into its groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Two lanes for ``./run test`` (pytest-xdist, ``-n 2 --dist loadgroup``).

    The fault suite starts its own PostgreSQL cluster and RabbitMQ node, so it runs in a lane of its own,
    beside everything else. All other tests share the test database and the broker's vhost and clean
    them between tests, so they stay in one lane, one test at a time. Without xdist the mark does nothing.
    """
    for item in items:
        lane = "faults" if item.nodeid.startswith("tests/faults/") else "shared-services"
        item.add_marker(pytest.mark.xdist_group(lane))


def service_unavailable(what: str) -> None:
    """Fail in CI, skip locally: a service that is down must never look like a passing test."""
    message = f"{what} is not reachable"
    pytest.fail(message + " (CI: services are required)") if IN_CI else pytest.skip(message)


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


# Tables that tests fill; reference tables are loaded once and kept.


def volatile_tables(engine: Engine) -> list[str]:
    from schema.models import Base

    reference = {"municipalities", "municipality_names", "legacy_municipalities", "legacy_successors",
                 "woonplaatsen", "postcodes_pc4"}
    return [t.name for t in reversed(Base.metadata.sorted_tables) if t.name not in reference]


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[Engine]:
    if not port_open("127.0.0.1", 5432):
        service_unavailable("PostgreSQL on 127.0.0.1:5432")
    engine = make_engine(PG_URL)
    migrate_with_reference_data(engine, fresh=True)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_sessions(pg_engine: Engine) -> Iterator[sessionmaker[Session]]:
    """A migrated PostgreSQL database with reference data and empty working tables."""
    with pg_engine.begin() as conn:
        conn.execute(text("TRUNCATE " + ", ".join(volatile_tables(pg_engine)) + " RESTART IDENTITY CASCADE"))
    yield make_session_factory(pg_engine)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'koers.db'}")
    migrate_with_reference_data(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_sessions(sqlite_engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(sqlite_engine)


@pytest.fixture(params=["sqlite", "postgresql"])
def sessions(request: pytest.FixtureRequest) -> sessionmaker[Session]:
    """Both databases: behaviour must be identical on PostgreSQL and SQLite."""
    name = "pg_sessions" if request.param == "postgresql" else "sqlite_sessions"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def amqp_url() -> str:
    if not port_open("127.0.0.1", 5672):
        service_unavailable("RabbitMQ on 127.0.0.1:5672")
    return AMQP_URL


@pytest.fixture(scope="session")
def imap_server() -> Iterator[ImapServer]:
    """Dovecot on a free port with TLS (mailbox mode); one per run, an empty mailbox per user name."""
    if not dovecot_installed():
        service_unavailable("Dovecot (apt: dovecot-imapd), the IMAP server of the mailbox-mode tests")
    server = start_imap_server()
    yield server
    server.stop()
