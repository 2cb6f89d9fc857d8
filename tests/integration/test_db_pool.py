"""A worker keeps one database connection per thread: none is opened anew per transaction."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

from sqlalchemy import Engine, text

from testkit.flow import fast_settings
from tests.conftest import PG_URL
from workers.bootstrap import bootstrap


def backend_pids_seen(engine: Engine, threads: int, rounds: int) -> set[int]:
    """Run ``rounds`` transactions in each of ``threads`` threads at once, with pauses between them
    as a worker has; returns the server backends that served them."""
    seen: set[int] = set()
    lock, start = threading.Lock(), threading.Barrier(threads)

    def work() -> None:
        start.wait()
        for _ in range(rounds):
            with engine.begin() as conn:
                pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
            with lock:
                seen.add(pid)
            time.sleep(random.uniform(0, 0.01))  # bursts and pauses, as messages arrive

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    return seen


def test_a_worker_with_many_threads_reuses_its_connections(pg_engine: Engine, tmp_path: Path) -> None:
    # Given the application of a worker process with 12 threads
    app = bootstrap(fast_settings(tmp_path, PG_URL), threads=12)
    try:
        # When every thread runs transactions at the same time, again and again
        backends = backend_pids_seen(app.engine, threads=12, rounds=20)
    finally:
        app.dispose()

    # Then they were served by at most one connection each, not a new one per transaction
    assert 1 <= len(backends) <= 12
