"""Benchmarks are not gates: this only checks that two figures run at minimal size and report the JSON shape."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.inprocess import InProcessPlan, run_inprocess
from benchmarks.llm import LlmPlan, run_deadline
from benchmarks.results import machine_info, write_json

FIELDS = {"name", "value", "unit", "baseline", "ratio", "target", "met"}


async def test_inprocess_and_deadline_report_the_json_shape(tmp_path: Path) -> None:
    results = await run_inprocess(InProcessPlan(decisions=10, runs=1, engine_repeats=5))
    results += await run_deadline(LlmPlan(deadline_ms=200, hangs=4), batch=4)
    out = tmp_path / "bench.json"
    write_json(results, out, machine_info())

    document = json.loads(out.read_text())
    assert set(document) == {"machine", "results"}
    assert document["machine"]["cores"] >= 1
    assert document["machine"]["versions"]["langgraph"]
    names = [row["name"] for row in document["results"]]
    assert "inprocess.rules.us_per_decision" in names
    assert "deadline.within_share" in names
    for row in document["results"]:
        assert set(row) >= FIELDS
        assert row["value"] > 0
    engine = next(row for row in document["results"] if row["name"] == "inprocess.rules_engine.us_per_propose")
    assert engine["ratio"] == engine["value"] / engine["baseline"]
    deadline = next(row for row in document["results"] if row["name"] == "deadline.within_share")
    assert deadline["valid_decisions"] == deadline["decisions"] == 4
