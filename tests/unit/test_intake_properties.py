"""Properties of intake: no input makes validation or the feed reader crash, and text is never garbled."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from workers.feed_files import FeedError, RawRecord, iter_feed
from workflows.intake import FIELDS, PERSONAL_FIELDS, validate_record
from workflows.model import FieldError, SelfReport

TODAY = date(2025, 3, 3)
MARKER = "QZXW"  # appears in no Dutch message, so finding it in one means a value was echoed

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**5000), max_value=10**5000)
    | st.floats()
    | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)
plausible_text = st.sampled_from(["", " ", "14", "0", "-3", "14.5", "2025-04-01", "1990-05-17", "9711 AB", "12a"])
keys = st.sampled_from(FIELDS) | st.sampled_from([f" {f.upper()} " for f in FIELDS]) | st.text(max_size=12)
records = st.dictionaries(keys, json_values | plausible_text, max_size=20)


@given(records)
def test_validation_never_raises_and_always_decides(raw: dict[str, object]) -> None:
    result = validate_record(raw, today=TODAY)

    if isinstance(result, list):
        assert result, "a rejection must name at least one problem"
        assert all(isinstance(e, FieldError) and e.field in FIELDS and e.message for e in result)
    else:
        assert isinstance(result, SelfReport)


@given(
    st.dictionaries(st.sampled_from(PERSONAL_FIELDS), st.text(max_size=30).map(lambda t: f"{MARKER}{t}"), min_size=1)
)
def test_validation_messages_never_echo_personal_values(personal: dict[str, str]) -> None:
    result = validate_record({"dji_id": "DJI-1", **personal}, today=TODAY)

    assert isinstance(result, list)
    assert all(MARKER not in str(error) for error in result)


@pytest.fixture(scope="module")
def feed_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("feeds")


def read_all(path: Path) -> list[RawRecord]:
    """Read a feed; FeedError is the only exception allowed, and every record is well-formed."""
    try:
        found = list(iter_feed(path))
    except FeedError:
        return []
    lines = [record.line for record in found]
    assert lines == sorted(lines) and all(line >= 1 for line in lines)
    assert all((record.fields is None) != (record.error is None) for record in found)
    return found


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=300)
@given(
    data=st.binary(max_size=2000) | st.binary(max_size=200).map(lambda b: b"dji_id;surname\n" + b),
    suffix=st.sampled_from([".csv", ".jsonl", ".txt", ".dat", ""]),
)
def test_random_bytes_only_ever_raise_feed_error(feed_dir: Path, data: bytes, suffix: str) -> None:
    path = feed_dir / f"random{suffix}"
    path.write_bytes(data)

    read_all(path)


# Text a CSV writer can round-trip: no NUL (binary) and no other C0 controls in bulk (judged binary).
cell_text = st.text(
    st.characters(exclude_categories=("Cs", "Cc"), include_characters="\r\n\t;,\" '"),
    max_size=12,
)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _cp1252(text: str) -> str:
    return text.encode("cp1252", "ignore").decode("cp1252")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=150)
@given(
    rows=st.lists(st.tuples(st.from_regex(r"DJI-[0-9]{1,6}", fullmatch=True), cell_text, cell_text), max_size=20),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
)
def test_what_is_read_is_exactly_what_was_written_or_an_error_never_garbled_text(
    feed_dir: Path, rows: list[tuple[str, str, str]], encoding: str
) -> None:
    if encoding == "cp1252":  # keep only what Windows-1252 can hold, as Excel would have to
        rows = [(a, _cp1252(b), _cp1252(c)) for a, b, c in rows]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(["dji_id", "surname", "woonplaats"])
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding)
    if encoding == "cp1252" and not data.isascii():
        # Windows-1252 bytes that also form valid UTF-8 (``Â\xa0`` is the UTF-8 of ``\xa0``) say
        # nothing about their encoding: every reader takes them for UTF-8, as it must.
        assume(not _is_utf8(data))
    path = feed_dir / "roundtrip.csv"
    path.write_bytes(data)

    found = read_all(path)

    written = [{"dji_id": a, "surname": b, "woonplaats": c} for a, b, c in rows]
    read_back = [record.fields for record in found if record.fields is not None]
    assert read_back == written[: len(read_back)], "a value was read differently from how it was written"
    event(f"{encoding}: {'all read' if len(read_back) == len(written) else 'refused part'}")
    if len(read_back) < len(written):
        assert found and found[-1].error is not None  # refused with a reason, never silently short
