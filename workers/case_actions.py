"""Operator actions as the command line and the console run them: the runtime's rules, then the case store.

The one rule only the runtime knows: a notification resent to an address a person typed goes only
to an address of the case's own municipality (a domain or address of its ``reply_from``, or its
mailbox's domain) — the notification carries the letter with the person's name and address, so a
typo must not send it anywhere else. Everything else is decided by ``schema.case_actions.act``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.case_actions import ActionResult, act, valid_address
from schema.case_store import CaseActionError, OpenCase
from schema.models import CaseRow
from workers.contacts import Contacts
from workflows.events import OperatorAction


def perform(case: OpenCase, action: OperatorAction, *, contacts: Contacts, by: str, now: datetime) -> ActionResult:
    """``action`` on ``case`` as ``by`` (see the module docstring).

    Raises:
        CaseActionError: the action does not fit (Dutch reason); nothing is written.
    """
    if action.to:
        _check_own_address(contacts, case.cbs_code, valid_address(action.to))
    return act(case, action, by=by, now=now)


def case_id_of(session: Session, dji_id: str) -> int | None:
    """The case of ``dji_id``, or None."""
    found = session.scalar(select(CaseRow.id).where(CaseRow.dji_id == dji_id.strip()))
    return int(found) if found is not None else None


def _check_own_address(contacts: Contacts, cbs_code: str | None, address: str) -> None:
    municipality = contacts.municipality(cbs_code)
    allowed = {entry.lower() for entry in municipality.reply_from}
    if municipality.mailbox:
        allowed.add(municipality.mailbox.rsplit("@", 1)[-1].lower())
    lowered = address.lower()
    domain = lowered.rsplit("@", 1)[-1]
    if lowered not in allowed and domain not in allowed:
        known = ", ".join(sorted(allowed)) or "geen (stel reply_from in voor deze gemeente)"
        raise CaseActionError(f"{address} is geen adres van de gemeente van deze zaak; toegestaan: {known}")
