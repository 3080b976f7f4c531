"""`nextbest demo`: the seed use cases, decided against the demo world in a throwaway ledger."""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from nextbest.clock import FixedClock
from nextbest.contracts import DecideRequest, Decision
from nextbest.settings import Settings

EXAMPLES_DIR = Path(__file__).resolve().parents[3] / "examples"

# The order tells a story: a session that follows intent, and an order followed by a follow-up.
DEMO_SEQUENCE = [
    "cart_abandonment",
    "cross_sell_app",
    "geo_offer",
    "session_intent_1_camera_view",
    "session_intent_2_memory_card_search",
    "returning_visitor",
    "order_confirmation",
    "follow_up",
    "nothing_fits",
]


def load_examples(folder: Path) -> list[tuple[str, DecideRequest]]:
    found: list[tuple[str, DecideRequest]] = []
    for name in DEMO_SEQUENCE:
        path = folder / f"{name}.json"
        if path.is_file():
            found.append((name, DecideRequest.model_validate_json(path.read_text(encoding="utf-8"))))
    return found


async def decide_examples(examples: list[tuple[str, DecideRequest]], settings: Settings) -> list[Decision]:
    from nextbest.app.bootstrap import open_runtime

    clock = FixedClock(examples[0][1].event.occurred_at)
    runtime = await open_runtime(settings, clock=clock)
    decisions = []
    try:
        for _, request in examples:
            clock.set(request.event.occurred_at)
            decisions.append(await runtime.decider.decide(request))
    finally:
        await runtime.aclose()
    return decisions


def _table(examples: list[tuple[str, DecideRequest]], decisions: list[Decision]) -> Table:
    table = Table(title=f"nextbest demo: {len(examples)} example moments, one row each", show_lines=True)
    for column in ("example", "event", "action", "channel", "products", "offer", "message", "by", "ms"):
        table.add_column(column, overflow="fold")
    for (name, request), decision in zip(examples, decisions, strict=True):
        products = "\n".join(escape(f"{p.product_id} {(p.title or '')[:28]}".strip()) for p in decision.products[:3])
        offer = escape(f"{decision.offer.offer_id} ({decision.offer.discount_percent:g}%)") if decision.offer else ""
        message = escape(decision.message.title if decision.message else "; ".join(decision.reasons[:1]))
        who = decision.decided_by.value + (f"\n{decision.fallback_reason.value}" if decision.fallback_reason else "")
        table.add_row(
            escape(name),
            escape(request.event.type),
            decision.action.value,
            decision.channel.value if decision.channel else "-",
            products or "-",
            offer or "-",
            message,
            who,
            f"{decision.latency_ms:.1f}",
        )
    return table


def run_demo(console: Console, *, as_json: bool, examples_dir: Path | None) -> None:
    examples = load_examples(examples_dir or EXAMPLES_DIR)
    if not examples:
        console.print(f"no example requests found in {escape(str(examples_dir or EXAMPLES_DIR))}")
        return
    with tempfile.TemporaryDirectory(prefix="nextbest-demo-") as data_dir:
        settings = Settings(data_dir=Path(data_dir), redis_url=None, holdout_percent=0)
        decisions = asyncio.run(decide_examples(examples, settings))
    if as_json:
        console.print_json(json.dumps([decision.model_dump(mode="json") for decision in decisions]))
        return
    wide = Console(width=max(console.width, 160))
    wide.print(_table(examples, decisions))
    model = escape(settings.model or "none (rules)")
    console.print(f"policy version {escape(decisions[0].policy_version)}; model: {model}")
