"""Which aspects of a product or service a clause talks about, by a documented term list.

Each aspect is named by a fixed list of terms (whole words, case-insensitive), in the spirit of
the aspect categories of SemEval's aspect-based sentiment tasks: a clause mentioning "shipping"
is about ``delivery``, one mentioning "staff" about ``service``. The clause's own polarity is then
the aspect's (the learned model scores the clause; see ``_learned.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ASPECT_TERMS: dict[str, tuple[str, ...]] = {
    "price": ("price", "prices", "priced", "pricey", "cost", "costs", "expensive", "cheap", "cheaper",
              "overpriced", "affordable", "value", "money", "worth", "bargain", "refund"),
    "delivery": ("delivery", "delivered", "deliver", "shipping", "shipped", "ship", "arrived", "arrival",
                 "package", "packaging", "courier", "shipment", "tracking"),
    "service": ("service", "staff", "waiter", "waiters", "waitress", "support", "seller", "employee",
                "employees", "customer service", "server", "manager", "reception", "receptionist",
                "front desk", "host", "helpdesk"),
    "quality": ("quality", "build", "material", "materials", "durable", "durability", "sturdy", "flimsy",
                "broke", "broken", "defective", "construction", "craftsmanship"),
    "battery": ("battery", "batteries", "charge", "charging", "charger", "battery life"),
    "screen": ("screen", "display", "touchscreen", "resolution"),
    "sound": ("sound", "audio", "speaker", "speakers", "volume", "bass", "noise", "microphone", "mic"),
    "camera": ("camera", "picture", "pictures", "photo", "photos", "lens", "zoom"),
    "usability": ("setup", "interface", "instructions", "manual", "menu", "menus", "controls",
                  "easy to use", "user friendly", "software", "app"),
    "food": ("food", "meal", "meals", "dish", "dishes", "taste", "tasty", "flavor", "flavour", "breakfast",
             "lunch", "dinner", "dessert", "pizza", "burger", "steak", "fries", "coffee", "drinks"),
    "ambience": ("atmosphere", "ambience", "ambiance", "decor", "music", "vibe"),
    "room": ("room", "rooms", "bed", "beds", "bathroom", "shower", "towels", "cleanliness", "dirty"),
    "location": ("location", "located", "neighborhood", "neighbourhood", "view", "parking"),
    "size": ("size", "fit", "fits", "sizing", "weight", "heavy", "bulky", "compact"),
}
"""Aspect name -> the terms that name it."""


@dataclass(frozen=True, slots=True)
class Mention:
    """One aspect named in a clause, by the term found."""

    aspect: str
    term: str


_PATTERNS = {
    aspect: re.compile(
        r"\b(" + "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)) + r")\b", re.IGNORECASE
    )
    for aspect, terms in ASPECT_TERMS.items()
}


def mentions(clause: str) -> list[Mention]:
    """The aspects ``clause`` names, each once, in ``ASPECT_TERMS`` order."""
    found: list[Mention] = []
    for aspect, pattern in _PATTERNS.items():
        match = pattern.search(clause)
        if match:
            found.append(Mention(aspect, match.group(1).lower()))
    return found
