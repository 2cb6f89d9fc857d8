"""End-to-end benchmark: intake → notification accepted by an SMTP sink, on RabbitMQ + PostgreSQL.

One command, one machine, one run; it prints:

1. single stages: no-op dramatiq messages on the broker (publish with confirms, as the outbox relay
   does; consume with one worker process), letters (``Renderer.letter_pdf``) and notifications per
   second, ``SmtpMailer`` into a sink in another process (notification with the PDF);
2. Koers' own stages alone (``--stage-cases``, one worker process): intake, outbox relay,
   ``start_workflow``, ``send_email``;
3. end to end for ``--cases`` cases with 1, 2 and 4 ``koers worker`` processes (``--threads`` each)
   and one ``koers scheduler`` (relay every 0.1 s, sweep every 1 s): cases/s, latency from the case's
   ``created_at`` to the sink's acceptance (p50/p95/p99), peak RSS per process, worker RSS at
   25/50/75/100% of the run, the backlog (outbox rows, queue depths) at those moments;
4. reply processing (``store_inbound`` + ``ReplyProcessor.process``): messages/s and p99;
5. a steady, non-saturated feed (``--steady-rate`` cases/s for ``--steady-seconds``): latency;
6. with py-spy installed, a profile of a worker and the scheduler during a saturated run;
7. the summary: end to end against the slowest single stage (the ceiling).

Each end-to-end run also reports the CPU seconds per case of every process group (the benchmark's
processes, PostgreSQL backends of its database, RabbitMQ, and the other load on the machine), so
that runs on a shared machine can be compared, and the outbox messages per actor (the reconciler's
re-nudges show up there).

Timers keep their working-day defaults, so none fires during the run: only notifications (and the
escalations that urgent cases get at once) are sent. Uses its own database (``koers_bench_e2e``,
recreated; ``KOERS_BENCH_DATABASE_URL``) and its own RabbitMQ vhost ``koers_bench`` (created when
missing; ``KOERS_BENCH_BROKER_URL``), so it never touches the queues of a running test suite.

Usage: ``.venv/bin/python bench/bench_e2e.py [--cases 10000] [--workers 1 2 4] [--threads 8]``
(``--quick`` for a smoke run, ``--only e2e steady …`` for some sections, ``--e2e-runs 3`` for medians,
``--keep`` to keep every process log; ``--help`` for the rest). Do not run two at once: they share
the database and the vhost.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]

import e2e_support as sup  # noqa: E402
from e2e_profile import summarize_profile  # noqa: E402

CHILD = [sys.executable, str(REPO / "bench" / "e2e_children.py")]
SINK = [sys.executable, str(REPO / "bench" / "timestamp_sink.py")]
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


def make_feed(path: Path, n: int, seed: int) -> Path:
    from workers.synthetic import FeedMix, generate_records, write_feed

    write_feed(path, generate_records(n, seed=seed, today=date.today(), mix=FeedMix(0, 0, 0, 0)))
    return path


def start_sink(env: Env, name: str) -> tuple[sup.Proc, int, Path]:
    port = sup.free_port()
    log = env.logdir(name) / "accepted.log"
    sink = sup.spawn("sink", [*SINK, "--port", str(port), "--log", str(log)], os.environ.copy(), env.logdir(name))
    sink.wait_for_line("listening on")
    return sink, port, log


def start_koers(env: Env, name: str, port: int, workers: int, threads: int, scheduler: bool = True,
                queues: str | None = None) -> list[sup.Proc]:  # fmt: skip
    procs = []
    extra = ["--queues", queues] if queues else []
    for i in range(workers):
        procs.append(sup.spawn(f"worker{i + 1}", [sup.KOERS, "worker", "--threads", str(threads), *extra],
                               env.env(port), env.logdir(name)))  # fmt: skip
    if scheduler:
        procs.append(sup.spawn("scheduler", [sup.KOERS, "scheduler"], env.env(port), env.logdir(name)))
    for proc in procs:
        proc.wait_for_line("worker:" if proc.name.startswith("worker") else "scheduler started")
    return procs


def fresh_state() -> None:
    sup.reset_schema(sup.PG_URL)
    sup.delete_queues(sup.KOERS_QUEUES)


# --- 1. single stages ---------------------------------------------------------------------------------


def stage_broker(env: Env, n: int, runs: int, threads: int) -> dict[str, float]:
    publish, consume = [], []
    for _ in range(runs):
        sup.delete_queues(["bench-noop"])
        publish.append(sup.child_json([*CHILD, "noop-enqueue", str(n)])["rate"])
        consume.append(sup.child_json([*CHILD, "noop-worker", str(n), str(threads)])["rate"])
    sup.delete_queues(["bench-noop"])
    print(
        f"  no-op dramatiq, publish with confirms (1 thread): {sup.median(publish):7,.0f} messages/s "
        f"(runs {sup.fmt_runs(publish)})"
    )
    print(
        f"  no-op dramatiq, consume (1 worker, {threads} threads):   {sup.median(consume):7,.0f} messages/s "
        f"(runs {sup.fmt_runs(consume)})"
    )
    return {"publish": sup.median(publish), "consume": sup.median(consume)}


def stage_render(n: int, runs: int) -> dict[str, float]:
    out = sup.child_json([*CHILD, "render", str(n), str(runs)])
    per_case = 1 / (1 / out["letters"] + 1 / out["notifications"])
    print(
        f"  letters (Renderer.letter_pdf):                   {out['letters']:7,.0f} /s (median of {runs}; "
        f"PDF {out['pdf_bytes'] / 1024:.1f} KiB)"
    )
    print(f"  notifications (render + to_mime + as_bytes):     {out['notifications']:7,.0f} /s")
    print(f"  both, per case (one process):                    {per_case:7,.0f} cases/s")
    return {"letters": out["letters"], "notifications": out["notifications"], "per_case": per_case}


def stage_smtp(env: Env, n: int, runs: int, thread_counts: list[int]) -> dict[int, float]:
    sink, port, _ = start_sink(env, "smtp")
    rates = {}
    try:
        for threads in thread_counts:
            out = sup.child_json([*CHILD, "smtp", f"smtp://127.0.0.1:{port}", str(n), str(threads), str(runs)])
            rates[threads] = out["rate"]
            print(
                f"  SmtpMailer → sink process, {threads} thread{'s' if threads > 1 else ' '}:       "
                f"{out['rate']:7,.0f} messages/s (runs {sup.fmt_runs(out['runs'])}; {out['bytes']:,} bytes each)"
            )
    finally:
        sink.stop()
    return rates


# --- 2. Koers' stages alone ---------------------------------------------------------------------------


def stage_koers(env: Env, threads: int) -> dict[str, float]:
    """Intake, relay, start_workflow and send_email one after another, each alone (one worker process)."""
    from sqlalchemy import create_engine, text

    fresh_state()
    engine = create_engine(sup.PG_URL)
    feed = sup.child_json([*CHILD, "feed", str(env.feeds["stage"]), "0"], env.env())
    n = feed["counts"].get("accepted", 0)
    relay1 = sup.child_json([*CHILD, "relay"], env.env())
    procs = start_koers(env, "stage-workflow", 0, 1, threads, scheduler=False, queues="workflow")
    deadline = time.monotonic() + 600
    with engine.connect() as conn:
        while conn.execute(text("SELECT count(*) FROM workflow_instances")).scalar_one() < n:
            if time.monotonic() > deadline:
                raise TimeoutError("start_workflow stage did not finish")
            time.sleep(0.2)
            conn.rollback()
        span = "SELECT extract(epoch FROM min(created_at)), extract(epoch FROM max(created_at)) FROM workflow_instances"
        first, last = conn.execute(text(span)).one()
    for proc in procs:
        proc.stop()
    start_rate = (n - 1) / float(last - first)
    relay2 = sup.child_json([*CHILD, "relay"], env.env())
    emails = relay2["published"]
    sink, port, log = start_sink(env, "stage-mail")
    procs = start_koers(env, "stage-mail", port, 1, threads, scheduler=False, queues="outgoing-mail")
    reader = sup.SinkLog(log)
    deadline = time.monotonic() + 600
    while len(reader.times) < emails:
        if time.monotonic() > deadline:
            raise TimeoutError("send_email stage did not finish")
        time.sleep(0.2)
        reader.poll()
    for proc in [*procs, sink]:
        proc.stop()
    send_rate = (emails - 1) / (max(reader.times) - min(reader.times))
    engine.dispose()
    relay_rate = (relay1["published"] + relay2["published"]) / (
        relay1["published"] / relay1["rate"] + relay2["published"] / relay2["rate"]
    )
    per_case = (relay1["published"] + relay2["published"]) / n
    print(f"  intake (koers intake path, {n:,} cases):          {feed['rate']:7,.0f} cases/s")
    print(
        f"  outbox relay (relay_outbox, confirms):           {relay_rate:7,.0f} messages/s "
        f"({per_case:.2f} messages per case → {relay_rate / per_case:,.0f} cases/s)"
    )
    print(f"  start_workflow (1 worker, {threads} threads):           {start_rate:7,.0f} cases/s")
    print(
        f"  send_email (1 worker, {threads} threads, {emails:,} emails):  {send_rate:7,.0f} emails/s "
        f"({emails / n:.2f} emails per case → {send_rate * n / emails:,.0f} cases/s)"
    )
    return {"intake": feed["rate"], "relay": relay_rate, "relay_cases": relay_rate / per_case,
            "start_workflow": start_rate, "send_email": send_rate, "send_email_cases": send_rate * n / emails,
            "messages_per_case": per_case, "emails_per_case": emails / n}  # fmt: skip


# --- 3. end to end -------------------------------------------------------------------------------------


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
        """CPU seconds per group, the worker processes added up."""
        groups: dict[str, float] = {}
        for name, seconds in self.cpu.items():
            key = "workers" if name.startswith("worker") else name
            groups[key] = groups.get(key, 0.0) + seconds
        return dict(sorted(groups.items(), key=lambda kv: -kv[1]))


def run_e2e(env: Env, feed_name: str, workers: int, threads: int, rate: float = 0.0, label: str = "",
            profile: Path | None = None) -> E2E:  # fmt: skip
    """One run on a fresh database and fresh queues; every process it starts is stopped, whatever happens."""
    name = env.new_logdir(label or f"e2e-{workers}w")
    fresh_state()
    started: list[sup.Proc] = []
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


def _measure(env: Env, name: str, feed_name: str, rate: float, workers: int, procs: list[sup.Proc],
             sink: sup.Proc, log: Path) -> E2E:  # fmt: skip
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
    ids = [line.split()[1] for line in log.read_text().splitlines()]
    rate_e2e = len(reader.notifications) / (max(reader.notifications.values()) - fed["started"])
    return E2E(workers, len(reader.notifications), rate_e2e, sup.percentiles(latencies), peak, rss_marks, backlog,
               dict(reader.kinds), fed["rate"], len(ids) - len(set(ids)), cpu, busy, wall, outbox)  # fmt: skip


def _backlog(conn: Any, mark: float, at: float) -> str:
    from sqlalchemy import text

    unpublished, cases, instances = conn.execute(text(
        "SELECT (SELECT count(*) FROM outbox WHERE published_at IS NULL), (SELECT count(*) FROM cases),"
        " (SELECT count(*) FROM workflow_instances)")).one()  # fmt: skip
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
    groups = result.cpu_groups()
    print(
        f"      CPU over {result.wall:.0f} s (machine busy {result.busy:.0%} of {os.cpu_count()} cores), "
        f"ms per case: "
        + ", ".join(f"{k} {v * 1000 / result.cases:.1f}" for k, v in groups.items() if v > 0)
        + f"; total {sum(groups.values()) * 1000 / result.cases:.1f}; other load on the machine "
        f"{max(0.0, result.busy * (os.cpu_count() or 1) - sum(groups.values()) / result.wall):.2f} cores"
    )
    print(f"      outbox messages: {result.outbox} (the reconciler re-nudges cases unstarted after 2 min)")


# --- main ----------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=10_000, help="cases per end-to-end run")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4], help="worker process counts")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker process")
    parser.add_argument("--e2e-runs", type=int, default=1, help="end-to-end runs per worker count (median)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each single-stage measurement (median)")
    parser.add_argument("--noop", type=int, default=5000, help="no-op messages per run")
    parser.add_argument("--render", type=int, default=1000, help="letters per run")
    parser.add_argument("--smtp", type=int, default=1000, help="messages per SMTP run")
    parser.add_argument("--stage-cases", type=int, default=5000, help="cases for Koers' stages alone")
    parser.add_argument("--replies", type=int, default=2000, help="replies to process")
    parser.add_argument("--steady-rate", type=float, default=20.0)
    parser.add_argument("--steady-seconds", type=float, default=20.0)
    parser.add_argument("--steady-workers", type=int, default=1)
    parser.add_argument("--profile-cases", type=int, default=3000, help="0: no py-spy profile")
    parser.add_argument("--reconcile", help="reconciler interval (ISO 8601, e.g. PT1H); default Koers' 30 s")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS), help="sections to run")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder with every process log")
    parser.add_argument("--quick", action="store_true", help="small numbers everywhere (a smoke run)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the finally blocks stop the children
    if args.quick:
        args.cases, args.runs, args.noop, args.render, args.smtp = 1000, 1, 1000, 200, 300
        args.stage_cases, args.replies, args.steady_seconds, args.profile_cases = 500, 200, 5, 500
    print(
        f"machine: {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{date.today().isoformat()}; database {sup.PG_URL.rsplit('/', 1)[-1]}, vhost {sup.VHOST}"
    )
    sup.ensure_vhost()
    sup.recreate_database(sup.PG_URL)
    tmp = Path(tempfile.mkdtemp(prefix="koers-bench-e2e-"))
    env = Env(tmp, sup.write_config(tmp / "koers.toml", reconcile=args.reconcile))
    (tmp / "home").mkdir()
    env.feeds = {"e2e": make_feed(tmp / "e2e.csv", args.cases, 42),
                 "stage": make_feed(tmp / "stage.csv", args.stage_cases, 43),
                 "steady": make_feed(tmp / "steady.csv", int(args.steady_rate * args.steady_seconds), 44),
                 "profile": make_feed(tmp / "profile.csv", args.profile_cases or 1, 45)}  # fmt: skip
    try:
        summary = run_all(env, args)
    finally:
        if args.keep:
            print(f"logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if {"stages", "koers", "e2e", "steady", "replies"} <= set(args.only):
        print_summary(summary, args)


SECTIONS = ("stages", "koers", "e2e", "replies", "steady", "profile")


def run_all(env: Env, args: argparse.Namespace) -> dict[str, Any]:
    s: dict[str, Any] = {}
    only = set(args.only)
    if "stages" in only:
        print("\n1. single stages")
        s["broker"] = stage_broker(env, args.noop, args.runs, args.threads)
        s["render"] = stage_render(args.render, args.runs)
        s["smtp"] = stage_smtp(env, args.smtp, args.runs, [1, 4])
    if "koers" in only:
        print(f"\n2. Koers' stages alone ({args.stage_cases:,} cases)")
        s["koers"] = stage_koers(env, args.threads)
    if "e2e" in only:
        print(
            f"\n3. end to end: {args.cases:,} cases, worker processes × {args.threads} threads + 1 scheduler "
            f"(relay 0.1 s, sweep 1 s) + sink process"
        )
        s["e2e"] = {}
        for workers in args.workers:
            results = []
            for _ in range(args.e2e_runs):
                results.append(run_e2e(env, "e2e", workers, args.threads))
                print_e2e(results[-1], args.threads)
            results.sort(key=lambda r: r.rate)
            s["e2e"][workers] = results[len(results) // 2]
            if len(results) > 1:
                print(
                    f"      median of {len(results)} runs: {s['e2e'][workers].rate:,.0f} cases/s "
                    f"(runs {sup.fmt_runs([r.rate for r in results])})"
                )
    if "replies" in only and "e2e" in only:
        print("\n4. reply processing (store_inbound + ReplyProcessor.process, one thread, on the last run's cases)")
        out = sup.child_json([*CHILD, "replies", str(args.replies)], env.env())
        s["replies"] = out
        print(
            f"  {out['messages']:,} replies: {out['rate']:,.0f} messages/s, latency p50 {out['p50_ms']:.1f} ms, "
            f"p99 {out['p99_ms']:.1f} ms; verdicts {out['states']}; peak RSS {out['peak_rss_mb']:.0f} MB"
        )
    elif "replies" in only:
        print("\n4. reply processing: needs the end-to-end runs (their sent notifications); skipped")
    if "steady" in only:
        print(
            f"\n5. steady feed: {args.steady_rate:g} cases/s for {args.steady_seconds:g} s, "
            f"{args.steady_workers} worker process(es)"
        )
        s["steady"] = run_e2e(env, "steady", args.steady_workers, args.threads, rate=args.steady_rate,
                              label="steady")  # fmt: skip
        print_e2e(s["steady"], args.threads)
    if "profile" in only and args.profile_cases and PYSPY:
        print(
            f"\n6. profile: {args.profile_cases:,} cases, 1 worker × {args.threads} threads, py-spy "
            "(samples of the thread holding the GIL)"
        )
        folder = env.logdir("profile-spy")
        print_e2e(run_e2e(env, "profile", 1, args.threads, label="profile", profile=folder), args.threads)
        for path in sorted(folder.glob("*.txt")):
            summarize_profile(path)
    elif "profile" in only and args.profile_cases:
        print("\n6. profile: skipped (py-spy not found: `.venv/bin/pip install py-spy`)")
    return s


def print_summary(s: dict[str, Any], args: argparse.Namespace) -> None:
    k = s["koers"]
    stages = {
        "broker (no-op publish+consume)": min(s["broker"]["publish"], s["broker"]["consume"]) / k["messages_per_case"],
        "render (letter + notification)": s["render"]["per_case"],
        "SMTP into the sink": max(s["smtp"].values()) / k["emails_per_case"],
        "intake": k["intake"],
    }
    own = {"outbox relay": k["relay_cases"], "start_workflow (1 worker)": k["start_workflow"],
           "send_email (1 worker)": k["send_email_cases"]}  # fmt: skip
    slowest = min(stages, key=lambda name: stages[name])
    ceiling = stages[slowest]
    print(
        "\n7. summary (cases/s; per case "
        f"{k['messages_per_case']:.2f} broker messages and {k['emails_per_case']:.2f} emails)"
    )
    print(f"  {'stage':<34} {'cases/s':>8}")
    for name, value in {**stages, **own}.items():
        print(f"  {name:<34} {value:8,.0f}" + ("   ← ceiling (slowest single stage)" if name == slowest else ""))
    print(
        f"  {'end to end':<22} {'cases/s':>8} {'of ceiling':>11} {'p50 s':>7} {'p95 s':>7} {'p99 s':>7} "
        f"{'worker peak MB':>15} {'CPU ms/case':>12} {'machine busy':>13}"
    )
    for workers, r in s["e2e"].items():
        worker_peak = max(v for name, v in r.peak_mb.items() if name.startswith("worker"))
        print(
            f"  {f'{workers} worker(s) saturated':<22} {r.rate:8,.0f} {r.rate / ceiling:11.0%} {r.latency[50]:7.2f} "
            f"{r.latency[95]:7.2f} {r.latency[99]:7.2f} {worker_peak:15.0f} "
            f"{sum(r.cpu_groups().values()) * 1000 / r.cases:12.1f} {r.busy:13.0%}"
        )
    st = s["steady"]
    print(
        f"  {f'steady {args.steady_rate:g}/s':<22} {st.rate:8,.0f} {'—':>11} {st.latency[50]:7.2f} "
        f"{st.latency[95]:7.2f} {st.latency[99]:7.2f}"
    )
    best = max(r.rate for r in s["e2e"].values())
    print(
        f"  target: ≥ 150 cases/s (best {best:,.0f}), p95 < 2 s unsaturated ({st.latency[95]:.2f} s), "
        f"≥ 60% of the ceiling (best {best / ceiling:.0%})"
    )
    print(f"  replies: {s['replies']['rate']:,.0f} messages/s, p99 {s['replies']['p99_ms']:.1f} ms")


if __name__ == "__main__":
    main()
