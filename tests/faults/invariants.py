"""The one check every fault scenario ends with, as a result row.

It reads the scenario's database and the sink's Message-ID counts and answers: is every intake
record in a final or a visible waiting state, did every case get its notification exactly once,
did every timer fire at most once, was no outcome lost? ``lost`` counts anything that is neither
final nor visibly waiting (a case never started, an email still ``queued`` or ``sending``, a timer
due but not fired, an inbound message never read, an outbox row never published, a reply whose
outcome is missing, an email marked sent that never reached the sink); ``duplicated`` counts every
extra arrival (a Message-ID accepted twice, a second email of one kind for one case, a second
answer to the same reply).

Visible waiting states: a case in ``needs_routing``; an email ``needs_review``, ``failed`` or
``bounced`` with its reason; inbound mail ``needs_review``, ``quarantined``, ``rejected``,
``ignored`` or ``bounce`` with its reason; timers ``pending`` with ``due_at`` in the future.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from schema.models import CaseRow, IntakeRecord
from schema.runtime_models import DeadLetter, InboundMessage, OutboundEmail, OutboxMessage, Timer

RESULTS = frozenset({"accepted", "duplicate", "ineligible", "rejected", "needs_routing"})
EMAIL_WAITING = frozenset({"needs_review", "failed", "bounced"})
INBOUND_FINAL = frozenset({"processed", "needs_review", "proposed", "quarantined", "ignored", "bounce", "rejected"})
ONCE_PER_CASE = frozenset({"notification", "reminder", "second_reminder", "escalation", "follow_up"})
ANSWERS = frozenset({"confirmation", "ask_back"})


@dataclass
class Row:
    """One line of the fault table."""

    scenario: str
    cases: int = 0
    lost: int = 0
    duplicated: int = 0
    dead_letters: int = 0
    recover_s: float | None = None
    problems: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicated == 0

    def lose(self, n: int, what: str) -> None:
        if n:
            self.lost += n
            self.problems.append(f"lost {n}: {what}")

    def duplicate(self, n: int, what: str) -> None:
        if n:
            self.duplicated += n
            self.problems.append(f"duplicated {n}: {what}")

    def summary(self) -> str:
        recover = "-" if self.recover_s is None else f"{self.recover_s:.1f} s"
        return (f"{self.scenario}: cases={self.cases} lost={self.lost} duplicated={self.duplicated} "
                f"dead_letters={self.dead_letters} recover={recover}; " + "; ".join(self.problems[:12]))  # fmt: skip


def check(scenario: str, sessions: sessionmaker[Session], sink_ids: Counter[str], *, expect_records: int | None = None,
          expect_inbound: int | None = None, timer_grace: timedelta = timedelta(seconds=20),
          now: datetime | None = None) -> Row:  # fmt: skip
    """The invariant over one scenario's database and sink; ``row.ok`` when nothing is lost or duplicated."""
    now = now or datetime.now(UTC)
    row = Row(scenario)
    with sessions() as session:
        _intake(session, row, expect_records)
        emails = list(session.execute(select(OutboundEmail.case_id, OutboundEmail.kind, OutboundEmail.state,
                                             OutboundEmail.message_id, OutboundEmail.last_error,
                                             OutboundEmail.inbound_id)))  # fmt: skip
        _cases(session, row, emails)
        _emails(row, emails, sink_ids)
        _timers(session, row, now - timer_grace)
        _inbound(session, row, emails, expect_inbound)
        unpublished = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.published_at.is_(None))
        row.lose(session.scalar(unpublished) or 0, "outbox rows never published")
        row.dead_letters = session.scalar(select(func.count()).select_from(DeadLetter)) or 0
        row.figures["email_states"] = dict(Counter(f"{kind}:{state}" for _, kind, state, *_ in emails))
    return row


def _intake(session: Session, row: Row, expect_records: int | None) -> None:
    records = list(session.execute(select(IntakeRecord.result, IntakeRecord.reasons)))
    row.cases = len(records)
    row.figures["intake"] = dict(Counter(result for result, _ in records))
    row.lose(sum(1 for result, _ in records if result not in RESULTS), "intake records without a known result")
    row.lose(sum(1 for result, reasons in records if result not in ("accepted", "needs_routing") and not reasons),
             "intake records rejected/ineligible/duplicate without a reason")  # fmt: skip
    if expect_records is not None and len(records) < expect_records:
        row.lose(expect_records - len(records), "intake records never recorded")


