"""What people do in the console happens, says who did it, and refuses what does not fit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from schema.models import AuditEvent, CaseRow
from schema.runtime_models import DeadLetter, InboundMessage, OutboxMessage
from tests.web.conftest import ACTION_COUNT, LEEUWARDEN, OUTCOME_FORM, World, action_forms


def audit(world: World, event: str) -> list[AuditEvent]:
    with world.session() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.event == event).order_by(AuditEvent.id)))


def case(world: World, case_id: int) -> CaseRow:
    with world.session() as s:
        row = s.get(CaseRow, case_id)
        assert row is not None
        return row


def inbound(world: World, inbound_id: int) -> InboundMessage:
    with world.session() as s:
        row = s.get(InboundMessage, inbound_id)
        assert row is not None
        return row


@pytest.mark.parametrize("index", range(ACTION_COUNT))
def test_every_action_writes_an_audit_event_as_the_web_user(world: World, index: int) -> None:
    token = world.login("op")
    path, form = action_forms(world.ids)[index]
    with world.session() as s:
        before = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.actor == "web:op"))
    response = world.client.post(path, data={**form, "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    with world.session() as s:
        after = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.actor == "web:op"))
    assert after > before


def test_triage_assigns_the_municipality_and_starts_the_workflow(world: World) -> None:
    # Given a case whose municipality is ambiguous
    token = world.login("op")
    # When the operator picks one of its candidates
    response = world.client.post(
        f"/triage/{world.ids.routing_case}", data={"cbs_code": LEEUWARDEN, "csrf_token": token}
    )
    # Then the case is accepted for that municipality and its workflow start is in the outbox
    assert "toegewezen aan Leeuwarden" in response.text
    row = case(world, world.ids.routing_case)
    assert (row.state, row.cbs_code, row.routing_method) == ("accepted", LEEUWARDEN, "operator")
    assert audit(world, "municipality_assigned")[-1].actor == "web:op"
    with world.session() as s:
        assert s.scalar(
            select(OutboxMessage.args)
            .where(OutboxMessage.actor_name == "start_workflow")
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        ) == [world.ids.routing_case]


def test_triage_refuses_a_municipality_outside_the_candidates(world: World) -> None:
    token = world.login("op")
    response = world.client.post(f"/triage/{world.ids.routing_case}", data={"cbs_code": "GM0014", "csrf_token": token})
    assert "geen van de kandidaten" in response.text
    assert case(world, world.ids.routing_case).state == "needs_routing"


def test_outcome_by_hand_is_recorded_and_fed_to_the_workflow(world: World) -> None:
    token = world.login("lw")
    response = world.client.post(f"/cases/{world.ids.lw_case}/outcome", data={**OUTCOME_FORM, "csrf_token": token})
    assert "Uitkomst vastgelegd." in response.text
    row = case(world, world.ids.lw_case)
    assert (row.outcome_contact, row.outcome_contact_form, row.outcome_actions) == ("yes", "phone", "yes")
    assert row.outcome_life_domains == ["huisvesting", "schulden"] and row.outcome_known_to_care == "no"
    assert row.closed_at is not None  # a complete outcome ends the workflow
    assert audit(world, "outcome_recorded")[-1].actor == "web:lw"


def test_contradictory_outcome_is_refused_with_the_reason(world: World) -> None:
    token = world.login("lw")
    form = {**OUTCOME_FORM, "contact": "no", "csrf_token": token}
    response = world.client.post(f"/cases/{world.ids.lw_case}/outcome", data=form)
    assert "spreekt elkaar tegen" in response.text
    assert case(world, world.ids.lw_case).outcome_recorded_at is None


def test_outcome_from_a_review_message_marks_it_processed(world: World) -> None:
    token = world.login("lw")
    response = world.client.post(f"/inbound/{world.ids.lw_inbound}/outcome", data={**OUTCOME_FORM, "csrf_token": token})
    assert "het bericht is verwerkt" in response.text
    message = inbound(world, world.ids.lw_inbound)
    assert (message.state, message.resolved_by) == ("processed", "web:lw")
    assert case(world, world.ids.lw_review_case).review_reason is None
    assert audit(world, "outcome_recorded")[-1].details["inbound_id"] == world.ids.lw_inbound


def test_quarantined_message_without_case_is_tied_to_the_case_the_operator_names(world: World) -> None:
    token = world.login("op")
    form = {**OUTCOME_FORM, "case_reference": f"ZM-{world.ids.lw_case:06d}", "csrf_token": token}
    world.client.post(f"/inbound/{world.ids.quarantined}/outcome", data=form)
    message = inbound(world, world.ids.quarantined)
    assert (message.state, message.case_id) == ("processed", world.ids.lw_case)


def test_discarding_a_message_needs_a_reason_and_records_who(world: World) -> None:
    token = world.login("lw")
    path = f"/inbound/{world.ids.lw_inbound}/discard"
    assert "Geef een reden" in world.client.post(path, data={"reason": " ", "csrf_token": token}).text
    assert inbound(world, world.ids.lw_inbound).state == "needs_review"
    world.client.post(path, data={"reason": "dubbel verstuurd", "csrf_token": token})
    message = inbound(world, world.ids.lw_inbound)
    assert (message.state, message.reason, message.resolved_by) == ("discarded", "dubbel verstuurd", "web:lw")
    assert audit(world, "inbound_discarded")[-1].details["previous_state"] == "needs_review"


def test_a_handled_message_cannot_be_handled_again(world: World) -> None:
    token = world.login("lw")
    path = f"/inbound/{world.ids.lw_inbound}/discard"
    world.client.post(path, data={"reason": "dubbel", "csrf_token": token})
    response = world.client.post(f"/inbound/{world.ids.lw_inbound}/outcome", data={**OUTCOME_FORM, "csrf_token": token})
    assert "al afgehandeld" in response.text
    assert inbound(world, world.ids.lw_inbound).state == "discarded"


def test_clearing_a_review_needs_a_note(world: World) -> None:
    token = world.login("lw")
    path = f"/cases/{world.ids.lw_review_case}/clear-review"
    world.client.post(path, data={"note": "", "csrf_token": token})
    assert case(world, world.ids.lw_review_case).review_reason is not None
    world.client.post(path, data={"note": "gebeld, geen uitkomst", "csrf_token": token})
    assert case(world, world.ids.lw_review_case).review_reason is None
    assert audit(world, "review_cleared")[-1].actor == "web:lw"


def test_replaying_a_dead_letter_queues_it_again_once(world: World) -> None:
    def replays() -> int:
        with world.session() as s:
            query = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.actor_name == "send_email")
            return int(s.scalar(query) or 0)

    token = world.login("op")
    path = f"/dead-letters/{world.ids.dead_letter}/replay"
    before = replays()
    assert "opnieuw aangeboden" in world.client.post(path, data={"csrf_token": token}).text
    assert "is al replayed" in world.client.post(path, data={"csrf_token": token}).text
    assert replays() == before + 1
    with world.session() as s:
        row = s.get(DeadLetter, world.ids.dead_letter)
        assert row is not None and (row.state, row.resolved_by) == ("replayed", "web:op")


def test_discarding_a_dead_letter_keeps_the_reason(world: World) -> None:
    token = world.login("op")
    world.client.post(f"/dead-letters/{world.ids.dead_letter}/discard", data={"reason": "", "csrf_token": token})
    world.client.post(f"/dead-letters/{world.ids.dead_letter}/discard", data={"reason": "test", "csrf_token": token})
    with world.session() as s:
        row = s.get(DeadLetter, world.ids.dead_letter)
        assert row is not None and (row.state, row.note) == ("discarded", "test")
