"""SQLAlchemy 2 tables: the single source of truth.

Identical on PostgreSQL and SQLite (JSON is JSONB on PostgreSQL). Reference tables are filled
from ``schema/reference/*.csv`` by ``koers db upgrade``; the rest is written by Koers. The
workflow runtime's tables live in ``schema.runtime_models`` and are registered below.
Invariant: ``audit_events`` is append-only (database triggers refuse UPDATE and DELETE).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ColumnElement, Date, ForeignKey, Index, Integer, String, case
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from schema.base import Base, BigId, JsonType, UtcDateTime
from workflows.definitions import deadline_field_of
from workflows.model import TargetGroup

# --- reference data -------------------------------------------------------------------------


class MunicipalityRow(Base):
    __tablename__ = "municipalities"

    cbs_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    province: Mapped[str] = mapped_column(String(40), index=True)


class MunicipalityName(Base):
    """Every name a municipality is known by (official and aliases), with its normalised key."""

    __tablename__ = "municipality_names"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cbs_code: Mapped[str] = mapped_column(ForeignKey("municipalities.cbs_code"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    normalized: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # official | alias


class LegacyMunicipalityRow(Base):
    __tablename__ = "legacy_municipalities"

    cbs_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    dissolved_on: Mapped[date] = mapped_column(Date)


class LegacySuccessor(Base):
    """Immediate successor of a dissolved municipality (several rows for a split)."""

    __tablename__ = "legacy_successors"

    old_cbs_code: Mapped[str] = mapped_column(ForeignKey("legacy_municipalities.cbs_code"), primary_key=True)
    successor_cbs_code: Mapped[str] = mapped_column(String(6), primary_key=True)


class WoonplaatsRow(Base):
    __tablename__ = "woonplaatsen"

    woonplaatscode: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    cbs_code: Mapped[str] = mapped_column(ForeignKey("municipalities.cbs_code"), index=True)


class PostcodeRow(Base):
    __tablename__ = "postcodes_pc4"

    pc4: Mapped[str] = mapped_column(String(4), primary_key=True)
    cbs_code: Mapped[str] = mapped_column(ForeignKey("municipalities.cbs_code"), index=True)


# --- intake and cases -----------------------------------------------------------------------


class IntakeBatch(Base):
    """One run of intake over one source (a file, an HTTP request)."""

    __tablename__ = "intake_batches"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(500))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)


class IntakeRecord(Base):
    """A raw record as received, with the one result it ended in and every reason."""

    __tablename__ = "intake_records"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("intake_batches.id"), index=True)
    line: Mapped[int] = mapped_column(Integer)
    dji_id: Mapped[str | None] = mapped_column(String(64), index=True)
    raw: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    result: Mapped[str] = mapped_column(String(20), index=True)
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    cbs_code: Mapped[str | None] = mapped_column(String(6))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())


# The dates of each group (``workflows.intake.GROUP_DATES``): a self-reporter has a report date, a
# detainee a release date and the date custody began; neither has the other's.
GROUP_DATES_CHECK = (
    "(target_group = 'self_reporter' AND report_date IS NOT NULL AND release_date IS NULL AND custody_since IS NULL)"
    " OR (target_group = 'detainee' AND report_date IS NULL AND release_date IS NOT NULL"
    " AND custody_since IS NOT NULL)"
)


class CaseRow(Base):
    """A person of a target group (a self-reporter, a detainee): the case the workflow runs on, with its instance."""

    __tablename__ = "cases"
    __table_args__ = (CheckConstraint(GROUP_DATES_CHECK, name="ck_cases_group_dates"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    dji_id: Mapped[str] = mapped_column(String(64), unique=True)
    surname: Mapped[str] = mapped_column(String(200))
    given_names: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[date] = mapped_column(Date)
    street: Mapped[str | None] = mapped_column(String(200))
    house_number: Mapped[str | None] = mapped_column(String(20))
    postcode: Mapped[str | None] = mapped_column(String(7))
    woonplaats: Mapped[str | None] = mapped_column(String(200))
    gemeente_given: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    sentence_days: Mapped[int] = mapped_column(Integer)
    # Which group, and so which workflow and which dates: ``workflows.model.TargetGroup`` (the column is
    # not called ``group``: that is an SQL keyword, and operators write ad-hoc SQL too).
    # A record without a group is a self-reporter (``workflows.intake``); so is a row written without one.
    target_group: Mapped[str] = mapped_column(String(20), default=TargetGroup.SELF_REPORTER.value)
    report_date: Mapped[date | None] = mapped_column(Date, index=True)  # self-reporters only
    release_date: Mapped[date | None] = mapped_column(Date, index=True)  # detainees only
    custody_since: Mapped[date | None] = mapped_column(Date)  # detainees only
    institution: Mapped[str] = mapped_column(String(100))
    cbs_code: Mapped[str | None] = mapped_column(ForeignKey("municipalities.cbs_code"), index=True)
    state: Mapped[str] = mapped_column(String(20), index=True)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    routing_method: Mapped[str] = mapped_column(String(40))
    routing_evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    routing_candidates: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    close_reason: Mapped[str | None] = mapped_column(String(40))
    # The outcome the municipality recorded (yes/no/unknown); every change is also an audit event.
    outcome_contact: Mapped[str] = mapped_column(String(10), default="unknown")
    outcome_contact_form: Mapped[str | None] = mapped_column(String(20))
    outcome_actions: Mapped[str] = mapped_column(String(10), default="unknown")
    outcome_life_domains: Mapped[list[Any]] = mapped_column(default=list)
    outcome_known_to_care: Mapped[str] = mapped_column(String(10), default="unknown")
    outcome_note: Mapped[str | None] = mapped_column(String(2000))
    outcome_recorded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Set while a person must look at something (an unreadable reply, an email in review).
    review_reason: Mapped[str | None] = mapped_column(String(300))
    # Personal data removed after the retention period (the figures stay for the report).
    purged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The workflow instance the case runs (none while it waits for routing or its start): the
    # definition and the version it started with, and the engine's bookkeeping (when it started, its
    # deadline, the timers pending and ever scheduled). Stage, urgency, outcome and closure are the
    # columns above: each fact of a case is kept once, here, and written only by ``schema.case_store``.
    workflow: Mapped[str | None] = mapped_column(String(60))
    workflow_version: Mapped[int | None] = mapped_column(Integer)
    workflow_progress: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    # While an operator paused the case: when the pause ends (the engine holds the timers until then).
    paused_until: Mapped[datetime | None] = mapped_column(UtcDateTime())

    @hybrid_property
    def deadline(self) -> date:
        """The date the case's window closes on: its group's date (report date, release date)."""
        day = getattr(self, deadline_field_of(self.target_group))
        assert isinstance(day, date), "ck_cases_group_dates keeps each group's date set"
        return day

    @deadline.inplace.expression
    @classmethod
    def _deadline_expression(cls) -> ColumnElement[date | None]:
        # In SQL (ordering and filtering the deadline board), the same choice as a CASE on the group.
        whens = [(cls.target_group == group.value, getattr(cls, deadline_field_of(group))) for group in TargetGroup]
        return case(*whens)


class RerouteRequest(Base):
    """A request to move a case to another municipality, until an operator re-routes it or declines.

    Asked by a municipal user in the console, or read from a trusted "not our resident" reply
    (``inbound_id``); ``place`` is the new place the reply named and ``suggested_cbs_code`` where it
    routes. One open request per case at most; states: open → rerouted | declined.
    """

    __tablename__ = "reroute_requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    state: Mapped[str] = mapped_column(String(12), index=True)
    source: Mapped[str] = mapped_column(String(12))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    requested_by: Mapped[str] = mapped_column(String(200))
    from_cbs_code: Mapped[str | None] = mapped_column(String(6))
    reason: Mapped[str] = mapped_column(String(300))
    place: Mapped[str | None] = mapped_column(String(100))
    suggested_cbs_code: Mapped[str | None] = mapped_column(String(6))
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decision_note: Mapped[str | None] = mapped_column(String(300))


class AuditEvent(Base):
    """Append-only log of everything that happened to a case: who, when, what, from which message."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_case_at", "case_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    event: Mapped[str] = mapped_column(String(60), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


__all__ = [
    "AuditEvent",
    "Base",
    "CaseRow",
    "IntakeBatch",
    "IntakeRecord",
    "LegacyMunicipalityRow",
    "LegacySuccessor",
    "MunicipalityName",
    "MunicipalityRow",
    "PostcodeRow",
    "RerouteRequest",
    "WoonplaatsRow",
]

# Register the runtime tables on the same metadata (migrations and the drift check see them all).
from schema import console_models as console_models  # noqa: E402
from schema import runtime_models as runtime_models  # noqa: E402
