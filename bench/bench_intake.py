"""Intake benchmark: records/s into PostgreSQL and SQLite, and peak memory against file size.

Usage: ``.venv/bin/python bench/bench_intake.py [--records 100000] [--runs 3]``

Generates a synthetic feed (streamed to a CSV file), then for each database runs the intake in a
fresh child process (so peak RSS is that run's own) on a fresh database, several times, and prints
the median rate. Memory is reported for a tenth of the file and for the whole file: it must not
grow with the file size. Routing alone (``route`` over the feed's address fields, in this process)
is reported too: it is the part of intake that grows with the reference data. PostgreSQL: KOERS_BENCH_DATABASE_URL (default the local server, database
``koers_bench``, recreated).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PG_URL = os.environ.get("KOERS_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/koers_bench")


def child(database_url: str, feed: Path) -> None:
    """One intake run in this process; prints one JSON line."""
    from schema.db import make_engine, make_session_factory
    from schema.reference import load_registry
    from testkit.databases import migrate_with_reference_data
    from workers.feed_files import iter_feed
    from workers.intake import IntakeService

    engine = make_engine(database_url)
    migrate_with_reference_data(engine, fresh=True)
    sessions = make_session_factory(engine)
    service = IntakeService(
        sessions, load_registry(), institutions=("PI Veenhuizen", "PI Leeuwarden"), clock=lambda: datetime.now(UTC)
    )
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    summary = service.ingest(iter_feed(feed), feed.name, keep_results=False)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"records": summary.received, "accepted": summary.counts["accepted"], "seconds": elapsed,
                      "rate": summary.received / elapsed, "peak_rss_mb": peak / 1024,
                      "rss_growth_mb": (peak - rss_before) / 1024}))


def make_feed(path: Path, n: int) -> None:
    from workers.demo.synthetic import generate_records, write_feed

    write_feed(path, generate_records(n, seed=42, today=date.today()))


def routing_rate(feed: Path, runs: int) -> list[float]:
    """Records/s of ``route`` alone over the feed's address fields (median of ``runs``)."""
    from schema.reference import load_registry
    from workers.feed_files import iter_feed
    from workflows.routing import route

    registry = load_registry()
    fields = [record.fields or {} for record in iter_feed(feed)]
    addresses = [tuple(str(f.get(k) or "").strip() or None for k in ("gemeente", "woonplaats", "postcode")) for f in fields]
    rates = []
    for _ in range(runs):
        started = time.perf_counter()
        for gemeente, woonplaats, postcode in addresses:
            route(registry, gemeente=gemeente, woonplaats=woonplaats, postcode=postcode)
        rates.append(len(addresses) / (time.perf_counter() - started))
    return rates


def run_child(url: str, feed: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", url, str(feed)], check=True, capture_output=True,
                         text=True, cwd=REPO)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    from testkit.databases import ensure_database

    ensure_database(PG_URL)
    with tempfile.TemporaryDirectory() as tmp:
        big, small = Path(tmp) / "feed.csv", Path(tmp) / "feed-small.csv"
        started = time.perf_counter()
        make_feed(big, args.records)
        make_feed(small, max(args.records // 10, 1))
        print(f"machine: {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}, "
              f"{date.today().isoformat()}")
        print(f"feed: {args.records:,} records generated in {time.perf_counter() - started:.1f} s")
        rates = routing_rate(big, args.runs)
        print(f"routing    {args.records:>7,} records: median {statistics.median(rates):>9,.0f} records/s "
              f"(runs: {', '.join(f'{r:,.0f}' for r in rates)})")  # fmt: skip
        for name, url in (("PostgreSQL", PG_URL), ("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}")):
            rates, peaks = [], []
            for _ in range(args.runs):
                if url.startswith("sqlite"):
                    for f in Path(tmp).glob("bench.db*"):
                        f.unlink()
                result = run_child(url, big)
                rates.append(result["rate"])
                peaks.append(result["peak_rss_mb"])
            small_result = run_child(url, small) if url.startswith("postgresql") else None
            line = (f"{name:<11} {args.records:>7,} records: median {statistics.median(rates):>7,.0f} records/s "
                    f"(runs: {', '.join(f'{r:,.0f}' for r in rates)}), peak RSS {statistics.median(peaks):.0f} MB")
            if small_result:
                line += f" (a tenth of the file: {small_result['peak_rss_mb']:.0f} MB)"
            print(line)


if __name__ == "__main__":
    main()
