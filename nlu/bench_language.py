"""`python -m nlu.bench_language [--lazy]`: the cost of language detection per process.

Prints the time to build the detector, the memory it adds to the process (its models), and
the time to assess one customer message (first, slowest, p50, p95) over 500 short made-up
messages in English, in French, and without language (references, numbers, emoji).
With --lazy, the detector loads each model when a message first needs it, as lingua does
by default; run each mode in its own process (lingua keeps loaded models process-wide).
"""

from __future__ import annotations

import argparse
import os
import time
import unicodedata
from collections.abc import Iterator
from unittest import mock

from nlu import language

ENGLISH = [
    "my bill is too high this month",
    "I want to talk to someone",
    "can you check my balance please",
    "where is my order",
    "my internet has been down since this morning",
    "I forgot my password",
    "how do I reset my password",
    "is there an outage in my area",
    "I was charged twice",
    "why is my bill so expensive",
    "when will my parcel arrive",
    "the broadband keeps dropping",
    "can I speak to a human please",
    "I need help with my account",
    "thanks for your help",
    "that's not what I asked",
    "no that's wrong",
    "yes please go ahead",
    "I'd like to cancel my contract",
    "how much do I owe you",
    "my phone has no signal",
    "the delivery is late again",
    "I never received my order",
    "could you send me the invoice",
    "what are your opening hours",
    "I'm not happy with the service",
    "please connect me to an agent",
    "my wifi is really slow today",
    "the router lights are flashing red",
    "I moved house and need to update my address",
]
FRENCH = [
    "ma facture est trop élevée ce mois-ci",
    "je veux parler à quelqu'un",
    "pouvez-vous vérifier mon solde",
    "où est ma commande",
    "internet ne marche plus depuis ce matin",
    "j'ai oublié mon mot de passe",
    "comment réinitialiser mon mot de passe",
    "y a-t-il une panne dans mon quartier",
    "on m'a prélevé deux fois",
    "pourquoi ma facture est si chère",
    "quand est-ce que mon colis arrive",
    "la connexion coupe tout le temps",
    "je voudrais parler à un conseiller",
    "j'ai besoin d'aide avec mon compte",
    "merci beaucoup pour votre aide",
    "ce n'est pas ce que j'ai demandé",
    "non c'est faux",
    "oui allez-y s'il vous plaît",
    "je voudrais résilier mon abonnement",
    "combien est-ce que je vous dois",
    "mon téléphone n'a pas de réseau",
    "la livraison est encore en retard",
    "je n'ai jamais reçu ma commande",
    "pouvez-vous m'envoyer la facture",
    "quels sont vos horaires d'ouverture",
    "je ne suis pas satisfait du service",
    "mettez-moi en relation avec un agent",
    "le wifi est très lent aujourd'hui",
    "les voyants de la box clignotent en rouge",
    "j'ai déménagé et je dois changer mon adresse",
]
NO_LANGUAGE = [
    "ok", "oui", "yes", "non", "no", "ORD-100001", "ACC-20004512", "SW1A 1AA", "75008",
    "0612345678", "12", "😀", "👍👍", "?", "...", "ok!", "42 €", "/affirm", "", "k",
]  # fmt: skip


def messages() -> Iterator[str]:
    """500 messages: each sentence as typed, variants of it, and messages without language."""
    for sentence in ENGLISH + FRENCH:
        yield sentence
        yield sentence.capitalize() + "?"
        yield sentence.upper()
        yield sentence.split()[0] + " " + sentence.split()[-1]  # two words of it
        yield f"{sentence} ORD-100001"
        yield without_accents(sentence)
        yield f"{sentence}. {sentence}"
    for _ in range(4):
        yield from NO_LANGUAGE


def without_accents(text: str) -> str:
    """The text as many people type French: without accents."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def rss_mb() -> float:
    """This process's resident memory, in MB (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def percentile(sorted_values: list[float], share: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * share))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lazy", action="store_true", help="do not preload the models")
    lazy = parser.parse_args().lazy
    texts = list(messages())
    before = rss_mb()
    start = time.perf_counter()
    built = language.build_detector(preload=not lazy)
    print(
        f"detector built ({'lazy' if lazy else 'models preloaded'}) in "
        f"{(time.perf_counter() - start) * 1000:.0f} ms, "
        f"memory added: {rss_mb() - before:.0f} MB"
    )
    times = []
    # assess() asks for the process's detector: this one, built in the mode asked for.
    with mock.patch.object(language, "detector", return_value=built):
        for text in texts:
            start = time.perf_counter()
            language.assess(text)
            times.append((time.perf_counter() - start) * 1000)
    print(f"after {len(texts)} messages, memory added: {rss_mb() - before:.0f} MB")
    print(f"first message {times[0]:.1f} ms; slowest {max(times):.1f} ms")
    times.sort()
    print(f"per message: p50 {percentile(times, 0.5):.3f} ms, p95 {percentile(times, 0.95):.3f} ms")


if __name__ == "__main__":
    main()
