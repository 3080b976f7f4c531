"""The LLM-path baseline: LangGraph's prebuilt ReAct agent, given nextbest's prompt, tools and fake model.

It is asked for a `ModelChoice` through `response_format`, which costs it a second model call after its
ReAct loop; the fake never asks for a tool, so two calls is the least ReAct can do here.
"""

from __future__ import annotations

import warnings
from typing import Any

from agent.deadline import Deadline
from agent.model import HttpClient
from agent.moment import open_moment
from agent.prompt import build_prompt
from agent.steps import gather
from nextbest.app.bootstrap import Runtime
from nextbest.contracts import DecideRequest, ModelChoice
from tools.inventory import InventoryQuery, InventoryTool

__all__ = ["ReactBaseline"]


def _tools(runtime: Runtime) -> list[Any]:
    from langchain_core.tools import StructuredTool

    inventory = InventoryTool(runtime.decider.ctx.tools.inventory)

    async def check_inventory(**query: Any) -> str:
        return (await inventory.run(InventoryQuery.model_validate(query))).model_dump_json()

    spec = InventoryTool.json_schema()["function"]
    return [
        StructuredTool.from_function(
            coroutine=check_inventory, name=spec["name"], description=spec["description"], args_schema=InventoryQuery
        )
    ]


class ReactBaseline:
    """One ReAct decision: open the moment, gather candidates, prompt, run the agent. No guardrails, no ledger."""

    def __init__(self, runtime: Runtime, base_url: str, http_client: HttpClient) -> None:
        from langchain_openai import ChatOpenAI

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # create_react_agent is deprecated in favour of langchain.agents
            from langgraph.prebuilt import create_react_agent

            settings = runtime.settings
            model = ChatOpenAI(
                model="fake",
                base_url=base_url,
                api_key="x",
                temperature=settings.model_temperature,
                max_completion_tokens=settings.model_max_tokens,
                http_async_client=http_client,
                max_retries=0,
            )
            self._agent = create_react_agent(model, _tools(runtime), response_format=ModelChoice)
        self._runtime = runtime

    async def decide(self, request: DecideRequest) -> ModelChoice | None:
        ctx = self._runtime.decider.ctx
        moment = await open_moment(request, ctx, Deadline.start(request.deadline_ms or 1500))
        if moment.playbook is None:
            return None
        candidates = gather(moment, ctx)
        bundle = build_prompt(
            moment.playbook, moment.policies.brand, request, candidates, budget=ctx.settings.prompt_token_budget
        )
        state = await self._agent.ainvoke({"messages": bundle.messages})
        choice = state.get("structured_response")
        return choice if isinstance(choice, ModelChoice) else None
