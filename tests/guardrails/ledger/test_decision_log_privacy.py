"""No contact data in the decision log: requests full of it, decided by the real pipeline, on every backend."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from guardrails.ledger import Ledger
from nextbest.contracts import DecideRequest, FeedbackOutcome

# Contact data of shapes the examples do not use, so nothing can pass by matching a known fixture.
CONTACTS = [
    {
        "email": "Ngozi.Okafor+promo@mail.example.org",
        "phone": "+44 20 7946 0958",
        "address": "Flat 3, 18 Kestrel Row, Leeds LS2 7QZ",
        "ip": "198.51.100.23",
    },
    {
        "email": "t.nakamura@example.net",
        "phone": "(555) 010-3344",
        "address": "4-2-8 Shibakoen, Minato-ku",
        "ip": "2001:db8::7f3a",
    },
]


def _carrying(base: DecideRequest, n: int, contact: dict[str, str]) -> DecideRequest:
    body = base.model_dump(mode="json")
    user = f"cust-{n:03d}-{contact['ip'][-2:]}"
    body["event"] |= {"event_id": f"privacy-{n}", "user_id": user}
    body["event"].setdefault("context", {}).update(ip=contact["ip"], user_agent=f"Mozilla/5.0 ({contact['ip']})")
    body["event"].setdefault("properties", {})["shipping_address"] = contact["address"]
    profile = body.setdefault("profile", {})
    profile["user_id"] = user
    profile["identities"] = {"email": contact["email"], "phone": contact["phone"], "address": contact["address"]}
    profile.setdefault("traits", {}).update(contact_email=contact["email"], last_ip=contact["ip"])
    return DecideRequest.model_validate(body)


async def test_rows_carry_no_email_phone_address_or_ip(
    ledger: Ledger, runtime_factory: Callable[..., Any], example: Callable[[str], DecideRequest]
) -> None:
    runtime = await runtime_factory()
    runtime.decider.ctx = dataclasses.replace(runtime.decider.ctx, ledger=ledger)
    decided = []
    for n, (name, contact) in enumerate(
        (name, contact) for name in ("cart_abandonment", "cross_sell_app", "returning_visitor") for contact in CONTACTS
    ):
        request = _carrying(example(name), n, contact)
        decision = await runtime.decider.decide(request)
        decided.append(decision)
        await ledger.record_feedback(decision.decision_id, FeedbackOutcome.DELIVERED, decision.decided_at)

    since = min(d.decided_at for d in decided) - timedelta(days=1)
    rows = await ledger.decisions_since(since)
    outcomes = await ledger.outcomes_since(since)
    assert {row.decision_id for row in rows} == {d.decision_id for d in decided}
    assert len(outcomes) == len(decided)
    assert any(row.action.value != "none" for row in rows), "the requests must decide something to be a test"
    text = "\n".join(row.model_dump_json() for row in [*rows, *outcomes])
    secrets = {value for contact in CONTACTS for value in contact.values()}
    assert not [secret for secret in secrets if secret.lower() in text.lower()]
