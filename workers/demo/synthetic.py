"""Synthetic intake feed: realistic, deterministic self-reporter records for demos, tests and benchmarks.

Records follow the DESIGN.md intake record (all strings), streamed in flat memory: Faker fills pools once per seed and
``random.Random(seed)`` samples them (Faker per record is too slow). Fixed by seed, ``today``, CSVs and Faker version.

- Municipality: weighted by ``_INHABITANTS_K`` (thousands, rounded, after the CBS figures in the
  netherlands-geography.json cited in data/SOURCES.md; five spot-checked). Then a woonplaats of it (woonplaatsen.csv;
  the one named like the municipality, e.g. Emmen, gets half the draws) and a PC4 of the same municipality
  (postcodes_pc4.csv), so they agree; letters never SA, SD or SS. Faker ``nl_NL`` street; 10% of numbers with a letter.
- gemeente: mostly the current name; else the CBS code (``GM0080``), the BRP code (``0080``), the name without
  diacritics or hyphens (``Sudwest Fryslan``), a dissolved municipality whose chain leads only here
  (legacy_municipalities.csv; split ones cannot route alone), or empty beside a unique woonplaats.
- Names: Faker ``nl_NL`` (with tussenvoegsels); a Frisian surname for 40% in Fryslân, 8% elsewhere. 93% men: CBS
  counted 15,370 men and 1,085 women in prison in 2004 (cbs.nl news 2005/11).
- Sentence, after the slide "detentieduur" (max 3 weeks / 3 weeks-3 months / longer): 55% 1-21 days, 35% 22-90, 10%
  91-364, 40% of them round terms (7, 14, 30 ...). The target group has < 1 year.
- Report date: 8% in 2-7 days (within 5 working days: urgent later), 17% 8-20, 60% 21-56, 15% 57-84; weekends move to
  Monday, so never before ``today`` and at most ``today`` + 86 days.
- Birth date: ages 18-70 (72% 20-45). Institution (slides: PI Veenhuizen or PI Leeuwarden): Leeuwarden for 80% of
  Fryslân, 35% of Groningen, 15% of Drenthe; 10% in lower or upper case. Contact: a mobile number (06-1..06-5) and a
  name-based address at a Faker free-mail domain, 60% each.

``FeedMix`` adds labelled imperfect records: ambiguous (a woonplaats found in several municipalities, e.g. Nes,
Oudega, Winsum, with neither gemeente nor postcode: should end in "needs routing"), ineligible (sentence >= 365 days,
PI Zwolle, or an address outside the region whose PC4 is not in the table), invalid (birth date 02-30, no surname,
sentence ``veertien``, five-digit postcode) and duplicates (a recent clean record repeated verbatim: a re-sent feed).
"""

from __future__ import annotations

import csv
import json
import os
import unicodedata
from bisect import bisect
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Iterator
from dataclasses import astuple, dataclass
from datetime import date, timedelta
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from random import Random
from string import ascii_uppercase
from typing import Literal

from faker import Faker

from schema.private_files import create_private

DEFAULT_REFERENCE_DIR = Path(__file__).resolve().parents[2] / "schema" / "reference"
EXAMPLE_EMAIL_DOMAINS = ("example.nl", "example.com", "voorbeeld.example")
FIELDS = ("dji_id", "surname", "given_names", "birth_date", "street", "house_number", "postcode", "woonplaats",
          "gemeente", "sentence_days", "report_date", "institution", "phone", "email")  # fmt: skip
LABELS = ("clean", "ambiguous", "ineligible", "invalid", "duplicate")  # what generate_labelled attaches


@dataclass(frozen=True, slots=True)
class FeedMix:
    """Shares of deliberately imperfect records; the rest is clean. ``FeedMix(0, 0, 0, 0)``: only clean."""

    ambiguous: float = 0.02
    ineligible: float = 0.01
    invalid: float = 0.01
    duplicate: float = 0.005

    def __post_init__(self) -> None:
        if min(astuple(self)) < 0 or sum(astuple(self)) > 1:
            raise ValueError(f"FeedMix shares must be >= 0 and sum to <= 1, got {self}")


