"""Routing across the region's border: residents from elsewhere, namesakes, contradicting postcodes,
Frisian names. Every table is drawn from the shipped national lists, not typed into the test."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

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
from workflows.model import Municipality
from workflows.names import normalize_name
from workflows.routing import PostcodeArea, Registry, Woonplaats, route

REGISTRY = load_registry()
CURRENT = {m.cbs_code: m for m in iter_municipalities()}
LEGACY = {m.cbs_code: m for m in iter_legacy()}
OUTSIDE = {m.cbs_code: m for m in iter_outside_municipalities()}
_SUFFIX = re.compile(r"\s+\(?(?:GN|FR|DR|GLD|NB|NH|AC|L)\)?$", re.IGNORECASE)


def _keys(name: str) -> set[str]:
    """The keys a BAG name answers to: itself and its name without the BAG province suffix."""
    return {normalize_name(name), normalize_name(_SUFFIX.sub("", name))}


INSIDE_PLACES: defaultdict[str, set[str]] = defaultdict(set)  # key → region municipalities
for _place in iter_woonplaatsen():
    for _key in _keys(_place.name):
        INSIDE_PLACES[_key].add(_place.cbs_code)
for _alias in iter_aliases():
    if _alias.kind == "woonplaats":
        INSIDE_PLACES[normalize_name(_alias.alias)].add(_alias.cbs_code)
ELSEWHERE_PLACES: defaultdict[str, set[str]] = defaultdict(set)  # key → municipalities elsewhere
ELSEWHERE_NAMES: dict[str, str] = {}  # key → one spelling of it, for the tests' ids
for _place in iter_outside_woonplaatsen():
    for _key in _keys(_place.name):
        ELSEWHERE_PLACES[_key].add(_place.cbs_code)
        ELSEWHERE_NAMES.setdefault(_key, _place.name)
NAMESAKES = sorted(INSIDE_PLACES.keys() & ELSEWHERE_PLACES.keys())
ONLY_ELSEWHERE = sorted(ELSEWHERE_PLACES.keys() - INSIDE_PLACES.keys())
PC4_OF: defaultdict[str, list[str]] = defaultdict(list)
for _area in iter_postcodes():
    PC4_OF[_area.cbs_code].append(_area.pc4)
OUTSIDE_POSTCODE = "1012 AB"  # Amsterdam: not in the region's PC4 table


def routed(gemeente: str | None = None, woonplaats: str | None = None, postcode: str | None = None) -> tuple[Any, ...]:
    decision = route(REGISTRY, gemeente=gemeente, woonplaats=woonplaats, postcode=postcode)
    assert decision.out_of_region == (decision.method == "out_of_region")
    return decision.cbs_code, decision.method, decision.candidates


def frisian_rows() -> list[dict[str, str]]:
    with (DEFAULT_DIRECTORY / "frisian_names.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --- residents from elsewhere are certainly outside ------------------------------------------------


@pytest.mark.parametrize(
    ("gemeente", "woonplaats", "postcode"),
    [
        ("'s-Gravenhage", None, None),
        ("s Gravenhage", None, None),
        ("Den Haag", None, None),
        ("Amsterdam", None, None),
        ("GM0363", None, None),
        ("0363", None, None),
        ("gm 0363", None, "1012 AB"),
        (None, "Zwolle", None),
        ("Zwolle", "Zwolle", None),
        ("Den Bosch", "'s-Hertogenbosch", None),
        (None, "Hengelo", None),  # Hengelo (O) and Hengelo Gld: two municipalities, both elsewhere
        ("Amsterdam", "Zwolle", None),  # they disagree, but neither lies in 3Noord
        ("Nergenshuizen", "Amsterdam", "1012 AB"),
    ],
)
def test_a_record_certainly_outside_the_region_is_out_of_region(
    gemeente: str | None, woonplaats: str | None, postcode: str | None
) -> None:
    assert routed(gemeente, woonplaats, postcode) == (None, "out_of_region", ())


def test_every_municipality_elsewhere_is_out_of_region_by_name_cbs_code_and_brp_code() -> None:
    assert len(OUTSIDE) == 302
    wrong = [
        (text, routed(text))
        for code, municipality in OUTSIDE.items()
        for text in (municipality.name, code, code[2:], municipality.name.upper())
        if routed(text)[1] != "out_of_region"
    ]
    # Hoorn, Buren, Noordwijk, Scherpenzeel and Steenbergen are also woonplaatsen in 3Noord.
    names = ("Buren", "Hoorn", "Noordwijk", "Scherpenzeel", "Steenbergen")
    assert {text for text, _ in wrong} == {*names, *(name.upper() for name in names)}
    assert all(decision[:2] == (None, "ambiguous") and decision[2] for _, decision in wrong)


def test_every_woonplaats_that_exists_only_elsewhere_is_out_of_region_alone_and_with_its_municipality() -> None:
    assert len(ONLY_ELSEWHERE) > 1500
    for key in ONLY_ELSEWHERE:
        name = ELSEWHERE_NAMES[key]
        assert routed(None, name) == (None, "out_of_region", ()), name
        (code, *_) = sorted(ELSEWHERE_PLACES[key])
        assert routed(OUTSIDE[code].name, name)[1] == "out_of_region", name


@pytest.mark.parametrize(
    ("gemeente", "woonplaats", "postcode", "candidates"),
    [
        ("Amsterdam", "Assen", None, ("GM0106",)),
        ("Leeuwarden", "Zwolle", None, ("GM0080",)),
        ("Amsterdam", None, "9401 AB", ("GM0106",)),
        ("Amsterdam", "Amsterdam", "9401 AB", ("GM0106",)),  # two sources agree, yet a region PC4: not certain
        ("GM0405", "Hoorn", "8896 AB", ("GM0093",)),  # Hoorn NH by code, Terschelling by postcode
        (None, "Zwolle", "9401 AB", ("GM0106",)),
    ],
)
def test_evidence_on_both_sides_of_the_border_is_a_conflict_with_region_candidates_only(
    gemeente: str | None, woonplaats: str | None, postcode: str | None, candidates: tuple[str, ...]
) -> None:
    assert routed(gemeente, woonplaats, postcode) == (None, "conflict", candidates)


@pytest.mark.parametrize("gemeente", ["Nergenshuizen", "Amsterdamm", "GM9998", "onbekend"])
def test_an_unknown_name_still_goes_to_triage(gemeente: str) -> None:
    assert routed(gemeente) == (None, "unknown", ())
    assert routed(gemeente, "Zwolle") == (None, "unknown", ())  # an unknown gemeente is bad data: ask


# --- namesakes: a woonplaats name on both sides of the border ----------------------------------------


def test_the_namesakes_are_found_in_the_data() -> None:
    assert {"hoorn", "denham", "oostrum", "haren", "oosterwolde", "buren"} <= set(NAMESAKES)
    assert len(NAMESAKES) == 17


@pytest.mark.parametrize("key", NAMESAKES)
def test_a_namesake_is_never_decided_on_the_name_alone(key: str) -> None:
    region = tuple(sorted(INSIDE_PLACES[key]))
    assert routed(None, key) == (None, "ambiguous", region)


@pytest.mark.parametrize(("key", "code"), [(k, c) for k in NAMESAKES for c in sorted(INSIDE_PLACES[k])])
def test_a_namesake_is_decided_by_a_postcode_in_the_region(key: str, code: str) -> None:
    assert routed(None, key, f"{PC4_OF[code][0]} AB") == (code, "woonplaats_postcode", ())


@pytest.mark.parametrize("key", NAMESAKES)
def test_a_namesake_with_a_postcode_elsewhere_is_out_of_region(key: str) -> None:
    assert routed(None, key, OUTSIDE_POSTCODE) == (None, "out_of_region", ())


@pytest.mark.parametrize("key", NAMESAKES)
def test_a_namesake_is_decided_by_its_municipality_on_either_side(key: str) -> None:
    for code in sorted(INSIDE_PLACES[key]):
        assert routed(code, key) == (code, "code", ())
    for code in sorted(ELSEWHERE_PLACES[key]):
        assert routed(code, key) == (None, "out_of_region", ())


@pytest.mark.parametrize(
    ("gemeente", "candidates"),
    [("Hoorn", ("GM0093",)), ("Haren", ("GM0014",)), ("Buren", ("GM0060",)), ("Noordwijk", ("GM1969",))],
)
def test_a_municipality_on_one_side_that_is_a_woonplaats_on_the_other_needs_more_evidence(
    gemeente: str, candidates: tuple[str, ...]
) -> None:
    assert routed(gemeente) == (None, "ambiguous", candidates)
    assert routed(gemeente, None, f"{PC4_OF[candidates[0]][0]} AB") == (candidates[0], "woonplaats_postcode", ())
    assert routed(gemeente, None, OUTSIDE_POSTCODE) == (None, "out_of_region", ())


# --- a woonplaats that contradicts the postcode ----------------------------------------------------


def test_a_woonplaats_never_goes_to_the_municipality_of_a_postcode_that_contradicts_it() -> None:
    # Given every woonplaats of the region and a PC4 of a region municipality that has no woonplaats of
    # that name, When routed, Then it is a conflict between both, never the PC4's municipality.
    checked = 0
    for key, codes in sorted(INSIDE_PLACES.items()):
        other = next(code for code in sorted(PC4_OF) if code not in codes)
        decision = routed(None, key, f"{PC4_OF[other][0]} AB")
        assert decision[:2] == (None, "conflict"), key
        assert other in decision[2] and set(codes) <= set(decision[2]), key
        checked += 1
    assert checked > 800


@pytest.mark.parametrize(
    ("gemeente", "woonplaats", "postcode", "candidates"),
    [
        (None, "Assen", "8911 AB", ("GM0080", "GM0106")),
        (None, "Hoorn", "9401 AB", ("GM0093", "GM0106")),  # a namesake and a PC4 of neither of its places
        (None, "Snits", "9401 AB", ("GM0106", "GM1900")),
        ("Drachten", None, "8911 AB", ("GM0080", "GM0090")),
        (None, "Den Ham", "9401 AB", ("GM0106", "GM1969")),
    ],
)
def test_a_contradicting_postcode_goes_to_triage(
    gemeente: str | None, woonplaats: str | None, postcode: str, candidates: tuple[str, ...]
) -> None:
    assert routed(gemeente, woonplaats, postcode) == (None, "conflict", candidates)


# --- Frisian names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gemeente", "woonplaats", "expected"),
    [
        ("Ljouwert", None, "GM0080"),
        (None, "Ljouwert", "GM0080"),
        ("Snits", None, "GM1900"),  # the dissolved municipality Sneek
        (None, "Snits", "GM1900"),
        ("Drachten", None, "GM0090"),  # a woonplaats written as the municipality
        ("Harns", None, "GM0072"),
        (None, "Frjentsjer", "GM1949"),
        ("Frjentsjer", None, "GM1949"),
        ("Dokkum", None, "GM1970"),
        (None, "Dockum", "GM1970"),
        ("Boalsert", "Boalsert", "GM1900"),
        ("It Hearrenfean", "Hearrenfean", "GM0074"),  # an unknown woonplaats contradicts nothing
        (None, "De Jouwer", "GM1940"),
        (None, "Grouw", "GM0080"),
        ("Skylge", "West-Skylge", "GM0093"),
    ],
)
def test_common_frisian_names_route_like_their_dutch_names(
    gemeente: str | None, woonplaats: str | None, expected: str | None
) -> None:
    decision = route(REGISTRY, gemeente=gemeente, woonplaats=woonplaats, postcode=None)
    assert decision.cbs_code == expected


@pytest.mark.parametrize("row", frisian_rows(), ids=lambda r: f"{r['kind']}:{r['name']}")
def test_every_name_on_the_frisian_list_routes_like_its_official_name(row: dict[str, str]) -> None:
    official = route(REGISTRY, gemeente=row["official_name"], woonplaats=None, postcode=None)
    if row["kind"] == "municipality":
        assert routed(row["name"])[:2] == (official.cbs_code, "alias")
        assert official.cbs_code is not None or official.method == "ambiguous"
        return
    (code,) = {row["cbs_code"]}
    assert routed(None, row["name"]) == (code, "woonplaats", ())
    assert routed(None, row["name"], f"{PC4_OF[code][0]} AB") == (code, "woonplaats", ())
    other = next(c for c in sorted(PC4_OF) if c != code)
    assert routed(None, row["name"], f"{PC4_OF[other][0]} AB")[1] == "conflict"


# --- routing stays O(1) -----------------------------------------------------------------------------


class _Counting(Mapping[str, Any]):
    """A read-only view of a registry index that counts the lookups routing makes."""

    def __init__(self, inner: Mapping[str, Any], counter: list[int]) -> None:
        self._inner, self._counter = inner, counter

    def __getitem__(self, key: str) -> Any:
        self._counter[0] += 1
        return self._inner[key]

    def __contains__(self, key: object) -> bool:
        self._counter[0] += 1
        return key in self._inner

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("routing must never scan an index")

    def __len__(self) -> int:
        raise AssertionError("routing must never scan an index")


@pytest.mark.parametrize(
    ("gemeente", "woonplaats", "postcode"),
    [
        ("Hoorn", "Hoorn", "1621 AB"),
        ("Haren", "Den Ham", "9401 AB"),
        ("Drachten", "x" * 200, "9999 ZZ"),
        ("gemeente " + "Groningen" * 20, "Zwolle", None),
        ("GM0363", "Amsterdam", "1012 AB"),
    ],
)
def test_routing_makes_a_bounded_number_of_lookups_whatever_the_input(
    gemeente: str, woonplaats: str, postcode: str | None
) -> None:
    counter = [0]
    fields = ("municipalities", "codes", "names", "woonplaatsen", "postcodes", "outside")
    counting: Registry = replace(REGISTRY, **{f: _Counting(getattr(REGISTRY, f), counter) for f in fields})
    route(counting, gemeente=gemeente, woonplaats=woonplaats, postcode=postcode)
    assert counter[0] <= 40


@pytest.mark.parametrize(
    "rows",
    [
        {"outside": [Municipality("GM0001", "Een", "Utrecht")]},  # a region code listed as elsewhere
        {"outside_woonplaatsen": [Woonplaats("Dorp", "GM0001")]},  # an outside place in a region municipality
        {"outside_woonplaatsen": [Woonplaats("Stad", "GM0404")]},  # an outside place in no known municipality
    ],
)
def test_the_registry_rejects_national_rows_that_contradict_the_region(rows: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Registry.from_rows(
            municipalities=[Municipality("GM0001", "Een", "Drenthe")],
            legacy=[],
            woonplaatsen=[Woonplaats("Dorp", "GM0001")],
            postcodes=[PostcodeArea("9999", "GM0001")],
            **{"outside": [Municipality("GM0363", "Amsterdam", "Noord-Holland")], **rows},
        )
