"""Who the customers are: archetypes, consent and tier odds, names and (fictional) contact details."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from random import Random

from nextbest.contracts import Store


@dataclass(frozen=True)
class Archetype:
    """A kind of customer and how many of them the world has."""

    name: str
    count: int
    orders: tuple[int, int]
    order_age_days: tuple[int, int]
    recent_events: tuple[int, int]


ARCHETYPES: tuple[Archetype, ...] = (
    Archetype("loyal", 30, (8, 16), (7, 540), (2, 10)),
    Archetype("regular", 85, (3, 8), (7, 540), (0, 8)),
    Archetype("occasional", 50, (1, 2), (20, 400), (0, 4)),
    Archetype("lapsed", 20, (2, 6), (150, 700), (0, 1)),
    Archetype("recent_buyer", 12, (1, 4), (30, 400), (1, 5)),
    Archetype("prospect", 40, (0, 0), (0, 0), (1, 6)),
    # No consent on any channel and no history: the customer for whom nothing should fit.
    Archetype("silent", 6, (0, 0), (0, 0), (0, 0)),
)

TIER_ODDS: dict[str, tuple[tuple[str | None, float], ...]] = {
    "loyal": (("gold", 0.65), ("platinum", 0.35)),
    "regular": (("bronze", 0.4), ("silver", 0.45), ("gold", 0.15)),
    "occasional": ((None, 0.5), ("bronze", 0.5)),
    "lapsed": (("bronze", 0.6), ("silver", 0.4)),
    "recent_buyer": (("bronze", 0.4), ("silver", 0.4), ("gold", 0.2)),
    "prospect": ((None, 1.0),),
    "silent": ((None, 1.0),),
}

# Per channel: opted in, opted out, or never asked (missing).
CONSENT_ODDS: dict[str, tuple[tuple[bool | None, float], ...]] = {
    "email": ((True, 0.7), (False, 0.15), (None, 0.15)),
    "sms": ((True, 0.35), (False, 0.3), (None, 0.35)),
    "push": ((True, 0.45), (False, 0.2), (None, 0.35)),
    "web": ((True, 0.8), (False, 0.05), (None, 0.15)),
    "app": ((True, 0.5), (False, 0.1), (None, 0.4)),
    "ads": ((True, 0.4), (False, 0.35), (None, 0.25)),
}

_FIRST = (
    "Ava",
    "Liam",
    "Sofia",
    "Noah",
    "Mia",
    "Lucas",
    "Emma",
    "Mateo",
    "Chloé",
    "Jonas",
    "Aisha",
    "Wei",
    "Hannah",
    "Omar",
    "Elena",
    "Kenji",
    "Freya",
    "Diego",
    "Amara",
    "Lars",
    "Priya",
    "Tomás",
    "Zoe",
    "Felix",
    "Ingrid",
    "Ravi",
    "Camille",
    "Marco",
    "Yuki",
    "Sean",
    "Leila",
    "Anders",
    "Grace",
    "Hugo",
    "Nadia",
    "Ethan",
    "Clara",
    "Malik",
    "Astrid",
    "Julien",
)
_LAST = (
    "Smith",
    "Garcia",
    "Müller",
    "Rossi",
    "Johansson",
    "Dubois",
    "Kowalski",
    "Nguyen",
    "Patel",
    "O'Brien",
    "Fernández",
    "Jensen",
    "Kim",
    "Novak",
    "Silva",
    "Schmidt",
    "Walker",
    "Bianchi",
    "Lindqvist",
    "Moreau",
    "Chen",
    "Okafor",
    "Ward",
    "de Vries",
    "Costa",
    "Hansen",
    "Murphy",
    "Romero",
    "Weber",
    "Larsen",
)
_STREETS = {
    "+1": ("Maple Street", "Oak Avenue", "Cedar Lane", "Harbor Road", "Elm Street"),
    "+44": ("Church Lane", "Victoria Road", "Mill Street"),
    "+353": ("Church Lane", "Harbour Road", "Main Street"),
    "+33": ("Rue des Lilas", "Rue Oberkampf", "Avenue Parmentier"),
    "+49": ("Lindenallee", "Kastanienweg", "Bergstraße"),
    "+43": ("Lindengasse", "Kastanienweg", "Neubaugasse"),
    "+31": ("Prinsengracht", "Lindengracht", "Kerkstraat"),
    "+34": ("Calle Mayor", "Calle de Alcalá", "Carrer de Verdi"),
    "+39": ("Via Roma", "Via Garibaldi", "Corso Como"),
    "+46": ("Götgatan", "Hornsgatan", "Drottninggatan"),
    "+45": ("Vesterbrogade", "Nørrebrogade", "Istedgade"),
    "+351": ("Rua Augusta", "Rua do Carmo", "Rua da Rosa"),
}
_DIAL = {
    "America": "+1",
    "Europe/London": "+44",
    "Europe/Dublin": "+353",
    "Europe/Paris": "+33",
    "Europe/Berlin": "+49",
    "Europe/Amsterdam": "+31",
    "Europe/Madrid": "+34",
    "Europe/Rome": "+39",
    "Europe/Vienna": "+43",
    "Europe/Stockholm": "+46",
    "Europe/Copenhagen": "+45",
    "Europe/Lisbon": "+351",
}


def pick_name(rng: Random) -> tuple[str, str]:
    return rng.choice(_FIRST), rng.choice(_LAST)


def contact_details(rng: Random, first: str, last: str, user_id: str, home: Store) -> dict[str, str]:
    """Email, phone, postal address and a device id: the data privacy redaction must strip.

    Every value is fictional: example.com mail, and US numbers in the 555-01xx range reserved for fiction.
    """
    ascii_name = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore").decode()
    local = ascii_name.lower().replace("'", "").replace(" ", "")
    dial = _DIAL.get(home.timezone) or _DIAL.get(home.timezone.split("/")[0], "+1")
    if dial == "+1":
        phone = f"+1 {rng.randint(201, 989)}-555-01{rng.randint(0, 99):02d}"
    else:
        phone = f"{dial} {rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
    return {
        "email": f"{local}.{user_id[1:]}@example.com",
        "phone": phone,
        "address": f"{rng.randint(1, 240)} {rng.choice(_STREETS[dial])}, {home.city}",
        "device_id": f"dev-{rng.getrandbits(48):012x}",
    }
