"""Single sign-on against a real OpenID Connect provider: claims map to role and municipality; state,
nonce and the pre-login session make a forged or replayed callback fail; PKCE's verifier stays on the server."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from sqlalchemy import select, update
from starlette.testclient import TestClient

from schema.console_models import ConsoleSession, User
from schema.models import AuditEvent
from tests.fakes import FakeClock
from tests.web.conftest import START, seed
from tests.web.oidc_provider import CLIENT_SECRET, oidc_provider, set_user, sso_config
from workers.bootstrap import App, bootstrap
from workers.services import build_services
from workers.settings import load_settings
from workers.web.app import create_app

KEY = "kTqs1ax4YgU7u3JRFaiDfC3mQHQRGPWpP4du8m_zLLE"


@dataclass
class Sso:
    app: App
    issuer: str
    web: object
    ids: object

    def browser(self) -> TestClient:
        return TestClient(self.web, base_url="http://testserver")  # type: ignore[arg-type]

    def start(self, client: TestClient, next_path: str = "/cases") -> str:
        """Start a login; returns the provider's authorization URL."""
        response = client.get(f"/login/sso?next={next_path}", follow_redirects=False)
        assert response.status_code == 302
        return response.headers["location"]

    def authorize(self, url: str, sub: str) -> str:
        """What the person does at the provider; returns the callback URL it sends the browser to."""
        response = httpx2.post(url, data={"sub": sub}, follow_redirects=False)
        assert response.status_code == 302
        return response.headers["location"]


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with oidc_provider() as url:
        set_user(url, "anne", groups=["koers-gm0080", "medewerkers"], preferred_username="anne@leeuwarden.example",
                 name="Anne de Vries")  # fmt: skip
        set_user(url, "piet", groups=["medewerkers"], preferred_username="piet@groningen.example", name="Piet")
        set_user(url, "twee", groups=["koers-gm0080", "koers-gm0014"], preferred_username="twee@example.nl")
        yield url


@pytest.fixture
def sso(issuer: str, tmp_path: Path, template_db: Path) -> Iterator[Sso]:
    shutil.copy(template_db, tmp_path / "koers.db")
    clock = FakeClock(START)
    settings = load_settings({"KOERS_HOME": str(tmp_path), "KOERS_DATABASE_URL": f"sqlite:///{tmp_path / 'koers.db'}",
                              "KOERS_SECRET_KEY": KEY, "KOERS_CONFIG": str(sso_config(tmp_path, issuer)),
                              "KOERS_OIDC_CLIENT_SECRET": CLIENT_SECRET})  # fmt: skip
    app = bootstrap(settings, clock=clock.now)
    services = build_services(app)
    ids = seed(app, services, clock)
    yield Sso(app, issuer, create_app(app, services), ids)
    services.mailer_close()
    app.dispose()


def test_a_municipal_user_mapped_from_a_group_logs_in_and_sees_only_their_municipality(sso: Sso) -> None:
    client = sso.browser()
    response = client.get(sso.authorize(sso.start(client), "anne"), follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/cases"
    page = client.get("/cases").text
    assert "Anne de Vries" in page and "LW-1" in page and "GR-1" not in page
    assert client.get(f"/cases/{sso.ids.gr_case}").status_code == 404  # type: ignore[attr-defined]
    with sso.app.sessions() as s:
        user = s.scalars(select(User).where(User.username == "anne@leeuwarden.example")).one()
    assert (user.role, user.cbs_code, user.password_hash) == ("municipal", "GM0080", "")
    assert user.oidc_subject == f"{sso.issuer} anne"


@pytest.mark.parametrize(("sub", "reason"), [("piet", "geen groep"), ("twee", "meer dan één")])
def test_a_user_whose_groups_map_to_no_single_role_is_refused(sso: Sso, sub: str, reason: str) -> None:
    client = sso.browser()
    response = client.get(sso.authorize(sso.start(client), sub), follow_redirects=False)
    assert response.status_code == 403 and reason in response.text
    assert client.get("/cases", follow_redirects=False).status_code == 303
    with sso.app.sessions() as s:
        assert s.scalar(select(AuditEvent.details).where(AuditEvent.event == "login_failed"))["reason"] == "refused"
        assert s.scalars(select(ConsoleSession)).all() == []


def test_a_replayed_callback_fails_even_with_the_pre_login_cookie(sso: Sso) -> None:
    # Given an attacker who saw the callback URL and the victim's pre-login cookie
    victim = sso.browser()
    authorize_url = sso.start(victim)
    pre_login = victim.cookies["koers_sessie"]
    callback = sso.authorize(authorize_url, "anne")
    assert victim.get(callback, follow_redirects=False).status_code == 303
    # When they replay both after the victim used them, then nothing opens
    attacker = TestClient(victim.app, base_url="http://testserver", cookies={"koers_sessie": pre_login})
    response = attacker.get(callback, follow_redirects=False)
    assert response.status_code == 400 and "mislukt" in response.text
    assert attacker.get("/cases", follow_redirects=False).status_code == 303


def test_a_callback_from_another_browsers_login_fails(sso: Sso) -> None:
    # Given the attacker's own code and state, pushed into the victim's browser (login CSRF)
    attacker, victim = sso.browser(), sso.browser()
    callback = sso.authorize(sso.start(attacker), "anne")
    sso.start(victim)  # the victim has a login of their own under way
    response = victim.get(callback, follow_redirects=False)
    assert response.status_code == 400
    assert victim.get("/cases", follow_redirects=False).status_code == 303
    assert sso.browser().get(callback, follow_redirects=False).status_code == 400  # no pre-login session at all


def test_an_id_token_for_another_nonce_is_refused(sso: Sso) -> None:
    client = sso.browser()
    callback = sso.authorize(sso.start(client), "anne")
    with sso.app.sessions.begin() as s:  # the token the provider made answers a request with another nonce
        (row,) = s.scalars(select(ConsoleSession).where(ConsoleSession.user_id.is_(None)))
        data = {k: ({**v, "data": {**v["data"], "nonce": "een-andere-nonce"}} if k.startswith("_state_") else v)
                for k, v in row.data.items()}  # fmt: skip
        s.execute(update(ConsoleSession).where(ConsoleSession.id == row.id).values(data=data))
    assert client.get(callback, follow_redirects=False).status_code == 400
    assert client.get("/cases", follow_redirects=False).status_code == 303


def test_pkce_s256_is_sent_and_its_verifier_never_leaves_the_server(sso: Sso) -> None:
    client = sso.browser()
    url = sso.start(client)
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["state"] and query["nonce"]
    with sso.app.sessions() as s:
        (row,) = s.scalars(select(ConsoleSession).where(ConsoleSession.user_id.is_(None)))
    (state_data,) = [v["data"] for k, v in row.data.items() if k.startswith("_state_")]
    verifier = state_data["code_verifier"]
    assert verifier not in url and all(verifier not in value for value in client.cookies.values())


def test_the_login_page_offers_single_sign_on_beside_the_local_accounts(sso: Sso) -> None:
    page = sso.browser().get("/login?next=/cases").text
    assert 'href="/login/sso?next=/cases"' in page and "Inloggen met uw organisatie" in page
    assert 'name="password"' in page
