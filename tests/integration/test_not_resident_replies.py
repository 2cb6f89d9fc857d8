"""A trusted "not our resident" reply through the reply pipeline: a triage request with the hint, never an outcome.

The reply is stored as the gateway stores it and read by the reply processor (one test sends it over
SMTP into a running gateway). It records no outcome and does not close the case; it opens a request
for another municipality (the place it names routed with ``workflows.routing``), answers the sender
with an acknowledgement and is recorded as such (inbound state, details, audit). A reply that only
names a place in the same municipality, or denies the move, is read as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest
from sqlalchemy import select

from messaging.tokens import reply_address
from schema import migrate
from schema.models import AuditEvent, CaseRow, RerouteRequest
from schema.reference_sync import sync_reference_data
from schema.runtime_models import InboundMessage, OutboundEmail
from testkit.flow import fast_settings, relayed, wait_until
from testkit.processes import free_port
from workers.bootstrap import App, bootstrap
from workers.feed_files import RawRecord
from workers.inbound_store import store_inbound
from workers.runner import start
from workers.services import Services, build_services, secret_key
from workers.wiring import intake_service
from workflows.states import AuditKind, InboundState, RerouteRequestState

LEEUWARDEN, ASSEN = "GM0080", "GM0106"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    application = bootstrap(fast_settings(tmp_path, f"sqlite:///{tmp_path / 'koers.db'}"))
    migrate.upgrade(application.engine)
    with application.sessions.begin() as session:
        sync_reference_data(session)
    yield application
    application.dispose()


@pytest.fixture
def services(app: App) -> Services:
    return build_services(app)


@pytest.fixture
def case(app: App, services: Services) -> CaseRow:
    record = {"dji_id": "DJI-NR-1", "surname": "Visser", "given_names": "Anne", "birth_date": "1990-04-01",
              "street": "Nieuwestad", "house_number": "1", "postcode": "8911 CM", "woonplaats": "Leeuwarden",
              "gemeente": LEEUWARDEN, "sentence_days": "30", "institution": "PI Leeuwarden",
              "report_date": (date.today() + timedelta(days=40)).isoformat()}  # fmt: skip
    (result,) = intake_service(app).ingest([RawRecord(1, fields=record)], "test").results
    assert result.case_id is not None
    services.workflow.start_case(result.case_id)
    with app.sessions() as session:
        return session.get(CaseRow, result.case_id)  # type: ignore[return-value]


def reply(app: App, case: CaseRow, body: str) -> bytes:
    domain = app.settings.municipalities[LEEUWARDEN].reply_from[0]
    message = EmailMessage()
    message["From"] = f"Anne de Vries <anne@{domain}>"
    message["To"] = reply_address(secret_key(app.settings), case.id, LEEUWARDEN, app.settings.reply_domain)
    message["Subject"] = f"RE: [ZM-{case.id:06d}] Zelfmelder: verzoek om contact"
    message["Message-ID"] = f"<reply-{case.id}-{abs(hash(body)) % 10**8}@{domain}>"
    message.set_content(body + "\n> --- Beantwoord deze e-mail en vul hieronder in ---\n> Contact: ja/nee\n")
    return relayed(message.as_bytes(), domain)  # as the municipality's mail relay hands it on


def process(app: App, services: Services, raw: bytes) -> InboundMessage:
    with app.sessions.begin() as session:
        inbound_id = store_inbound(session, raw, source="import", envelope_from=None, envelope_to=[], now=app.clock())
    services.replies.process(inbound_id)
    with app.sessions() as session:
        return session.get(InboundMessage, inbound_id)  # type: ignore[return-value]


def state_of(app: App, case: CaseRow) -> tuple[str, str | None, str, str | None]:
    with app.sessions() as session:
        row = session.get(CaseRow, case.id)
        assert row is not None
        return row.state, row.cbs_code, row.outcome_contact, row.close_reason


def requests(app: App) -> list[RerouteRequest]:
    with app.sessions() as session:
        return list(session.scalars(select(RerouteRequest)))


def answered(app: App) -> list[str]:
    with app.sessions() as session:
        return list(session.scalars(select(OutboundEmail.kind).where(OutboundEmail.recipient == "sender")))


def test_a_moved_reply_puts_the_case_in_triage_with_the_place_and_records_no_outcome(app: App, services: Services,
                                                                                     case: CaseRow) -> None:  # fmt: skip
    # Given Leeuwarden answers, with "Contact: nee" that would otherwise close the case as a complete outcome
    body = "Goedemiddag,\n\nContact: nee\nToelichting: deze meneer woont niet meer in onze gemeente, hij is " \
           "verhuisd naar Assen.\n\nGroet, Anne"
    # When the reply is read
    row = process(app, services, reply(app, case, body))
    # Then it is recorded as "not our resident", with the hint, and nothing else happened to the case
    assert row.state == InboundState.NOT_RESIDENT
    assert row.details["not_resident"]["place"] == "Assen" and row.details["not_resident"]["suggested"] == ASSEN
    assert state_of(app, case) == ("notified", LEEUWARDEN, "unknown", None)
    (request,) = requests(app)
    assert (request.state, request.source, request.suggested_cbs_code, request.place, request.inbound_id) == (
        RerouteRequestState.OPEN, "reply", ASSEN, "Assen", row.id)  # fmt: skip
    assert answered(app) == ["not_resident_received"]
    with app.sessions() as session:
        events = {e.event: e for e in session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id))}
    assert AuditKind.REPLY_NOT_RESIDENT in events and AuditKind.OUTCOME_RECORDED not in events
    assert "Assen" not in str(events[AuditKind.REPLY_NOT_RESIDENT].details)  # the audit log outlives a purge


def test_a_second_such_reply_keeps_one_request_and_a_place_in_the_region_of_the_case_is_no_move(
        app: App, services: Services, case: CaseRow) -> None:  # fmt: skip
    process(app, services, reply(app, case, "Niet bekend in onze gemeente."))
    process(app, services, reply(app, case, "Woont echt niet meer in onze gemeente, sorry."))
    assert len(requests(app)) == 1 and requests(app)[0].suggested_cbs_code is None
    # Stiens lies in Leeuwarden: a move within the municipality is read as an ordinary (here unreadable) reply
    row = process(app, services, reply(app, case, "Hij woont nu in Stiens."))
    assert row.state == InboundState.NEEDS_REVIEW


def test_a_denied_move_is_read_as_an_outcome(app: App, services: Services, case: CaseRow) -> None:
    body = "Hij is niet verhuisd, hij woont wél in onze gemeente.\n\nContact: ja\nVorm van contact: telefonisch\n" \
           "Acties uitgezet: ja\nLeefgebieden: huisvesting\nAl bekend bij hulpverlening: nee"
    row = process(app, services, reply(app, case, body))
    assert row.state == InboundState.PROCESSED and requests(app) == []
    assert state_of(app, case)[2:] == ("yes", "outcome_complete")


def test_the_acknowledgement_is_sent_to_the_sender_and_names_the_place_only(app: App, services: Services,
                                                                            case: CaseRow) -> None:  # fmt: skip
    process(app, services, reply(app, case, "Is verhuisd naar Assen."))
    with app.sessions() as session:
        email_id = session.scalars(select(OutboundEmail.id).where(OutboundEmail.kind == "not_resident_received")).one()
    assert services.sender.send(email_id) == "sent"
    (spooled,) = [p for p in app.settings.spool_dir.glob("*.eml") if "not_resident_received" in p.read_text()]
    message = message_from_bytes(spooled.read_bytes(), policy=policy.default)
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert message["To"] == "anne@gm0080.example" and message["In-Reply-To"]
    assert "u noemt: Assen" in text and f"[ZM-{case.id:06d}]" in message["Subject"]
    assert "Visser" not in message.as_string() and "Anne" not in text


def test_a_not_resident_reply_sent_over_smtp_into_the_gateway_opens_a_request(app: App, case: CaseRow) -> None:
    port = free_port()
    running = start(app, worker_threads=2, scheduler=True, gateway_listen=f"127.0.0.1:{port}")
    try:
        raw = reply(app, case, "Deze mevrouw is verhuisd naar de gemeente Tynaarlo.")
        token = reply_address(secret_key(app.settings), case.id, LEEUWARDEN, app.settings.reply_domain)
        asyncio.run(aiosmtplib.send(raw, sender="anne@gm0080.example", recipients=[token], hostname="127.0.0.1",
                                    port=port))  # fmt: skip
        wait_until(lambda: requests(app), timeout=30)
        assert requests(app)[0].suggested_cbs_code == "GM1730"  # Tynaarlo
        assert state_of(app, case)[0] == "notified"
    finally:
        running.stop()
