"""What Koers does with one trusted reply: record what is certain, propose what was read from prose, ask the rest.

``plan_reply`` is pure: the reading of the reply, what the case already has and its open proposal
in, one ``ReplyPlan`` out. ``workers.reply_actions`` carries it out through the case store;
``bench/bench_replies.py`` and the corpus test judge it without a database.

Rules:

- Certain fields are recorded; the engine merges them with what the case has (a later answer
  replaces what it states) and closes the case only when the outcome is complete.
- A reply that answers an open proposal with "ja" records the proposal, with any field the reply
  itself states taking its place; "nee" without fields declines it, and the proposal's fields are
  asked back.
- Fields read from prose are proposed, never recorded; only when the municipality opted in, every
  proposed field is confident and the outcome would be complete, they are recorded at once.
- Asked back: the doubtful fields, and what the outcome still lacks before the flow can go on by
  itself (contact; actions after contact "ja" are the follow-up's to ask). One email answers a
  reply: a proposal (which then also asks), else an ask-back, else a confirmation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from types import MappingProxyType

from messaging.outcome_fields import FIELD_LABELS
from messaging.outcome_values import NOTE_MAX_CHARS
from messaging.prose import ProposedField
from messaging.reply_reading import ReplyReading
from workflows.commands import EmailKind
from workflows.model import Answer, Outcome

__all__ = ["ReplyPlan", "merged", "plan_reply", "proposal_outcome"]
_NOTHING = (None, (), Answer.UNKNOWN)


@dataclass(frozen=True)
class ReplyPlan:
    """``record``: the certain outcome to record now (``None``: nothing); ``propose``: fields to propose;
    ``ask``: fields to ask back, in block order; ``answer``: the one email to the sender (``None``: none)."""

    record: Outcome | None = None
    propose: Mapping[str, ProposedField] = dataclass_field(default_factory=dict)
    record_proposal_at_once: bool = False
    ask: tuple[str, ...] = ()
    answer: EmailKind | None = None
    confirms_proposal: bool = False
    declines_proposal: bool = False
    reason: str = ""

    @property
    def recorded(self) -> Outcome | None:
        """Everything recorded by carrying out this plan (the certain fields, and a proposal recorded at once)."""
        if self.record_proposal_at_once:
            return merged(self.record or Outcome(), proposal_outcome(self.propose))
        return self.record


def plan_reply(reading: ReplyReading, *, known: Outcome, open_proposal: Outcome | None = None,
               record_at_once: bool = False) -> ReplyPlan:  # fmt: skip
    """The plan for one trusted reply; ``open_proposal`` is the case's proposal awaiting confirmation."""
    if open_proposal is not None and reading.confirmation is True:
        record = merged(open_proposal, reading.certain)
        return ReplyPlan(record=record, answer=EmailKind.CONFIRMATION, confirms_proposal=True,
                         reason="voorstel bevestigd")  # fmt: skip
    certain = reading.certain if reading.has_certain else None
    doubtful = tuple(f.key for f in reading.doubtful)
    declined = open_proposal is not None and reading.confirmation is False and certain is None
    propose = dict(reading.proposal)
    if propose and not any(p.field != "note" for p in propose.values()):
        propose = {}
    after = merged(merged(known, certain or Outcome()), proposal_outcome(propose))
    ask = _to_ask(doubtful, after, declined, open_proposal)
    at_once = bool(propose) and record_at_once and not ask and after.is_complete and all(
        p.confident for p in propose.values())  # fmt: skip
    answer = _answer(certain, propose, ask, at_once)
    return ReplyPlan(certain, MappingProxyType(propose), at_once, ask, answer, False, declined,
                     _reason(reading, ask, propose, certain))  # fmt: skip


def merged(older: Outcome, newer: Outcome) -> Outcome:
    """``older`` with what ``newer`` states (the engine's own rule, ``Outcome.updated_with``)."""
    return older.updated_with(newer)


def proposal_outcome(fields: Mapping[str, ProposedField]) -> Outcome:
    values = {key: p.value for key, p in fields.items() if key in FIELD_LABELS}
    note = values.get("note")
    if isinstance(note, str):
        values["note"] = note[:NOTE_MAX_CHARS]
    return Outcome(**values)  # type: ignore[arg-type]


def _to_ask(doubtful: tuple[str, ...], after: Outcome, declined: bool, proposal: Outcome | None) -> tuple[str, ...]:
    wanted = set(doubtful)
    if after.contact is Answer.UNKNOWN:
        wanted.add("contact")
    if declined and proposal is not None:
        wanted |= {key for key in FIELD_LABELS if key != "note" and getattr(proposal, key) not in _NOTHING}
    return tuple(key for key in FIELD_LABELS if key in wanted)


def _answer(record: Outcome | None, propose: Mapping[str, ProposedField], ask: tuple[str, ...],
            at_once: bool) -> EmailKind | None:  # fmt: skip
    if propose and not at_once:
        return EmailKind.PROPOSAL
    if ask:
        return EmailKind.ASK_BACK
    return EmailKind.CONFIRMATION if record is not None or at_once else None


def _reason(reading: ReplyReading, ask: tuple[str, ...], propose: Mapping[str, ProposedField],
            record: Outcome | None) -> str:  # fmt: skip
    if reading.doubtful:
        return "antwoord niet eenduidig: " + ", ".join(FIELD_LABELS[f.key] for f in reading.doubtful)
    if propose:
        return "uit de tekst gelezen: voorstel aan de afzender"
    if ask and record is None:
        return "antwoord zonder leesbare uitkomst"
    if ask:
        return "uitkomst deels vastgelegd; gevraagd: " + ", ".join(FIELD_LABELS[key] for key in ask)
    return "uitkomst vastgelegd"
