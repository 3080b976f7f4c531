"""Erasure in the decision log: `pseudonymise` renames a subject in every row, on the three backends."""

from __future__ import annotations

from typing import TYPE_CHECKING

from guardrails.ledger import Ledger
from nextbest.contracts import Channel, FeedbackOutcome

if TYPE_CHECKING:
    from conftest import Book


async def test_a_pseudonymised_subject_is_gone_from_the_log(ledger: Ledger, book: Book) -> None:
    await book.commit(ledger, book.decision(1, user_id="walker-88"), subject="walker-88")
    await book.commit(ledger, book.decision(2, user_id="walker-88", channel=None), subject="walker-88")
    await book.commit(ledger, book.decision(3, user_id="walker-89", channel=Channel.SMS), subject="walker-89")
    await ledger.record_feedback("dec-1", FeedbackOutcome.CONVERTED, book.clock.now())

    renamed = await ledger.pseudonymise("walker-88", "erased-5e1f")

    assert renamed == 2
    rows = await ledger.decisions_since(book.since())
    assert {row.decision_id: row.subject_id for row in rows} == {
        "dec-1": "erased-5e1f",
        "dec-2": "erased-5e1f",
        "dec-3": "walker-89",
    }
    stored = await ledger.get_decision("dec-1")
    assert stored is not None and stored.user_id == "erased-5e1f"
    outcomes = await ledger.outcomes_since(book.since())
    assert [(o.decision_id, o.subject_id) for o in outcomes] == [("dec-1", "erased-5e1f")]
    gone = await ledger.history("walker-88", book.since())
    assert gone.contacts == () and not gone.converted
    kept = await ledger.history("erased-5e1f", book.since())
    assert [c.decision_id for c in kept.contacts] == ["dec-1"] and kept.converted
    assert len((await ledger.history("walker-89", book.since())).contacts) == 1


async def test_pseudonymising_an_unknown_subject_changes_nothing(ledger: Ledger, book: Book) -> None:
    await book.commit(ledger, book.decision(1), subject="u1")
    assert await ledger.pseudonymise("nobody-here", "erased-0") == 0
    assert [row.subject_id for row in await ledger.decisions_since(book.since())] == ["u1"]
