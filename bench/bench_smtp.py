"""Benchmark: messages per second through ``SmtpMailer`` into an SMTP sink, from 1 and from 4 threads.

Each message is a notification-sized email with the real ~3 KB letter PDF attached, built before
the clock starts: this measures SMTP only (connect once per thread, then MAIL/RCPT/DATA per
message). With the default in-process ``SmtpSink`` every Message-ID is checked to arrive exactly
once; note that the sink then shares the GIL with the senders. ``--url`` sends to a sink in its own
process instead (``python -m testkit.sink_process --port 2526 --log /tmp/sink.log``) or to any relay.
Prints the median.

Usage: ``python bench/bench_smtp.py [-n 2000] [--runs 3] [--threads 1 4] [--url smtp://127.0.0.1:2526]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from datetime import date
from email.message import EmailMessage
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # testkit is not installed: it is imported from the repository

from messaging.email_message import Attachment, OutgoingEmail, to_mime  # noqa: E402
from messaging.render import LetterData, Renderer  # noqa: E402
from messaging.smtp import SmtpMailer  # noqa: E402
from testkit.smtp_sink import SmtpSink  # noqa: E402

SENDER = "Zelfmelders 3Noord <zelfmelders@koers.example>"
TEXT = "Er is een nieuwe zelfmelder aan uw gemeente toegewezen.\n" * 20  # about a notification's length


def letter_pdf() -> bytes:
    data = LetterData(
        case_ref="ZM-000042", recipient_name="Sjoukje de Vries", street="Tsjerkestrjitte", house_number="12a",
        postcode="8701 AB", woonplaats="Boalsert", report_date=date(2025, 3, 17), institution="PI Veenhuizen",
        municipality_name="Leeuwarden", team=None, phone=None, team_email=None, address=None,
        letter_date=date(2025, 2, 17),
    )  # fmt: skip
    return Renderer().letter_pdf(data, "GM0080")


def messages(n: int, run: str, pdf: bytes) -> list[EmailMessage]:
    attachment = Attachment("brief-ZM-000042.pdf", "application/pdf", pdf)
    return [
        to_mime(
            OutgoingEmail(
                f"<zm-{i:06d}.notification.{run}@koers.example>", ("zelfmelders@leeuwarden.example",),
                f"[ZM-{i:06d}] Nieuwe zelfmelder", TEXT, attachments=(attachment,),
            ),
            SENDER,
        )
        for i in range(n)
    ]  # fmt: skip


def send_all(url: str, batch: list[EmailMessage], threads: int) -> float:
    """Send ``batch`` split over ``threads`` threads; returns the elapsed seconds."""
    mailer = SmtpMailer(url)
    chunks = [batch[i::threads] for i in range(threads)]
    workers = [threading.Thread(target=lambda c=chunk: [mailer.send(m) for m in c]) for chunk in chunks]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    mailer.close()
    return elapsed


def measure(n: int, runs: int, threads: int, url: str | None, pdf: bytes) -> float:
    rates = []
    for run in range(runs):
        batch = messages(n, f"{threads}t{run}", pdf)
        if url is not None:
            rates.append(n / send_all(url, batch, threads))
            continue
        with SmtpSink(store=False) as sink:
            elapsed = send_all(sink.url, batch, threads)
            sink.wait_for(n, timeout=30)
            counts = sink.message_ids()
            assert len(counts) == n and max(counts.values()) == 1, "not every message arrived exactly once"
        rates.append(n / elapsed)
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("-n", type=int, default=2000, help="messages per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--url", help="an SMTP sink or relay in another process (default: in-process sink)")
    args = parser.parse_args()
    pdf = letter_pdf()
    size = len(messages(1, "size", pdf)[0].as_bytes())
    where = args.url or "in-process SmtpSink"
    print(f"{args.n} messages per run, {size} bytes each (PDF {len(pdf)} bytes), median of {args.runs}, to {where}")
    for threads in args.threads:
        rate = measure(args.n, args.runs, threads, args.url, pdf)
        print(f"{threads} thread{'s' if threads > 1 else ''}: {rate:,.0f} messages/s")


if __name__ == "__main__":
    main()
