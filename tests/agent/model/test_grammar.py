"""Every schema sent to a model compiles, with llama.cpp's own converter, into a grammar its parser survives.

llama-cpp-python 0.3.36 turns `response_format: {"type": "json_object", "schema": …}` and tool parameters into
GBNF with `llama_cpp/llama_grammar.py::json_schema_to_gbnf`. A string of `maxLength: 20000` became a 177,501-
character grammar nested 20,000 deep, which overflowed the parser's stack (SIGSEGV). The converter is pure
Python; .ci/run downloads the sdist (never built) into .cache/llama-cpp-python and this test loads the one
file from it by path.
"""

from __future__ import annotations

import importlib.util
import json
import os
import tarfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from agent.model import ModelConfig, ModelRequest, choice_schema
from agent.model._modes import build_arguments
from agent.model.schemas import ENUM_ID_LIMIT, LONG_STRING_MAX, answer_schema, grammar_friendly
from agent.policies import load_policy_set
from agent.prompt import PromptProfile, answer_limits
from nextbest.contracts import CandidateSet, ProductCandidate
from nextbest.policy import sample_moment
from nextbest.settings import OutputMode, default_policy_dir
from tools.inventory import InventoryTool
from tools.search_catalog import SearchCatalogTool

ARCHIVE = Path(__file__).resolve().parents[3] / ".cache/llama-cpp-python/llama_cpp_python-0.3.36.tar.gz"
MEMBER = "llama_cpp_python-0.3.36/llama_cpp/llama_grammar.py"
MAX_GRAMMAR_CHARS = 20_000
# Each nested "(char (char …)?)?" level is a recursion of llama.cpp's grammar parser.
MAX_NESTING = LONG_STRING_MAX + 20
SCHEMA_MODES = (OutputMode.JSON_SCHEMA, OutputMode.JSON_OBJECT, OutputMode.TOOLS)


