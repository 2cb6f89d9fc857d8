"""Feed files: CSV and JSON Lines read lazily, with line numbers, right encodings and never mojibake."""

from __future__ import annotations

import codecs
import json
import tracemalloc
from pathlib import Path

import pytest

from workers import feed_files
from workers.feed_files import NOT_TEXT, FeedError, RawRecord, iter_feed

HEADER = "dji_id;surname;given_names;woonplaats"
ACCENTED = "2;Hélène;Zoë;Súdwest-Fryslân"


def write(tmp_path: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def read(path: Path) -> list[RawRecord]:
    return list(iter_feed(path))


def summary(records: list[RawRecord]) -> list[tuple[int, dict[str, object] | str | None]]:
    return [(r.line, r.fields if r.fields is not None else r.error) for r in records]


def values(records: list[RawRecord]) -> list[str]:
    return [str(v) for r in records if r.fields for v in r.fields.values()]


def assert_no_mojibake(records: list[RawRecord]) -> None:
    for value in values(records):
        assert "Ã" not in value and "Â" not in value and "\ufffd" not in value, value


# --- CSV shapes ---------------------------------------------------------------------------------


def test_comma_separated_csv_yields_one_record_per_row_from_line_2(tmp_path: Path) -> None:
    path = write(tmp_path, "feed.csv", "dji_id,surname\n1,Bakker\n2,Smit\n")

    assert summary(read(path)) == [(2, {"dji_id": "1", "surname": "Bakker"}), (3, {"dji_id": "2", "surname": "Smit"})]


def test_semicolon_separated_csv_is_sniffed_from_the_header(tmp_path: Path) -> None:
    path = write(tmp_path, "feed.csv", "dji_id;surname;woonplaats\n1;Bakker, J.;Assen\n")

    assert summary(read(path)) == [(2, {"dji_id": "1", "surname": "Bakker, J.", "woonplaats": "Assen"})]


def test_header_names_are_normalised_for_known_fields_and_kept_for_others(tmp_path: Path) -> None:
    path = write(tmp_path, "feed.csv", " DJI_ID ;Given Names;Opmerking\n1;Jan;iets\n")

    assert read(path)[0].fields == {"dji_id": "1", "given_names": "Jan", "Opmerking": "iets"}


def test_utf8_bom_does_not_end_up_in_the_first_column_name(tmp_path: Path) -> None:
    path = write(tmp_path, "feed.csv", f"{HEADER}\n{ACCENTED}\n", encoding="utf-8-sig")

    fields = read(path)[0].fields
    assert fields is not None and fields["dji_id"] == "2" and fields["woonplaats"] == "Súdwest-Fryslân"


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"])
def test_crlf_and_cr_line_ends_leave_no_carriage_returns(tmp_path: Path, newline: str) -> None:
    path = write(tmp_path, "feed.csv", newline.join(["dji_id;surname", "1;Bakker", "2;Smit", ""]))

    records = read(path)
    assert summary(records) == [(2, {"dji_id": "1", "surname": "Bakker"}), (3, {"dji_id": "2", "surname": "Smit"})]


def test_quoted_fields_may_hold_delimiters_and_newlines_and_line_numbers_stay_physical(tmp_path: Path) -> None:
    content = 'dji_id;street;woonplaats\r\n1;"Markt; 1\r\nachterom";Assen\r\n2;"""De Hoek""";Emmen\r\n3;x;y\r\n'
    path = write(tmp_path, "feed.csv", content)

    assert summary(read(path)) == [
        (2, {"dji_id": "1", "street": "Markt; 1\r\nachterom", "woonplaats": "Assen"}),
        (4, {"dji_id": "2", "street": '"De Hoek"', "woonplaats": "Emmen"}),
        (5, {"dji_id": "3", "street": "x", "woonplaats": "y"}),
    ]


def test_blank_lines_and_rows_of_only_delimiters_are_skipped(tmp_path: Path) -> None:
    path = write(tmp_path, "feed.csv", "\n\ndji_id;surname\n\n1;Bakker\n;\n  \n2;Smit\n\n")

    assert [r.line for r in read(path)] == [5, 8]


def test_a_row_with_more_fields_than_the_header_is_an_error_naming_the_counts(tmp_path: Path) -> None:
    path = write(tmp_path, "feed.csv", "dji_id;surname\n1;Bakker;extra\n2;Smit\n")

    assert summary(read(path)) == [
        (2, "regel 2: 3 velden, maar de kopregel heeft 2 kolommen"),
        (3, {"dji_id": "2", "surname": "Smit"}),
    ]


def test_empty_surplus_cells_from_excel_are_tolerated(tmp_path: Path) -> None:
    path = write(tmp_path, "feed.csv", "dji_id;surname\n1;Bakker;;\n")

    assert read(path)[0].fields == {"dji_id": "1", "surname": "Bakker"}


def test_a_row_with_fewer_fields_gets_empty_values(tmp_path: Path) -> None:
    path = write(tmp_path, "feed.csv", "dji_id;surname;woonplaats\n1\n")

    assert read(path)[0].fields == {"dji_id": "1", "surname": "", "woonplaats": ""}


def test_header_only_file_has_no_records(tmp_path: Path) -> None:
    assert read(write(tmp_path, "feed.csv", "dji_id;surname\r\n")) == []


def test_a_header_without_known_columns_is_refused_so_a_headerless_file_loses_no_record(tmp_path: Path) -> None:
    path = write(tmp_path, "feed.csv", "DJI-1;Bakker;Jan\nDJI-2;Smit;Piet\n")

    with pytest.raises(FeedError, match="feed.csv: de kopregel bevat geen bekende kolomnamen") as caught:
        read(path)
    assert "Bakker" not in str(caught.value)


def test_a_known_column_twice_in_the_header_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FeedError, match="kolom surname staat meer dan eens"):
        read(write(tmp_path, "feed.csv", "dji_id;surname;Surname\n1;a;b\n"))


