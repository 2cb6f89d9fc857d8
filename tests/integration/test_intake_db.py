"""Intake against the real databases: results add up, nothing twice, bad lines don't stop good ones."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from schema.models import AuditEvent, CaseRow, IntakeRecord
from schema.reference import load_registry
from workers.demo.synthetic import FeedMix, generate_records, write_feed
from workers.feed_files import RawRecord, iter_feed
from workers.intake import IntakeService

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)
REGISTRY = load_registry()


def service(sessions: sessionmaker[Session], batch_size: int = 100) -> IntakeService:
    return IntakeService(
        sessions, REGISTRY, institutions=("PI Veenhuizen", "PI Leeuwarden"), clock=lambda: NOW, batch_size=batch_size
    )


def feed(tmp_path: Path, n: int, mix: FeedMix | None = None, seed: int = 7) -> Path:
    path = tmp_path / "feed.csv"
    write_feed(path, generate_records(n, seed=seed, today=TODAY, mix=mix or FeedMix(0, 0, 0, 0)))
    return path


def count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_clean_feed_is_accepted_and_a_rerun_changes_no_case(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    path = feed(tmp_path, 250)
    first = service(sessions).ingest(iter_feed(path), "feed.csv")
    assert first.counts["accepted"] == 250
    with sessions() as session:
        before = session.execute(select(CaseRow.id, CaseRow.state, CaseRow.updated_at).order_by(CaseRow.id)).all()

    second = service(sessions).ingest(iter_feed(path), "feed.csv")

    assert second.counts["duplicate"] == 250 and second.received == 250
    with sessions() as session:
        after = session.execute(select(CaseRow.id, CaseRow.state, CaseRow.updated_at).order_by(CaseRow.id)).all()
    assert after == before


def test_mixed_feed_adds_up_and_every_record_is_kept(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    path = feed(tmp_path, 600, FeedMix(0.05, 0.05, 0.05, 0.02))
    summary = service(sessions).ingest(iter_feed(path), "feed.csv")
    data = summary.to_json()
    assert data["received"] == 600
    assert sum(data[k] for k in ("accepted", "duplicates", "ineligible", "rejected", "needs_routing")) == 600
    assert min(data["ineligible"], data["rejected"], data["needs_routing"], data["duplicates"]) > 0
    assert count(sessions, IntakeRecord) == 600
    assert count(sessions, CaseRow) == data["accepted"] + data["needs_routing"]
    with sessions() as session:
        rejected = session.scalars(select(IntakeRecord).where(IntakeRecord.result == "rejected")).all()
    assert all(r.reasons and r.raw is not None for r in rejected)


def test_a_broken_line_does_not_stop_the_good_lines(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    good = list(generate_records(3, seed=1, today=TODAY, mix=FeedMix(0, 0, 0, 0)))
    path = tmp_path / "feed.jsonl"
    import json

    lines = [json.dumps(good[0]), "{not json", json.dumps(good[1]), json.dumps({**good[2], "birth_date": "2001-02-30"})]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    summary = service(sessions).ingest(iter_feed(path), "feed.jsonl")

    by_line = {r.line: r for r in summary.results}
    assert summary.counts["accepted"] == 2
    assert by_line[2].result.value == "rejected"
    assert by_line[4].result.value == "rejected" and any("birth_date" in r for r in by_line[4].reasons)


def test_a_repeat_with_other_data_is_a_duplicate_that_names_the_fields(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    record = next(generate_records(1, seed=3, today=TODAY, mix=FeedMix(0, 0, 0, 0)))
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    import json

    first.write_text(json.dumps(record) + "\n", encoding="utf-8")
    second.write_text(json.dumps({**record, "report_date": "2026-05-04"}) + "\n", encoding="utf-8")
    service(sessions).ingest(iter_feed(first), "a")

    summary = service(sessions).ingest(iter_feed(second), "b")

    (result,) = summary.results
    assert result.result.value == "duplicate" and "report_date" in result.reasons[0]
    assert record["surname"] not in result.reasons[0]


def test_case_records_how_it_was_routed(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    path = feed(tmp_path, 50)
    service(sessions).ingest(iter_feed(path), "feed.csv")
    with sessions() as session:
        cases = session.scalars(select(CaseRow)).all()
        events = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.event == "case_created"))
    assert all(c.cbs_code and c.routing_method and c.routing_evidence for c in cases)
    assert events == 50


def test_audit_log_is_append_only(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    service(sessions).ingest(iter_feed(feed(tmp_path, 2)), "feed.csv")
    with pytest.raises(DBAPIError), sessions.begin() as session:
        session.execute(update(AuditEvent).values(actor="someone else"))
    with pytest.raises(DBAPIError), sessions.begin() as session:
        session.execute(text("DELETE FROM audit_events"))


def test_two_intakes_of_the_same_file_at_once_create_each_case_once(
    pg_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = feed(tmp_path, 400)
    summaries = []

    def run() -> None:
        summaries.append(service(pg_sessions, batch_size=50).ingest(iter_feed(path), "feed.csv"))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert count(pg_sessions, CaseRow) == 400
    assert sum(s.counts["accepted"] for s in summaries) == 400
    assert sum(s.counts["duplicate"] for s in summaries) == 400


_values = st.one_of(st.text(max_size=40), st.integers(), st.none(), st.floats(allow_nan=True), st.booleans(),
                    st.lists(st.text(max_size=5), max_size=3))  # fmt: skip
_fields = st.sampled_from(["dji_id", "surname", "given_names", "birth_date", "postcode", "woonplaats", "gemeente",
                           "sentence_days", "report_date", "institution", "house_number", "email", "x\x00y", ""])  # fmt: skip
_records = st.lists(
    st.one_of(
        st.dictionaries(_fields, _values, max_size=14).map(lambda f: RawRecord(line=0, fields=dict(f))),
        st.text(max_size=30).map(lambda e: RawRecord(line=0, error=e or "onleesbaar")),
        st.integers(0, 10**6).map(lambda i: RawRecord(line=0, fields=_mutated(i))),
    ),
    max_size=30,
)


def _mutated(seed: int) -> dict[str, object]:
    """A realistic record with one field broken, so that many reach routing and the database."""
    import random

    record: dict[str, object] = dict(next(generate_records(1, seed=seed % 997, today=TODAY, mix=FeedMix(0, 0, 0, 0))))
    rng = random.Random(seed)
    key = rng.choice(list(record))
    record[key] = rng.choice(["", "\x00", "9" * 300, -1, None, "Nes", "Drenthe", "GM9999", "2026-02-30", "😀"])
    return record


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=_records)
def test_random_and_malformed_records_never_crash_intake_and_always_add_up(
    sqlite_sessions: sessionmaker[Session], records: list[RawRecord]
) -> None:
    numbered = [RawRecord(line=i + 2, fields=r.fields, error=r.error) for i, r in enumerate(records)]
    summary = service(sqlite_sessions, batch_size=7).ingest(numbered, "fuzz")
    data = summary.to_json()
    assert data["received"] == len(records)
    assert sum(data[k] for k in ("accepted", "duplicates", "ineligible", "rejected", "needs_routing")) == len(records)
    assert sorted(r["line"] for r in data["results"]) == [r.line for r in numbered]
    assert all(r["reasons"] for r in data["results"] if r["result"] in ("rejected", "ineligible", "duplicate"))
