"""Intake of the wider group: the ``group`` field, a detainee's own dates and rules, and its eligibility."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from workers.settings import DEFAULT_DETAINEE_INSTITUTIONS, ConfigError, load_settings
from workflows.intake import check_eligibility, validate_record
from workflows.model import DetaineeReport, FieldError, RoutingDecision, SelfReport, TargetGroup

TODAY = date(2025, 3, 3)
DETAINEE: dict[str, object] = {
    "dji_id": "DJI-D-7", "surname": "Hoekstra", "given_names": "Sjoerd", "birth_date": "1988-04-02",
    "street": "Nieuwestad", "house_number": "12", "postcode": "8911 CT", "woonplaats": "Leeuwarden",
    "sentence_days": "45", "institution": "PI Leeuwarden", "group": "detainee",
    "custody_since": "2025-02-10", "release_date": "2025-03-27",
}  # fmt: skip
SELF_REPORTER = {k: v for k, v in DETAINEE.items() if k not in ("group", "custody_since", "release_date")} | {
    "report_date": "2025-04-01"
}
IN_REGION = RoutingDecision(cbs_code="GM0080", method="woonplaats")


def validate(base: dict[str, object] = DETAINEE, **changes: object) -> DetaineeReport | SelfReport | list[FieldError]:
    record = {k: v for k, v in {**base, **changes}.items() if v is not ...}  # ``...`` drops a field
    return validate_record(record, today=TODAY)


def errors(result: object) -> list[tuple[str, str]]:
    assert isinstance(result, list) and result, f"expected errors, got {result!r}"
    return [(e.field, e.message) for e in result]


def test_a_detainee_record_becomes_a_detainee_report_with_its_own_dates() -> None:
    report = validate()

    assert isinstance(report, DetaineeReport) and report.group is TargetGroup.DETAINEE
    assert (report.custody_since, report.release_date) == (date(2025, 2, 10), date(2025, 3, 27))
    assert (report.sentence_days, report.institution, report.woonplaats) == (45, "PI Leeuwarden", "Leeuwarden")
    assert not hasattr(report, "report_date")


@pytest.mark.parametrize("group", [..., "", "  ", "self_reporter", "Self-Reporter", " SELF REPORTER "])
def test_a_record_without_a_group_or_with_self_reporter_is_a_self_reporter(group: object) -> None:
    report = validate(SELF_REPORTER, group=group)

    assert isinstance(report, SelfReport) and report.group is TargetGroup.SELF_REPORTER


@pytest.mark.parametrize("group", ["Detainee", " DETAINEE ", "detainee"])
def test_the_group_is_read_like_a_header_name(group: str) -> None:
    assert isinstance(validate(group=group), DetaineeReport)


@pytest.mark.parametrize("group", ["gedetineerde", "zelfmelder", "detainees", 1, "de Vries"])
def test_an_unknown_group_is_one_error_naming_the_field_not_the_value(group: object) -> None:
    found = errors(validate(group=group))

    assert [field for field, _ in found] == ["group"]
    assert "de Vries" not in found[0][1]
    if isinstance(group, str):
        assert found[0][1] == "onbekende groep (verwacht self_reporter of detainee)"


@pytest.mark.parametrize("field", ["release_date", "custody_since"])
def test_a_detainee_without_one_of_its_dates_is_rejected_naming_it(field: str) -> None:
    assert errors(validate(**{field: ...})) == [(field, "verplicht veld ontbreekt of is leeg")]


def test_a_detainee_without_both_dates_gets_both_errors_in_one_round() -> None:
    found = errors(validate(release_date=..., custody_since="", sentence_days="veertien"))

    assert [field for field, _ in found] == ["sentence_days", "release_date", "custody_since"]


def test_a_report_date_on_a_detainee_says_the_group_may_be_wrong() -> None:
    found = errors(validate(report_date="2025-04-01"))

    assert found == [("report_date", "hoort niet bij groep detainee (die heeft release_date en custody_since); "
                                     "klopt de groep?")]  # fmt: skip


def test_a_self_reporter_with_a_detainees_dates_and_no_report_date_gets_every_error() -> None:
    record = {**DETAINEE, "group": ...}

    found = errors(validate(record))

    assert [field for field, _ in found] == ["report_date", "release_date", "custody_since"]
    assert found[1][1].startswith("hoort niet bij groep self_reporter (die heeft report_date)")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("release_date", "2025-03-02", "vrijlatingsdatum ligt in het verleden"),
    ("release_date", "2027-03-03", "vrijlatingsdatum ligt 2 jaar of meer in de toekomst"),
    ("release_date", "27-03-2025", "geen geldige datum (verwacht JJJJ-MM-DD)"),
    ("custody_since", "2025-03-04", "datum van insluiting ligt in de toekomst"),
    ("custody_since", "2023-03-03", "datum van insluiting ligt 2 jaar of meer in het verleden"),
    ("custody_since", "2025-02-30", "geen geldige datum (verwacht JJJJ-MM-DD)"),
])  # fmt: skip
def test_each_date_of_a_detainee_is_checked_on_its_own(field: str, value: str, message: str) -> None:
    assert errors(validate(**{field: value})) == [(field, message)]


def test_a_release_today_and_custody_since_a_year_and_a_day_short_of_two_years_are_valid() -> None:
    assert isinstance(validate(release_date="2025-03-03", custody_since="2023-03-04"), DetaineeReport)


def test_a_release_on_the_day_custody_began_is_an_error_on_the_release_date() -> None:
    found = errors(validate(release_date="2025-03-03", custody_since="2025-03-03"))

    assert found == [("release_date", "vrijlatingsdatum ligt niet na de datum van insluiting (custody_since)")]


def test_two_group_columns_with_different_values_conflict() -> None:
    found = errors(validate_record({**DETAINEE, "Group": "self_reporter"}, today=TODAY))

    assert ("group", "komt meer dan eens voor met verschillende waarden") in found


def test_a_detainee_is_eligible_by_region_sentence_and_its_own_institutions() -> None:
    report = validate()
    assert isinstance(report, DetaineeReport)

    assert check_eligibility(report, IN_REGION, ("PI Leeuwarden",)) == []
    assert check_eligibility(replace(report, sentence_days=365), IN_REGION, ("PI Leeuwarden",)) == [
        "straf van 365 dagen of langer"
    ]
    out = RoutingDecision(cbs_code=None, method="postcode", out_of_region=True)
    assert check_eligibility(report, out, ("PI Leeuwarden",)) == ["woont buiten 3Noord"]
    assert check_eligibility(replace(report, institution="PI Zwolle"), IN_REGION, ("PI Leeuwarden",)) == [
        "inrichting valt buiten de doelgroep (alleen PI Leeuwarden)"
    ]


def test_detainee_institutions_are_a_config_key_of_their_own(tmp_path: Path) -> None:
    config = tmp_path / "koers.toml"
    config.write_text('[koers]\ndetainee_institutions = ["PI Zwolle", "PI Leeuwarden"]\n', encoding="utf-8")

    settings = load_settings({"KOERS_CONFIG": str(config), "KOERS_HOME": str(tmp_path)})

    assert settings.detainee_institutions == ("PI Zwolle", "PI Leeuwarden")
    assert settings.institutions == ("PI Veenhuizen", "PI Leeuwarden")
    default = load_settings({"KOERS_HOME": str(tmp_path)})
    assert default.detainee_institutions == DEFAULT_DETAINEE_INSTITUTIONS == ("PI Veenhuizen", "PI Leeuwarden")


def test_a_single_string_for_institutions_is_an_error_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "koers.toml"
    config.write_text('[koers]\ndetainee_institutions = "PI Zwolle"\n', encoding="utf-8")

    with pytest.raises(ConfigError, match="koers.detainee_institutions"):
        load_settings({"KOERS_CONFIG": str(config), "KOERS_HOME": str(tmp_path)})


@pytest.mark.parametrize("field", ["group", "release_date", "custody_since"])
def test_a_name_in_a_new_field_is_never_echoed(field: str) -> None:
    # A shifted column puts a name where the group or a date belongs: the reasons name the field only.
    found = errors(validate(**{field: "Kanariezqxw Vogeltjevrkm"}))

    assert [f for f, _ in found] == [field]
    assert not any("Kanarie" in message or "Vogeltje" in message for _, message in found)


def test_an_absurdly_long_group_is_a_length_error_and_is_not_kept_in_a_cache() -> None:
    found = errors(validate(group="detainee" + " " * 100_000 + "x"))

    assert found == [("group", "te lang (meer dan 200 tekens)")]
    from workflows.intake import normalise_field_name

    before = normalise_field_name.cache_info().currsize
    validate(group="y" * 150)
    assert normalise_field_name.cache_info().currsize == before  # header names only: a value never fills it
