"""Route a self-report to one current municipality of Groningen, Fryslân or Drenthe.

A wrong municipality is worse than a question: ``route`` sets ``cbs_code`` only when the evidence
decides, and otherwise returns the candidates an operator can choose from. The three sources are

- G, the ``gemeente`` field: a CBS/BRP code (``GM0014``, ``gm0014``, ``0014``; exactly four digits,
  because a shorter number is as likely a house number as a code), a current name, an alias or a
  dissolved municipality, followed through its successor chain to the current municipalities
  (several for a split). A province name is noted and ignored; ``Groningen`` means the municipality.
- W, the municipalities that have the ``woonplaats``: a BAG name, an alias, ``Sint`` for ``St.``, or
  a BAG name without its trailing province suffix (``Haren Gn`` → ``Haren``). A bare name means
  every woonplaats it can stand for: ``Harkstede`` is both Harkstede (GM1952) and Harkstede GN (GM0014).
- P, the municipality of the PC4, ``outside`` when a well-formed postcode is not in the region
  table, or nothing. The table gives one municipality per PC4, so P is a hint, not a fact.

Decision, in order:

1. G names one municipality: route to it (method ``code``/``name``/``alias``/``legacy``) when W is
   empty or contains it, even if P differs (noted); W without it → ``conflict``. Without W, a P
   that differs or lies outside the region → ``conflict``.
2. G names several (a split): the options are G∩W (G when W is empty). One option →
   ``legacy_split_woonplaats``; several → the option equal to P (``legacy_split_postcode``);
   a disjoint W or a differing P → ``conflict``; otherwise ``ambiguous``.
3. G given but unknown: never routed on W or P; ``unknown`` with candidates from W, P and the text
   read as a woonplaats, or ``out_of_region`` when none and P lies outside.
4. No G: W alone decides as in 2 (``woonplaats``, ``woonplaats_postcode``); without W, P in the
   region → ``pc4``; P outside → ``out_of_region``; nothing → ``unknown``.

Invariant: ``route`` never raises on any text and is O(1): every lookup is a dict built once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from workflows.model import LegacyMunicipality, Municipality, RoutingDecision
from workflows.names import normalize_name

# Not in the PC4 table, yet inside the region (SOURCES.md: the source has no municipality for it).
UNASSIGNED_PC4 = frozenset({"9085"})
_OUTSIDE = "outside"
_PROVINCES = ("Groningen", "Fryslân", "Friesland", "Frysland", "Drenthe")
_PROVINCE_KEYS = frozenset(normalize_name(p) for name in _PROVINCES for p in (name, f"provincie {name}"))
_BAG_SUFFIX = re.compile(r"\s+(?:GN|FR|DR)$", re.IGNORECASE)
_SAINT = re.compile(r"^St\.[- ]?")
_CODE = re.compile(r"(?:GM)?([0-9]{4})")
_POSTCODE = re.compile(r"([1-9][0-9]{3})(?:[A-Z]{2})?")
_NOTES = {
    "ambiguous": "meerdere gemeenten mogelijk; een medewerker kiest",
    "conflict": "de gegevens wijzen naar verschillende gemeenten",
    "unknown": "gemeente niet vast te stellen",
    "out_of_region": "adres ligt buiten Groningen, Fryslân en Drenthe",
}


@dataclass(frozen=True, slots=True)
class Alias:
    """Another name (or retired code) for a municipality or a woonplaats; ``cbs_code`` may be legacy."""

    alias: str
    cbs_code: str
    note: str
    kind: str = "municipality"  # or "woonplaats"


@dataclass(frozen=True, slots=True)
class Woonplaats:
    """A BAG woonplaats and the current municipality it lies in."""

    name: str
    cbs_code: str
    woonplaatscode: str | None = None


@dataclass(frozen=True, slots=True)
class PostcodeArea:
    """A PC4 and the one municipality the source assigns it to."""

    pc4: str
    cbs_code: str


@dataclass(frozen=True, slots=True)
class Resolution:
    """What one field resolved to: current codes (sorted), how, and a Dutch trail for the evidence."""

    codes: tuple[str, ...]
    method: str
    trail: str


@dataclass(frozen=True, eq=False)
class Registry:
    """The region's municipalities with every lookup precomputed; build it with ``from_rows``.

    Keys of ``codes`` are ``GM0000``; keys of ``names`` and ``woonplaatsen`` are ``normalize_name``
    keys. Every ``Resolution`` already points at current municipalities, so routing never walks
    a successor chain.
    """

    municipalities: Mapping[str, Municipality]
    legacy: Mapping[str, LegacyMunicipality]
    codes: Mapping[str, Resolution]
    names: Mapping[str, Resolution]
    woonplaatsen: Mapping[str, Resolution]
    postcodes: Mapping[str, str]

    @classmethod
    def from_rows(
        cls,
        *,
        municipalities: Iterable[Municipality],
        legacy: Iterable[LegacyMunicipality],
        woonplaatsen: Iterable[Woonplaats],
        postcodes: Iterable[PostcodeArea],
        aliases: Iterable[Alias] = (),
    ) -> Registry:
        """Validate the rows and build the indexes.

        Raises:
            ValueError: a successor chain is broken or cyclic, a row points to an unknown code,
                or one name would mean two different municipalities.
        """
        chains = _Chains({m.cbs_code: m for m in municipalities}, {m.cbs_code: m for m in legacy})
        alias_rows = list(aliases)
        codes: dict[str, Resolution] = {}
        names: dict[str, Resolution] = {}
        for code, row in chains.current.items():
            codes[code] = Resolution((code,), "code", chains.trail(code))
            _put(names, normalize_name(row.name), Resolution((code,), "name", codes[code].trail))
        for code, old in chains.old.items():
            codes[code] = Resolution(chains.finals(code), "legacy", chains.trail(code))
            _put(names, normalize_name(old.name), codes[code])
        for alias in (a for a in alias_rows if a.kind == "municipality"):
            found = Resolution(chains.finals(alias.cbs_code), "alias", f"{chains.trail(alias.cbs_code)} ({alias.note})")
            if code_form := _CODE.fullmatch(alias.alias):
                _put(codes, f"GM{code_form.group(1)}", found)
            else:
                _put(names, normalize_name(alias.alias), found)
        return cls(
            municipalities=chains.current,
            legacy=chains.old,
            codes=codes,
            names=names,
            woonplaatsen=_woonplaats_index(woonplaatsen, [a for a in alias_rows if a.kind == "woonplaats"], chains),
            postcodes={area.pc4: chains.require_current(area.cbs_code) for area in postcodes},
        )


class _Chains:
    """Successor chains of dissolved municipalities, resolved to current codes."""

    def __init__(self, current: dict[str, Municipality], old: dict[str, LegacyMunicipality]) -> None:
        if overlap := current.keys() & old.keys():
            raise ValueError(f"codes both current and dissolved: {sorted(overlap)}")
        self.current = current
        self.old = old

    def require_current(self, code: str) -> str:
        if code not in self.current:
            raise ValueError(f"{code} is not a current municipality")
        return code

    def finals(self, code: str, seen: frozenset[str] = frozenset()) -> tuple[str, ...]:
        """The current municipalities ``code`` ends in; raises on a cycle or an unknown code."""
        if code in self.current:
            return (code,)
        if code in seen or code not in self.old:
            raise ValueError(f"successor chain through {code} is cyclic or leads to an unknown code")
        return tuple(sorted({end for nxt in self.old[code].successors for end in self.finals(nxt, seen | {code})}))

    def trail(self, code: str) -> str:
        """Dutch trail for the evidence, e.g. ``GM0083 → GM1908 → GM1949 Waadhoeke``."""
        finals = self.finals(code)  # first, so that the walk below cannot loop
        steps = [code]
        while steps[-1] in self.old and len(self.old[steps[-1]].successors) == 1:
            steps.append(self.old[steps[-1]].successors[0])
        if steps[-1] in self.current:
            return " → ".join(steps) + f" {self.current[steps[-1]].name}"
        return " → ".join(steps) + " → gesplitst in " + ", ".join(finals)


def _put(index: dict[str, Resolution], key: str, found: Resolution) -> None:
    """Add ``key`` unless present; a name or code may not mean two different sets of municipalities."""
    if not key:
        raise ValueError(f"an empty name for {found.codes}")
    if key in index and index[key].codes != found.codes:
        raise ValueError(f"{key!r} would mean both {index[key].codes} and {found.codes}")
    index.setdefault(key, found)


def _woonplaats_index(places: Iterable[Woonplaats], aliases: Iterable[Alias], chains: _Chains) -> dict[str, Resolution]:
    """Name → municipalities; a name in several municipalities keeps all of them."""
    by_key: dict[str, set[str]] = {}
    bases: dict[str, set[str]] = {}
    for place in places:
        chains.require_current(place.cbs_code)
        for variant in {place.name, _SAINT.sub("Sint ", place.name)}:
            by_key.setdefault(normalize_name(variant), set()).add(place.cbs_code)
        if (base := _BAG_SUFFIX.sub("", place.name)) != place.name:
            bases.setdefault(normalize_name(base), set()).add(place.cbs_code)
    # BAG adds the suffix to tell a place from a namesake (Harkstede GN in Groningen, Harkstede in
    # Midden-Groningen), so the bare name means every one of them and routes only when that is one.
    for key, codes in bases.items():
        by_key.setdefault(key, set()).update(codes)
    index = {key: Resolution(tuple(sorted(codes)), "woonplaats", "") for key, codes in by_key.items()}
    for alias in aliases:
        _put(index, normalize_name(alias.alias), Resolution(chains.finals(alias.cbs_code), "alias", alias.note))
    return index


def route(registry: Registry, *, gemeente: str | None, woonplaats: str | None, postcode: str | None) -> RoutingDecision:
    """Decide the current municipality of one record, or say why not (see the module docstring).

    Inputs are stripped strings or ``None`` and may be garbage; this never raises on them.
    """
    evidence: dict[str, str] = {}
    found = _read_gemeente(registry, gemeente, evidence)
    places = _read_woonplaats(registry, woonplaats, evidence)
    pc4 = _read_postcode(registry, postcode, evidence)
    if found is None:
        return _decide_without_gemeente(places, pc4, evidence)
    if not found.codes:
        return _decide_unknown_gemeente(registry, gemeente or "", places, pc4, evidence)
    if len(found.codes) == 1:
        return _decide_single(found, places, pc4, evidence)
    options = tuple(code for code in found.codes if code in places) if places else found.codes
    if not options:
        return _undecided("conflict", {*found.codes, *places, *_in_region(pc4)}, evidence)
    return _decide_among(options, pc4, evidence, ("legacy_split_woonplaats", "legacy_split_postcode"))


def _read_gemeente(registry: Registry, text: str | None, evidence: dict[str, str]) -> Resolution | None:
    """``None`` when there is no usable gemeente (absent, no letters, a province); no codes when unknown."""
    key = normalize_name(text or "")
    if text is None or not key:
        return None
    code = _CODE.fullmatch("".join(text.upper().split()))
    if code:
        found = registry.codes.get(f"GM{code.group(1)}")
    else:
        found = registry.names.get(key) or _after_prefix(registry, key)
    if found is not None:
        evidence["gemeente"] = f"{_quote(text)} → {found.trail}"
        return found
    if code is None and key in _PROVINCE_KEYS:
        evidence["gemeente"] = f"{_quote(text)} is een provincie, geen gemeente; genegeerd"
        return None
    evidence["gemeente"] = f"{_quote(text)} is onbekend"
    return Resolution((), "unknown", "")


def _after_prefix(registry: Registry, key: str) -> Resolution | None:
    """``Gemeente Groningen`` means the municipality, so a leading ``gemeente`` is dropped."""
    prefix = "gemeente"
    return registry.names.get(key[len(prefix) :]) if key.startswith(prefix) else None


def _read_woonplaats(registry: Registry, text: str | None, evidence: dict[str, str]) -> tuple[str, ...]:
    key = normalize_name(text or "")
    if text is None or not key:
        return ()
    found = registry.woonplaatsen.get(key)
    if found is None:
        evidence["woonplaats"] = f"{_quote(text)} is onbekend in de regio"
        return ()
    note = f" ({found.trail})" if found.trail else ""
    evidence["woonplaats"] = f"{_quote(text)} → {', '.join(found.codes)}{note}"
    return found.codes


def _read_postcode(registry: Registry, text: str | None, evidence: dict[str, str]) -> str | None:
    """The PC4's municipality, ``_OUTSIDE`` for a valid postcode outside the region, else ``None``."""
    if text is None or not text.strip():
        return None
    match = _POSTCODE.fullmatch("".join(text.upper().replace("-", " ").split()))
    if match is None:
        evidence["pc4"] = f"{_quote(text)} is geen geldige postcode"
        return None
    pc4 = match.group(1)
    if pc4 in registry.postcodes:
        evidence["pc4"] = f"{pc4} → {registry.postcodes[pc4]}"
        return registry.postcodes[pc4]
    if pc4 in UNASSIGNED_PC4:
        evidence["pc4"] = f"{pc4} heeft geen gemeente in de tabel"
        return None
    evidence["pc4"] = f"{pc4} ligt buiten de regio"
    return _OUTSIDE


