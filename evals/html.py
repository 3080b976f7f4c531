"""A self-contained HTML report: tables and inline SVG charts, no scripts, no CDN."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from html import escape
from typing import TYPE_CHECKING

from .gates import GateResult
from .runner import Report
from .scorers.metrics import JUDGE, ScenarioResult, percentile

if TYPE_CHECKING:
    from .learning_sim import SimResult

__all__ = ["BAR_COLOURS", "LEGEND", "PAGE_CSS", "bar_chart", "render_html"]

_BAR_H = 18
_LABEL_W = 220
_BAR_W = 300
_LABEL_CHARS = 34
# Colour-blind-safe (Okabe-Ito) blue, green, orange and vermillion: what a bar means, not decoration.
BAR_COLOURS = {"neutral": "#0072b2", "good": "#009e73", "warn": "#e69f00", "bad": "#d55e00"}

Colour = Callable[[str, float], str]
# What each colour says, shown once above the charts; the words are the rules of _by_rate and _by_verdict.
LEGEND = {
    "good": "pass rate or score at least 0.9; guardrail verdict pass",
    "warn": "pass rate or score from 0.7 to under 0.9; verdict adjust",
    "bad": "pass rate or score under 0.7; verdict block",
    "neutral": "a count, neither good nor bad",
}
# The whole width of the window: charts side by side in a grid as wide as it allows, tables full width.
_CSS = (
    "body{font-family:sans-serif;margin:1.5em 2em}"
    "td,th{padding:2px 8px;vertical-align:top;text-align:left;overflow-wrap:anywhere}"
    "table{border-collapse:collapse;width:100%}"
    "table.summary{width:auto}tr.fail{background:#fdd}tr.ok{background:#efe}"
    "div.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(520px,100%),1fr));gap:0 2em}"
    "svg{width:100%;height:auto}section.chart h2{margin-bottom:.4em;font-size:1.15em}"
    "ul.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.4em 1.5em}"
    "ul.legend span{display:inline-block;width:1.6em;height:.9em;margin-right:.4em;vertical-align:middle}"
    "td.description{color:#333;max-width:40em}"
)
PAGE_CSS = _CSS
"""The page style every report shares (the eval report, the lift report)."""


def _neutral(label: str, value: float) -> str:
    del label, value
    return BAR_COLOURS["neutral"]


def _by_rate(label: str, value: float) -> str:
    del label
    return BAR_COLOURS["good" if value >= 0.9 else "warn" if value >= 0.7 else "bad"]


def _by_verdict(label: str, value: float) -> str:
    del value
    outcome = label.rsplit(":", 1)[-1]
    return BAR_COLOURS[{"pass": "good", "adjust": "warn", "block": "bad"}.get(outcome, "neutral")]


def _label(text: str) -> str:
    short = text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "…"
    return f"<title>{escape(text)}</title>{escape(short)}"


def bar_chart(
    title: str,
    values: Mapping[str, float],
    *,
    unit: str = "",
    scale: float | None = None,
    colour: Colour = _neutral,
) -> str:
    """Horizontal bars as an inline SVG that scales down with the page (viewBox), labels right-aligned."""
    top = scale or max([*values.values(), 1e-9])
    rows = []
    for i, (label, value) in enumerate(values.items()):
        y, width = i * (_BAR_H + 6), _BAR_W * min(value / top, 1.0)
        rows.append(
            f'<text x="{_LABEL_W - 8}" y="{y + 13}" font-size="12" text-anchor="end">{_label(label)}</text>'
            f'<rect x="{_LABEL_W}" y="{y}" width="{width:.1f}" height="{_BAR_H}" fill="{colour(label, value)}"/>'
            f'<text x="{_LABEL_W + 5 + width:.1f}" y="{y + 13}" font-size="12">{value:.3g}{unit}</text>'
        )
    width, height = _LABEL_W + _BAR_W + 70, max(len(values), 1) * (_BAR_H + 6)
    return (
        f'<section class="chart"><h2>{escape(title)}</h2><svg xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">{"".join(rows)}</svg></section>'
    )


def _latency_buckets(report: Report) -> dict[str, float]:
    values = [ms for r in report.scenarios for ms in r.latencies_ms]
    edges = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000]
    buckets: dict[str, float] = {}
    low = 0.0
    for edge in edges:
        buckets[f"{low:g}-{edge} ms"] = sum(1 for v in values if low <= v < edge)
        low = edge
    buckets[f">= {low:g} ms"] = sum(1 for v in values if v >= low)
    return {k: v for k, v in buckets.items() if v} or {"no data": 0}


def _detail(result: ScenarioResult) -> str:
    parts = [d for s in result.scores.values() for d in s.detail]
    # the judge's own error has its column
    parts += [f"{s.name} error: {s.error}" for s in result.scores.values() if s.error and s.name != JUDGE]
    return escape("; ".join(parts))


def _judge_cell(result: ScenarioResult) -> str:
    score = result.scores.get(JUDGE)
    if score is None or not score.criteria:
        return escape(f"error: {score.error}" if score.error else score.note) if score else ""
    marks = " · ".join(f"{name} {value:.2f}" for name, value in score.criteria.items())
    return f"{escape(marks)}<br><small>{escape(score.note)}</small>"


def _fallback_counts(report: Report) -> dict[str, float]:
    """Scenarios per fallback reason: a count, as the latency and verdict charts are (metrics keep the rates)."""
    counts = Counter(r.fallback_reason or "none (the model decided)" for r in report.scenarios)
    return {reason: float(count) for reason, count in sorted(counts.items())}


def _charts(report: Report) -> list[str]:
    """One unit per chart, named in its title: shares from 0 to 1, or counts of scenarios, decisions, verdicts."""
    m = report.metrics
    latencies = [ms for r in report.scenarios for ms in r.latencies_ms]
    p50 = percentile(latencies, 0.5)
    charts = [
        bar_chart(
            "Pass rate per use case (share of its scenarios, 0 to 1)",
            m.pass_rate_by_use_case,
            scale=1.0,
            colour=_by_rate,
        ),
        bar_chart(f"Latency distribution (decisions per bucket; p50 {p50:.1f} ms)", _latency_buckets(report)),
        bar_chart("Fallback reasons (scenarios)", _fallback_counts(report)),
        bar_chart(
            "Guardrail verdict counts (verdicts)",
            {k: float(v) for k, v in m.guardrail_verdicts.items()},
            colour=_by_verdict,
        ),
    ]
    if m.judge is not None:
        title = f"Judge mean score per criterion (0 to 1; {m.judge.judged} judged, {m.judge.errors} errors)"
        charts.append(bar_chart(title, m.judge.criteria_means, scale=1.0, colour=_by_rate))
    return charts


def _legend() -> str:
    items = "".join(
        f'<li><span style="background:{BAR_COLOURS[name]}"></span>{escape(meaning)}</li>'
        for name, meaning in LEGEND.items()
    )
    rows = '<li>rows: <b style="background:#efe">passed</b> · <b style="background:#fdd">failed</b></li>'
    return f'<ul class="legend" aria-label="colour legend">{items}{rows}</ul>'


def render_html(report: Report, gates: list[GateResult], learning: SimResult | None = None) -> str:
    """The report page; with `learning`, the learning simulation's regret chart and checks after the charts."""
    from .learning_html import learning_section

    m = report.metrics
    summary = "".join(
        f"<tr><td>{escape(k)}</td><td>{v:.4g}</td></tr>"
        for k, v in m.model_dump().items()
        if isinstance(v, int | float)
    )
    if m.judge is not None:
        summary += "".join(
            f"<tr><td>judge_{escape(k)}</td><td>{v:.4g}</td></tr>"
            for k, v in m.judge.model_dump().items()
            if isinstance(v, int | float)
        )
    gate_rows = "".join(
        f'<tr class="{"ok" if g.passed else "fail"}"><td>{g.metric}</td><td>{g.actual:.3f}</td><td>{g.minimum}</td>'
        f"<td>{escape(', '.join(g.failing_scenarios))}</td></tr>"
        for g in gates
    )
    judged = m.judge is not None
    rows = "".join(
        f'<tr class="{"ok" if r.passed else "fail"}"><td>{escape(r.id)}</td>'
        f'<td class="description">{escape(r.description)}</td><td>{escape(r.use_case)}</td>'
        f"<td>{r.action}</td><td>{r.channel or ''}</td><td>{'pass' if r.passed else 'FAIL'}</td>"
        f"<td>{_detail(r)}</td>{f'<td>{_judge_cell(r)}</td>' if judged else ''}</tr>"
        for r in report.scenarios
    )
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>nextbest eval: {escape(report.config)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{_CSS}</style>
</head><body><h1>nextbest eval ({escape(report.config)}, {m.scenarios} scenarios, repeat {m.repeat})</h1>
<h2>Gates</h2><table><tr><th>metric</th><th>actual</th><th>minimum</th><th>failing scenarios</th></tr>
{gate_rows}</table>
<h2>Summary</h2><table class="summary">{summary}</table>
<h2>Charts</h2>{_legend()}<div class="charts">{"".join(_charts(report))}</div>
{learning_section(learning) if learning is not None else ""}
<h2>Scenarios</h2><table><tr><th>id</th><th>description</th><th>use case</th><th>action</th><th>channel</th>
<th>result</th><th>detail</th>{"<th>judge</th>" if judged else ""}</tr>
{rows}</table></body></html>"""
