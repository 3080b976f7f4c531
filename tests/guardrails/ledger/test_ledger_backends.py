"""The ledger contract, run against SQLite and Redis alike."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from guardrails import ContactStatus, advance_status
from guardrails.ledger import CommitStatus, Ledger
from nextbest.clock import FixedClock
from nextbest.contracts import ActionKind, ActionProposal, Channel, FeedbackOutcome
from nextbest.errors import NotFoundError, StoreError

if TYPE_CHECKING:
    from conftest import Book

F = FeedbackOutcome


async def test_created_then_found_by_event_and_id(ledger: Ledger, book: Book) -> None:
    decision = book.decision(1)
    result = await book.commit(ledger, decision)
    assert (result.status, result.decision) == (CommitStatus.CREATED, decision)
    assert await ledger.find_by_event("evt-1") == decision
    assert await ledger.get_decision("dec-1") == decision
    assert await ledger.find_by_event("evt-404") is None
    assert await ledger.get_decision("dec-404") is None


async def test_history_holds_the_contact_exactly(ledger: Ledger, book: Book) -> None:
    send_at = book.clock.now() + timedelta(hours=1, microseconds=7)
    await book.commit(ledger, book.decision(1, send_at=send_at, offer_id="o1", use_case="cart_abandonment"))
    history = await ledger.history("u1", book.since())
    assert len(history.contacts) == 1
    contact = history.contacts[0]
    assert (contact.decision_id, contact.channel, contact.at, contact.offer_id, contact.use_case) == (
        "dec-1",
        Channel.EMAIL,
        send_at,
        "o1",
        "cart_abandonment",
    )
    assert contact.status is ContactStatus.RESERVED
    assert not history.converted
    assert (await ledger.history("u2", book.since())).contacts == ()
    assert (await ledger.history("u1", send_at + timedelta(microseconds=1))).contacts == ()


async def test_same_event_twice_returns_the_first_decision_and_counts_once(ledger: Ledger, book: Book) -> None:
    first = book.decision(1)
    await book.commit(ledger, first)
    retry = book.decision(1, decision_id="dec-1-retry", channel=Channel.PUSH)
    again = await book.commit(ledger, retry)
    assert (again.status, again.decision, again.fingerprint_matches) == (CommitStatus.DUPLICATE, first, True)
    changed = await book.commit(ledger, retry, fingerprint="other")
    assert changed.status is CommitStatus.DUPLICATE and not changed.fingerprint_matches
    assert len((await ledger.history("u1", book.since())).contacts) == 1
    assert await ledger.get_decision("dec-1-retry") is None


async def test_cap_exceeded_stores_nothing_and_names_the_cap(ledger: Ledger, book: Book) -> None:
    book.without_gaps()
    assert (await book.commit(ledger, book.decision(1))).status is CommitStatus.CREATED
    await ledger.record_feedback("dec-1", F.DELIVERED, book.clock.now())
    book.clock.advance(timedelta(hours=3))
    result = await book.commit(ledger, book.decision(2))
    assert (result.status, result.decision, result.cap) == (
        CommitStatus.CAP_EXCEEDED,
        None,
        "email cap 1/calendar_day",
    )
    assert await ledger.find_by_event("evt-2") is None
    # nothing stored, so the same event may be decided again, as `none` this time
    assert (await book.commit(ledger, book.decision(2, channel=None))).status is CommitStatus.CREATED


async def test_other_channels_and_transactional_messages_are_not_capped(ledger: Ledger, book: Book) -> None:
    await book.commit(ledger, book.decision(1))
    assert (await book.commit(ledger, book.decision(2, channel=Channel.PUSH))).status is CommitStatus.CREATED
    receipt = book.decision(3, transactional=True)
    assert (await book.commit(ledger, receipt)).status is CommitStatus.CREATED
    assert (await book.commit(ledger, book.decision(4, transactional=True))).status is CommitStatus.CREATED


async def test_failed_feedback_releases_the_slot_at_once(ledger: Ledger, book: Book) -> None:
    await book.commit(ledger, book.decision(1))
    await ledger.record_feedback("dec-1", F.FAILED, book.clock.now())
    history = await ledger.history("u1", book.since())
    assert history.contacts[0].status is ContactStatus.RELEASED
    assert (await book.commit(ledger, book.decision(2))).status is CommitStatus.CREATED


async def test_unconfirmed_reservation_expires_after_the_ttl(ledger: Ledger, book: Book, clock: FixedClock) -> None:
    book.without_gaps()
    await book.commit(ledger, book.decision(1))
    clock.advance(timedelta(seconds=899))
    assert (await book.commit(ledger, book.decision(2))).status is CommitStatus.CAP_EXCEEDED
    clock.advance(timedelta(seconds=1))
    assert (await ledger.history("u1", book.since())).contacts[0].status is ContactStatus.RELEASED
    assert (await book.commit(ledger, book.decision(3))).status is CommitStatus.CREATED


async def test_confirmed_contact_keeps_counting_after_the_ttl(ledger: Ledger, book: Book, clock: FixedClock) -> None:
    await book.commit(ledger, book.decision(1))
    await ledger.record_feedback("dec-1", F.DELIVERED, clock.now())
    clock.advance(timedelta(hours=1))
    assert (await book.commit(ledger, book.decision(2))).status is CommitStatus.CAP_EXCEEDED


async def test_history_can_be_read_as_of_a_given_time(ledger: Ledger, book: Book, clock: FixedClock) -> None:
    await book.commit(ledger, book.decision(1))
    later = clock.now() + timedelta(hours=1)
    assert (await ledger.history("u1", book.since(), now=later)).contacts[0].status is ContactStatus.RELEASED
    assert (await ledger.history("u1", book.since())).contacts[0].status is ContactStatus.RESERVED


async def test_feedback_is_idempotent_and_only_moves_forward(ledger: Ledger, book: Book) -> None:
    await book.commit(ledger, book.decision(1))
    now = book.clock.now()
    first = await ledger.record_feedback("dec-1", F.OPENED, now)
    assert (first.recorded, first.duplicate) == (True, False)
    again = await ledger.record_feedback("dec-1", F.OPENED, now)
    assert (again.recorded, again.duplicate) == (True, True)
    await ledger.record_feedback("dec-1", F.DELIVERED, now)  # late, must not undo "opened"
    assert (await ledger.history("u1", book.since())).contacts[0].status is ContactStatus.OPENED


async def test_unknown_decision_feedback_is_not_found(ledger: Ledger, book: Book) -> None:
    with pytest.raises(NotFoundError, match="dec-404"):
        await ledger.record_feedback("dec-404", F.OPENED, book.clock.now())


async def test_conversion_on_site_marks_the_subject_converted(ledger: Ledger, book: Book) -> None:
    content = book.decision(1, channel=Channel.WEB, action=ActionKind.CONTENT)
    assert (await book.commit(ledger, content)).status is CommitStatus.CREATED
    assert (await ledger.history("u1", book.since())).contacts == ()  # on-site content is not a contact
    await ledger.record_feedback("dec-1", F.CONVERTED, book.clock.now())
    history = await ledger.history("u1", book.since())
    assert history.converted
    assert not (await ledger.history("u2", book.since())).converted


async def test_ignored_streak_comes_from_feedback(ledger: Ledger, book: Book, clock: FixedClock) -> None:
    for n in range(3):
        await book.commit(ledger, book.decision(n))
        await ledger.record_feedback(f"dec-{n}", F.DELIVERED, clock.now())
        clock.advance(timedelta(days=1))
    assert (await ledger.history("u1", book.since())).ignored_streak == 3
    await ledger.record_feedback("dec-2", F.CLICKED, clock.now())
    assert (await ledger.history("u1", book.since())).ignored_streak == 0


async def test_holdout_would_have_is_stored_with_the_decision(ledger: Ledger, book: Book) -> None:
    would = ActionProposal(action=ActionKind.MESSAGE, channel=Channel.EMAIL, score=0.7, reasons=["cart left"])
    held = book.decision(1, channel=None, holdout=True)
    await book.commit(ledger, held, would_have=would)
    assert await ledger.would_have("dec-1") == would
    await book.commit(ledger, book.decision(2))
    assert await ledger.would_have("dec-2") is None


async def test_decision_id_reused_for_another_event_is_a_store_error(ledger: Ledger, book: Book) -> None:
    await book.commit(ledger, book.decision(1, channel=None))
    with pytest.raises(StoreError):
        await book.commit(ledger, book.decision(2, channel=None, decision_id="dec-1"))


async def test_fifty_concurrent_commits_reserve_exactly_one_email(ledger: Ledger, book: Book) -> None:
    results = await asyncio.gather(*(book.commit(ledger, book.decision(n)) for n in range(50)))
    statuses = [result.status for result in results]
    assert statuses.count(CommitStatus.CREATED) == 1
    assert statuses.count(CommitStatus.CAP_EXCEEDED) == 49
    assert len((await ledger.history("u1", book.since())).contacts) == 1


async def test_concurrent_retries_of_one_event_store_it_once(ledger: Ledger, book: Book) -> None:
    results = await asyncio.gather(*(book.commit(ledger, book.decision(7, channel=None)) for _ in range(20)))
    statuses = [result.status for result in results]
    assert statuses.count(CommitStatus.CREATED) == 1
    assert statuses.count(CommitStatus.DUPLICATE) == 19


@pytest.mark.parametrize(
    "outcomes",
    [
        [F.DELIVERED, F.DISMISSED],
        [F.DELIVERED, F.OPENED, F.CLICKED, F.CONVERTED],
        [F.CLICKED, F.DELIVERED, F.OPENED],
        [F.FAILED, F.DELIVERED],
        [F.OPENED, F.FAILED],
        [F.DISMISSED, F.OPENED, F.FAILED],
    ],
)
async def test_status_follows_the_shared_transition_rules(
    ledger: Ledger, book: Book, outcomes: list[FeedbackOutcome]
) -> None:
    await book.commit(ledger, book.decision(1))
    expected = ContactStatus.RESERVED
    for outcome in outcomes:
        await ledger.record_feedback("dec-1", outcome, book.clock.now())
        expected = advance_status(expected, outcome)
        assert (await ledger.history("u1", book.since())).contacts[0].status is expected
