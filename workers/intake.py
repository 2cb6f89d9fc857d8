"""Intake: feed records in, one result per record out, cases written in batches.

Every record ends as exactly one of accepted / duplicate / ineligible / rejected /
needs_routing, and its raw form is kept with that result. Work is committed per batch (default
1,000 records), so a file with a broken line still takes its good lines and memory does not grow
with the file. Running the same feed twice changes no case: the second run finds every dji_id and
reports it as a duplicate. A concurrent intake of the same dji_id is caught by the unique key:
the batch is rolled back and assessed again.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from schema import audit, intake_store
from workers.feed_files import RawRecord
from workers.settings import DEFAULT_DETAINEE_INSTITUTIONS
from workflows.intake import check_eligibility, validate_record
from workflows.model import (
    CaseState,
    FieldError,
    IntakeResult,
    PersonReport,
    RoutingDecision,
    TargetGroup,
    case_reference,
)
from workflows.routing import Registry, route
from workflows.states import AuditKind

LOCAL = ZoneInfo("Europe/Amsterdam")
ACTOR = "intake"

# Called inside the batch transaction with the ids of newly accepted cases, so that the messages
# that start their workflows are committed together with the cases (transactional outbox).
AcceptedHook = Callable[[Session, list[int], datetime], None]


@dataclass(frozen=True, slots=True)
class RecordResult:
    """What happened to one record; ``reasons`` are Dutch and name fields, never personal values."""

    line: int
    dji_id: str | None
    result: IntakeResult
    reasons: tuple[str, ...] = ()
    cbs_code: str | None = None
    case_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "dji_id": self.dji_id,
            "result": self.result.value,
            "reasons": list(self.reasons),
            "cbs_code": self.cbs_code,
            "case_id": self.case_id,
        }


@dataclass
class IntakeSummary:
    """Counts per result (they add up to ``received``) and, when kept, each record's result."""

    source: str
    counts: Counter[str] = field(default_factory=Counter)
    results: list[RecordResult] = field(default_factory=list)

    @property
    def received(self) -> int:
        return sum(self.counts.values())

    def add(self, result: RecordResult, keep: bool) -> None:
        self.counts[result.result.value] += 1
        if keep or result.result is not IntakeResult.ACCEPTED:
            self.results.append(result)

    def merge(self, other: IntakeSummary) -> None:
        self.counts.update(other.counts)
        self.results.extend(other.results)

    def to_json(self) -> dict[str, Any]:
        return {
            "received": self.received,
            IntakeResult.ACCEPTED.value: self.counts[IntakeResult.ACCEPTED.value],
            "duplicates": self.counts[IntakeResult.DUPLICATE.value],
            IntakeResult.INELIGIBLE.value: self.counts[IntakeResult.INELIGIBLE.value],
            IntakeResult.REJECTED.value: self.counts[IntakeResult.REJECTED.value],
            IntakeResult.NEEDS_ROUTING.value: self.counts[IntakeResult.NEEDS_ROUTING.value],
            "results": [r.to_json() for r in self.results],
        }


@dataclass(frozen=True, slots=True)
class _Assessed:
    """A record judged on its own; the duplicate check against the database comes after."""

    raw: RawRecord
    dji_id: str | None
    result: IntakeResult
    reasons: tuple[str, ...] = ()
    report: PersonReport | None = None
    decision: RoutingDecision | None = None


def _raw_dji_id(fields: dict[str, object] | None) -> str | None:
    if not fields:
        return None
    for key, value in fields.items():
        if str(key).strip().lower() == "dji_id" and isinstance(value, str | int) and str(value).strip():
            return _storable(str(value).strip()[:64])
    return None


def _storable(text: str) -> str:
    # PostgreSQL text and JSONB cannot hold NUL; keep the rest of a hostile value as it came.
    return text.replace("\x00", "\ufffd")


