"""The lookups routing decides with: every name and code of the country, resolved once.

``Registry.from_rows`` validates the reference rows and builds three indexes, each a dict, so that
``workflows.routing.route`` does a constant number of lookups per record:

- ``codes``: ``GM0000`` → the current municipalities it means (a region code, a dissolved or
  retired region code followed through its successors, or a current code elsewhere in the country);
- ``names``: a municipality name (current, dissolved, alias, Frisian; region or not) → the same;
  a name that is a municipality on one side of the region's border and a woonplaats on the other
  (``Hoorn``, ``Haren``) means both (method ``namesake``);
- ``woonplaatsen``: a woonplaats name (BAG name, the name without its BAG province suffix, ``Sint``
  for ``St.``, an older or Frisian name) → every current municipality, in the country, that has a
  woonplaats of that name.

Invariants: a name or code may not mean two different sets of region municipalities (``ValueError``);
a woonplaats name that exists both inside and outside the region keeps both sides, so that routing
can never decide such a *namesake* on the name alone; ``Resolution.codes`` are always current codes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from workflows.model import LegacyMunicipality, Municipality
from workflows.names import normalize_name

# BAG adds a province suffix to tell a woonplaats from its namesakes: Haren Gn, Bergen (NH), Well L.
_BAG_SUFFIX = re.compile(r"\s+\(?(?:GN|FR|DR|GLD|NB|NH|AC|L)\)?$", re.IGNORECASE)
_SAINT = re.compile(r"^St\.[- ]?")
CODE_FORM = re.compile(r"(?:GM)?([0-9]{4})")


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
    """The region's municipalities, the rest of the country, and every lookup precomputed.

    ``municipalities`` are the region's current municipalities, the only ones a case can be routed
    to; ``outside`` are the other current municipalities of the Netherlands, known only so that a
    resident from elsewhere is recognised as such. Keys of ``names`` and ``woonplaatsen`` are
    ``normalize_name`` keys.
    """

    municipalities: Mapping[str, Municipality]
    legacy: Mapping[str, LegacyMunicipality]
    codes: Mapping[str, Resolution]
    names: Mapping[str, Resolution]
    woonplaatsen: Mapping[str, Resolution]
    postcodes: Mapping[str, str]
    outside: Mapping[str, Municipality]

    def in_region(self, code: str) -> bool:
        return code in self.municipalities

    @classmethod
    def from_rows(
        cls,
        *,
        municipalities: Iterable[Municipality],
        legacy: Iterable[LegacyMunicipality],
        woonplaatsen: Iterable[Woonplaats],
        postcodes: Iterable[PostcodeArea],
        aliases: Iterable[Alias] = (),
        outside: Iterable[Municipality] = (),
        outside_woonplaatsen: Iterable[Woonplaats] = (),
    ) -> Registry:
        """Validate the rows and build the indexes.

        Raises:
            ValueError: a successor chain is broken or cyclic, a row points to an unknown code,
                or one name would mean two different municipalities.
        """
        chains = _Chains(
            {m.cbs_code: m for m in municipalities}, {m.cbs_code: m for m in legacy}, {m.cbs_code: m for m in outside}
        )
        alias_rows = list(aliases)
        codes, names = _municipality_indexes(chains, [a for a in alias_rows if a.kind == "municipality"])
        places = _woonplaats_index(woonplaatsen, [a for a in alias_rows if a.kind == "woonplaats"], chains)
        places = _listed(_add_outside_places(places, outside_woonplaatsen, chains), chains)
        return cls(
            municipalities=chains.current,
            legacy=chains.old,
            codes=codes,
            names=_with_namesakes(names, places, chains),
            woonplaatsen=places,
            postcodes={area.pc4: chains.require_current(area.cbs_code) for area in postcodes},
            outside=chains.outside,
        )


class _Chains:
    """Successor chains of dissolved municipalities, resolved to current codes."""

    def __init__(
        self, current: dict[str, Municipality], old: dict[str, LegacyMunicipality], outside: dict[str, Municipality]
    ) -> None:
        if overlap := (current.keys() & old.keys()) | (outside.keys() & (current.keys() | old.keys())):
            raise ValueError(f"codes in more than one of current, dissolved and outside: {sorted(overlap)}")
        self.current = current
        self.old = old
        self.outside = outside

    def require_current(self, code: str, *, region: bool = True) -> str:
        if code not in (self.current if region else self.outside):
            raise ValueError(f"{code} is not a current municipality {'in' if region else 'outside'} the region")
        return code

    def finals(self, code: str, seen: frozenset[str] = frozenset()) -> tuple[str, ...]:
        """The current municipalities ``code`` ends in; raises on a cycle or an unknown code."""
        if code in self.current or code in self.outside:
            return (code,)
        if code in seen or code not in self.old:
            raise ValueError(f"successor chain through {code} is cyclic or leads to an unknown code")
        return tuple(sorted({end for nxt in self.old[code].successors for end in self.finals(nxt, seen | {code})}))

    def trail(self, code: str) -> str:
        """Dutch trail for the evidence, e.g. ``GM0083 → GM1908 → GM1949 Waadhoeke``."""
        finals = self.finals(code)  # first, so that the walk below cannot loop
        if code in self.outside:
            return f"{code} {self.outside[code].name} ({self.outside[code].province}, buiten de regio)"
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


def _municipality_indexes(
    chains: _Chains, aliases: Iterable[Alias]
) -> tuple[dict[str, Resolution], dict[str, Resolution]]:
    """Codes and names of every municipality: the region's (current, dissolved, aliases) and the rest."""
    codes: dict[str, Resolution] = {}
    names: dict[str, Resolution] = {}
    for code, row in (*chains.current.items(), *chains.outside.items()):
        codes[code] = Resolution((code,), "code", chains.trail(code))
        _put(names, normalize_name(row.name), Resolution((code,), "name", codes[code].trail))
    for code, old in chains.old.items():
        codes[code] = Resolution(chains.finals(code), "legacy", chains.trail(code))
        _put(names, normalize_name(old.name), codes[code])
    for alias in aliases:
        found = Resolution(chains.finals(alias.cbs_code), "alias", f"{chains.trail(alias.cbs_code)} ({alias.note})")
        if code_form := CODE_FORM.fullmatch(alias.alias):
            _put(codes, f"GM{code_form.group(1)}", found)
        else:
            _put(names, normalize_name(alias.alias), found)
    return codes, names


