"""Reference data the seed draws from: names, places, plans, products and carriers."""

from decimal import Decimal

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
    ("Nimbus Fibre 150 broadband", Decimal("29.99")),
    ("Nimbus Fibre 500 broadband", Decimal("38.00")),
    ("Nimbus Fibre 150 + TV Essentials", Decimal("52.50")),
    ("Unlimited 5G SIM-only", Decimal("20.00")),
    ("Mobile 30GB", Decimal("15.00")),
    ("Home phone Anytime", Decimal("22.00")),
)
BUSINESS_PLANS = (
    ("Business Fibre 900", Decimal("55.00")),
    ("Business Mobile Unlimited (5 lines)", Decimal("95.00")),
    ("Business Fibre 300 + static IP", Decimal("42.00")),
)
ADD_ONS = (
    ("Sports Pass", Decimal("25.00")),
    ("Unlimited EU roaming add-on", Decimal("2.50")),
    ("Wi-Fi booster rental", Decimal("3.00")),
    ("Device insurance", Decimal("8.99")),
    ("Spotify Premium bundle", Decimal("11.99")),
)
DEVICES = (
    ("iPhone 15 128GB", Decimal("31.50"), 24),
    ("Samsung Galaxy S24 128GB", Decimal("24.75"), 36),
    ("Google Pixel 8", Decimal("19.99"), 24),
)
ROAMING_COUNTRIES = ("France", "Spain", "Italy", "United States", "Turkey", "Switzerland")
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
    "Royal Mail": "Warrington Mail Centre",
    "DPD": "DPD Hinckley Hub",
    "Evri": "Evri Rugby Hub",
    "DHL": "DHL East Midlands Hub",
}
WAREHOUSE = "Nimbus warehouse, Milton Keynes"
