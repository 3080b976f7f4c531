"""The HTML report in a real browser: headless Chromium parses every SVG chart and paints it in colour.

Needs Debian's chromium (`apt-get install -y chromium`); skipped, saying so, where it is not installed.
"""

from __future__ import annotations

import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from evals.gates import check_gates
from evals.html import BAR_COLOURS, render_html
from evals.runner import Report
from evals.scorers import Score
from evals.scorers.metrics import JUDGE, ScenarioResult, summarize

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no /usr/bin/chromium (apt-get install -y chromium): browser rendering not checked"
)


def _result(
    sid: str, use_case: str, passed: bool, verdicts: list[str], judged: dict[str, float] | None
) -> ScenarioResult:
    scores = {"expectation": Score(name="expectation", passed=passed, detail=[] if passed else ["action none"])}
    if judged is not None:
        scores[JUDGE] = Score(name=JUDGE, passed=min(judged.values()) >= 0.5, criteria=judged, note="fine")
    return ScenarioResult(
        id=sid,
        use_case=use_case,
        passed=passed,
        repeats_passed=[passed],
        scores=scores,
        action="message",
        channel="email",
        latencies_ms=[1.5 + len(sid), 12.0],
        fallback_reason="no_model_configured",
        guardrails=verdicts,
    )


def _report() -> Report:
    judged = {"relevance": 0.95, "tone": 0.75, "no_false_claims": 0.4}
    results = [
        _result("a-1", "cart_abandonment", True, ["consent:pass", "quiet_hours:adjust"], judged),
        _result("b-1", "session_intent", True, ["consent:pass", "frequency_caps:block"], judged),
        _result("b-2", "session_intent", True, ["consent:pass"], None),
        _result("b-3", "session_intent", True, ["consent:pass"], None),
        _result("b-4", "session_intent", False, ["stock:adjust"], None),
        _result("c-1", "a_use_case_with_a_name_far_too_long_for_its_label", False, ["holdout:block"], None),
    ]
    return Report(config="rules", metrics=summarize(results, 1), scenarios=results)


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    command = [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=90, check=True)


def _decode_png(data: bytes) -> np.ndarray:
    """RGB(A) 8-bit, non-interlaced PNG (what Chromium writes) as an (h, w, channels) array."""
    pos, chunks, width, height, channels = 8, [], 0, 0, 0
    while pos < len(data):
        (size,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + size]
        pos += 12 + size
        if kind == b"IHDR":
            width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0 and colour_type in (2, 6)
            channels = 3 if colour_type == 2 else 4
        elif kind == b"IDAT":
            chunks.append(body)
    raw, stride = zlib.decompress(b"".join(chunks)), width * channels
    rows = np.zeros((height, stride), dtype=np.uint8)
    prior = np.zeros(stride, dtype=np.int64)
    for y in range(height):
        method = raw[y * (stride + 1)]
        line = np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1).astype(np.int64)
        if method == 0:
            row = line
        elif method == 1:
            row = np.cumsum(line.reshape(width, channels), axis=0).reshape(stride) % 256
        elif method == 2:
            row = (line + prior) % 256
        else:
            row = _sequential(line.tolist(), prior.tolist(), channels, paeth=method == 4)
        rows[y], prior = row, row
    return rows.reshape(height, width, channels)[:, :, :3]


def _sequential(line: list[int], prior: list[int], bpp: int, *, paeth: bool) -> np.ndarray:
    out = [0] * len(line)
    for i, value in enumerate(line):
        a = out[i - bpp] if i >= bpp else 0
        b, c = prior[i], prior[i - bpp] if i >= bpp else 0
        if paeth:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            guess = a if pa <= pb and pa <= pc else b if pb <= pc else c
        else:
            guess = (a + b) // 2
        out[i] = (value + guess) % 256
    return np.array(out, dtype=np.int64)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.counts: dict[str, int] = {}
        self.labels: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.counts[tag] = self.counts.get(tag, 0) + 1
        if tag == "svg":
            self.labels.append(dict(attrs).get("aria-label") or "")


def test_the_dom_holds_every_svg_chart(tmp_path: Path) -> None:
    report = _report()
    page = tmp_path / "report.html"
    page.write_text(render_html(report, check_gates(report, {"expectation_pass_rate": 0.9})), encoding="utf-8")
    dom = _chromium("--dump-dom", page.as_uri(), profile=tmp_path / "profile").stdout
    tags = _Tags()
    tags.feed(dom)
    assert [label.split(" (")[0] for label in tags.labels] == [
        "Pass rate per use case",
        "Latency distribution",
        "Fallback reasons",
        "Guardrail verdict counts",
        "Judge mean score per criterion",
    ]
    m = report.metrics
    bars = len(m.pass_rate_by_use_case) + 2 + len(m.fallback_rate_by_reason) + len(m.guardrail_verdicts) + 3
    assert tags.counts["rect"] == bars
    assert "a_use_case_with_a_name_far_too_long_for_its_label</title>" in dom  # the full name, on hover


def test_the_charts_are_painted_in_their_colours(tmp_path: Path) -> None:
    report = _report()
    page = tmp_path / "report.html"
    page.write_text(render_html(report, []), encoding="utf-8")
    shot = tmp_path / "report.png"
    _chromium(f"--screenshot={shot}", "--window-size=1280,1600", page.as_uri(), profile=tmp_path / "profile")
    pixels = _decode_png(shot.read_bytes())
    assert pixels.shape[:2] == (1600, 1280)
    flat = pixels.reshape(-1, 3)
    painted = {}
    for name, hex_colour in BAR_COLOURS.items():
        rgb = [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]
        painted[name] = (flat == rgb).all(axis=1).reshape(pixels.shape[:2])
    assert all(mask.sum() > 300 for mask in painted.values()), {k: int(v.sum()) for k, v in painted.items()}
    rows = np.flatnonzero(np.any(np.stack(list(painted.values())), axis=(0, 2)))
    charts = pixels[rows.min() : rows.max() + 1].reshape(-1, 3)
    distinct = np.unique(charts[:, 0].astype(np.int64) << 16 | charts[:, 1].astype(np.int64) << 8 | charts[:, 2])
    assert len(distinct) > 50, "the chart region looks flat: text and bars did not render"
