"""A/B in one process: ``build_pdf`` and ``to_mime`` of another source tree against this one.

On a shared, noisy machine two processes run at different moments; here old and new alternate
in short blocks inside one process, so both see the same load. Each round times a block of
letters (``build_pdf`` of the same layouts) and of notifications (``to_mime`` + ``as_bytes`` and
as aiosmtplib sends it) with each tree, in alternating order; it prints the medians and the
median of the per-round ratios new/old.

Usage, e.g. against the code before the public-API change::

    git archive aa1cf4c | tar -x -C /tmp/base
    python bench/ab_inprocess.py /tmp/base --rounds 15 -n 300
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from aiosmtplib.email import flatten_message
from bench_letters import SENDER, letter_data
from bench_mime import NOW, notifications

from messaging import email_message, letter
from messaging.render import Renderer


def load(tree: Path, name: str) -> ModuleType:
    """``messaging/<name>.py`` of ``tree`` as a module of its own (it imports only ReportLab, email, workflows)."""
    spec = importlib.util.spec_from_file_location(f"old_{name}", tree / "messaging" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def layouts(n: int) -> list[letter.LetterLayout]:
    captured: list[letter.LetterLayout] = []
    renderer = Renderer()
    import messaging.render as render

    original = render.build_pdf
    render.build_pdf = lambda layout, compress=True: captured.append(layout) or b""  # type: ignore[assignment,func-returns-value]
    try:
        for i in range(n):
            renderer.letter_pdf(*letter_data(i))
    finally:
        render.build_pdf = original
    return captured


def rate(items: list[object], work: Callable[[object], object]) -> float:
    start = time.perf_counter()
    for item in items:
        work(item)
    return len(items) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old_tree", type=Path)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("-n", type=int, default=300, help="letters and notifications per block (default 300)")
    args = parser.parse_args()
    old_letter, old_mime = load(args.old_tree, "letter"), load(args.old_tree, "email_message")
    items = layouts(args.n)
    mails = notifications(args.n)
    work: dict[str, dict[str, Callable[[object], object]]] = {
        "letters": {"old": old_letter.build_pdf, "new": letter.build_pdf},  # type: ignore[dict-item]
        "to_mime + as_bytes": {
            "old": lambda m: old_mime.to_mime(m, SENDER, date=NOW).as_bytes(),
            "new": lambda m: email_message.to_mime(m, SENDER, date=NOW).as_bytes(),  # type: ignore[arg-type]
        },
        "to_mime, as sent": {
            "old": lambda m: flatten_message(old_mime.to_mime(m, SENDER, date=NOW)),
            "new": lambda m: flatten_message(email_message.to_mime(m, SENDER, date=NOW)),  # type: ignore[arg-type]
        },
    }
    rates = {what: {"old": [], "new": []} for what in work}  # type: dict[str, dict[str, list[float]]]
    for round_ in range(args.rounds):
        for what, sides in work.items():
            inputs: list[object] = list(items) if what == "letters" else list(mails)
            for side in ("old", "new") if round_ % 2 == 0 else ("new", "old"):
                rates[what][side].append(rate(inputs, sides[side]))
    for what, sides in rates.items():
        ratios = [new / old for old, new in zip(sides["old"], sides["new"], strict=True)]
        print(f"{what:20s} old {statistics.median(sides['old']):7.0f}/s  new {statistics.median(sides['new']):7.0f}/s"
              f"  new/old per round, median {statistics.median(ratios):.2f}"
              f" (range {min(ratios):.2f}-{max(ratios):.2f}, {args.rounds} rounds)")  # fmt: skip

if __name__ == "__main__":
    main()