def test_an_over_long_field_is_an_error_record_and_reading_goes_on(tmp_path: Path) -> None:
    path = write(tmp_path, "feed.csv", 'dji_id;surname\n1;"' + "x" * 200_000 + '"\n2;Smit\n')

    records = read(path)
    assert records[0].error is not None and records[0].error.startswith("regel 2: onleesbare CSV")
    assert records[-1].fields == {"dji_id": "2", "surname": "Smit"}


def test_a_line_longer_than_the_limit_stops_reading_with_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feed_files, "MAX_LINE_CHARS", 1000)
    monkeypatch.setattr(feed_files, "CHUNK_SIZE", 256)
    path = write(tmp_path, "feed.csv", "dji_id;surname\n1;Bakker\n2;" + "x" * 5000 + "\n3;Smit\n")

    assert summary(read(path)) == [
        (2, {"dji_id": "1", "surname": "Bakker"}),
        (3, "regel 3: regel is langer dan 1000 tekens"),
    ]


# --- encodings ----------------------------------------------------------------------------------


def test_windows_1252_export_is_read_with_its_accents(tmp_path: Path) -> None:
    content = f"{HEADER}\r\n1;Bakker;Jan;Leeuwarden\r\n{ACCENTED}\r\n3;d’Ancona;Renée;’t Zandt\r\n"
    path = write(tmp_path, "feed.csv", content, encoding="cp1252")

    records = read(path)
    assert records[1].fields == {
        "dji_id": "2",
        "surname": "Hélène",
        "given_names": "Zoë",
        "woonplaats": "Súdwest-Fryslân",
    }
    assert records[2].fields is not None and records[2].fields["surname"] == "d’Ancona"
    assert_no_mojibake(records)


def test_windows_1252_accents_after_the_first_64_kib_are_read_right(tmp_path: Path) -> None:
    rows = "".join(f"{i};Bakker;Jan;Assen\n" for i in range(10_000))  # well past the first chunk, ASCII only
    path = write(tmp_path, "feed.csv", f"{HEADER}\n{rows}{ACCENTED}\n", encoding="cp1252")

    records = read(path)
    assert len(records) == 10_001
    assert records[-1].fields is not None and records[-1].fields["woonplaats"] == "Súdwest-Fryslân"
    assert records[-1].line == 10_002


