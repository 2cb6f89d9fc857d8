"""The console in a real browser: log in, triage, record an outcome by hand, replay a dead letter, the report,
and the operator actions (a municipal user refused them, asking for another municipality instead).

Drives Debian's Chromium (``apt-get install chromium``) with Playwright against Koers running for
real (workers, scheduler, uvicorn). Without Chromium these tests skip locally and fail in CI.
Screenshots go to ``KOERS_SCREENSHOTS`` (default ``/tmp/koers-screens``) for a person to look at.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from schema.models import CaseRow
from schema.runtime_models import DeadLetter, InboundMessage, OutboundEmail
from testkit.flow import wait_until
from tests.conftest import service_unavailable
from tests.e2e.console_data import PASSWORD, Console, running_console
from tests.web.oidc_provider import CLIENT_SECRET, oidc_provider, set_user, sso_config

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(os.environ.get("KOERS_SCREENSHOTS", "/tmp/koers-screens"))
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        service_unavailable("Chromium at /usr/bin/chromium (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        service_unavailable("the playwright Python package")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    """A real OpenID Connect provider with a Leeuwarden employee and one with no Koers group."""
    with oidc_provider() as url:
        set_user(url, "anne", groups=["koers-gm0080"], preferred_username="anne@leeuwarden.example", name="Anne Visser")
        set_user(url, "kees", groups=["iedereen"], preferred_username="kees@leeuwarden.example", name="Kees")
        yield url


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory, issuer: str) -> Iterator[Console]:
    home = tmp_path_factory.mktemp("console")
    environ = {"KOERS_CONFIG": str(sso_config(home, issuer)), "KOERS_OIDC_CLIENT_SECRET": CLIENT_SECRET}
    with running_console(home, environ) as running:
        yield running


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL", accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def login(page: Any, console: Console, username: str) -> None:
    page.goto(console.url + "/")
    assert "/login" in page.url
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_role("heading", name="Overzicht").wait_for()


def test_operator_logs_in_and_triages_a_needs_routing_case(page: Any, console: Console) -> None:
    # Given an operator on the overview
    login(page, console, "op")
    shot(page, "01-overzicht")
    # When they open the triage and pick the first candidate of the first case
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Gemeente kiezen").click()
    shot(page, "02-gemeente-kiezen")
    card = page.locator("section.triage").first
    case_link = card.locator("h2 a").first.get_attribute("href")
    radios = card.get_by_role("radio")
    if radios.count():
        radios.first.check()
    else:
        card.get_by_role("combobox").select_option(index=1)
    card.get_by_role("button", name="Toewijzen en workflow starten").click()
    # Then it is assigned and the workflow sends the notification with the letter
    assert "toegewezen aan" in page.locator(".flash").first.inner_text()
    page.goto(console.url + case_link)
    for _ in range(60):
        if "Melding met brief" in page.locator("#emails").locator("..").inner_text():
            break
        page.wait_for_timeout(500)
        page.reload()
    assert "Melding met brief" in page.content()
    shot(page, "03-zaak-na-toewijzing")


def test_municipal_user_records_an_outcome_by_hand_on_a_needs_review_reply(page: Any, console: Console) -> None:
    login(page, console, "lw")
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Beoordelen").click()
    page.locator(f'a[href="/inbound/{console.review_inbound}"]').click()
    assert "Contact: misschien" in page.locator("pre.mail").inner_text()
    page.get_by_role("group", name="Contact").get_by_label("ja").check()
    page.get_by_label("Vorm van contact").select_option("phone")
    page.get_by_role("group", name="Acties uitgezet").get_by_label("ja").check()
    page.get_by_label("Huisvesting").check()
    page.get_by_role("group", name="Al bekend bij hulpverlening").get_by_label("nee").check()
    page.get_by_label("Toelichting").fill("Telefonisch gesproken; woningcorporatie ingeschakeld.")
    shot(page, "04-bericht-beoordelen")
    page.get_by_role("button", name="Uitkomst vastleggen").click()
    assert "het bericht is verwerkt" in page.locator(".flash").first.inner_text()
    with console.app.sessions() as session:
        message = session.get(InboundMessage, console.review_inbound)
        assert message is not None and (message.state, message.resolved_by) == ("processed", "web:lw")
        case = session.scalars(select(CaseRow).where(CaseRow.dji_id == "E2E-LW-1")).one()
        assert (case.outcome_contact, case.outcome_contact_form, case.review_reason) == ("yes", "phone", None)


def test_operator_replays_a_dead_letter(page: Any, console: Console) -> None:
    login(page, console, "op")
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Dead letters").click()
    shot(page, "05-dead-letters")
    page.locator(f'a[href="/dead-letters/{console.dead_letter}"]').first.click()
    page.get_by_role("button", name="Opnieuw aanbieden").click()
    assert "opnieuw aangeboden" in page.locator(".flash").first.inner_text()
    with console.app.sessions() as session:
        row = session.get(DeadLetter, console.dead_letter)
        assert row is not None and (row.state, row.resolved_by) == ("replayed", "web:op")


def test_report_shows_province_bars_a_monthly_trend_and_downloads_csv(page: Any, console: Console) -> None:
    login(page, console, "op")
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Rapportage").click()
    assert page.locator("svg.svg-chart rect.bar").count() >= 4
    assert page.locator("svg.svg-chart polyline.line").count() >= 1
    shot(page, "06-rapportage")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.startswith("Niveau;CBS-code;Gemeente") and "Totaal 3Noord" in text


def test_deadline_board_and_case_page_render(page: Any, console: Console) -> None:
    login(page, console, "lw")
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Deadlines").click()
    assert page.locator("table.board tbody tr").count() >= 1
    shot(page, "07-deadlines-gemeente")
    page.locator("table.board tbody tr a").first.click()
    page.get_by_role("heading", name="Tijdlijn").wait_for()
    shot(page, "08-zaak")


def sso_login(page: Any, console: Console, sub: str) -> None:
    page.goto(console.url + "/cases")
    page.get_by_role("link", name="Inloggen met uw organisatie").click()
    page.locator("input[name=sub]").fill(sub)  # the identity provider's own form
    page.get_by_role("button", name="Authorize").click()


def test_single_sign_on_in_chromium_maps_a_group_to_a_municipality(page: Any, console: Console) -> None:
    # Given Anne, whose identity provider puts her in the group of Leeuwarden
    sso_login(page, console, "anne")
    # Then she is back in Koers, logged in, on the page she asked for, and sees Leeuwarden's cases only
    page.get_by_role("heading", name="Zaken").wait_for()
    assert page.url.endswith("/cases")
    assert "Anne Visser" in page.content() and "gemeente GM0080" in page.content()
    shot(page, "sso-municipal-cases")
    with console.app.sessions() as session:
        elsewhere = (CaseRow.cbs_code != "GM0080") & CaseRow.cbs_code.is_not(None)
        other = session.scalars(select(CaseRow).where(elsewhere)).first()
        own = session.scalars(select(CaseRow).where(CaseRow.cbs_code == "GM0080")).first()
    assert other is not None and own is not None
    assert other.dji_id not in page.content() and own.dji_id in page.content()
    assert page.goto(f"{console.url}/cases/{other.id}").status == 404
    assert page.goto(f"{console.url}/cases/{own.id}").status == 200


def test_single_sign_on_in_chromium_refuses_a_user_without_a_koers_group(page: Any, console: Console) -> None:
    sso_login(page, console, "kees")
    page.get_by_text("Geen toegang tot Koers").wait_for()
    shot(page, "sso-refused")
    assert page.goto(console.url + "/cases").url.startswith(console.url + "/login")


def case_id_of(console: Console, dji_id: str) -> int:
    with console.app.sessions() as session:
        return int(session.scalars(select(CaseRow.id).where(CaseRow.dji_id == dji_id)).one())


def test_municipal_user_is_refused_an_operator_action_and_asks_for_another_municipality(page: Any,
                                                                                        console: Console) -> None:  # fmt: skip
    # Given a Leeuwarden user on a case of their own
    case_id = case_id_of(console, "E2E-LW-2")
    login(page, console, "lw")
    page.goto(f"{console.url}/cases/{case_id}")
    assert page.get_by_text("Acties van de operator").count() == 0
    # When they post an operator's re-route by hand (the page offers none), the server refuses it
    token = page.locator("input[name=csrf_token]").first.input_value()
    with page.expect_navigation():
        page.evaluate("""([caseId, token]) => {
            const form = Object.assign(document.createElement('form'),
                                       {method: 'post', action: `/cases/${caseId}/actions/reroute`});
            for (const [name, value] of Object.entries({csrf_token: token, cbs_code: 'GM0106', reason: 'zelf'})) {
                form.append(Object.assign(document.createElement('input'), {type: 'hidden', name, value}));
            }
            document.body.append(form);
            form.submit();
        }""", [case_id, token])
    assert "Deze pagina is alleen voor operators." in page.content()
    shot(page, "09-gemeente-geweigerd")
    # Then all they can do is ask: with a reason and the municipality they know
    page.goto(f"{console.url}/cases/{case_id}")
    page.get_by_text("Woont deze persoon niet in uw gemeente?").click()
    request = page.get_by_role("form", name="Andere gemeente vragen")
    request.get_by_label("Reden").fill("Verhuisd naar Assen, volgens de buren.")
    request.get_by_label("Welke gemeente").select_option("GM0106")
    shot(page, "10-andere-gemeente-vragen")
    request.get_by_role("button", name="Andere gemeente vragen").click()
    assert "een operator kiest de gemeente" in page.locator(".flash").first.inner_text()
    with console.app.sessions() as session:
        case = session.get(CaseRow, case_id)
        assert case is not None and case.cbs_code == "GM0080"


def test_operator_reroutes_the_requested_case_from_the_triage(page: Any, console: Console) -> None:
    case_id = case_id_of(console, "E2E-LW-2")
    login(page, console, "op")
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Gemeente kiezen").click()
    card = page.locator("section.request", has_text="Verhuisd naar Assen")
    assert card.get_by_label("Nieuwe gemeente").input_value() == "GM0106"  # the suggestion, chosen already
    shot(page, "11-verzoek-in-triage")
    card.get_by_role("button", name="Omleiden").click()
    assert "omgeleid naar GM0106" in page.locator(".flash").first.inner_text()

    def sent_to_both() -> bool:
        with console.app.sessions() as session:
            found = set(session.execute(select(OutboundEmail.kind, OutboundEmail.to_address).where(
                OutboundEmail.case_id == case_id, OutboundEmail.state == "sent")).tuples())  # fmt: skip
        return {("rerouted", "zelfmelders@leeuwarden.example"), ("notification", "zelfmelders@assen.example")} <= found

    wait_until(sent_to_both, timeout=60)
    page.goto(f"{console.url}/cases/{case_id}")
    assert "Assen" in page.locator("#gegevens").locator("..").inner_text()
    shot(page, "12-zaak-omgeleid")


def test_operator_pauses_resumes_and_changes_the_date_on_the_case_page(page: Any, console: Console) -> None:
    case_id = case_id_of(console, "E2E-LW-3")
    login(page, console, "op")
    page.goto(f"{console.url}/cases/{case_id}")
    page.get_by_text("Acties van de operator").click()
    pause = page.get_by_role("form", name="Pauzeren")
    until = date.today() + timedelta(days=7)
    pause.get_by_label("Tot").fill(until.isoformat())
    pause.get_by_label("Reden").fill("Opgenomen in het ziekenhuis")
    pause.get_by_role("button", name="Pauzeren").click()
    assert f"gepauzeerd tot {until:%d-%m-%Y}" in page.locator(".flash").first.inner_text()
    assert f"Gepauzeerd tot {until:%d-%m-%Y}" in page.locator("p.paused").inner_text()
    shot(page, "13-gepauzeerd")
    page.get_by_text("Acties van de operator").click()
    resume = page.get_by_role("form", name="Hervatten")
    resume.get_by_label("Reden").fill("Weer thuis")
    resume.get_by_role("button", name="Hervatten").click()
    assert "termijn(en) opnieuw gepland" in page.locator(".flash").first.inner_text()
    page.get_by_text("Acties van de operator").click()
    moved = page.get_by_role("form", name="Datum wijzigen")
    new_date = date.today() + timedelta(days=45)
    moved.get_by_label("Nieuwe datum").fill(new_date.isoformat())
    moved.get_by_label("Reden").fill("Uitstel verleend door het OM")
    moved.get_by_role("button", name="Datum wijzigen").click()
    assert f"nieuwe datum {new_date:%d-%m-%Y}" in page.locator(".flash").first.inner_text()
    shot(page, "14-datum-gewijzigd")
    with console.app.sessions() as session:
        case = session.get(CaseRow, case_id)
        assert case is not None and (case.report_date, case.paused_until) == (new_date, None)