class IntakeService:
    """Assesses records, routes them, and writes cases and intake records in batches.

    ``institutions`` are those of the self-reporters, ``detainee_institutions`` those of the detainees
    (``[koers] institutions`` and ``detainee_institutions``): each record is judged by its group's list.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        registry: Registry,
        *,
        institutions: Iterable[str],
        detainee_institutions: Iterable[str] = DEFAULT_DETAINEE_INSTITUTIONS,
        clock: Callable[[], datetime],
        on_accepted: AcceptedHook | None = None,
        batch_size: int = 1000,
    ) -> None:
        self._sessions = session_factory
        self._registry = registry
        self._institutions = {TargetGroup.SELF_REPORTER: tuple(institutions),
                              TargetGroup.DETAINEE: tuple(detainee_institutions)}  # fmt: skip
        self._clock = clock
        self._on_accepted = on_accepted
        self._batch_size = batch_size

    def ingest(
        self,
        records: Iterable[RawRecord],
        source: str,
        *,
        keep_results: bool = True,
        progress: Callable[[int], None] | None = None,
        only_municipality: str | None = None,
    ) -> IntakeSummary:
        """Take every record of ``records``; returns the summary. ``progress`` gets the running count.

        ``only_municipality`` (an API token scoped to one municipality): a record that does not
        route to it is rejected.
        """
        summary = IntakeSummary(source=source)
        now = self._clock()
        with self._sessions.begin() as session:
            batch_id = intake_store.start_batch(session, source, now)
        iterator: Iterator[RawRecord] = iter(records)
        # Pipelined: the next chunk is read and assessed in a thread while this one is written
        # (the database work waits on I/O most of the time); at most two chunks are in memory.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="intake-assess") as pool:
            upcoming = pool.submit(self._read_and_assess, iterator, only_municipality)
            while True:
                assessed, now = upcoming.result()
                if not assessed:
                    break
                upcoming = pool.submit(self._read_and_assess, iterator, only_municipality)
                summary.merge(self._write_chunk(assessed, now, batch_id, keep_results))
                if progress is not None:
                    progress(summary.received)
        with self._sessions.begin() as session:
            intake_store.finish_batch(session, batch_id, dict(summary.counts), self._clock())
        return summary

    def _read_and_assess(self, iterator: Iterator[RawRecord], only: str | None) -> tuple[list[_Assessed], datetime]:
        now = self._clock()
        return [self._assess(raw, now, only) for raw in islice(iterator, self._batch_size)], now

    def _write_chunk(self, assessed: list[_Assessed], now: datetime, batch_id: int, keep: bool) -> IntakeSummary:
        for attempt in range(3):
            try:
                with self._sessions.begin() as session:
                    return self._write(session, assessed, batch_id, now, keep)
            except IntegrityError:
                # Another intake took one of these dji_ids between our check and our insert.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _assess(self, raw: RawRecord, now: datetime, only: str | None = None) -> _Assessed:
        dji_id = _raw_dji_id(raw.fields)
        if raw.fields is None:
            return _Assessed(raw, dji_id, IntakeResult.REJECTED, (raw.error or "onleesbare regel",))
        validated = validate_record(raw.fields, today=now.astimezone(LOCAL).date())
        if isinstance(validated, list):
            return _Assessed(raw, dji_id, IntakeResult.REJECTED, tuple(str(e) for e in validated))
        decision = route(
            self._registry, gemeente=validated.gemeente, woonplaats=validated.woonplaats, postcode=validated.postcode
        )
        if only is not None and decision.cbs_code != only:
            reason = f"gemeente: dit API-token geldt alleen voor {only}"
            return _Assessed(raw, validated.dji_id, IntakeResult.REJECTED, (reason,))
        reasons = check_eligibility(validated, decision, self._institutions[validated.group])
        if reasons:
            return _Assessed(raw, validated.dji_id, IntakeResult.INELIGIBLE, tuple(reasons), validated, decision)
        result = IntakeResult.ACCEPTED if decision.is_decided else IntakeResult.NEEDS_ROUTING
        return _Assessed(raw, validated.dji_id, result, (), validated, decision)

    def _write(
        self, session: Session, assessed: list[_Assessed], batch_id: int, now: datetime, keep: bool
    ) -> IntakeSummary:
        wanted = [a.dji_id for a in assessed if a.report is not None and a.dji_id]
        existing = intake_store.existing_cases(session, wanted)
        first_line: dict[str, int] = {}
        final: list[_Assessed] = []
        for item in assessed:
            final.append(self._deduplicate(item, existing, first_line))
        new_cases = [self._case_row(a, now) for a in final if a.result in _CREATES_CASE]
        case_ids = intake_store.insert_cases(session, new_cases)
        summary = IntakeSummary(source="")
        records, audit_rows = [], []
        for item in final:
            case_id = case_ids.get(item.dji_id or "") if item.result in _CREATES_CASE else None
            if item.result is IntakeResult.DUPLICATE:
                case_id = existing.get(item.dji_id or "", {}).get("id")
            cbs = item.decision.cbs_code if item.decision else None
            result = RecordResult(item.raw.line, item.dji_id, item.result, item.reasons, cbs, case_id)
            summary.add(result, keep)
            records.append(_record_row(item, result, batch_id, now))
            if item.result in _CREATES_CASE and case_id is not None:
                audit_rows.append(_audit_row(item, case_id, batch_id, now))
        intake_store.insert_intake_records(session, records)
        audit.write(session, audit_rows)
        accepted = [case_ids[a.dji_id] for a in final if a.result is IntakeResult.ACCEPTED and a.dji_id]
        if accepted and self._on_accepted is not None:
            self._on_accepted(session, accepted, now)
        return summary

    @staticmethod
    def _deduplicate(item: _Assessed, existing: dict[str, dict[str, Any]], first_line: dict[str, int]) -> _Assessed:
        if item.report is None or item.dji_id is None:
            return item
        if item.dji_id in existing:
            prior = existing[item.dji_id]
            differing = _differing(item.report, prior)
            reason = f"dji_id is al bekend (zaak {case_reference(prior['id'])})"
            if differing:
                reason += "; afwijkende gegevens in: " + ", ".join(differing) + " — controleer de zaak"
            return _Assessed(item.raw, item.dji_id, IntakeResult.DUPLICATE, (reason,), item.report, item.decision)
        if item.dji_id in first_line:
            reason = f"dji_id komt al eerder voor in deze aanlevering (regel {first_line[item.dji_id]})"
            return _Assessed(item.raw, item.dji_id, IntakeResult.DUPLICATE, (reason,), item.report, item.decision)
        if item.result in _CREATES_CASE:
            first_line[item.dji_id] = item.raw.line
        return item

    @staticmethod
    def _case_row(item: _Assessed, now: datetime) -> dict[str, Any]:
        report, decision = item.report, item.decision
        assert report is not None and decision is not None
        state = CaseState.ACCEPTED if item.result is IntakeResult.ACCEPTED else CaseState.NEEDS_ROUTING
        return {
            "dji_id": report.dji_id,
            "surname": report.surname,
            "given_names": report.given_names,
            "birth_date": report.birth_date,
            "street": report.street,
            "house_number": report.house_number,
            "postcode": report.postcode,
            "woonplaats": report.woonplaats,
            "gemeente_given": report.gemeente,
            "phone": report.phone,
            "email": report.email,
            "sentence_days": report.sentence_days,
            "target_group": report.group.value,
            # Each group has its own dates (a CHECK constraint keeps the other group's empty).
            "report_date": getattr(report, "report_date", None),
            "release_date": getattr(report, "release_date", None),
            "custody_since": getattr(report, "custody_since", None),
            "institution": report.institution,
            "cbs_code": decision.cbs_code,
            "state": state.value,
            "urgent": False,
            "routing_method": decision.method,
            "routing_evidence": dict(decision.evidence),
            "routing_candidates": list(decision.candidates),
            "created_at": now,
            "updated_at": now,
        }


_CREATES_CASE = frozenset({IntakeResult.ACCEPTED, IntakeResult.NEEDS_ROUTING})


def _differing(report: PersonReport, prior: dict[str, Any]) -> list[str]:
    """The fields in which a repeated dji_id differs from its case (a date the record lacks counts as empty)."""
    differing = ["group"] if prior["target_group"] != report.group.value else []
    return differing + [f for f in intake_store.COMPARED_FIELDS if getattr(report, f, None) != prior[f]]


def _record_row(item: _Assessed, result: RecordResult, batch_id: int, now: datetime) -> dict[str, Any]:
    return {
        "batch_id": batch_id,
        "line": item.raw.line,
        "dji_id": item.dji_id,
        "raw": _json_safe(item.raw.fields),
        "result": result.result.value,
        "reasons": list(result.reasons),
        "cbs_code": result.cbs_code,
        "case_id": result.case_id,
        "received_at": now,
    }


def _audit_row(item: _Assessed, case_id: int, batch_id: int, now: datetime) -> dict[str, Any]:
    decision = item.decision
    assert decision is not None
    return audit.row(now, ACTOR, case_id, AuditKind.CASE_CREATED, {
        "result": item.result.value,
        "group": item.report.group.value if item.report is not None else None,
        "batch_id": batch_id,
        "line": item.raw.line,
        "routing_method": decision.method,
        "cbs_code": decision.cbs_code,
        "candidates": list(decision.candidates),
    })  # fmt: skip


def _json_safe(fields: dict[str, object] | None) -> dict[str, Any] | None:
    """Raw JSON Lines values may be nested; keep them, but as JSON-serialisable values."""
    if fields is None:
        return None
    safe: dict[str, Any] = {}
    for key, value in fields.items():
        if isinstance(value, str):
            safe[_storable(str(key))] = _storable(value)
        elif isinstance(value, int | bool | type(None)) or (isinstance(value, float) and math.isfinite(value)):
            safe[_storable(str(key))] = value
        else:
            safe[_storable(str(key))] = _storable(repr(value)[:500])
    return safe


__all__ = ["FieldError", "IntakeService", "IntakeSummary", "RecordResult"]
