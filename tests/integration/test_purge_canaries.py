"""A purge leaves nothing personal of a case: not in any table or column, not in the spool.

Marker values (canaries) go into every personal field of a case: the intake record, the notes of the
municipality and of an operator, reply lines that could not be read (kept with the reply and quoted in
the ask-back), replies that quote the notification, and the letters and emails in the spool. The test
first finds each canary where it was planted (so the search can see it), then purges and searches
every text, JSON and binary column of every table, and every spooled mail, and finds none; the
region's report figures and the case's audit events (that something happened, and when) stay.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import func, inspect, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from schema import migrate
from schema.models import AuditEvent, CaseRow
from schema.reference_sync import sync_reference_data
from schema.report_queries import monitoring_report
from schema.runtime_models import InboundMessage, OutboundEmail
from testkit.flow import fast_settings
from tests.conftest import PG_URL
from tests.integration.test_replies import process, reply
from workers.bootstrap import App, bootstrap
from workers.demo.synthetic import FeedMix, generate_records, write_feed
from workers.feed_files import iter_feed
from workers.purge import purge
from workers.services import Services, build_services
from workers.wiring import intake_service

CANARIES = {
    "dji_id": "KANARIEDJI4711",
    "surname": "Kanariesteyn",
    "given_names": "Kanarielotte",
    "street": "Kanariegracht",
    "phone": "06-47110815",
    "email": "kanarie.persoon@kanarie.example",
    "birth_date": "1969-06-09",
}
NOTE = "Kanarienotitie"  # the municipality's note in the outcome
UNREADABLE = "Kanarieregel"  # a reply line that could not be read
OPERATOR_NOTE = "Kanarieoperator"  # what an operator wrote when clearing the review
ALL_CANARIES = [*CANARIES.values(), NOTE, UNREADABLE, OPERATOR_NOTE]
COMPLETE = f"""Contact: ja
Vorm van contact: telefonisch
Acties uitgezet: ja
Leefgebieden: huisvesting
Al bekend bij hulpverlening: nee
Toelichting: {NOTE} over de afspraak

Op 2 maart schreef Koers:
> Naam: {CANARIES['given_names']} {CANARIES['surname']}
> Adres: {CANARIES['street']} 1
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[App]:
    if request.param == "postgresql":
        request.getfixturevalue("pg_sessions")  # empty working tables
        url = PG_URL
    else:
        url = f"sqlite:///{tmp_path / 'koers.db'}"
    application = bootstrap(fast_settings(tmp_path, url))
    migrate.upgrade(application.engine)
    with application.sessions.begin() as session:
        sync_reference_data(session)
    yield application
    application.dispose()


def send_queued(app: App, services: Services) -> None:
    with app.sessions() as session:
        ids = list(session.scalars(select(OutboundEmail.id).where(OutboundEmail.state == "queued")))
    for email_id in ids:
        services.sender.send(email_id)


def canary_case(app: App, services: Services, tmp_path: Path) -> tuple[CaseRow, int]:
    """A case with a canary in every personal field, its mail spooled; and a bystander case that stays open."""
    records = list(generate_records(2, seed=31, today=date.today(), mix=FeedMix(0, 0, 0, 0)))
    records[0] |= CANARIES
    write_feed(tmp_path / "feed.csv", records)
    canary, bystander = (r.case_id for r in intake_service(app).ingest(iter_feed(tmp_path / "feed.csv"), "f").results)
    assert canary is not None and bystander is not None
    for case_id in (canary, bystander):
        services.workflow.start_case(case_id)
    send_queued(app, services)  # the notifications with the letters
    with app.sessions() as session:
        case = session.get(CaseRow, canary)
    assert case is not None
    assert process(app, services, reply(app, case, body=f"Contact: {UNREADABLE} misschien\n")).state == "needs_review"
    with services.store.case(canary) as opened:
        opened.clear_review(f"{OPERATOR_NOTE}: gebeld met de gemeente", by="op", now=app.clock())
    assert process(app, services, reply(app, case, body=COMPLETE)).state == "processed"
    send_queued(app, services)  # the ask-back (quoting the unreadable line) and the confirmation
    return case, bystander


def everything_in_the_database(app: App) -> dict[str, str]:
    """Every table's rows as text: text, JSON and binary columns alike ("table" -> all its values)."""
    found: dict[str, str] = {}
    with app.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            values = []
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):  # noqa: S608 (table names from the database)
                values += [_as_text(value) for value in row]
            found[table] = "\n".join(values)
    return found


