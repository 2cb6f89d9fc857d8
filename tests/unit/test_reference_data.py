"""The shipped reference data matches SOURCES.md and is internally consistent."""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from schema.reference import (
    DEFAULT_DIRECTORY,
    iter_aliases,
    iter_legacy,
    iter_municipalities,
    iter_outside_municipalities,
    iter_outside_woonplaatsen,
    iter_postcodes,
    iter_woonplaatsen,
    load_registry,
)
from tests.conftest import service_unavailable
from workflows.routing import Alias

SHARED_DATA = Path("/work/shared/data")
COPIED_FILES = [
    "municipalities.csv",
    "legacy_municipalities.csv",
    "woonplaatsen.csv",
    "woonplaatsen_bag.csv",
    "postcodes_pc4.csv",
    "municipalities_nl.csv",
    "woonplaatsen_nl.csv",
]
CURRENT = {m.cbs_code: m for m in iter_municipalities()}
LEGACY = {m.cbs_code: m for m in iter_legacy()}
OUTSIDE = {m.cbs_code: m for m in iter_outside_municipalities()}


def test_there_are_40_municipalities_10_in_groningen_18_in_fryslan_12_in_drenthe() -> None:
    assert len(CURRENT) == 40
    assert Counter(m.province for m in CURRENT.values()) == {"Groningen": 10, "Fryslân": 18, "Drenthe": 12}


def test_there_are_40_legacy_municipalities_none_of_them_current() -> None:
    assert len(LEGACY) == 40
    assert not LEGACY.keys() & CURRENT.keys()


def test_there_are_845_woonplaatsen_199_419_227_per_province() -> None:
    places = list(iter_woonplaatsen())
    assert len(places) == 845
    per_province = Counter(CURRENT[p.cbs_code].province for p in places)
    assert per_province == {"Groningen": 199, "Fryslân": 419, "Drenthe": 227}


def test_both_woonplaats_files_hold_the_same_rows_and_bag_codes_are_unique() -> None:
    with (DEFAULT_DIRECTORY / "woonplaatsen.csv").open(encoding="utf-8", newline="") as handle:
        plain = sorted((row["woonplaats"], row["cbs_code"]) for row in csv.DictReader(handle))
    places = list(iter_woonplaatsen())
    assert plain == sorted((p.name, p.cbs_code) for p in places)
    codes = [p.woonplaatscode or "" for p in places]
    assert len(set(codes)) == 845
    assert all(code.startswith("WP") and code[2:].isdigit() for code in codes)


def test_23_woonplaats_names_occur_in_more_than_one_municipality() -> None:
    municipalities: defaultdict[str, set[str]] = defaultdict(set)
    for place in iter_woonplaatsen():
        municipalities[place.name].add(place.cbs_code)
    shared = {name for name, codes in municipalities.items() if len(codes) > 1}
    assert len(shared) == 23
    assert municipalities["Oudega"] == {"GM0090", "GM1900", "GM1940"}


def test_there_are_987_distinct_pc4_of_four_digits() -> None:
    pc4s = [p.pc4 for p in iter_postcodes()]
    assert len(pc4s) == 987
    assert len(set(pc4s)) == 987
    assert all(len(pc4) == 4 and pc4.isdigit() for pc4 in pc4s)
    assert "9085" not in pc4s  # SOURCES.md: left out, the source has no municipality for it


def test_every_woonplaats_and_pc4_lies_in_a_current_municipality() -> None:
    assert {p.cbs_code for p in iter_woonplaatsen()} <= CURRENT.keys()
    assert {p.cbs_code for p in iter_postcodes()} <= CURRENT.keys()


def test_every_municipality_has_woonplaatsen_and_pc4s() -> None:
    assert {p.cbs_code for p in iter_woonplaatsen()} == CURRENT.keys()
    assert {p.cbs_code for p in iter_postcodes()} == CURRENT.keys()


@pytest.mark.parametrize("code", sorted(LEGACY))
def test_every_successor_chain_ends_in_current_municipalities_without_a_cycle(code: str) -> None:
    # Given a dissolved municipality, When its successors are followed, Then each path ends in a
    # current municipality without revisiting a code.
    paths = [[code]]
    while paths:
        path = paths.pop()
        if path[-1] in CURRENT:
            continue
        assert path[-1] in LEGACY, f"{path} leads to an unknown code"
        for successor in LEGACY[path[-1]].successors:
            assert successor not in path, f"cycle {path} → {successor}"
            paths.append([*path, successor])


def test_the_three_splits_have_the_successors_named_in_sources() -> None:
    assert set(LEGACY["GM0055"].successors) == {"GM0074", "GM0080", "GM1900", "GM1921"}
    assert set(LEGACY["GM0140"].successors) == {"GM0080", "GM1900", "GM1949"}
    assert set(LEGACY["GM0053"].successors) == {"GM1966", "GM1969"}
    assert [code for code, m in LEGACY.items() if len(m.successors) > 1] == ["GM0055", "GM0140", "GM0053"]


