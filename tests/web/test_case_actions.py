"""The console's operator actions and re-route requests: who may do what, decided on the server.

An operator acts on the case page (re-route, pause, a new date, ...); a municipal user may only ask
for another municipality, and their request waits in the operator's triage, where it is re-routed
or declined. Forms posted by hand (not through the page) get the same answers.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from schema.models import AuditEvent, CaseRow, RerouteRequest
from schema.runtime_models import OutboundEmail
from tests.web.conftest import LEEUWARDEN, TODAY, World, operator_action_forms
from workflows.states import AuditKind, RerouteRequestState


def case(world: World, case_id: int) -> CaseRow:
    with world.session() as s:
        row = s.get(CaseRow, case_id)
        assert row is not None
        return row


def request_state(world: World, request_id: int) -> str:
    with world.session() as s:
        row = s.get(RerouteRequest, request_id)
        assert row is not None
        return row.state


@pytest.mark.parametrize("index", range(7))  # the operator's actions on the case page
def test_attack_a_municipal_user_posting_an_operator_action_on_their_own_case_is_refused(world: World,
                                                                                       index: int) -> None:  # fmt: skip
    # Given a municipal user who posts an operator's form by hand, on a case of their own municipality
    token = world.login("lw")
    path, form = operator_action_forms(world.ids)[index]
    before = case(world, world.ids.lw_case)
    # Then the server refuses it (403) and nothing about the case changed
    response = world.client.post(path, data={**form, "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 403
    after = case(world, world.ids.lw_case)
    assert (after.cbs_code, after.state, after.paused_until, after.report_date, after.updated_at) == (
        before.cbs_code, before.state, before.paused_until, before.report_date, before.updated_at)  # fmt: skip


def test_the_case_page_offers_an_operator_the_actions_and_a_municipal_user_only_the_request(world: World) -> None:
    world.login("op")
    page = world.client.get(f"/cases/{world.ids.lw_case}").text
    assert "Acties van de operator" in page and "/actions/reroute" in page and "/reroute-request" not in page
    world.client.post("/logout", data={"csrf_token": world.login("op")})
    world.login("lw")
    page = world.client.get(f"/cases/{world.ids.lw_case}").text
    assert "/actions/" not in page and "Andere gemeente vragen" in page


def test_a_municipal_request_waits_in_the_triage_until_the_operator_reroutes(world: World) -> None:
    # Given Leeuwarden asks for another municipality for its case
    token = world.login("lw")
    response = world.client.post(f"/cases/{world.ids.lw_case}/reroute-request",
                                 data={"reason": "verhuisd naar Assen", "cbs_code": "GM0106", "csrf_token": token})  # fmt: skip
    assert "een operator kiest de gemeente" in response.text
    assert case(world, world.ids.lw_case).cbs_code == LEEUWARDEN  # asking moves nothing
    with world.session() as s:
        request = s.scalars(select(RerouteRequest).where(RerouteRequest.case_id == world.ids.lw_case)).one()
    # When the operator opens the triage, the request is there with the suggestion; they re-route
    world.client.post("/logout", data={"csrf_token": token})
    token = world.login("op")
    triage = world.client.get("/triage").text
    assert f'id="verzoek{request.id}"' in triage and "verhuisd naar Assen" in triage
    response = world.client.post(f"/triage/requests/{request.id}/reroute",
                                 data={"cbs_code": "GM0106", "reason": "verzoek Leeuwarden", "csrf_token": token})  # fmt: skip
    # Then the case is Assen's, the request is settled and Leeuwarden is told
    assert "omgeleid naar GM0106" in response.text
    assert case(world, world.ids.lw_case).cbs_code == "GM0106"
    assert request_state(world, request.id) == RerouteRequestState.REROUTED
    with world.session() as s:
        kinds = list(s.scalars(select(OutboundEmail.kind).where(OutboundEmail.case_id == world.ids.lw_case)))
    assert "rerouted" in kinds and kinds.count("notification") == 2


def test_the_operator_declines_a_request_with_a_reason(world: World) -> None:
    token = world.login("op")
    response = world.client.post(f"/triage/requests/{world.ids.lw_request}/decline",
                                 data={"reason": "BRP: woont in Leeuwarden", "csrf_token": token})  # fmt: skip
    assert "Verzoek afgewezen" in response.text
    assert request_state(world, world.ids.lw_request) == RerouteRequestState.DECLINED
    assert case(world, world.ids.lw_review_case).cbs_code == LEEUWARDEN
    with world.session() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.event == AuditKind.REROUTE_DECLINED)).one()
    assert event.actor == "web:op"


def test_operator_actions_on_the_case_page_pause_and_date(world: World) -> None:
    token = world.login("op")
    path = f"/cases/{world.ids.lw_case}/actions"
    until = TODAY + timedelta(days=5)
    page = world.client.post(f"{path}/pause", data={"until": until.isoformat(), "reason": "opgenomen",
                                                    "csrf_token": token}).text  # fmt: skip
    assert f"gepauzeerd tot {until:%d-%m-%Y}" in page and f"Gepauzeerd tot {until:%d-%m-%Y}" in page
    page = world.client.post(f"{path}/update-date", data={"deadline": "15-06-2026", "reason": "uitstel",
                                                          "csrf_token": token}).text  # fmt: skip
    assert "geen datum" in page
    page = world.client.post(f"{path}/pause", data={"until": (TODAY + timedelta(days=90)).isoformat(),
                                                    "reason": "lang", "csrf_token": token}).text  # fmt: skip
    assert "op of na de einddatum" in page
    assert world.client.post(f"{path}/reopen", data={"reason": "x", "csrf_token": token}).status_code == 404