@pytest.fixture(scope="module")
def converter(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    if not ARCHIVE.is_file():
        message = f"{ARCHIVE} is missing: run the llama-cpp-python download step of .ci/run"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    target = tmp_path_factory.mktemp("llama-grammar")
    with tarfile.open(ARCHIVE) as archive:
        archive.extract(MEMBER, target, filter="data")
    spec = importlib.util.spec_from_file_location("llama_grammar_from_sdist", target / MEMBER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _gbnf(converter: ModuleType, schema: dict[str, Any]) -> str:
    grammar: str = converter.json_schema_to_gbnf(json.dumps(schema))
    return grammar


def _nesting(grammar: str) -> int:
    deepest = depth = 0
    in_string = escaped = False
    for char in grammar:
        if in_string:
            escaped, in_string = (False, True) if escaped else (char == "\\", char != '"')
        elif char == '"':
            in_string = True
        elif char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth -= 1
    return deepest


def _sent_schemas() -> list[tuple[str, dict[str, Any]]]:
    """Every schema a request carries to the server, as build_arguments sends it, in every mode."""
    policy = load_policy_set(default_policy_dir())
    tools = [InventoryTool.json_schema(), SearchCatalogTool.json_schema()]
    requests = [("choice_schema", ModelRequest(messages=[], output_schema=choice_schema(), tools=tools, deadline=0))]
    for playbook in policy.playbooks:
        candidates = sample_moment(playbook, policy.brand, None).candidates
        schema = answer_schema(candidates, answer_limits(playbook))
        requests.append((playbook.id, ModelRequest(messages=[], output_schema=schema, tools=tools, deadline=0)))
    sent: list[tuple[str, dict[str, Any]]] = []
    for name, request in requests:
        for mode in SCHEMA_MODES:
            arguments = build_arguments(ModelConfig(model="m", output_mode=mode), request, mode)
            if "response_format" in arguments:
                sent.append(
                    (
                        f"{name}/{mode}/answer",
                        arguments["response_format"].get("schema")
                        or arguments["response_format"]["json_schema"]["schema"],
                    )
                )
            for tool in arguments.get("tools", []):
                sent.append((f"{name}/{mode}/{tool['function']['name']}", tool["function"]["parameters"]))
    return sent


SENT = _sent_schemas()


@pytest.mark.parametrize(("name", "schema"), SENT, ids=[name for name, _ in SENT])
def test_every_sent_schema_compiles_to_a_small_shallow_grammar(
    converter: ModuleType, name: str, schema: dict[str, Any]
) -> None:
    grammar = _gbnf(converter, schema)

    assert len(grammar) <= MAX_GRAMMAR_CHARS, name
    assert _nesting(grammar) <= MAX_NESTING, name


def _without_patterns(node: Any) -> Any:
    # The contracts' unanchored id pattern (\\S) is one more thing llama.cpp refuses; leave it out to see the size.
    if isinstance(node, dict):
        return {key: _without_patterns(value) for key, value in node.items() if key != "pattern"}
    if isinstance(node, list):
        return [_without_patterns(item) for item in node]
    return node


def test_the_unbounded_contract_schema_is_what_crashed_llama_cpp(converter: ModuleType) -> None:
    # The measure above is the one that matters: the raw contract schema fails it by far.
    grammar = _gbnf(converter, _without_patterns(choice_schema()))

    assert len(grammar) > 100_000
    assert _nesting(grammar) > 10_000


def test_the_sent_schemas_cover_answers_and_tools_in_every_mode() -> None:
    names = {name.split("/", 1)[1] for name, _ in SENT}

    assert {f"{mode}/answer" for mode in (OutputMode.JSON_SCHEMA, OutputMode.JSON_OBJECT)} <= names
    assert {"tools/submit_decision", "json_object/check_inventory", "tools/search_catalog"} <= names


def _walk(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        return [node, *(found for value in node.values() for found in _walk(value))]
    if isinstance(node, list):
        return [found for value in node for found in _walk(value)]
    return []


@pytest.mark.parametrize(("name", "schema"), SENT, ids=[name for name, _ in SENT])
def test_every_string_and_enum_of_a_sent_schema_is_bounded(name: str, schema: dict[str, Any]) -> None:
    # The fallback measure the issue allows, kept as well: it needs no converter.
    for node in _walk(schema):
        if node.get("type") == "string" and "enum" not in node:
            assert 0 < node["maxLength"] <= LONG_STRING_MAX, (name, node)
        if "enum" in node:
            assert len(node["enum"]) <= ENUM_ID_LIMIT, (name, node)


def _product(product_id: str) -> ProductCandidate:
    return ProductCandidate(product_id=product_id, title=f"Item {product_id}", category="c", price=1, source="t")


def test_the_answer_schema_enumerates_short_candidate_lists_and_bounds_long_ones() -> None:
    policy = load_policy_set(default_policy_dir())
    playbook = policy.playbooks[0]
    few = CandidateSet(playbook_id=playbook.id, products=[_product("Q-7"), _product("Q-9")], channels=["sms"])
    many = few.model_copy(update={"products": [_product(f"Z{n}") for n in range(ENUM_ID_LIMIT + 1)]})

    short = answer_schema(few, answer_limits(playbook))["properties"]
    long = answer_schema(many, answer_limits(playbook))["properties"]

    assert short["product_ids"]["items"] == {"type": "string", "enum": ["Q-7", "Q-9"]}
    assert short["channel"] == {"anyOf": [{"type": "string", "enum": ["sms"]}, {"type": "null"}]}
    assert short["offer_id"] == {"type": "null"}
    assert short["action"]["enum"] == [playbook.action.value, "none"]
    assert long["product_ids"]["items"]["type"] == "string"
    assert "enum" not in long["product_ids"]["items"]


def test_grammar_friendly_bounds_what_it_is_given_and_keeps_enums() -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "free": {"type": "string"},
            "huge": {"type": ["string", "null"], "maxLength": 20_000},
            "small": {"type": "string", "maxLength": 12},
            "pick": {"type": "string", "enum": ["a", "b"]},
            "many": {"type": "array", "items": {"type": "string"}},
        },
    }

    bounded = grammar_friendly(schema)["properties"]

    assert bounded["free"]["maxLength"] == 64
    assert bounded["huge"]["maxLength"] == LONG_STRING_MAX
    assert bounded["small"]["maxLength"] == 12
    assert bounded["pick"] == {"type": "string", "enum": ["a", "b"]}
    assert bounded["many"]["maxItems"] == 10
    assert schema["properties"]["free"] == {"type": "string"}  # a copy: the caller's schema is unchanged


def test_the_brief_answer_schema_drops_only_what_the_answer_can_do_without() -> None:
    policy = load_policy_set(default_policy_dir())
    by_id = {playbook.id: playbook for playbook in policy.playbooks}
    products = [_product("Q-1")]
    bare = CandidateSet(playbook_id="cross_sell_app", products=products, channels=["app"])

    brief = answer_schema(bare, answer_limits(by_id["cross_sell_app"], PromptProfile.COMPACT))
    message = answer_schema(bare, answer_limits(by_id["cart_abandonment"], PromptProfile.COMPACT))
    full = answer_schema(bare, answer_limits(by_id["cross_sell_app"]))

    assert brief["required"] == ["action", "channel", "product_ids", "score"] == list(brief["properties"])
    assert "message" in message["properties"] and "reasons" not in message["properties"]
    assert len(full["properties"]) == 8
