"""The README's example request and response are real: sent to `nextbest serve`, compared field by field.

In the README's response `…` stands for a value that changes from call to call; a text or a list ending
in `…` must match up to there. Every other field shown must equal the server's answer, and a field the
README leaves out is not compared (the README shows a shortened response).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from nextbest.app.api import create_app
from nextbest.app.bootstrap import open_runtime
from nextbest.clock import FixedClock
from nextbest.settings import Settings

ROOT = Path(__file__).resolve().parents[4]
README = ROOT / "README.md"
BLOCK = re.compile(r"<!-- readme-example: (request|response)[^>]*-->\s*```json\n(.*?)```", re.DOTALL)
ANY = "…"


def _readme_example() -> tuple[dict[str, Any], dict[str, Any]]:
    blocks = {kind: json.loads(text) for kind, text in BLOCK.findall(README.read_text(encoding="utf-8"))}
    assert set(blocks) == {"request", "response"}, "the README lost its example markers"
    return blocks["request"], blocks["response"]


def _mismatches(expected: Any, actual: Any, path: str = "") -> list[str]:
    if expected == ANY:
        return []
    if isinstance(expected, str) and expected.endswith(ANY):
        ok = isinstance(actual, str) and actual.startswith(expected[: -len(ANY)])
        return [] if ok else [f"{path}: {actual!r} does not start with {expected[:-1]!r}"]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: {actual!r} is not an object"]
        missing = [f"{path}.{key}: missing" for key in expected if key not in actual]
        return missing + [
            m for key in expected if key in actual for m in _mismatches(expected[key], actual[key], f"{path}.{key}")
        ]
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{path}: {actual!r} is not a list"]
        open_ended = bool(expected) and expected[-1] == ANY
        shown = expected[:-1] if open_ended else expected
        if len(actual) < len(shown) or (not open_ended and len(actual) != len(shown)):
            return [f"{path}: {len(actual)} items, the README shows {len(shown)}{'+' if open_ended else ''}"]
        return [m for i, item in enumerate(shown) for m in _mismatches(item, actual[i], f"{path}[{i}]")]
    return [] if expected == actual else [f"{path}: the server says {actual!r}, the README {expected!r}"]


def test_the_readme_request_is_the_example_file() -> None:
    request, _ = _readme_example()
    assert request == json.loads((ROOT / "examples" / "cross_sell_app.json").read_text())


def test_the_comparison_catches_a_drifted_readme() -> None:
    _, response = _readme_example()
    drifted = json.loads(json.dumps(response))
    drifted["products"][0]["price"] = 1.0
    drifted["guardrails"] = drifted["guardrails"][:1]
    assert _mismatches(response, drifted) == [
        ".products[0].price: the server says 1.0, the README 99.99",
        ".guardrails: 1 items, the README shows 2+",
    ]


def test_the_readme_response_is_what_nextbest_serve_answers(tmp_path: Path, serve: Any) -> None:
    request, expected = _readme_example()
    default_holdout = str(Settings.model_fields["holdout_percent"].default)
    env = {"NEXTBEST_DATA_DIR": str(tmp_path), "NEXTBEST_HOLDOUT_PERCENT": default_holdout}  # the wall clock
    with serve(env) as (base, _):
        first = httpx.post(f"{base}/v1/decide", json=request, timeout=30)
        assert first.status_code == 200, first.text
        assert _mismatches(expected, first.json()) == []
        again = httpx.post(f"{base}/v1/decide", json=request, timeout=30)
    assert again.headers["nextbest-replayed"] == "true"
    assert again.json() == first.json() | {"replayed": True}


@pytest.mark.parametrize("now", ["2026-11-28T11:40:00+00:00", "2027-03-01T02:00:00+00:00", "2031-07-15T22:30:00+00:00"])
def test_the_readme_response_holds_on_any_date(tmp_path: Path, world: Any, now: str) -> None:
    request, expected = _readme_example()

    async def factory(settings: Settings) -> Any:
        return await open_runtime(settings, clock=FixedClock(datetime.fromisoformat(now)), world=world, search=None)

    settings = Settings(data_dir=tmp_path, redis_url=None, model=None, api_keys="", policy_watch=False)
    with TestClient(create_app(settings, runtime_factory=factory)) as client:
        assert _mismatches(expected, client.post("/v1/decide", json=request).json()) == []


def test_the_cart_example_is_in_the_default_holdout_as_the_readme_says(tmp_path: Path, world: Any) -> None:
    async def factory(settings: Settings) -> Any:
        return await open_runtime(settings, clock=FixedClock(datetime(2026, 11, 28, 15, tzinfo=UTC)), world=world)

    settings = Settings(data_dir=tmp_path, redis_url=None, model=None, api_keys="", policy_watch=False)
    body = json.loads((ROOT / "examples" / "cart_abandonment.json").read_text())
    with TestClient(create_app(settings, runtime_factory=factory)) as client:
        decision = client.post("/v1/decide", json=body).json()
    assert (decision["action"], decision["holdout"]) == ("none", True)
    assert "customer C0040 is in the default 5% holdout" in README.read_text(encoding="utf-8")
