"""The audit log stays append-only, except that the purge may take values out of a purged case's details.

Personal data of a closed case must go after the retention period, also where an audit row quoted it
(the note inside ``outcome_recorded``, an operator's free-text reason). The triggers keep refusing
every DELETE and every UPDATE, but one: an UPDATE that changes nothing but ``details``, of a row
whose case is purged (``cases.purged_at`` set, which the purge does first in the same transaction),
and that only removes values: the new details must be contained in the old (PostgreSQL ``@>``; on
SQLite every scalar of the new details must be at the same place in the old). No value can be
added, changed or moved, no row hidden, and the row's time, actor, case and event stay as written.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_PG_PURGE_MAY_REMOVE = """
CREATE OR REPLACE FUNCTION koers_audit_is_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.actor = OLD.actor AND NEW.event = OLD.event
       AND NEW.case_id IS NOT DISTINCT FROM OLD.case_id
       AND EXISTS (SELECT 1 FROM cases WHERE cases.id = OLD.case_id AND cases.purged_at IS NOT NULL)
       AND OLD.details @> NEW.details THEN
        RETURN NEW;  -- the purge removes values from a purged case's row; nothing else may change
    END IF;
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$ LANGUAGE plpgsql;
"""
_PG_REFUSE_ALL = """
CREATE OR REPLACE FUNCTION koers_audit_is_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$ LANGUAGE plpgsql;
"""
_SQLITE_PURGE_MAY_REMOVE = """
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
WHEN NOT (
    NEW.id IS OLD.id AND NEW.at IS OLD.at AND NEW.actor IS OLD.actor AND NEW.event IS OLD.event
    AND NEW.case_id IS OLD.case_id
    AND EXISTS (SELECT 1 FROM cases WHERE cases.id = OLD.case_id AND cases.purged_at IS NOT NULL)
    AND json_valid(NEW.details) AND json_type(NEW.details) = 'object'
    AND NOT EXISTS (
        SELECT 1 FROM json_tree(NEW.details) AS n
        WHERE n.type NOT IN ('object', 'array') AND NOT EXISTS (
            SELECT 1 FROM json_tree(OLD.details) AS o
            WHERE o.fullkey = n.fullkey AND o.type = n.type AND o.atom IS n.atom))
)
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END
"""
_SQLITE_REFUSE_ALL = (
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_PURGE_MAY_REMOVE)
    else:
        op.execute("DROP TRIGGER audit_events_no_update")
        op.execute(_SQLITE_PURGE_MAY_REMOVE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_REFUSE_ALL)
    else:
        op.execute("DROP TRIGGER audit_events_no_update")
        op.execute(_SQLITE_REFUSE_ALL)
