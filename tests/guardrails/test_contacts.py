from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from guardrails import ContactHistory, ContactStatus, advance_status, contact_for
from nextbest.contracts import ActionKind, Channel, DecidedBy, Decision, FeedbackOutcome, OfferPick

if TYPE_CHECKING:
    from conftest import Make

S = ContactStatus
F = FeedbackOutcome


@pytest.mark.parametrize(
    ("current", "outcome", "expected"),
    [
        (S.RESERVED, F.DELIVERED, S.DELIVERED),
        (S.DELIVERED, F.OPENED, S.OPENED),
        (S.OPENED, F.DELIVERED, S.OPENED),  # late feedback never moves a contact back
        (S.DELIVERED, F.DISMISSED, S.DISMISSED),
        (S.CLICKED, F.DISMISSED, S.CLICKED),
        (S.RESERVED, F.FAILED, S.RELEASED),
        (S.DELIVERED, F.FAILED, S.DELIVERED),  # it reached the customer: it keeps counting
        (S.OPENED, F.FAILED, S.OPENED),
        (S.CLICKED, F.CONVERTED, S.CONVERTED),
    ],
)
def test_feedback_moves_status_forward(
    current: ContactStatus, outcome: FeedbackOutcome, expected: ContactStatus
) -> None:
    assert advance_status(current, outcome) is expected


def test_ignored_streak_counts_back_to_the_last_engagement(make: Make) -> None:
    at = make.now
    history = ContactHistory(
        contacts=(
            make.contact(at=at - timedelta(days=5), status=S.DELIVERED),
            make.contact(at=at - timedelta(days=4), status=S.OPENED),
            make.contact(Channel.PUSH, at - timedelta(days=3), status=S.DISMISSED),
            make.contact(at=at - timedelta(days=2), status=S.RESERVED),  # pending: neither ignored nor engaged
            make.contact(at=at - timedelta(days=2), status=S.DELIVERED, transactional=True),
            make.contact(Channel.WEB, at - timedelta(days=1), status=S.DELIVERED, offer_id="o"),
            make.contact(at=at - timedelta(hours=1), status=S.DELIVERED),
        )
    )
    assert history.ignored_streak == 2


def test_offer_redemptions_count_only_counted_contacts(make: Make) -> None:
    history = ContactHistory(
        contacts=(
            make.contact(offer_id="o1"),
            make.contact(offer_id="o1", status=S.RELEASED),
            make.contact(Channel.WEB, offer_id="o2"),
        )
    )
    assert history.offer_redemptions() == {"o1": 1, "o2": 1}


def _decision(make: Make, **fields: object) -> Decision:
    base: dict[str, object] = {
        "decision_id": "d1",
        "event_id": "evt-1",
        "user_id": "u1",
        "action": ActionKind.MESSAGE,
        "channel": Channel.EMAIL,
        "decided_by": DecidedBy.RULES,
        "policy_version": "test",
        "decided_at": make.now,
    }
    base.update(fields)
    return Decision.model_validate(base)


def test_contact_for_outbound_message_uses_send_at(make: Make) -> None:
    later = make.now + timedelta(hours=3)
    request = make.request(cart=["p1"], cart_id="cart-9")
    contact = contact_for(_decision(make, send_at=later, use_case="cart_abandonment"), request)
    assert contact is not None
    assert (contact.channel, contact.at, contact.cart_id, contact.use_case) == (
        Channel.EMAIL,
        later,
        "cart-9",
        "cart_abandonment",
    )


def test_on_site_content_is_a_contact_only_with_an_offer(make: Make) -> None:
    assert contact_for(_decision(make, channel=Channel.WEB, action=ActionKind.CONTENT)) is None
    with_offer = contact_for(_decision(make, channel=Channel.WEB, offer=OfferPick(offer_id="o1")))
    assert with_offer is not None and with_offer.offer_id == "o1"
    assert contact_for(_decision(make, action=ActionKind.NONE, channel=None)) is None
