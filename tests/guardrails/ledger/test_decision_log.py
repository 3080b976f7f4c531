"""The decision log (`decisions_since`, `outcomes_since`, `prune`), run against SQLite, Redis and PostgreSQL."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from guardrails.ledger import CommitStatus, Ledger, PruneCounts
from guardrails.ledger.log import iter_decisions, iter_outcomes, prune_cutoff
from nextbest.contracts import (
    Channel,
    DecidedBy,
    DecisionRow,
    FallbackReason,
    FeedbackOutcome,
    GuardrailVerdict,
    OutcomeRow,
    ProductPick,
    VerdictOutcome,
)
from nextbest.errors import ConfigError

if TYPE_CHECKING:
    from conftest import Book

F = FeedbackOutcome
# Ids of shapes the ledger has not seen elsewhere: mixed case, digits before letters, dots and dashes, so
# that a backend ordering ids by a locale collation instead of code points shows up as a paging error.
ID_SHAPES = ("Zq", "a.", "0-", "B_", "m", "Y9", "zz", "A-")


def _ids(count: int, rng: random.Random) -> list[str]:
    return [f"{rng.choice(ID_SHAPES)}{rng.randrange(16**6):06x}-{n}" for n in range(count)]


async def _page_all(ledger: Ledger, book: Book, limit: int) -> list[DecisionRow]:
    rows: list[DecisionRow] = []
    after: DecisionRow | None = None
    while True:
        page = await ledger.decisions_since(book.since(), after=after, limit=limit)
        assert len(page) <= limit
        rows += page
        if len(page) < limit:
            return rows
        after = page[-1]


async def test_decisions_page_in_time_then_id_order_across_equal_times(ledger: Ledger, book: Book) -> None:
    rng = random.Random(13)
    ids = _ids(17, rng)
    moments = []
    for n, decision_id in enumerate(ids):
        # three decisions share each moment, so page boundaries fall inside runs of equal timestamps
        if n % 3 == 0:
            book.clock.advance(timedelta(seconds=rng.randrange(1, 90), microseconds=rng.randrange(1000)))
        decision = book.decision(n, decision_id=decision_id, event_id=f"e:{decision_id}", channel=None)
        assert (await book.commit(ledger, decision, subject=f"s{n % 4}")).status is CommitStatus.CREATED
        moments.append((decision.decided_at, decision_id))
    expected = [decision_id for _, decision_id in sorted(moments)]
    for limit in (1, 2, 3, 5, 17, 100):
        rows = await _page_all(ledger, book, limit)
        assert [row.decision_id for row in rows] == expected, limit
    assert [row.decision_id async for row in iter_decisions(ledger, book.since(), page_size=4)] == expected


async def test_since_is_inclusive_and_until_exclusive(ledger: Ledger, book: Book) -> None:
    stamps = []
    for n in range(6):
        stamps.append(book.clock.now())
        await book.commit(ledger, book.decision(n, channel=None))
        book.clock.advance(timedelta(minutes=10))
    window = await ledger.decisions_since(stamps[2], until=stamps[4])
    assert [row.decision_id for row in window] == ["dec-2", "dec-3"]
    assert [row.decided_at for row in window] == stamps[2:4]
    assert [row.decision_id for row in await ledger.decisions_since(stamps[5])] == ["dec-5"]
    assert await ledger.decisions_since(stamps[5] + timedelta(microseconds=1)) == []
    assert await ledger.decisions_since(stamps[0], until=stamps[0]) == []


async def test_outcomes_page_by_time_decision_and_outcome(ledger: Ledger, book: Book) -> None:
    rng = random.Random(7)
    ids = _ids(6, rng)
    for n, decision_id in enumerate(ids):
        await book.commit(ledger, book.decision(n, decision_id=decision_id, channel=Channel.PUSH), subject=f"p{n}")
    at = book.clock.now() + timedelta(minutes=5)
    reported = []
    for decision_id in ids:
        for outcome in rng.sample([F.DELIVERED, F.OPENED, F.CLICKED, F.CONVERTED], 3):
            await ledger.record_feedback(decision_id, outcome, at)  # all at one moment: only ids order them
            reported.append((at, decision_id, outcome.value))
    late = at + timedelta(hours=1)
    await ledger.record_feedback(ids[0], F.DISMISSED, late)
    reported.append((late, ids[0], F.DISMISSED.value))
    # a repeat is recorded once, so it is one row
    assert (await ledger.record_feedback(ids[1], F.DISMISSED, late)).recorded
    assert (await ledger.record_feedback(ids[1], F.DISMISSED, late)).duplicate
    reported.append((late, ids[1], F.DISMISSED.value))
    expected = sorted(reported)

    rows: list[OutcomeRow] = []
    after: OutcomeRow | None = None
    while page := await ledger.outcomes_since(book.since(), after=after, limit=4):
        rows += page
        after = page[-1]
    assert [(row.occurred_at, row.decision_id, row.outcome.value) for row in rows] == expected
    assert {row.subject_id for row in rows if row.decision_id == ids[3]} == {"p3"}
    assert [row.outcome async for row in iter_outcomes(ledger, late)] == [F.DISMISSED, F.DISMISSED]
    assert await ledger.outcomes_since(at, until=at + timedelta(microseconds=1), limit=1000) == rows[:-2]


async def test_the_row_fills_every_documented_column(ledger: Ledger, book: Book) -> None:
    verdicts = [
        GuardrailVerdict(name="consent", verdict=VerdictOutcome.PASS),
        GuardrailVerdict(name="frequency_caps", verdict=VerdictOutcome.ADJUST, detail="moved"),
        GuardrailVerdict(name="frequency_caps", verdict=VerdictOutcome.PASS),
        GuardrailVerdict(name="quiet_hours", verdict=VerdictOutcome.PASS),
    ]
    decision = book.decision(
        4,
        decision_id="R-77.x",
        event_id="evt:R-77",
        channel=Channel.SMS,
        offer_id="OFR-9",
        use_case="win_back",
        products=[ProductPick(product_id="P9"), ProductPick(product_id="P1")],
        decided_by=DecidedBy.RULES,
        fallback_reason=FallbackReason.MODEL_TIMEOUT,
        policy_version="pv-3f2",
        latency_ms=41.5,
        score=0.62,
        guardrails=verdicts,
        decided_at=book.clock.now() - timedelta(seconds=2),
    )
    book.clock.advance(timedelta(milliseconds=3))
    await book.commit(ledger, decision, subject="anon:dev-q1")
    [row] = await ledger.decisions_since(book.since())
    assert row.model_dump() == {
        "decision_id": "R-77.x",
        "event_id": "evt:R-77",
        "subject_id": "anon:dev-q1",
        "use_case": "win_back",
        "action": decision.action,
        "channel": Channel.SMS,
        "placement": None,
        "offer_id": "OFR-9",
        "product_ids": ["P9", "P1"],
        "arm": "sms/OFR-9",
        "propensity": 1.0,
        "decided_by": DecidedBy.RULES,
        "fallback_reason": FallbackReason.MODEL_TIMEOUT,
        "policy_version": "pv-3f2",
        "latency_ms": 41.5,
        "score": 0.62,
        "guardrails": {
            "consent": VerdictOutcome.PASS,
            "frequency_caps": VerdictOutcome.ADJUST,  # the strictest of the two runs
            "quiet_hours": VerdictOutcome.PASS,
        },
        "holdout": False,
        "transactional": False,
        "decided_at": decision.decided_at,
        "recorded_at": book.clock.now(),
        # off-policy columns stay null on a decision without a learning draw (DecisionRow doc)
        "segment": None,
        "masked_arms": None,
        "reward": None,
        "currency": None,
    }
    assert set(row.model_dump()) == set(DecisionRow.model_fields)
    await ledger.record_feedback("R-77.x", F.CONVERTED, book.clock.now())
    [outcome] = await ledger.outcomes_since(book.since())
    assert outcome.model_dump() == {
        "decision_id": "R-77.x",
        "subject_id": "anon:dev-q1",
        "outcome": F.CONVERTED,
        "occurred_at": book.clock.now(),
        "value": None,
        "currency": None,
    }


async def test_a_model_decision_has_no_propensity_and_a_holdout_no_arm(ledger: Ledger, book: Book) -> None:
    await book.commit(ledger, book.decision(1, decided_by=DecidedBy.LLM, offer_id="O1"))
    await book.commit(ledger, book.decision(2, channel=Channel.PUSH, holdout=True), subject="u2")
    by_id = {row.decision_id: row for row in await ledger.decisions_since(book.since())}
    assert (by_id["dec-1"].propensity, by_id["dec-1"].arm) == (None, "email/O1")
    assert (by_id["dec-2"].holdout, by_id["dec-2"].arm, by_id["dec-2"].propensity) == (True, None, 1.0)


async def test_prune_drops_old_rows_keeps_recent_ones_and_caps_still_hold(ledger: Ledger, book: Book) -> None:
    book.without_gaps()
    start = book.clock.now()
    await book.commit(ledger, book.decision(1, channel=Channel.PUSH), subject="old")
    await ledger.record_feedback("dec-1", F.DELIVERED, start)
    await ledger.record_feedback("dec-1", F.OPENED, start)
    # decided long ago, but sending after the cut-off: a contact a cap will count, so it stays
    await book.commit(ledger, book.decision(2, send_at=start + timedelta(days=40)), subject="late")
    await book.commit(ledger, book.decision(3, channel=None), subject="old")
    book.clock.advance(timedelta(days=40))
    recent = book.clock.now()
    cut = recent - timedelta(days=1)
    await book.commit(ledger, book.decision(4, decided_at=recent), subject="fresh")
    await ledger.record_feedback("dec-4", F.DELIVERED, recent)

    assert await ledger.prune(cut) == PruneCounts(decisions=2, contacts=1, outcomes=2)
    assert {row.decision_id for row in await ledger.decisions_since(start)} == {"dec-2", "dec-4"}
    assert [row.decision_id for row in await ledger.outcomes_since(start)] == ["dec-4"]
    assert await ledger.get_decision("dec-1") is None and await ledger.find_by_event("evt-3") is None
    assert (await ledger.history("old", start)).contacts == ()
    assert await ledger.prune(cut) == PruneCounts()  # pruning twice deletes nothing more

    # the kept contacts still count: the late send fills its day, the fresh one its own
    late_day = book.decision(5, decided_at=recent, send_at=start + timedelta(days=40, hours=1))
    assert (await book.commit(ledger, late_day, subject="late")).status is CommitStatus.CAP_EXCEEDED
    book.clock.advance(timedelta(hours=1))
    assert (await book.commit(ledger, book.decision(6), subject="fresh")).status is CommitStatus.CAP_EXCEEDED
    assert (await book.commit(ledger, book.decision(7), subject="old")).status is CommitStatus.CREATED


def test_retention_not_longer_than_the_lookback_is_refused(book: Book) -> None:
    lookback = book.policy.history_lookback()
    now = book.clock.now()
    assert prune_cutoff(now, lookback + timedelta(days=1), lookback) == now - lookback - timedelta(days=1)
    with pytest.raises(ConfigError, match="history lookback"):
        prune_cutoff(now, lookback, lookback)
