"""Route a self-report to one current municipality of Groningen, Fryslân or Drenthe, or say it lives elsewhere.

A wrong municipality is worse than a question, and a resident wrongly called an outsider loses the
help altogether: ``route`` sets ``cbs_code`` only when the evidence decides, sets ``out_of_region``
only when it is certain, and otherwise returns the candidates an operator can choose from. The
registry (``workflows.routing_registry``) knows every municipality and woonplaats of the country,
so each source below is a set of current municipalities, inside the region or not:

- G, the ``gemeente`` field: a CBS/BRP code (``GM0014``, ``gm0014``, ``0014``; exactly four digits,
  because a shorter number is as likely a house number as a code), a current name, an alias, a
  Frisian name or a dissolved municipality, followed through its successor chain to the current
  municipalities (several for a split); failing those, a woonplaats written as the municipality
  (``Drachten``). A province name is noted and ignored; ``Groningen`` means the municipality. A
  name that is a municipality on one side of the region's border and a woonplaats on the other
  (``Hoorn``, ``Haren``) means both.
- W, the municipalities that have the ``woonplaats``: a BAG name, an older or Frisian name, ``Sint``
  for ``St.``, or a BAG name without its trailing province suffix (``Haren Gn`` → ``Haren``). A bare
  name means every woonplaats it can stand for, in the whole country: ``Hoorn`` is both Hoorn on
  Terschelling and Hoorn in Noord-Holland, so it never decides on its own (a *namesake*).
- P, the municipality of the PC4, ``outside`` when a well-formed postcode is not in the region
  table, or nothing. The table gives one municipality per PC4, so P is a hint, not a fact.

Decision, in order:

0. G given but unknown: never routed on W or P; ``unknown`` with the region's candidates from W
   and P, or ``out_of_region`` when there are none and P lies outside.
1. Certainly outside → ``out_of_region`` (the record is ineligible): P does not lie in the region,
   and either no source names a region municipality, or the sources agree only on municipalities
   elsewhere (``Hoorn`` with a Noord-Holland postcode).
2. G names one municipality: route to it (method ``code``/``name``/``alias``/``legacy``/``woonplaats``)
   when W is empty or contains it, even if P differs (noted); W without it → ``conflict``. Without
   W, a P that differs or lies outside the region → ``conflict``.
3. G names several (a split, a namesake): the options are G∩W (G when W is empty). One option →
   ``legacy_split_woonplaats``; several → the option equal to P (``legacy_split_postcode``; for a
   namesake or a woonplaats ``woonplaats``/``woonplaats_postcode``); a disjoint W or a differing P →
   ``conflict``; otherwise ``ambiguous``.
4. No G: W alone decides as in 3 (``woonplaats``, ``woonplaats_postcode``); without W, P in the
   region → ``pc4``; nothing → ``unknown``. A W that contradicts P is a ``conflict``: it never
   goes to the postcode's municipality.
5. A decision for a municipality outside the region that is not certain (step 1) is a ``conflict``;
   candidates are always region municipalities.

Invariant: ``route`` never raises on any text and is O(1): every lookup is a dict built once.
"""

from __future__ import annotations

import re
from dataclasses import replace

from workflows.model import RoutingDecision
from workflows.names import normalize_name
from workflows.routing_registry import CODE_FORM, Alias, PostcodeArea, Registry, Resolution, Woonplaats

__all__ = ["UNASSIGNED_PC4", "Alias", "PostcodeArea", "Registry", "Resolution", "Woonplaats", "route"]

# Not in the PC4 table, yet inside the region (SOURCES.md: the source has no municipality for it).
UNASSIGNED_PC4 = frozenset({"9085"})
_OUTSIDE = "outside"
_PROVINCES = ("Groningen", "Fryslân", "Friesland", "Frysland", "Drenthe")
_PROVINCE_KEYS = frozenset(normalize_name(p) for name in _PROVINCES for p in (name, f"provincie {name}"))
_POSTCODE = re.compile(r"([1-9][0-9]{3})(?:[A-Z]{2})?")
_NOTES = {
    "ambiguous": "meerdere gemeenten mogelijk; een medewerker kiest",
    "conflict": "de gegevens wijzen naar verschillende gemeenten",
    "unknown": "gemeente niet vast te stellen",
    "out_of_region": "woont buiten 3Noord (Groningen, Fryslân en Drenthe)",
}
_ACROSS_BORDER = "de gegevens wijzen zowel binnen als buiten 3Noord; een medewerker kiest"


