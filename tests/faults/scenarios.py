"""The fault scenarios: one function each, with its size as parameters, returning the result row.

Each drives a real run on the private services (``tests.faults.services``) through a ``Harness``
and ends with the one check (``tests.faults.invariants.check``), polled from the end of the last
fault until it holds; ``recover_s`` is how long that took. Kill and restart scenarios keep the
working-day timers (none fires, so "notification exactly once" is crisp); ``two_schedulers`` runs
timers in seconds to check that every timer fires at most once. The mail-side scenarios (gateway,
hostile mail, fuzzed intake, privacy canaries) live in ``tests.faults.mail_scenarios``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from random import Random
from typing import Any

from sqlalchemy import func, select

from schema.runtime_models import OutboundEmail, Timer
from tests.faults.harness import SECONDS_TIMERS, Harness
from tests.faults.invariants import Row, check
from tests.faults.services import PrivateServices
from workers.demo.synthetic import FeedMix, generate_records, write_feed

# Stale sends go to review after 8 s instead of 10 min, so a scenario ends within a test run. The
# re-nudge windows stay long: the reconciler re-sends start_workflow for an unstarted case on every
# run (D5), so a window shorter than the backlog floods the outbox (63,159 start_workflow messages
# for 1,928 cases in a 2,000-case run with a 5 s window).
KILL_WINDOWS = {"start": 120, "timer": 120, "email": 120, "stale_sending": 8}
# Longer than SmtpMailer's 30 s time-out: a send stalled by the server is not "stale".
SMTP_WINDOWS = {"start": 120, "timer": 120, "email": 120, "stale_sending": 45}
# D5 probe: the windows the first full run used.
SHORT_WINDOWS = {"start": 5, "timer": 5, "email": 10, "stale_sending": 8}
FEED_MIX = FeedMix(ambiguous=0.02, ineligible=0.01, invalid=0.01, duplicate=0.005)


def feed(h: Harness, n: int, seed: int, chunks: int = 1, mix: FeedMix = FEED_MIX,
         edit: Callable[[int, dict[str, str]], dict[str, str]] | None = None) -> list[Path]:  # fmt: skip
    """``n`` synthetic records in ``chunks`` CSV files (one seed, so dji_ids stay unique)."""
    records = list(generate_records(n, seed=seed, today=date.today(), mix=mix))
    if edit is not None:
        records = [edit(i, r) for i, r in enumerate(records)]
    size = -(-n // chunks)
    paths = []
    for i in range(0, n, size):
        path = h.dir / f"feed-{seed}-{i // size}.csv"
        write_feed(path, records[i : i + size])
        paths.append(path)
    return paths


def settle(h: Harness, since: float, timeout: float, linger: float = 3.0, **kwargs: Any) -> Row:
    """Poll the check until it holds (then once more after ``linger`` s, for late duplicates)."""
    assert h.sink is not None
    h.mark("last fault, settling")
    deadline = time.monotonic() + timeout
    duplicates_seen_at = 0.0
    while True:
        row = check(h.name, h.sessions, h.sink.message_ids(), **kwargs)
        if row.ok:
            recovered = time.monotonic() - since
            time.sleep(linger)
            row = check(h.name, h.sessions, h.sink.message_ids(), **kwargs)
            row.recover_s = recovered if row.ok else None
            h.mark("settled")
            row.figures["timeline"] = h.timeline
            return row
        if row.lost == 0 and row.duplicated and not duplicates_seen_at:
            duplicates_seen_at = time.monotonic()  # nothing is pending, but extra mail went out: it stays out
        if time.monotonic() > deadline or (duplicates_seen_at and time.monotonic() - duplicates_seen_at > linger):
            row.problems.append(f"not settled within {time.monotonic() - since:.0f} s")
            row.figures["timeline"] = h.timeline
            return row
        time.sleep(0.5)


def in_background(work: Callable[[], Any]) -> threading.Thread:
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


def email_count(h: Harness, *states: str, kind: str | None = None) -> int:
    query = select(func.count()).select_from(OutboundEmail).where(OutboundEmail.state.in_(states))
    if kind:
        query = query.where(OutboundEmail.kind == kind)
    with h.sessions() as session:
        return session.scalar(query) or 0


def wait_for(condition: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


def alive(h: Harness, kind: str) -> int:
    return len(h.live(kind))


# --- the scenarios ----------------------------------------------------------------------------------


def worker_kills(services: PrivateServices, cases: int = 250, kills: int = 4, crashes: int = 2, workers: int = 3,
                 windows: Mapping[str, float] = KILL_WINDOWS, seed: int = 101) -> Row:  # fmt: skip
    """kill -9 workers at random moments while cases flow, and workers that die between SMTP acceptance and commit."""
    rng = Random(seed)
    with Harness(services, f"worker_kills_{cases}{'_short' if windows is SHORT_WINDOWS else ''}", windows=windows) as h:
        h.start(workers=workers)
        files = feed(h, cases, seed, chunks=max(4, cases // 250))
        intake = in_background(lambda: [h.intake([path]) for path in files])
        events = ["kill"] * kills + ["crash"] * crashes
        rng.shuffle(events)
        for n, event in enumerate(events):
            time.sleep(rng.uniform(0.3, 2.5))
            if event == "crash":
                _crash_after_accept(h, seed + 1000 + n)
            else:
                victim = rng.choice(h.live("worker"))
                victim.kill9()
                h.worker(4, wait=False)
        last_fault = time.monotonic()
        intake.join(600)
        row = settle(h, last_fault, timeout=180, expect_records=cases + CRASH_FODDER * crashes)
        crashed = [p for p in h.procs if p.name.startswith("crashing-worker") and p.popen.returncode == 137]
        row.figures.update(kills=kills, crashes=len(crashed), workers_alive=alive(h, "worker"),
                           in_review=email_count(h, "needs_review"))  # fmt: skip
        if len(crashed) < crashes:
            row.problems.append(f"only {len(crashed)} of {crashes} workers crashed after an SMTP acceptance")
        return row


CRASH_FODDER = 5  # records ingested for each crashing worker, so that it surely gets a send of its own


def _crash_after_accept(h: Harness, seed: int) -> None:
    """A worker that dies between SMTP acceptance and commit, made certain to get a send.

    Every other worker is killed -9 first (a paused one would still take deliveries into its
    prefetch window), so the crashing worker is the only consumer of what they left unacknowledged
    and of a few fresh cases; then as many workers as before start again.
    """
    victims = h.live("worker")
    for proc in victims:
        proc.kill9()
    crasher = h.crashing_worker()
    h.intake(feed(h, CRASH_FODDER, seed, mix=FeedMix(0, 0, 0, 0)))
    wait_for(lambda: not crasher.is_alive(), 30)
    for _ in victims:
        h.worker(4, wait=False)


def rabbitmq_restart(services: PrivateServices, cases: int = 200, seed: int = 202) -> Row:
    """RabbitMQ stopped and started (as an operator does), then killed -9 and started, while cases flow."""
    rabbit = services.rabbit
    with Harness(services, f"rabbitmq_restart_{cases}") as h:  # the real `koers scheduler`, default windows
        h.start(workers=2)
        files = feed(h, cases, seed, chunks=4)
        h.intake([files[0]])
        time.sleep(1.0)
        rabbit.stop()
        h.intake([files[1]])  # published later: the outbox keeps it
        rabbit.start()
        h.intake([files[2]])
        time.sleep(0.5)
        rabbit.kill9()
        h.intake([files[3]])
        time.sleep(1.0)
        rabbit.start()
        last_fault = time.monotonic()
        row = settle(h, last_fault, timeout=180, expect_records=cases)
        row.figures.update(workers_alive=alive(h, "worker"), schedulers_alive=alive(h, "scheduler"))
        _require_alive(row, h, workers=2, schedulers=1)
        return row


def postgres_outage(services: PrivateServices, cases: int = 200, outage_s: float = 30.0, seed: int = 303) -> Row:
    """PostgreSQL stopped for ``outage_s`` while cases flow: everything backs off and resumes, no dead letters."""
    pg = services.postgres
    with Harness(services, f"postgres_outage_{cases}", windows=KILL_WINDOWS) as h:
        h.start(workers=2)
        h.intake(feed(h, cases, seed))
        wait_for(lambda: email_count(h, "sent") >= cases // 10, 30, 0.05)
        pg.stop("fast")  # most notifications are still being rendered and sent
        down_at = time.monotonic()
        time.sleep(outage_s)
        pg.start()
        last_fault = time.monotonic()
        row = settle(h, last_fault, timeout=240, expect_records=cases)
        row.figures.update(outage_s=round(last_fault - down_at, 1), workers_alive=alive(h, "worker"),
                           in_review=email_count(h, "needs_review"),
                           retries_logged=sum(p.output().count("Retrying message") for p in h.procs))  # fmt: skip
        _require_alive(row, h, workers=2, schedulers=1)
        if row.dead_letters:
            row.problems.append(f"{row.dead_letters} messages dead-lettered during a database outage")
        return row


def smtp_faults(services: PrivateServices, cases: int = 200, hang_s: float = 35.0, seed: int = 404) -> Row:
    """4xx for a while, then 5xx for some recipients, then a server that hangs past the client's time-out."""
    rejected = ("zelfmelders@gm1690.example", "zelfmelders@gm0109.example")
    with Harness(services, f"smtp_faults_{cases}", windows=SMTP_WINDOWS) as h:
        h.start(workers=2)
        sink = h.sink
        assert sink is not None
        files = feed(h, cases, seed, chunks=3)
        # Phase 1: every transaction is answered 451 for 6 s; the first notifications wait and retry.
        sink.command("fail", code=451, stage="DATA", seconds=6)
        h.intake([files[0]])
        time.sleep(6)
        # Phase 2: two municipalities' mailboxes are refused with 550 from now on.
        for address in rejected:
            sink.command("reject", address=address, code=550)
        h.intake([files[1]])
        time.sleep(3)
        # Phase 3: DATA hangs (past SmtpMailer's 30 s time-out in the full run), then 451 (nothing stored).
        sink.command("hang", seconds=hang_s, **{"for": 4.0}, then="451")
        h.intake([files[2]])
        time.sleep(4)
        last_fault = time.monotonic()
        row = settle(h, last_fault, timeout=300, linger=5, expect_records=cases)
        status = h.koers("status", "--json")
        row.figures.update(_smtp_figures(h, rejected), sink=sink.command("stats"), status_exit=status.returncode)
        alert = "mislukt" in status.stdout
        row.figures["alert"] = alert
        if not alert or status.returncode != 1:
            row.problems.append("koers status does not call attention to the failed emails")
        if row.figures["failed_not_rejected"]:
            row.problems.append(f"{row.figures['failed_not_rejected']} emails failed that no 5xx explains")
        return row


