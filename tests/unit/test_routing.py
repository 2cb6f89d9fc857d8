"""Routing over the real reference data: codes, names, aliases, legacy chains, woonplaats, PC4."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schema.reference import (
    iter_aliases,
    iter_frisian_names,
    iter_legacy,
    iter_municipalities,
    iter_outside_municipalities,
    iter_outside_woonplaatsen,
    iter_postcodes,
    iter_woonplaatsen,
    load_registry,
)
from workflows.model import LegacyMunicipality, Municipality
from workflows.names import normalize_name
from workflows.routing import (
    Alias,
    PostcodeArea,
    Registry,
    Woonplaats,
    route,
)
from workflows.states import RoutingMethod

REGISTRY = load_registry()
CURRENT = {m.cbs_code: m for m in iter_municipalities()}
LEGACY = {m.cbs_code: m for m in iter_legacy()}
PLACES: defaultdict[str, set[str]] = defaultdict(set)
for _place in iter_woonplaatsen():
    PLACES[_place.name].add(_place.cbs_code)
# Every key a woonplaats elsewhere in the country answers to, its BAG name and the name without the
# BAG province suffix (Bergen (NH), Well L): a region name among these is a namesake.
ELSEWHERE = {
    normalize_name(key)
    for _place in iter_outside_woonplaatsen()
    for key in (_place.name, re.sub(r"\s+\(?(GLD|NB|NH|AC|L)\)?$", "", _place.name, flags=re.IGNORECASE))
}
PC4_OF: defaultdict[str, list[str]] = defaultdict(list)
for _area in iter_postcodes():
    PC4_OF[_area.cbs_code].append(_area.pc4)


def finals(code: str) -> set[str]:
    """Follow the successor chain independently of the registry."""
    if code in CURRENT:
        return {code}
    return {end for successor in LEGACY[code].successors for end in finals(successor)}


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def spellings(name: str) -> list[str]:
    variants = [name, name.upper(), name.lower(), strip_accents(name), name.replace("-", " "), name.replace(" ", "")]
    return list(dict.fromkeys(variants))


def routed(gemeente: str | None = None, woonplaats: str | None = None, postcode: str | None = None) -> tuple:
    decision = route(REGISTRY, gemeente=gemeente, woonplaats=woonplaats, postcode=postcode)
    return decision.cbs_code, decision.method, decision.candidates


SPLITS = sorted(code for code in LEGACY if len(finals(code)) > 1)
NOT_SPLIT = sorted(
    code for code in LEGACY if len(finals(code)) == 1 and normalize_name(LEGACY[code].name) not in ELSEWHERE
)
SHARED_PLACES = sorted(name for name, codes in PLACES.items() if len(codes) > 1)
BARE_NAMES = {name[:-3] for name in PLACES if name.upper().endswith((" GN", " FR", " DR"))}
UNIQUE_PLACES = sorted(
    name
    for name, codes in PLACES.items()
    if len(codes) == 1 and name not in BARE_NAMES and normalize_name(name) not in ELSEWHERE
)


def split_cases() -> list[tuple[str, str, str]]:
    """(legacy code, woonplaats in exactly one of its successors, that successor) per successor."""
    cases = []
    for code in SPLITS:
        for successor in sorted(finals(code)):
            place = min(name for name, codes in PLACES.items() if codes & finals(code) == {successor})
            cases.append((code, place, successor))
    return cases


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("left", "right"),
    [("Sudwest Fryslan", "Súdwest-Fryslân"), ("'t Zandt", "t zandt"), ("St.-Annaparochie", "St Annaparochie")],
)
def test_spellings_that_differ_only_in_case_diacritics_and_punctuation_normalise_equally(left: str, right: str) -> None:
    assert normalize_name(left) == normalize_name(right)


# --- the gemeente field -------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(CURRENT))
@pytest.mark.parametrize("form", ["{gm}", "{gm_lower}", "{digits}", "GM {digits}"])
def test_a_current_code_routes_in_cbs_and_brp_form(code: str, form: str) -> None:
    text = form.format(gm=code, gm_lower=code.lower(), digits=code[2:])
    assert routed(text) == (code, "code", ())


@pytest.mark.parametrize(("code", "spelling"), [(c, s) for c, m in CURRENT.items() for s in spellings(m.name)])
def test_a_current_name_routes_whatever_its_case_diacritics_hyphens_or_spaces(code: str, spelling: str) -> None:
    assert routed(spelling) == (code, "name", ())


@pytest.mark.parametrize("code", NOT_SPLIT)
def test_a_dissolved_municipality_routes_to_its_final_successor_by_name_and_code(code: str) -> None:
    (final,) = finals(code)
    for text in (LEGACY[code].name, code, code[2:], strip_accents(LEGACY[code].name).upper()):
        assert routed(text) == (final, "legacy", ())


@pytest.mark.parametrize("code", SPLITS)
def test_a_split_municipality_alone_needs_routing_between_exactly_its_final_successors(code: str) -> None:
    for text in (LEGACY[code].name, code):
        assert routed(text) == (None, "ambiguous", tuple(sorted(finals(code))))


@pytest.mark.parametrize(("code", "place", "successor"), split_cases())
def test_a_split_is_decided_by_a_woonplaats_in_exactly_one_successor(code: str, place: str, successor: str) -> None:
    assert routed(LEGACY[code].name, place) == (successor, "legacy_split_woonplaats", ())


@pytest.mark.parametrize(("code", "successor"), [(c, s) for c in SPLITS for s in sorted(finals(c))])
def test_a_split_is_decided_by_a_postcode_of_one_successor(code: str, successor: str) -> None:
    assert routed(code, None, f"{PC4_OF[successor][0]} AB") == (successor, "legacy_split_postcode", ())


@pytest.mark.parametrize(
    ("gemeente", "woonplaats", "expected"),
    [
        ("Boarnsterhim", "Akkrum", "GM0074"),
        ("Boarnsterhim", "Grou", "GM0080"),
        ("Boarnsterhim", "Nes", "GM0074"),  # Nes is in three municipalities, one of them a successor
        ("Winsum", "Winsum", "GM1966"),
        ("Winsum", "Ezinge", "GM1969"),
        ("Littenseradiel", "Winsum", "GM1949"),
    ],
)
def test_known_villages_of_split_municipalities_route_to_their_successor(
    gemeente: str, woonplaats: str, expected: str
) -> None:
    assert routed(gemeente, woonplaats)[0] == expected


def test_a_split_with_a_woonplaats_in_none_of_its_successors_is_a_conflict() -> None:
    assert routed("Winsum", "Assen") == (None, "conflict", ("GM0106", "GM1966", "GM1969"))


def test_a_legacy_chain_is_recorded_in_the_evidence() -> None:
    decision = route(REGISTRY, gemeente="Menaldumadeel", woonplaats=None, postcode=None)
    assert decision.cbs_code == "GM1949"
    assert "GM0083 → GM1908 → GM1949" in decision.evidence["gemeente"]


@pytest.mark.parametrize(
    "alias",
    [a for a in iter_aliases() if a.kind == "municipality" and a.cbs_code in CURRENT.keys() | LEGACY.keys()],
    ids=lambda a: a.alias,
)
def test_a_municipality_alias_routes_to_the_current_municipality(alias: Alias) -> None:
    (final,) = finals(alias.cbs_code)
    assert routed(alias.alias) == (final, "alias", ())


@pytest.mark.parametrize(
    "province", ["Drenthe", "Friesland", "Fryslân", "Frysland", "FRYSLAN", "Provincie Groningen", "provincie drenthe"]
)
def test_a_province_is_not_a_municipality(province: str) -> None:
    assert routed(province) == (None, "unknown", ())
    assert routed(province, "Assen") == ("GM0106", "woonplaats", ())


def test_groningen_is_also_a_municipality() -> None:
    assert routed("Groningen") == ("GM0014", "name", ())
    assert routed("Gemeente Groningen") == ("GM0014", "name", ())


@pytest.mark.parametrize("gemeente", ["14", "80", "9999", "GM9998", "Nergenshuizen", "Drachtenn", "onbekend"])
def test_an_unknown_gemeente_never_routes_on_woonplaats_or_postcode(gemeente: str) -> None:
    decision = route(REGISTRY, gemeente=gemeente, woonplaats="Assen", postcode="9401 AB")
    assert (decision.cbs_code, decision.method) == (None, "unknown")
    assert "GM0106" in decision.candidates
    assert "onbekend" in decision.evidence["gemeente"]


# --- woonplaats and postcode --------------------------------------------------------------------


@pytest.mark.parametrize("place", UNIQUE_PLACES)
def test_a_woonplaats_unique_in_the_region_routes_alone(place: str) -> None:
    (code,) = PLACES[place]
    assert routed(None, place) == (code, "woonplaats", ())


@pytest.mark.parametrize("place", SHARED_PLACES)
def test_a_woonplaats_in_several_municipalities_alone_needs_routing(place: str) -> None:
    assert routed(None, place) == (None, "ambiguous", tuple(sorted(PLACES[place])))


@pytest.mark.parametrize(("place", "code"), [(p, c) for p in SHARED_PLACES for c in sorted(PLACES[p])])
def test_a_woonplaats_in_several_municipalities_is_decided_by_the_pc4(place: str, code: str) -> None:
    assert routed(None, place, f"{PC4_OF[code][0]}XY") == (code, "woonplaats_postcode", ())


SUFFIXED = sorted(name for name in PLACES if name.upper().endswith((" GN", " FR", " DR")))


@pytest.mark.parametrize("place", SUFFIXED)
def test_a_bag_name_with_a_province_suffix_routes_in_any_spelling(place: str) -> None:
    (code,) = PLACES[place]
    for spelling in (place, place.upper(), f"{place[:-3]} ({place[-2:]})"):
        assert routed(None, spelling) == (code, "woonplaats", ())


def test_a_bare_name_means_every_woonplaats_it_can_stand_for() -> None:
    # Given BAG names "Harkstede" (GM1952) and "Harkstede GN" (GM0014), but one "Haren Gn" (GM0014)
    assert SUFFIXED == ["Haren Gn", "Harkstede GN", "Lageland GN"]
    # (Haren is also a village in Oss: a namesake, see test_routing_elsewhere.py)
    assert routed(None, "Haren", f"{PC4_OF['GM0014'][0]} AB") == ("GM0014", "woonplaats_postcode", ())
    for bare in ("Harkstede", "Lageland"):
        # When only the bare name is given, Then it is ambiguous until the postcode decides
        assert routed(None, bare) == (None, "ambiguous", ("GM0014", "GM1952"))
        assert routed(None, bare, f"{PC4_OF['GM1952'][0]} AB") == ("GM1952", "woonplaats_postcode", ())


@pytest.mark.parametrize(
    "alias",
    [a for a in iter_aliases() if a.kind == "woonplaats" and normalize_name(a.alias) not in ELSEWHERE],
    ids=lambda a: a.alias,
)
def test_an_old_dutch_village_name_routes_like_its_frisian_name(alias: Alias) -> None:
    assert routed(None, alias.alias) == ("GM1970", "woonplaats", ())


def test_sint_is_accepted_for_st() -> None:
    assert routed(None, "Sint Annaparochie")[0] == routed(None, "St.-Annaparochie")[0] == "GM1949"


@pytest.mark.parametrize(("pc4", "code"), [(a.pc4, a.cbs_code) for a in iter_postcodes()])
def test_a_pc4_alone_is_the_last_hint(pc4: str, code: str) -> None:
    assert routed(None, None, f"{pc4} AB") == (code, "pc4", ())


@pytest.mark.parametrize("postcode", ["abc", "0123 AB", "12345", "9711 A", "9085 AB"])
def test_an_invalid_or_unassigned_postcode_is_no_evidence(postcode: str) -> None:
    decision = route(REGISTRY, gemeente=None, woonplaats=None, postcode=postcode)
    assert (decision.cbs_code, decision.method, decision.out_of_region) == (None, "unknown", False)


# --- conflicts and the region's border ----------------------------------------------------------


@pytest.mark.parametrize(
    ("gemeente", "woonplaats", "postcode", "candidates"),
    [
        ("Leeuwarden", "Assen", None, ("GM0080", "GM0106")),
        ("GM0080", None, "9401 AB", ("GM0080", "GM0106")),
        (None, "Assen", "8911 AB", ("GM0080", "GM0106")),
        ("Leeuwarden", None, "1012 AB", ("GM0080",)),
        (None, "Nes", "9401 AB", ("GM0060", "GM0074", "GM0106", "GM1970")),
    ],
)
def test_sources_that_disagree_need_routing(
    gemeente: str | None, woonplaats: str | None, postcode: str | None, candidates: tuple[str, ...]
) -> None:
    assert routed(gemeente, woonplaats, postcode) == (None, "conflict", candidates)


def test_a_pc4_across_the_border_does_not_block_when_woonplaats_confirms_the_gemeente() -> None:
    decision = route(REGISTRY, gemeente="Leeuwarden", woonplaats="Leeuwarden", postcode="9401 AB")
    assert (decision.cbs_code, decision.method) == ("GM0080", "name")
    assert decision.evidence["pc4"] == "9401 → GM0106"
    assert "toelichting" in decision.evidence


@pytest.mark.parametrize(
    ("gemeente", "woonplaats", "postcode"),
    [
        (None, "Amsterdam", "1012 AB"),
        ("Amsterdam", "Amsterdam", "1012 AB"),
        ("GM0363", None, "1012AB"),
        (None, None, "1012"),
    ],
)
def test_an_address_outside_the_region_is_out_of_region(
    gemeente: str | None, woonplaats: str | None, postcode: str | None
) -> None:
    decision = route(REGISTRY, gemeente=gemeente, woonplaats=woonplaats, postcode=postcode)
    assert (decision.cbs_code, decision.method, decision.candidates) == (None, "out_of_region", ())
    assert decision.out_of_region


def test_nothing_at_all_needs_routing_without_candidates() -> None:
    assert routed() == (None, "unknown", ())
    assert routed("", "-", "") == (None, "unknown", ())


# --- robustness, speed and data validation -----------------------------------------------------

NAMES = (
    [m.name for m in CURRENT.values()]
    + [m.name for m in LEGACY.values()]
    + sorted(PLACES)
    + ["Drenthe", "Hoorn", "Haren", "Den Ham", "Oostrum", "Den Haag", "Ljouwert", "Snits", "Drachten", "Dockum"]
    + [m.name for m in iter_outside_municipalities()]
    + sorted({p.name for p in iter_outside_woonplaatsen()})
    + [a.alias for a in iter_frisian_names()]
)
FIELD = st.one_of(
    st.none(), st.text(max_size=60), st.sampled_from(NAMES), st.from_regex(r"(GM)?[0-9]{1,4}", fullmatch=True)
)
POSTCODE = st.one_of(FIELD, st.from_regex(r"[0-9]{4} ?[A-Z]{2}", fullmatch=True))


@settings(max_examples=500, deadline=None)
@given(gemeente=FIELD, woonplaats=FIELD, postcode=POSTCODE)
def test_route_never_raises_and_decides_only_known_municipalities(
    gemeente: str | None, woonplaats: str | None, postcode: str | None
) -> None:
    decision = route(REGISTRY, gemeente=gemeente, woonplaats=woonplaats, postcode=postcode)
    if decision.cbs_code is not None:
        assert decision.cbs_code in CURRENT
        assert decision.method in RoutingMethod.decided()
        assert decision.candidates == ()
    else:
        assert decision.method in RoutingMethod.undecided()
        assert list(decision.candidates) == sorted(set(decision.candidates))
        assert set(decision.candidates) <= CURRENT.keys()
    assert decision.out_of_region == (decision.method == "out_of_region")


def _registry(legacy: list[LegacyMunicipality], aliases: tuple[Alias, ...] = ()) -> Registry:
    return Registry.from_rows(
        municipalities=[Municipality("GM0001", "Een", "Drenthe"), Municipality("GM0002", "Twee", "Drenthe")],
        legacy=legacy,
        woonplaatsen=[Woonplaats("Dorp", "GM0001")],
        postcodes=[PostcodeArea("9999", "GM0002")],
        aliases=aliases,
    )


@pytest.mark.parametrize(
    ("legacy", "aliases"),
    [
        ([LegacyMunicipality("GM0003", "Oud", date(2020, 1, 1), ("GM0004",))], ()),
        (
            [
                LegacyMunicipality("GM0003", "Oud", date(2020, 1, 1), ("GM0004",)),
                LegacyMunicipality("GM0004", "Ouder", date(2020, 1, 1), ("GM0003",)),
            ],
            (),
        ),
        ([], (Alias("Een", "GM0002", "botst met een gemeentenaam"),)),
        ([], (Alias("Drie", "GM0009", "onbekende code"),)),
    ],
)
def test_the_registry_rejects_broken_chains_cycles_and_conflicting_names(
    legacy: list[LegacyMunicipality], aliases: tuple[Alias, ...]
) -> None:
    with pytest.raises(ValueError):
        _registry(legacy, aliases)