def _place_keys(places: Iterable[Woonplaats]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Name key → codes, for the BAG names (with ``Sint`` for ``St.``) and for the names without suffix."""
    by_key: dict[str, set[str]] = {}
    bases: dict[str, set[str]] = {}
    for place in places:
        for variant in {place.name, _SAINT.sub("Sint ", place.name)}:
            by_key.setdefault(normalize_name(variant), set()).add(place.cbs_code)
        if (base := _BAG_SUFFIX.sub("", place.name)) != place.name:
            bases.setdefault(normalize_name(base), set()).add(place.cbs_code)
    # The bare name means every woonplaats it can stand for (Harkstede GN in Groningen, Harkstede in
    # Midden-Groningen), so it routes only when that is one.
    for key, codes in bases.items():
        by_key.setdefault(key, set()).update(codes)
    return by_key, bases


def _woonplaats_index(places: Iterable[Woonplaats], aliases: Iterable[Alias], chains: _Chains) -> dict[str, Resolution]:
    """The region's woonplaatsen: name → region municipalities; a name in several keeps all of them."""
    rows = list(places)
    for place in rows:
        chains.require_current(place.cbs_code)
    by_key, _ = _place_keys(rows)
    index = {key: Resolution(tuple(sorted(codes)), "woonplaats", "") for key, codes in by_key.items()}
    for alias in aliases:
        _put(index, normalize_name(alias.alias), Resolution(chains.finals(alias.cbs_code), "alias", alias.note))
    return index


def _add_outside_places(
    index: dict[str, Resolution], places: Iterable[Woonplaats], chains: _Chains
) -> dict[str, Resolution]:
    """Add the rest of the country; a namesake keeps its region municipalities and gains the others."""
    rows = list(places)
    for place in rows:
        chains.require_current(place.cbs_code, region=False)
    by_key, _ = _place_keys(rows)
    merged = dict(index)
    for key, codes in by_key.items():
        known = merged.get(key)
        if known is None:
            merged[key] = Resolution(tuple(sorted(codes)), "woonplaats", "")
        else:
            note = "; ".join(filter(None, (known.trail, "deze naam bestaat ook buiten de regio")))
            merged[key] = Resolution(tuple(sorted({*known.codes, *codes})), known.method, note)
    return merged


def _listing(codes: Iterable[str], chains: _Chains) -> str:
    return ", ".join(code if code in chains.current else f"{code} (buiten de regio)" for code in codes)


def _listed(index: dict[str, Resolution], chains: _Chains) -> dict[str, Resolution]:
    """Give each woonplaats its evidence text once: the municipalities, then the note (alias, namesake)."""
    return {
        key: replace(found, trail="; ".join(filter(None, (_listing(found.codes, chains), found.trail))))
        for key, found in index.items()
    }


def _with_namesakes(
    names: dict[str, Resolution], places: Mapping[str, Resolution], chains: _Chains
) -> dict[str, Resolution]:
    """A municipality on one side of the border that is a woonplaats on the other means both."""
    merged = dict(names)
    for key, found in names.items():
        place = places.get(key)
        if place is None:
            continue
        inside = any(code in chains.current for code in found.codes)
        across = [code for code in place.codes if (code in chains.current) != inside]
        if across:
            trail = f"{found.trail}; ook een woonplaats in {_listing(across, chains)}"
            merged[key] = Resolution(tuple(sorted({*found.codes, *across})), "namesake", trail)
    return merged
