"""The monitoring report for people: a CSV a coordinator opens in Excel, and the text of ``koers report``.

The CSV is semicolon-separated with Dutch headers and decimal commas (what Dutch Excel expects):
one row per municipality, a subtotal per province after its municipalities, and the total last;
first for all groups together, then for each group (self-reporters, detainees) with the same
columns, the last column naming the group (so that a filter in Excel shows one). Percentages are
left empty where there is nothing to divide by. The text shows the same sections, one after another.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from schema.report_model import BAND_LABELS, BANDS, GROUP_LABELS, Figures, GroupFigures, Report, Section, percent

Column = tuple[str, Callable[[Figures], str]]


def _pct(name: str) -> Callable[[Figures], str]:
    return lambda f: format_percent(f.ratio(name)["percent"])


def _count(name: str) -> Callable[[Figures], str]:
    return lambda f: str(getattr(f, name))


FIGURE_COLUMNS: list[Column] = [
    ("Zaken", _count("cases")),
    ("Brieven verzonden", _count("letters_sent")),
    ("Respons op brief", _count("response_to_letter")),
    ("% respons op brief (van verzonden brieven)", _pct("response_to_letter")),
    ("Contact (elke vorm)", _count("contact")),
    ("% contact (van alle zaken)", _pct("contact")),
    ("Andere vorm van contact", _count("other_contact")),
    ("Acties uitgezet na contact", _count("actions_among_contacts")),
    ("% acties uitgezet (van zaken met contact)", _pct("actions_among_contacts")),
    ("Acties uitgezet", _count("actions")),
    ("% acties uitgezet (van alle zaken)", _pct("actions")),
    ("Al bekend bij hulpverlening", _count("known_to_care")),
    ("% al bekend bij hulpverlening (van zaken met acties)", _pct("known_to_care")),
    ("Escalaties", _count("escalations")),
    ("% escalaties (van alle zaken)", _pct("escalations")),
    ("Gesloten zonder uitkomst", _count("closed_without_outcome")),
    ("Urgent", _count("urgent")),
]
BAND_COLUMNS: list[Column] = [
    ("Zaken", _count("cases")),
    ("Respons op brief", _count("response_to_letter")),
    ("% respons op brief", _pct("response_to_letter")),
    ("Acties uitgezet", _count("actions")),
    ("% acties uitgezet (van alle zaken)", _pct("actions")),
]


def format_percent(value: float | None) -> str:
    """``41.2`` → ``41,2``; ``None`` → empty."""
    return "" if value is None else f"{value:.1f}".replace(".", ",")


TOGETHER = "Alle groepen"


def csv_header() -> list[str]:
    header = ["Niveau", "CBS-code", "Gemeente", "Provincie"] + [name for name, _ in FIGURE_COLUMNS]
    for key, *_ in BANDS:
        header += [f"{name} ({BAND_LABELS[key]})" for name, _ in BAND_COLUMNS]
    return [*header, "Groep"]


def _csv_row(level: str, code: str, name: str, province: str, group: GroupFigures, label: str) -> list[str]:
    row = [level, code, name, province] + [value(group.figures) for _, value in FIGURE_COLUMNS]
    for key, *_ in BANDS:
        row += [value(group.by_band[key]) for _, value in BAND_COLUMNS]
    return [*row, label]


def sections(report: Report) -> list[tuple[str, Section]]:
    """(title, section): all groups together, then each group; only the one group when the report is of one."""
    if report.group is not None:
        return [(GROUP_LABELS[report.group], report.together)]
    return [(TOGETHER, report.together), *((GROUP_LABELS[key], s) for key, s in report.groups.items())]


def report_csv(report: Report) -> str:
    """The report as CSV text (``;``, CRLF line ends; write it with a BOM for Excel)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(csv_header())
    for label, section in sections(report):
        for province in section.provinces:
            for m in section.municipalities:
                if m.province == province.province:
                    writer.writerow(_csv_row("gemeente", m.cbs_code or "", m.name, m.province, m.group, label))
            writer.writerow(_csv_row("provincie", "", f"Subtotaal {province.province}", province.province,
                                     province.group, label))  # fmt: skip
        writer.writerow(_csv_row("totaal", "", "Totaal 3Noord", "", section.total, label))
    return out.getvalue()