def test_utf8_file_with_windows_1252_bytes_later_stops_at_that_line_without_mojibake(tmp_path: Path) -> None:
    rows = "".join(f"{i};Hélène;Zoë;Súdwest-Fryslân\n" for i in range(5_000))
    content = f"{HEADER}\n{rows}".encode() + f"{ACCENTED}\n9;a;b;c\n".encode("cp1252")
    path = write(tmp_path, "feed.csv", content)

    records = read(path)
    assert len(records) == 5_001
    assert all(r.fields is not None for r in records[:-1])
    assert records[-1].line == 5_002
    assert records[-1].error == f"regel 5002: {feed_files.MIXED_ENCODING}"
    assert_no_mojibake(records)


def test_utf8_and_windows_1252_mixed_in_the_first_chunk_is_refused_not_guessed(tmp_path: Path) -> None:
    content = f"{HEADER}\n1;Hélène;Zoë;Assen\n".encode() + f"{ACCENTED}\n".encode("cp1252")
    path = write(tmp_path, "feed.csv", content)

    assert summary(read(path)) == [(1, f"regel 1: {NOT_TEXT}")]


@pytest.mark.parametrize("encoding", ["mac_roman", "cp850"])
def test_other_code_pages_are_refused_rather_than_read_as_windows_1252(tmp_path: Path, encoding: str) -> None:
    path = write(tmp_path, "feed.csv", f"{HEADER}\n1;Hélène;Jan;Fryslân\n", encoding=encoding)

    records = read(path)
    assert [r.error for r in records] == [f"regel 1: {NOT_TEXT}"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_excel_unicode_text_with_a_bom_is_read(tmp_path: Path, encoding: str) -> None:
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}.get(encoding, b"")
    content = bom + "dji_id\tsurname\twoonplaats\r\n1\tHélène\tSúdwest-Fryslân\r\n".encode(encoding)
    path = write(tmp_path, "feed.txt", content)

    assert summary(read(path)) == [(2, {"dji_id": "1", "surname": "Hélène", "woonplaats": "Súdwest-Fryslân"})]


@pytest.mark.parametrize("name", ["feed.csv", "feed.jsonl"])
def test_a_binary_file_gives_one_error_record_and_nothing_else(tmp_path: Path, name: str) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    path = write(tmp_path, name, png)

    assert summary(read(path)) == [(1, "regel 1: bestand is geen tekst in UTF-8 of Windows-1252")]


def test_nul_bytes_after_the_first_chunk_stop_reading_at_their_line(tmp_path: Path) -> None:
    rows = "".join(f"{i};Bakker\n" for i in range(10_000))
    path = write(tmp_path, "feed.csv", f"dji_id;surname\n{rows}".encode() + b"x;\x00\x00\x01\n1;a\n")

    records = read(path)
    assert len(records) == 10_001
    assert records[-1].error == f"regel 10002: {NOT_TEXT}"


# --- JSON Lines ---------------------------------------------------------------------------------


def test_jsonl_broken_lines_in_the_middle_do_not_cost_the_good_ones(tmp_path: Path) -> None:
    lines = [
        json.dumps({"dji_id": "1", "sentence_days": 14, "gemeente": None}),
        "{not json",
        "",
        json.dumps(["a", "list"]),
        '"a string"',
        json.dumps({"dji_id": "2", "woonplaats": "Súdwest-Fryslân", "tags": [1, {"x": 2}]}),
        "[" * 100_000,
        json.dumps({"dji_id": "3"}),
    ]
    path = write(tmp_path, "feed.jsonl", "\n".join(lines) + "\n")

    assert summary(read(path)) == [
        (1, {"dji_id": "1", "sentence_days": 14, "gemeente": None}),
        (2, "regel 2: geen geldig JSON-object"),
        (4, "regel 4: geen geldig JSON-object"),
        (5, "regel 5: geen geldig JSON-object"),
        (6, {"dji_id": "2", "woonplaats": "Súdwest-Fryslân", "tags": [1, {"x": 2}]}),
        (7, "regel 7: geen geldig JSON-object"),
        (8, {"dji_id": "3"}),
    ]


def test_jsonl_with_bom_and_crlf_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, "feed.ndjson", '{"dji_id": "1"}\r\n{"dji_id": "2"}', encoding="utf-8-sig")

    assert summary(read(path)) == [(1, {"dji_id": "1"}), (2, {"dji_id": "2"})]


