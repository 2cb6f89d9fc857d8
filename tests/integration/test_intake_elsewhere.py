"""Intake end to end of residents from elsewhere: drawn from the national lists, they are ineligible
("woont buiten 3Noord") and none reaches triage, while namesakes and unknown names still do."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from schema.models import CaseRow, IntakeRecord
from schema.reference import iter_outside_municipalities, iter_outside_woonplaatsen, iter_woonplaatsen, load_registry
from workers.demo.synthetic import FeedMix, generate_records, write_feed
from workers.feed_files import iter_feed
from workers.intake import IntakeService
from workflows.intake import OUT_OF_REGION
from workflows.names import normalize_name

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)
REGISTRY = load_registry()
REGION_PLACES = {normalize_name(p.name) for p in iter_woonplaatsen()} | {"haren", "oostrum"}


def elsewhere(n: int, seed: int) -> Iterator[dict[str, str]]:
    """``n`` address parts of residents from elsewhere, in the forms a feed carries them."""
    rng = random.Random(seed)
    municipalities = sorted(iter_outside_municipalities(), key=lambda m: m.cbs_code)
    places = (p for p in iter_outside_woonplaatsen() if normalize_name(p.name) not in REGION_PLACES)
    only_elsewhere = sorted(places, key=lambda p: (p.name, p.cbs_code))
    names = {m.cbs_code: m.name for m in municipalities}
    forms = (
        lambda m, p: {"gemeente": m.name},
        lambda m, p: {"gemeente": m.cbs_code},
        lambda m, p: {"gemeente": m.cbs_code[2:]},  # the BRP code
        lambda m, p: {"woonplaats": p.name},
        lambda m, p: {"woonplaats": p.name, "gemeente": names[p.cbs_code]},
    )
    for i in range(n):
        municipality, place = rng.choice(municipalities), rng.choice(only_elsewhere)
        yield {"gemeente": "", "woonplaats": "", "postcode": ""} | forms[i % len(forms)](municipality, place)


def write(tmp_path: Path, addresses: list[dict[str, str]]) -> Path:
    clean = generate_records(len(addresses), seed=11, today=TODAY, mix=FeedMix(0, 0, 0, 0))
    path = tmp_path / "feed.csv"
    write_feed(path, (record | address for record, address in zip(clean, addresses, strict=True)))
    return path


def ingest(sessions: sessionmaker[Session], path: Path) -> dict[str, object]:
    service = IntakeService(sessions, REGISTRY, institutions=("PI Veenhuizen", "PI Leeuwarden"), clock=lambda: NOW)
    return service.ingest(iter_feed(path), path.name).to_json()


def test_a_hundred_residents_from_elsewhere_are_ineligible_and_none_reaches_triage(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    # Given 100 records whose municipality, code or woonplaats lies only outside 3Noord
    addresses = list(elsewhere(100, seed=3))

    summary = ingest(sessions, write(tmp_path, addresses))

    # Then every one is ineligible with the reason, no case is created, nothing waits for an operator
    assert (summary["received"], summary["ineligible"], summary["needs_routing"]) == (100, 100, 0)
    with sessions() as session:
        reasons = session.scalars(select(IntakeRecord.reasons)).all()
        cases = session.scalar(select(func.count()).select_from(CaseRow))
    assert len(reasons) == 100 and all(r == [OUT_OF_REGION] for r in reasons)
    assert cases == 0


def test_the_border_cases_still_go_to_triage_or_route(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    addresses = [
        {"gemeente": "Den Haag", "woonplaats": "", "postcode": ""},  # elsewhere: ineligible
        {"gemeente": "", "woonplaats": "Zwolle", "postcode": ""},  # elsewhere: ineligible
        {"gemeente": "Nergenshuizen", "woonplaats": "", "postcode": ""},  # unknown: triage
        {"gemeente": "", "woonplaats": "Hoorn", "postcode": ""},  # a namesake alone: triage
        {"gemeente": "", "woonplaats": "Hoorn", "postcode": "8896 AB"},  # Hoorn on Terschelling
        {"gemeente": "", "woonplaats": "Zwolle", "postcode": "9401 AB"},  # contradicts the postcode: triage
        {"gemeente": "Ljouwert", "woonplaats": "", "postcode": ""},  # a Frisian name: Leeuwarden
        {"gemeente": "Drachten", "woonplaats": "", "postcode": ""},  # a woonplaats as municipality
    ]

    results = ingest(sessions, write(tmp_path, addresses))["results"]

    assert isinstance(results, list)
    outcomes = [(r["result"], r["cbs_code"]) for r in results]
    assert outcomes == [
        ("ineligible", None),
        ("ineligible", None),
        ("needs_routing", None),
        ("needs_routing", None),
        ("accepted", "GM0093"),
        ("needs_routing", None),
        ("accepted", "GM0080"),
        ("accepted", "GM0090"),
    ]
