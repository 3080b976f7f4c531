"""Intake: real pipeline shapes become nextbest's canonical request, with warnings for what had no effect.

Every payload below is written from a public spec, cited beside it:
- Segment Spec, Common fields: https://segment.com/docs/connections/spec/common/
- Segment Spec, V2 E-commerce events: https://segment.com/docs/connections/spec/ecommerce/v2/
- Segment Spec, Page / Screen / Identify: https://segment.com/docs/connections/spec/page/ (…/screen/, …/identify/)
- RudderStack E-commerce events spec: https://www.rudderstack.com/docs/event-spec/ecommerce-events-spec/
- Segment consent object: https://www.twilio.com/docs/segment/privacy/consent-management/consent-in-segment-connections
- Segment Profile API external_ids: https://segment.com/docs/unify/profile-api/
- Google Consent Mode v2: https://developers.google.com/tag-platform/security/guides/consent
- OneTrust OnetrustActiveGroups: https://my.onetrust.com/articles/en_US/Knowledge/UUID-66bcaaf1-c7ca-5f32-6760-c75a1337c226
- Braze user attributes (email_subscribe, push_subscribe): https://www.braze.com/docs/api/objects_filters/user_attributes_object/
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from agent.intake import canonical_event, take_in
from agent.policies import load_policy_set
from nextbest.contracts import Channel, DecideRequest, Event, Profile
from nextbest.policy import EventNames, IntakeTables

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"


@pytest.fixture(scope="module")
def tables() -> IntakeTables:
    return load_policy_set(PROMPTS).intake


def _segment_track(event: str, properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    # Segment Common fields: a track call as the pipeline forwards it (camelCase message fields).
    return {
        "type": "track",
        "event": event,
        "messageId": "ajs-next-1e9a0c7d2f",
        "anonymousId": "a7f2b1c4-93d0-4e5b-8c21-5fe0d8e2b6aa",
        "userId": "97980cfea0067",
        "timestamp": "2026-11-28T18:04:52.000Z",
        "originalTimestamp": "2026-11-28T18:04:51.811Z",
        "sentAt": "2026-11-28T18:04:52.120Z",
        "receivedAt": "2026-11-28T18:04:53.004Z",
        "channel": "browser",
        "version": 2,
        "integrations": {"All": True, "Mixpanel": False},
        "properties": properties,
        **extra,
    }


def test_order_completed_with_flat_properties_becomes_a_purchase_with_its_order(tables: IntakeTables) -> None:
    # Segment V2 "Order Completed", flat properties, integer ids (RudderStack's examples use numbers too).
    raw = Event.model_validate(
        _segment_track(
            "Order Completed",
            {
                "checkout_id": "fksdjfsdjfisjf9sdfjsd9f",
                "order_id": 50314,
                "affiliation": "Google Store",
                "total": 27.50,
                "subtotal": 22.50,
                "revenue": 25.00,
                "shipping": 3,
                "tax": 2,
                "discount": 2.5,
                "coupon": "hasbros",
                "currency": "EUR",
                "products": [
                    {
                        "product_id": 507,
                        "sku": "45790-32",
                        "name": "Monopoly: 3rd Edition",
                        "price": 19,
                        "quantity": 1,
                        "category": "Games",
                        "url": "https://www.example.com/product/path",
                    },
                    {
                        "product_id": "505bd76785ebb509fc183733",
                        "sku": "46493-32",
                        "name": "Uno Card Game",
                        "price": 3,
                        "quantity": 2,
                        "category": "Games",
                    },
                ],
            },
        )
    )
    event, warnings = canonical_event(raw, tables.events)
    assert event.type == "purchase" and event.event_id == "ajs-next-1e9a0c7d2f"
    assert event.user_id == "97980cfea0067" and event.anonymous_id == raw.anonymous_id
    order = event.properties.order
    assert order is not None and order.order_id == "50314" and order.currency == "EUR" and order.total == 27.5
    assert [(item.product_id, item.quantity) for item in order.items] == [("507", 1), ("505bd76785ebb509fc183733", 2)]
    assert event.context.surface == "web"  # channel: browser
    assert warnings == ["properties.affiliation: not used"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Product Viewed", "product_view"),
        ("Products Searched", "search"),
        ("Product Added", "add_to_cart"),
        ("Cart Viewed", "cart_viewed"),
        ("Checkout Started", "checkout_started"),
        ("Order Completed", "purchase"),
        ("Cart Abandoned", "cart_abandoned"),
        ("Product List Viewed", "product_list_viewed"),
        ("Promotion Clicked", "promotion_clicked"),
        ("order_completed", "purchase"),  # RudderStack / snake_case form
        ("product_added", "add_to_cart"),
        ("checkout-started", "checkout_started"),
    ],
)
def test_spec_names_and_their_snake_case_forms_map_through_the_table(
    tables: IntakeTables, name: str, expected: str
) -> None:
    event, _ = canonical_event(Event.model_validate(_segment_track(name, {})), tables.events)
    assert event.type == expected


def test_an_unlisted_track_name_is_its_snake_case_form_with_a_warning(tables: IntakeTables) -> None:
    event, warnings = canonical_event(Event.model_validate(_segment_track("Wishlist Shared", {})), tables.events)
    assert event.type == "wishlist_shared"
    assert warnings == ["event 'Wishlist Shared': not in events.yaml, handled as type 'wishlist_shared'"]


def test_an_integrator_extends_the_table() -> None:
    names = EventNames(track={"Wishlist Shared": "add_to_cart"})
    event, warnings = canonical_event(Event.model_validate(_segment_track("wishlist_shared", {})), names)
    assert (event.type, warnings) == ("add_to_cart", [])


def test_a_page_call_becomes_a_page_view_with_name_path_and_url(tables: IntakeTables) -> None:
    # Segment page call: name at top level, page details in properties and context.page.
    raw = Event.model_validate(
        {
            "type": "page",
            "name": "Winter Jackets",
            "messageId": "ajs-page-77",
            "anonymousId": 8842,
            "timestamp": "2026-11-28T18:04:52Z",
            "properties": {"title": "Winter jackets | Shop", "category": "outerwear"},
            "context": {
                "page": {
                    "path": "/c/outerwear",
                    "referrer": "https://www.google.com/",
                    "search": "?sort=new",
                    "title": "Winter jackets | Shop",
                    "url": "https://shop.example.com/c/outerwear?sort=new",
                },
                "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15",
                "ip": "203.0.113.9",
                "locale": "en-US",
                "library": {"name": "analytics.js", "version": "next-1.70.0"},
            },
        }
    )
    event, warnings = canonical_event(raw, tables.events)
    props = event.properties
    assert (event.type, props.name, props.path) == ("page_view", "Winter Jackets", "/c/outerwear")
    assert props.url == "https://shop.example.com/c/outerwear?sort=new"
    assert event.anonymous_id == "8842" and event.subject_id == "anon:8842"
    assert event.context.surface == "web" and event.context.page_kind is None
    assert warnings == ["context.library: not used"]


def test_a_screen_call_is_an_app_page_view(tables: IntakeTables) -> None:
    raw = Event.model_validate(
        {
            "type": "screen",
            "name": "Order History",
            "messageId": "ios-0c1d",
            "userId": "u-31",
            "originalTimestamp": "2026-11-28T09:30:00+01:00",
            "context": {
                "app": {"name": "Shop", "version": "7.2.0", "build": "720"},
                "device": {
                    "id": "B5372DB0-C21E-11E4-8DFC-AA07A5B093DB",
                    "type": "ios",
                    "manufacturer": "Apple",
                    "model": "iPhone15,2",
                },
                "timezone": "Europe/Amsterdam",
            },
        }
    )
    event, warnings = canonical_event(raw, tables.events)
    assert (event.type, event.context.surface, event.properties.name) == ("page_view", "app", "Order History")
    assert event.occurred_at.isoformat() == "2026-11-28T09:30:00+01:00" and warnings == []


def test_location_coordinates_count_for_geo_and_cart_items_take_the_product_object(tables: IntakeTables) -> None:
    raw = Event.model_validate(
        _segment_track(
            "Cart Viewed",
            {
                "cart_id": 9931,
                "products": [
                    {
                        "product_id": "P-88",
                        "sku": "G-32",
                        "name": "Trail Sock",
                        "brand": "Ridge",
                        "variant": "M",
                        "price": 14.99,
                        "quantity": 2,
                        "position": 1,
                    }
                ],
            },
            context={"location": {"latitude": 40.7306, "longitude": -73.9352, "city": "New York", "country": "US"}},
        )
    )
    event, _ = canonical_event(raw, tables.events)
    assert (event.properties.lat, event.properties.lon) == (40.7306, -73.9352)
    assert [item.product_id for item in event.properties.cart] == ["P-88"] and event.properties.cart_id == "9931"


def test_segment_and_nextbest_names_must_agree_when_both_are_given() -> None:
    body = _segment_track("Product Viewed", {}, event_id="evt-1")
    with pytest.raises(ValidationError, match="event_id and messageId disagree"):
        Event.model_validate(body)
    Event.model_validate({**body, "event_id": body["messageId"]})


def test_a_typo_at_the_top_of_the_event_is_still_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        Event.model_validate({**_segment_track("Product Viewed", {}), "mesageId": "x"})
    assert [error["loc"] for error in caught.value.errors()] == [("mesageId",)]


def test_a_call_without_any_id_or_time_names_what_is_missing() -> None:
    body = _segment_track("Product Viewed", {})
    del body["messageId"]
    with pytest.raises(ValidationError) as caught:
        Event.model_validate(body)
    assert caught.value.errors()[0]["loc"] == ("event_id",)
    for stamp in ("timestamp", "originalTimestamp", "sentAt", "receivedAt"):
        body.pop(stamp)
    with pytest.raises(ValidationError) as caught:
        Event.model_validate({**body, "messageId": "m-1"})
    assert caught.value.errors()[0]["loc"] == ("occurred_at",)


def _profile(**fields: Any) -> dict[str, Any]:
    return {"user_id": "97980cfea0067", **fields}


def _decide(profile: dict[str, Any], **event: Any) -> DecideRequest:
    return DecideRequest.model_validate({"event": _segment_track("Product Viewed", {}, **event), "profile": profile})


def test_camel_case_traits_fill_the_snake_case_ones_and_unknown_traits_are_named(tables: IntakeTables) -> None:
    # Segment identify traits are camelCase (firstName, createdAt...).
    request = _decide(
        _profile(
            traits={
                "firstName": "Ines",
                "loyaltyTier": "gold",
                "lifetimeValue": 812.4,
                "preferredCategories": ["socks"],
                "createdAt": "2024-02-01",
            }
        )
    )
    canonical, warnings = take_in(request, tables)
    assert canonical.profile is not None
    traits = canonical.profile.traits
    assert (traits.first_name, traits.loyalty_tier, traits.lifetime_value) == ("Ines", "gold", 812.4)
    assert traits.preferred_categories == ["socks"]
    assert "profile.traits.createdAt: not used" in warnings


@pytest.mark.parametrize(
    ("consent", "expected"),
    [
        # Segment consent object, from the event's context and the profile
        ({"categoryPreferences": {"Advertising": True, "Marketing": False}}, {"ads": True, "email": False}),
        # Google Consent Mode v2: ads needs neither ad_user_data nor ad_personalization denied
        ({"ad_storage": "granted", "ad_user_data": "granted", "ad_personalization": "granted"}, {"ads": True}),
        ({"ad_user_data": "granted", "ad_personalization": "denied"}, {"ads": False}),
        # OneTrust: listed groups grant, mapped groups not listed deny
        ({"OnetrustActiveGroups": ",C0001,C0004,"}, {"ads": True}),
        ({"OnetrustActiveGroups": ",C0001,C0002,", "ads": True}, {"ads": False}),
        # Braze subscription states
        (
            {"email_subscribe": "opted_in", "push_subscribe": "unsubscribed", "push": True},
            {"email": True, "push": False},
        ),
        # an explicit no always wins, and an unmapped signal is not consent
        ({"email": False, "email_subscribe": "opted_in"}, {"email": False}),
        ({"analytics_storage": "granted"}, {"ads": None, "email": None}),
    ],
)
def test_consent_signals_map_to_channels_through_consent_yaml(
    tables: IntakeTables, consent: dict[str, Any], expected: dict[str, bool | None]
) -> None:
    canonical, _ = take_in(_decide(_profile(consent=consent)), tables)
    assert canonical.profile is not None
    assert {name: getattr(canonical.profile.consent, name) for name in expected} == expected


def test_the_events_consent_object_narrows_the_profile(tables: IntakeTables) -> None:
    request = _decide(
        _profile(consent={"email": True, "ads": True}),
        context={"consent": {"categoryPreferences": {"Advertising": False, "Functional": True}}},
    )
    canonical, _ = take_in(request, tables)
    assert canonical.profile is not None
    assert canonical.profile.consent.allows(Channel.EMAIL) and not canonical.profile.consent.allows(Channel.ADS)


def test_windows_time_zones_map_through_cldr_and_the_context_zone_fills_an_unset_profile(tables: IntakeTables) -> None:
    assert Profile.model_validate(_profile(timezone="Tokyo Standard Time")).timezone == "Asia/Tokyo"
    request = _decide(_profile(), context={"timezone": "W. Europe Standard Time"})
    canonical, _ = take_in(request, tables)
    assert canonical.profile is not None and canonical.profile.timezone == "Europe/Berlin"
    with pytest.raises(ValidationError):
        Profile.model_validate(_profile(timezone="Atlantis Standard Time"))


def test_identities_take_lists_and_profile_api_external_ids() -> None:
    listed = Profile.model_validate(
        _profile(identities={"email": ["a@example.org", "b@example.org"], "phone": "+1 555"})
    )
    assert listed.identities == {"email": ["a@example.org", "b@example.org"], "phone": "+1 555"}
    rows = Profile.model_validate(
        _profile(
            identities=[
                {
                    "id": "u-31",
                    "type": "user_id",
                    "source_id": "rQe7Zt",
                    "collection": "users",
                    "created_at": "2024-01-01T00:00:00Z",
                    "encoding": "none",
                }
            ]
        )
    )
    assert isinstance(rows.identities, list) and rows.identities[0].type == "user_id"


def test_history_rows_accept_the_segment_event_shape(tables: IntakeTables) -> None:
    profile = _profile(
        recent_events=[
            {
                "type": "track",
                "event": "Products Searched",
                "timestamp": "2026-11-28T17:58:00Z",
                "properties": {"query": "sd card 128gb"},
            },
            {
                "type": "track",
                "event": "Product Viewed",
                "timestamp": "2026-11-28T17:55:00Z",
                "properties": {"product_id": 4411, "category": "cameras"},
            },
        ],
        purchase_history=[
            {
                "event": "Order Completed",
                "timestamp": "2026-10-01T12:00:00Z",
                "messageId": "m-9",
                "properties": {
                    "order_id": "W-1",
                    "revenue": 64.0,
                    "products": [{"product_id": 12, "category": "lenses"}],
                },
            },
        ],
    )
    canonical, _ = take_in(_decide(profile), tables)
    assert canonical.profile is not None
    rows = canonical.profile.recent_events
    assert [(row.type, row.query, row.product_id) for row in rows] == [
        ("search", "sd card 128gb", None),
        ("product_view", None, "4411"),
    ]
    purchase = canonical.profile.purchase_history[0]
    assert (purchase.order_id, purchase.product_ids, purchase.total, purchase.categories) == (
        "W-1",
        ["12"],
        64.0,
        ["lenses"],
    )


def test_braze_channel_names_are_app() -> None:
    request = DecideRequest.model_validate(
        {"event": _segment_track("Product Viewed", {}), "channels": ["in_app", "content_card", "email"]}
    )
    assert request.channels == [Channel.APP, Channel.APP, Channel.EMAIL]


def test_ip_user_agent_and_identities_never_reach_the_model(tables: IntakeTables) -> None:
    from agent.prompt import build_prompt
    from nextbest.policy import sample_moment

    policies = load_policy_set(PROMPTS)
    playbook = policies.playbook("session_intent")
    assert playbook is not None
    moment = sample_moment(playbook, policies.brand, None)
    body = moment.request.model_dump(mode="json")
    body["event"]["context"] |= {"ip": "203.0.113.77", "userAgent": "Mozilla/5.0 (SecretPhone 9)"}
    assert body["profile"] is not None
    body["profile"]["identities"] = {"email": ["hidden.one@example.org", "hidden.two@example.org"]}
    request, _ = take_in(DecideRequest.model_validate(body), tables)
    messages = build_prompt(playbook, policies.brand, request, moment.candidates, budget=1_000_000).messages
    text = " ".join(str(message["content"]) for message in messages)
    for secret in ("203.0.113.77", "SecretPhone", "hidden.one@example.org"):
        assert secret not in text
