"""Fixtures for the web console: a migrated SQLite database with two municipalities' cases.

The database is built once per run and copied for each test. Users: ``op`` (operator),
``lw`` (municipal, Leeuwarden GM0080) and ``gr`` (municipal, Groningen GM0014).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from schema import migrate, reroute_requests
from schema.console_models import ApiToken
from schema.db import make_engine, make_session_factory
from schema.models import CaseRow
from schema.reference_sync import sync_reference_data
from schema.runtime_models import DeadLetter, InboundMessage, OutboundEmail
from testkit.flow import TEST_SECRET_KEY
from tests.fakes import FakeClock
from workers.bootstrap import App, bootstrap
from workers.services import Services, build_services
from workers.settings import load_settings
from workers.web import credentials
from workers.web.accounts import add_user
from workers.web.api_tokens import add_token
from workers.web.app import create_app
from workflows.states import RerouteRequestSource

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)
START = NOW - timedelta(days=10)  # when the cases came in and their workflows started
PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "een nieuw wachtwoord van de gebruiker"
LEEUWARDEN, GRONINGEN = "GM0080", "GM0014"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
REPLY = """From: Anne <{sender}>
To: antwoord@antwoord.koers.example
Subject: Re: Zaak ZM-000001
Message-ID: <reply-1@gm0080.example>
Content-Type: text/plain; charset=utf-8

Contact: misschien
Acties uitgezet: ja
"""


@dataclass(frozen=True)
class Ids:
    """The seeded rows: one set per municipality, plus a case to route and operator-only rows."""

    lw_case: int
    lw_review_case: int
    lw_inbound: int
    gr_case: int
    gr_review_case: int
    gr_inbound: int
    gr_email: int
    lw_email: int
    routing_case: int
    quarantined: int
    dead_letter: int
    token: int
    lw_request: int = 0  # an open request for another municipality, on lw_review_case
    gr_spoofed: int = 0  # quarantined, though tied to a Groningen case: operators only


@dataclass
class World:
    app: App
    services: Services
    clock: FakeClock
    ids: Ids
    client: TestClient

    def login(self, username: str, password: str = PASSWORD) -> str:
        """Log ``client`` in as ``username``; returns the CSRF token for later forms."""
        token = csrf_of(self.client.get("/login").text)
        response = self.client.post(
            "/login", data={"username": username, "password": password, "csrf_token": token}, follow_redirects=False
        )
        assert response.status_code == 303, response.text
        return csrf_of(self.client.get("/").text)

    def session(self) -> Session:
        return self.app.sessions()


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token in page"
    return match.group(1)


FAST_SCRYPT_N = 2**10


@pytest.fixture(scope="package", autouse=True)
def fast_password_hashes() -> Iterator[None]:
    """Hash at N=2^10 in these tests (hundreds of logins); the strength itself is tested in test_passwords."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(credentials, "SCRYPT_N", FAST_SCRYPT_N)
        yield


@pytest.fixture(scope="package")
def template_db(tmp_path_factory: pytest.TempPathFactory, fast_password_hashes: None) -> Path:
    path = tmp_path_factory.mktemp("webdb") / "koers.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with make_session_factory(engine).begin() as session:
        sync_reference_data(session)
        add_user(session, "op", role="operator", password=PASSWORD, now=NOW, display_name="Olga Operator")
        add_user(session, "lw", role="municipal", password=PASSWORD, now=NOW, cbs_code=LEEUWARDEN)
        add_user(session, "gr", role="municipal", password=PASSWORD, now=NOW, cbs_code=GRONINGEN)
    engine.dispose()
    return path


