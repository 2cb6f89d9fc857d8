"""Guard tests: the deployment files and the code agree."""

from __future__ import annotations

import re
from pathlib import Path

from workers.queues import ACTOR_QUEUES, ALL_QUEUES

REPO = Path(__file__).resolve().parents[2]


def test_the_queues_the_compose_worker_consumes_match_workers_queues() -> None:
    compose = (REPO / "compose.yaml").read_text(encoding="utf-8")
    match = re.search(r'command: \["worker", "--queues", "([^"]+)"\]', compose)
    assert match, "compose.yaml has no worker command with --queues"
    assert tuple(match.group(1).split(",")) == ALL_QUEUES


def test_every_actor_has_a_queue_that_a_worker_consumes() -> None:
    assert set(ACTOR_QUEUES.values()) <= set(ALL_QUEUES)


def test_queue_names_are_kebab_case() -> None:
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*", q) for q in ALL_QUEUES)
