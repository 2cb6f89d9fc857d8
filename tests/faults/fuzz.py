"""A deterministic intake fuzzer: synthetic records, mutated field by field, by structure and byte by byte.

No hypothesis here: a fixed seed gives the same files every run, so a failure can be replayed by
name. ``write_fuzz`` writes three kinds of files and says, per file, how many records the reader
must report (``None`` where the byte damage may merge or split lines, e.g. by opening a quote):

- ``fields-*.jsonl`` / ``fields-*.csv``: valid files whose values are hostile (controls, NUL,
  huge, wrong types, impossible dates, injection strings, look-alike digits, duplicate ids);
- ``structure.jsonl``: lines that are not objects, truncated JSON, nesting, duplicate keys;
- ``bytes-*.csv|jsonl``: one record per file with random bytes flipped, inserted or cut.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from random import Random
from typing import Any

from workers.demo.synthetic import FIELDS, FeedMix, generate_records

HOSTILE_TEXT = [
    "", " ", "\t", "\x00", "a\x00b", "\x1b[31mrood\x1b[0m", "regel\nbreuk", "regel\rbreuk", "a\u2028b", "\u202eteR",
    "x" * 5000, "ä" * 300, "=cmd|' /C calc'!A0", "'; DROP TABLE cases; --", "{{ 7*7 }}", "${jndi:ldap://x}",
    "\U0001f600\U0001f600", "e\u0301\u0301\u0301", "\ufeffBOM", "\ufffd", "null", "None", "NaN", "-1", "0", "1e9",
    "٣", "０７", "7.0", " 7 ", "99999999999999999999",
]  # fmt: skip
DATES = ["2025-13-45", "31-12-2025", "2025/01/01", "9999-12-31", "0001-01-01", "2024-02-30", "2025-1-1", "gisteren",
         "20250101", "2025-01-01T00:00:00", "+2025-01-01"]  # fmt: skip
_BINARY = re.compile("[\x00-\x08\x0e-\x1f\r]")
TYPED = [None, True, False, 0, -5, 1.5, float(2**70), [], ["a"], {}, {"a": {"b": [1]}}, "x" * 20]


@dataclass(frozen=True)
class FuzzFile:
    path: Path
    records: int | None  # how many records the reader must report; None: byte damage, not countable
    probe: bool = False  # a known weakness, reported as a figure rather than counted as lost


def _mutate_value(rng: Random, record: dict[str, Any], today: date, typed: bool) -> str:
    field = rng.choice(FIELDS)
    roll = rng.random()
    if typed and roll < 0.2:
        record[field] = rng.choice(TYPED)
    elif field in ("birth_date", "report_date") and roll < 0.7:
        record[field] = rng.choice(DATES + [(today - timedelta(days=rng.randint(-400, 400))).isoformat()])
    elif field == "dji_id" and roll < 0.5:
        record[field] = rng.choice(["DJI-DUBBEL-1", "DJI DUBBEL", "DJI-\x00-1", "D" * 200, " "])
    elif field == "sentence_days" and roll < 0.6:
        record[field] = rng.choice(["0", "-3", "365", "100000", "7 dagen", "veertien", "3.5", "1e3"])
    elif field == "gemeente" and roll < 0.6:
        record[field] = rng.choice(["GM9999", "GM0014;GM0080", "Nergenshuizen", "Súdwest-Fryslân", "0014", "gm0080 "])
    else:
        # A NUL or ESC anywhere in a CSV's first 64 kB makes the reader judge the whole file binary (one
        # error record for the file), a bare CR ends a record even inside quotes: the probe file covers
        # both, the counted files must not contain them.
        record[field] = rng.choice(HOSTILE_TEXT if typed else [t for t in HOSTILE_TEXT if not _BINARY.search(t)])
    return field


def fields_record(rng: Random, base: dict[str, str], today: date, typed: bool) -> dict[str, Any]:
    record: dict[str, Any] = dict(base)
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        _mutate_value(rng, record, today, typed)
    if rng.random() < 0.1:
        record.pop(rng.choice(FIELDS), None)
    if typed and rng.random() < 0.1:
        record[rng.choice(["Surname", " surname ", "onbekend_veld", "DJI_ID"])] = rng.choice(HOSTILE_TEXT[:8])
    if not typed:  # see _mutate_value: the CSV files must stay text, record by record
        record = {k: _BINARY.sub("?", v) if isinstance(v, str) else v for k, v in record.items()}
    return record


def structure_line(rng: Random, base: dict[str, str]) -> str:
    text = json.dumps(base, ensure_ascii=False)
    choices: list[Callable[[], str]] = [
        lambda: text[: rng.randrange(1, len(text))],
        lambda: "[" + text + "]",
        lambda: json.dumps(rng.choice(["tekst", 42, None, True, [1, 2]])),
        lambda: "[" * 5000 + "]" * 5000,
        lambda: '{"a":' * 3000 + "1" + "}" * 3000,
        lambda: text[:-1] + ', "surname": "Tweede", "surname": "Derde"}',
        lambda: text.replace('"', "'"),
        lambda: text.replace("{", "{,", 1),
        lambda: text + " trailing",
        lambda: '{"dji_id": NaN, "surname": Infinity}',
        lambda: json.dumps({k: {"nested": v} for k, v in base.items()}),
        lambda: "\ufeff" + text,
    ]
    return rng.choice(choices)()


def byte_damage(rng: Random, data: bytes) -> bytes:
    blob = bytearray(data)
    for _ in range(rng.randint(1, 12)):
        op, at = rng.random(), rng.randrange(max(1, len(blob)))
        if op < 0.5 and blob:
            blob[at] = rng.randrange(256)
        elif op < 0.8:
            blob[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif blob:
            del blob[at : at + rng.randint(1, 10)]
    return bytes(blob)


def _csv_line(values: Sequence[str], delimiter: str) -> str:
    import csv
    import io

    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerow(values)
    return out.getvalue()


def write_fuzz(folder: Path, total: int = 1000, seed: int = 7) -> list[FuzzFile]:
    """About ``total`` fuzzed records: 60% field values, 10% structure, 10% CSV values, 20% byte damage."""
    rng, today = Random(seed), date.today()
    folder.mkdir(parents=True, exist_ok=True)
    bases = list(generate_records(total, seed=seed, today=today, mix=FeedMix(0.02, 0.02, 0.02, 0.02)))
    n_fields, n_structure, n_csv = total * 6 // 10, total // 10, total // 10
    files: list[FuzzFile] = []
    chunk = max(1, n_fields // 6)
    for start in range(0, n_fields, chunk):
        part = bases[start : min(start + chunk, n_fields)]
        lines = [json.dumps(fields_record(rng, b, today, typed=True), ensure_ascii=False, default=str) for b in part]
        files.append(_write(folder / f"fields-{start // chunk}.jsonl", "\n".join(lines) + "\n", len(lines)))
    part = bases[n_fields : n_fields + n_structure]
    lines = [structure_line(rng, b) for b in part]
    files.append(_write(folder / "structure.jsonl", "\n".join(lines) + "\n", len(lines)))
    for k, delimiter in enumerate((",", ";")):
        part = bases[n_fields + n_structure + k * n_csv // 2 : n_fields + n_structure + (k + 1) * n_csv // 2]
        rows = [_csv_line(list(FIELDS), delimiter)]
        for b in part:
            record = fields_record(rng, b, today, typed=False)
            rows.append(_csv_line([str(record.get(f, "")) for f in FIELDS], delimiter))
        files.append(_write(folder / f"fields-{k}.csv", "".join(rows), len(part)))
    for name, value in (("nul", "Jan\x00sen"), ("cr", "Jan\rJansen")):  # a NUL; a bare CR in a quoted value
        cells = [[b[f] for f in FIELDS] for b in bases[:20]]
        cells[7][1] = value
        text = "".join(_csv_line(row, ",") for row in [list(FIELDS), *cells])
        files.append(_write(folder / f"probe-{name}.csv", text, 20, probe=True))
    for i, b in enumerate(bases[n_fields + n_structure + n_csv :]):
        if i % 2:
            data = (json.dumps(b, ensure_ascii=False) + "\n").encode()
            path = folder / f"bytes-{i:03d}.jsonl"
        else:
            data = (_csv_line(list(FIELDS), ",") + _csv_line([b[f] for f in FIELDS], ",")).encode()
            path = folder / f"bytes-{i:03d}.csv"
        path.write_bytes(byte_damage(rng, data))
        files.append(FuzzFile(path, None))
    return files


def _write(path: Path, text: str, records: int, probe: bool = False) -> FuzzFile:
    path.write_text(text, encoding="utf-8")
    return FuzzFile(path, records, probe)
