"""Read the reference CSVs in ``schema/reference/`` into routing rows and the routing ``Registry``.

The CSVs are the single copy of the region's municipalities, dissolved municipalities, BAG
woonplaatsen, PC4 areas, aliases and Frisian names, and of the rest of the country's municipalities
and woonplaatsen (see ``reference/README.md`` and ``reference/SOURCES.md``).
``load_registry`` builds the in-memory registry that intake routes with; the ``iter_*`` functions
yield the same rows for seeding the database tables, so both always agree.

Every function takes an optional ``directory`` so that tests can point at other data; the default
is the folder shipped with the package.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from workflows.model import LegacyMunicipality, Municipality
from workflows.routing import Alias, PostcodeArea, Registry, Woonplaats

DEFAULT_DIRECTORY = Path(__file__).parent / "reference"
ALIAS_FILES = {"municipality": "municipality_aliases.csv", "woonplaats": "woonplaats_aliases.csv"}
_LANGUAGES = {"fy": "Friese naam", "nl": "Nederlandse naam"}


def _rows(name: str, directory: Path | None) -> Iterator[dict[str, str]]:
    with (directory or DEFAULT_DIRECTORY).joinpath(name).open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def iter_municipalities(directory: Path | None = None) -> Iterator[Municipality]:
    """The 40 current municipalities (``municipalities.csv``)."""
    for row in _rows("municipalities.csv", directory):
        yield Municipality(cbs_code=row["cbs_code"], name=row["name"], province=row["province"])


def iter_legacy(directory: Path | None = None) -> Iterator[LegacyMunicipality]:
    """Dissolved municipalities with their immediate successors (several for a split)."""
    for row in _rows("legacy_municipalities.csv", directory):
        yield LegacyMunicipality(
            cbs_code=row["old_cbs_code"],
            name=row["old_name"],
            dissolved_on=date.fromisoformat(row["dissolved_on"]),
            successors=tuple(row["successor_cbs_codes"].split(";")),
        )


def iter_woonplaatsen(directory: Path | None = None) -> Iterator[Woonplaats]:
    """BAG woonplaatsen with their ``WP`` code (``woonplaatsen_bag.csv``); names are not unique."""
    for row in _rows("woonplaatsen_bag.csv", directory):
        yield Woonplaats(name=row["woonplaats"], cbs_code=row["cbs_code"], woonplaatscode=row["woonplaatscode"])


def iter_postcodes(directory: Path | None = None) -> Iterator[PostcodeArea]:
    """One municipality per PC4 (``postcodes_pc4.csv``): a hint, not the full PC4 × municipality relation."""
    for row in _rows("postcodes_pc4.csv", directory):
        yield PostcodeArea(pc4=row["pc4"], cbs_code=row["cbs_code"])


def iter_aliases(directory: Path | None = None) -> Iterator[Alias]:
    """Municipality aliases, then woonplaats aliases; ``kind`` tells them apart.

    A municipality alias may be a retired code (``GM0065``) and may point to a dissolved code
    (``GM1722``); ``Registry.codes[alias.cbs_code].codes`` gives the current municipality.
    """
    for kind, name in ALIAS_FILES.items():
        for row in _rows(name, directory):
            yield Alias(alias=row["alias"], cbs_code=row["cbs_code"], note=row["note"], kind=kind)


def iter_frisian_names(directory: Path | None = None) -> Iterator[Alias]:
    """Frisian names of Dutch-named places and municipalities, and Dutch names of Frisian-named ones.

    ``frisian_names.csv`` keeps the official name beside each row so that the table can be checked
    (``tests/unit/test_reference_data.py``); routing only needs the name and the code.
    """
    for row in _rows("frisian_names.csv", directory):
        note = f"{_LANGUAGES[row['language']]} van {row['official_name']}"
        yield Alias(alias=row["name"], cbs_code=row["cbs_code"], note=note, kind=row["kind"])


def _region_codes(directory: Path | None) -> frozenset[str]:
    return frozenset(m.cbs_code for m in iter_municipalities(directory))


def iter_outside_municipalities(directory: Path | None = None) -> Iterator[Municipality]:
    """The current municipalities outside the region (``municipalities_nl.csv`` less the region's 40)."""
    region = _region_codes(directory)
    for row in _rows("municipalities_nl.csv", directory):
        if row["cbs_code"] not in region:
            yield Municipality(cbs_code=row["cbs_code"], name=row["name"], province=row["province"])


def iter_outside_woonplaatsen(directory: Path | None = None) -> Iterator[Woonplaats]:
    """The woonplaatsen outside the region (``woonplaatsen_nl.csv``); its region rows equal the BAG file's."""
    region = _region_codes(directory)
    for row in _rows("woonplaatsen_nl.csv", directory):
        if row["cbs_code"] not in region:
            yield Woonplaats(name=row["name"], cbs_code=row["cbs_code"], woonplaatscode=row["woonplaats_code"])


def load_registry(directory: Path | None = None) -> Registry:
    """Build the routing registry from the CSVs; raises ``ValueError`` when the data is inconsistent."""
    return Registry.from_rows(
        municipalities=iter_municipalities(directory),
        legacy=iter_legacy(directory),
        woonplaatsen=iter_woonplaatsen(directory),
        postcodes=iter_postcodes(directory),
        aliases=itertools.chain(iter_aliases(directory), iter_frisian_names(directory)),
        outside=iter_outside_municipalities(directory),
        outside_woonplaatsen=iter_outside_woonplaatsen(directory),
    )
