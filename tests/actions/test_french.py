"""Each flow in a conversation whose `language` slot is French: what the customer reads."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.billing import ActionCheckBillBalance, ActionShowInvoice
from actions.conversation import ActionHandleFallback, ActionOutOfScope
from actions.forms import ValidateBillForm, ValidateOrderForm
from actions.handover import ActionHandover
from actions.orders import ActionTrackOrder
from actions.outage import ActionCheckOutage
from actions.password import ActionResetPassword
from tests import factories as f
from tests.actions.conftest import make_tracker, render, rendered, responses, user_event

FR = {"language": "fr"}
VERIFIED = {**FR, "verified": True, "customer_id": "CUS-00001"}
NBSP, NNBSP = "\u00a0", "\u202f"
OFFER_HUMAN = "Souhaitez-vous que je vous mette en relation avec un membre de notre équipe ?"


async def test_bill(http, dispatcher, domain) -> None:
    http.get(f"{f.CRM}/customers/CUS-00001", json=f.customer())
    http.get(f"{f.BILLING}/accounts/30000001/balance", json=f.balance(amount_due="1234.50"))
    await ActionCheckBillBalance().run(dispatcher, make_tracker(VERIFIED), domain)
    assert dispatcher.messages[0]["amount"] == f"1{NNBSP}234,50{NBSP}£"
    assert dispatcher.messages[0]["due_date"] == "5 décembre 2026"
    assert rendered(dispatcher, "fr") == [
        f"Compte 30000001 : 1{NNBSP}234,50{NBSP}£ à régler au plus tard le 5 décembre 2026.",
        f"Votre dernier paiement, de 39,99{NBSP}£, a été effectué le 5 novembre 2026 par "
        "prélèvement automatique.",
        "Souhaitez-vous voir le détail de votre dernière facture ?",
    ]
    assert render(dispatcher.messages[-1], "fr")["buttons"] == [
        {"title": "Oui, montrez-moi", "payload": "/affirm"},
        {"title": "Non, merci", "payload": "/deny"},
    ]


async def test_invoice(http, dispatcher, domain) -> None:
    http.get(f"{f.CRM}/customers/CUS-00001", json=f.customer(accounts=["30000001", "30000002"]))
    http.get(f"{f.BILLING}/accounts/30000001/invoices", json=[f.invoice()])
    http.get(f"{f.BILLING}/accounts/30000002/invoices", json=[])
    await ActionShowInvoice().run(dispatcher, make_tracker(VERIFIED), domain)
    assert rendered(dispatcher, "fr") == [
        "Facture INV-202611-0001 du compte 30000001 (du 1er novembre 2026 au 30 novembre 2026) :"
        f"\n- Unlimited Plus plan : 40,00{NBSP}£\n- Roaming (3 days) : 7,50{NBSP}£"
        f"\n- Loyalty discount : -5,00{NBSP}£\nTotal : 42,50{NBSP}£ (non réglée).",
        "Le compte 30000002 n'a pas encore de facture.",
    ]


async def test_password(http, dispatcher, domain) -> None:
    http.get(f"{f.CRM}/customers/CUS-00001", json=f.customer())
    http.post(
        f"{f.IDENTITY}/password-resets",
        json={"reset_id": "r1", "sent_to": "j***@example.com", "expires_in_minutes": 30},
    )
    await ActionResetPassword().run(dispatcher, make_tracker(VERIFIED), domain)
    assert rendered(dispatcher, "fr") == [
        "Je vous ai envoyé un lien de réinitialisation du mot de passe à j***@example.com. Il est "
        "valable 30 minutes. Pour votre sécurité, ne communiquez jamais votre mot de passe : "
        "personne chez Nimbus Telecom ne vous le demandera, pas même moi."
    ]


async def test_order(http, dispatcher, domain) -> None:
    http.get(f"{f.ORDERS}/orders/ORD-100001", json=f.order())
    await ActionTrackOrder().run(
        dispatcher, make_tracker({**VERIFIED, "order_number": "ORD-100001"}), domain
    )
    assert rendered(dispatcher, "fr") == [
        "La commande ORD-100001 a été expédiée et est en cours d'acheminement.",
        "Transporteur : DPD, numéro de suivi 15501234567890. Livraison prévue le 24 novembre 2026.",
        "Dernières étapes :\n- 20 nov. 08:30 : Handed to DPD (Birmingham hub)"
        "\n- 18 nov. 10:00 : Order received",
    ]


async def test_open_orders_take_the_french_plural(http, domain) -> None:
    slots = {**VERIFIED, "order_number": "none"}
    said = []
    for orders in ([f.order(), f.order(order_number="ORD-100002")], [f.order()]):
        http.get(f"{f.ORDERS}/orders", json=orders)
        dispatcher = CollectingDispatcher()
        await ActionTrackOrder().run(dispatcher, make_tracker(slots), domain)
        said.append(rendered(dispatcher, "fr")[0])
    assert said == ["Vous avez 2 commandes en cours :", "Vous avez 1 commande en cours :"]


async def test_unknown_order_number(http, dispatcher, domain) -> None:
    http.get(f"{f.ORDERS}/orders/ORD-999999", status_code=404)
    tracker = make_tracker(FR, text="ORD-999999", candidates={"order_number": "ORD-999999"})
    await ValidateOrderForm().run(dispatcher, tracker, domain)
    assert rendered(dispatcher, "fr") == [
        "Je ne trouve pas la commande ORD-999999. Les numéros de commande ressemblent à "
        "ORD-123456 : pourriez-vous le vérifier et le saisir à nouveau ?"
    ]


async def test_known_outage(http, dispatcher, domain) -> None:
    http.get(f"{f.NETWORK}/incidents", json=[f.incident()])
    await ActionCheckOutage().run(dispatcher, make_tracker({**FR, "postcode": "M1 1AE"}), domain)
    assert dispatcher.messages[1]["services"] == "internet, téléphone fixe"
    assert rendered(dispatcher, "fr") == [
        "Oui, un incident est en cours près de M1 1AE :",
        "Broadband outage in Manchester city centre (services concernés : internet, téléphone "
        "fixe ; état : réparation en cours). Le rétablissement est prévu le 21 novembre à 18:00.",
        "Inutile de nous le signaler : nous faisons le nécessaire pour rétablir le service au "
        "plus vite.",
    ]


async def test_no_outage_offers_a_ticket(http, dispatcher, domain) -> None:
    http.get(f"{f.NETWORK}/incidents", json=[])
    await ActionCheckOutage().run(dispatcher, make_tracker({**FR, "postcode": "BS7 8AE"}), domain)
    said = rendered(dispatcher, "fr")
    assert said[0] == "Aucun incident n'est signalé près de BS7 8AE pour le moment."
    assert "Redémarrez votre box" in said[1]
    assert render(dispatcher.messages[2], "fr")["buttons"] == [
        {"title": "Oui, ouvrez un ticket", "payload": "/affirm"},
        {"title": "Non, merci", "payload": "/deny"},
    ]


def test_second_miss_offers_a_person(dispatcher, domain) -> None:
    tracker = make_tracker(
        FR, events=[user_event("blorp", "nlu_fallback")], text="florp", intent="nlu_fallback"
    )
    ActionHandleFallback().run(dispatcher, tracker, domain)
    assert rendered(dispatcher, "fr") == [
        "Désolé, je ne vous comprends toujours pas.",
        OFFER_HUMAN,
    ]
    assert render(dispatcher.messages[1], "fr")["buttons"] == [
        {"title": "Oui, je veux bien", "payload": "/request_human"},
        {"title": "Non, merci", "payload": "/deny"},
    ]


def test_out_of_scope(dispatcher, domain) -> None:
    ActionOutOfScope().run(dispatcher, make_tracker(FR, text="réservez-moi un vol"), domain)
    said = rendered(dispatcher, "fr")
    assert said[0].startswith("Désolé, je ne peux pas vous aider sur ce sujet.")
    assert said[1] == OFFER_HUMAN


async def test_handover_queue(http, dispatcher, domain) -> None:
    http.post(
        f"{f.HANDOVER}/api/handover",
        json={"status": "queued", "position": 2, "estimated_wait_seconds": 240},
    )
    await ActionHandover().run(
        dispatcher, make_tracker(FR, text="conseiller", intent="request_human"), domain
    )
    assert rendered(dispatcher, "fr") == [
        "Je vous mets en relation avec un membre de notre équipe, en lui transmettant tout ce que "
        "vous m'avez dit. Vous êtes en position 2 dans la file d'attente, pour une attente "
        "d'environ 4 minutes."
    ]


async def test_handover_ticket(http, dispatcher, domain) -> None:
    http.post(f"{f.HANDOVER}/api/handover", json={"status": "unavailable", "why": "nobody"})
    http.post(f"{f.CRM}/tickets", json=f.ticket(ticket_id="TCK-000042"))
    await ActionHandover().run(
        dispatcher, make_tracker(FR, text="conseiller", intent="request_human"), domain
    )
    assert rendered(dispatcher, "fr")[0].startswith(
        "J'ai transmis notre conversation à notre service client. Votre référence est TCK-000042."
    )


async def test_verification(http, dispatcher, domain) -> None:
    http.post(f"{f.CRM}/identity/verify", json={"verified": True, "customer_id": "CUS-00001"})
    http.get(f"{f.CRM}/customers/CUS-00001", json=f.customer(language="fr"))
    tracker = make_tracker(
        {**FR, "account_number": "30000001", "verification_method": "dob"},
        text="14/03/1985",
        candidates={"date_of_birth": "14/03/1985"},
    )
    await ValidateBillForm().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_verified_named"]
    assert rendered(dispatcher, "fr") == ["Merci Jane, votre identité est confirmée."]


async def test_backend_error(http, dispatcher, domain) -> None:
    http.get(f"{f.CRM}/customers/CUS-00001", status_code=503)
    await ActionCheckBillBalance().run(dispatcher, make_tracker(VERIFIED), domain)
    assert rendered(dispatcher, "fr") == [
        "Désolé, je n'arrive pas à joindre notre fichier clients pour le moment, je ne peux donc "
        "pas vous répondre.",
        OFFER_HUMAN,
    ]
