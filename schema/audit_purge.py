"""What the purge leaves of a purged case's audit rows: that something happened, never a personal value.

Each row keeps its time, actor, case and event (the triggers refuse any change to those) and, of its
details, only ids, counts, states, kinds, codes and times: what the timeline and the figures need.
The rule is a list of what may stay, not of what must go: a note, a reason a person typed, a quoted
reply line or a mail server's answer leaves the row whatever key it was stored under, also in an
event added later. A kept key must moreover hold a value shaped like an id, code or time (a word
without spaces, a number), so that free text stored under a known key by mistake still goes.

The purge may only remove values (``0014_purge_clears_details``): the details written here are always
contained in the details that were there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from schema.audit import AUDIT
from workflows.states import AuditKind

# Keys whose values are ids, counts, states, kinds, codes or times, in the events that write them.
KEPT_KEYS = frozenset({
    "email_id", "inbound_id", "batch_id", "line", "attempt", "kind", "recipient", "from", "to", "result",
    "timer", "timers", "due_at", "definition", "version", "cbs_code", "candidates", "routing_method", "fields",
    "needed", "bounced_email_ids",
})  # fmt: skip
# The outcome's answers stay (they are the figures); its free-text note goes.
KEPT_OUTCOME_KEYS = frozenset({"contact", "contact_form", "actions", "life_domains", "known_to_care"})
# ``reason`` is a close reason (an enum) only in ``case_closed``; elsewhere it may be a person's words.
_KEPT_REASON = frozenset({AuditKind.CASE_CLOSED.value})
_TOKEN = re.compile(r"[\w:.+-]{0,64}")  # an id, enum value, CBS code or ISO time: no spaces, short


def scrubbed(event: str, details: Mapping[str, Any]) -> dict[str, Any]:
    """The details of an audit row as the purge leaves them."""
    kept: dict[str, Any] = {}
    for key, value in details.items():
        if key == "outcome" and isinstance(value, Mapping):
            kept[key] = {k: v for k, v in value.items() if k in KEPT_OUTCOME_KEYS and _is_token(v)}
        elif (key in KEPT_KEYS or (key == "reason" and event in _KEPT_REASON)) and _is_token(value):
            kept[key] = value
    return kept


def scrub_case_audit(session: Session, case_ids: Sequence[int]) -> int:
    """Scrub the audit rows of ``case_ids`` (purged in this transaction); returns how many rows changed."""
    rows = session.execute(select(AUDIT.c.id, AUDIT.c.event, AUDIT.c.details).where(AUDIT.c.case_id.in_(case_ids)))
    changes = [{"b_id": row.id, "b_details": new} for row in rows
               if (new := scrubbed(row.event, row.details or {})) != row.details]  # fmt: skip
    if changes:
        statement = update(AUDIT).where(AUDIT.c.id == bindparam("b_id")).values(details=bindparam("b_details"))
        session.connection().execute(statement, changes)
    return len(changes)


def _is_token(value: Any, *, nested: bool = False) -> bool:
    if value is None or isinstance(value, bool | int):
        return True
    if isinstance(value, str):
        return _TOKEN.fullmatch(value) is not None
    if isinstance(value, list) and not nested:
        return all(_is_token(item, nested=True) for item in value)
    return False
