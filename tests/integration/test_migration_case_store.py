"""Migration 0007 on a database filled as the old schema (0006) left it: nothing of a case is lost.

The old runtime kept a case's stage three times and its outcome twice; 0007 keeps each fact once,
on the case row. Filled as the old code wrote it — cases in every stage, format-1 instance JSON,
timers pointing at instances, emails, audit events, replies — the upgrade must keep every case,
outcome, email, timer and audit event, and the new runtime must carry the flow on from there.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from schema import migrate
from schema.db import make_engine, make_session_factory
from schema.reference_sync import sync_reference_data
from testkit.flow import fast_settings
from tests.conftest import PG_URL, port_open, service_unavailable
from workers.bootstrap import App
from workers.services import build_services

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REPORT = date(2026, 4, 20)


@pytest.fixture(params=["sqlite", "postgresql"])
def old_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database migrated to 0006, the schema before the case store."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    else:
        if not port_open("127.0.0.1", 5432):
            service_unavailable("PostgreSQL on 127.0.0.1:5432")
        url = make_url(PG_URL)
        name = f"{url.database}_migration"
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        engine = make_engine(url.set(database=name).render_as_string(hide_password=False))
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(engine, "0006")
    with make_session_factory(engine).begin() as session:
        sync_reference_data(session)
    yield engine
    engine.dispose()


def _state(case_id: int, stage: str, *, pending: list[str], outcome: dict[str, Any] | None = None,
           urgent: bool = False, closed: str | None = None) -> dict[str, Any]:  # fmt: skip
    """An instance's JSON exactly as the old engine (format 1) wrote it."""
    return {"format": 1, "definition": "self_reporter_3noord", "version": 1, "case_id": case_id, "stage": stage,
            "started_at": T0.isoformat(), "deadline_at": "2026-04-19T22:00:00+00:00", "urgent": urgent,
            "outcome": outcome, "pending": pending, "scheduled": ["first_reminder", "second_reminder", "escalation",
                                                                  "window_close"],
            "closed_reason": closed, "closed_at": (T0 + timedelta(days=3)).isoformat() if closed else None}  # fmt: skip


OUTCOME = {"contact": "yes", "contact_form": "letter", "actions": "yes", "life_domains": ["schulden"],
           "known_to_care": "no", "note": "afspraak gemaakt"}  # fmt: skip
# (dji_id, state, urgent, closed, outcome columns, instance: (stage, pending, outcome, urgent, closed) or None)
CASES = [
    ("OLD-1", "needs_routing", False, None, None, None),
    ("OLD-2", "notified", False, None, None, ("notified", ["first_reminder", "second_reminder", "escalation",
                                                           "window_close"], None, False, None)),
    ("OLD-3", "closed", False, "outcome_complete", OUTCOME, ("closed", [], OUTCOME, False, "outcome_complete")),
    # The instance knew more than the case row (urgent, closed): the fact is kept.
    ("OLD-4", "escalated", False, None, None, ("escalated", ["window_close"], None, True, None)),
    ("OLD-5", "reminded", False, None, None, ("closed", [], None, False, "operator")),
]  # fmt: skip


def _fill_as_the_old_code_did(engine: Engine) -> None:
    with engine.begin() as conn:
        for n, (dji_id, state, urgent, closed, outcome, instance) in enumerate(CASES, start=1):
            o = outcome or {"contact": "unknown", "contact_form": None, "actions": "unknown", "life_domains": [],
                            "known_to_care": "unknown", "note": None}  # fmt: skip
            conn.execute(text(
                "INSERT INTO cases (id, dji_id, surname, given_names, birth_date, sentence_days, report_date, "
                "institution, cbs_code, state, urgent, routing_method, routing_evidence, routing_candidates, "
                "created_at, updated_at, closed_at, close_reason, outcome_contact, outcome_contact_form, "
                "outcome_actions, outcome_life_domains, outcome_known_to_care, outcome_note, outcome_recorded_at) "
                "VALUES (:id, :dji, 'Visser', 'Anne', '1990-04-01', 30, :report, 'PI Leeuwarden', :cbs, :state, "
                ":urgent, 'name', '{}', '[]', :t0, :t0, :closed_at, :closed, :c, :cf, :a, :ld, :k, :note, :rec)"
            ), {"id": n, "dji": dji_id, "report": REPORT, "cbs": None if state == "needs_routing" else "GM0080",
                "state": state, "urgent": urgent, "t0": T0, "closed_at": T0 + timedelta(days=3) if closed else None,
                "closed": closed, "c": o["contact"], "cf": o["contact_form"], "a": o["actions"],
                "ld": _json(o["life_domains"]), "k": o["known_to_care"], "note": o["note"],
                "rec": T0 + timedelta(days=3) if outcome else None})  # fmt: skip
            conn.execute(text("INSERT INTO audit_events (at, actor, case_id, event, details) VALUES "
                              "(:t0, 'intake', :id, 'case_created', '{}')"), {"t0": T0, "id": n})  # fmt: skip
            if instance is None:
                continue
            stage, pending, i_outcome, i_urgent, i_closed = instance
            conn.execute(text(
                "INSERT INTO workflow_instances (id, case_id, definition, version, stage, state, created_at, "
                "updated_at) VALUES (:id, :id, 'self_reporter_3noord', 1, :stage, :state, :t0, :t0)"
            ), {"id": n, "stage": stage, "state": _json(_state(n, stage, pending=pending, outcome=i_outcome,
                                                                 urgent=i_urgent, closed=i_closed)), "t0": T0})
            for timer in ("first_reminder", "second_reminder", "escalation", "window_close"):
                conn.execute(text(
                    "INSERT INTO timers (instance_id, case_id, name, due_at, state, created_at) "
                    "VALUES (:id, :id, :name, :due, :state, :t0)"
                ), {"id": n, "name": timer, "due": T0 + timedelta(days=7), "t0": T0,
                    "state": "pending" if timer in pending else "cancelled"})  # fmt: skip
            conn.execute(text(
                "INSERT INTO outbound_emails (case_id, kind, step, recipient, to_address, reason, attach_letter, "
                "message_id, state, attempts, created_at, updated_at, sent_at) VALUES (:id, 'notification', "
                "'notification', 'municipality', 'zelfmelders@gm0080.example', 'melding', true, :mid, 'sent', 1, "
                ":t0, :t0, :t0)"
            ), {"id": n, "mid": f"<zm-{n:06d}.notification.1@koers.example>", "t0": T0})
            conn.execute(text("INSERT INTO audit_events (at, actor, case_id, event, details) VALUES "
                              "(:t0, 'workflow', :id, 'workflow_started', '{}')"), {"t0": T0, "id": n})  # fmt: skip