def _case(session: Session, dji_id: str, cbs_code: str | None, report_in_days: int, **extra: object) -> int:
    fields: dict[str, object] = {
        "dji_id": dji_id,
        "surname": f"Achternaam-{dji_id}",
        "given_names": "Jan",
        "birth_date": date(1990, 1, 1),
        "street": "Straat",
        "house_number": "1",
        "postcode": "8911 AA",
        "woonplaats": "Leeuwarden",
        "sentence_days": 30,
        "report_date": TODAY + timedelta(days=report_in_days),
        "institution": "PI Leeuwarden",
        "cbs_code": cbs_code,
        "state": "accepted",
        "routing_method": "cbs_code",
        "routing_evidence": {},
        "routing_candidates": [],
        "created_at": START,
        "updated_at": START,
    }
    row = CaseRow(**(fields | extra))
    session.add(row)
    session.flush()
    return row.id


def _inbound(session: Session, state: str, case_id: int | None, reason: str, sender: str) -> int:
    raw = REPLY.format(sender=sender).encode()
    row = InboundMessage(
        received_at=NOW,
        source="smtp",
        envelope_from=sender,
        envelope_to=["antwoord@antwoord.koers.example"],
        raw=raw,
        size=len(raw),
        state=state,
        kind="reply",
        case_id=case_id,
        from_address=sender,
        reason=reason,
        details={"problems": [{"field": "contact", "line": "Contact: misschien", "message": "onleesbare waarde"}]},
        sender_verified=state == "needs_review",  # the reply processor verified these senders
    )
    session.add(row)
    session.flush()
    return row.id


def seed(app: App, services: Services, clock: FakeClock) -> Ids:
    with app.sessions.begin() as s:
        lw, gr = _case(s, "LW-1", LEEUWARDEN, 20), _case(s, "GR-1", GRONINGEN, -2)
        lw_review = _case(s, "LW-2", LEEUWARDEN, 5, review_reason="antwoord onleesbaar")
        gr_review = _case(s, "GR-2", GRONINGEN, 9, review_reason="antwoord onleesbaar")
        routing = _case(
            s,
            "RT-1",
            None,
            12,
            state="needs_routing",
            routing_method="woonplaats",
            routing_candidates=[LEEUWARDEN, "GM1900"],
        )
    for case_id in (lw, gr, lw_review, gr_review):
        services.workflow.start_case(case_id)
    clock.advance_to(NOW)
    with app.sessions.begin() as s:
        lw_inbound = _inbound(s, "needs_review", lw_review, "uitkomst niet te lezen", "anne@leeuwarden.example")
        gr_inbound = _inbound(s, "needs_review", gr_review, "uitkomst niet te lezen", "piet@groningen.example")
        quarantined = _inbound(s, "quarantined", None, "geen zaak gevonden", "onbekend@elders.example")
        spoofed = _inbound(s, "quarantined", gr_review, "DMARC fail voor het afzenderdomein", "nep@groningen.example")
        dead = DeadLetter(
            message_id="dl-1",
            queue_name="outgoing-mail",
            actor_name="send_email",
            args=[1],
            error="SMTPError",
            retries=20,
            failed_at=NOW,
            state="dead",
        )
        s.add(dead)
        s.flush()
        query = select(OutboundEmail.case_id, OutboundEmail.id).where(OutboundEmail.kind == "notification")
        emails = {case_id: email_id for case_id, email_id in s.execute(query)}
        add_token(s, "leverancier", NOW)
        s.flush()
        token = s.scalars(select(ApiToken.id).where(ApiToken.name == "leverancier")).one()
    with services.store.case(lw_review) as case:
        request, _ = reroute_requests.ask(case, reason="woont in Assen", by="web:lw", now=NOW, suggested="GM0106",
                                          source=RerouteRequestSource.CONSOLE)  # fmt: skip
    return Ids(lw, lw_review, lw_inbound, gr, gr_review, gr_inbound, emails[gr], emails[lw], routing, quarantined,
               dead.id, token, request, spoofed)  # fmt: skip


@pytest.fixture
def world(tmp_path: Path, template_db: Path) -> Iterator[World]:
    shutil.copy(template_db, tmp_path / "koers.db")
    clock = FakeClock(START)
    settings = load_settings(
        {
            "KOERS_HOME": str(tmp_path),
            "KOERS_DATABASE_URL": f"sqlite:///{tmp_path / 'koers.db'}",
            "KOERS_SECRET_KEY": TEST_SECRET_KEY,
        }
    )
    app = bootstrap(settings, clock=clock.now)
    services = build_services(app)
    ids = seed(app, services, clock)
    with TestClient(create_app(app, services), base_url="http://testserver") as client:
        yield World(app, services, clock, ids, client)
    services.mailer_close()
    app.dispose()


