"""The learning simulation's page: cumulative regret per policy as an inline SVG line chart, and the checks."""

from __future__ import annotations

from html import escape

from .html import BAR_COLOURS, PAGE_CSS
from .learning_sim import SimResult

__all__ = ["learning_section", "regret_chart", "render_learning_html"]

_W, _H, _PAD = 640, 300, 48
_POINTS = 200
_COLOURS = {"learned": BAR_COLOURS["good"], "uniform": BAR_COLOURS["warn"], "rules": BAR_COLOURS["bad"]}


def regret_chart(curves: dict[str, list[float]]) -> str:
    """Cumulative regret against decisions served, one line per policy (the y axis from 0 to the worst)."""
    longest = max((len(c) for c in curves.values()), default=1) or 1
    top = max((c[-1] for c in curves.values() if c), default=1.0) or 1.0
    lines, legend = [], []
    for i, (name, curve) in enumerate(curves.items()):
        step = max(1, len(curve) // _POINTS)
        points = " ".join(
            f"{_PAD + (x + 1) / longest * (_W - 2 * _PAD):.1f},{_H - _PAD - curve[x] / top * (_H - 2 * _PAD):.1f}"
            for x in range(0, len(curve), step)
        )
        colour = _COLOURS.get(name, BAR_COLOURS["neutral"])
        lines.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        last = curve[-1] if curve else 0.0
        legend.append(
            f'<text x="{_PAD + 10}" y="{_PAD - 26 + 14 * i}" font-size="12" fill="{colour}">'
            f"{escape(name)}: {last:,.1f} after {len(curve):,}</text>"
        )
    axes = (
        f'<line x1="{_PAD}" y1="{_H - _PAD}" x2="{_W - _PAD}" y2="{_H - _PAD}" stroke="#000"/>'
        f'<line x1="{_PAD}" y1="{_PAD}" x2="{_PAD}" y2="{_H - _PAD}" stroke="#000"/>'
        f'<text x="{_W / 2}" y="{_H - 12}" font-size="12" text-anchor="middle">decisions served ({longest:,})</text>'
        f'<text x="12" y="{_H / 2}" font-size="12" transform="rotate(-90 12 {_H / 2})" text-anchor="middle">'
        f"cumulative regret (conversions; max {top:,.1f})</text>"
        f'<text x="{_PAD - 4}" y="{_H - _PAD + 14}" font-size="11" text-anchor="end">0</text>'
        f'<text x="{_PAD - 4}" y="{_PAD + 4}" font-size="11" text-anchor="end">{top:,.0f}</text>'
        f'<text x="{_W - _PAD}" y="{_H - _PAD + 14}" font-size="11" text-anchor="end">{longest:,}</text>'
    )
    title = "Cumulative regret per policy (expected conversions lost against always serving the best arm)"
    return (
        f'<section class="chart"><h2>{escape(title)}</h2><svg xmlns="http://www.w3.org/2000/svg" width="{_W}" '
        f'height="{_H}" viewBox="0 0 {_W} {_H}" role="img" aria-label="{escape(title)}">'
        f"{axes}{''.join(lines)}{''.join(legend)}</svg></section>"
    )


def learning_section(result: SimResult) -> str:
    """The simulation's figures, regret chart and checks, as a section any report page can hold."""
    plan = result.plan
    best = max(plan.rates.values())
    curves = {name: run.regret(best, plan.rates) for name, run in result.runs.items()}
    rows = "".join(
        f"<tr><td>{escape(name)}</td><td>{len(run.served):,}</td><td>{sum(run.rewards):,.1f}</td>"
        f"<td>{curves[name][-1] if curves[name] else 0:,.1f}</td></tr>"
        for name, run in result.runs.items()
    )
    ope = "".join(
        f"<tr><td>{e.estimator}</td><td>{e.value:.4f}</td><td>[{e.low:.4f}, {e.high:.4f}]</td>"
        f"<td>{'yes' if e.low <= result.rules_truth <= e.high else 'NO'}</td></tr>"
        for e in result.rules_ope.estimates
    )
    (entry,) = result.lift.playbooks
    lift = entry.absolute_lift
    lift_text = "—" if lift is None else f"{lift.estimate:.4f} [{lift.low:.4f}, {lift.high:.4f}]"
    return f"""<section class="learning"><h2>Learning simulation: {plan.decisions:,} decisions per policy</h2>
<p>Hidden conversion rates {escape(str(plan.rates))}, base rate {plan.base_rate} for held-out customers
({plan.holdout_percent:g}% holdout).</p>
<table class="summary"><tr><th>policy</th><th>served</th><th>expected conversions</th><th>regret</th></tr>{rows}
</table><div class="charts">{regret_chart(curves)}</div>
<h3>Off-policy evaluation of the rules from the uniform log (truth {result.rules_truth:.4f})</h3>
<table class="summary"><tr><th>estimator</th><th>value</th><th>95% interval</th><th>covers the truth</th></tr>{ope}
</table><h3>Lift of the uniform run</h3><p>Absolute lift {lift_text}; simulated truth {result.lift_truth:.4f}.</p>
</section>"""


def render_learning_html(result: SimResult) -> str:
    """`nextbest eval learning --html`: the section alone on a self-contained page."""
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>nextbest learning simulation</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{PAGE_CSS}</style></head><body>
{learning_section(result)}</body></html>"""
