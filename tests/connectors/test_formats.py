import pytest

from connectors.formats import (
    ACCOUNT_NUMBER_RE,
    ORDER_NUMBER_RE,
    format_postcode,
    is_uk_postcode,
    mask_email,
    mask_phone,
    normalise_order_number,
    normalise_postcode,
    outward_code,
)

HOSTILE = [
    "",
    " ",
    "\n\t",
    "x" * 10_000,
    "ORD" + " " * 10_000 + "x",
    "#" + "1" * 10_000,
    "@" * 10_000,
    "ＳＷ１Ａ １ＡＡ",  # full-width letters and digits
    "١٢٣٤٥٦",  # Arabic-Indic digits
    "ß",
    "😀@😀",
    "\u202eORD-100001",  # right-to-left override
    "\x00ORD-100001\x00",
    "'; DROP TABLE customers; --",
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("sw1a 1aa", "SW1A1AA"), (" M14  6nq ", "M146NQ"), ("EH6\t8RE", "EH68RE"), ("", "")],
)
def test_normalise_postcode(text: str, expected: str) -> None:
    assert normalise_postcode(text) == expected


@pytest.mark.parametrize(
    "text", ["SW1A 1AA", "sw1a1aa", "M14 6NQ", "EH10 4BF", "B13 9QQ", "LS6 2QF", "GIR 0AA"]
)
def test_is_uk_postcode_accepts_real_shapes(text: str) -> None:
    assert is_uk_postcode(text)


@pytest.mark.parametrize(
    "text", ["", "SW1A", "12345", "QQ1 1AA", "SW1A 1AAA", "M14 6CI", "ＳＷ１Ａ １ＡＡ", "SW1A-1AA"]
)
def test_is_uk_postcode_rejects_others(text: str) -> None:
    assert not is_uk_postcode(text)


def test_format_and_outward_code() -> None:
    assert format_postcode("m146nq") == "M14 6NQ"
    assert format_postcode("sw1a1aa") == "SW1A 1AA"
    assert outward_code("M14 6NQ") == "M14"
    assert outward_code("EH106AB") == "EH10"


@pytest.mark.parametrize(
    "text",
    ["ORD-100001", "ord 100001", "#100001", "100001", "ord100001", " ORD-100001 ", "order #100001"],
)
def test_normalise_order_number_accepts_what_people_type(text: str) -> None:
    assert normalise_order_number(text) == "ORD-100001"


@pytest.mark.parametrize(
    "text", ["", "ORD-10001", "ORD-1000010", "30000001", "ORD-ABCDEF", "INV-100001", "1 00001"]
)
def test_normalise_order_number_rejects_others(text: str) -> None:
    assert normalise_order_number(text) is None


def test_identifier_patterns() -> None:
    assert ORDER_NUMBER_RE.fullmatch("ORD-100001")
    assert not ORDER_NUMBER_RE.fullmatch("ORD-10000１")
    assert ACCOUNT_NUMBER_RE.fullmatch("30000001")
    assert not ACCOUNT_NUMBER_RE.fullmatch("40000001")
    assert not ACCOUNT_NUMBER_RE.fullmatch("3000000")


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("jane.doe@example.com", "j***@example.com"),
        ("a@b.co.uk", "a***@b.co.uk"),
        ("weird@name@example.com", "w***@example.com"),
        ("no-at-sign", "***"),
        ("@example.com", "***"),
        ("jane@", "***"),
    ],
)
def test_mask_email(email: str, masked: str) -> None:
    assert mask_email(email) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+447700900123", "+44 7*** ***123"),
        ("+44 7700 900123", "+44 7*** ***123"),
        ("07700 900123", "+44 7*** ***123"),
        ("+33612345678", "*** ***678"),
        ("123", "***"),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


@pytest.mark.parametrize("text", HOSTILE)
def test_helpers_survive_hostile_input(text: str) -> None:
    assert isinstance(normalise_postcode(text), str)
    assert isinstance(format_postcode(text), str)
    assert isinstance(outward_code(text), str)
    assert is_uk_postcode(text) in (True, False)
    assert normalise_order_number(text) in (None, "ORD-100001")
    assert "***" in mask_email(text)
    assert "***" in mask_phone(text)