_INHABITANTS_K = {
    "GM1979": 45, "GM0014": 245, "GM1966": 48, "GM1952": 62, "GM1895": 39, "GM0765": 12, "GM0037": 32, "GM0047": 29,
    "GM1969": 66, "GM1950": 27, "GM0059": 28, "GM0060": 4, "GM1891": 19, "GM1940": 53, "GM0072": 16, "GM0074": 51,
    "GM0080": 128, "GM1970": 46, "GM0085": 26, "GM0086": 30, "GM0088": 1, "GM0090": 57, "GM1900": 92, "GM0093": 5,
    "GM0737": 32, "GM0096": 1, "GM1949": 47, "GM0098": 26, "GM1680": 26, "GM0106": 71, "GM1681": 26, "GM0109": 36,
    "GM1690": 25, "GM0114": 108, "GM0118": 56, "GM0119": 35, "GM1731": 33, "GM1699": 33, "GM1730": 35, "GM1701": 20,
}  # fmt: skip
_FRISIAN_SURNAMES = ("Hoekstra", "Dijkstra", "de Boer", "Visser", "Bosma", "Postma", "Wiersma", "Zijlstra",
                     "Hiemstra", "Terpstra", "Kuipers", "Bouma", "Sikkema", "Jongsma", "Hofstra")  # fmt: skip
_MALE_SHARE, _FRISIAN_SHARE = 0.93, {"Fryslân": 0.40}
_LEEUWARDEN_SHARE = {"Fryslân": 0.80, "Groningen": 0.35, "Drenthe": 0.15}
# (low, high[, round terms]) bands, cumulative percentages: the slide's sentence bands, report offsets, ages.
_SENTENCE_BANDS = ((1, 21, (3, 7, 10, 14, 21)), (22, 90, (28, 30, 42, 60, 90)), (91, 364, (120, 180, 240, 270)))
_SENTENCE_CUM = (55, 90, 100)
_REPORT_OFFSETS, _REPORT_CUM = ((2, 7), (8, 20), (21, 56), (57, 84)), (8, 25, 85, 100)
_AGE_BANDS, _AGE_CUM = ((18, 19), (20, 45), (46, 70)), (8, 80, 100)
_GEMEENTE_VARIANTS = ("name",) * 70 + ("cbs",) * 8 + ("brp",) * 6 + ("plain",) * 6 + ("legacy",) * 5 + ("",) * 5
# Outside 3Noord; these PC4s lie far from 77xx-99xx, so the table cannot hold them.
_OUT_OF_REGION = (("Amsterdam", "1012"), ("Zwolle", "8011"), ("Utrecht", "3511"), ("Rotterdam", "3011"))
_LETTER_PAIRS = tuple(a + b for a in ascii_uppercase for b in ascii_uppercase if a + b not in {"SA", "SD", "SS"})


@dataclass(frozen=True, slots=True)
class _Region:
    """The reference tables, shaped for sampling."""

    codes: tuple[str, ...]
    cum_weights: tuple[int, ...]
    names: dict[str, str]
    provinces: dict[str, str]
    places: dict[str, tuple[tuple[str, ...], tuple[int, ...]]]  # woonplaatsen and their cumulative weights
    pc4s: dict[str, tuple[str, ...]]
    legacy_names: dict[str, tuple[str, ...]]
    ambiguous_places: tuple[str, ...]


def _read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _legacy_names(rows: list[dict[str, str]], current: set[str]) -> dict[str, tuple[str, ...]]:
    successors = {row["old_cbs_code"]: row["successor_cbs_codes"].split(";") for row in rows}
    names: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        code = row["old_cbs_code"]
        while code not in current and len(successors.get(code, ())) == 1:
            code = successors[code][0]
        if code in current:
            names[code].append(row["old_name"])
    return {code: tuple(found) for code, found in names.items()}


@lru_cache(maxsize=4)
def _load_region(reference_dir: Path) -> _Region:
    municipalities = _read_rows(reference_dir / "municipalities.csv")
    names = {row["cbs_code"]: row["name"] for row in municipalities}
    places: dict[str, list[str]] = defaultdict(list)
    for row in _read_rows(reference_dir / "woonplaatsen.csv"):
        places[row["cbs_code"]].append(row["woonplaats"])
    pc4s: dict[str, list[str]] = defaultdict(list)
    for row in _read_rows(reference_dir / "postcodes_pc4.csv"):
        pc4s[row["cbs_code"]].append(row["pc4"])
    counts = Counter(place for found in places.values() for place in found)
    return _Region(
        codes=tuple(names),
        cum_weights=tuple(accumulate(_INHABITANTS_K.get(code, 10) for code in names)),
        names=names,
        provinces={row["cbs_code"]: row["province"] for row in municipalities},
        # The place named like its municipality is the main town: half of that municipality's draws.
        places={
            c: (tuple(f), tuple(accumulate(max(len(f) - 1, 1) if p == names[c] else 1 for p in f)))
            for c, f in places.items()
        },
        pc4s={code: tuple(found) for code, found in pc4s.items()},
        legacy_names=_legacy_names(_read_rows(reference_dir / "legacy_municipalities.csv"), set(names)),
        ambiguous_places=tuple(sorted(place for place, count in counts.items() if count > 1)),
    )