def _decide_single(
    found: Resolution, places: tuple[str, ...], pc4: str | None, evidence: dict[str, str]
) -> RoutingDecision:
    code = found.codes[0]
    if places and code not in places:
        return _undecided("conflict", {code, *places, *_in_region(pc4)}, evidence)
    if places and pc4 not in (None, code):
        # The PC4 table has one municipality per PC4, so at a border it can be wrong; two sources agree.
        evidence["toelichting"] = "postcode wijkt af; gemeente en woonplaats komen overeen"
    if places or pc4 in (None, code):
        return _routed(code, found.method, evidence)
    return _undecided("conflict", {code, *_in_region(pc4)}, evidence)


def _decide_among(
    options: tuple[str, ...], pc4: str | None, evidence: dict[str, str], methods: tuple[str, str]
) -> RoutingDecision:
    """One option routes unless the PC4 differs; several need the PC4 to pick one of them."""
    if len(options) == 1 and pc4 in (None, options[0]):
        return _routed(options[0], methods[0], evidence)
    if len(options) > 1 and pc4 is not None and pc4 in options:
        return _routed(pc4, methods[1], evidence)
    if pc4 is None:
        return _undecided("ambiguous", set(options), evidence)
    return _undecided("conflict", {*options, *_in_region(pc4)}, evidence)


