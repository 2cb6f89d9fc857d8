"""Benchmark: why ``to_mime`` builds on compat32 instead of ``email.policy.default``, in figures.

Every case sends a notification (a UTF-8 text part, the PDF letter, a non-ASCII subject). This
measures, alternately in one process so that the machine's drift hits each the same:

- ``to_mime``: Koers' message, compat32 with each header encoded once (``email.policy.SMTP``'s
  folding for the values that need it), as the SMTP client sends it and as the spool writes it;
- ``policy.SMTP``: the same message built the standard way on ``email.policy.SMTP``
  (``set_content``, ``add_attachment``), which parses and re-folds every header on each set and
  each flatten;

and, per non-ASCII subject, the two public encoders ``to_mime`` could use: ``email.policy.SMTP``'s
fold and ``email.header.Header`` (compat32). Prints medians over the rounds and per-round ratios.

Usage: ``python bench/bench_mime.py [-n 1000] [--rounds 7]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP

from aiosmtplib.email import flatten_message
from bench_letters import SENDER, letter_data, notification_data

from messaging.email_message import OutgoingEmail, to_mime
from messaging.render import Renderer, make_message_id

NOW = datetime(2025, 2, 17, 9, 0, tzinfo=UTC)
REFOLD = SMTP.clone(refold_source="all")


def standard_message(mail: OutgoingEmail) -> EmailMessage:
    """The notification built as the ``email`` documentation shows, on ``email.policy.SMTP``."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = SENDER
    msg["To"] = ", ".join(mail.to)
    msg["Subject"] = mail.subject
    msg["Reply-To"] = mail.reply_to or ""
    msg["Message-ID"] = mail.message_id
    msg["Date"] = NOW
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    for name, value in mail.headers.items():
        msg[name] = value
    msg.set_content(mail.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    for attachment in mail.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        msg.add_attachment(attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename)
    return msg


def notifications(n: int) -> list[OutgoingEmail]:
    renderer = Renderer()
    pdfs = [renderer.letter_pdf(*letter_data(i)) for i in range(20)]
    mails = []
    for i in range(n):
        letter, cbs_code = letter_data(i)
        mails.append(renderer.notification(
            notification_data(letter, i), to=f"zelfmelders@{cbs_code.lower()}.example",
            reply_to=f"t{i:08x}@antwoord.koers.example", letter_pdf=pdfs[i % len(pdfs)], cbs_code=cbs_code,
            message_id=make_message_id("notification", i, 1, "koers.example", key=b"bench-secret-key-0123456789"),
        ))  # fmt: skip
    return mails


def rate(items: list[OutgoingEmail], work: Callable[[OutgoingEmail], object]) -> float:
    start = time.perf_counter()
    for item in items:
        work(item)
    return len(items) / (time.perf_counter() - start)


def microseconds(items: list[str], work: Callable[[str], object]) -> float:
    start = time.perf_counter()
    for item in items:
        work(item)
    return (time.perf_counter() - start) / len(items) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="notifications per round (default 1000)")
    parser.add_argument("--rounds", type=int, default=7, help="rounds; medians are reported (default 7)")
    args = parser.parse_args()
    mails = notifications(args.n)
    subjects = [mail.subject for mail in mails]
    variants: dict[str, Callable[[OutgoingEmail], object]] = {
        "to_mime, as sent": lambda m: flatten_message(to_mime(m, SENDER, date=NOW)),
        "policy.SMTP, as sent": lambda m: flatten_message(standard_message(m)),
        "to_mime, as_bytes": lambda m: to_mime(m, SENDER, date=NOW).as_bytes(),
        "policy.SMTP, as_bytes": lambda m: standard_message(m).as_bytes(),
    }
    encoders: dict[str, Callable[[str], object]] = {
        "policy.SMTP fold": lambda s: REFOLD.fold("Subject", s),
        "email.header.Header": lambda s: Header(s, "utf-8", header_name="Subject").encode(linesep="\r\n"),
    }
    rates: dict[str, list[float]] = {name: [] for name in variants}
    costs: dict[str, list[float]] = {name: [] for name in encoders}
    for round_ in range(args.rounds):
        for name in variants if round_ % 2 == 0 else reversed(list(variants)):
            rates[name].append(rate(mails, variants[name]))
        for name in encoders if round_ % 2 == 0 else reversed(list(encoders)):
            costs[name].append(microseconds(subjects, encoders[name]))
    for name, values in rates.items():
        print(f"{name:24s} {statistics.median(values):8.0f} notifications/s  (median of {args.rounds} x {args.n})")
    for kind in ("as sent", "as_bytes"):
        mine, theirs = rates[f"to_mime, {kind}"], rates[f"policy.SMTP, {kind}"]
        ratio = statistics.median(a / b for a, b in zip(mine, theirs, strict=True))
        print(f"to_mime / policy.SMTP, {kind}: {ratio:.2f}x (median of the per-round ratios)")
    for name, values in costs.items():
        print(f"subject encoder {name:20s} {statistics.median(values):6.1f} µs per non-ASCII subject")


if __name__ == "__main__":
    main()
