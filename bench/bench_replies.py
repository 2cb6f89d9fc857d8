"""Reading replies, measured on the labelled corpus: per category how Koers does, and how fast.

Prints, per category of a labelled corpus (``--corpus DIR``, default ``tests/data/replies``; the
held-out set written without looking at the rules is ``tests/data/replies_heldout``) (every text sent through two client
shapes): replies, read right, recorded wrong, not read, correctly refused, automatic mail answered,
loops, and p50/p99 milliseconds per reply for the whole reading (MIME parse, classification, quote
and signature stripping, block, inline and prose reading, the plan). Then the method comparison:
the rules for prose (``messaging.prose``) against the block readers alone (no proposals), on the
same replies. Timings are medians over ``--rounds`` passes; the machine is shared, so quote ratios.

    python bench/bench_replies.py [--rounds 5] [--corpus tests/data/replies_heldout]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from testkit.reply_corpus import CORPUS, VERDICTS, Judged, judge, load, messages  # noqa: E402


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(corpus: Path, rounds: int, prose: bool) -> tuple[list[Judged], dict[tuple[int, str], list[float]]]:
    items = list(messages(load(corpus)))
    times: dict[tuple[int, str], list[float]] = defaultdict(list)
    judged: list[Judged] = []
    for _ in range(rounds):
        judged = [judge(entry, shape, raw, prose=prose) for entry, shape, raw in items]
        for j in judged:
            times[(j.entry.index, j.shape)].append(j.ms)
    return judged, times


def table(judged: list[Judged], times: dict[tuple[int, str], list[float]]) -> None:
    by_category: dict[str, list[Judged]] = defaultdict(list)
    for j in judged:
        by_category[j.entry.category].append(j)
    header = ["category", "replies", *VERDICTS, "loops", "p50 ms", "p99 ms"]
    print(" | ".join(header))
    for category, group in [*sorted(by_category.items()), ("all", judged)]:
        counts = Counter(j.verdict for j in group)
        ms = [statistics.median(times[(j.entry.index, j.shape)]) for j in group]
        row = [category, str(len(group)), *(str(counts[v]) for v in VERDICTS), str(sum(j.loop for j in group)),
               f"{_percentile(ms, 0.5):.2f}", f"{_percentile(ms, 0.99):.2f}"]  # fmt: skip
        print(" | ".join(row))
    certain = [j for j in judged if j.entry.is_certain_to_a_human]
    right = sum(j.verdict == "read right" for j in certain)
    print(f"certain to a human: {len(certain)}; read right {right} ({100 * right / len(certain):.1f}%)")


def main() -> None:
    parser = argparse.ArgumentParser(description="Replies lezen, gemeten op het gelabelde corpus.")
    parser.add_argument("--rounds", type=int, default=5, help="aantal rondes voor de tijden (mediaan)")
    parser.add_argument("--corpus", type=Path, default=CORPUS.parent, help="map met labelled.toml (standaard: corpus)")
    args = parser.parse_args()
    corpus = args.corpus.resolve()
    where = corpus.relative_to(REPO) if corpus.is_relative_to(REPO) else corpus
    print(f"# bench_replies {date.today()} on {platform.machine()} {platform.python_version()}, {args.rounds} rounds,"
          f" corpus {where}")
    print("\n## rules for prose (messaging.prose) + block, inline and value readers")
    table(*run(corpus, args.rounds, prose=True))
    print("\n## the block readers alone (no proposals from prose)")
    table(*run(corpus, max(1, args.rounds // 2), prose=False))


if __name__ == "__main__":
    main()
