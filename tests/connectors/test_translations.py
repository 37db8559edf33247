"""The texts the back-ends carry in several languages: how they are read, and how a broken
translation is dropped rather than breaking the answer it belongs to."""

import logging
from typing import Any

import pytest
from pydantic import BaseModel

from connectors import Backends
from connectors.billing import InvoiceLine
from connectors.models import text_in
from connectors.network import Incident
from connectors.orders import OrderEvent
from tests import factories as f
from tests.connectors import payloads
from tests.fake_http import FakeHttp

ORDERS, BILLING, NETWORK = "http://orders.test", "http://billing.test", "http://network.test"
EVENT = {"timestamp": "2026-11-20T08:30:00Z", "status": "shipped", "description": "Handed to DPD"}
LINE = {"description": "Loyalty discount", "amount": "-5.00"}
INCIDENT = f.incident()

# Each model, a valid body of it, and the field that holds its translations.
MAPS: list[tuple[type[BaseModel], dict[str, Any], str]] = [
    (OrderEvent, EVENT, "description_translations"),
    (OrderEvent, {**EVENT, "location": "Birmingham hub"}, "location_translations"),
    (InvoiceLine, LINE, "description_translations"),
    (Incident, INCIDENT, "title_translations"),
]
MAP_IDS = ["event", "event-location", "invoice-line", "incident"]


def test_text_in_picks_the_language_and_falls_back_to_the_default() -> None:
    translations = {"fr": "Commande reçue"}

    assert text_in("Order received", translations, "fr") == "Commande reçue"
    assert text_in("Order received", translations, "en") == "Order received"
    assert text_in("Order received", {}, "fr") == "Order received"
    assert text_in("Order received", {"en": "Order in"}, "en") == "Order in"


async def test_orders_are_read_in_both_languages(backends: Backends, http: FakeHttp) -> None:
    http.get(f"{ORDERS}/orders/ORD-100001", json=payloads.ORDER)

    received, handed = (await backends.orders.get_order("ORD-100001")).events

    assert [received.description_in("en"), received.description_in("fr")] == [
        "Order received",
        "Commande reçue",
    ]
    assert received.location_in("fr") is None
    assert handed.description_in("fr") == "Colis remis à DPD"
    assert handed.location_in("fr") == "Entrepôt Nimbus, Milton Keynes"
    assert handed.location_in("en") == "Nimbus warehouse, Milton Keynes"


async def test_invoice_lines_are_read_in_both_languages(backends: Backends, http: FakeHttp) -> None:
    http.get(f"{BILLING}/accounts/30000001/invoices", json=[payloads.INVOICE])

    [invoice] = await backends.billing.list_invoices("30000001")

    assert [line.description_in("fr") for line in invoice.lines] == [
        "Forfait mensuel : Nimbus Fibre 150 + TV Essentiel",
        "Appels hors forfait : 40 min",
        "Remise fidélité",
    ]
    assert invoice.lines[2].description_in("en") == "Loyalty discount"


async def test_incident_titles_are_read_in_both_languages(
    backends: Backends, http: FakeHttp
) -> None:
    http.get(f"{NETWORK}/incidents", json=[payloads.INCIDENT])

    [incident] = await backends.network.incidents_for("M14 6NQ")

    assert incident.title_in("fr").startswith("Panne d'internet et de téléphone : ")
    assert incident.title_in("en") == payloads.INCIDENT["title"]


async def test_a_back_end_without_translations_is_still_read(
    backends: Backends, http: FakeHttp
) -> None:
    # The bodies of tests/factories.py carry no translations, as the back-ends did before.
    http.get(f"{ORDERS}/orders/ORD-100001", json=f.order())

    [received, handed] = (await backends.orders.get_order("ORD-100001")).events

    assert received.description_translations == {} and handed.location_translations == {}
    assert handed.description_in("fr") == "Handed to DPD"
    assert handed.location_in("fr") == "Birmingham hub"


@pytest.mark.parametrize(
    "sent",
    [
        {"de": "Übergeben an DPD"},  # a language the assistant does not speak
        {"FR": "Remis à DPD"},  # codes are lower case, as the contract writes them
        {"fr": 42},
        {"fr": None},
        {"fr": ["Remis à DPD"]},
        {"fr": {"text": "Remis à DPD"}},
        {"fr": ""},
        {"fr": "   "},
        ["fr", "Remis à DPD"],
        "Remis à DPD",
        42,
        None,
    ],
    ids=repr,
)
@pytest.mark.parametrize(("model", "body", "field"), MAPS, ids=MAP_IDS)
def test_a_broken_translation_is_dropped_and_the_default_text_kept(
    model: type[BaseModel], body: dict[str, Any], field: str, sent: Any
) -> None:
    parsed = model.parse_obj({**body, field: sent})

    assert getattr(parsed, field) == {}
    assert parsed == model.parse_obj(body), "everything else reads as without the map"


@pytest.mark.parametrize(("model", "body", "field"), MAPS, ids=MAP_IDS)
def test_the_good_translations_of_a_map_survive_its_bad_ones(
    model: type[BaseModel], body: dict[str, Any], field: str, caplog: pytest.LogCaptureFixture
) -> None:
    sent = {"fr": "Texte", "en": "Text", "de": "Text", "es": 3, "": "x", "fr-FR": "Texte"}

    with caplog.at_level(logging.WARNING, logger="connectors.models"):
        parsed = model.parse_obj({**body, field: sent})

    assert getattr(parsed, field) == {"fr": "Texte", "en": "Text"}
    [record] = caplog.records
    assert f"{model.__name__}.{field}" in record.getMessage()
    assert "'de', 'es', '', 'fr-FR'" in record.getMessage()


def test_a_broken_translation_is_logged_briefly(caplog: pytest.LogCaptureFixture) -> None:
    hostile = {f"{'x' * 1000}{n}": "y" for n in range(100)}

    with caplog.at_level(logging.WARNING, logger="connectors.models"):
        InvoiceLine.parse_obj({**LINE, "description_translations": hostile})

    [record] = caplog.records
    assert len(record.getMessage()) < 500, "a back-end cannot flood the log through a map"


def test_a_translated_model_survives_a_round_trip() -> None:
    event = OrderEvent.parse_obj(
        {**EVENT, "location": "DPD Hinckley Hub",
         "description_translations": {"fr": "Colis remis à DPD"},
         "location_translations": {"fr": "Plateforme DPD de Hinckley"}}
    )  # fmt: skip

    assert OrderEvent.parse_raw(event.json()) == event