def _json(value: Any) -> str:
    import json

    return json.dumps(value)


def _dump(engine: Engine, table: str, columns: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(f"SELECT {columns} FROM {table} ORDER BY id"))]


KEPT_CASE_COLUMNS = ("id, dji_id, cbs_code, report_date, routing_method, outcome_contact, outcome_contact_form, "
                     "outcome_actions, outcome_known_to_care, outcome_note, outcome_recorded_at")  # fmt: skip


def test_the_upgrade_keeps_every_case_outcome_email_timer_and_audit_event(old_engine: Engine, tmp_path: Path) -> None:
    _fill_as_the_old_code_did(old_engine)
    before = {"cases": _dump(old_engine, "cases", KEPT_CASE_COLUMNS),
              "emails": _dump(old_engine, "outbound_emails", "*"),
              "audit": _dump(old_engine, "audit_events", "*"),
              "timers": _dump(old_engine, "timers", "id, case_id, name, due_at, state")}  # fmt: skip

    migrate.upgrade(old_engine)

    assert migrate.current_revision(old_engine) == migrate.head_revision()
    assert _dump(old_engine, "cases", KEPT_CASE_COLUMNS) == before["cases"]
    assert _dump(old_engine, "outbound_emails", "*") == before["emails"]
    assert _dump(old_engine, "audit_events", "*") == before["audit"]
    assert _dump(old_engine, "timers", "id, case_id, name, due_at, state") == before["timers"]
    rows = {r[0]: r for r in _dump(old_engine, "cases", "dji_id, state, urgent, close_reason, workflow, "
                                                       "workflow_version, workflow_progress")}  # fmt: skip
    assert rows["OLD-1"][4:] == (None, None, None)  # never started: no instance
    progress = rows["OLD-2"][6]
    progress = progress if isinstance(progress, dict) else __import__("json").loads(progress)
    assert progress == {"format": 2, "started_at": T0.isoformat(), "deadline_at": "2026-04-19T22:00:00+00:00",
                        "pending": ["first_reminder", "second_reminder", "escalation", "window_close"],
                        "scheduled": ["first_reminder", "second_reminder", "escalation", "window_close"]}  # fmt: skip
    assert rows["OLD-3"][1:4] == ("closed", False, "outcome_complete")
    assert rows["OLD-4"][1:3] == ("escalated", True)  # the instance knew it was urgent
    assert rows["OLD-5"][1] == "closed" and rows["OLD-5"][3] == "operator"  # the instance knew it was closed
    assert all(r[4] == "self_reporter_3noord" and r[5] == 1 for key, r in rows.items() if key != "OLD-1")


def test_the_new_runtime_carries_a_migrated_case_on(old_engine: Engine, tmp_path: Path) -> None:
    _fill_as_the_old_code_did(old_engine)
    migrate.upgrade(old_engine)
    app = App(settings=fast_settings(tmp_path, str(old_engine.url)), _engine=old_engine,
              clock=lambda: T0 + timedelta(days=8))  # fmt: skip
    services = build_services(app)
    with app.sessions() as session:
        timer_id = session.execute(text("SELECT id FROM timers WHERE case_id = 2 AND name = 'first_reminder'")).scalar()
    services.workflow.fire_timer(int(timer_id))
    with old_engine.connect() as conn:
        state = conn.execute(text("SELECT state FROM cases WHERE id = 2")).scalar()
        kinds = [k for (k,) in conn.execute(text("SELECT kind FROM outbound_emails WHERE case_id = 2 ORDER BY id"))]
    assert state == "reminded" and kinds == ["notification", "reminder"]


def test_the_downgrade_gives_the_old_shape_back(old_engine: Engine) -> None:
    _fill_as_the_old_code_did(old_engine)
    instances = _dump(old_engine, "workflow_instances", "case_id, definition, version")
    migrate.upgrade(old_engine)
    migrate.downgrade(old_engine, "0006")
    assert _dump(old_engine, "workflow_instances", "case_id, definition, version") == instances
    assert _dump(old_engine, "timers", "id, instance_id")[0][1] is not None
