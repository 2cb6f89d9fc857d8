"""Requests to move a case to another municipality: asked for, then re-routed or declined by an operator.

A municipal user may only *ask* (the console's case page), and a trusted "not our resident" reply
asks on the municipality's behalf; an operator decides in the triage. Every function works on a case
locked through the case store (``OpenCase``), in its transaction, with its audit event. A case has
at most one open request: asking again while one is open returns that one. A re-route settles the
open request (``settle``, called by ``schema.case_actions``); ``decline`` keeps the municipality.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.case_store import REASON_MAX, CaseActionError, OpenCase
from schema.models import MunicipalityRow, RerouteRequest
from workflows.model import case_reference
from workflows.states import AuditKind, RerouteRequestSource, RerouteRequestState


def ask(case: OpenCase, *, reason: str, by: str, now: datetime, source: RerouteRequestSource,
        suggested: str | None = None, place: str | None = None,
        inbound_id: int | None = None) -> tuple[int, bool]:  # fmt: skip
    """Ask for another municipality for ``case``; returns the request's id and whether it is new.

    Raises:
        CaseActionError: no reason, a closed or unrouted case, or a suggestion outside the region.
    """
    reason = reason.strip()
    if not reason:
        raise CaseActionError("geef een reden: waarom hoort de zaak bij een andere gemeente?")
    case.check_open("een andere gemeente vragen")
    if suggested is not None and case.session.get(MunicipalityRow, suggested) is None:
        raise CaseActionError(f"{suggested} is geen gemeente van Groningen, Fryslân of Drenthe")
    if suggested == case.cbs_code:
        raise CaseActionError(f"zaak {case_reference(case.id)} hoort al bij {suggested}")
    existing = case.session.scalar(select(RerouteRequest.id).where(
        RerouteRequest.case_id == case.id, RerouteRequest.state == RerouteRequestState.OPEN))  # fmt: skip
    if existing is not None:
        return int(existing), False
    request = RerouteRequest(case_id=case.id, state=RerouteRequestState.OPEN.value, source=source.value,
                             requested_at=now, requested_by=by[:200], from_cbs_code=case.cbs_code,
                             reason=reason[:REASON_MAX], place=(place or None) and place[:100],
                             suggested_cbs_code=suggested, inbound_id=inbound_id)  # fmt: skip
    case.session.add(request)
    case.session.flush()
    # (The reason and the place stay on the request, which a purge clears; the audit log outlives it.)
    case.audit(AuditKind.REROUTE_REQUESTED, now, by=by, request_id=request.id, source=source.value,
               suggested=suggested, inbound_id=inbound_id)  # fmt: skip
    return request.id, True


def decline(case: OpenCase, request_id: int, *, note: str, by: str, now: datetime) -> None:
    """The operator keeps the case's municipality: the open request ``request_id`` is declined, with why.

    Raises:
        CaseActionError: no note, or no such open request for this case.
    """
    note = note.strip()
    if not note:
        raise CaseActionError("geef een reden: waarom blijft de zaak bij deze gemeente?")
    request = _open(case.session, case.id, request_id)
    request.state, request.decided_at, request.decided_by = RerouteRequestState.DECLINED.value, now, by[:200]
    request.decision_note = note[:REASON_MAX]
    case.audit(AuditKind.REROUTE_DECLINED, now, by=by, request_id=request.id, note=request.decision_note)


def settle(case: OpenCase, *, by: str, now: datetime) -> list[int]:
    """The case was re-routed: its open requests are done. Returns their ids."""
    requests = list(case.session.scalars(select(RerouteRequest).where(
        RerouteRequest.case_id == case.id, RerouteRequest.state == RerouteRequestState.OPEN)))  # fmt: skip
    for request in requests:
        request.state, request.decided_at, request.decided_by = RerouteRequestState.REROUTED.value, now, by[:200]
        request.decision_note = f"omgeleid naar {case.cbs_code}"
    return [request.id for request in requests]


def case_of(session: Session, request_id: int) -> int | None:
    """The case an (any state) request is about; None for an unknown id."""
    found = session.scalar(select(RerouteRequest.case_id).where(RerouteRequest.id == request_id))
    return int(found) if found is not None else None


def _open(session: Session, case_id: int, request_id: int) -> RerouteRequest:
    request = session.get(RerouteRequest, request_id)
    if request is None or request.case_id != case_id:
        raise CaseActionError(f"verzoek {request_id} bestaat niet voor deze zaak")
    if request.state != RerouteRequestState.OPEN:
        raise CaseActionError(f"verzoek {request_id} is al afgehandeld")
    return request
