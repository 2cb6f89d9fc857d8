"""Personal data of closed cases is purged after the retention period; the figures stay."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from schema.models import CaseRow, IntakeRecord, RerouteRequest
from schema.reference import load_registry
from schema.retention import purge_closed_cases, purge_unlinked_records
from workers.demo.synthetic import FeedMix, generate_records, write_feed
from workers.feed_files import iter_feed
from workers.intake import IntakeService

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_closed_cases_lose_their_personal_data_after_retention(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    feed = tmp_path / "feed.csv"
    write_feed(feed, generate_records(3, seed=6, today=date(2026, 3, 2), mix=FeedMix(0, 0, 0, 0)))
    service = IntakeService(sessions, load_registry(), institutions=("PI Veenhuizen", "PI Leeuwarden"),
                            clock=lambda: NOW)  # fmt: skip
    results = service.ingest(iter_feed(feed), "feed").results
    old, recent, open_ = (r.case_id for r in results)
    with sessions.begin() as session:
        for case_id, closed in ((old, NOW - timedelta(days=400)), (recent, NOW - timedelta(days=10))):
            case = session.get(CaseRow, case_id)
            case.closed_at, case.close_reason, case.outcome_contact = closed, "outcome_complete", "yes"  # type: ignore[union-attr]
            session.add(RerouteRequest(case_id=case_id, state="declined", source="reply", requested_at=NOW,
                                       requested_by="mail:a@gm0080.example", reason="verhuisd naar Assen",
                                       place="Assen", decision_note="BRP zegt Leeuwarden"))  # fmt: skip

    with sessions.begin() as session:
        purged = purge_closed_cases(session, now=NOW, retention=timedelta(days=365), actor="test")
        purge_unlinked_records(session, now=NOW, retention=timedelta(days=365))

    assert purged.cases == 1
    with sessions() as session:
        gone = session.get(CaseRow, old)
        kept = [session.get(CaseRow, c) for c in (recent, open_)]
        raw = session.scalars(select(IntakeRecord.raw).where(IntakeRecord.case_id == old)).one()
        requests = {r.case_id: r for r in session.scalars(select(RerouteRequest))}
    assert gone is not None and gone.surname == "[verwijderd]" and gone.street is None and gone.email is None
    assert gone.dji_id.startswith("verwijderd:") and gone.outcome_contact == "yes" and gone.cbs_code
    assert raw is None
    assert (requests[old].reason, requests[old].place, requests[old].decision_note) == ("[verwijderd]", None, None)
    assert requests[recent].place == "Assen"
    assert all(c is not None and c.purged_at is None and c.surname != "[verwijderd]" for c in kept)
