"""Every page renders for the people who may see it, with what they need to act."""

from __future__ import annotations

import pytest

from tests.web.conftest import World


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", "Aandacht nodig"),
        ("/deadlines", "Deadlines"),
        ("/cases", "Zaken"),
        ("/triage", "Gemeente kiezen"),
        ("/review", "Ontvangen berichten"),
        ("/dead-letters", "SMTPError"),
        ("/report", "Monitoring zelfmelders"),
        ("/users", "Olga Operator"),
    ],
)
def test_operator_sees_every_page(world: World, path: str, expected: str) -> None:
    world.login("op")
    response = world.client.get(path)
    assert response.status_code == 200
    assert expected in response.text
    assert 'lang="nl"' in response.text


def test_overview_refreshes_itself_and_lists_what_needs_attention(world: World) -> None:
    world.login("op")
    page = world.client.get("/").text
    assert '<meta http-equiv="refresh" content="30">' in page
    assert "wacht op routering" in page
    assert "wachten op beoordeling" in page


def test_deadline_board_puts_overdue_cases_first_with_their_next_step(world: World) -> None:
    world.login("op")
    page = world.client.get("/deadlines").text
    ids = world.ids
    order = [
        page.index(f'/cases/{case_id}"')
        for case_id in (ids.gr_case, ids.lw_review_case, ids.gr_review_case, ids.routing_case, ids.lw_case)
    ]
    assert order == sorted(order)
    assert "2 dagen te laat" in page
    assert "Eerste herinnering" in page


def test_deadline_board_filters_per_municipality(world: World) -> None:
    world.login("op")
    page = world.client.get("/deadlines?gemeente=GM0080").text
    assert f'/cases/{world.ids.lw_case}"' in page
    assert f'/cases/{world.ids.gr_case}"' not in page


@pytest.mark.parametrize(
    ("query", "found", "missing"),
    [
        ("q=LW-1", "lw_case", "gr_case"),
        ("q=ZM-{gr_case:06d}", "gr_case", "lw_case"),
        ("status=needs_routing", "routing_case", "lw_case"),
        ("gemeente=GM0014", "gr_case", "lw_case"),
        ("beoordelen=1", "lw_review_case", "lw_case"),
    ],
)
def test_case_list_searches_and_filters(world: World, query: str, found: str, missing: str) -> None:
    world.login("op")
    page = world.client.get("/cases?" + query.format(**vars(world.ids))).text
    assert f'/cases/{getattr(world.ids, found)}"' in page
    assert f'/cases/{getattr(world.ids, missing)}"' not in page


def test_case_page_shows_timeline_emails_outcome_routing_and_instance(world: World) -> None:
    world.login("op")
    response = world.client.get(f"/cases/{world.ids.lw_case}")
    page = response.text
    assert response.headers["cache-control"] == "no-store"
    for text in (
        "Tijdlijn",
        "Workflow gestart",
        "Melding met brief",
        "In de wachtrij",
        "Uitkomst",
        "Routering",
        "Workflow-instantie",
        "Eerste herinnering",
    ):
        assert text in page, text


def test_municipal_user_does_not_see_the_workflow_instance(world: World) -> None:
    world.login("lw")
    page = world.client.get(f"/cases/{world.ids.lw_case}").text
    assert "Tijdlijn" in page and "Workflow-instantie" not in page


def test_email_page_shows_status_and_reason(world: World) -> None:
    world.login("op")
    page = world.client.get(f"/emails/{world.ids.lw_email}").text
    assert "In de wachtrij" in page and "zelfmelders@leeuwarden.example" in page


def test_inbound_page_shows_the_message_and_what_could_not_be_read(world: World) -> None:
    world.login("lw")
    page = world.client.get(f"/inbound/{world.ids.lw_inbound}").text
    assert "Contact: misschien" in page and "onleesbare waarde" in page
    assert "Uitkomst vastleggen" in page and "Bericht weggooien" in page


def test_quarantined_message_without_case_asks_operator_for_the_case(world: World) -> None:
    world.login("op")
    page = world.client.get(f"/inbound/{world.ids.quarantined}").text
    assert 'name="case_reference"' in page


def test_dead_letter_page_offers_replay_and_discard(world: World) -> None:
    world.login("op")
    page = world.client.get(f"/dead-letters/{world.ids.dead_letter}").text
    assert "Opnieuw aanbieden" in page and "Weggooien" in page


def test_municipal_user_navigation_hides_operator_pages(world: World) -> None:
    world.login("lw")
    page = world.client.get("/").text
    assert 'href="/dead-letters"' not in page and 'href="/triage"' not in page and 'href="/users"' not in page
    assert 'href="/report"' in page and 'href="/review"' in page


def test_unknown_page_is_a_dutch_404(world: World) -> None:
    world.login("op")
    response = world.client.get("/bestaat-niet")
    assert response.status_code == 404 and "Niet gevonden" in response.text
