"""A running embedded Koers with a console and realistic data, for the browser tests.

Everything is real: migrations, reference data, intake of a synthetic feed (with ambiguous,
ineligible and invalid records), worker threads and the scheduler on the in-process broker, mail
to the spool folder, and the console served by uvicorn on a free port.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

from schema import migrate
from schema.models import CaseRow
from schema.reference_sync import sync_reference_data
from schema.runtime_models import DeadLetter, InboundMessage, OutboundEmail
from testkit.flow import TEST_SECRET_KEY, wait_until
from testkit.processes import free_port
from workers.bootstrap import App, bootstrap
from workers.demo.synthetic import FeedMix, generate_records
from workers.feed_files import RawRecord
from workers.runner import Running, start
from workers.settings import load_settings
from workers.web.accounts import add_user
from workers.web.app import create_app
from workers.web.server import WebServer
from workers.wiring import intake_service
from workflows.model import Answer, ContactForm, Outcome

PASSWORD = "e2e wachtwoord van de console"
LW_RECORD = {
    "dji_id": "E2E-LW-1",
    "surname": "Hoekstra",
    "given_names": "Sjoerd",
    "birth_date": "1988-04-12",
    "street": "Nieuwestad",
    "house_number": "12",
    "postcode": "8911 CM",
    "woonplaats": "Leeuwarden",
    "gemeente": "GM0080",
    "sentence_days": "30",
    "institution": "PI Leeuwarden",
}
REPLY = (
    b"From: Anne de Vries <anne@leeuwarden.example>\r\nTo: antwoord@antwoord.koers.example\r\n"
    b"Subject: Re: Zelfmelder\r\nMessage-ID: <e2e-1@leeuwarden.example>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nHallo,\r\n\r\nContact: misschien\r\nActies uitgezet: ja\r\n"
    b"\r\nGroet, Anne\r\n"
)
OUTCOMES = (
    Outcome(Answer.YES, ContactForm.LETTER, Answer.YES, ("huisvesting", "schulden"), Answer.YES),
    Outcome(Answer.YES, ContactForm.PHONE, Answer.YES, ("inkomen",), Answer.NO),
    Outcome(Answer.NO),
    None,
    Outcome(Answer.YES, ContactForm.LETTER, Answer.NO, (), Answer.UNKNOWN),
)


@dataclass
class Console:
    app: App
    running: Running
    url: str
    review_inbound: int
    dead_letter: int


def _prepare(home: Path, environ: dict[str, str]) -> App:
    app = bootstrap(
        load_settings({"KOERS_HOME": str(home), "KOERS_SECRET_KEY": TEST_SECRET_KEY,
                       **environ})  # fmt: skip
    )
    migrate.upgrade(app.engine)
    with app.sessions.begin() as session:
        sync_reference_data(session)
        add_user(session, "op", role="operator", password=PASSWORD, now=app.clock(), display_name="Olga Operator")
        add_user(
            session,
            "lw",
            role="municipal",
            password=PASSWORD,
            now=app.clock(),
            cbs_code="GM0080",
            display_name="Team Zelfmelders Leeuwarden",
        )
    return app


def _intake(app: App) -> None:
    today = date.today()
    records: list[dict[str, object]] = list(
        generate_records(80, seed=2019, today=today, mix=FeedMix(0.08, 0.03, 0.03, 0.02))
    )
    records.append({**LW_RECORD, "report_date": (today + timedelta(days=30)).isoformat()})
    for dji_id in ("E2E-LW-2", "E2E-LW-3"):  # for the operator actions and the municipal request
        records.append({**LW_RECORD, "dji_id": dji_id, "report_date": (today + timedelta(days=30)).isoformat()})
    intake_service(app).ingest([RawRecord(i, fields=r) for i, r in enumerate(records, 1)], "e2e-feed")

    def started() -> bool:
        with app.sessions() as session:
            return not session.scalar(select(func.count()).select_from(CaseRow).where(CaseRow.state == "accepted"))

    def sent() -> bool:
        pending = select(func.count()).select_from(OutboundEmail).where(OutboundEmail.state.in_(("queued", "sending")))
        with app.sessions() as session:
            return not session.scalar(pending)

    wait_until(started, timeout=60)
    wait_until(sent, timeout=60)


def _outcomes_and_history(app: App, running: Running) -> None:
    """Outcomes on most cases, and creation dates spread over half a year so that the trend has a shape."""
    now = app.clock()
    with app.sessions.begin() as session:
        cases = list(
            session.scalars(
                select(CaseRow).where(CaseRow.state == "notified", CaseRow.dji_id.not_like("E2E-LW-%"))
                .order_by(CaseRow.id)
            )
        )
        for i, case in enumerate(cases):
            outcome = OUTCOMES[i % len(OUTCOMES)]
            if outcome is not None:
                with running.services.store.lock(session, case.id) as opened:
                    opened.record_outcome(outcome, by="e2e", now=now)
            case.created_at = now - timedelta(days=30 * (i % 6))


def _review_and_dead_letter(app: App, running: Running) -> tuple[int, int]:
    now = app.clock()
    with app.sessions.begin() as session:
        case = session.scalars(select(CaseRow).where(CaseRow.dji_id == "E2E-LW-1")).one()
        inbound = InboundMessage(
            received_at=now,
            source="smtp",
            envelope_from="anne@leeuwarden.example",
            envelope_to=["antwoord@antwoord.koers.example"],
            raw=REPLY,
            size=len(REPLY),
            state="needs_review",
            kind="reply",
            case_id=case.id,
            from_address="anne@leeuwarden.example",
            sender_verified=True,  # as the reply processor leaves a reply it asked back about
            reason="Contact: waarde niet te lezen",
            details={
                "problems": [
                    {"field": "contact", "line": "Contact: misschien", "message": "onbekende waarde: kies ja of nee"}
                ]
            },
        )
        session.add(inbound)
        session.flush()
        with running.services.store.lock(session, case.id) as opened:
            opened.mark_for_review("antwoord van de gemeente niet te lezen", by="mail", now=now, inbound_id=inbound.id)
        email_id = session.scalar(select(OutboundEmail.id).where(OutboundEmail.case_id == case.id))
        dead = DeadLetter(
            message_id="e2e-dead-1",
            queue_name="outgoing-mail",
            actor_name="send_email",
            args=[email_id],
            error="SMTPServerDisconnected",
            retries=20,
            failed_at=now,
            state="dead",
        )
        session.add(dead)
        session.flush()
        return inbound.id, dead.id


@contextmanager
def running_console(home: Path, environ: dict[str, str] | None = None) -> Iterator[Console]:
    """Koers with workers, scheduler and the console on a free port; everything stopped afterwards."""
    app = _prepare(home, environ or {})
    running = start(app, worker_threads=2, scheduler=True)
    server: WebServer | None = None
    try:
        _intake(app)
        _outcomes_and_history(app, running)
        review_inbound, dead_letter = _review_and_dead_letter(app, running)
        port = free_port()
        server = WebServer(create_app(app, running.services), f"127.0.0.1:{port}").start()
        yield Console(app, running, f"http://127.0.0.1:{port}", review_inbound, dead_letter)
    finally:
        if server is not None:
            server.stop()
        running.stop()
        app.dispose()