def smtp_late_accept(services: PrivateServices, cases: int = 20, seed: int = 414) -> Row:
    """The server stores the message but answers only after SmtpMailer's 30 s time-out: is it sent again?"""
    with Harness(services, f"smtp_late_accept_{cases}", windows=SMTP_WINDOWS) as h:
        h.start(workers=1)
        sink = h.sink
        assert sink is not None
        sink.command("hang", seconds=33, **{"for": 8.0}, then="accept")
        h.intake(feed(h, cases, seed, mix=FeedMix(0, 0, 0, 0)))
        time.sleep(3)
        row = settle(h, time.monotonic(), timeout=180, linger=8, expect_records=cases)
        row.figures.update(_smtp_figures(h, ()), sink=sink.command("stats"))
        return row


def _smtp_figures(h: Harness, rejected: tuple[str, ...]) -> dict[str, Any]:
    with h.sessions() as session:
        emails = list(session.execute(select(OutboundEmail.to_address, OutboundEmail.state, OutboundEmail.attempts,
                                             OutboundEmail.last_error)))  # fmt: skip
    failed = [e for e in emails if e.state == "failed"]
    return {
        "retried": sum(1 for e in emails if e.attempts > 1),
        "max_attempts": max((e.attempts for e in emails), default=0),
        "failed": len(failed),
        "failed_5xx": sum(1 for e in failed if e.to_address in rejected and "550" in (e.last_error or "")),
        "failed_not_rejected": sum(1 for e in failed if e.to_address not in rejected),
        "timed_out_then_sent": sum(1 for e in emails if e.state == "sent" and "time-out" in (e.last_error or "")),
    }


