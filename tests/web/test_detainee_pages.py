"""The console for the wider group: a detainee's release date on the board and the case page, the report per group."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.web.conftest import LEEUWARDEN, TODAY, World, _case


@pytest.fixture
def detainee(world: World) -> int:
    """A detainee of Leeuwarden released in three days (sooner than any self-reporter's report date)."""
    with world.app.sessions.begin() as session:
        case_id = _case(session, "DT-1", LEEUWARDEN, 0, target_group="detainee", report_date=None,
                        release_date=TODAY + timedelta(days=3), custody_since=TODAY - timedelta(days=25))  # fmt: skip
    world.services.workflow.start_case(case_id)
    return case_id


def test_the_case_page_shows_the_group_and_the_release_date(world: World, detainee: int) -> None:
    world.login("op")

    html = world.client.get(f"/cases/{detainee}").text

    assert "<dt>Groep</dt><dd>Kortgestrafte gedetineerden</dd>" in html
    assert "<dt>In detentie sinds</dt><dd>05-02-2026</dd>" in html
    assert re.search(r"<dt>Vrijlatingsdatum</dt><dd>05-03-2026 in PI Leeuwarden", html)
    assert "Meldingsdatum</dt>" not in html


def test_the_deadline_board_orders_by_each_groups_date_and_names_it(world: World, detainee: int) -> None:
    world.login("lw")

    html = world.client.get("/deadlines").text

    assert html.index("Achternaam-DT-1") < html.index("Achternaam-LW-1")  # in 3 days before in 20 days
    assert "Vrijlatingsdatum 05-03-2026" in html and "Meldingsdatum 22-03-2026" in html


def test_the_report_has_a_table_per_group_and_a_group_filter(world: World, detainee: int) -> None:
    world.login("op")

    everything = world.client.get("/report?van=2000-01-01").text
    detainees = world.client.get("/report?van=2000-01-01&groep=detainee").text

    assert 'id="per-groep"' in everything and "<td>Kortgestrafte gedetineerden</td>" in everything
    assert '<option value="detainee" selected>' in detainees and 'id="per-groep"' not in detainees
    assert "kortgestrafte gedetineerden. Elk percentage" in detainees
    assert world.client.get("/report?groep=gedetineerden").status_code == 400


def test_the_csv_export_follows_the_group_filter_and_the_municipal_scope(world: World, detainee: int) -> None:
    world.login("gr")  # Groningen: Leeuwarden's detainee is not theirs

    text = world.client.get("/report.csv?van=2000-01-01&groep=detainee&gemeente=GM0080").text

    rows = [line.split(";") for line in text.lstrip("\ufeff").splitlines()[1:]]
    assert {row[-1] for row in rows} == {"Kortgestrafte gedetineerden"}
    assert {row[1] for row in rows if row[0] == "gemeente"} == {"GM0014"}
    assert [row[4] for row in rows if row[0] == "totaal"] == ["0"]
