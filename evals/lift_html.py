"""The lift report as one self-contained HTML page: a table, and per playbook a chart of both groups' rates
with their 95% intervals (inline SVG, no scripts, no CDN; the eval report's style)."""

from __future__ import annotations

from html import escape

from nextbest.contracts import Interval, LiftReport, PlaybookLift

from .html import BAR_COLOURS, PAGE_CSS

__all__ = ["render_lift_html"]

_LABEL_W = 110
_PLOT_W = 380
_ROW_H = 34


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2%}"


def _interval(interval: Interval | None, *, percent: bool = True) -> str:
    if interval is None:
        return "—"
    shown = _pct if percent else (lambda v: f"{v:,.2f}" if v is not None else "—")
    return f"{shown(interval.estimate)} [{shown(interval.low)}, {shown(interval.high)}]"


def _rate_row(y: int, label: str, rate: Interval | None, top: float, colour: str) -> str:
    if rate is None:
        return f'<text x="{_LABEL_W - 8}" y="{y + 15}" font-size="12" text-anchor="end">{label}: no customers</text>'
    x = _PLOT_W / top
    low, high = _LABEL_W + rate.low * x, _LABEL_W + rate.high * x
    return (
        f'<text x="{_LABEL_W - 8}" y="{y + 15}" font-size="12" text-anchor="end">{label}</text>'
        f'<rect x="{_LABEL_W}" y="{y + 4}" width="{rate.estimate * x:.1f}" height="16" fill="{colour}"/>'
        f'<line x1="{low:.1f}" x2="{high:.1f}" y1="{y + 12}" y2="{y + 12}" stroke="#000" stroke-width="1.5"/>'
        f'<line x1="{low:.1f}" x2="{low:.1f}" y1="{y + 6}" y2="{y + 18}" stroke="#000"/>'
        f'<line x1="{high:.1f}" x2="{high:.1f}" y1="{y + 6}" y2="{y + 18}" stroke="#000"/>'
        f'<text x="{high + 6:.1f}" y="{y + 15}" font-size="12">{_pct(rate.estimate)}</text>'
    )


def _chart(entry: PlaybookLift, outcome: str) -> str:
    rates = [r for r in (entry.treatment_rate, entry.holdout_rate) if r is not None]
    top = max([r.high for r in rates] + [1e-6]) * 1.25
    rows = _rate_row(0, "treatment", entry.treatment_rate, top, BAR_COLOURS["good"])
    rows += _rate_row(_ROW_H, "holdout", entry.holdout_rate, top, BAR_COLOURS["neutral"])
    width, height = _LABEL_W + _PLOT_W + 80, 2 * _ROW_H
    title = f"{entry.playbook}: {outcome} rate per customer (95% interval); lift {_interval(entry.absolute_lift)}"
    return (
        f'<section class="chart"><h2>{escape(title)}</h2><svg xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">{rows}</svg></section>'
    )


def _row(entry: PlaybookLift) -> str:
    ratio = entry.ratio
    srm = "—" if ratio is None else f"{ratio.observed_share:.2%} (p={ratio.p_value:.3g})"
    flagged = ' class="fail"' if ratio is not None and ratio.mismatch else ""
    cells = [
        escape(entry.playbook),
        f"{entry.treatment_customers:,}",
        f"{entry.holdout_customers:,}",
        _interval(entry.treatment_rate),
        _interval(entry.holdout_rate),
        _interval(entry.absolute_lift),
        _interval(entry.relative_lift),
        _revenue_cell(entry),
        srm,
    ]
    return f"<tr{flagged}>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


def _revenue_cell(entry: PlaybookLift) -> str:
    """One line per currency: amounts in different currencies are never added together."""
    lines = [
        f"{escape(r.currency)}: {_interval(r.treatment, percent=False)}; {_interval(r.holdout, percent=False)};"
        f" lift {_interval(r.lift, percent=False)}"
        for r in entry.revenue
    ]
    return "<br>".join(lines) or "—"


def render_lift_html(report: LiftReport) -> str:
    heads = (
        "playbook",
        "treatment",
        "holdout",
        "treatment rate",
        "holdout rate",
        "absolute lift",
        "relative lift",
        "revenue per customer: treatment, holdout, lift (per currency)",
        "holdout share (SRM test)",
    )
    header = "".join(f"<th>{h}</th>" for h in heads)
    rows = "".join(_row(entry) for entry in report.playbooks)
    charts = "".join(_chart(entry, report.outcome) for entry in report.playbooks)
    since = report.since.isoformat(timespec="seconds")
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>nextbest lift since {since}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{PAGE_CSS}</style>
</head><body><h1>nextbest lift: {escape(report.outcome)}, since {since}</h1>
<p>Configured holdout {report.holdout_percent:g}%. Intervals are 95%. A red row failed the sample-ratio
check (p &lt; 0.001): the split itself is off, so its lift cannot be trusted.</p>
<table><tr>{header}</tr>{rows}</table>
<h2>Charts</h2><div class="charts">{charts or "<p>No decisions in this window.</p>"}</div></body></html>"""
