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
4. the bare pipeline (``bare_children.py``): the same work per case without Koers' bookkeeping (one
   PostgreSQL transaction with two inserts, one dramatiq message with publisher confirms, one
   ReportLab one-page letter, one SMTP send) for ``--cases`` cases with ``--bare-workers`` processes
   × ``--threads`` threads, on the same PostgreSQL, RabbitMQ and sink process; the ratio to end to end;
5. reply processing (``store_inbound`` + ``ReplyProcessor.process``): messages/s and p99;
6. a steady, non-saturated feed (``--steady-rate`` cases/s for ``--steady-seconds``): latency;
7. with py-spy installed, a profile of a worker and the scheduler during a saturated run;
8. the summary: end to end against the slowest single stage (the ceiling) and the bare pipeline.

``--alternate N`` runs only end to end and the bare pipeline, in turn, N rounds (``--bare-workers``
processes for both), and prints each round's ratio and the median: the figure to quote, as the
machine's drift between two runs cancels out of a ratio within one round.

Each end-to-end run also reports the CPU seconds per case of every process group (the benchmark's
processes, PostgreSQL backends of its database, RabbitMQ, and the other load on the machine), so
that runs on a shared machine can be compared, and the outbox messages per actor (the reconciler's
re-nudges show up there).

Timers keep their working-day defaults, so none fires during the run: only notifications (and the
escalations that urgent cases get at once) are sent. Uses its own database and RabbitMQ vhost (see
``e2e_support``: ``KOERS_BENCH_DATABASE_URL``, ``KOERS_BENCH_BROKER_URL``), so it never touches the
queues of a running test suite.

Usage: ``.venv/bin/python bench/bench_e2e.py [--cases 10000] [--workers 1 2 4] [--threads 8]`` or
``python -m bench.bench_e2e …`` (``--quick`` for a smoke run, ``--only e2e bare …`` for some sections,
``--e2e-runs 3`` for medians, ``--alternate 3``, ``--keep`` to keep every process log; ``--help`` for
the rest). Do not run two at once: they share the database and the vhost.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]

import e2e_support as sup  # noqa: E402
from e2e_bare import alternate, print_bare, print_sizes, run_bare  # noqa: E402
from e2e_profile import summarize_profile  # noqa: E402
from e2e_runs import CHILD, PYSPY, Env, make_feed, print_e2e, run_e2e  # noqa: E402
from e2e_stages import stage_broker, stage_koers, stage_render, stage_smtp  # noqa: E402

from testkit.databases import recreate_database  # noqa: E402
from testkit.flow import write_config  # noqa: E402

SECTIONS = ("stages", "koers", "e2e", "bare", "replies", "steady", "profile")


# --- main ----------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=10_000, help="cases per end-to-end (and bare) run")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4], help="worker process counts")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker process")
    parser.add_argument("--e2e-runs", type=int, default=1, help="end-to-end runs per worker count (median)")
    parser.add_argument("--bare-workers", type=int, default=2, help="worker processes of the bare pipeline")
    parser.add_argument("--alternate", type=int, default=0, metavar="N",
                        help="only end to end and the bare pipeline, in turn, N rounds; the ratio's median")
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
    if args.quick:
        args.cases, args.runs, args.noop, args.render, args.smtp = 1000, 1, 1000, 200, 300
        args.stage_cases, args.replies, args.steady_seconds, args.profile_cases = 500, 200, 5, 500
    if args.alternate:
        args.only = []
    return args


def make_env(tmp: Path, args: argparse.Namespace) -> Env:
    """The run's folder, its ``KOERS_CONFIG`` and the feeds the chosen sections need."""
    scheduler = {"relay_interval": "PT0.1S", "sweep_interval": "PT1S"}
    if args.reconcile:
        scheduler["reconcile_interval"] = args.reconcile
    env = Env(tmp, write_config(tmp / "koers.toml", scheduler=scheduler))
    (tmp / "home").mkdir()
    sizes = {"e2e": args.cases, "stage": args.stage_cases, "steady": int(args.steady_rate * args.steady_seconds),
             "profile": args.profile_cases or 1}  # fmt: skip
    wanted = {"e2e"} if args.alternate else {"e2e", "stage", "steady", "profile"}
    env.feeds = {name: make_feed(tmp / f"{name}.csv", n, seed) for seed, (name, n) in enumerate(sizes.items(), 42)
                 if name in wanted}  # fmt: skip
    return env


