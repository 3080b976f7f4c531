"""The tool protocol: the schema is built once, the timeout comes from the decision's deadline, faults are ToolError."""

from __future__ import annotations

import threading
import time

import pytest

from nextbest.contracts import Contract
from nextbest.errors import ToolError
from tools.function_tool import STANDALONE_TIMEOUT_S, FunctionTool, ToolAnswer


class Echo(Contract):
    text: str


class EchoTool(FunctionTool[Echo, Echo]):
    name = "echo"
    description = "Says it back."
    input_model = Echo
    output_model = Echo

    def __init__(self, *, max_timeout_s: float | None = None, fail: bool = False) -> None:
        super().__init__(max_timeout_s=max_timeout_s)
        self.fail = fail
        self.release = threading.Event()
        self.release.set()

    def _answer(self, query: Echo) -> ToolAnswer[Echo]:
        self.release.wait(timeout=10)
        if self.fail:
            raise ConnectionError("echo service down")
        return ToolAnswer(Echo(text=query.text.upper()))


def test_the_schema_is_one_definition_and_each_caller_gets_its_own_copy() -> None:
    first = EchoTool.json_schema()
    first["function"]["name"] = "changed by a caller"
    schema = EchoTool().json_schema()
    assert schema["function"]["name"] == "echo"
    assert schema["function"]["description"] == "Says it back."
    assert schema["function"]["parameters"]["required"] == ["text"]


def test_the_timeout_is_what_is_left_of_the_deadline_under_the_tools_own_bound() -> None:
    tool = EchoTool(max_timeout_s=0.5)
    assert tool.timeout_s(None) == 0.5
    assert tool.timeout_s(time.monotonic() + 60) == 0.5
    left = tool.timeout_s(time.monotonic() + 0.2)
    assert 0 < left <= 0.2


def test_without_a_bound_of_its_own_a_tool_gets_all_the_deadline_leaves() -> None:
    tool = EchoTool()
    assert 59 < tool.timeout_s(time.monotonic() + 60) <= 60  # not a fixed 0.5 s per call
    assert tool.timeout_s(None) == STANDALONE_TIMEOUT_S  # outside a decision: the standalone bound


def test_a_passed_deadline_is_a_tool_error_before_any_work() -> None:
    with pytest.raises(ToolError, match="echo: the decision's deadline has passed"):
        EchoTool().timeout_s(time.monotonic() - 0.001)


async def test_run_returns_the_output_and_answer_the_whole_answer() -> None:
    tool = EchoTool()
    assert await tool.run(Echo(text="hi"), deadline=time.monotonic() + 5) == Echo(text="HI")
    answer = await tool.answer(Echo(text="hi"))
    assert (answer.output, tuple(answer.found)) == (Echo(text="HI"), ())


async def test_the_deadline_stops_a_call_its_own_bound_would_allow() -> None:
    tool = EchoTool(max_timeout_s=10)
    tool.release.clear()
    try:
        with pytest.raises(ToolError, match=r"echo: timed out after 0\.0"):
            await tool.run(Echo(text="hi"), deadline=time.monotonic() + 0.05)
    finally:
        tool.release.set()  # free the worker thread before the loop closes its executor


async def test_any_fault_becomes_a_tool_error_with_its_cause() -> None:
    with pytest.raises(ToolError, match="echo service down") as caught:
        await EchoTool(fail=True).run(Echo(text="hi"))
    assert caught.value.tool == "echo"
    assert isinstance(caught.value.__cause__, ConnectionError)


def test_the_bound_must_be_positive() -> None:
    with pytest.raises(ValueError, match="timeout_s must be positive"):
        EchoTool(max_timeout_s=0)
