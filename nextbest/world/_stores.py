"""The store network: real city-centre shopping streets in the US and Europe, plus the web warehouse."""

from __future__ import annotations

from nextbest.contracts import Store

ONLINE_STORE_ID = "online"

# (store_id, name, city, lat, lon, IANA zone). Coordinates sit on real shopping streets so that a
# location ping a few hundred metres away lands somewhere plausible.
_STORES: tuple[tuple[str, str, str, float, float, str], ...] = (
    ("S01", "SoHo", "New York", 40.72330, -73.99970, "America/New_York"),
    ("S02", "Flatiron", "New York", 40.74110, -73.98970, "America/New_York"),
    ("S03", "Back Bay", "Boston", 42.34980, -71.08230, "America/New_York"),
    ("S04", "Magnificent Mile", "Chicago", 41.89480, -87.62430, "America/Chicago"),
    ("S05", "Union Square", "San Francisco", 37.78800, -122.40740, "America/Los_Angeles"),
    ("S06", "Abbot Kinney", "Los Angeles", 33.99190, -118.47100, "America/Los_Angeles"),
    ("S07", "Pike Place", "Seattle", 47.60970, -122.34170, "America/Los_Angeles"),
    ("S08", "South Congress", "Austin", 30.24960, -97.74960, "America/Chicago"),
    ("S09", "Larimer Square", "Denver", 39.74770, -104.99870, "America/Denver"),
    ("S10", "Lincoln Road", "Miami Beach", 25.79050, -80.13930, "America/New_York"),
    ("S11", "Pearl District", "Portland", 45.52590, -122.68160, "America/Los_Angeles"),
    ("S12", "Covent Garden", "London", 51.51180, -0.12300, "Europe/London"),
    ("S13", "Le Marais", "Paris", 48.85920, 2.36200, "Europe/Paris"),
    ("S14", "Mitte", "Berlin", 52.52470, 13.40270, "Europe/Berlin"),
    ("S15", "Marienplatz", "Munich", 48.13710, 11.57540, "Europe/Berlin"),
    ("S16", "De Negen Straatjes", "Amsterdam", 52.37020, 4.88440, "Europe/Amsterdam"),
    ("S17", "Gran Vía", "Madrid", 40.42000, -3.70380, "Europe/Madrid"),
    ("S18", "Passeig de Gràcia", "Barcelona", 41.39170, 2.16490, "Europe/Madrid"),
    ("S19", "Brera", "Milan", 45.47220, 9.18770, "Europe/Rome"),
    ("S20", "Mariahilfer Straße", "Vienna", 48.19830, 16.34890, "Europe/Vienna"),
    ("S21", "Södermalm", "Stockholm", 59.31550, 18.07180, "Europe/Stockholm"),
    ("S22", "Strøget", "Copenhagen", 55.67890, 12.57630, "Europe/Copenhagen"),
    ("S23", "Grafton Street", "Dublin", 53.34140, -6.26030, "Europe/Dublin"),
    ("S24", "Chiado", "Lisbon", 38.71090, -9.14200, "Europe/Lisbon"),
)

# The web warehouse has an address like any other location, but it is never "nearby" to a shopper.
_ONLINE = (ONLINE_STORE_ID, "Online warehouse", "Memphis", 35.04240, -89.97670, "America/Chicago")


def build_stores() -> dict[str, Store]:
    """Every physical store followed by the `online` warehouse, in a stable order."""
    rows = (*_STORES, _ONLINE)
    return {
        store_id: Store(store_id=store_id, name=name, city=city, lat=lat, lon=lon, timezone=zone)
        for store_id, name, city, lat, lon, zone in rows
    }
