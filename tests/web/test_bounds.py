"""Numbers and dates that no column or calendar holds answer 404 or 400, never a 500."""

from __future__ import annotations

import pytest

from tests.web.conftest import World

HUGE = "99999999999999999999"


@pytest.mark.parametrize(("path", "status"), [
    (f"/cases/{HUGE}", 404),
    (f"/emails/{HUGE}", 404),
    (f"/inbound/{HUGE}", 404),
    (f"/dead-letters/{HUGE}", 404),
    ("/cases/2147483648", 404),
    (f"/cases?pagina={HUGE}", 400),
    ("/cases?pagina=0", 400),
    ("/report?van=0001-01-01", 400),
    ("/report?tot=9999-12-31", 400),
    ("/report.csv?van=0001-01-01", 400),
    ("/report?van=gisteren", 400),
])  # fmt: skip
def test_out_of_range_ids_pages_and_dates_are_refused_in_dutch(world: World, path: str, status: int) -> None:
    world.login("op")
    response = world.client.get(path)
    assert response.status_code == status
    assert 'lang="nl"' in response.text


@pytest.mark.parametrize("path", [f"/cases/{HUGE}/outcome", f"/triage/{HUGE}", f"/tokens/{HUGE}/revoke"])
def test_out_of_range_ids_in_actions_are_not_found(world: World, path: str) -> None:
    token = world.login("op")
    assert world.client.post(path, data={"csrf_token": token}).status_code == 404


def test_a_page_number_in_range_still_works(world: World) -> None:
    world.login("op")
    assert world.client.get("/cases?pagina=3").status_code == 200
