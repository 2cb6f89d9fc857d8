"""Eligibility: valid records outside the target group get every Dutch reason, eligible ones none."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from workflows.intake import check_eligibility
from workflows.model import RoutingDecision, SelfReport

INSTITUTIONS = ("PI Veenhuizen", "PI Leeuwarden")
REPORT = SelfReport(
    dji_id="DJI-1",
    surname="de Vries",
    given_names="Jan",
    birth_date=date(1990, 5, 17),
    sentence_days=14,
    report_date=date(2025, 4, 1),
    institution="PI Veenhuizen",
    gemeente="Groningen",
)
IN_REGION = RoutingDecision(cbs_code="GM0014", method="gemeente")
OUT_OF_REGION = RoutingDecision(cbs_code=None, method="postcode", out_of_region=True)


def test_a_record_in_the_target_group_has_no_reasons() -> None:
    assert check_eligibility(REPORT, IN_REGION, INSTITUTIONS) == []


def test_an_undecided_municipality_is_not_a_reason_to_refuse() -> None:
    undecided = RoutingDecision(cbs_code=None, method="woonplaats", candidates=("GM0080", "GM1900"))

    assert check_eligibility(REPORT, undecided, INSTITUTIONS) == []


def test_living_outside_the_three_provinces_is_a_reason() -> None:
    assert check_eligibility(REPORT, OUT_OF_REGION, INSTITUTIONS) == ["woont buiten 3Noord"]


@pytest.mark.parametrize(("days", "eligible"), [(1, True), (364, True), (365, False), (730, False)])
def test_only_sentences_shorter_than_a_year_are_eligible(days: int, eligible: bool) -> None:
    reasons = check_eligibility(replace(REPORT, sentence_days=days), IN_REGION, INSTITUTIONS)

    assert reasons == ([] if eligible else ["straf van 365 dagen of langer"])


@pytest.mark.parametrize("institution", ["PI Veenhuizen", "pi veenhuizen", "PI  LEEUWARDEN", "Pi\u00a0Leeuwarden"])
def test_institutions_match_without_regard_to_case_or_spacing(institution: str) -> None:
    assert check_eligibility(replace(REPORT, institution=institution), IN_REGION, INSTITUTIONS) == []


def test_another_institution_is_named_with_the_allowed_ones() -> None:
    reasons = check_eligibility(replace(REPORT, institution="PI Zwolle"), IN_REGION, INSTITUTIONS)

    assert reasons == ["inrichting valt buiten de doelgroep (alleen PI Veenhuizen, PI Leeuwarden)"]


def test_a_partial_institution_name_does_not_match() -> None:
    reasons = check_eligibility(replace(REPORT, institution="Veenhuizen"), IN_REGION, INSTITUTIONS)

    assert len(reasons) == 1


def test_all_reasons_are_returned_in_a_fixed_order() -> None:
    report = replace(REPORT, sentence_days=400, institution="PI Zwolle")

    reasons = check_eligibility(report, OUT_OF_REGION, INSTITUTIONS)

    assert reasons == [
        "woont buiten 3Noord",
        "straf van 365 dagen of langer",
        "inrichting valt buiten de doelgroep (alleen PI Veenhuizen, PI Leeuwarden)",
    ]
    assert "; ".join(reasons).count(";") == 2


def test_configured_institutions_come_from_the_caller() -> None:
    assert check_eligibility(replace(REPORT, institution="PI Zwolle"), IN_REGION, ["pi zwolle "]) == []


def test_a_single_institution_given_as_a_string_is_not_split_into_letters() -> None:
    assert check_eligibility(REPORT, IN_REGION, "PI Veenhuizen") == []


def test_no_configured_institutions_makes_every_institution_ineligible_with_a_clear_reason() -> None:
    reasons = check_eligibility(REPORT, IN_REGION, [])

    assert reasons == ["inrichting valt buiten de doelgroep (geen inrichtingen ingesteld)"]