def _decide_without_gemeente(places: tuple[str, ...], pc4: str | None, evidence: dict[str, str]) -> RoutingDecision:
    if places:
        return _decide_among(places, pc4, evidence, ("woonplaats", "woonplaats_postcode"))
    if pc4 == _OUTSIDE:
        return _undecided("out_of_region", set(), evidence)
    if pc4 is not None:
        return _routed(pc4, "pc4", evidence)
    return _undecided("unknown", set(), evidence)


def _decide_unknown_gemeente(
    registry: Registry, text: str, places: tuple[str, ...], pc4: str | None, evidence: dict[str, str]
) -> RoutingDecision:
    """An unrecognised gemeente is a sign of bad data, so nothing else may decide on its own."""
    as_place = registry.woonplaatsen.get(normalize_name(text))
    if as_place is not None:
        evidence["gemeente"] += f" (wel een woonplaats in {', '.join(as_place.codes)})"
    candidates = {*places, *_in_region(pc4), *(as_place.codes if as_place else ())}
    if not candidates and pc4 == _OUTSIDE:
        return _undecided("out_of_region", set(), evidence)
    return _undecided("unknown", candidates, evidence)


def _in_region(pc4: str | None) -> tuple[str, ...]:
    return () if pc4 is None or pc4 == _OUTSIDE else (pc4,)


def _quote(text: str, limit: int = 40) -> str:
    return f"'{text[:limit]}…'" if len(text) > limit else f"'{text}'"


def _routed(code: str, method: str, evidence: dict[str, str]) -> RoutingDecision:
    return RoutingDecision(cbs_code=code, method=method, evidence=evidence)


def _undecided(method: str, candidates: set[str], evidence: dict[str, str]) -> RoutingDecision:
    """No municipality: the operator sees the candidates and, in ``toelichting``, why."""
    evidence.setdefault("toelichting", _NOTES[method])
    return RoutingDecision(None, method, evidence, tuple(sorted(candidates)), out_of_region=method == "out_of_region")
