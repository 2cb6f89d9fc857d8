"""The whole flow in one process on SQLite with the in-process broker: the embedded default."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

from sqlalchemy import select

from schema import migrate
from schema.models import CaseRow
from schema.reference_sync import sync_reference_data
from schema.runtime_models import OutboundEmail
from testkit.flow import fast_settings, wait_until
from testkit.smtp_sink import SmtpSink
from workers.bootstrap import bootstrap
from workers.demo.synthetic import FeedMix, generate_records, write_feed
from workers.feed_files import iter_feed
from workers.runner import start
from workers.wiring import intake_service


def test_cases_are_notified_reminded_and_escalated_in_real_time(tmp_path: Path) -> None:
    # Given an embedded Koers with second-scale timers and an SMTP sink
    with SmtpSink() as sink:
        settings = fast_settings(tmp_path, f"sqlite:///{tmp_path / 'koers.db'}", smtp_url=sink.url)
        app = bootstrap(settings)
        migrate.upgrade(app.engine)
        with app.sessions.begin() as session:
            sync_reference_data(session)
        running = start(app, worker_threads=2, scheduler=True)
        try:
            # When a feed of 20 clean self-reporters arrives
            feed = tmp_path / "feed.csv"
            write_feed(feed, generate_records(20, seed=5, today=date.today(), mix=FeedMix(0, 0, 0, 0)))
            summary = intake_service(app).ingest(iter_feed(feed), "feed.csv")
            assert summary.counts["accepted"] == 20

            # Then every case gets its notification, two reminders and an escalation, each once
            def kinds() -> Counter[str]:
                with app.sessions() as session:
                    return Counter(session.scalars(select(OutboundEmail.kind).where(OutboundEmail.state == "sent")))

            wait_until(lambda: kinds()["escalation"] >= 20, timeout=60)
            counts = kinds()
            assert counts["notification"] == 20 and counts["reminder"] == 20 and counts["second_reminder"] == 20
            ids = sink.message_ids()
            assert len(ids) == 80 and set(ids.values()) == {1}
            with app.sessions() as session:
                states = Counter(session.scalars(select(CaseRow.state)))
            assert states == {"escalated": 20}
        finally:
            running.stop()
            app.dispose()
