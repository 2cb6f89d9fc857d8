"""Batched writes and reads for intake: one round trip per table per batch, not per record.

Intake must reach thousands of records per second into PostgreSQL, so everything here works on
lists of plain dicts with Core statements (executemany / insertmanyvalues) instead of ORM
objects one by one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from schema import bulk
from schema.models import CaseRow, IntakeBatch, IntakeRecord

# Fields compared when a dji_id arrives again, to tell operators that the repeat differs.
COMPARED_FIELDS = (
    "surname",
    "given_names",
    "birth_date",
    "postcode",
    "woonplaats",
    "sentence_days",
    "report_date",
    "release_date",
    "custody_since",
    "institution",
)


def start_batch(session: Session, source: str, now: datetime) -> int:
    batch_id = session.execute(
        insert(IntakeBatch).values(source=source[:500], started_at=now, counts={}).returning(IntakeBatch.id)
    ).scalar_one()
    return int(batch_id)


def finish_batch(session: Session, batch_id: int, counts: dict[str, int], now: datetime) -> None:
    session.execute(update(IntakeBatch).where(IntakeBatch.id == batch_id).values(finished_at=now, counts=counts))


def existing_cases(session: Session, dji_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The cases that already exist for these dji_ids, with the fields a repeat is compared on and the group."""
    ids = list(set(dji_ids))
    if not ids:
        return {}
    columns = [CaseRow.id, CaseRow.dji_id, CaseRow.target_group, *(getattr(CaseRow, f) for f in COMPARED_FIELDS)]
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 1000):  # stay under SQLite's bound-parameter limit
        rows = session.execute(select(*columns).where(CaseRow.dji_id.in_(ids[start : start + 1000])))
        for row in rows.mappings():
            found[row["dji_id"]] = dict(row)
    return found


def insert_cases(session: Session, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Insert cases; returns dji_id → case id."""
    if not rows:
        return {}
    table = cast(Table, CaseRow.__table__)
    if bulk.is_postgres(session):
        ids = bulk.next_ids(session, table, len(rows))
        with_ids = [{"id": case_id, **row} for case_id, row in zip(ids, rows, strict=True)]
        bulk.insert_rows(session, table, with_ids)
        return {row["dji_id"]: row["id"] for row in with_ids}
    # Rows come back in any order; they are matched on the unique dji_id.
    result = session.connection().execute(insert(table).returning(table.c.id, table.c.dji_id), list(rows))
    return {dji_id: int(case_id) for case_id, dji_id in result.all()}


def insert_intake_records(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    bulk.insert_rows(session, cast(Table, IntakeRecord.__table__), rows)
