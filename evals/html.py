"""A self-contained HTML report: tables and inline SVG charts, no scripts, no CDN."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from .gates import GateResult
from .runner import Report
from .scorers.metrics import percentile

__all__ = ["render_html"]

_BAR_H = 18


def bar_chart(title: str, values: Mapping[str, float], *, unit: str = "", scale: float | None = None) -> str:
    """Horizontal bars as an inline SVG."""
    top = scale or max([*values.values(), 1e-9])
    rows = []
    for i, (label, value) in enumerate(values.items()):
        y, width = i * (_BAR_H + 6), 300 * value / top
        rows.append(
            f'<text x="0" y="{y + 13}" font-size="12">{escape(label)}</text>'
            f'<rect x="200" y="{y}" width="{width:.1f}" height="{_BAR_H}" fill="#4a7bd0"/>'
            f'<text x="{205 + width:.1f}" y="{y + 13}" font-size="12">{value:.3g}{unit}</text>'
        )
    height = max(len(values), 1) * (_BAR_H + 6)
    return (
        f'<section class="chart"><h2>{escape(title)}</h2><svg xmlns="http://www.w3.org/2000/svg" '
        f'width="600" height="{height}" role="img">{"".join(rows)}</svg></section>'
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


def render_html(report: Report, gates: list[GateResult]) -> str:
    m = report.metrics
    latencies = [ms for r in report.scenarios for ms in r.latencies_ms]
    summary = "".join(
        f"<tr><td>{escape(k)}</td><td>{v:.4g}</td></tr>"
        for k, v in m.model_dump().items()
        if isinstance(v, int | float)
    )
    gate_rows = "".join(
        f'<tr class="{"ok" if g.passed else "fail"}"><td>{g.metric}</td><td>{g.actual:.3f}</td><td>{g.minimum}</td>'
        f"<td>{escape(', '.join(g.failing_scenarios))}</td></tr>"
        for g in gates
    )
    rows = "".join(
        f'<tr class="{"ok" if r.passed else "fail"}"><td>{escape(r.id)}</td><td>{escape(r.use_case)}</td>'
        f"<td>{r.action}</td><td>{r.channel or ''}</td><td>{'pass' if r.passed else 'FAIL'}</td>"
        f"<td>{escape('; '.join(d for s in r.scores.values() for d in s.detail))}</td></tr>"
        for r in report.scenarios
    )
    charts = [
        bar_chart("Pass rate per use case", m.pass_rate_by_use_case, scale=1.0),
        bar_chart(f"Latency distribution (p50 {percentile(latencies, 0.5):.1f} ms)", _latency_buckets(report)),
        bar_chart("Fallback reasons", m.fallback_rate_by_reason, scale=1.0),
        bar_chart("Guardrail verdict counts", {k: float(v) for k, v in m.guardrail_verdicts.items()}),
    ]
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>nextbest eval: {escape(report.config)}</title>
<style>body{{font-family:sans-serif;margin:2em}}td{{padding:2px 8px}}
tr.fail{{background:#fdd}}tr.ok{{background:#efe}}</style>
</head><body><h1>nextbest eval ({escape(report.config)}, {m.scenarios} scenarios, repeat {m.repeat})</h1>
<h2>Gates</h2><table><tr><th>metric</th><th>actual</th><th>minimum</th><th>failing</th></tr>{gate_rows}</table>
<h2>Summary</h2><table>{summary}</table>{"".join(charts)}
<h2>Scenarios</h2><table><tr><th>id</th><th>use case</th><th>action</th><th>channel</th><th>result</th>
<th>detail</th></tr>
{rows}</table></body></html>"""
