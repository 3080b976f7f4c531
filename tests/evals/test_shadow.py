"""shadow-report per use case: how often the model agreed with the rules, disagreed (on what), or was invalid
(why), from the service's own shadow log."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from agent.shadow import ShadowLog
from evals.shadow import ShadowPair, score_shadow
from nextbest.app.cli._eval import eval_app
from nextbest.contracts import ActionKind, Channel, DecidedBy, Decision, FallbackReason, ProductPick


def _decision(event_id: str, use_case: str, **update: Any) -> Decision:
    base = Decision(
        decision_id=f"d-{event_id}-{len(update)}",
        event_id=event_id,
        user_id="U-77",
        action=ActionKind.RECOMMENDATION,
        use_case=use_case,
        channel=Channel.APP,
        decided_by=DecidedBy.RULES,
        policy_version="t",
        decided_at=datetime(2026, 5, 4, 9, tzinfo=UTC),
    )
    return base.model_copy(update=update)


def _pair(event_id: str, use_case: str, **shadow: Any) -> ShadowPair:
    return ShadowPair(
        scenario_id=event_id, served=_decision(event_id, use_case), shadow=_decision(event_id, use_case, **shadow)
    )


LLM = {"decided_by": DecidedBy.LLM}
PAIRS = [
    _pair("e1", "xsell", **LLM),
    _pair("e2", "xsell", **LLM, channel=Channel.WEB),
    _pair("e3", "xsell", fallback_reason=FallbackReason.HALLUCINATED_ID),
    _pair("e4", "xsell", fallback_reason=FallbackReason.HALLUCINATED_ID),
    _pair("e5", "cart", fallback_reason=FallbackReason.MODEL_TIMEOUT),
    _pair("e6", "cart", **LLM, action=ActionKind.NONE, channel=None),
    _pair("e7", "cart", fallback_reason=FallbackReason.NOTHING_ALLOWED),
    _pair("e8", "cart", **LLM, products=[ProductPick(product_id="P-3", title="Tent", price=90)]),
]


def test_each_use_case_counts_agreement_disagreement_and_invalid_answers_with_reasons() -> None:
    cases = {case.use_case: case for case in score_shadow(PAIRS).use_cases}

    xsell, cart = cases["xsell"], cases["cart"]
    assert (xsell.pairs, xsell.agreed, xsell.disagreed, xsell.invalid, xsell.skipped) == (4, 1, 1, 2, 0)
    assert xsell.disagreements == {"channel": 1}
    assert xsell.invalid_reasons == {"hallucinated_id": 2}
    assert (cart.pairs, cart.agreed, cart.disagreed, cart.invalid, cart.skipped) == (4, 0, 2, 1, 1)
    assert cart.disagreements == {"action": 1, "channel": 1, "products": 1}
    assert cart.invalid_reasons == {"model_timeout": 1}
    assert xsell.rate(xsell.invalid) == 0.5


async def test_shadow_report_prints_the_per_use_case_table(tmp_path: Path) -> None:
    log = tmp_path / "shadow" / "decisions.jsonl"
    writer = ShadowLog(log)
    for pair in PAIRS:
        await writer.record(pair.served, pair.shadow)

    result = CliRunner().invoke(eval_app, ["shadow-report", "--log", str(log)], env={"COLUMNS": "200"})

    assert result.exit_code == 0, result.output
    rows = {line.split()[1]: line for line in result.output.splitlines() if line.startswith("│ ")}
    assert "invalid: hallucinated_id 2" in rows["xsell"] and "differs on channel 1" in rows["xsell"]
    assert "invalid: model_timeout 1" in rows["cart"]
    assert [cell.strip() for cell in rows["xsell"].split("│")[2:7]] == ["4", "25%", "25%", "50%", "0%"]