# --- text for the terminal --------------------------------------------------------------------

TEXT_COLUMNS = (("zaken", "cases", None), ("respons brief", "response_to_letter", "letters_sent"),
                ("contact", "contact", "cases"), ("acties/contact", "actions_among_contacts", "contact"),
                ("acties/alle", "actions", "cases"), ("al bekend", "known_to_care", "actions"),
                ("escalaties", "escalations", None))  # fmt: skip


def _cell(f: Figures, numerator: str, denominator: str | None) -> str:
    count = getattr(f, numerator)
    if denominator is None:
        return str(count)
    share = percent(count, getattr(f, denominator))
    return f"{count}/{getattr(f, denominator)}" + (f" {format_percent(share)}%" if share is not None else "")


def _table(title: str, rows: list[tuple[str, Figures]]) -> list[str]:
    width = max([len(title), *(len(label) for label, _ in rows)]) + 2
    lines = [title.ljust(width) + "".join(h.rjust(17) for h, _, _ in TEXT_COLUMNS)]
    for label, f in rows:
        lines.append(label.ljust(width) + "".join(_cell(f, n, d).rjust(17) for _, n, d in TEXT_COLUMNS))
    return lines


def report_text(report: Report) -> str:
    """``koers report`` for people: the groups side by side, then per section (all groups together, each
    group) the provinces and total like the slides, bands, trend and municipalities, in the same columns."""
    period = f"{report.date_from or 'begin'} t/m {report.date_to or 'heden'}"
    scope = ", ".join(report.cbs_codes) if report.cbs_codes is not None else "alle gemeenten"
    scope += f"; {GROUP_LABELS[report.group].lower()}" if report.group is not None else ""
    lines = [f"Monitoring Koers & Kansen 3Noord — {period} ({scope})", ""]
    if report.group is None:
        by_group = [(GROUP_LABELS[key], s.total.figures) for key, s in report.groups.items()]
        lines += _table("Per groep", [*by_group, (TOGETHER, report.total.figures)]) + [""]
    for title, section in sections(report):
        lines += _section_text(title, section)
    lines.append("Teller/noemer per kolom: respons op brieven verzonden (een gedetineerde krijgt geen brief); contact, "
                 "acties/alle en escalaties van alle zaken; acties/contact van zaken met contact; al bekend van zaken "
                 "met acties.")  # fmt: skip
    return "\n".join(lines) + "\n"


def _section_text(title: str, section: Section) -> list[str]:
    total = section.total.figures
    lines = [f"== {title} ==", ""]
    lines += [_headline(p.province, p.group.figures) for p in section.provinces] + [_headline("Totaal", total), ""]
    provinces = [(p.province, p.group.figures) for p in section.provinces] + [("Totaal", total)]
    lines += _table("Per provincie", provinces) + [""]
    lines += _table("Naar strafduur", [(BAND_LABELS[k], section.total.by_band[k]) for k, *_ in BANDS]) + [""]
    lines += _table("Per maand", [(m.month, m.figures) for m in section.trend]) + [""]
    active = [(f"{m.name} ({m.province})", m.group.figures) for m in section.municipalities if m.group.figures.cases]
    lines += _table("Per gemeente", active)
    idle = sum(1 for m in section.municipalities if not m.group.figures.cases)
    if idle:
        lines.append(f"({idle} gemeenten zonder zaken in deze periode)")
    return [*lines, ""]


def _headline(label: str, f: Figures) -> str:
    parts = [f"{f.cases} zaken"]
    for text, name in (("respons op de brief", "response_to_letter"), ("contact", "contact"),
                       ("acties na contact", "actions_among_contacts"), ("acties over alle zaken", "actions"),
                       ("al bekend bij hulpverlening (van zaken met acties)", "known_to_care")):  # fmt: skip
        ratio = f.ratio(name)
        if ratio["percent"] is not None:
            parts.append(f"{text} {format_percent(ratio['percent'])}%")
    return f"{label}: " + ", ".join(parts)
