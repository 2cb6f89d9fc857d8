"""The full fault run: every scenario at full size on private services; prints the table.

Usage: ``.venv/bin/python -m tests.faults [--reduced] [--only NAME ...] [--keep] [--figures]``.
``--reduced`` uses the sizes of the pytest run; ``--keep`` leaves the temporary folder (logs,
database files) in place for a post-mortem. Exit code 1 when a scenario lost or duplicated
something or reported a problem.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time

from tests.faults.harness import prepare_template
from tests.faults.invariants import Row
from tests.faults.plan import DEFECTS_FOUND, FULL, REDUCED
from tests.faults.services import PrivateServices


def table(rows: list[Row]) -> str:
    width = max([len("scenario"), *(len(row.scenario) for row in rows)]) + 2
    header = f"{'scenario':<{width}}{'cases':>7}{'lost':>6}{'dup':>6}{'dead':>6}{'recover':>10}  notes"
    lines = [header, "-" * len(header)]
    for row in rows:
        recover = "-" if row.recover_s is None else f"{row.recover_s:.1f} s"
        notes = "; ".join(row.problems) if row.problems else _figures(row)
        lines.append(f"{row.scenario:<{width}}{row.cases:>7}{row.lost:>6}{row.duplicated:>6}{row.dead_letters:>6}"
                     f"{recover:>10}  {notes[:160]}")  # fmt: skip
    return "\n".join(lines)


def _figures(row: Row) -> str:
    keep = ("kills", "crashes", "in_review", "outage_s", "retried", "failed_5xx", "leaders", "hostile", "fuzzed",
            "gateway_kills", "markers_found", "refused_at_smtp", "clients", "stored")  # fmt: skip
    return ", ".join(f"{k}={row.figures[k]}" for k in keep if k in row.figures)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.faults", description=__doc__.splitlines()[0])
    parser.add_argument("--reduced", action="store_true", help="the sizes of the pytest run")
    parser.add_argument("--only", nargs="*", help="scenario names")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--figures", action="store_true", help="print each scenario's figures after the table")
    args = parser.parse_args()
    plan = REDUCED if args.reduced else FULL
    names = args.only or list(plan)
    # SIGTERM (e.g. from `timeout`) unwinds like Ctrl-C, so the private services are always torn down.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    services = PrivateServices()
    rows: list[Row] = []
    started = time.monotonic()
    try:
        services.start()
        prepare_template(services)
        print(f"private services in {services.root}", flush=True)
        for name in names:
            function, kwargs = plan[name]
            began = time.monotonic()
            try:
                services.ensure_up()
                row = function(services, **kwargs)
            except Exception as exc:  # one broken scenario must not hide the others' figures
                row = Row(name, problems=[f"scenario crashed: {exc!r}"[:500]])
                row.lost = -1
            row.scenario = name
            rows.append(row)
            print(f"[{time.monotonic() - began:5.0f} s] {row.summary()}", flush=True)
            if args.figures:
                print(f"    {json.dumps(row.figures, ensure_ascii=False, default=str)}", flush=True)
    except KeyboardInterrupt:  # still tear down, and still show what ran
        rows.append(Row("(interrupted)", problems=["the run was interrupted (SIGINT/SIGTERM)"]))
    finally:
        services.close(keep=args.keep)
    print()
    print(table(rows))
    print(f"\ntotal {time.monotonic() - started:.0f} s. Defects these scenarios found ([Dn] rows probe them):")
    for defect in DEFECTS_FOUND:
        print(f"  {defect.key}: {defect.summary}")
    return 0 if all(r.ok and not r.problems for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
