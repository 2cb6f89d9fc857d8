"""Chart geometry for the report page, drawn as inline SVG by ``templates/charts.html``.

Pure functions: figures in, positions and labels out. No JavaScript and no inline styles (the
CSP forbids them); series colours come from CSS classes. Every chart also has a table beside it,
so the numbers are there for screen readers and for copying.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workflows.labels import MONTHS

# (ratio name in the report, Dutch label, CSS class)
PROVINCE_SERIES = (
    ("response_to_letter", "Respons op de brief", "s0"),
    ("contact", "Contact (elke vorm)", "s1"),
    ("actions", "Acties uitgezet", "s2"),
    ("known_to_care", "Al bekend bij hulpverlening (van zaken met acties)", "s3"),
)
TREND_SERIES = PROVINCE_SERIES[:3]
WIDTH, HEIGHT = 760, 320
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 24, 56


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    grid: list[dict[str, Any]] = field(default_factory=list)
    bars: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    points: list[dict[str, Any]] = field(default_factory=list)
    labels: list[dict[str, Any]] = field(default_factory=list)
    legend: list[dict[str, Any]] = field(default_factory=list)


def _y(percent: float) -> float:
    return round(TOP + (HEIGHT - TOP - BOTTOM) * (1 - percent / 100), 1)


def _frame(series: tuple[tuple[str, str, str], ...]) -> Chart:
    chart = Chart()
    chart.grid = [{"y": _y(p), "label": f"{p}%"} for p in (0, 25, 50, 75, 100)]
    chart.legend = [{"label": label, "css": css} for _, label, css in series]
    return chart


def province_bars(groups: list[tuple[str, dict[str, Any]]]) -> Chart:
    """Grouped bars per province (and the total): the region's percentages, 0-100%.

    Args:
        groups: (label, percentages) where percentages is ``Figures.to_dict()["percentages"]``.
    """
    chart = _frame(PROVINCE_SERIES)
    if not groups:
        return chart
    slot = (WIDTH - LEFT - RIGHT) / len(groups)
    bar = min(slot * 0.8 / len(PROVINCE_SERIES), 34)
    for g, (name, percentages) in enumerate(groups):
        start = LEFT + g * slot + (slot - bar * len(PROVINCE_SERIES)) / 2
        chart.labels.append({"x": round(LEFT + (g + 0.5) * slot, 1), "y": HEIGHT - BOTTOM + 20, "text": name,
                             "css": "axis"})  # fmt: skip
        for s, (key, label, css) in enumerate(PROVINCE_SERIES):
            _add_bar(chart, round(start + s * bar, 1), round(bar - 3, 1), percentages.get(key, {}), label, css)
    return chart


def _add_bar(chart: Chart, x: float, width: float, ratio: dict[str, Any], label: str, css: str) -> None:
    value = ratio.get("percent")
    text = "–" if value is None else f"{round(value)}%"
    top = _y(value or 0)
    title = f"{label}: {text} ({ratio.get('count', 0)} van {ratio.get('of', 0)})"
    chart.bars.append({"x": x, "y": top, "width": width, "height": round(_y(0) - top, 1), "css": css,
                       "title": title})  # fmt: skip
    chart.labels.append({"x": round(x + width / 2, 1), "y": top - 5, "text": text, "css": "value"})


def month_label(month: str) -> str:
    """``2026-03`` → ``mrt 2026``."""
    year, number = month.split("-")
    return f"{MONTHS[int(number) - 1]} {year}"


def trend_lines(trend: list[dict[str, Any]]) -> Chart:
    """One line per measure over the months (``Report.to_dict()["trend"]``), 0-100%."""
    chart = _frame(TREND_SERIES)
    if not trend:
        return chart
    step = (WIDTH - LEFT - RIGHT) / max(len(trend), 1)
    every = max(1, -(-len(trend) // 12))
    xs = [round(LEFT + (i + 0.5) * step, 1) for i in range(len(trend))]
    for i, month in enumerate(trend):
        if i % every == 0:
            chart.labels.append({"x": xs[i], "y": HEIGHT - BOTTOM + 20, "text": month_label(month["month"]),
                                 "css": "axis"})  # fmt: skip
            chart.labels.append({"x": xs[i], "y": HEIGHT - BOTTOM + 36, "text": f"n={month['cases']}",
                                 "css": "axis small"})  # fmt: skip
    for key, label, css in TREND_SERIES:
        known = [(xs[i], m[key]) for i, m in enumerate(trend) if m[key]["percent"] is not None]
        points = " ".join(f"{x},{_y(r['percent'])}" for x, r in known)
        if len(known) > 1:
            chart.lines.append({"points": points, "css": css})
        for x, r in known:
            title = f"{label}: {round(r['percent'])}% ({r['count']} van {r['of']})"
            chart.points.append({"x": x, "y": _y(r["percent"]), "css": css, "title": title})
    return chart