def main() -> None:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the finally blocks stop the children
    print(
        f"machine: {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{date.today().isoformat()}; database {sup.PG_URL.rsplit('/', 1)[-1]}, vhost {sup.VHOST}"
    )
    sup.ensure_vhost()
    recreate_database(sup.PG_URL)
    tmp = Path(tempfile.mkdtemp(prefix="koers-bench-e2e-"))
    try:
        env = make_env(tmp, args)
        if args.alternate:
            print(f"\nend to end against the bare pipeline: {args.cases:,} cases, {args.bare_workers} worker "
                  f"processes × {args.threads} threads each, {args.alternate} rounds")  # fmt: skip
            print_sizes()
            alternate(env, args.alternate, args.cases, args.bare_workers, args.threads)
            return
        summary = run_all(env, args)
    finally:
        if args.keep:
            print(f"logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if {"stages", "koers", "e2e", "steady", "replies"} <= set(args.only):
        print_summary(summary, args)


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
        s["e2e"] = section_e2e(env, args)
    if "bare" in only:
        print(f"\n4. bare pipeline: {args.cases:,} cases, {args.bare_workers} worker processes × {args.threads} "
              "threads + publisher (confirms) + sink process")  # fmt: skip
        print_sizes()
        s["bare"] = run_bare(env, args.cases, args.bare_workers, args.threads)
        print_bare(s["bare"], args.threads)
        if args.bare_workers in s.get("e2e", {}):
            ratio = s["e2e"][args.bare_workers].rate / s["bare"].rate
            print(f"  Koers end to end with {args.bare_workers} workers: {ratio:.0%} of the bare pipeline")
    if "replies" in only:
        s["replies"] = section_replies(env, args, has_e2e="e2e" in only)
    if "steady" in only:
        print(
            f"\n6. steady feed: {args.steady_rate:g} cases/s for {args.steady_seconds:g} s, "
            f"{args.steady_workers} worker process(es)"
        )
        s["steady"] = run_e2e(env, "steady", args.steady_workers, args.threads, rate=args.steady_rate,
                              label="steady")  # fmt: skip
        print_e2e(s["steady"], args.threads)
    if "profile" in only and args.profile_cases:
        section_profile(env, args)
    return s


def section_e2e(env: Env, args: argparse.Namespace) -> dict[int, Any]:
    print(
        f"\n3. end to end: {args.cases:,} cases, worker processes × {args.threads} threads + 1 scheduler "
        f"(relay 0.1 s, sweep 1 s) + sink process"
    )
    medians = {}
    for workers in args.workers:
        results = []
        for _ in range(args.e2e_runs):
            results.append(run_e2e(env, "e2e", workers, args.threads))
            print_e2e(results[-1], args.threads)
        results.sort(key=lambda r: r.rate)
        medians[workers] = results[len(results) // 2]
        if len(results) > 1:
            print(
                f"      median of {len(results)} runs: {medians[workers].rate:,.0f} cases/s "
                f"(runs {sup.fmt_runs([r.rate for r in results])})"
            )
    return medians


def section_replies(env: Env, args: argparse.Namespace, has_e2e: bool) -> dict[str, Any] | None:
    if not has_e2e:
        print("\n5. reply processing: needs the end-to-end runs (their sent notifications); skipped")
        return None
    print("\n5. reply processing (store_inbound + ReplyProcessor.process, one thread, on the last run's cases)")
    out = sup.child_json([*CHILD, "replies", str(args.replies)], env.env())
    print(
        f"  {out['messages']:,} replies: {out['rate']:,.0f} messages/s, latency p50 {out['p50_ms']:.1f} ms, "
        f"p99 {out['p99_ms']:.1f} ms; verdicts {out['states']}; peak RSS {out['peak_rss_mb']:.0f} MB"
    )
    return out


def section_profile(env: Env, args: argparse.Namespace) -> None:
    if not PYSPY:
        print("\n7. profile: skipped (py-spy not found: `.venv/bin/pip install py-spy`)")
        return
    print(
        f"\n7. profile: {args.profile_cases:,} cases, 1 worker × {args.threads} threads, py-spy "
        "(samples of the thread holding the GIL)"
    )
    folder = env.logdir("profile-spy")
    print_e2e(run_e2e(env, "profile", 1, args.threads, label="profile", profile=folder), args.threads)
    for path in sorted(folder.glob("*.txt")):
        summarize_profile(path)


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
        "\n8. summary (cases/s; per case "
        f"{k['messages_per_case']:.2f} broker messages and {k['emails_per_case']:.2f} emails)"
    )
    print(f"  {'stage':<34} {'cases/s':>8}")
    for name, value in {**stages, **own}.items():
        print(f"  {name:<34} {value:8,.0f}" + ("   ← ceiling (slowest single stage)" if name == slowest else ""))
    bare = s.get("bare")
    print(
        f"  {'end to end':<22} {'cases/s':>8} {'of ceiling':>11} {'of bare':>8} {'p50 s':>7} {'p95 s':>7} "
        f"{'p99 s':>7} {'worker peak MB':>15} {'CPU ms/case':>12} {'machine busy':>13}"
    )
    for workers, r in s["e2e"].items():
        worker_peak = max(v for name, v in r.peak_mb.items() if name.startswith("worker"))
        of_bare = f"{r.rate / bare.rate:.0%}" if bare is not None and workers == bare.workers else "—"
        print(
            f"  {f'{workers} worker(s) saturated':<22} {r.rate:8,.0f} {r.rate / ceiling:11.0%} {of_bare:>8} "
            f"{r.latency[50]:7.2f} {r.latency[95]:7.2f} {r.latency[99]:7.2f} {worker_peak:15.0f} "
            f"{sum(r.cpu_groups().values()) * 1000 / r.cases:12.1f} {r.busy:13.0%}"
        )
    if bare is not None:
        print(f"  {f'bare, {bare.workers} worker(s)':<22} {bare.rate:8,.0f} {bare.rate / ceiling:11.0%} {'100%':>8} "
              f"{'':>23} {'':>15} {sum(bare.cpu.values()) * 1000 / bare.cases:12.1f} {bare.busy:13.0%}")  # fmt: skip
    st = s["steady"]
    print(
        f"  {f'steady {args.steady_rate:g}/s':<22} {st.rate:8,.0f} {'—':>11} {'—':>8} {st.latency[50]:7.2f} "
        f"{st.latency[95]:7.2f} {st.latency[99]:7.2f}"
    )
    best = max(r.rate for r in s["e2e"].values())
    print(
        f"  target: ≥ 150 cases/s (best {best:,.0f}), p95 < 2 s unsaturated ({st.latency[95]:.2f} s), "
        f"≥ 60% of the ceiling (best {best / ceiling:.0%}), ≥ 70% of the bare pipeline"
    )
    print(f"  replies: {s['replies']['rate']:,.0f} messages/s, p99 {s['replies']['p99_ms']:.1f} ms")


if __name__ == "__main__":
    main()
