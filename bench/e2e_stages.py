"""The single stages of ``bench_e2e.py``: the broker, rendering and SMTP alone, and Koers' own stages alone.

Each gives a rate of one stage with the whole machine to itself; the summary compares end to end
with the slowest of them (the ceiling).
"""

from __future__ import annotations

import time

import e2e_support as sup
from e2e_runs import CHILD, Env, fresh_state, start_koers, start_sink

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
        while conn.execute(text("SELECT count(*) FROM cases WHERE workflow IS NOT NULL")).scalar_one() < n:
            if time.monotonic() > deadline:
                raise TimeoutError("start_workflow stage did not finish")
            time.sleep(0.2)
            conn.rollback()
        span = ("SELECT extract(epoch FROM min(at)), extract(epoch FROM max(at)) FROM audit_events"
                " WHERE event = 'workflow_started'")
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
