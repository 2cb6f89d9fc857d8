"""The labelled reply corpus: nothing recorded wrong, no automatic mail answered, no loops, ≥ 95% read right.

The held-out corpus (``tests/data/replies_heldout``) goes through the same check for what must never happen:
nothing recorded wrong, no automatic mail answered, no loops.

Behaviour only; the speed of reading is measured by ``bench/bench_replies.py``, never asserted.
"""

from __future__ import annotations

from collections import Counter

import pytest

from testkit.reply_corpus import HELD_OUT, Judged, judge, load, messages

ENTRIES = load()
JUDGED = [judge(entry, shape, raw) for entry, shape, raw in messages(ENTRIES)]
# Written without looking at the rules and never tuned to pass: its read-right share is measured, not asserted.
HELD_OUT_JUDGED = [judge(entry, shape, raw) for entry, shape, raw in messages(load(HELD_OUT))]
# What must never happen holds on both.
BOTH = pytest.mark.parametrize("judged", [JUDGED, HELD_OUT_JUDGED], ids=["corpus", "held-out"])


def test_the_corpus_has_at_least_200_labelled_replies_in_every_category_the_issue_names() -> None:
    assert len(JUDGED) >= 200
    categories = Counter(j.entry.category for j in JUDGED)
    assert {"block", "values", "inline", "prose", "correction", "answer", "doubtful", "signature", "holiday",
            "automatic"} <= set(categories)  # fmt: skip


def _named(judged: list[Judged]) -> list[str]:
    return [f"#{j.entry.index} {j.entry.category} via {j.shape}: {j.entry.text[:60]!r}" for j in judged]


@BOTH
def test_nothing_is_recorded_wrong(judged: list[Judged]) -> None:
    assert _named([j for j in judged if j.verdict == "recorded wrong"]) == []


@BOTH
def test_automatic_mail_is_never_answered(judged: list[Judged]) -> None:
    assert _named([j for j in judged if j.verdict == "answered automatic"]) == []


@BOTH
def test_no_ask_back_is_asked_again_once_answered(judged: list[Judged]) -> None:
    assert _named([j for j in judged if j.loop]) == []


def test_at_least_95_percent_of_the_replies_a_human_is_certain_of_are_read_right() -> None:
    certain = [j for j in JUDGED if j.entry.is_certain_to_a_human]
    right = [j for j in certain if j.verdict == "read right"]

    assert len(right) >= 0.95 * len(certain), _named([j for j in certain if j.verdict != "read right"])


def test_prose_replies_are_read_through_the_proposal_and_not_by_the_block_readers() -> None:
    """The certain prose replies are read right only because the prose is read (into a proposal)."""
    prose = [(e, s, raw) for e, s, raw in messages(ENTRIES) if e.category == "prose" and e.is_certain_to_a_human]
    with_prose = sum(judge(*item).verdict == "read right" for item in prose)
    block_only = sum(judge(*item, prose=False).verdict == "read right" for item in prose)

    assert with_prose >= 0.9 * len(prose) and block_only == 0


def test_the_held_out_corpus_has_at_least_200_replies() -> None:
    assert len(HELD_OUT_JUDGED) >= 200
