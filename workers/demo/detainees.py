"""Synthetic short-sentenced detainees: the wider group of the region's 2019 plan, for the demo and tests.

A detainee record is a self-reporter record of the same region, names and sentences (``synthetic``), with
``group = detainee`` and the two dates of a person already inside instead of a report date: the feed
announces them soon after custody began (a third of the sentence served at most), so ``release_date``
is ``custody_since`` plus the sentence. Short sentences mean an early release: many detainees come in
within ten working days of it, which is why so many of their cases are urgent. No phone or email: the
person cannot be reached at home. The same seed and ``today`` give the same records.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from workers.demo.synthetic import DEFAULT_REFERENCE_DIR, FIELDS, _build_pools, _Generator, _load_region

GROUP = "detainee"
DETAINEE_FIELDS = (*(f for f in FIELDS if f not in ("report_date", "phone", "email")),
                   "group", "custody_since", "release_date")  # fmt: skip
_SEED_OFFSET = 7919  # a stream of its own, so that adding detainees leaves a seed's self-reporters as they were


def generate_detainees(n: int, *, seed: int = 2019, today: date, reference_dir: Path | None = None,
                       start: int = 1) -> Iterator[dict[str, str]]:  # fmt: skip
    """Yield ``n`` clean detainee records (all strings, ``DETAINEE_FIELDS``), dji_ids ``DJI-D…`` from ``start``."""
    region = _load_region((reference_dir or DEFAULT_REFERENCE_DIR).resolve())
    gen = _Generator(seed + _SEED_OFFSET, today, region, _build_pools(seed))
    for index in range(start, start + n):
        yield detainee_from(gen.clean(index), gen.rng.random(), today, f"DJI-D{seed:04d}-{index:07d}")


def detainee_from(record: dict[str, str], served_share: float, today: date, dji_id: str) -> dict[str, str]:
    """The self-reporter ``record`` as a detainee who has served ``served_share`` of a third of the sentence."""
    sentence = int(record["sentence_days"])
    served = int(served_share * (sentence // 3))
    custody_since = today - timedelta(days=served)
    release = custody_since + timedelta(days=sentence)
    person = {key: value for key, value in record.items() if key in DETAINEE_FIELDS}
    return person | {"dji_id": dji_id, "group": GROUP, "custody_since": custody_since.isoformat(),
                     "release_date": max(release, today + timedelta(days=1)).isoformat()}  # fmt: skip


__all__ = ["DETAINEE_FIELDS", "detainee_from", "generate_detainees"]
