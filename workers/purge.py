"""The purge as the runtime runs it: ``koers purge`` and the scheduler leader's hourly job.

Cases go in batches, each its own transaction, so a long purge keeps its progress. A batch's spooled
mail (letters with names and addresses) is deleted before its transaction commits, by the Message-IDs
of its emails: a crash in between leaves a case that the next run purges again (its files are gone
already), never a purged case whose letters stay behind on disk.
"""

from __future__ import annotations

from collections.abc import Callable

from messaging.smtp_spool import SpoolMailer
from schema import retention
from workers.bootstrap import App


def purge(app: App, *, actor: str, progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Purge what is due now; returns ``cases``, ``records`` (loose intake records and mail) and ``spool_files``."""
    keep = app.settings.retention
    spool = SpoolMailer(app.settings.spool_dir)
    done = {"cases": 0, "records": 0, "spool_files": 0}
    while True:
        with app.sessions.begin() as session:
            batch = retention.purge_closed_cases(session, now=app.clock(), retention=keep, actor=actor)
            done["spool_files"] += spool.remove(batch.message_ids)
        if batch.cases == 0:
            break
        done["cases"] += batch.cases
        if progress is not None:
            progress(done["cases"])
    with app.sessions.begin() as session:
        done["records"] = retention.purge_unlinked_records(session, now=app.clock(), retention=keep)
    return done