@lru_cache(maxsize=4)
def _build_pools(seed: int) -> dict[str, tuple[str, ...]]:
    fake = Faker("nl_NL")
    fake.seed_instance(seed)
    sizes = {"last_name": 3000, "first_name_male": 1000, "first_name_female": 300, "street_name": 3000}
    pools = {method: tuple(getattr(fake, method)() for _ in range(size)) for method, size in sizes.items()}
    # Faker also lists index forms ("Bourgondië, van") and long noble names; neither reads as a feed surname.
    pools["last_name"] = tuple(name for name in pools["last_name"] if "," not in name and len(name) <= 24)
    return pools


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


class _Generator:
    """Per-feed state: reference data, pools and the one random stream every choice draws from."""

    def __init__(self, seed: int, today: date, region: _Region, pools: dict[str, tuple[str, ...]]) -> None:
        self.seed, self.today, self.region, self.pools, self.rng = seed, today, region, pools, Random(seed)
        self.recent: deque[dict[str, str]] = deque(maxlen=500)  # duplicates come soon after, as in a re-sent feed

    def clean(self, index: int) -> dict[str, str]:
        rng, region = self.rng, self.region
        code = region.codes[bisect(region.cum_weights, rng.random() * region.cum_weights[-1])]
        places, place_weights = region.places[code]
        woonplaats = places[bisect(place_weights, rng.random() * place_weights[-1])]
        gemeente = self._gemeente(code)
        if not gemeente and woonplaats in region.ambiguous_places:
            gemeente = region.names[code]  # an ambiguous place needs its municipality to stay clean
        surname, given = self._name(region.provinces[code])
        postcode = f"{rng.choice(region.pc4s[code])}{' ' if rng.random() < 0.85 else ''}{rng.choice(_LETTER_PAIRS)}"
        house = str(1 + int(rng.random() ** 2 * 180)) + (rng.choice("ABab") if rng.random() < 0.1 else "")
        birth_date = self._birth_date()
        return {
            "dji_id": f"DJI-{self.seed:04d}-{index:07d}", "surname": surname, "given_names": given,
            "birth_date": birth_date, "street": rng.choice(self.pools["street_name"]), "house_number": house,
            "postcode": postcode, "woonplaats": woonplaats, "gemeente": gemeente,
            "sentence_days": str(self._sentence_days()), "report_date": self._report_date(),
            "institution": self._institution(region.provinces[code]),
            "phone": self._phone() if rng.random() < 0.6 else "",
            "email": self._email(given, surname, birth_date) if rng.random() < 0.6 else "",
        }  # fmt: skip

    def _gemeente(self, code: str) -> str:
        variant, name = self.rng.choice(_GEMEENTE_VARIANTS), self.region.names[code]
        if variant == "legacy" and code in self.region.legacy_names:
            return self.rng.choice(self.region.legacy_names[code])
        return {"cbs": code, "brp": code[2:], "plain": _ascii(name).replace("-", " "), "": ""}.get(variant, name)

    def _name(self, province: str) -> tuple[str, str]:
        rng, pools = self.rng, self.pools
        frisian = rng.random() < _FRISIAN_SHARE.get(province, 0.08)
        surname = rng.choice(_FRISIAN_SURNAMES if frisian else pools["last_name"])
        given_pool = pools["first_name_male"] if rng.random() < _MALE_SHARE else pools["first_name_female"]
        given = rng.choice(given_pool)
        return surname, f"{given} {rng.choice(given_pool)}" if rng.random() < 0.25 else given

    def _birth_date(self) -> str:
        low, high = _AGE_BANDS[bisect(_AGE_CUM, self.rng.random() * 100)]
        age = self.rng.randint(low, high)
        # One day of margin on both ends keeps leap years from tipping the age over a band edge.
        days_old = self.rng.randint(int(age * 365.25) + 1, int((age + 1) * 365.25) - 1)
        return (self.today - timedelta(days=days_old)).isoformat()

    def _sentence_days(self) -> int:
        low, high, round_terms = _SENTENCE_BANDS[bisect(_SENTENCE_CUM, self.rng.random() * 100)]
        return self.rng.choice(round_terms) if self.rng.random() < 0.4 else self.rng.randint(low, high)

    def _report_date(self) -> str:
        low, high = _REPORT_OFFSETS[bisect(_REPORT_CUM, self.rng.random() * 100)]
        day = self.today + timedelta(days=self.rng.randint(low, high))
        return (day + timedelta(days=7 - day.weekday() if day.weekday() >= 5 else 0)).isoformat()

    def _institution(self, province: str) -> str:
        name = "PI Leeuwarden" if self.rng.random() < _LEEUWARDEN_SHARE.get(province, 0.5) else "PI Veenhuizen"
        return name if (draw := self.rng.random()) < 0.9 else name.lower() if draw < 0.95 else name.upper()

    def _phone(self) -> str:
        digits, draw = 10_000_000 + int(self.rng.random() * 50_000_000), self.rng.random()  # 1xxxxxxx-5xxxxxxx
        return f"06-{digits}" if draw < 0.7 else f"06{digits}" if draw < 0.9 else f"+31 6 {digits}"

    def _email(self, given: str, surname: str, birth_date: str) -> str:
        first, last = _ascii(given.split()[0]).lower(), "".join(filter(str.isalnum, _ascii(surname).lower()))
        local = (f"{first}.{last}", f"{first[:1]}{last}", f"{first}{last}{birth_date[2:4]}")[self.rng.randrange(3)]
        # Reserved example domains: a synthetic address must never reach a real mailbox.
        return f"{local}@{self.rng.choice(EXAMPLE_EMAIL_DOMAINS)}"

    def spoiled(self, label: str, index: int) -> dict[str, str]:
        """A clean record with one deliberate flaw of the ``label`` kind: ambiguous, ineligible or invalid."""
        record, rng = self.clean(index), self.rng
        if label == "ambiguous":
            return record | {"woonplaats": rng.choice(self.region.ambiguous_places), "gemeente": "", "postcode": ""}
        if label == "ineligible":
            place, pc4 = rng.choice(_OUT_OF_REGION)
            away = {"woonplaats": place, "gemeente": rng.choice((place, "")), "postcode": f"{pc4} AB"}
            return record | rng.choice(({"sentence_days": str(rng.randint(365, 730))}, {"institution": "PI Zwolle"},
                                        away))  # fmt: skip
        birth_date, postcode = f"{record['birth_date'][:4]}-02-30", record["postcode"][:4] + "1"  # five digits
        return record | rng.choice(({"birth_date": birth_date}, {"surname": ""}, {"sentence_days": "veertien"},
                                    {"postcode": postcode}))  # fmt: skip


