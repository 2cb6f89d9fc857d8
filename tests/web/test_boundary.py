"""The municipal boundary: a municipal user never sees, acts on or exports another municipality's cases.

``gr`` (Groningen) tries every page and every action of the console with Leeuwarden's ids and
with query strings that ask for Leeuwarden; ids of another municipality answer exactly like ids
that do not exist.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from schema.models import AuditEvent
from tests.web.conftest import ACTION_COUNT, PAGE_COUNT, World, action_forms, page_paths

WIDEN = "gemeente=GM0080&gemeente=GM0014"
# Expected status per page for a municipal user of another municipality, in page_paths order.
PAGE_STATUS = [200, 200, 200, 404, 404, 403, 200, 404, 403, 403, 200, 200, 403]
# Expected status per action, in action_forms order (logout is the user's own and allowed).
ACTION_STATUS = [404, 404, 403, 404, 404, 403, 403, 303]


def leeuwarden_markers(world: World) -> list[str]:
    ids = world.ids
    return [
        "Achternaam-LW",
        "LW-1",
        "LW-2",
        "leeuwarden.example",
        f"ZM-{ids.lw_case:06d}",
        f"ZM-{ids.lw_review_case:06d}",
        f'/cases/{ids.lw_case}"',
        f'/inbound/{ids.lw_inbound}"',
        "GM0080",
    ]


@pytest.mark.parametrize("index", range(PAGE_COUNT))
def test_municipal_user_sees_nothing_of_another_municipality_on_any_page(world: World, index: int) -> None:
    world.login("gr")
    path = page_paths(world.ids)[index]
    response = world.client.get(path + ("&" if "?" in path else "?") + WIDEN + "&q=LW")
    assert response.status_code == PAGE_STATUS[index]
    for marker in leeuwarden_markers(world):
        assert marker not in response.text, f"{marker} leaked on {path}"


@pytest.mark.parametrize("index", range(ACTION_COUNT))
def test_municipal_user_cannot_act_on_another_municipality(world: World, index: int) -> None:
    token = world.login("gr")
    path, form = action_forms(world.ids)[index]
    with world.session() as s:
        before = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.event != "logout"))
    response = world.client.post(path, data={**form, "csrf_token": token}, follow_redirects=False)
    assert response.status_code == ACTION_STATUS[index]
    with world.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.event != "logout")) == before


@pytest.mark.parametrize("template", ["/cases/{}", "/emails/{}", "/inbound/{}"])
def test_another_municipalitys_id_answers_like_an_id_that_does_not_exist(world: World, template: str) -> None:
    world.login("gr")
    ids = {"/cases/{}": world.ids.lw_case, "/emails/{}": world.ids.lw_email, "/inbound/{}": world.ids.lw_inbound}
    foreign = world.client.get(template.format(ids[template]))
    missing = world.client.get(template.format(987654))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.text == missing.text


def test_quarantined_mail_without_a_case_is_for_operators_only(world: World) -> None:
    token = world.login("gr")
    assert world.client.get(f"/inbound/{world.ids.quarantined}").status_code == 404
    response = world.client.post(f"/inbound/{world.ids.quarantined}/discard", data={"reason": "x", "csrf_token": token})
    assert response.status_code == 404


def test_quarantined_mail_tied_to_the_users_own_case_is_for_operators_only(world: World) -> None:
    # The attack: mail without a valid token (or from a spoofed sender) tied to a case by In-Reply-To and
    # subject reached the municipality's review queue, beside the outcome form.
    token = world.login("gr")
    marker = f'/inbound/{world.ids.gr_spoofed}"'
    assert marker not in world.client.get("/review").text
    assert marker not in world.client.get(f"/cases/{world.ids.gr_review_case}").text
    assert world.client.get(f"/inbound/{world.ids.gr_spoofed}").status_code == 404
    response = world.client.post(f"/inbound/{world.ids.gr_spoofed}/discard", data={"reason": "x", "csrf_token": token})
    assert response.status_code == 404
    assert f'/inbound/{world.ids.gr_inbound}"' in world.client.get("/review").text  # verified mail stays visible
    world.client.cookies.clear()
    world.login("op")
    assert marker in world.client.get("/review").text
    assert world.client.get(f"/inbound/{world.ids.gr_spoofed}").status_code == 200


def test_municipal_user_sees_their_own_cases_whatever_municipality_is_asked(world: World) -> None:
    world.login("gr")
    for path in ("/cases?gemeente=GM0080", "/deadlines?gemeente=GM0080", "/review"):
        assert f'/cases/{world.ids.gr_review_case}"' in world.client.get(path).text, path


def test_municipal_export_covers_their_own_municipality_only(world: World) -> None:
    world.login("gr")
    text = world.client.get("/report.csv?gemeente=GM0080&van=2000-01-01").text
    rows = [line.split(";") for line in text.lstrip("\ufeff").splitlines()[1:]]
    municipalities = {row[1] for row in rows if row[0] == "gemeente"}
    assert municipalities == {"GM0014"}
    assert [row for row in rows if row[0] == "totaal"][0][4] == "2"  # Groningen's two cases


def test_municipal_export_is_audited_with_the_forced_scope(world: World) -> None:
    world.login("gr")
    world.client.get("/report.csv?gemeente=GM0080")
    with world.session() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.event == "report_exported")).one()
    assert event.actor == "web:gr" and event.details["cbs_codes"] == ["GM0014"]


def test_operator_sees_every_municipality(world: World) -> None:
    world.login("op")
    page = world.client.get("/cases").text
    assert f'/cases/{world.ids.lw_case}"' in page and f'/cases/{world.ids.gr_case}"' in page