def _as_text(value: Any) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def everything_in_the_spool(app: App) -> dict[str, str]:
    """Each spooled mail decoded: its text parts and the text of its PDF letter."""
    found = {}
    for path in sorted(app.settings.spool_dir.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        parts = [str(message["Subject"])]
        for part in message.walk():
            if part.get_content_type().startswith("text/"):
                parts.append(part.get_content())
            elif part.get_content_type() == "application/pdf":
                parts += [page.extract_text() for page in PdfReader(io.BytesIO(part.get_content())).pages]
        found[path.name] = "\n".join(parts)
    return found


def where(canary: str, places: dict[str, str]) -> list[str]:
    return [place for place, content in places.items() if canary.lower() in content.lower()]


def report(app: App) -> str:
    with app.sessions() as session:
        return monitoring_report(session, date_from=None, date_to=None).to_json()


def events_of(app: App, case_id: int) -> list[tuple[str, str]]:
    with app.sessions() as session:
        rows = session.execute(select(AuditEvent.event, AuditEvent.actor).where(AuditEvent.case_id == case_id)
                               .order_by(AuditEvent.id))  # fmt: skip
        return [(r.event, r.actor) for r in rows]


def test_a_purge_leaves_no_canary_in_any_table_or_in_the_spool_and_keeps_the_figures(app: App, tmp_path: Path) -> None:
    # Given a closed case with canaries everywhere, and its letters and emails in the spool
    services = build_services(app)
    case, bystander = canary_case(app, services, tmp_path)
    database, spool = everything_in_the_database(app), everything_in_the_spool(app)
    assert {"cases", "intake_records", "inbound_messages", "audit_events"} <= {
        table for canary in ALL_CANARIES for table in where(canary, database)}  # fmt: skip
    assert where(NOTE, database) and where(UNREADABLE, database) and where(OPERATOR_NOTE, database)
    assert all(where(canary, spool) for canary in (CANARIES["surname"], CANARIES["street"], UNREADABLE)), spool.keys()
    figures, events = report(app), events_of(app, case.id)

    # When the retention period has passed since it closed, and the purge runs
    later = bootstrap(app.settings, clock=lambda: app.clock() + timedelta(days=400))
    done = purge(later, actor="test")
    later.dispose()

    # Then no canary is left in any table or column, nor in the spool; the figures and the events stay
    assert done["cases"] == 1 and done["spool_files"] >= 4, done
    database, spool = everything_in_the_database(app), everything_in_the_spool(app)
    assert {canary: where(canary, database) for canary in ALL_CANARIES} == {c: [] for c in ALL_CANARIES}
    assert {canary: where(canary, spool) for canary in ALL_CANARIES} == {c: [] for c in ALL_CANARIES}
    assert report(app) == figures
    assert events_of(app, case.id) == events
    with app.sessions() as session:
        purged, kept = session.get(CaseRow, case.id), session.get(CaseRow, bystander)
        assert purged is not None and kept is not None
        assert (purged.outcome_contact, purged.outcome_actions, purged.state) == ("yes", "yes", "closed")
        assert purged.house_number is None and purged.postcode is None and purged.woonplaats is None
        assert kept.purged_at is None and kept.surname != "[verwijderd]"
    assert len(list(app.settings.spool_dir.glob(f"*zm-{bystander:06d}.*.eml"))) == 1  # the open case's mail stays


def purged_case(app: App, tmp_path: Path) -> tuple[CaseRow, int]:
    case, bystander = canary_case(app, build_services(app), tmp_path)
    later = bootstrap(app.settings, clock=lambda: app.clock() + timedelta(days=400))
    purge(later, actor="test")
    later.dispose()
    return case, bystander


def test_the_audit_log_lets_the_purge_remove_values_of_a_purged_case_and_refuses_everything_else(
    app: App, tmp_path: Path
) -> None:
    case, bystander = purged_case(app, tmp_path)
    sessions: sessionmaker[Session] = app.sessions
    with sessions() as session:
        row = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id,
                                                       AuditEvent.event == "stage_changed")).first()  # fmt: skip
        other = session.scalars(select(AuditEvent).where(AuditEvent.case_id == bystander)).first()
    assert row is not None and other is not None and row.details

    # Removing a value of a purged case's row is allowed (what the purge does) ...
    with sessions.begin() as session:
        session.execute(update(AuditEvent).where(AuditEvent.id == row.id).values(details={}))
    # ... adding or changing one, touching another column, or any row of a case not purged is not
    refused = [
        update(AuditEvent).where(AuditEvent.id == row.id).values(details={"note": "ingevoegd"}),
        update(AuditEvent).where(AuditEvent.id == row.id).values(actor="iemand anders"),
        update(AuditEvent).where(AuditEvent.id == row.id).values(event="case_created"),
        update(AuditEvent).where(AuditEvent.id == row.id).values(at=row.at + timedelta(days=1)),
        update(AuditEvent).where(AuditEvent.id == row.id).values(case_id=bystander),
        update(AuditEvent).where(AuditEvent.id == other.id).values(details={}),
        text("DELETE FROM audit_events WHERE id = :id").bindparams(id=row.id),
    ]
    for statement in refused:
        with pytest.raises(DBAPIError, match="append-only"), sessions.begin() as session:
            session.execute(statement)
    with sessions() as session:
        assert session.get(AuditEvent, other.id).details == other.details  # type: ignore[union-attr]


def test_a_reply_to_a_purged_case_records_nothing_on_it(app: App, tmp_path: Path) -> None:
    case, _ = purged_case(app, tmp_path)
    services = build_services(app)
    with app.sessions() as session:
        before = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case.id))
    row = process(app, services, reply(app, case, body=COMPLETE.replace(NOTE, "Late notitie")))

    assert (row.state, row.case_id) == ("quarantined", None)
    with app.sessions() as session:
        stored = session.get(CaseRow, case.id)
        after = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case.id))
        assert stored is not None and stored.outcome_note is None and after == before
        assert session.scalar(select(InboundMessage.reason).where(InboundMessage.id == row.id)).endswith(
            "opgeschoond en kan niet meer veranderen")
