"""The detainee definition end to end on RabbitMQ + PostgreSQL + SMTP, with timers in seconds.

Intake → notification (its own text, no letter) → reminder → escalation before the release date →
closed at the release. The release date is a calendar day, so the test's clock is real time plus an
offset: the escalation falls due seconds after the start (``escalate_before_release`` is set to the
time left until the release minus a few seconds), and the offset then moves the clock past 00:00 of
the release day, where the window-close timer fires like any other.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from schema.case_queries import case_details
from schema.models import CaseRow
from schema.runtime_models import OutboundEmail
from testkit.flow import COORDINATORS, fast_settings, mailbox, wait_until
from testkit.smtp_sink import SmtpSink
from tests.conftest import PG_URL
from workers.bootstrap import App, bootstrap
from workers.feed_files import iter_feed
from workers.runner import start
from workers.wiring import intake_service
from workflows.calendar import AMSTERDAM
from workflows.durations import parse_duration

ESCALATION_AFTER_S = 8  # the escalation falls due this long after the test starts


class ShiftedClock:
    """Real time plus an offset that the test moves forward."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as s:
        yield s


def _records(today: Any) -> list[dict[str, str]]:
    person = {"surname": "Hoekstra", "given_names": "Sjoerd", "birth_date": "1988-04-02", "street": "Nieuwestad",
              "house_number": "12", "postcode": "8911 CT", "woonplaats": "Leeuwarden", "gemeente": "Leeuwarden",
              "sentence_days": "30", "institution": "PI Leeuwarden"}  # fmt: skip
    detainee = person | {"dji_id": "DJI-D-1", "group": "detainee", "custody_since": str(today - timedelta(days=20)),
                         "release_date": str(today + timedelta(days=2))}  # fmt: skip
    self_reporter = person | {"dji_id": "DJI-S-1", "report_date": str(today + timedelta(days=40))}
    return [detainee, self_reporter]


def _sent(sink: SmtpSink) -> list[EmailMessage]:
    return [message_from_bytes(m.data, policy=policy.default) for m in sink.messages]  # type: ignore[misc]


def _body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def _emails(sessions: sessionmaker[Session], dji_id: str) -> list[tuple[str, str]]:
    with sessions() as session:
        query = (select(OutboundEmail.kind, OutboundEmail.state).join(CaseRow, CaseRow.id == OutboundEmail.case_id)
                 .where(CaseRow.dji_id == dji_id).order_by(OutboundEmail.id))  # fmt: skip
        return [(kind, state) for kind, state in session.execute(query)]


def _case(sessions: sessionmaker[Session], dji_id: str) -> CaseRow:
    with sessions() as session:
        return session.scalars(select(CaseRow).where(CaseRow.dji_id == dji_id)).one()


def test_a_detainee_is_notified_reminded_escalated_before_release_and_closed_at_release(
    pg_sessions: sessionmaker[Session], amqp_url: str, sink: SmtpSink, tmp_path: Path
) -> None:
    # Given a detainee released the day after tomorrow, with the escalation due seconds from now
    clock = ShiftedClock()
    today = clock().astimezone(AMSTERDAM).date()
    release_at = datetime.combine(today + timedelta(days=2), datetime.min.time(), AMSTERDAM).astimezone(UTC)
    before_release = int((release_at - clock()).total_seconds()) - ESCALATION_AFTER_S
    settings = fast_settings(tmp_path, PG_URL, smtp_url=sink.url, broker_url=amqp_url)
    timers = settings.timers | {"escalate_before_release": parse_duration(f"PT{before_release}S")}
    app = bootstrap(replace(settings, timers=timers), clock=clock)
    running = start(app, worker_threads=3, scheduler=True)
    running.broker.flush_all()
    try:
        _run_flow(app, sink, tmp_path, clock, release_at, today)
    finally:
        running.stop()
        app.dispose()


def _run_flow(app: App, sink: SmtpSink, tmp_path: Path, clock: ShiftedClock, release_at: datetime, today: Any) -> None:
    feed = tmp_path / "gedetineerden.jsonl"
    feed.write_text("".join(json.dumps(r) + "\n" for r in _records(today)), encoding="utf-8")

    # When the feed is taken in
    summary = intake_service(app).ingest(iter_feed(feed), feed.name)
    assert summary.counts["accepted"] == 2, summary.to_json()

    # Then the detainee's case runs its own definition towards the release date
    wait_until(lambda: ("escalation", "sent") in _emails(app.sessions, "DJI-D-1"), timeout=60)
    assert _emails(app.sessions, "DJI-D-1") == [("notification", "sent"), ("reminder", "sent"), ("escalation", "sent")]
    case = _case(app.sessions, "DJI-D-1")
    assert (case.target_group, case.report_date, case.release_date) == ("detainee", None, today + timedelta(days=2))
    assert (case.workflow, case.workflow_version, case.state, case.urgent) == (
        "short_sentenced_detainee", 1, "escalated", False)  # fmt: skip
    _check_detainee_mail(sink)
    with app.sessions() as session:
        shown = case_details(session, "DJI-D-1")  # what `koers case show --json` prints
    assert shown is not None and (shown["group"], shown["report_date"], shown["release_date"]) == (
        "detainee", None, str(today + timedelta(days=2)))  # fmt: skip
    assert shown["workflow"] == {"definition": "short_sentenced_detainee", "version": 1}
    # ... while the self-reporter beside it runs the self-reporter definition, with the letter
    self_reporter = _case(app.sessions, "DJI-S-1")
    assert (self_reporter.target_group, self_reporter.workflow) == ("self_reporter", "self_reporter_3noord")
    letters = [m for m in _sent(sink) if m["X-Koers-Kind"] == "notification" and any(m.iter_attachments())]
    assert [m["To"] for m in letters] == [mailbox("GM0080")]

    # When the clock passes 00:00 on the release day, the window closes
    clock.offset = release_at - datetime.now(UTC) + timedelta(seconds=1)
    wait_until(lambda: _case(app.sessions, "DJI-D-1").state == "closed", timeout=30)
    closed = _case(app.sessions, "DJI-D-1")
    assert closed.close_reason == "window_closed_without_outcome"
    assert closed.closed_at is not None and closed.closed_at >= release_at
    assert [kind for kind, _ in _emails(app.sessions, "DJI-D-1")] == ["notification", "reminder", "escalation"]


def _check_detainee_mail(sink: SmtpSink) -> None:
    """The detainee's emails say "vrijlating" where a self-reporter's say "meldingsdatum"; no letter."""
    mails = [m for m in _sent(sink) if "gedetineerde" in _body(m)]
    by_kind = {m["X-Koers-Kind"]: m for m in mails}
    assert set(by_kind) == {"notification", "reminder", "escalation"}
    notification = by_kind["notification"]
    assert not list(notification.iter_attachments()), "no letter to the home address of a person inside"
    text = _body(notification)
    assert "komt op" in text and "Vrijlating:" in text and "In detentie sinds:" in text and "PI Leeuwarden" in text
    assert "Meldingsdatum" not in text and "brief" not in text.split("GEEN BRIEF")[0].lower()
    assert "De vrijlating is op" in _body(by_kind["reminder"]) and "meldingsdatum" not in _body(by_kind["reminder"])
    escalation = by_kind["escalation"]
    assert escalation["To"] == COORDINATORS["Fryslân"]
    assert "Vrijlating:" in _body(escalation) and "Meldingsdatum" not in _body(escalation)
    assert "Hoekstra" not in _body(escalation) and "Hoekstra" not in _body(by_kind["reminder"])
