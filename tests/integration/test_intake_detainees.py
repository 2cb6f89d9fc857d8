"""Intake of detainees beside self-reporters, on both databases: the group's dates stored, its own institutions."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from schema.models import AuditEvent, CaseRow
from schema.reference import load_registry
from workers.demo.detainees import DETAINEE_FIELDS, generate_detainees
from workers.demo.synthetic import write_feed
from workers.feed_files import iter_feed
from workers.intake import IntakeService

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)
REGISTRY = load_registry()
PERSON = {"surname": "Hoekstra", "given_names": "Sjoerd", "birth_date": "1988-04-02", "woonplaats": "Leeuwarden",
          "gemeente": "GM0080", "sentence_days": "30"}  # fmt: skip


def service(sessions: sessionmaker[Session], **institutions: tuple[str, ...]) -> IntakeService:
    return IntakeService(sessions, REGISTRY, institutions=institutions.get("institutions", ("PI Veenhuizen",)),
                         detainee_institutions=institutions.get("detainee_institutions", ("PI Veenhuizen",)),
                         clock=lambda: NOW)  # fmt: skip


def detainee(dji_id: str, institution: str = "PI Veenhuizen") -> dict[str, str]:
    return PERSON | {"dji_id": dji_id, "institution": institution, "group": "detainee",
                     "custody_since": "2026-02-20", "release_date": "2026-03-30"}  # fmt: skip


def self_reporter(dji_id: str, institution: str = "PI Veenhuizen") -> dict[str, str]:
    return PERSON | {"dji_id": dji_id, "institution": institution, "report_date": "2026-04-01"}


def ingest(service: IntakeService, tmp_path: Path, records: list[dict[str, str]]) -> dict[str, str]:
    path = tmp_path / "feed.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    summary = service.ingest(iter_feed(path), path.name)
    return {r.dji_id or "": r.result.value for r in summary.results} | {"_reasons": json.dumps(
        {r.dji_id: r.reasons for r in summary.results}, ensure_ascii=False)}  # fmt: skip


def test_a_detainee_case_keeps_its_group_and_dates_beside_a_self_reporter(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    results = ingest(service(sessions), tmp_path, [detainee("D-1"), self_reporter("S-1")])

    assert (results["D-1"], results["S-1"]) == ("accepted", "accepted")
    with sessions() as session:
        rows = {c.dji_id: c for c in session.scalars(select(CaseRow))}
        events = session.scalars(select(AuditEvent).where(AuditEvent.event == "case_created"))
        created = {e.details["group"] for e in events}
    d, s = rows["D-1"], rows["S-1"]
    assert (d.target_group, d.report_date, d.release_date, d.custody_since) == (
        "detainee", None, date(2026, 3, 30), date(2026, 2, 20))  # fmt: skip
    assert (s.target_group, s.report_date, s.release_date, s.custody_since) == (
        "self_reporter", date(2026, 4, 1), None, None)  # fmt: skip
    assert (d.deadline, s.deadline) == (date(2026, 3, 30), date(2026, 4, 1))
    assert created == {"detainee", "self_reporter"}


def test_each_group_is_judged_by_its_own_institutions(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    intake = service(sessions, institutions=("PI Veenhuizen",), detainee_institutions=("PI Zwolle",))

    results = ingest(intake, tmp_path, [detainee("D-Z", "PI Zwolle"), detainee("D-V", "PI Veenhuizen"),
                                        self_reporter("S-Z", "PI Zwolle"), self_reporter("S-V", "PI Veenhuizen")])

    assert {k: v for k, v in results.items() if k != "_reasons"} == {
        "D-Z": "accepted", "D-V": "ineligible", "S-Z": "ineligible", "S-V": "accepted"}  # fmt: skip
    reasons = json.loads(results["_reasons"])
    assert reasons["D-V"] == ["inrichting valt buiten de doelgroep (alleen PI Zwolle)"]
    assert reasons["S-Z"] == ["inrichting valt buiten de doelgroep (alleen PI Veenhuizen)"]


def test_a_detainee_record_with_a_report_date_is_rejected_naming_the_field(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    results = ingest(service(sessions), tmp_path, [detainee("D-1") | {"report_date": "2026-04-01"}])

    assert results["D-1"] == "rejected"
    assert json.loads(results["_reasons"])["D-1"] == [
        "report_date: hoort niet bij groep detainee (die heeft release_date en custody_since); klopt de groep?"]


def test_a_repeat_in_another_group_is_a_duplicate_that_names_the_group_and_dates(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    ingest(service(sessions), tmp_path, [self_reporter("X-1")])

    results = ingest(service(sessions), tmp_path, [detainee("X-1")])

    assert results["X-1"] == "duplicate"
    (reason,) = json.loads(results["_reasons"])["X-1"]
    assert "afwijkende gegevens in: group, report_date, release_date, custody_since" in reason


def test_the_database_refuses_a_case_with_the_other_groups_date(sessions: sessionmaker[Session]) -> None:
    # The CHECK constraint ck_cases_group_dates: whatever writes a case, a detainee has no report date.
    row = {"dji_id": "BAD-1", "surname": "X", "given_names": "Y", "birth_date": date(1990, 1, 1), "sentence_days": 10,
           "institution": "PI Veenhuizen", "state": "accepted", "routing_method": "code", "created_at": NOW,
           "updated_at": NOW, "target_group": "detainee", "release_date": date(2026, 3, 30),
           "custody_since": date(2026, 2, 20)}  # fmt: skip
    for wrong in ({"report_date": date(2026, 4, 1)}, {"custody_since": None}, {"target_group": "self_reporter"},
                  {"target_group": "gedetineerde"}):  # fmt: skip
        with pytest.raises(IntegrityError), sessions.begin() as session:
            session.execute(insert(CaseRow).values(**(row | wrong)))
    with sessions.begin() as session:
        session.execute(insert(CaseRow).values(**row))  # the right shape is taken


def test_the_synthetic_detainees_are_all_accepted(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    path = tmp_path / "gedetineerden.csv"
    write_feed(path, generate_detainees(60, seed=5, today=TODAY), fields=DETAINEE_FIELDS)
    intake = service(sessions, detainee_institutions=("PI Veenhuizen", "PI Leeuwarden"))

    summary = intake.ingest(iter_feed(path), path.name)

    assert summary.counts["accepted"] == 60, summary.to_json()["results"][:3]
    with sessions() as session:
        groups = set(session.scalars(select(CaseRow.target_group)))
    assert groups == {"detainee"}
