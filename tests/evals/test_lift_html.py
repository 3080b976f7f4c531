"""The lift report's HTML: self-contained, one chart per playbook, names escaped."""

from __future__ import annotations

from evals.lift import lift_report
from evals.lift_html import render_lift_html

from .lift_rows import AT, split


def test_one_chart_per_playbook_and_nothing_fetched() -> None:
    first = split("<b>promo</b>", (12, 90), (2, 10))
    second = split("reorder", (5, 50), (1, 50))
    report = lift_report([*first[0], *second[0]], [*first[1], *second[1]], since=AT, holdout_percent=10)
    page = render_lift_html(report)
    assert page.count("<svg") == 2
    assert "&lt;b&gt;promo&lt;/b&gt;" in page and "<b>promo</b>" not in page
    assert "src=" not in page and "<script" not in page and "<link" not in page
    assert 'class="fail"' in page  # reorder: half held out where 10% was configured


def test_an_empty_window_says_so() -> None:
    page = render_lift_html(lift_report([], [], since=AT, holdout_percent=5))
    assert "No decisions in this window" in page
