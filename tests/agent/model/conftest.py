"""Fixtures for the model layer: a respx router in front of a fake endpoint, clients and requests."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import orjson
import pytest
import respx

from agent.model import ModelConfig, ModelRequest, OpenAIChatModel
from nextbest.settings import OutputMode

BASE_URL = "http://llm.test/v1"
PROMPT = (
    "Decide for this moment:\n```json\n"
    + orjson.dumps(
        {
            "playbook": {"id": "cart_recovery", "action": "message", "max_products": 3},
            "candidates": {
                "products": [{"product_id": "P-1"}, {"product_id": "P-2"}],
                "offers": [{"offer_id": "O-10"}],
                "channels": ["email", "push"],
                "placements": [],
            },
        }
    ).decode()
    + "\n```"
)
MakeModel = Callable[..., OpenAIChatModel]
MakeRequest = Callable[..., ModelRequest]


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as mock:
        yield mock


@pytest.fixture
async def make_model() -> AsyncIterator[MakeModel]:
    """OpenAIChatModel factories on BASE_URL; each client is closed after the test."""
    created: list[OpenAIChatModel] = []

    def factory(mode: OutputMode = OutputMode.AUTO, **kwargs: Any) -> OpenAIChatModel:
        config = ModelConfig(model="test-model", base_url=BASE_URL, api_key="sk-test", output_mode=mode)
        model = OpenAIChatModel(config, **kwargs)
        created.append(model)
        return model

    yield factory
    for model in created:
        await model.aclose()


@pytest.fixture
def make_request() -> MakeRequest:
    def factory(*, seconds: float = 2.0, tools: list[dict[str, Any]] | None = None, **kwargs: Any) -> ModelRequest:
        messages = kwargs.pop(
            "messages",
            [{"role": "system", "content": "You are the decision engine."}, {"role": "user", "content": PROMPT}],
        )
        return ModelRequest(messages=messages, tools=tools or [], deadline=time.monotonic() + seconds, **kwargs)

    return factory


def sent_bodies(route: respx.Route) -> list[dict[str, Any]]:
    return [orjson.loads(call.request.content) for call in route.calls]


@pytest.fixture
def bodies() -> Callable[[respx.Route], list[dict[str, Any]]]:
    """The JSON bodies a route received, in order."""
    return sent_bodies
