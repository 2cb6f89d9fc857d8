"""Migration 0011 on both databases: existing cases become self-reporters; the way back refuses to lose detainees."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from schema import migrate
from schema.db import make_engine
from tests.conftest import PG_URL, port_open, service_unavailable

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
INSERT_0010_CASE = text(
    "INSERT INTO cases (dji_id, surname, given_names, birth_date, sentence_days, report_date, institution, state, "
    "urgent, routing_method, routing_evidence, routing_candidates, created_at, updated_at, outcome_contact, "
    "outcome_actions, outcome_life_domains, outcome_known_to_care) VALUES (:dji, 'X', 'Y', '1990-01-01', 10, "
    "'2026-04-01', 'PI Veenhuizen', 'accepted', false, 'code', '{}', '[]', :t, :t, 'unknown', 'unknown', '[]', "
    "'unknown')"
)
INSERT_DETAINEE = text(
    "INSERT INTO cases (dji_id, surname, given_names, birth_date, sentence_days, target_group, release_date, "
    "custody_since, institution, state, urgent, routing_method, routing_evidence, routing_candidates, created_at, "
    "updated_at, outcome_contact, outcome_actions, outcome_life_domains, outcome_known_to_care) VALUES ('D-1', 'X', "
    "'Y', '1990-01-01', 10, 'detainee', '2026-03-30', '2026-02-20', 'PI Veenhuizen', 'accepted', false, 'code', '{}',"
    " '[]', :t, :t, 'unknown', 'unknown', '[]', 'unknown')"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine_at_0010(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database migrated to 0010, with one case and a row that refers to it."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    else:
        if not port_open("127.0.0.1", 5432):
            service_unavailable("PostgreSQL on 127.0.0.1:5432")
        engine = _fresh_pg_database("_migration11")
    migrate.upgrade(engine, "0010")
    with engine.begin() as conn:
        conn.execute(INSERT_0010_CASE, {"dji": "OLD-1", "t": T0})
        conn.execute(text("INSERT INTO audit_events (at, actor, case_id, event, details) "
                          "VALUES (:t, 'intake', 1, 'case_created', '{}')"), {"t": T0})  # fmt: skip
    yield engine
    engine.dispose()


def _fresh_pg_database(suffix: str) -> Engine:
    url = make_url(PG_URL)
    name = f"{url.database}{suffix}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = make_engine(url.set(database=name).render_as_string(hide_password=False))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    return engine


def _cases(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT dji_id, target_group, report_date, release_date, custody_since FROM cases "
                                 "ORDER BY id"))  # fmt: skip
        return [tuple(str(v) if isinstance(v, date) else v for v in row) for row in rows]


def test_an_existing_case_becomes_a_self_reporter_and_keeps_what_refers_to_it(engine_at_0010: Engine) -> None:
    migrate.upgrade(engine_at_0010)

    assert _cases(engine_at_0010) == [("OLD-1", "self_reporter", "2026-04-01", None, None)]
    with engine_at_0010.connect() as conn:
        assert conn.execute(text("SELECT case_id FROM audit_events")).scalar() == 1
    with engine_at_0010.begin() as conn:
        conn.execute(INSERT_DETAINEE, {"t": T0})
    with pytest.raises(IntegrityError), engine_at_0010.begin() as conn:  # the new rule holds after the upgrade
        conn.execute(text("UPDATE cases SET release_date = '2026-05-01' WHERE dji_id = 'OLD-1'"))


def test_the_way_back_refuses_while_detainees_exist_and_restores_the_old_shape_after(engine_at_0010: Engine) -> None:
    migrate.upgrade(engine_at_0010)
    with engine_at_0010.begin() as conn:
        conn.execute(INSERT_DETAINEE, {"t": T0})

    with pytest.raises(RuntimeError, match="gedetineerden"):
        migrate.downgrade(engine_at_0010, "0010")
    assert len(_cases(engine_at_0010)) == 2  # nothing half done

    with engine_at_0010.begin() as conn:
        conn.execute(text("DELETE FROM cases WHERE dji_id = 'D-1'"))
    migrate.downgrade(engine_at_0010, "0010")
    with engine_at_0010.connect() as conn:
        assert conn.execute(text("SELECT dji_id, report_date FROM cases")).all()[0][0] == "OLD-1"
    with pytest.raises(IntegrityError), engine_at_0010.begin() as conn:  # report_date is required again
        conn.execute(text("UPDATE cases SET report_date = NULL"))
