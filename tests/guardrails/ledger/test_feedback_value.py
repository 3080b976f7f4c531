"""A converted feedback's value and currency, and the reward a learning decision earned, on every backend."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guardrails.ledger import Ledger, SqliteLedger
from nextbest.contracts import ArmDraw, ArmKind, Channel, FeedbackOutcome

if TYPE_CHECKING:
    from conftest import Book

F = FeedbackOutcome


def _draw(reward: str, arm: str = "push") -> ArmDraw:
    return ArmDraw(
        arm=arm,
        kind=ArmKind.CHANNEL,
        propensity=0.375,
        open_arms=["sms", arm],
        probabilities=[0.625, 0.375],
        segment="tier=silver|surface=app",
        policy="thompson",
        reward=reward,
        draws=1000,
    )


async def _rows(ledger: Ledger, book: Book) -> dict[str, Any]:
    return {row.decision_id: row for row in await ledger.decisions_since(book.since())}


async def test_revenue_reward_and_value_are_stored_once(ledger: Ledger, book: Book) -> None:
    decision = book.decision(7, decision_id="Rv.9-q", channel=Channel.PUSH, use_case="cart_rescue")
    decision = decision.model_copy(update={"exploration": _draw("revenue")})
    await book.commit(ledger, decision, subject="cust-41")
    assert (await _rows(ledger, book))["Rv.9-q"].reward == 0.0  # a drawn arm earns 0 until feedback says more

    await ledger.record_feedback("Rv.9-q", F.OPENED, book.clock.now())
    assert (await _rows(ledger, book))["Rv.9-q"].reward == 0.0  # not this playbook's reward
    await ledger.record_feedback("Rv.9-q", F.CONVERTED, book.clock.now(), value=1234.56, currency="JPY")
    again = await ledger.record_feedback("Rv.9-q", F.CONVERTED, book.clock.now(), value=9.0, currency="CHF")
    assert again.duplicate

    row = (await _rows(ledger, book))["Rv.9-q"]
    assert (row.reward, row.currency) == (1234.56, "JPY")
    outcomes = {o.outcome: o for o in await ledger.outcomes_since(book.since())}
    assert (outcomes[F.CONVERTED].value, outcomes[F.CONVERTED].currency) == (1234.56, "JPY")
    assert (outcomes[F.OPENED].value, outcomes[F.OPENED].currency) == (None, None)


async def test_binary_rewards_credit_one_and_rows_without_a_draw_stay_null(ledger: Ledger, book: Book) -> None:
    clicked = book.decision(1, channel=Channel.SMS, use_case="browse_nudge")
    clicked = clicked.model_copy(update={"exploration": _draw("clicked", arm="sms")})
    plain = book.decision(2, channel=Channel.EMAIL, use_case="browse_nudge")
    await book.commit(ledger, clicked, subject="c-1")
    await book.commit(ledger, plain, subject="c-2")
    for decision_id in ("dec-1", "dec-2"):
        await ledger.record_feedback(decision_id, F.CONVERTED, book.clock.now(), value=18.0, currency="EUR")
        await ledger.record_feedback(decision_id, F.CLICKED, book.clock.now())
    rows = await _rows(ledger, book)
    assert (rows["dec-1"].reward, rows["dec-1"].currency) == (1.0, None)  # clicked earns 1, the value is not it
    assert (rows["dec-2"].reward, rows["dec-2"].currency) == (None, None)
    values = {(o.decision_id, o.outcome): o.value for o in await ledger.outcomes_since(book.since())}
    assert values[("dec-2", F.CONVERTED)] == 18.0 and values[("dec-2", F.CLICKED)] is None


async def test_a_sqlite_file_from_before_values_gains_the_columns(tmp_path: Path, book: Book) -> None:
    path = tmp_path / "old.sqlite3"
    first = SqliteLedger(path, clock=book.clock)
    await book.commit(first, book.decision(1), subject="old-1")
    await first.record_feedback("dec-1", F.DELIVERED, book.clock.now())
    await first.close()
    with sqlite3.connect(path) as db:  # the file as log schema 1 left it
        for table, column in (("decisions", "reward"), ("decisions", "reward_currency")):
            db.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        db.execute("ALTER TABLE feedback DROP COLUMN value")
        db.execute("ALTER TABLE feedback DROP COLUMN currency")
    again = SqliteLedger(path, clock=book.clock)
    try:
        await again.record_feedback("dec-1", F.CONVERTED, book.clock.now(), value=5.5, currency="GBP")
        assert {(o.outcome, o.value) for o in await again.outcomes_since(book.since())} == {
            (F.DELIVERED, None),
            (F.CONVERTED, 5.5),
        }
    finally:
        await again.close()
