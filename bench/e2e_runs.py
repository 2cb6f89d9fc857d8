"""The end-to-end runs of ``bench_e2e.py``: Koers' processes and the sink on a fresh database, measured.

``run_e2e`` starts an SMTP sink process (``testkit.sink_process``), ``koers worker`` processes and a
``koers scheduler``, feeds a synthetic file through the intake in a child process, and waits until
the sink has every notification; it reports cases/s, latency, memory, the backlog along the way
and the CPU per case of every process group. ``Env`` holds what every child of one benchmark run
shares (its folder, config, feeds).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import e2e_support as sup

from testkit.databases import migrate_with_reference_data
from testkit.processes import Proc, free_port, spawn

REPO = Path(__file__).resolve().parents[1]
CHILD = [sys.executable, str(REPO / "bench" / "e2e_children.py")]
SINK = [sys.executable, "-m", "testkit.sink_process"]
PYSPY = shutil.which("py-spy", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")


@dataclass
class Env:
    """The temporary folder, config and environment shared by every child of one benchmark run."""

    tmp: Path
    config: Path
    feeds: dict[str, Path] = field(default_factory=dict)

    def env(self, smtp_port: int | None = None) -> dict[str, str]:
        return sup.koers_env(self.tmp / "home", self.config, smtp_port)

    def logdir(self, name: str) -> Path:
        path = self.tmp / "logs" / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def new_logdir(self, name: str) -> str:
        """A name whose log folder does not exist yet (repeated runs keep their own logs)."""
        n = 1
        while (self.tmp / "logs" / f"{name}-{n}").exists():
            n += 1
        self.logdir(f"{name}-{n}")
        return f"{name}-{n}"

    def spawn(self, logname: str, name: str, argv: list[str], env: dict[str, str]) -> Proc:
        """Start a child with its output in ``logs/<logname>/<name>.log``."""
        return spawn(name, argv, env, self.logdir(logname) / f"{name}.log")


def make_feed(path: Path, n: int, seed: int) -> Path:
    from workers.demo.synthetic import FeedMix, generate_records, write_feed

    write_feed(path, generate_records(n, seed=seed, today=date.today(), mix=FeedMix(0, 0, 0, 0)))
    return path


def start_sink(env: Env, name: str) -> tuple[Proc, int, Path]:
    """The SMTP sink process; its log (``<epoch> <Message-ID> <recipients>`` per message) starts empty."""
    port = free_port()
    log = env.logdir(name) / "accepted.log"
    log.unlink(missing_ok=True)
    sink = env.spawn(name, "sink", [*SINK, "--port", str(port), "--log", str(log)], os.environ.copy())
    sink.wait_for_line("listening on")
    return sink, port, log


def start_koers(env: Env, name: str, port: int, workers: int, threads: int, scheduler: bool = True,
                queues: str | None = None) -> list[Proc]:  # fmt: skip
    procs = []
    extra = ["--queues", queues] if queues else []
    for i in range(workers):
        procs.append(env.spawn(name, f"worker{i + 1}", [sup.KOERS, "worker", "--threads", str(threads), *extra],
                               env.env(port)))  # fmt: skip
    if scheduler:
        procs.append(env.spawn(name, "scheduler", [sup.KOERS, "scheduler"], env.env(port)))
    for proc in procs:
        proc.wait_for_line("worker:" if proc.name.startswith("worker") else "scheduler started")
    return procs


def fresh_state() -> None:
    """An empty, migrated database with the reference data (what ``koers db upgrade`` does), empty queues."""
    from schema.db import make_engine

    engine = make_engine(sup.PG_URL)
    migrate_with_reference_data(engine, fresh=True)
    engine.dispose()
    sup.delete_queues(sup.KOERS_QUEUES)


@dataclass
class E2E:
    workers: int
    cases: int
    rate: float
    latency: dict[int, float]
    peak_mb: dict[str, float]
    rss_marks: dict[str, list[float]]
    backlog: list[str]
    emails: dict[str, int]
    intake_rate: float
    duplicates: int
    cpu: dict[str, float]
    busy: float
    wall: float
    outbox: dict[str, int]

    def cpu_groups(self) -> dict[str, float]:
        return sup.cpu_groups(self.cpu)


def run_e2e(env: Env, feed_name: str, workers: int, threads: int, rate: float = 0.0, label: str = "",
            profile: Path | None = None) -> E2E:  # fmt: skip
    """One run on a fresh database and fresh queues; every process it starts is stopped, whatever happens."""
    name = env.new_logdir(label or f"e2e-{workers}w")
    fresh_state()
    started: list[Proc] = []
    spies: list[subprocess.Popen[bytes]] = []
    try:
        sink, port, log = start_sink(env, name)
        started.append(sink)
        procs = start_koers(env, name, port, workers, threads)
        started.extend(procs)
        for proc in procs if profile is not None else []:
            spies.append(subprocess.Popen([PYSPY, "record", "--pid", str(proc.pid), "--rate", "100", "--gil",
                                           "--nonblocking", "--format", "raw", "--output",
                                           str(profile / f"{proc.name}.txt")],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))  # fmt: skip
        result = _measure(env, name, feed_name, rate, workers, procs, sink, log)
    finally:
        for spy in spies:  # py-spy writes its profile on SIGINT
            if spy.poll() is None:
                spy.send_signal(signal.SIGINT)
            spy.wait(60)
        for proc in started:
            proc.stop()
    return result


def _measure(env: Env, name: str, feed_name: str, rate: float, workers: int, procs: list[Proc],
             sink: Proc, log: Path) -> E2E:  # fmt: skip
    from sqlalchemy import create_engine, text

    everyone = [*procs, sink]
    meter = sup.CpuMeter({p.name: p.pid for p in everyone}, sup.PG_URL.rsplit("/", 1)[-1])
    meter.start()
    feed_log = env.logdir(name) / "feed.out"
    with feed_log.open("wb") as out:
        feeder = subprocess.Popen([*CHILD, "feed", str(env.feeds[feed_name]), str(rate)], cwd=REPO, env=env.env(),
                                  stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    expected = sum(1 for _ in env.feeds[feed_name].open(encoding="utf-8")) - 1
    engine = create_engine(sup.PG_URL)
    reader = sup.SinkLog(log)
    marks, rss_marks, backlog = [0.25, 0.5, 0.75, 1.0], {p.name: [] for p in everyone}, []
    deadline = time.monotonic() + max(300.0, expected / 10)
    began = time.time()
    try:
        with engine.connect() as conn:
            while marks:
                reader.poll()
                done = len(reader.notifications)
                while marks and done >= marks[0] * expected:
                    for proc in everyone:
                        rss_marks[proc.name].append(sup.status_kb(proc.pid, "VmRSS") / 1024)
                    backlog.append(_backlog(conn, marks.pop(0), time.time() - began))
                if time.monotonic() > deadline or any(p.popen.poll() is not None for p in procs):
                    raise RuntimeError(f"{name}: {done} of {expected} notifications; see {env.logdir(name)}")
                time.sleep(0.1)
            time.sleep(0.5)  # the urgent cases' escalations may trail their notifications
            reader.poll()
            cpu, busy = meter.stop()
            wall = time.time() - began
            created = dict(conn.execute(text("SELECT id, extract(epoch FROM created_at) FROM cases")).all())
            outbox = dict(conn.execute(text("SELECT actor_name, count(*) FROM outbox GROUP BY actor_name")).all())
        feeder.wait(60)
    finally:
        if feeder.poll() is None:
            feeder.kill()
            feeder.wait()
        engine.dispose()
    fed = json.loads(feed_log.read_text().strip().splitlines()[-1])
    peak = {p.name: sup.status_kb(p.pid, "VmHWM") / 1024 for p in everyone}
    peak["intake"], cpu["intake"] = fed["peak_rss_mb"], fed["cpu_s"]
    latencies = [reader.notifications[i] - float(created[i]) for i in reader.notifications]
    ids = [line.split(" ")[1] for line in log.read_text().splitlines()]
    rate_e2e = len(reader.notifications) / (max(reader.notifications.values()) - fed["started"])
    return E2E(workers, len(reader.notifications), rate_e2e, sup.percentiles(latencies), peak, rss_marks, backlog,
               dict(reader.kinds), fed["rate"], len(ids) - len(set(ids)), cpu, busy, wall, outbox)  # fmt: skip


def _backlog(conn: Any, mark: float, at: float) -> str:
    from sqlalchemy import text

    unpublished, cases, instances = conn.execute(text(
        "SELECT (SELECT count(*) FROM outbox WHERE published_at IS NULL), (SELECT count(*) FROM cases),"
        " (SELECT count(*) FROM cases WHERE workflow IS NOT NULL)")).one()  # fmt: skip
    conn.rollback()
    q = sup.QueueDepths().read()
    return (f"{mark:4.0%} at {at:5.1f} s: cases {cases:,}, started {instances:,}, outbox unpublished "
            f"{unpublished:,}, queue workflow {q['workflow']:,}, outgoing-mail {q['outgoing-mail']:,}")  # fmt: skip


def print_e2e(result: E2E, threads: int) -> None:
    p = result.latency
    print(
        f"  {result.workers} worker{'s' if result.workers > 1 else ' '} × {threads} threads: "
        f"{result.rate:6,.0f} cases/s  latency p50 {p[50]:6.2f} s  p95 {p[95]:6.2f} s  p99 {p[99]:6.2f} s  "
        f"({result.cases:,} notifications; emails {result.emails}; duplicates {result.duplicates}; "
        f"intake alongside {result.intake_rate:,.0f} cases/s)"
    )
    peaks = ", ".join(f"{k} {v:.0f}" for k, v in result.peak_mb.items())
    print(f"      peak RSS MB: {peaks}")
    for proc, values in result.rss_marks.items():
        print(f"      RSS MB at 25/50/75/100%: {proc:<10} " + " / ".join(f"{v:.0f}" for v in values))
    for line in result.backlog:
        print(f"      {line}")
    print("      " + sup.cpu_report(result.cpu, result.busy, result.wall, result.cases))
    print(f"      outbox messages: {result.outbox} (the reconciler re-nudges cases unstarted after 2 min)")