def two_schedulers(services: PrivateServices, cases: int = 150, workers: int = 3, timers: dict[str, str] | None = None,
                   seed: int = 505) -> Row:  # fmt: skip
    """Two ``koers scheduler`` and several workers, timers in seconds; the leader is killed -9 mid-run."""
    timers = timers or SECONDS_TIMERS
    with Harness(services, f"two_schedulers_{cases}", timers=timers) as h:
        h.start(workers=workers, schedulers=2)
        first, second = h.live("scheduler")
        files = feed(h, cases, seed, chunks=2)
        h.intake([files[0]])
        time.sleep(1 + float(timers["first_reminder"].strip("PTS")))  # first reminders are falling due
        leader = next((p for p in (first, second) if "scheduler: leader" in p.output()), first)
        leader.kill9()
        h.intake([files[1]])
        time.sleep(2)
        h.scheduler()  # back to two
        last_fault = time.monotonic()
        # Every timer of the run is due within 12 s of the last intake; wait for them before judging.
        wait_for(lambda: _due_timers_left(h) == 0, 120, 0.5)
        row = settle(h, last_fault, timeout=120, expect_records=cases)
        row.figures.update(leaders=sum("scheduler: leader" in p.output() for p in h.procs),
                           fired=email_count(h, "sent", kind="escalation"))  # fmt: skip
        return row


def _due_timers_left(h: Harness) -> int:
    from datetime import UTC, datetime, timedelta

    soon = datetime.now(UTC) + timedelta(minutes=5)
    with h.sessions() as session:
        return session.scalar(select(func.count()).select_from(Timer)
                              .where(Timer.state.in_(("pending", "claimed")), Timer.due_at < soon)) or 0  # fmt: skip


def _require_alive(row: Row, h: Harness, *, workers: int, schedulers: int) -> None:
    if alive(h, "worker") < workers or alive(h, "scheduler") < schedulers:
        row.problems.append(f"processes died: {alive(h, 'worker')} workers, {alive(h, 'scheduler')} schedulers alive")
