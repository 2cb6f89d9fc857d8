"""Timer sweep benchmark: one ``sweep_timers`` run with 10,000 and with 1,000,000 waiting timers.

The sweep must cost in proportion to the *due* timers, not to the ones waiting (reminders and
escalations days or weeks ahead). This fills ``timers`` with pending, not-yet-due rows (one case and
one workflow instance own them all; ``INSERT … SELECT generate_series``), adds a fixed number of due
ones, and times ``workers.periodic.sweep_timers`` several times, putting the due ones back to
``pending`` (and emptying the outbox) before each run. It also times a sweep that finds nothing due,
and prints PostgreSQL's plan of the sweep's own query (captured as it runs) to show that it uses the
(state, due_at) index. Prints medians.

Uses its own database ``koers_bench_sweep`` (recreated; ``KOERS_BENCH_SWEEP_DATABASE_URL``).

Usage: ``.venv/bin/python bench/bench_timer_sweep.py [--waiting 10000 1000000] [--due 100] [--runs 7]``
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import Connection, Engine, event, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from testkit.databases import recreate_database  # noqa: E402

URL = os.environ.get("KOERS_BENCH_SWEEP_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/koers_bench_sweep")


def owner(engine: Engine) -> int:
    """One case that every timer points at (the foreign key needs it)."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        case_id = conn.execute(text(
            "INSERT INTO cases (dji_id, surname, given_names, birth_date, sentence_days, target_group, report_date, "
            "institution, state, urgent, routing_method, routing_evidence, routing_candidates, created_at, updated_at, "
            "outcome_contact, outcome_actions, outcome_life_domains, outcome_known_to_care) VALUES ('BENCH-1', "
            "'Bench', 'Timer', '1980-01-01', 14, 'self_reporter', :report, 'PI Veenhuizen', 'notified', false, 'code', "
            "'{}', '[]', :now, :now, 'unknown', 'unknown', '[]', 'unknown') RETURNING id"
        ), {"report": date(2099, 1, 1), "now": now}).scalar_one()  # fmt: skip
    return int(case_id)


def add_timers(engine: Engine, case_id: int, count: int, *, due: bool) -> list[int]:
    """``count`` pending timers: due (seconds ago) or waiting (1 to ~70 days ahead, spread)."""
    ahead = "now() + interval '1 day' + (g % 100000) * interval '1 minute'"
    due_at = "now() - g * interval '1 second'" if due else ahead
    with engine.begin() as conn:
        rows = conn.execute(text(
            "INSERT INTO timers (case_id, name, due_at, state, created_at) "
            f"SELECT :case, 'first_reminder', {due_at}, 'pending', now() "
            "FROM generate_series(1, :n) AS g RETURNING id"
        ), {"case": case_id, "n": count})  # fmt: skip
        return list(rows.scalars()) if due else []


def vacuum_analyze(engine: Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE timers"))


def reset_due(engine: Engine, due_ids: list[int]) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE timers SET state = 'pending', claimed_at = NULL WHERE id = ANY(:ids)"),
                     {"ids": due_ids})  # fmt: skip
        conn.execute(text("DELETE FROM outbox"))


class SweepQuery:
    """Captures the SELECT that ``sweep_timers`` sends, so that its plan is the real one."""

    def __init__(self, engine: Engine) -> None:
        self.statement: str | None = None
        self.parameters: Any = None
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if self.statement is None and statement.lstrip().upper().startswith("SELECT") and "timers" in statement:
            self.statement, self.parameters = statement, parameters

    def explain(self, engine: Engine) -> list[str]:
        assert self.statement is not None, "the sweep ran no SELECT on timers"
        with engine.connect() as conn:
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + self.statement, self.parameters)
            lines = [row[0] for row in plan]
            conn.rollback()  # EXPLAIN ANALYZE of FOR UPDATE took the locks; let them go
        return lines


def time_sweeps(engine: Engine, sessions: Any, due_ids: list[int], runs: int) -> tuple[list[float], list[float]]:
    from workers.periodic import sweep_timers

    busy, idle = [], []
    reset_due(engine, due_ids)
    sweep_timers(sessions, datetime.now(UTC))  # warm-up: connections, statement cache
    for _ in range(runs):
        reset_due(engine, due_ids)
        started = time.perf_counter()
        claimed = sweep_timers(sessions, datetime.now(UTC))
        busy.append((time.perf_counter() - started) * 1000)
        if claimed != len(due_ids):
            print(f"  (a sweep claimed {claimed}, expected {len(due_ids)})")
        started = time.perf_counter()
        sweep_timers(sessions, datetime.now(UTC))  # nothing due now
        idle.append((time.perf_counter() - started) * 1000)
    return busy, idle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--waiting", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--due", type=int, default=100)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    from schema import migrate
    from schema.db import make_engine, make_session_factory

    print(f"machine: {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{date.today().isoformat()}; database {make_url(URL).database}")  # fmt: skip
    recreate_database(URL)
    engine = make_engine(URL)
    migrate.upgrade(engine)
    sessions = make_session_factory(engine)
    case_id = owner(engine)
    due_ids = add_timers(engine, case_id, args.due, due=True)
    query = SweepQuery(engine)
    waiting, results = 0, []
    for target in sorted(args.waiting):
        started = time.perf_counter()
        add_timers(engine, case_id, target - waiting, due=False)
        waiting = target
        vacuum_analyze(engine)
        fill = time.perf_counter() - started
        busy, idle = time_sweeps(engine, sessions, due_ids, args.runs)
        results.append((waiting, busy, idle, fill))
        print(f"{waiting:>9,} waiting + {args.due} due: sweep median {statistics.median(busy):6.1f} ms "
              f"(runs {', '.join(f'{v:.1f}' for v in busy)}); nothing due: {statistics.median(idle):5.1f} ms; "
              f"rows added in {fill:.1f} s")  # fmt: skip
        query.statement = None
        reset_due(engine, due_ids)
        from workers.periodic import sweep_timers

        sweep_timers(sessions, datetime.now(UTC))  # captures the query
        reset_due(engine, due_ids)
        plan = query.explain(engine)
        uses_index = any("ix_timers_state_due_at" in line for line in plan)
        print(f"  EXPLAIN of the sweep's query (index ix_timers_state_due_at used: {'yes' if uses_index else 'NO'}):")
        for line in plan:
            print(f"    {line}")
    small, large = results[0], results[-1]
    ratio = statistics.median(large[1]) / statistics.median(small[1])
    print(f"\n{'waiting':>10} {'due':>5} {'sweep ms (median)':>18} {'idle sweep ms':>14}")
    for waiting, busy, idle, _ in results:
        print(f"{waiting:>10,} {args.due:>5} {statistics.median(busy):>18.1f} {statistics.median(idle):>14.1f}")
    print(
        f"{large[0] // small[0]:,}× the waiting timers → {ratio:.2f}× the sweep time (medians, one run of this script)"
    )
    engine.dispose()


if __name__ == "__main__":
    main()
