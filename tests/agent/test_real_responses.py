"""65 real llama.cpp answers (SmolLM2-135M, Gemma-3-270M) through the real client, parser and validator.

Each line of fixtures/smollm2-135m-llamacpp.jsonl holds the prompt nextbest sent, the mode and the server's
full response body. Replayed through OpenAIChatModel (respx serves the recorded body), every one must end
either in a proposal or in a typed rejection, and never raise anything else. The expected outcome of each
line was read by hand from its answer: fixtures/smollm2-135m-llamacpp.expected.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
import respx

from agent.model import ModelConfig, ModelRequest, OpenAIChatModel
from agent.policies import PolicySet, load_policy_set
from agent.testing import find_prompt_payload
from agent.validate import Rejection, validate_choice
from nextbest.contracts import CandidateSet, FallbackReason, OfferCandidate, ProductCandidate
from nextbest.errors import ModelError
from nextbest.settings import OutputMode, default_policy_dir

NOW = datetime(2026, 11, 28, 19, 5, tzinfo=UTC)

FIXTURES = Path(__file__).parent / "fixtures"
LINES = (FIXTURES / "smollm2-135m-llamacpp.jsonl").read_text(encoding="utf-8").splitlines()
BASE_URL = "http://llama.test/v1"


def _expected() -> dict[int, str]:
    expected = {}
    for raw in (FIXTURES / "smollm2-135m-llamacpp.expected").read_text(encoding="utf-8").splitlines():
        if raw.strip() and not raw.startswith("#"):
            number, outcome = raw.split()[:2]
            expected[int(number)] = outcome
    return expected


EXPECTED = _expected()


@pytest.fixture(scope="module")
def policy() -> PolicySet:
    return load_policy_set(default_policy_dir())


def _decision_payload(messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The prompt's decision block: the last user message that carries candidates (repairs come after it)."""
    for index in range(len(messages), 0, -1):
        payload = find_prompt_payload(messages[:index])
        if payload is not None and "candidates" in payload:
            return payload
    return None


def _candidates(payload: dict[str, Any]) -> CandidateSet:
    shown = payload["candidates"]
    return CandidateSet(
        playbook_id=payload["playbook"]["id"],
        products=[ProductCandidate.model_validate(product) for product in shown["products"]],
        offers=[OfferCandidate.model_validate({**offer, "pool": "prompt"}) for offer in shown["offers"]],
        channels=shown["channels"],
        placements=shown["placements"],
    )


async def _outcome(line: dict[str, Any], policy: PolicySet) -> str:
    messages = line["messages"] or [{"role": "user", "content": "(the recording holds no prompt)"}]
    mode = OutputMode.JSON_OBJECT if line["response_format"] == "json_object" else OutputMode.PROMPT
    config = ModelConfig(model="local", base_url=BASE_URL, api_key="x", output_mode=mode)
    model = OpenAIChatModel(config)
    try:
        with respx.mock(base_url=BASE_URL) as router:
            router.post("/chat/completions").respond(line["status"], json=line["answer"])
            request = ModelRequest(messages=messages, deadline=time.monotonic() + 10)
            reply = await model.complete(request)
    except ModelError as error:
        # The parser's typed failure; any other reason (a transport error) would show as itself.
        return "unparseable" if error.reason is FallbackReason.INVALID_OUTPUT else error.reason.value
    finally:
        await model.aclose()
    payload = _decision_payload(messages)
    assert payload is not None, "a line with an answer holds its prompt"
    playbook = policy.playbook(payload["playbook"]["id"])
    assert playbook is not None
    result = validate_choice(reply.choice, playbook=playbook, candidates=_candidates(payload), now=NOW)
    return result.kind.value if isinstance(result, Rejection) else "accepted"


@pytest.mark.parametrize("number", range(1, len(LINES) + 1))
async def test_each_real_answer_ends_as_read_by_hand(number: int, policy: PolicySet) -> None:
    line = orjson.loads(LINES[number - 1])

    assert await _outcome(line, policy) == EXPECTED[number]


def test_every_line_has_exactly_one_expectation() -> None:
    assert sorted(EXPECTED) == list(range(1, len(LINES) + 1))
    # The mix as read by hand; six restraint answers pass now that a 0..100 score is read as a fraction.
    assert Counter(EXPECTED.values()) == {
        "unparseable": 23,
        "schema": 6,
        "out_of_range": 3,
        "channel": 13,
        "hallucinated_id": 13,
        "shape": 1,
        "accepted": 6,
    }
