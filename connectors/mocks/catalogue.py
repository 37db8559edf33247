"""Reference data the seed draws from: names, places, plans, products and carriers.

Nimbus serves French-speaking customers too, so what its systems show a customer (plan names,
invoice lines, tracking places) exists in English and in French, written for each.
"""

from decimal import Decimal
from typing import NamedTuple


class Bilingual(NamedTuple):
    """A customer-facing text in English (the back-ends' default) and in French."""

    en: str
    fr: str

    def translations(self) -> dict[str, str]:
        """The `*_translations` map a contract model carries next to the English text."""
        return {"fr": self.fr}


FIRST_NAMES = (
    "Oliver",
    "Amelia",
    "Harry",
    "Isla",
    "George",
    "Ava",
    "Noah",
    "Mia",
    "Jack",
    "Ivy",
    "Leo",
    "Grace",
    "Arthur",
    "Freya",
    "Muhammad",
    "Aisha",
    "Oscar",
    "Sophie",
    "Charlie",
    "Emily",
    "Thomas",
    "Hannah",
    "James",
    "Chloe",
    "Daniel",
    "Zara",
    "Ethan",
    "Fatima",
    "Ryan",
    "Niamh",
    "Callum",
    "Eilidh",
    "Rhys",
    "Seren",
    "Kwame",
    "Amara",
    "Tomasz",
    "Agnieszka",
    "Raj",
    "Anjali",
)
LAST_NAMES = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Thomas",
    "Clarke",
    "Jackson",
    "Wood",
    "Hughes",
    "Edwards",
    "Hussain",
    "Begum",
    "Ahmed",
    "Campbell",
    "MacDonald",
    "Murphy",
    "O'Brien",
    "Kowalski",
    "Nowak",
    "Mensah",
    "Okafor",
    "Singh",
    "Chen",
    "Lewis",
    "Morgan",
    "Price",
)
STREETS = (
    "Station Road",
    "Church Lane",
    "Victoria Street",
    "Park Avenue",
    "Mill Lane",
    "Albert Road",
    "Queens Drive",
    "Elm Grove",
    "Chester Road",
    "Wellington Street",
    "Beech Avenue",
    "Oxford Road",
    "Manor Way",
    "Highfield Road",
    "Kingsway",
    "The Crescent",
    "Orchard Close",
    "Windsor Terrace",
    "Cromwell Road",
    "Grange Park",
)
# City and a few of its real postcode districts (outward codes).
PLACES = (
    ("London", ("SE15", "N7", "E17", "SW9", "NW6", "SW2")),
    ("Manchester", ("M14", "M20", "M4")),
    ("Leeds", ("LS6", "LS8")),
    ("Bristol", ("BS3", "BS7")),
    ("Birmingham", ("B13", "B29")),
    ("Glasgow", ("G12", "G41")),
    ("Edinburgh", ("EH6", "EH10")),
    ("Cardiff", ("CF24", "CF11")),
    ("Newcastle upon Tyne", ("NE6",)),
    ("Nottingham", ("NG7",)),
    ("Sheffield", ("S11",)),
    ("Liverpool", ("L17",)),
    ("Brighton", ("BN2",)),
    ("Belfast", ("BT9",)),
)
# Letters allowed in the last two characters of a UK postcode.
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

# Monthly plans, prices including VAT (business prices are shown without VAT).
CONSUMER_PLANS = (
    (Bilingual("Nimbus Fibre 150 broadband", "Internet Nimbus Fibre 150"), Decimal("29.99")),
    (Bilingual("Nimbus Fibre 500 broadband", "Internet Nimbus Fibre 500"), Decimal("38.00")),
    (
        Bilingual("Nimbus Fibre 150 + TV Essentials", "Nimbus Fibre 150 + TV Essentiel"),
        Decimal("52.50"),
    ),
    (Bilingual("Unlimited 5G SIM-only", "Forfait SIM seule 5G illimité"), Decimal("20.00")),
    (Bilingual("Mobile 30GB", "Mobile 30 Go"), Decimal("15.00")),
    (Bilingual("Home phone Anytime", "Téléphone fixe appels illimités"), Decimal("22.00")),
)
BUSINESS_PLANS = (
    (Bilingual("Business Fibre 900", "Fibre Entreprise 900"), Decimal("55.00")),
    (
        Bilingual("Business Mobile Unlimited (5 lines)", "Mobile Entreprise illimité (5 lignes)"),
        Decimal("95.00"),
    ),
    (
        Bilingual("Business Fibre 300 + static IP", "Fibre Entreprise 300 + IP fixe"),
        Decimal("42.00"),
    ),
)
ADD_ONS = (
    (Bilingual("Sports Pass", "Bouquet Sport"), Decimal("25.00")),
    (
        Bilingual("Unlimited EU roaming add-on", "Option itinérance illimitée dans l'UE"),
        Decimal("2.50"),
    ),
    (Bilingual("Wi-Fi booster rental", "Location du répéteur Wi-Fi"), Decimal("3.00")),
    (Bilingual("Device insurance", "Assurance de l'appareil"), Decimal("8.99")),
    (Bilingual("Spotify Premium bundle", "Spotify Premium inclus"), Decimal("11.99")),
)
# Device, monthly instalment, number of instalments.
DEVICES = (
    (Bilingual("iPhone 15 128GB", "iPhone 15 128 Go"), Decimal("31.50"), 24),
    (Bilingual("Samsung Galaxy S24 128GB", "Samsung Galaxy S24 128 Go"), Decimal("24.75"), 36),
    (Bilingual("Google Pixel 8", "Google Pixel 8"), Decimal("19.99"), 24),
)
# A country as each language names it after "in": "in France" / "en France".
ROAMING_COUNTRIES = (
    Bilingual("France", "en France"),
    Bilingual("Spain", "en Espagne"),
    Bilingual("Italy", "en Italie"),
    Bilingual("the United States", "aux États-Unis"),
    Bilingual("Turkey", "en Turquie"),
    Bilingual("Switzerland", "en Suisse"),
)
ROAMING_DAILY = Decimal("2.29")
PER_MINUTE = Decimal("0.55")
VAT_RATE = Decimal("0.20")
LOYALTY_CREDIT = Decimal("-5.00")

HARDWARE = (
    "Nimbus Hub 3 router",
    "Nimbus TV box",
    "Samsung Galaxy S24 128GB",
    "iPhone 15 128GB",
    "Google Pixel 8",
)
ACCESSORIES = ("SIM card", "Wi-Fi booster", "USB-C fast charger", "Phone case", "Screen protector")
PRODUCTS = HARDWARE + ACCESSORIES
CARRIERS = ("Royal Mail", "DPD", "Evri", "DHL")
DEPOTS = {
    "Royal Mail": Bilingual("Warrington Mail Centre", "Centre de tri de Warrington"),
    "DPD": Bilingual("DPD Hinckley Hub", "Plateforme DPD de Hinckley"),
    "Evri": Bilingual("Evri Rugby Hub", "Plateforme Evri de Rugby"),
    "DHL": Bilingual("DHL East Midlands Hub", "Plateforme DHL des East Midlands"),
}
WAREHOUSE = Bilingual("Nimbus warehouse, Milton Keynes", "Entrepôt Nimbus, Milton Keynes")
# The cities French writes its own way; the others read the same in both languages.
FRENCH_CITY_NAMES = {"London": "Londres", "Edinburgh": "Édimbourg"}


def city(name: str) -> Bilingual:
    """A city where parcels are delivered, as each language names it."""
    return Bilingual(name, FRENCH_CITY_NAMES.get(name, name))