def test_json_values_may_contain_unicode_line_separators(tmp_path: Path) -> None:
    path = write(tmp_path, "feed.jsonl", '{"street": "a\u2028b", "x": "\u0085"}\n{"dji_id": "2"}\n')

    assert [r.line for r in read(path)] == [1, 2]


# --- formats and unreadable files ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("feed.csv", "dji_id;surname\n1;Bakker\n"),
        ("feed.CSV", "dji_id\n1\n"),
        ("feed.txt", "dji_id\tsurname\n1\tBakker\n"),
        ("feed.dat", "dji_id,surname\n1,Bakker\n"),
        ("feed.jsonl", '{"dji_id": "1"}\n'),
        ("feed.ndjson", '{"dji_id": "1"}\n'),
        ("feed", '\n  {"dji_id": "1"}\n'),
        ("feed.json", '{"dji_id": "1"}\n'),
    ],
)
def test_the_format_follows_from_suffix_and_first_character(tmp_path: Path, name: str, content: str) -> None:
    # Read in the other format, the record would be an error or have other field names
    (record,) = read(write(tmp_path, name, content))

    assert record.error is None and record.fields is not None and record.fields["dji_id"] == "1"


def test_the_format_is_seen_through_a_utf16_bom(tmp_path: Path) -> None:
    assert summary(read(write(tmp_path, "feed", '{"dji_id": "1"}\n', encoding="utf-16"))) == [(1, {"dji_id": "1"})]


def test_a_file_in_neither_format_is_a_feed_error(tmp_path: Path) -> None:
    with pytest.raises(FeedError, match=r"feed\.dat: onbekend formaat"):
        iter_feed(write(tmp_path, "feed.dat", "zomaar wat tekst\n"))


@pytest.mark.parametrize("content", [b"", b"\n\r\n  \n", codecs.BOM_UTF8, codecs.BOM_UTF16_LE])
def test_an_empty_file_is_a_feed_error_naming_it(tmp_path: Path, content: bytes) -> None:
    with pytest.raises(FeedError, match=r"bestand .*leeg\.csv is leeg"):
        iter_feed(write(tmp_path, "leeg.csv", content))


def test_a_missing_file_is_a_feed_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(FeedError, match=r"bestand .*weg\.csv bestaat niet"):
        iter_feed(tmp_path / "weg.csv")


def test_a_directory_is_a_feed_error(tmp_path: Path) -> None:
    with pytest.raises(FeedError, match="is een map"):
        iter_feed(tmp_path)


def test_a_raw_record_has_exactly_one_of_fields_and_error() -> None:
    with pytest.raises(ValueError):
        RawRecord(1)
    with pytest.raises(ValueError):
        RawRecord(1, fields={}, error="x")


# --- streaming ----------------------------------------------------------------------------------


def _write_big_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("dji_id;surname;given_names;birth_date;street;house_number;postcode;woonplaats;opmerking\r\n")
        for i in range(rows):
            handle.write(f"DJI-{i:07d};Hoekstra;Sjoerd Jan;1990-01-01;Oude Ebbingestraat;{i % 200 + 1};9712 HA;")
            handle.write(f"Súdwest-Fryslân;{'een lange opmerking ' * 6}\r\n")


def test_a_200000_row_file_is_read_in_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    _write_big_csv(path, 200_000)
    assert path.stat().st_size > 40_000_000  # bigger than the memory budget, so a full read would show

    tracemalloc.start()
    try:
        count, last = 0, None
        for record in iter_feed(path):
            count, last = count + 1, record
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert count == 200_000
    assert last is not None and last.line == 200_001 and last.fields is not None
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_a_large_jsonl_file_is_read_in_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    record = {"dji_id": "", "surname": "Hoekstra", "woonplaats": "Súdwest-Fryslân", "opmerking": "x" * 200}
    with path.open("w", encoding="utf-8") as handle:
        for i in range(100_000):
            handle.write(json.dumps(record | {"dji_id": f"DJI-{i}"}) + "\n")

    tracemalloc.start()
    try:
        count = sum(1 for _ in iter_feed(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert count == 100_000
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
