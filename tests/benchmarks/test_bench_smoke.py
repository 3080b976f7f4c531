"""Benchmarks are not gates: this only checks that two figures run at minimal size and report the JSON shape."""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path

from benchmarks.deadline import DeadlinePlan, run_deadline
from benchmarks.inprocess import InProcessPlan, run_inprocess
from benchmarks.results import machine_info, write_json

FIELDS = {"name", "value", "unit", "baseline", "ratio", "target", "met"}


async def test_inprocess_and_deadline_report_the_json_shape(tmp_path: Path) -> None:
    results = await run_inprocess(InProcessPlan(decisions=10, runs=1, engine_repeats=5))
    plan = DeadlinePlan(decisions=4, concurrency=2, warmup=1, burn=False)  # a real server; no burner in tests
    results += await asyncio.to_thread(run_deadline, plan)
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
        assert row["value"] > 0 or (row["name"].startswith("deadline.") and not math.isnan(row["value"]))
    engine = next(row for row in document["results"] if row["name"] == "inprocess.rules_engine.us_per_propose")
    assert engine["ratio"] == engine["value"] / engine["baseline"]
    deadline = next(row for row in document["results"] if row["name"] == "deadline.within_share")
    assert deadline["valid_decisions"] == deadline["decisions"] == 4
