"""The bare pipeline stage of ``bench_e2e.py``, and end to end against it in alternating runs.

``run_bare`` starts the same SMTP sink process as an end-to-end run, ``workers`` processes of
``bare_children.py worker`` (``threads`` each) and a publisher, on the benchmark's own database and
vhost, and measures cases/s from the first publish to the sink's last acceptance, the way
``run_e2e`` measures from the start of the intake. ``alternate`` runs both in turn (ABBA order, so
that a machine that slowly gets busier favours neither) and prints each round's ratio and the median.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import bare_children as bare
import e2e_support as sup
from e2e_runs import REPO, Env, print_e2e, run_e2e, start_sink

from testkit.processes import Proc

BARE = [sys.executable, str(REPO / "bench" / "bare_children.py")]


@dataclass
class Bare:
    workers: int
    cases: int
    rate: float
    duplicates: int
    cpu: dict[str, float]
    busy: float
    wall: float


def run_bare(env: Env, cases: int, workers: int, threads: int) -> Bare:
    """One run on empty bare tables and an empty queue; every process it starts is stopped, whatever happens."""
    name = env.new_logdir(f"bare-{workers}w")
    child_env = env.env()
    bare.prepare_tables(sup.PG_URL)
    sup.delete_queues([bare.QUEUE])
    started: list[Proc] = []
    try:
        sink, port, log = start_sink(env, name)
        started.append(sink)
        procs = [env.spawn(name, f"worker{i + 1}", [*BARE, "worker", str(threads), str(port)], child_env)
                 for i in range(workers)]  # fmt: skip
        started.extend(procs)
        for proc in procs:
            proc.wait_for_line("bare worker ready")
        return _measure(env, name, cases, workers, procs, sink, log)
    finally:
        for proc in started:
            proc.stop()


def _measure(env: Env, name: str, cases: int, workers: int, procs: list[Proc], sink: Proc, log: Path) -> Bare:
    meter = sup.CpuMeter({p.name: p.pid for p in [*procs, sink]}, sup.PG_URL.rsplit("/", 1)[-1])
    meter.start()
    began = time.time()
    out = env.logdir(name) / "publisher.out"
    with out.open("wb") as fh:
        publisher = subprocess.Popen([*BARE, "publish", str(cases)], cwd=REPO, env=env.env(), stdout=fh,
                                     stderr=subprocess.STDOUT)  # fmt: skip
    reader = sup.SinkLog(log)
    deadline = time.monotonic() + max(300.0, cases / 10)
    try:
        while len(reader.times) < cases:
            if time.monotonic() > deadline or any(p.popen.poll() is not None for p in procs):
                raise RuntimeError(f"{name}: {len(reader.times)} of {cases} messages; see {env.logdir(name)}")
            time.sleep(0.1)
            reader.poll()
        cpu, busy = meter.stop()
        publisher.wait(60)
    finally:
        if publisher.poll() is None:
            publisher.kill()
            publisher.wait()
    published = json.loads(out.read_text().strip().splitlines()[-1])
    cpu["publisher"] = published["cpu_s"]
    ids = [line.split(" ")[1] for line in log.read_text().splitlines()]
    rate = len(reader.times) / (max(reader.times) - published["started"])
    return Bare(workers, len(reader.times), rate, len(ids) - len(set(ids)), cpu, busy, time.time() - began)


def print_bare(result: Bare, threads: int) -> None:
    workers = f"{result.workers} worker{'s' if result.workers > 1 else ' '}"
    print(
        f"  {workers} × {threads} threads: {result.rate:6,.0f} cases/s "
        f"({result.cases:,} messages at the sink; duplicates {result.duplicates})"
    )
    print("      " + sup.cpu_report(result.cpu, result.busy, result.wall, result.cases))


def print_sizes() -> None:
    """The bare letter and message against Koers' (the same letter size is part of a fair baseline)."""
    from bench_letters import letter_data, notification_data

    from messaging.email_message import to_mime
    from messaging.render import Renderer, make_message_id

    renderer, (letter, cbs_code) = Renderer(), letter_data(7)
    pdf = renderer.letter_pdf(letter, cbs_code)
    mail = renderer.notification(notification_data(letter, 7), to=f"zelfmelders@{cbs_code.lower()}.example",
                                 reply_to="t0000007@antwoord.koers.example", letter_pdf=pdf, cbs_code=cbs_code,
                                 message_id=make_message_id("notification", 7, 1, "koers.example",
                                                            key=b"bench-secret-key-0123456789"))  # fmt: skip
    koers_message = to_mime(mail, "Zelfmelders 3Noord <zelfmelders@koers.example>", date=datetime.now(UTC))
    values = bare.case_values(7)
    bare_pdf = bare.letter_pdf(values)
    print(
        f"  per case: letter PDF {len(bare_pdf):,} bytes (Koers {len(pdf):,}), message "
        f"{len(bare.notification(values, bare_pdf).as_bytes()):,} bytes (Koers {len(koers_message.as_bytes()):,})"
    )


def alternate(env: Env, rounds: int, cases: int, workers: int, threads: int) -> list[float]:
    """End to end and bare in turn, ``rounds`` times; prints each round's ratio and the median; returns the ratios."""
    ratios = []
    for n in range(rounds):
        order = ("e2e", "bare") if n % 2 == 0 else ("bare", "e2e")
        rates = {}
        for kind in order:
            if kind == "e2e":
                result = run_e2e(env, "e2e", workers, threads)
                print_e2e(result, threads)
            else:
                result = run_bare(env, cases, workers, threads)
                print("  bare pipeline:")
                print_bare(result, threads)
            rates[kind] = result.rate
        ratios.append(rates["e2e"] / rates["bare"])
        print(f"  round {n + 1} ({' then '.join(order)}): Koers end to end {rates['e2e']:,.0f} cases/s, bare "
              f"{rates['bare']:,.0f} cases/s → {ratios[-1]:.0%} of the bare pipeline\n")  # fmt: skip
    print(f"  median over {rounds} rounds: Koers end to end is {statistics.median(ratios):.0%} of the bare pipeline "
          f"(rounds {', '.join(f'{r:.0%}' for r in ratios)}; target ≥ 70%)")  # fmt: skip
    return ratios
