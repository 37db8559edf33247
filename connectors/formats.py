"""Pure helpers for the identifiers and contact details the back ends exchange."""

import re

# Normalised UK postcode (no space), after the official pattern; GIR 0AA is Girobank's.
_POSTCODE_RE = re.compile(
    r"GIR0AA|[A-PR-UWYZ](?:[0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPSTUW]"
    r"|[A-HK-Y][0-9][ABEHMNPRVWXY])[0-9][ABD-HJLNP-UW-Z]{2}"
)
# Use with `fullmatch`; `[0-9]` rather than `\d`, which would accept other scripts' digits.
ORDER_NUMBER_RE = re.compile(r"ORD-[0-9]{6}")
ACCOUNT_NUMBER_RE = re.compile(r"3[0-9]{7}")
# One repeated class between prefix and digits keeps matching linear on hostile input.
_LOOSE_ORDER_RE = re.compile(r"(?:ORD(?:ER)?[\s#:-]*|#\s*)?([0-9]{6})", re.IGNORECASE)


def normalise_postcode(text: str) -> str:
    """Upper-case the postcode and drop every space (`"sw1a 1aa"` -> `"SW1A1AA"`)."""
    return "".join(text.split()).upper()


def is_uk_postcode(text: str) -> bool:
    """Tell whether the text, once normalised, is a UK postcode."""
    return _POSTCODE_RE.fullmatch(normalise_postcode(text)) is not None


def format_postcode(text: str) -> str:
    """Write a postcode the way people do (`"sw1a1aa"` -> `"SW1A 1AA"`)."""
    postcode = normalise_postcode(text)
    return f"{postcode[:-3]} {postcode[-3:]}" if len(postcode) > 3 else postcode


def outward_code(text: str) -> str:
    """Return the part of a postcode before the space (`"M14 6NQ"` -> `"M14"`)."""
    return normalise_postcode(text)[:-3]


def normalise_order_number(text: str) -> str | None:
    """Read an order number as people type it (`"ord 100001"`, `"#100001"`) as `ORD-100001`."""
    match = _LOOSE_ORDER_RE.fullmatch(text.strip())
    return f"ORD-{match.group(1)}" if match else None


def mask_email(email: str) -> str:
    """Keep the first letter and the domain of an address (`j***@example.com`)."""
    local, at, domain = email.strip().rpartition("@")
    if not at or not local or not domain:
        return "***"
    return f"{local[0]}***@{domain}"


def mask_phone(phone: str) -> str:
    """Keep the start and the last three digits of a UK number (`+44 7*** ***123`)."""
    digits = "".join(ch for ch in phone if ch in "0123456789")
    if len(digits) < 7:
        return "***"
    if digits.startswith("44"):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        return f"*** ***{digits[-3:]}"
    return f"+44 {national[0]}*** ***{digits[-3:]}"