def generate_labelled(
    n: int, *, seed: int = 2019, today: date, reference_dir: Path | None = None, mix: FeedMix | None = None
) -> Iterator[tuple[str, dict[str, str]]]:
    """Yield ``n`` (label, record) pairs, the label one of ``LABELS``: deterministic for seed and today, flat memory.

    Every record gets a fresh ``dji_id`` except a duplicate, which copies a recent clean record verbatim.
    """
    gen = _Generator(seed, today, _load_region((reference_dir or DEFAULT_REFERENCE_DIR).resolve()), _build_pools(seed))
    thresholds = tuple(accumulate(astuple(mix or FeedMix())))  # ambiguous, ineligible, invalid, duplicate
    for index in range(1, n + 1):
        kind = bisect(thresholds, gen.rng.random())
        if kind < 3:
            yield LABELS[kind + 1], gen.spoiled(LABELS[kind + 1], index)
        elif kind == 3 and gen.recent:
            yield "duplicate", dict(gen.rng.choice(gen.recent))
        else:
            record = gen.clean(index)
            gen.recent.append(record)
            yield "clean", dict(record)  # a copy: a caller that mutates it must not change later duplicates


def generate_records(
    n: int, *, seed: int = 2019, today: date, reference_dir: Path | None = None, mix: FeedMix | None = None
) -> Iterator[dict[str, str]]:
    """Yield ``n`` intake records (DESIGN.md field names, all strings): ``generate_labelled`` without labels."""
    return (record for _, record in generate_labelled(n, seed=seed, today=today, reference_dir=reference_dir, mix=mix))


def write_feed(
    path: Path, records: Iterable[dict[str, str]], fmt: Literal["csv", "jsonl"] = "csv", delimiter: str = ",",
    fields: tuple[str, ...] = FIELDS,
) -> int:  # fmt: skip
    """Write records as UTF-8 CSV (header row, ``fields`` order) or JSON Lines; return how many were written.

    A CSV record with a field outside ``fields`` raises ``ValueError`` rather than being trimmed silently.
    """
    if fmt not in ("csv", "jsonl"):
        raise ValueError(f"unknown feed format {fmt!r}; use 'csv' or 'jsonl'")
    count = 0
    path.unlink(missing_ok=True)  # created anew, owner-only: the feed holds names and addresses
    with os.fdopen(create_private(path), "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, delimiter=delimiter, restval="")
        if fmt == "csv":
            writer.writeheader()
        for record in records:
            if fmt == "csv":
                writer.writerow(record)
            else:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count
