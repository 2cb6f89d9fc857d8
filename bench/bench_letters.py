"""Benchmark: letter PDFs per second, and full notification messages per second.

Rendering sits on the hot path of intake bursts (one letter and one notification per case), so
this measures the real work: template render + PDF for letters; render + ``to_mime`` +
``as_bytes`` for notifications. Each letter differs (name, address, dates, reference) so caches
see realistic input. Prints the median of several runs.

Usage: ``python bench/bench_letters.py [-n 2000] [--runs 5]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from messaging.email_message import to_mime
from messaging.render import LetterData, NotificationData, Renderer, make_message_id

SENDER = "Zelfmelders 3Noord <zelfmelders@koers.example>"
GIVEN = ("Sjoukje Zoë", "Jan Pieter", "Fatma", "Wiebren", "Anouk", "Hendrik-Jan", "Şükrü", "Marleen")
SURNAMES = ("de Vries", "Bakker", "Yılmaz", "van der Meulen", "Hoekstra", "Postma", "Jansen", "Zijlstra")
PLACES = (("Leeuwarden", "GM0080", "8911 AB"), ("Súdwest-Fryslân", "GM1900", "8601 CR"), ("Assen", "GM0106", "9401 EA"))


def letter_data(i: int) -> tuple[LetterData, str]:
    """The ``i``-th synthetic letter and its municipality's CBS code."""
    name, cbs_code, postcode = PLACES[i % len(PLACES)]
    return LetterData(
        case_ref=f"ZM-{i:06d}",
        recipient_name=f"{GIVEN[i % len(GIVEN)]} {SURNAMES[i // len(GIVEN) % len(SURNAMES)]}",
        street="Tsjerkestrjitte",
        house_number=str(1 + i % 180),
        postcode=postcode,
        woonplaats=name,
        report_date=date(2025, 3, 3) + timedelta(days=i % 60),
        institution="PI Veenhuizen" if i % 2 else "PI Leeuwarden",
        municipality_name=name,
        team="Team Sociaal Domein",
        phone="14 058",
        team_email=f"zelfmelders@{cbs_code.lower()}.example",
        address="Oldehoofsterkerkhof 2, 8911 DH Leeuwarden",
        letter_date=date(2025, 2, 17),
    ), cbs_code


def notification_data(letter: LetterData, i: int) -> NotificationData:
    """The notification that goes with ``letter``."""
    given, _, surname = letter.recipient_name.partition(" ")
    return NotificationData(
        case_ref=letter.case_ref,
        municipality_name=letter.municipality_name,
        report_date=letter.report_date,
        days_left=10 + i % 50,
        institution=letter.institution,
        sentence_days=7 + i % 200,
        given_names=given,
        surname=surname,
        birth_date=date(1970, 1, 1) + timedelta(days=i * 37 % 12000),
        reason="Er is een nieuwe zelfmelder aan uw gemeente toegewezen.",
        routed_by=f"op woonplaats {letter.woonplaats}",
        street=letter.street,
        house_number=letter.house_number,
        postcode=letter.postcode,
        woonplaats=letter.woonplaats,
        urgent=i % 10 == 0,
    )


def median_rate(n: int, runs: int, work: Callable[[int], object]) -> float:
    """Items per second over ``n`` items, median of ``runs`` runs (after one warm-up item)."""
    work(0)
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        for i in range(n):
            work(i)
        rates.append(n / (time.perf_counter() - start))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="items per run (default 2000)")
    parser.add_argument("--runs", type=int, default=5, help="runs; the median is reported (default 5)")
    args = parser.parse_args()
    renderer = Renderer()
    inputs = [letter_data(i) for i in range(args.n)]
    pdfs = [renderer.letter_pdf(*item) for item in inputs[:50]]
    sizes = [len(pdf) for pdf in pdfs]
    now = datetime(2025, 2, 17, 9, 0, tzinfo=UTC)

    def one_letter(i: int) -> bytes:
        return renderer.letter_pdf(*inputs[i])

    def one_notification(i: int) -> bytes:
        letter, cbs_code = inputs[i]
        mail = renderer.notification(
            notification_data(letter, i),
            to=f"zelfmelders@{cbs_code.lower()}.example",
            reply_to=f"t{i:08x}@antwoord.koers.example",
            message_id=make_message_id("notification", i, 1, "koers.example", key=b"bench-secret-key-0123456789"),
            letter_pdf=pdfs[i % len(pdfs)],
            cbs_code=cbs_code,
        )
        return to_mime(mail, SENDER, date=now).as_bytes()

    letters = median_rate(args.n, args.runs, one_letter)
    print(f"letters:       {letters:8.0f} /s  (median of {args.runs} runs x {args.n})")
    print(f"PDF size:      {statistics.median(sizes) / 1024:8.1f} KiB median, {max(sizes) / 1024:.1f} KiB max")
    messages = median_rate(args.n, args.runs, one_notification)
    print(f"notifications: {messages:8.0f} /s  (render + to_mime + as_bytes, PDF pre-rendered)")
    print(f"both per case: {1 / (1 / letters + 1 / messages):8.0f} cases/s")


if __name__ == "__main__":
    main()
