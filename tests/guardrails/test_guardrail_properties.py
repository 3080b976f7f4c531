"""Property: whatever the events, proposals and feedback, no decision breaks a cap, consent or quiet hours.

Each example drives the real sequence (ledger.history → check_before → check_after → ledger.commit) with a
"model" that ignores the pre-check on purpose, then checks every committed decision against an oracle that
recomputes the rules from scratch.
"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
import redis.asyncio as aioredis
from hypothesis import given, settings
from hypothesis import strategies as st
from psycopg import sql

from guardrails import GuardrailInput, GuardrailPolicy, check_after, check_before, reservation_for
from guardrails.ledger import CommitStatus, Ledger, PostgresLedger, RedisLedger, SqliteLedger
from nextbest.clock import FixedClock
from nextbest.contracts import (
    ActionKind,
    ActionProposal,
    Channel,
    Consent,
    DecidedBy,
    DecideRequest,
    Decision,
    FeedbackOutcome,
    MessageCopy,
    Offer,
    OfferPick,
)

REDIS_URL = "redis://127.0.0.1:6379/0"
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
TTL_S = 900
POLICY = GuardrailPolicy()
OFFERS = {
    "o1": Offer(offer_id="o1", title="10%", pool="p", discount_percent=10),
    "o2": Offer(offer_id="o2", title="20%", pool="p", discount_percent=20),
}
START = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # a Monday
ZONES = ["UTC", "Europe/Paris", "America/Los_Angeles", "Asia/Tokyo"]


@dataclass(frozen=True)
class Propose:
    minutes: int
    channel: Channel
    consent: frozenset[Channel]
    opt_out: bool
    offer_id: str | None
    transactional: bool
    send_in: int | None
    expires_in: int | None


@dataclass(frozen=True)
class Feedback:
    minutes: int
    pick: int
    outcome: FeedbackOutcome


_consentable = [Channel.EMAIL, Channel.SMS, Channel.PUSH, Channel.ADS]
proposals = st.builds(
    Propose,
    minutes=st.integers(0, 600),
    channel=st.sampled_from(list(Channel)),
    consent=st.frozensets(st.sampled_from(_consentable)),
    opt_out=st.sampled_from([False, False, False, False, True]),
    offer_id=st.sampled_from([None, None, "o1", "o2"]),
    transactional=st.sampled_from([False, False, False, True]),
    send_in=st.sampled_from([None, None, 30, 300, 900]),
    expires_in=st.sampled_from([None, None, 15, 240]),
)
feedbacks = st.builds(
    Feedback,
    minutes=st.integers(0, 120),
    pick=st.integers(0, 100),
    outcome=st.sampled_from(
        [FeedbackOutcome.DELIVERED, FeedbackOutcome.OPENED, FeedbackOutcome.DISMISSED, FeedbackOutcome.FAILED]
    ),
)
scenarios = st.tuples(
    st.sampled_from(ZONES),
    st.integers(0, 7 * 24 * 60),
    st.lists(st.one_of(proposals, proposals, feedbacks), min_size=1, max_size=25),
)


@dataclass
class Sent:
    decision: Decision
    committed_at: datetime
    feedback: list[tuple[datetime, FeedbackOutcome]] = field(default_factory=list)

    @property
    def at(self) -> datetime:
        return self.decision.send_at or self.decision.decided_at

    def live(self, now: datetime) -> bool:
        """Oracle: counts unless transactional, failed first, or an unconfirmed reservation past its TTL."""
        if self.decision.transactional:
            return False
        seen = [outcome for when, outcome in self.feedback if when <= now]
        if seen and seen[0] is FeedbackOutcome.FAILED:
            return False
        return bool(seen) or now < self.at + timedelta(seconds=TTL_S)


def _request(n: int, step: Propose, tz: str, now: datetime) -> DecideRequest:
    consent = {channel.value: True for channel in step.consent}
    return DecideRequest.model_validate(
        {
            "event": {"event_id": f"evt-{n}", "type": "page_view", "occurred_at": now.isoformat(), "user_id": "u1"},
            "profile": {"user_id": "u1", "timezone": tz, "consent": {**consent, "global_opt_out": step.opt_out}},
        }
    )


def _proposal(step: Propose, now: datetime) -> ActionProposal:
    offer = None if step.transactional else step.offer_id
    return ActionProposal(
        action=ActionKind.MESSAGE if step.channel.outbound else ActionKind.CONTENT,
        channel=step.channel,
        offer_id=offer,
        message=MessageCopy(title="t", body="b"),
        transactional=step.transactional,
        send_at=now + timedelta(minutes=step.send_in) if step.send_in is not None else None,
        expires_at=now + timedelta(minutes=step.expires_in) if step.expires_in is not None else None,
        score=0.9,
    )


def _decision(n: int, proposal: ActionProposal, now: datetime) -> Decision:
    acting = proposal.action is not ActionKind.NONE
    return Decision(
        decision_id=f"dec-{n}",
        event_id=f"evt-{n}",
        user_id="u1",
        action=proposal.action,
        channel=proposal.channel if acting else None,
        offer=OfferPick(offer_id=proposal.offer_id) if acting and proposal.offer_id else None,
        message=proposal.message if acting else None,
        transactional=proposal.transactional and acting,
        send_at=proposal.send_at if acting else None,
        expires_at=proposal.expires_at if acting else None,
        score=proposal.score,
        decided_by=DecidedBy.LLM,
        policy_version="prop",
        decided_at=now,
    )


def _in_stock(product_id: str, size: str | None) -> int:
    return 1


async def _drive(
    ledger: Ledger, clock: FixedClock, tz: str, steps: list[Propose | Feedback]
) -> list[tuple[Sent, Consent]]:
    sent: list[tuple[Sent, Consent]] = []
    contacts: list[Sent] = []
    for n, step in enumerate(steps):
        clock.advance(timedelta(minutes=step.minutes))
        now = clock.now()
        if isinstance(step, Feedback):
            if contacts:
                target = contacts[step.pick % len(contacts)]
                if not (target.feedback and target.feedback[0][1] is FeedbackOutcome.FAILED):
                    await ledger.record_feedback(target.decision.decision_id, step.outcome, now)
                    target.feedback.append((now, step.outcome))
            continue
        request = _request(n, step, tz, now)
        history = await ledger.history("u1", now - POLICY.history_lookback())
        inp = GuardrailInput(request=request, now=now, policy=POLICY, history=history)
        check_before(inp, offers=OFFERS)
        post = check_after(_proposal(step, now), inp, stock=_in_stock, offers=OFFERS)
        decision = _decision(n, post.proposal, now)
        reservation = reservation_for(decision, inp, offers=OFFERS)
        result = await ledger.commit(decision, subject_id="u1", request_fingerprint="fp", reservation=reservation)
        if result.status is CommitStatus.CREATED and decision.action is not ActionKind.NONE:
            record = Sent(decision, now)
            sent.append((record, request.profile.consent if request.profile else Consent()))
            if reservation is not None:
                contacts.append(record)
    return sent


def _same_window(window: str, a: datetime, b: datetime, tz: ZoneInfo) -> bool:
    local_a, local_b = a.astimezone(tz), b.astimezone(tz)
    if window == "calendar_day":
        return local_a.date() == local_b.date()
    return local_a.isocalendar()[:2] == local_b.isocalendar()[:2]


def _worst_rolling(others: list[Sent], new: Sent, hours: float) -> int:
    """The most contacts (the new one included) in any `hours`-long window that holds the new one."""
    span = timedelta(hours=hours)
    starts = [new.at - span + timedelta(microseconds=1), *(s.at for s in others if new.at - span < s.at <= new.at)]
    return max(1 + sum(start <= s.at < start + span for s in others) for start in starts)


def _check_caps(new: Sent, earlier: list[Sent], tz: ZoneInfo) -> None:
    if new.decision.transactional or new.decision.channel is None:
        return
    live = [s for s in earlier if s.live(new.committed_at)]
    channel = new.decision.channel
    same = [s for s in live if s.decision.channel == channel]
    for cap in POLICY.caps.channels.get(channel, []):
        assert 1 + sum(_same_window(cap.window.value, s.at, new.at, tz) for s in same) <= cap.limit, cap
    gap = POLICY.cooldowns.channel_gap_hours.get(channel)
    if gap is not None:
        assert _worst_rolling(same, new, gap) <= 1
    if channel.outbound:
        outbound = [s for s in live if s.decision.channel is not None and s.decision.channel.outbound]
        for cap in POLICY.caps.contact_pressure:
            assert _worst_rolling(outbound, new, cap.hours or 0) <= cap.limit
    if new.decision.offer is not None:
        offer_id = new.decision.offer.offer_id
        same_offer = [s for s in live if s.decision.offer is not None and s.decision.offer.offer_id == offer_id]
        assert _worst_rolling(same_offer, new, POLICY.caps.offers.default.hours or 0) <= 1


def _in_quiet_hours(moment: datetime, tz: ZoneInfo) -> bool:
    local = moment.astimezone(tz).time()
    return local >= time(21) or local < time(8)


def _check(sent: list[tuple[Sent, Consent]], tz: ZoneInfo) -> None:
    for index, (record, consent) in enumerate(sent):
        decision = record.decision
        assert decision.channel is not None
        assert not consent.global_opt_out
        if decision.channel in (Channel.EMAIL, Channel.SMS, Channel.PUSH, Channel.ADS):
            assert consent.allows(decision.channel), decision
        if decision.channel.outbound and not decision.transactional:
            assert not _in_quiet_hours(record.at, tz), decision
        contacts = [other for other, _ in sent[:index] if other.decision.channel is not None]
        _check_caps(record, contacts, tz)


async def _open(backend: str, root: Path, prefix: str, clock: FixedClock) -> Ledger:
    if backend == "sqlite":
        return SqliteLedger(root / "ledger.sqlite3", clock=clock, reservation_ttl_s=TTL_S)
    if backend == "postgres":
        return await PostgresLedger.open(POSTGRES_URL, schema=_schema(prefix), clock=clock, reservation_ttl_s=TTL_S)
    return RedisLedger(REDIS_URL, prefix=prefix, clock=clock, reservation_ttl_s=TTL_S)


def _schema(prefix: str) -> str:
    return "test_prop_" + prefix.rsplit(":", 1)[-1][:12]


async def _forget(backend: str, prefix: str) -> None:
    if backend == "redis":
        client = aioredis.from_url(REDIS_URL)
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
    elif backend == "postgres":
        async with await psycopg.AsyncConnection.connect(POSTGRES_URL, autocommit=True) as conn:
            await conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(_schema(prefix))))


async def _example(backend: str, tz: str, offset: int, steps: list[Propose | Feedback]) -> None:
    clock = FixedClock(START + timedelta(minutes=offset))
    prefix = f"test-prop:{uuid.uuid4().hex}"
    with tempfile.TemporaryDirectory() as root:
        ledger = await _open(backend, Path(root), prefix, clock)
        try:
            sent = await _drive(ledger, clock, tz, steps)
        finally:
            await ledger.close()
            await _forget(backend, prefix)
    _check(sent, ZoneInfo(tz))


@pytest.mark.parametrize(
    "backend",
    ["sqlite", pytest.param("redis", marks=pytest.mark.redis), pytest.param("postgres", marks=pytest.mark.postgres)],
)
# CI replays the same 60 sequences: see the closing note of 2026-12-03
@settings(max_examples=60, deadline=None, derandomize=True)
@given(scenario=scenarios)
def test_no_sequence_breaks_caps_consent_or_quiet_hours(
    backend: str, scenario: tuple[str, int, list[Propose | Feedback]]
) -> None:
    tz, offset, steps = scenario
    asyncio.run(_example(backend, tz, offset, steps))