def _cases(session: Session, row: Row, emails: list[Any]) -> None:
    started = set(session.scalars(select(CaseRow.id).where(CaseRow.workflow.is_not(None))))
    states = dict(session.execute(select(CaseRow.id, CaseRow.state)).tuples().all())
    row.figures["case_states"] = dict(Counter(states.values()))
    notified = {case_id for case_id, kind, *_ in emails if kind == "notification"}
    row.lose(sum(1 for cid, state in states.items() if state == "accepted" and cid not in started),
             "accepted cases whose workflow never started")  # fmt: skip
    row.lose(len(started - notified), "started cases without a notification")


def _emails(row: Row, emails: list[Any], sink_ids: Counter[str]) -> None:
    per_kind = Counter((case_id, kind) for case_id, kind, *_ in emails if kind in ONCE_PER_CASE)
    row.duplicate(sum(n - 1 for n in per_kind.values() if n > 1), "second email of one kind for one case")
    known = set()
    stuck: Counter[str] = Counter()
    not_delivered = unexplained = 0
    for _, kind, state, message_id, last_error, _ in emails:
        known.add(message_id)
        arrivals = sink_ids.get(message_id, 0)
        if state in ("queued", "sending"):
            stuck[f"{kind}:{state}"] += 1
        elif state == "sent" and arrivals == 0:
            not_delivered += 1
        elif state in EMAIL_WAITING and not last_error:
            unexplained += 1
    for what, n in stuck.items():
        row.lose(n, f"emails still {what}")
    row.lose(not_delivered, "emails marked sent that never reached the sink")
    # In review although the server has it: an interrupted send that Koers cannot tell apart from a lost one.
    row.figures["review_but_delivered"] = sum(1 for _, _, state, mid, *_ in emails
                                              if state == "needs_review" and sink_ids.get(mid))  # fmt: skip
    row.lose(unexplained, "emails in review/failed/bounced without a reason")
    row.duplicate(sum(n - 1 for n in sink_ids.values() if n > 1), "Message-IDs accepted more than once at the sink")
    foreign = sum(n for mid, n in sink_ids.items() if mid not in known)
    if foreign:
        row.duplicate(foreign, "messages at the sink that Koers has no row for")


def _timers(session: Session, row: Row, due_before: datetime) -> None:
    timers = list(session.execute(select(Timer.case_id, Timer.name, Timer.state, Timer.due_at)))
    row.figures["timers"] = dict(Counter(state for _, _, state, _ in timers))
    row.lose(sum(1 for *_, state, due in timers if state == "claimed"), "timers claimed but never handled")
    row.lose(
        sum(1 for *_, state, due in timers if state == "pending" and due < due_before), "timers overdue, not fired"
    )
    fired = Counter((case_id, name) for case_id, name, state, _ in timers if state == "done")
    row.duplicate(sum(n - 1 for n in fired.values() if n > 1), "timers fired more than once")


def _inbound(session: Session, row: Row, emails: list[Any], expect_inbound: int | None) -> None:
    inbound = list(session.execute(select(InboundMessage.id, InboundMessage.state, InboundMessage.reason,
                                          InboundMessage.case_id, InboundMessage.message_id)))  # fmt: skip
    if not inbound and expect_inbound is None:
        return
    row.figures["inbound"] = dict(Counter(state for _, state, *_ in inbound))
    row.lose(sum(1 for _, state, *_ in inbound if state not in INBOUND_FINAL), "inbound mail never read")
    row.lose(sum(1 for _, state, reason, *_ in inbound if state in INBOUND_FINAL and not reason),
             "inbound mail in a final state without a reason")  # fmt: skip
    if expect_inbound is not None and len({mid for *_, mid in inbound}) < expect_inbound:
        row.lose(expect_inbound - len({mid for *_, mid in inbound}), "accepted inbound mail never stored")
    processed = {case_id for _, state, _, case_id, _ in inbound if state == "processed"}
    if processed:
        recorded = set(session.scalars(select(CaseRow.id).where(CaseRow.id.in_(processed),
                                                                CaseRow.outcome_recorded_at.is_not(None))))  # fmt: skip
        row.lose(len(processed - recorded), "processed replies whose outcome is missing")
    # One reply (by its Message-ID) gets at most one answer, however often it was delivered.
    reply_of = {inbound_id: (case_id, mid) for inbound_id, _, _, case_id, mid in inbound}
    answers: dict[tuple[Any, ...], int] = defaultdict(int)
    for case_id, kind, *_, inbound_id in emails:
        if kind in ANSWERS and inbound_id in reply_of and reply_of[inbound_id][1]:
            answers[(case_id, reply_of[inbound_id][1])] += 1
    row.duplicate(sum(n - 1 for n in answers.values() if n > 1), "a second answer to the same reply")
