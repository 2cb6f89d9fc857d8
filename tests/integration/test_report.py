"""The monitoring report against both databases, on a fixture whose figures are computed by hand.

Twenty cases in five municipalities of three provinces plus one not yet routed. Per case:
L letter sent, R response to the letter, C contact (any form), O other contact, AC actions among
contacts, A actions, K known to care (among A), E escalation sent, W closed without outcome,
U urgent. Band b1 ≤ 21 days, b2 22–90, b3 > 90. Month is the local (Amsterdam) month.

    case municipality days band month  L R C O AC A K E W U   notes
    c1   GM0014       10   b1   Mar    1 1 1 0 1  1 1 0 0 0   + a sent reminder (not a letter)
    c2   GM0014       15   b1   Mar    1 1 1 0 1  1 0 0 0 0
    c3   GM0014       30   b2   Mar    1 0 1 1 0  0 0 0 0 0   phone
    c4   GM0014      100   b3   Mar    1 0 0 0 0  0 0 1 1 0
    c5   GM0014       21   b1   Mar    1 0 0 0 0  0 0 0 0 1   Feb 28 23:30 UTC = Mar 1 local; 2 sent letters;
                                                               escalation only queued
    c6   GM1969       22   b2   Apr    1 1 1 0 1  1 0 0 0 0   Mar 31 22:30 UTC = Apr 1 local; known unknown
    c7   GM1969       90   b2   Apr    0 0 1 1 1  1 1 1 0 0   visit; letter failed
    c8   GM0080        7   b1   Mar    1 1 1 0 0  0 0 0 0 0
    c9   GM0080       14   b1   Mar    1 0 1 1 1  1 1 0 0 0   other
    c10  GM0080       45   b2   Mar    1 0 0 0 0  0 0 1 1 0
    c11  GM0080       91   b3   Apr    1 0 0 0 0  0 0 1 0 1
    c12  GM0080       60   b2   Apr    1 1 1 0 1  1 1 0 0 0
    c13  GM0074        5   b1   Mar    1 0 1 1 0  0 0 0 0 0   contact without a form
    c14  GM0074      200   b3   Mar    1 0 0 0 0  1 0 0 0 0   actions without contact
    c15  GM0106       20   b1   Mar    1 1 1 0 1  1 1 0 0 0
    c16  GM0106       40   b2   Mar    1 1 1 0 0  0 0 0 0 0
    c17  GM0106      120   b3   Apr    1 0 0 0 0  0 0 1 1 0
    c18  GM0106        3   b1   Apr    0 0 0 0 0  0 0 0 0 0   no email at all
    c19  (none)       30   b2   Mar    0 0 0 0 0  0 0 0 0 0   needs routing
    c20  GM0014       10   b1   May    1 1 1 0 1  1 1 0 0 0
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from schema.models import CaseRow
from schema.report_model import Figures
from schema.report_queries import monitoring_report
from schema.runtime_models import OutboundEmail
from workers.report_export import report_csv
from workflows.calendar import AMSTERDAM

pytestmark = pytest.mark.integration

NOW = datetime(2019, 6, 1, tzinfo=UTC)
Y, N, U = "yes", "no", "unknown"

# (number, cbs_code, sentence_days, created_at (UTC), contact, form, actions, known, emails, close_reason, urgent)
LETTER, ESCALATION = ("notification", "sent"), ("escalation", "sent")
CASES: list[tuple[Any, ...]] = [
    (1, "GM0014", 10, (2019, 3, 5), Y, "letter", Y, Y, [LETTER, ("reminder", "sent")], None, False),
    (2, "GM0014", 15, (2019, 3, 6), Y, "letter", Y, N, [LETTER], None, False),
    (3, "GM0014", 30, (2019, 3, 7), Y, "phone", N, U, [LETTER], None, False),
    (4, "GM0014", 100, (2019, 3, 8), N, None, U, U, [LETTER, ESCALATION], "window_closed_without_outcome", False),
    (5, "GM0014", 21, datetime(2019, 2, 28, 23, 30, tzinfo=UTC), U, None, U, U,
     [LETTER, LETTER, ("escalation", "queued")], None, True),
    (6, "GM1969", 22, datetime(2019, 3, 31, 22, 30, tzinfo=UTC), Y, "letter", Y, U, [LETTER], None, False),
    (7, "GM1969", 90, (2019, 4, 10), Y, "visit", Y, Y, [("notification", "failed"), ESCALATION], None, False),
    (8, "GM0080", 7, (2019, 3, 12), Y, "letter", N, U, [LETTER], None, False),
    (9, "GM0080", 14, (2019, 3, 13), Y, "other", Y, Y, [LETTER], None, False),
    (10, "GM0080", 45, (2019, 3, 14), N, None, U, U, [LETTER, ESCALATION], "window_closed_without_outcome", False),
    (11, "GM0080", 91, (2019, 4, 2), U, None, U, U, [LETTER, ESCALATION], None, True),
    (12, "GM0080", 60, (2019, 4, 3), Y, "letter", Y, Y, [LETTER], "outcome_complete", False),
    (13, "GM0074", 5, (2019, 3, 20), Y, None, U, U, [LETTER], None, False),
    (14, "GM0074", 200, (2019, 3, 21), N, None, Y, N, [LETTER], None, False),
    (15, "GM0106", 20, (2019, 3, 25), Y, "letter", Y, Y, [LETTER], None, False),
    (16, "GM0106", 40, (2019, 3, 26), Y, "letter", N, U, [LETTER], None, False),
    (17, "GM0106", 120, (2019, 4, 4), N, None, U, U, [LETTER, ESCALATION], "window_closed_without_outcome", False),
    (18, "GM0106", 3, (2019, 4, 5), U, None, U, U, [], None, False),
    (19, None, 30, (2019, 3, 28), U, None, U, U, [], None, False),
    (20, "GM0014", 10, (2019, 5, 15), Y, "letter", Y, Y, [LETTER], None, False),
]  # fmt: skip


def _created_at(value: tuple[int, int, int] | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime(*value, 12, 0, tzinfo=AMSTERDAM).astimezone(UTC)


@pytest.fixture
def fixture_cases(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    with sessions.begin() as session:
        for n, code, days, created, contact, form, actions, known, emails, close_reason, urgent in CASES:
            at = _created_at(created)
            case = CaseRow(
                dji_id=f"DJI-T-{n:03d}", surname="X", given_names="Y", birth_date=date(1990, 1, 1),
                sentence_days=days, report_date=date(2019, 9, 1), institution="PI Veenhuizen", cbs_code=code,
                state="needs_routing" if code is None else ("closed" if close_reason else "notified"),
                urgent=urgent, routing_method="test", created_at=at, updated_at=at, close_reason=close_reason,
                closed_at=NOW if close_reason else None, outcome_contact=contact, outcome_contact_form=form,
                outcome_actions=actions, outcome_known_to_care=known,
            )  # fmt: skip
            session.add(case)
            session.flush()
            for i, (kind, state) in enumerate(emails):
                session.add(OutboundEmail(
                    case_id=case.id, kind=kind, step=f"s{i}", recipient="municipality", reason="test",
                    message_id=f"<t{n}-{i}@koers.test>", state=state, created_at=at, updated_at=at,
                    sent_at=at if state == "sent" else None, attach_letter=kind == "notification",
                ))  # fmt: skip
    return sessions


def counts(f: Figures) -> tuple[int, ...]:
    """(cases, L, R, C, O, AC, A, K, E, W, U) — the order of the table in the module docstring."""
    return (f.cases, f.letters_sent, f.response_to_letter, f.contact, f.other_contact, f.actions_among_contacts,
            f.actions, f.known_to_care, f.escalations, f.closed_without_outcome, f.urgent)  # fmt: skip


def test_report_counts_per_municipality_province_and_total(fixture_cases: sessionmaker[Session]) -> None:
    with fixture_cases() as session:
        report = monitoring_report(session, date_from=None, date_to=None)

    municipalities = {m.cbs_code: m for m in report.municipalities}
    # GM0014: c1 c2 c3 c4 c5 c20 → 6 cases; L all 6 (c5's two letters count once); R c1 c2 c20;
    # C c1 c2 c3 c20; O c3; AC = A = c1 c2 c20; K c1 c20; E c4 (c5's escalation is only queued); W c4; U c5
    assert counts(municipalities["GM0014"].group.figures) == (6, 6, 3, 4, 1, 3, 3, 2, 1, 1, 1)
    # GM1969: c6 c7; L c6 (c7's letter failed); R c6; C both; O c7; AC = A both; K c7; E c7
    assert counts(municipalities["GM1969"].group.figures) == (2, 1, 1, 2, 1, 2, 2, 1, 1, 0, 0)
    # GM0080: c8–c12; R c8 c12; C c8 c9 c12; O c9; AC = A = c9 c12; K c9 c12; E c10 c11; W c10; U c11
    assert counts(municipalities["GM0080"].group.figures) == (5, 5, 2, 3, 1, 2, 2, 2, 2, 1, 1)
    # GM0074: c13 c14; C = O = c13; A c14 (actions without contact: not in AC)
    assert counts(municipalities["GM0074"].group.figures) == (2, 2, 0, 1, 1, 0, 1, 0, 0, 0, 0)
    # GM0106: c15–c18; L c15 c16 c17; R c15 c16; C c15 c16; AC = A = K = c15; E = W = c17
    assert counts(municipalities["GM0106"].group.figures) == (4, 3, 2, 2, 0, 1, 1, 1, 1, 1, 0)
    assert counts(municipalities[None].group.figures) == (1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    assert municipalities[None].name == "Nog niet gerouteerd"
    assert counts(municipalities["GM0060"].group.figures) == (0,) * 11  # Ameland: listed, no cases
    assert len(report.municipalities) == 40 + 1

    provinces = {p.province: p.group.figures for p in report.provinces}
    assert list(provinces) == ["Groningen", "Fryslân", "Drenthe", "Onbekend"]
    assert counts(provinces["Groningen"]) == (8, 7, 4, 6, 2, 5, 5, 3, 2, 1, 1)  # GM0014 + GM1969
    assert counts(provinces["Fryslân"]) == (7, 7, 2, 4, 2, 2, 3, 2, 2, 1, 1)  # GM0080 + GM0074
    assert counts(provinces["Drenthe"]) == (4, 3, 2, 2, 0, 1, 1, 1, 1, 1, 0)  # GM0106
    # total = 8+7+4+1 cases; L 7+7+3; R 4+2+2; C 6+4+2; O 2+2; AC 5+2+1; A 5+3+1; K 3+2+1; E 2+2+1; W 1+1+1; U 1+1
    assert counts(report.total.figures) == (20, 17, 8, 12, 4, 8, 9, 6, 5, 3, 2)


def test_report_percentages_name_their_denominators(fixture_cases: sessionmaker[Session]) -> None:
    with fixture_cases() as session:
        report = monitoring_report(session, date_from=None, date_to=None)
    total = report.total.figures

    assert total.ratio("response_to_letter") == {"count": 8, "of": 17, "denominator": "letters_sent",
                                                 "percent": 47.1}  # 8/17 = 47.06 %  # fmt: skip
    assert total.ratio("contact")["percent"] == 60.0  # 12/20
    assert total.ratio("actions_among_contacts") == {"count": 8, "of": 12, "denominator": "contact",
                                                     "percent": 66.7}  # 8/12  # fmt: skip
    assert total.ratio("actions") == {"count": 9, "of": 20, "denominator": "cases", "percent": 45.0}  # 9/20
    assert total.ratio("known_to_care") == {"count": 6, "of": 9, "denominator": "actions", "percent": 66.7}  # 6/9
    assert total.ratio("escalations")["percent"] == 25.0  # 5/20
    groningen = report.provinces[0].group.figures
    assert groningen.ratio("response_to_letter")["percent"] == 57.1  # 4/7 = 57.14 %
    assert groningen.ratio("actions_among_contacts")["percent"] == 83.3  # 5/6
    assert report.provinces[2].group.figures.ratio("known_to_care")["percent"] == 100.0  # Drenthe 1/1
    unrouted = report.provinces[3].group.figures
    assert unrouted.ratio("response_to_letter")["percent"] is None  # no letter sent: nothing to divide by


def test_report_splits_by_sentence_band(fixture_cases: sessionmaker[Session]) -> None:
    with fixture_cases() as session:
        report = monitoring_report(session, date_from=None, date_to=None)
    bands = report.total.by_band

    # b1 ≤ 21 days: c1 c2 c5 c8 c9 c13 c15 c18 c20 (21 days is still b1); L all but c18;
    # R c1 c2 c8 c15 c20; C + c9 c13; O c9 c13; AC = A = c1 c2 c9 c15 c20; K c1 c9 c15 c20; U c5
    assert counts(bands["max_3_weeks"]) == (9, 8, 5, 7, 2, 5, 5, 4, 0, 0, 1)
    # b2 22–90: c3 c6 c7 c10 c12 c16 c19 (22 and 90 both b2); L c3 c6 c10 c12 c16; R c6 c12 c16;
    # C c3 c6 c7 c12 c16; O c3 c7; AC = A = c6 c7 c12; K c7 c12; E c7 c10; W c10
    assert counts(bands["3_weeks_3_months"]) == (7, 5, 3, 5, 2, 3, 3, 2, 2, 1, 0)
    # b3 > 90: c4 c11 c14 c17 (91 is b3); A c14; E c4 c11 c17; W c4 c17; U c11
    assert counts(bands["longer"]) == (4, 4, 0, 0, 0, 0, 1, 0, 3, 2, 1)
    assert bands["max_3_weeks"].ratio("response_to_letter")["percent"] == 62.5  # 5/8
    groningen_city = next(m for m in report.municipalities if m.cbs_code == "GM0014").group.by_band
    assert counts(groningen_city["max_3_weeks"]) == (4, 4, 3, 3, 0, 3, 3, 2, 0, 0, 1)  # c1 c2 c5 c20


def test_report_trend_per_local_month(fixture_cases: sessionmaker[Session]) -> None:
    with fixture_cases() as session:
        report = monitoring_report(session, date_from=None, date_to=None)
    trend = {m.month: m.to_dict() for m in report.trend}

    assert list(trend) == ["2019-03", "2019-04", "2019-05"]
    # March: c1–c5 c8–c10 c13–c16 c19 = 13 cases (c5 is March locally); L 12 (not c19); R c1 c2 c8 c15 c16 = 5;
    # A c1 c2 c9 c14 c15 = 5
    assert trend["2019-03"]["cases"] == 13 and trend["2019-03"]["letters_sent"] == 12
    assert trend["2019-03"]["response_to_letter"]["percent"] == 41.7  # 5/12
    assert trend["2019-03"]["actions"]["percent"] == 38.5  # 5/13
    # April: c6 (April locally) c7 c11 c12 c17 c18 = 6; L c6 c11 c12 c17 = 4; R c6 c12; A c6 c7 c12
    assert (trend["2019-04"]["cases"], trend["2019-04"]["response_to_letter"]["percent"],
            trend["2019-04"]["actions"]["percent"]) == (6, 50.0, 50.0)  # 2/4, 3/6  # fmt: skip
    assert trend["2019-05"]["cases"] == 1  # c20


def test_report_filters_on_the_local_creation_date(fixture_cases: sessionmaker[Session]) -> None:
    with fixture_cases() as session:
        march = monitoring_report(session, date_from=date(2019, 3, 1), date_to=date(2019, 3, 31))
        april_on = monitoring_report(session, date_from=date(2019, 4, 1), date_to=None)

    # March locally: includes c5 (Feb 28 23:30 UTC), excludes c6 (Mar 31 22:30 UTC)
    assert counts(march.total.figures)[:4] == (13, 12, 5, 8)  # C: c1 c2 c3 c8 c9 c13 c15 c16
    assert [m.month for m in march.trend] == ["2019-03"]
    assert april_on.total.figures.cases == 7  # c6 c7 c11 c12 c17 c18 c20
    assert (march.date_from, march.date_to) == (date(2019, 3, 1), date(2019, 3, 31))


def test_report_is_restricted_to_the_given_municipalities(fixture_cases: sessionmaker[Session]) -> None:
    with fixture_cases() as session:
        leeuwarden = monitoring_report(session, date_from=None, date_to=None, cbs_codes=["gm0080"])
        city_march = monitoring_report(session, date_from=None, date_to=date(2019, 3, 31), cbs_codes={"GM0014"})

    assert [m.cbs_code for m in leeuwarden.municipalities] == ["GM0080"]
    assert [p.province for p in leeuwarden.provinces] == ["Fryslân"]
    assert counts(leeuwarden.total.figures) == (5, 5, 2, 3, 1, 2, 2, 2, 2, 1, 1)  # GM0080 only, not c19
    assert leeuwarden.cbs_codes == ["GM0080"]
    assert counts(city_march.total.figures)[:3] == (5, 5, 2)  # c1–c5; R c1 c2 (c20 is May)


def test_report_json_has_the_figures_with_explicit_denominators(fixture_cases: sessionmaker[Session]) -> None:
    with fixture_cases() as session:
        data = json.loads(monitoring_report(session, date_from=None, date_to=None).to_json())

    assert set(data) == {"period", "cbs_codes", "bands", "total", "provinces", "municipalities", "trend", "group",
                         "groups"}  # fmt: skip
    assert data["total"]["cases"] == 20 and data["total"]["letters_sent"] == 17
    assert data["total"]["percentages"]["known_to_care"] == {"count": 6, "of": 9, "denominator": "actions",
                                                             "percent": 66.7}  # fmt: skip
    assert data["total"]["by_band"]["longer"]["escalations"] == 3
    assert [b["label"] for b in data["bands"]] == ["maximaal 3 weken", "3 weken – 3 maanden", "langer"]
    assert data["provinces"][1]["province"] == "Fryslân" and data["provinces"][1]["cases"] == 7


def test_report_csv_has_municipalities_province_subtotals_and_total(fixture_cases: sessionmaker[Session]) -> None:
    with fixture_cases() as session:
        text = report_csv(monitoring_report(session, date_from=None, date_to=None))
    # All groups together come first, each row ending in its group (the sections per group: test_report_groups)
    lines = [line.removesuffix(";Alle groepen") for line in text.split("\r\n") if line.endswith(";Alle groepen")]
    header, *rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    rows = [row for row in rows if row[-1] == "Alle groepen"]

    assert header[:6] == ["Niveau", "CBS-code", "Gemeente", "Provincie", "Zaken", "Brieven verzonden"]
    assert header[-1] == "Groep"
    assert "% respons op brief (van verzonden brieven)" in header and "Zaken (maximaal 3 weken)" in header
    assert len(rows) == 41 + 4 + 1  # 40 municipalities + unrouted, 4 subtotals, total
    assert all(len(row) == len(header) for row in rows)
    # GM0014: 6 cases, 6 letters, R 3 = 50,0 % (3/6), C 4 = 66,7 %, O 1, AC 3 = 75,0 % (3/4), A 3 = 50,0 % (3/6),
    # K 2 = 66,7 % (2/3), E 1 = 16,7 % (1/6), W 1, U 1; bands: b1 4 cases R 3 = 75,0 % (3/4 letters) A 3 = 75,0 %,
    # b2 c3 (0 %), b3 c4 (0 %)
    assert ("gemeente;GM0014;Groningen;Groningen;6;6;3;50,0;4;66,7;1;3;75,0;3;50,0;2;66,7;1;16,7;1;1;"
            "4;3;75,0;3;75,0;1;0;0,0;0;0,0;1;0;0,0;0;0,0") in lines  # fmt: skip
    # Ameland: no cases, so no percentages
    assert "gemeente;GM0060;Ameland;Fryslân;0;0;0;;0;;0;0;;0;;0;;0;;0;0;0;0;;0;;0;0;;0;;0;0;;0;" in lines
    # Drenthe: 4 cases, L 3, R 2 = 66,7 % (2/3), C 2 = 50,0 %, AC 1 = 50,0 % (1/2), A 1 = 25,0 %, K 1 = 100,0 %,
    # E 1 = 25,0 %, W 1; bands: b1 c15 c18 (R 1/1 letter, A 1/2), b2 c16 (R 1/1, A 0/1), b3 c17 (R 0/1, A 0/1)
    assert ("provincie;;Subtotaal Drenthe;Drenthe;4;3;2;66,7;2;50,0;0;1;50,0;1;25,0;1;100,0;1;25,0;1;0;"
            "2;1;100,0;1;50,0;1;1;100,0;0;0,0;1;0;0,0;0;0,0") in lines  # fmt: skip
    # Total: see test_report_counts_…; bands b1 R 5/8 = 62,5 % A 5/9 = 55,6 %, b2 R 3/5 = 60,0 % A 3/7 = 42,9 %,
    # b3 R 0/4 A 1/4 = 25,0 %
    assert lines[-1] == ("totaal;;Totaal 3Noord;;20;17;8;47,1;12;60,0;4;8;66,7;9;45,0;6;66,7;5;25,0;3;2;"
                         "9;5;62,5;5;55,6;7;3;60,0;3;42,9;4;0;0,0;1;25,0")  # fmt: skip
    assert text.endswith(";Kortgestrafte gedetineerden\r\n")  # every row ends in CRLF; the groups follow
    levels = [row[0] for row in rows]
    assert levels.index("provincie") == 10  # Groningen's 10 municipalities come first, then its subtotal
    assert rows[-2][2] == "Subtotaal Onbekend" and rows[-3][2] == "Nog niet gerouteerd"
