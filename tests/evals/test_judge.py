"""The LLM judge against a respx-mocked OpenAI-compatible endpoint: good, fenced, malformed, failing, cached."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from evals.judge import (
    CRITERIA,
    Judge,
    JudgeScorer,
    JudgeSettings,
    brand_guide,
    load_rubric,
    open_judge,
    parse_verdict,
)
from evals.runner import Scorer, run_suite
from evals.scenario import Scenario
from evals.scorers import PolicyChecker, RunRecord, default_scorers
from nextbest.contracts import ActionKind, Channel, DecidedBy, Decision, MessageCopy
from nextbest.errors import PolicyError
from nextbest.settings import default_policy_dir
from nextbest.world import World

BASE_URL = "http://judge.test/v1"
GOOD = {"relevance": 0.9, "tone": 0.8, "no_false_claims": 0.6, "rationale": "Names the shoe; the code is real."}
MakeJudge = Callable[[Path], Judge]


def _completion(content: str) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "id": "cmpl-1",
            "object": "chat.completion",
            "created": 0,
            "model": "judge-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        },
    )


@pytest.fixture
def router() -> Any:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as mock:
        yield mock


@pytest.fixture
async def make_judge() -> AsyncIterator[MakeJudge]:
    clients: list[httpx.AsyncClient] = []

    def factory(cache_dir: Path) -> Judge:
        # A plain httpx client: the SDK would otherwise send through httpx2, which respx does not see.
        clients.append(httpx.AsyncClient())
        settings = JudgeSettings(
            model="judge-model", base_url=BASE_URL, api_key="sk-judge", data_dir=None, max_retries=0
        )
        return open_judge(settings, cache_dir, http_client=clients[-1])

    yield factory
    for client in clients:
        await client.aclose()


def _run(scenario: Scenario, message: MessageCopy | None) -> RunRecord:
    decision = Decision(
        decision_id="dec_1",
        event_id=scenario.request.event.event_id,
        user_id=scenario.request.event.user_id,
        action=ActionKind.MESSAGE,
        use_case=scenario.use_case,
        channel=Channel.EMAIL,
        message=message,
        score=0.8,
        decided_by=DecidedBy.RULES,
        policy_version="t",
        decided_at=scenario.clock_time,
    )
    return RunRecord(scenario, decision.model_dump(mode="json"), decision, 1.0)


COPY = MessageCopy(title="Your Velora Cloudrun is waiting", body="Use code CART10 for 10% off.", cta="Back to cart")


async def test_a_good_answer_is_a_typed_score_per_criterion(
    router: respx.MockRouter, make_judge: MakeJudge, suite: dict[str, Scenario], tmp_path: Path
) -> None:
    route = router.post("/chat/completions").mock(return_value=_completion(json.dumps(GOOD)))
    brand = brand_guide(default_policy_dir())
    score = await JudgeScorer(make_judge(tmp_path), brand=brand).aevaluate(_run(suite["cart-01"], COPY))
    assert score.passed is True and score.error is None
    assert score.criteria == {name: GOOD[name] for name in CRITERIA}
    assert score.value == pytest.approx((0.9 + 0.8 + 0.6) / 3, abs=1e-4)
    assert score.note == GOOD["rationale"]
    sent = json.loads(route.calls[0].request.content)
    assert sent["model"] == "judge-model" and sent["response_format"] == {"type": "json_object"}
    assert sent["messages"][0]["content"] == load_rubric().text
    user = sent["messages"][1]["content"]
    assert "CART10" in user and '"use_case": "cart_abandonment"' in user and brand["voice"] in user
    assert route.calls[0].request.headers["authorization"] == "Bearer sk-judge"


async def test_a_low_criterion_fails_the_scenario_with_the_rationale(
    router: respx.MockRouter, make_judge: MakeJudge, suite: dict[str, Scenario], tmp_path: Path
) -> None:
    answer = {**GOOD, "no_false_claims": 0.1, "rationale": "Invents a deadline."}
    router.post("/chat/completions").mock(return_value=_completion(json.dumps(answer)))
    score = await JudgeScorer(make_judge(tmp_path), pass_threshold=0.5).aevaluate(_run(suite["cart-01"], COPY))
    assert score.passed is False
    assert score.detail == ["judge no_false_claims 0.10 < 0.5"] and score.note == "Invents a deadline."


def test_fenced_and_chatty_json_is_tolerated() -> None:
    fenced = parse_verdict("Here you go:\n```json\n" + json.dumps(GOOD) + "\n```\nHope that helps.")
    assert fenced.criteria()["tone"] == 0.8
    assert parse_verdict("Sure. " + json.dumps(GOOD) + " Done.").relevance == 0.9


@pytest.mark.parametrize(
    "reply",
    [
        _completion("I think the copy is quite good, maybe 8/10."),
        _completion(json.dumps({**GOOD, "tone": 7})),  # outside 0..1
        _completion(json.dumps({"relevance": 1.0})),  # criteria missing
        httpx.Response(500, json={"error": {"message": "boom"}}),
    ],
    ids=["prose", "out-of-range", "missing-criteria", "http-500"],
)
async def test_a_bad_answer_is_a_judge_error_not_a_crash(
    router: respx.MockRouter, make_judge: MakeJudge, suite: dict[str, Scenario], tmp_path: Path, reply: httpx.Response
) -> None:
    route = router.post("/chat/completions").mock(return_value=reply)
    scorer = JudgeScorer(make_judge(tmp_path))
    first = await scorer.aevaluate(_run(suite["cart-01"], COPY))
    assert first.passed is None and first.error and not first.criteria
    assert route.call_count == 1
    await scorer.aevaluate(_run(suite["cart-01"], COPY))
    assert route.call_count == 2  # errors are not cached: the next run asks again


async def test_the_second_run_is_answered_from_the_cache(
    router: respx.MockRouter, make_judge: MakeJudge, suite: dict[str, Scenario], tmp_path: Path
) -> None:
    route = router.post("/chat/completions").mock(return_value=_completion(json.dumps(GOOD)))
    run = _run(suite["cart-01"], COPY)
    first = await make_judge(tmp_path).grade(COPY, {"use_case": "cart_abandonment"})
    again = await make_judge(tmp_path).grade(COPY, {"use_case": "cart_abandonment"})  # a new judge, same disk
    assert route.call_count == 1
    assert (first.cached, again.cached) == (False, True) and again.verdict == first.verdict
    other = await make_judge(tmp_path).grade(COPY, {"use_case": "session_intent"})
    assert route.call_count == 2 and not other.cached  # the context is part of the key
    scorer = JudgeScorer(make_judge(tmp_path))
    await scorer.aevaluate(run)
    await scorer.aevaluate(run)
    assert route.call_count == 3


async def test_no_message_means_not_applicable_and_no_call(
    router: respx.MockRouter, make_judge: MakeJudge, suite: dict[str, Scenario], tmp_path: Path
) -> None:
    route = router.post("/chat/completions").mock(return_value=_completion(json.dumps(GOOD)))
    score = await JudgeScorer(make_judge(tmp_path)).aevaluate(_run(suite["cart-01"], None))
    assert score.passed is None and score.error is None and route.call_count == 0


async def test_judge_means_reach_the_report(
    router: respx.MockRouter, make_judge: MakeJudge, suite: dict[str, Scenario], world: World, tmp_path: Path
) -> None:
    router.post("/chat/completions").mock(return_value=_completion(json.dumps(GOOD)))
    checker = PolicyChecker(default_policy_dir() / "guardrails.yaml", world)
    scorers: list[Scorer] = [*default_scorers(checker), JudgeScorer(make_judge(tmp_path), units=checker.units)]
    report = await run_suite([suite["cart-01"], suite["unknown-email_open"]], world=world, scorers=scorers)
    judge = report.metrics.judge
    assert judge is not None
    assert (judge.judged, judge.errors, judge.not_applicable) == (1, 0, 1)
    assert judge.criteria_means == {name: GOOD[name] for name in CRITERIA}
    assert json.loads(report.model_dump_json())["metrics"]["judge"]["criteria_means"]["tone"] == 0.8


def test_the_rubric_names_every_criterion(tmp_path: Path) -> None:
    text = load_rubric().text
    assert all(f"## {name}" in text for name in CRITERIA)
    broken = tmp_path / "rubric.md"
    broken.write_text(text.replace("## tone", "## voice"), encoding="utf-8")
    with pytest.raises(PolicyError, match="tone"):
        load_rubric(broken)


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NEXTBEST_JUDGE_MODEL", "qwen2.5:7b")
    monkeypatch.setenv("NEXTBEST_JUDGE_BASE_URL", "http://127.0.0.1:11434/v1")
    monkeypatch.setenv("NEXTBEST_JUDGE_API_KEY", "sk-x")
    monkeypatch.delenv("NEXTBEST_DATA_DIR", raising=False)
    settings = JudgeSettings()
    assert (settings.model, settings.base_url) == ("qwen2.5:7b", "http://127.0.0.1:11434/v1")
    assert settings.api_key is not None and settings.api_key.get_secret_value() == "sk-x"
    assert settings.cache_dir(tmp_path / "out") == tmp_path / "out" / "judge-cache"
    monkeypatch.setenv("NEXTBEST_DATA_DIR", str(tmp_path / "data"))
    assert JudgeSettings().cache_dir(tmp_path / "out") == tmp_path / "data" / "judge-cache"
