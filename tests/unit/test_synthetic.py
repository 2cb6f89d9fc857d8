"""The synthetic intake feed: deterministic, realistic against the reference CSVs, streaming, round-trips to files."""

from __future__ import annotations

import csv
import json
import re
import tracemalloc
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from workers.demo.synthetic import (
    DEFAULT_REFERENCE_DIR,
    FIELDS,
    FeedMix,
    generate_labelled,
    generate_records,
    write_feed,
)

# The package copy of the reference CSVs may still be on its way; the shared originals are identical.
REFERENCE_DIR = (
    DEFAULT_REFERENCE_DIR if (DEFAULT_REFERENCE_DIR / "woonplaatsen.csv").exists() else Path("/work/shared/data")
)
TODAY = date(2025, 3, 6)  # a Thursday: report offsets cross weekends
N = 20_000
POSTCODE = re.compile(r"^(\d{4}) ?([A-Z]{2})$")


def _rows(name: str) -> list[dict[str, str]]:
    with (REFERENCE_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@dataclass(frozen=True)
class Reference:
    """The reference CSVs, read independently of the module under test."""

    codes: set[str]
    names: dict[str, str]  # current name -> CBS code
    place_pairs: set[tuple[str, str]]  # (woonplaats, CBS code)
    place_counts: Counter[str]  # in how many municipalities a woonplaats name occurs
    pc4: dict[str, str]
    legacy: dict[str, dict[str, str]]


@pytest.fixture(scope="module")
def reference() -> Reference:
    municipalities = _rows("municipalities.csv")
    places = _rows("woonplaatsen.csv")
    return Reference(
        codes={row["cbs_code"] for row in municipalities},
        names={row["name"]: row["cbs_code"] for row in municipalities},
        place_pairs={(row["woonplaats"], row["cbs_code"]) for row in places},
        place_counts=Counter(row["woonplaats"] for row in places),
        pc4={row["pc4"]: row["cbs_code"] for row in _rows("postcodes_pc4.csv")},
        legacy={row["old_cbs_code"]: row for row in _rows("legacy_municipalities.csv")},
    )


@pytest.fixture(scope="module")
def labelled() -> list[tuple[str, dict[str, str]]]:
    return list(generate_labelled(N, seed=11, today=TODAY, reference_dir=REFERENCE_DIR))


@pytest.fixture(scope="module")
def clean(labelled: list[tuple[str, dict[str, str]]]) -> list[dict[str, str]]:
    return [record for label, record in labelled if label == "clean"]


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").replace("-", " ")


def _resolve(gemeente: str, reference: Reference) -> str | None:
    """Map every form the feed uses for a municipality to its current CBS code (legacy chains included)."""
    names, legacy = reference.names, reference.legacy
    by_plain = {_plain(name): code for name, code in names.items()}
    by_old_name = {row["old_name"]: code for code, row in legacy.items()}
    code = names.get(gemeente) or by_plain.get(gemeente) or by_old_name.get(gemeente)
    code = code or (gemeente if gemeente.startswith("GM") else f"GM{gemeente}")
    while code in legacy:
        successors = legacy[code]["successor_cbs_codes"].split(";")
        if len(successors) != 1:
            return None
        code = successors[0]
    return code if code in reference.codes else None


def test_the_same_seed_gives_the_same_feed_and_another_seed_a_different_one() -> None:
    first = list(generate_records(500, seed=5, today=TODAY, reference_dir=REFERENCE_DIR))
    again = list(generate_records(500, seed=5, today=TODAY, reference_dir=REFERENCE_DIR))
    other = list(generate_records(500, seed=6, today=TODAY, reference_dir=REFERENCE_DIR))
    assert first == again
    assert first != other


def test_records_carry_exactly_the_intake_fields_as_strings(labelled: list[tuple[str, dict[str, str]]]) -> None:
    for _, record in labelled[:2000]:
        assert tuple(record) == FIELDS
        assert all(isinstance(value, str) for value in record.values())


def test_dji_ids_are_unique_except_for_the_intended_duplicates(labelled: list[tuple[str, dict[str, str]]]) -> None:
    seen: dict[str, dict[str, str]] = {}
    for label, record in labelled:
        if label == "duplicate":
            # Then the record repeats an earlier one verbatim
            assert seen[record["dji_id"]] == record
        else:
            assert record["dji_id"] not in seen
            seen[record["dji_id"]] = record


def test_clean_woonplaats_and_pc4_belong_to_the_same_municipality(
    clean: list[dict[str, str]], reference: Reference
) -> None:
    pc4, place_pairs = reference.pc4, reference.place_pairs
    for record in clean:
        match = POSTCODE.match(record["postcode"])
        assert match, record["postcode"]
        digits, letters = match.groups()
        assert letters not in {"SA", "SD", "SS"}
        assert (record["woonplaats"], pc4[digits]) in place_pairs


def test_clean_gemeente_names_the_municipality_of_the_address_or_is_left_to_a_unique_woonplaats(
    clean: list[dict[str, str]], reference: Reference
) -> None:
    pc4, place_counts = reference.pc4, reference.place_counts
    forms: Counter[str] = Counter()
    for record in clean:
        gemeente, code = record["gemeente"], pc4[record["postcode"][:4]]
        if not gemeente:
            assert place_counts[record["woonplaats"]] == 1
            forms["empty"] += 1
            continue
        assert _resolve(gemeente, reference) == code, gemeente
        forms["cbs" if gemeente.startswith("GM") else "brp" if gemeente.isdigit() else "name"] += 1
    assert forms["name"] > 0.7 * len(clean)
    assert min(forms["empty"], forms["cbs"], forms["brp"]) > 0.02 * len(clean)
    assert {record["gemeente"] for record in clean} & {"Sudwest Fryslan", "Menaldumadeel", "Menameradiel"}


def test_sentence_lengths_follow_the_slide_bands(clean: list[dict[str, str]]) -> None:
    days = [int(record["sentence_days"]) for record in clean]
    assert all(1 <= day <= 364 for day in days)
    shares = [sum(low <= day <= high for day in days) / len(days) for low, high in ((1, 21), (22, 90), (91, 364))]
    assert shares == pytest.approx([0.55, 0.35, 0.10], abs=0.02)


def test_report_dates_lie_between_today_and_about_twelve_weeks_ahead(
    labelled: list[tuple[str, dict[str, str]]],
) -> None:
    dates = [date.fromisoformat(record["report_date"]) for _, record in labelled]
    assert all(TODAY <= day <= TODAY + timedelta(days=90) for day in dates)
    assert all(day.weekday() < 5 for day in dates)
    urgent = sum(day <= TODAY + timedelta(days=7) for day in dates) / len(dates)
    three_to_eight_weeks = sum(21 <= (day - TODAY).days <= 58 for day in dates) / len(dates)
    assert 0.03 < urgent < 0.15
    assert three_to_eight_weeks > 0.5


def test_clean_people_are_adults_mostly_between_20_and_45(clean: list[dict[str, str]]) -> None:
    ages = []
    for record in clean:
        born = date.fromisoformat(record["birth_date"])
        ages.append(TODAY.year - born.year - ((TODAY.month, TODAY.day) < (born.month, born.day)))
    assert min(ages) >= 18
    assert max(ages) <= 70
    assert sum(20 <= age <= 45 for age in ages) / len(ages) == pytest.approx(0.72, abs=0.03)


def test_clean_institution_is_veenhuizen_or_leeuwarden_and_contact_details_are_partial(
    clean: list[dict[str, str]],
) -> None:
    assert {record["institution"].casefold() for record in clean} == {"pi veenhuizen", "pi leeuwarden"}
    phones = [record["phone"] for record in clean if record["phone"]]
    emails = [record["email"] for record in clean if record["email"]]
    assert len(phones) / len(clean) == pytest.approx(0.6, abs=0.03)
    assert len(emails) / len(clean) == pytest.approx(0.6, abs=0.03)
    assert all(re.fullmatch(r"(06-?|\+31 6 )[1-5]\d{7}", phone) for phone in phones)
    assert all(re.fullmatch(r"[a-z0-9.'_-]+@[a-z0-9.-]+\.[a-z]+", email) for email in emails)


def test_feed_mix_shares_come_out_roughly_as_set(labelled: list[tuple[str, dict[str, str]]]) -> None:
    shares = {label: count / N for label, count in Counter(label for label, _ in labelled).items()}
    assert shares["ambiguous"] == pytest.approx(0.02, abs=0.005)
    assert shares["ineligible"] == pytest.approx(0.01, abs=0.004)
    assert shares["invalid"] == pytest.approx(0.01, abs=0.004)
    assert shares["duplicate"] == pytest.approx(0.005, abs=0.003)


def test_a_zero_mix_gives_only_clean_records() -> None:
    labels = {
        label for label, _ in generate_labelled(3000, today=TODAY, reference_dir=REFERENCE_DIR, mix=FeedMix(0, 0, 0, 0))
    }
    assert labels == {"clean"}


def test_a_mix_beyond_one_or_below_zero_is_refused() -> None:
    with pytest.raises(ValueError):
        FeedMix(0.6, 0.6, 0, 0)
    with pytest.raises(ValueError):
        FeedMix(-0.1, 0, 0, 0)


def test_each_imperfect_record_carries_a_flaw_of_its_kind(
    labelled: list[tuple[str, dict[str, str]]], reference: Reference
) -> None:
    pc4, place_counts = reference.pc4, reference.place_counts
    flaws: dict[str, Counter[str]] = defaultdict(Counter)
    for label, record in labelled:
        if label == "ambiguous":
            assert place_counts[record["woonplaats"]] > 1
            assert record["gemeente"] == record["postcode"] == ""
        elif label == "ineligible":
            reasons = {
                "sentence": int(record["sentence_days"]) >= 365,
                "institution": record["institution"] == "PI Zwolle",
                "address": record["postcode"][:4] not in pc4,
            }
            assert any(reasons.values()), record
            flaws[label].update(reason for reason, found in reasons.items() if found)
        elif label == "invalid":
            defects = {
                "birth_date": record["birth_date"].endswith("-02-30"),
                "surname": record["surname"] == "",
                "sentence_days": not record["sentence_days"].isdigit(),
                "postcode": re.fullmatch(r"\d{5}", record["postcode"]) is not None,
            }
            assert any(defects.values()), record
            flaws[label].update(defect for defect, found in defects.items() if found)
    assert set(flaws["ineligible"]) == {"sentence", "institution", "address"}
    assert set(flaws["invalid"]) == {"birth_date", "surname", "sentence_days", "postcode"}


@pytest.mark.parametrize(("fmt", "delimiter"), [("csv", ","), ("csv", ";"), ("jsonl", ",")])
def test_write_feed_round_trips(tmp_path: Path, fmt: str, delimiter: str) -> None:
    records = list(generate_records(300, seed=3, today=TODAY, reference_dir=REFERENCE_DIR))
    path = tmp_path / f"feed.{fmt}"

    written = write_feed(path, iter(records), fmt=fmt, delimiter=delimiter)  # type: ignore[arg-type]

    with path.open(encoding="utf-8", newline="") as handle:
        if fmt == "csv":
            read_back = list(csv.DictReader(handle, delimiter=delimiter))
        else:
            read_back = [json.loads(line) for line in handle]
    assert written == len(records)
    assert read_back == records


def test_write_feed_refuses_an_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_feed(tmp_path / "feed.xml", [], fmt="xml")  # type: ignore[arg-type]


def test_a_hundred_thousand_records_stream_in_bounded_memory() -> None:
    # Given the reference tables and name pools already loaded (they are cached per process)
    next(generate_records(1, seed=2019, today=TODAY, reference_dir=REFERENCE_DIR))
    tracemalloc.start()
    try:
        # When the whole feed is consumed without keeping it
        count = sum(1 for _ in generate_records(100_000, seed=2019, today=TODAY, reference_dir=REFERENCE_DIR))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Then memory stays flat
    assert count == 100_000
    assert peak < 30 * 1024 * 1024