OUTCOME_FORM = {
    "contact": "yes",
    "contact_form": "phone",
    "actions": "yes",
    "life_domains": ["huisvesting", "schulden"],
    "known_to_care": "no",
    "note": "telefonisch gesproken",
}


def page_paths(ids: Ids) -> list[str]:
    """One concrete URL for every page of the console (ids of Leeuwarden where a page takes one)."""
    return [
        "/",
        "/deadlines",
        "/cases",
        f"/cases/{ids.lw_case}",
        f"/emails/{ids.lw_email}",
        "/triage",
        "/review",
        f"/inbound/{ids.lw_inbound}",
        "/dead-letters",
        f"/dead-letters/{ids.dead_letter}",
        "/report",
        "/report.csv",
        "/users",
        "/account",
        "/tokens",
    ]


def action_forms(ids: Ids) -> list[tuple[str, dict[str, object]]]:
    """One concrete form post for every action of the console (ids of Leeuwarden where it takes one)."""
    return [
        (f"/cases/{ids.lw_case}/outcome", OUTCOME_FORM),
        (f"/cases/{ids.lw_review_case}/clear-review", {"note": "gecontroleerd, niets vast te leggen"}),
        (f"/triage/{ids.routing_case}", {"cbs_code": LEEUWARDEN}),
        (f"/inbound/{ids.lw_inbound}/outcome", OUTCOME_FORM),
        (f"/inbound/{ids.lw_inbound}/discard", {"reason": "al telefonisch verwerkt"}),
        (f"/dead-letters/{ids.dead_letter}/replay", {}),
        (f"/dead-letters/{ids.dead_letter}/discard", {"reason": "adres bestaat niet meer"}),
        *operator_action_forms(ids),
        (f"/tokens/{ids.token}/revoke", {}),
        ("/account/password", {"current": PASSWORD, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD}),
        ("/logout/everywhere", {}),
        ("/logout", {}),
    ]


def operator_action_forms(ids: Ids) -> list[tuple[str, dict[str, object]]]:
    """The forms of issue 12: an operator's actions on a case, a municipal request, the triage's decisions."""
    case = f"/cases/{ids.lw_case}"
    return [
        (f"{case}/actions/reroute", {"cbs_code": "GM0106", "reason": "verhuisd naar Assen"}),
        (f"{case}/actions/close", {"reason": "overleden"}),
        (f"{case}/actions/escalate", {"reason": "gemeente onbereikbaar"}),
        (f"{case}/actions/resend", {"to": "nieuw@leeuwarden.example", "reason": "melding onbestelbaar"}),
        (f"{case}/actions/pause", {"until": (TODAY + timedelta(days=5)).isoformat(), "reason": "opgenomen"}),
        (f"{case}/actions/resume", {"reason": "weer bereikbaar"}),
        (f"{case}/actions/update-date", {"deadline": (TODAY + timedelta(days=30)).isoformat(), "reason": "uitstel"}),
        (f"{case}/reroute-request", {"reason": "woont in Assen", "cbs_code": "GM0106"}),
        (f"/triage/requests/{ids.lw_request}/reroute", {"cbs_code": "GM0106", "reason": "verhuisd"}),
        (f"/triage/requests/{ids.lw_request}/decline", {"reason": "BRP zegt Leeuwarden"}),
    ]


PAGE_COUNT, ACTION_COUNT = 15, 21  # parametrized tests index the lists above
PUBLIC_PATHS = ["/login", "/login/sso", "/login/sso/callback", "/healthz", "/metrics", "/api/intake",
                "/static/koers.css"]  # fmt: skip
OWN_ACCOUNT_EVENTS = ("logout", "logout_everywhere", "password_changed")  # a user's actions on their own account