@pytest.mark.parametrize("alias", list(iter_aliases()), ids=lambda a: a.alias)
def test_every_alias_points_to_a_known_code(alias: Alias) -> None:
    assert alias.cbs_code in CURRENT.keys() | LEGACY.keys() | OUTSIDE.keys()
    assert alias.note
    assert alias.kind in {"municipality", "woonplaats"}


def test_woonplaats_aliases_are_not_themselves_woonplaatsen_of_the_region() -> None:
    names = {p.name.casefold() for p in iter_woonplaatsen()}
    aliases = [a for a in iter_aliases() if a.kind == "woonplaats"]
    assert len(aliases) == 6
    assert not {a.alias.casefold() for a in aliases} & names


def test_the_registry_builds_from_the_shipped_data() -> None:
    registry = load_registry()
    assert len(registry.municipalities) == 40
    assert len(registry.postcodes) == 987


def test_sources_md_keeps_the_shared_text_unchanged_and_only_adds_the_projects_section() -> None:
    if not SHARED_DATA.exists():
        service_unavailable(f"the shared reference data in {SHARED_DATA}")
    shared = (SHARED_DATA / "SOURCES.md").read_bytes()
    ours = (DEFAULT_DIRECTORY / "SOURCES.md").read_bytes()
    assert ours.startswith(shared)
    assert ours[len(shared) :].lstrip().startswith(b"## frisian_names.csv")


@pytest.mark.parametrize("name", COPIED_FILES)
def test_the_copied_files_are_unchanged(name: str) -> None:
    if not SHARED_DATA.exists():
        service_unavailable(f"the shared reference data in {SHARED_DATA}")
    assert (DEFAULT_DIRECTORY / name).read_bytes() == (SHARED_DATA / name).read_bytes()


# --- the whole country and the Frisian names --------------------------------------------------------


def test_the_national_lists_hold_342_municipalities_and_2502_woonplaatsen_with_the_region_unchanged() -> None:
    with (DEFAULT_DIRECTORY / "municipalities_nl.csv").open(encoding="utf-8", newline="") as handle:
        national = {row["cbs_code"]: (row["name"], row["province"]) for row in csv.DictReader(handle)}
    assert len(national) == 342 and len(OUTSIDE) == 302
    assert {code: national[code] for code in CURRENT} == {c: (m.name, m.province) for c, m in CURRENT.items()}
    with (DEFAULT_DIRECTORY / "woonplaatsen_nl.csv").open(encoding="utf-8", newline="") as handle:
        places = [(row["woonplaats_code"], row["name"], row["cbs_code"]) for row in csv.DictReader(handle)]
    assert len(places) == 2502 and {code for _, _, code in places} == national.keys()
    region = sorted(p for p in places if p[2] in CURRENT)
    assert region == sorted((p.woonplaatscode, p.name, p.cbs_code) for p in iter_woonplaatsen())
    assert len(list(iter_outside_woonplaatsen())) == 2502 - 845


with (DEFAULT_DIRECTORY / "frisian_names.csv").open(encoding="utf-8", newline="") as _handle:
    FRISIAN = list(csv.DictReader(_handle))
BAG_NAMES = {(p.name, p.cbs_code) for p in iter_woonplaatsen()}


@pytest.mark.parametrize("row", FRISIAN, ids=lambda r: f"{r['kind']}:{r['name']}")
def test_every_frisian_name_points_to_its_official_name_and_names_its_source(row: dict[str, str]) -> None:
    # Given a row of frisian_names.csv, Then its official name is the municipality or BAG woonplaats of
    # its code, the name itself is not an official name, and its source is one SOURCES.md describes.
    if row["kind"] == "municipality":
        official = CURRENT.get(row["cbs_code"]) or LEGACY[row["cbs_code"]]
        assert official.name == row["official_name"]
    else:
        assert row["kind"] == "woonplaats"
        assert (row["official_name"], row["cbs_code"]) in BAG_NAMES
        assert row["name"] not in {name for name, _ in BAG_NAMES}
    assert row["language"] in {"fy", "nl"}
    assert row["source"] in {"gemeinden", "elfsteden", "project"} or re.fullmatch(r"geonames:[0-9]+", row["source"])


def test_the_frisian_list_has_no_repeats_and_few_rows_the_project_added_by_hand() -> None:
    keys = [(row["kind"], row["name"]) for row in FRISIAN]
    assert len(keys) == len(set(keys)) == 114
    added = sorted(row["name"] for row in FRISIAN if row["source"] == "project")
    assert len(added) == 12
    readme = (DEFAULT_DIRECTORY / "README.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in readme for name in added)
