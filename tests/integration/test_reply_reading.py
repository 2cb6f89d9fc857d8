"""Replies as staff really write them: certain fields recorded, prose proposed and confirmed, doubt asked once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from sqlalchemy import select

from messaging.reply_block import empty_block
from messaging.tokens import reply_address
from schema import migrate
from schema.models import AuditEvent, CaseRow
from schema.reference_sync import sync_reference_data
from schema.runtime_models import InboundMessage, OutboundEmail, ReplyProposal
from testkit.flow import fast_settings, relayed
from workers.bootstrap import App, bootstrap
from workers.demo.synthetic import FeedMix, generate_records, write_feed
from workers.feed_files import iter_feed
from workers.inbound_store import store_inbound
from workers.services import Services, build_services, secret_key
from workers.wiring import intake_service

QUOTED_NOTIFICATION = "\n".join("> " + line for line in ["Beste collega's,", "", *empty_block().splitlines()])


def make_app(tmp_path: Path, *, opt_in: bool = False) -> App:
    settings = fast_settings(tmp_path, f"sqlite:///{tmp_path / 'koers.db'}")
    if opt_in:
        settings = replace(settings, municipalities={code: replace(m, record_confident_proposals=True)
                                                     for code, m in settings.municipalities.items()})  # fmt: skip
    application = bootstrap(settings)
    migrate.upgrade(application.engine)
    with application.sessions.begin() as session:
        sync_reference_data(session)
    return application


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    application = make_app(tmp_path)
    yield application
    application.dispose()


def start_case(app: App, tmp_path: Path) -> tuple[Services, CaseRow]:
    services = build_services(app)
    feed = tmp_path / "feed.csv"
    write_feed(feed, generate_records(1, seed=31, today=date.today(), mix=FeedMix(0, 0, 0, 0)))
    (result,) = intake_service(app).ingest(iter_feed(feed), "feed").results
    services.workflow.start_case(result.case_id)
    with app.sessions() as session:
        return services, session.get(CaseRow, result.case_id)  # type: ignore[return-value]


@pytest.fixture
def case(app: App, tmp_path: Path) -> tuple[Services, CaseRow]:
    return start_case(app, tmp_path)


def send(app: App, services: Services, case: CaseRow, body: str, *, in_reply_to: str | None = None,
         subject: str | None = None, n: list[int] = [0]) -> InboundMessage:  # noqa: B006 (a counter for Message-IDs)
    n[0] += 1
    domain = app.settings.municipalities[case.cbs_code].reply_from[0]
    message = EmailMessage()
    message["From"] = f"Anne de Vries <anne@{domain}>"
    message["To"] = reply_address(secret_key(app.settings), case.id, case.cbs_code, app.settings.reply_domain)
    message["Subject"] = subject or f"RE: [ZM-{case.id:06d}] Zelfmelder"
    message["Message-ID"] = f"<r-{case.id}-{n[0]}@{domain}>"
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    message.set_content(f"{body}\n\nOp 3 mrt. 2026 om 10:00 schreef Zelfmelders 3Noord:\n{QUOTED_NOTIFICATION}\n")
    with app.sessions.begin() as session:
        inbound_id = store_inbound(session, relayed(message.as_bytes(), domain), source="import", envelope_from=None,
                                   envelope_to=[], now=app.clock())  # fmt: skip
    services.replies.process(inbound_id)
    with app.sessions() as session:
        return session.get(InboundMessage, inbound_id)  # type: ignore[return-value]


def stored(app: App, case: CaseRow) -> CaseRow:
    with app.sessions() as session:
        return session.get(CaseRow, case.id)  # type: ignore[return-value]


def answers(app: App, case: CaseRow) -> list[OutboundEmail]:
    with app.sessions() as session:
        return list(session.scalars(select(OutboundEmail).where(OutboundEmail.case_id == case.id,
                                                                OutboundEmail.recipient == "sender")
                                    .order_by(OutboundEmail.id)))  # fmt: skip


def text_of(services: Services, email: OutboundEmail) -> str:
    """The email as Koers sends it (rendered and written to the spool)."""
    services.sender.send(email.id)
    spool = services.app.settings.spool_dir
    (path,) = [p for p in spool.rglob("*.eml") if email.message_id.strip("<>") in p.read_text(errors="replace")]
    parsed = message_from_bytes(path.read_bytes(), policy=default)
    body = parsed.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def audit_of(app: App, case: CaseRow, event: str) -> list[dict[str, object]]:
    with app.sessions() as session:
        return [row.details for row in session.scalars(select(AuditEvent).where(
            AuditEvent.case_id == case.id, AuditEvent.event == event).order_by(AuditEvent.id))]  # fmt: skip


def test_certain_fields_are_recorded_and_only_the_doubtful_one_is_asked_back_then_a_one_line_answer_completes(
    app: App, case: tuple[Services, CaseRow]
) -> None:
    services, row = case
    first = send(app, services, row, "Contact: misschien\nActies uitgezet: ja\nLeefgebieden: wonen, financiën, dagbesteding")

    assert first.state == "needs_review" and first.details["needed"] == ["contact"]
    after = stored(app, row)
    assert (after.outcome_contact, after.outcome_actions) == ("unknown", "yes")
    assert after.outcome_life_domains == ["huisvesting", "werk", "financiën"] and after.state != "closed"
    (ask_back,) = answers(app, row)
    text = text_of(services, ask_back)
    assert "> Contact: misschien" in text and "- Acties uitgezet: ja" in text
    assert "- Contact: Was er contact" in text and "Leefgebieden: Op welke" not in text

    send(app, services, row, "Contact: ja", in_reply_to=ask_back.message_id)

    done = stored(app, row)
    assert (done.outcome_contact, done.outcome_actions, done.state) == ("yes", "yes", "closed")
    assert [e.kind for e in answers(app, row)] == ["ask_back", "confirmation"]


def test_an_answer_to_the_ask_back_is_merged_and_a_bare_value_answers_the_one_question(
    app: App, case: tuple[Services, CaseRow]
) -> None:
    services, row = case
    send(app, services, row, "Contact: ja 👍\nVorm van contact: xyzzy\nActies uitgezet: nee")
    (ask_back,) = answers(app, row)
    assert stored(app, row).outcome_contact == "yes"

    second = send(app, services, row, "huisbezoek", in_reply_to=ask_back.message_id)

    assert second.state == "processed"
    assert stored(app, row).outcome_contact_form == "visit"
    assert [e.kind for e in answers(app, row)] == ["ask_back", "confirmation"]


def test_prose_is_proposed_in_plain_dutch_never_recorded_and_recorded_when_the_sender_says_ja(
    app: App, case: tuple[Services, CaseRow]
) -> None:
    services, row = case
    prose = ("Ik heb meneer gisteren gebeld, hij had al een schuldhulpverlener, we hebben een afspraak gemaakt bij "
             "het wijkteam.\n\nVr. groet,\nAnne")
    first = send(app, services, row, prose)

    assert first.state == "proposed" and stored(app, row).outcome_contact == "unknown"
    (proposal_email,) = answers(app, row)
    assert proposal_email.kind == "proposal"
    text = text_of(services, proposal_email)
    assert "Wij lazen: contact ja (telefonisch), acties ja, al bekend ja." in text
    assert "Klopt dit? Antwoord met 'ja', of verbeter wat niet klopt." in text

    confirmed = send(app, services, row, "Ja, klopt!", in_reply_to=proposal_email.message_id)

    assert confirmed.state == "processed"
    done = stored(app, row)
    assert (done.outcome_contact, done.outcome_contact_form, done.outcome_actions, done.outcome_known_to_care) == (
        "yes", "phone", "yes", "yes")
    assert done.state == "closed" and "Vr. groet" not in (done.outcome_note or "")
    with app.sessions() as session:
        assert session.scalars(select(ReplyProposal.state)).all() == ["confirmed"]
    assert audit_of(app, row, "proposal_confirmed")


def test_a_prose_correction_replaces_the_recorded_value_after_confirmation_and_the_audit_shows_both(
    app: App, case: tuple[Services, CaseRow]
) -> None:
    services, row = case
    send(app, services, row, "Contact: ja\nVorm van contact: telefonisch\nActies uitgezet: nee")
    assert stored(app, row).outcome_actions == "no"

    correction = send(app, services, row, "Foutje, er zijn wél acties uitgezet: aangemeld bij de schuldhulp.")
    assert correction.state == "proposed"
    proposal_email = answers(app, row)[-1]
    send(app, services, row, "ja", in_reply_to=proposal_email.message_id)

    assert stored(app, row).outcome_actions == "yes" and stored(app, row).outcome_life_domains == ["schulden"]
    recorded = audit_of(app, row, "outcome_recorded")
    assert [r["outcome"]["actions"] for r in recorded] == ["no", "yes"]  # type: ignore[index]
    assert recorded[-1]["replaced"] == {"actions": "no"}


def test_a_dated_update_in_the_same_mail_replaces_the_earlier_line_and_the_audit_keeps_it(
    app: App, case: tuple[Services, CaseRow]
) -> None:
    services, row = case
    send(app, services, row, "Contact: ja\nActies uitgezet: nee\n\nUpdate 14-3: Acties uitgezet: ja\nLeefgebieden: werk")

    assert stored(app, row).outcome_actions == "yes"
    assert audit_of(app, row, "outcome_recorded")[-1]["superseded_in_reply"] == {"actions": "no"}


def test_a_contradicting_note_makes_the_field_doubtful_and_nothing_closes(app: App,
                                                                           case: tuple[Services, CaseRow]) -> None:
    services, row = case
    reply = send(app, services, row, "Contact: ja, reactie op brief\nToelichting: nog geen reactie ontvangen")

    assert reply.state == "needs_review" and stored(app, row).outcome_contact == "unknown"
    assert stored(app, row).state != "closed"


def test_at_most_one_question_per_case_per_day(app: App, case: tuple[Services, CaseRow]) -> None:
    services, row = case
    send(app, services, row, "Bedankt, we pakken het op.")
    second = send(app, services, row, "Contact: misschien")

    assert [e.kind for e in answers(app, row)] == ["ask_back"]
    assert second.state == "needs_review" and audit_of(app, row, "question_held")


def test_a_service_desk_receipt_without_auto_submitted_is_ignored_and_never_answered(
    app: App, case: tuple[Services, CaseRow]
) -> None:
    services, row = case
    receipt = send(app, services, row, "Wij hebben uw e-mail in goede orde ontvangen. Uw melding is geregistreerd "
                                       "onder nummer M-240311.")

    assert receipt.state == "ignored" and answers(app, row) == []


def test_a_signature_without_greeting_never_enters_the_note(app: App, case: tuple[Services, CaseRow]) -> None:
    services, row = case
    send(app, services, row, "Contact: nee\nToelichting: twee keer geen gehoor.\nAnne de Vries\nConsulent "
                             "Zelfmelders\nT 06 1234 5678\n\nDisclaimer: dit bericht is vertrouwelijk.")

    assert stored(app, row).outcome_note == "twee keer geen gehoor."


def test_answers_typed_over_the_hints_in_outlooks_quoted_block_are_read(app: App,
                                                                        case: tuple[Services, CaseRow]) -> None:
    services, row = case
    original = empty_block().replace("Contact: ja/nee", "Contact: ja").replace("Acties uitgezet: ja/nee",
                                                                                "Acties uitgezet: ja/nee  NEE")
    body = f"Zie de antwoorden in de tekst.\n\n{'_' * 32}\nVan: Zelfmelders 3Noord\nVerzonden: dinsdag 3 maart\n" \
           f"Aan: zelfmelders\nOnderwerp: Zelfmelder\n\n{original}"
    reply = send(app, services, row, body)

    assert reply.state == "processed"
    assert (stored(app, row).outcome_contact, stored(app, row).outcome_actions) == ("yes", "no")


def test_a_municipality_that_opted_in_records_confident_prose_at_once(tmp_path: Path) -> None:
    app = make_app(tmp_path, opt_in=True)
    try:
        services, row = start_case(app, tmp_path)
        reply = send(app, services, row, "Op huisbezoek geweest. Geen acties nodig, hij regelt alles zelf. Hij is "
                                         "niet bekend bij de hulpverlening.")

        assert reply.state == "processed"
        done = stored(app, row)
        assert (done.outcome_contact, done.outcome_contact_form, done.outcome_actions) == ("yes", "visit", "no")
        assert [e.kind for e in answers(app, row)] == ["confirmation"]
        with app.sessions() as session:
            assert session.scalars(select(ReplyProposal.state)).all() == ["recorded_at_once"]
    finally:
        app.dispose()


def test_by_default_even_confident_prose_is_only_proposed(app: App, case: tuple[Services, CaseRow]) -> None:
    services, row = case
    reply = send(app, services, row, "Op huisbezoek geweest. Geen acties nodig, hij regelt alles zelf.")

    assert reply.state == "proposed" and stored(app, row).outcome_contact == "unknown"
