"""The monitoring report per group: self-reporters and detainees apart and together, the same columns, every filter.

Cases (all created in March 2019; ``L`` a sent notification with the letter, ``N`` one without, as a
detainee's; ``E`` a sent escalation):

| # | group | municipality | days | contact | form | actions | emails |
| 1 | self_reporter | GM0014 | 10 | yes | letter | yes | L |
| 2 | self_reporter | GM0014 | 30 | no | — | unknown | L E |
| 3 | self_reporter | GM0080 | 14 | yes | phone | yes | L |
| 4 | detainee | GM0014 | 20 | yes | visit | yes | N |
| 5 | detainee | GM0080 | 60 | yes | other | no | N E |
| 6 | detainee | GM0080 | 100 | unknown | — | unknown | N E |
| 7 | detainee | GM0106 | 40 | yes | visit | yes | N |  (created in April)
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from schema.models import CaseRow
from schema.report_model import Figures, Section
from schema.report_queries import monitoring_report
from schema.runtime_models import OutboundEmail
from workers.report_export import report_csv, report_text

L, N, E = ("notification", True), ("notification", False), ("escalation", False)
CASES: list[tuple[Any, ...]] = [
    (1, "self_reporter", "GM0014", 10, "yes", "letter", "yes", [L], 3),
    (2, "self_reporter", "GM0014", 30, "no", None, "unknown", [L, E], 3),
    (3, "self_reporter", "GM0080", 14, "yes", "phone", "yes", [L], 3),
    (4, "detainee", "GM0014", 20, "yes", "visit", "yes", [N], 3),
    (5, "detainee", "GM0080", 60, "yes", "other", "no", [N, E], 3),
    (6, "detainee", "GM0080", 100, "unknown", None, "unknown", [N, E], 3),
    (7, "detainee", "GM0106", 40, "yes", "visit", "yes", [N], 4),
]  # fmt: skip


@pytest.fixture
def two_groups(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    with sessions.begin() as session:
        for n, group, code, days, contact, form, actions, emails, month in CASES:
            at = datetime(2019, month, 10, 12, tzinfo=UTC)
            dates = ({"report_date": date(2019, 9, 1)} if group == "self_reporter" else
                     {"release_date": date(2019, 9, 1), "custody_since": date(2019, 3, 1)})  # fmt: skip
            case = CaseRow(dji_id=f"G-{n}", surname="X", given_names="Y", birth_date=date(1990, 1, 1),
                           sentence_days=days, institution="PI Veenhuizen", cbs_code=code, state="notified",
                           routing_method="test", created_at=at, updated_at=at, target_group=group,
                           outcome_contact=contact, outcome_contact_form=form, outcome_actions=actions,
                           outcome_known_to_care="unknown", **dates)  # fmt: skip
            session.add(case)
            session.flush()
            for i, (kind, letter) in enumerate(emails):
                session.add(OutboundEmail(case_id=case.id, kind=kind, step=f"s{i}", recipient="municipality",
                                          reason="t", message_id=f"<g{n}-{i}@koers.test>", state="sent",
                                          created_at=at, updated_at=at, sent_at=at, attach_letter=letter))  # fmt: skip
    return sessions


def figures(f: Figures) -> tuple[int, ...]:
    """(cases, letters, response to letter, contact, actions, escalations)."""
    return (f.cases, f.letters_sent, f.response_to_letter, f.contact, f.actions, f.escalations)


def by_code(section: Section) -> dict[str | None, tuple[int, ...]]:
    return {m.cbs_code: figures(m.group.figures) for m in section.municipalities if m.group.figures.cases}


def test_each_group_is_counted_apart_and_together(two_groups: sessionmaker[Session]) -> None:
    with two_groups() as session:
        report = monitoring_report(session, date_from=None, date_to=None)

    self_reporters, detainees = report.groups["self_reporter"], report.groups["detainee"]
    assert figures(self_reporters.total.figures) == (3, 3, 1, 2, 2, 1)
    # A detainee gets no letter: no letters sent, so no response to one (not "0 %")
    assert figures(detainees.total.figures) == (4, 0, 0, 3, 2, 2)
    assert detainees.total.figures.ratio("response_to_letter")["percent"] is None
    assert figures(report.total.figures) == (7, 3, 1, 5, 4, 3)
    assert by_code(detainees) == {"GM0014": (1, 0, 0, 1, 1, 0), "GM0080": (2, 0, 0, 1, 0, 2),
                                  "GM0106": (1, 0, 0, 1, 1, 0)}  # fmt: skip
    for province in report.provinces:  # together is the sum of the groups, province by province
        parts = [next(p for p in s.provinces if p.province == province.province) for s in report.groups.values()]
        assert province.group.figures.cases == sum(p.group.figures.cases for p in parts)


def test_every_section_has_the_same_shape_in_json(two_groups: sessionmaker[Session]) -> None:
    with two_groups() as session:
        data = monitoring_report(session, date_from=None, date_to=None).to_dict()

    assert [(g["group"], g["label"]) for g in data["groups"]] == [
        ("self_reporter", "Zelfmelders"), ("detainee", "Kortgestrafte gedetineerden")]  # fmt: skip
    together_keys = {key: set(data[key][0] if isinstance(data[key], list) else data[key])
                     for key in ("total", "provinces", "municipalities", "trend")}  # fmt: skip
    for group in data["groups"]:
        for key, keys in together_keys.items():
            assert set(group[key][0] if isinstance(group[key], list) else group[key]) == keys
    assert data["group"] is None


def test_the_filters_hold_for_every_group(two_groups: sessionmaker[Session]) -> None:
    with two_groups() as session:
        leeuwarden = monitoring_report(session, date_from=None, date_to=None, cbs_codes=["GM0080"])
        march = monitoring_report(session, date_from=date(2019, 3, 1), date_to=date(2019, 3, 31))
        only = monitoring_report(session, date_from=None, date_to=None, group="detainee")
        only_leeuwarden = monitoring_report(session, date_from=None, date_to=None, cbs_codes=["GM0080"],
                                            group="detainee")  # fmt: skip

    assert figures(leeuwarden.groups["self_reporter"].total.figures) == (1, 1, 0, 1, 1, 0)
    assert figures(leeuwarden.groups["detainee"].total.figures) == (2, 0, 0, 1, 0, 2)
    assert march.groups["detainee"].total.figures.cases == 3  # case 7 is April's
    assert [m.month for m in march.groups["detainee"].trend] == ["2019-03"]
    assert list(only.groups) == ["detainee"] and only.group == "detainee"
    assert figures(only.total.figures) == (4, 0, 0, 3, 2, 2)
    assert figures(only_leeuwarden.total.figures) == (2, 0, 0, 1, 0, 2)


def test_the_csv_has_a_section_per_group_with_the_same_columns(two_groups: sessionmaker[Session]) -> None:
    with two_groups() as session:
        everything = report_csv(monitoring_report(session, date_from=None, date_to=None))
        detainees = report_csv(monitoring_report(session, date_from=None, date_to=None, group="detainee"))

    header, *rows = list(csv.reader(io.StringIO(everything), delimiter=";"))
    assert header[-1] == "Groep" and all(len(row) == len(header) for row in rows)
    totals = {row[-1]: row for row in rows if row[0] == "totaal"}
    assert list(totals) == ["Alle groepen", "Zelfmelders", "Kortgestrafte gedetineerden"]
    zaken, brieven = header.index("Zaken"), header.index("Brieven verzonden")
    respons = header.index("% respons op brief (van verzonden brieven)")
    assert [totals[g][zaken] for g in totals] == ["7", "3", "4"]
    assert (totals["Kortgestrafte gedetineerden"][brieven], totals["Kortgestrafte gedetineerden"][respons]) == ("0", "")
    _, *only = list(csv.reader(io.StringIO(detainees), delimiter=";"))
    assert {row[-1] for row in only} == {"Kortgestrafte gedetineerden"}


def test_the_text_report_shows_the_groups_side_by_side_then_each_section(two_groups: sessionmaker[Session]) -> None:
    with two_groups() as session:
        text = report_text(monitoring_report(session, date_from=None, date_to=None))

    assert text.index("Per groep") < text.index("== Alle groepen ==") < text.index("== Zelfmelders ==") < text.index(
        "== Kortgestrafte gedetineerden ==")  # fmt: skip
    per_group = text[text.index("Per groep"):text.index("== Alle groepen ==")].splitlines()
    assert [line.split()[0] for line in per_group[1:4]] == ["Zelfmelders", "Kortgestrafte", "Alle"]
    assert text.count("Per provincie") == 3 and text.count("Naar strafduur") == 3