def route(registry: Registry, *, gemeente: str | None, woonplaats: str | None, postcode: str | None) -> RoutingDecision:
    """Decide the current municipality of one record, or say why not (see the module docstring).

    Inputs are stripped strings or ``None`` and may be garbage; this never raises on them.
    """
    evidence: dict[str, str] = {}
    found = _read_gemeente(registry, gemeente, evidence)
    places = _read_woonplaats(registry, woonplaats, evidence)
    pc4 = _read_postcode(registry, postcode, evidence)
    if found is not None and not found.codes:
        decision = _decide_unknown_gemeente(registry, places, pc4, evidence)
    elif _is_certainly_outside(registry, found, places, pc4):
        decision = _undecided("out_of_region", set(), evidence)
    else:
        decision = _decide(found, places, pc4, evidence)
    if decision.cbs_code is None and not decision.candidates:
        return decision
    return _within_region(registry, decision, found, places, pc4)


def _decide(
    found: Resolution | None, places: tuple[str, ...], pc4: str | None, evidence: dict[str, str]
) -> RoutingDecision:
    if found is None:
        return _decide_without_gemeente(places, pc4, evidence)
    if len(found.codes) == 1:
        return _decide_single(found, places, pc4, evidence)
    options = tuple(code for code in found.codes if code in places) if places else found.codes
    if not options:
        return _undecided("conflict", {*found.codes, *places, *_in_region(pc4)}, evidence)
    if found.method in ("legacy", "alias"):
        return _decide_among(options, pc4, evidence, ("legacy_split_woonplaats", "legacy_split_postcode"))
    return _decide_among(options, pc4, evidence, ("woonplaats", "woonplaats_postcode"))


def _is_certainly_outside(
    registry: Registry, found: Resolution | None, places: tuple[str, ...], pc4: str | None
) -> bool:
    """No source points into the region, or all sources agree only on municipalities elsewhere.

    An outside PC4 is a set too (every municipality elsewhere), so ``Hoorn`` with a Noord-Holland
    postcode is outside while ``Hoorn`` alone is not.
    """
    if pc4 is not None and pc4 != _OUTSIDE:
        return False
    sources = [set(codes) for codes in ((found.codes if found else ()), places) if codes]
    if not any(registry.in_region(code) for source in sources for code in source):
        return bool(sources) or pc4 == _OUTSIDE
    common = set.intersection(*sources)
    if pc4 == _OUTSIDE:
        common = {code for code in common if not registry.in_region(code)}
    return bool(common) and not any(registry.in_region(code) for code in common)


def _within_region(
    registry: Registry, decision: RoutingDecision, found: Resolution | None, places: tuple[str, ...], pc4: str | None
) -> RoutingDecision:
    """Only a region municipality is ever decided or offered; an uncertain outsider is a conflict."""
    if decision.cbs_code is not None:
        if registry.in_region(decision.cbs_code):
            return decision
        decision.evidence["toelichting"] = _ACROSS_BORDER
        seen = {*(found.codes if found else ()), *places, *_in_region(pc4)}
        decision = _undecided("conflict", seen, decision.evidence)
    candidates = tuple(code for code in decision.candidates if registry.in_region(code))
    return decision if candidates == decision.candidates else replace(decision, candidates=candidates)


def _read_gemeente(registry: Registry, text: str | None, evidence: dict[str, str]) -> Resolution | None:
    """``None`` when there is no usable gemeente (absent, no letters, a province); no codes when unknown."""
    key = normalize_name(text or "")
    if text is None or not key:
        return None
    code = CODE_FORM.fullmatch("".join(text.upper().split()))
    found = registry.codes.get(f"GM{code.group(1)}") if code else _by_name(registry, key)
    if found is not None:
        evidence["gemeente"] = f"{_quote(text)} → {found.trail}"
        return found
    if code is None and key in _PROVINCE_KEYS:
        evidence["gemeente"] = f"{_quote(text)} is een provincie, geen gemeente; genegeerd"
        return None
    evidence["gemeente"] = f"{_quote(text)} is onbekend"
    return Resolution((), "unknown", "")


def _by_name(registry: Registry, key: str) -> Resolution | None:
    """A municipality name (a namesake across the border already means both, see the registry), else a
    woonplaats written as the municipality (``Drachten``)."""
    found = registry.names.get(key) or _after_prefix(registry, key)
    if found is not None or key in _PROVINCE_KEYS:
        return found
    place = registry.woonplaatsen.get(key)
    if place is None:
        return None
    return Resolution(place.codes, "woonplaats", f"geen gemeente maar een woonplaats in {place.trail}")


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
        evidence["woonplaats"] = f"{_quote(text)} is onbekend"
        return ()
    evidence["woonplaats"] = f"{_quote(text)} → {found.trail}"
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
    registry: Registry, places: tuple[str, ...], pc4: str | None, evidence: dict[str, str]
) -> RoutingDecision:
    """An unrecognised gemeente is a sign of bad data, so nothing else may decide on its own."""
    candidates = {code for code in (*places, *_in_region(pc4)) if registry.in_region(code)}
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
