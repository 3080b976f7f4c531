"""The report's page itself: scenario descriptions, a colour legend, one unit per chart, the page's width."""

from __future__ import annotations

import re

from evals.html import BAR_COLOURS, LEGEND, render_html
from evals.runner import Report
from evals.scorers import Score
from evals.scorers.metrics import ScenarioResult, summarize


def _result(sid: str, description: str, fallback: str | None, passed: bool = True) -> ScenarioResult:
    return ScenarioResult(
        id=sid,
        use_case="birthday_note",
        description=description,
        passed=passed,
        repeats_passed=[passed],
        scores={"expectation": Score(name="expectation", passed=passed)},
        action="message",
        channel="push",
        latencies_ms=[3.0],
        fallback_reason=fallback,
        guardrails=["consent:pass"],
    )


def _report() -> Report:
    results = [
        _result("bd-1", "A member on her birthday, <push> consented", "model_timeout"),
        _result("bd-2", "The same member a day later", "model_timeout"),
        _result("bd-3", "A lapsed member & no consent", None, passed=False),
    ]
    return Report(config="llm-fake", metrics=summarize(results, 1), scenarios=results)


def _chart(page: str, title: str) -> str:
    start = page.index(f"<h2>{title}")
    return page[start : page.index("</section>", start)]


def test_each_scenario_row_carries_its_description_escaped() -> None:
    page = render_html(_report(), [])

    assert '<td class="description">A member on her birthday, &lt;push&gt; consented</td>' in page
    assert '<td class="description">A lapsed member &amp; no consent</td>' in page
    assert "<th>description</th>" in page


def test_a_legend_says_what_each_bar_colour_means() -> None:
    page = render_html(_report(), [])
    legend = page[page.index('<ul class="legend"') : page.index("</ul>")]

    for name, meaning in LEGEND.items():
        assert f'<span style="background:{BAR_COLOURS[name]}"></span>{meaning}' in legend
    assert set(LEGEND) == set(BAR_COLOURS)
    assert "passed" in legend and "failed" in legend


def test_the_fallback_chart_counts_scenarios_as_the_other_count_charts_do() -> None:
    page = render_html(_report(), [])
    fallback = _chart(page, "Fallback reasons (scenarios)")

    labels = re.findall(r"<title>([^<]+)</title>[^<]*</text><rect[^>]*/><text[^>]*>([^<]+)</text>", fallback)
    assert labels == [("model_timeout", "2"), ("none (the model decided)", "1")]
    assert "0.667" not in fallback  # the rate the metrics keep is not what this chart shows
    assert "Guardrail verdict counts (verdicts)" in page
    assert "Latency distribution (decisions per bucket;" in page
    assert "Pass rate per use case (share of its scenarios, 0 to 1)" in page


def test_the_page_uses_the_window_width() -> None:
    page = render_html(_report(), [])

    assert "max-width:1200px" not in page
    assert "div.charts{display:grid" in page and "svg{width:100%" in page
    assert page.count('<section class="chart">') == 4
    charts = page[page.index('<div class="charts">') :]
    assert charts.index("</div>") > charts.rindex('<section class="chart">')
