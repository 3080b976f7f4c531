"""The ChatModel interface types: the answer schema, replies as messages, config coercion."""

from __future__ import annotations

import time

from agent.model import SUBMIT_TOOL_NAME, ChatModel, ModelReply, ModelRequest, ToolCall, choice_schema
from agent.testing import ScriptedModel
from nextbest.contracts import ModelCall, ModelChoice


def test_the_choice_schema_is_strict() -> None:
    schema = choice_schema()
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == set(ModelChoice.model_fields)
    assert schema["$defs"]["MessageCopy"]["additionalProperties"] is False
    # A choice written to the strict schema (nulls for absent values) is a valid ModelChoice.
    ModelChoice.model_validate(
        {
            "action": "none",
            "channel": None,
            "placement": None,
            "product_ids": [],
            "offer_id": None,
            "message": None,
            "score": 0.1,
            "reasons": [],
        }
    )


def test_a_request_defaults_to_the_choice_schema_and_no_tools() -> None:
    request = ModelRequest(messages=[{"role": "user", "content": "hi"}], deadline=time.monotonic() + 1)
    assert request.output_schema == choice_schema()
    assert request.tools == []
    assert request.attempt == 0


def test_a_reply_renders_as_an_assistant_message_with_its_tool_calls() -> None:
    call = ToolCall(id="call_1", name="check_inventory", arguments={"product_id": "P-1"})
    reply = ModelReply(choice=None, tool_calls=[call], text="", call=ModelCall(attempt=0, mode="tools", latency_ms=1))

    assert reply.assistant_message() == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "check_inventory", "arguments": '{"product_id":"P-1"}'},
            }
        ],
    }
    assert call.result_message("4 left") == {"role": "tool", "tool_call_id": "call_1", "content": "4 left"}


def test_a_final_reply_renders_its_text() -> None:
    reply = ModelReply(
        choice={"action": "none"}, text='{"action":"none"}', call=ModelCall(attempt=0, mode="x", latency_ms=0)
    )
    assert reply.assistant_message() == {"role": "assistant", "content": '{"action":"none"}'}


def test_the_scripted_model_is_a_chat_model() -> None:
    assert isinstance(ScriptedModel([]), ChatModel)
    assert SUBMIT_TOOL_NAME == "submit_decision"
