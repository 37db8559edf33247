"""What the gateway itself says to customers, in every language the widget offers."""

LANGUAGES = ("en", "fr")
# What the gateway says itself when Rasa does not answer.
WITHOUT_THE_BOT = {
    "en": {
        "apology": "Sorry, I'm having trouble answering right now. Please try again in a "
        "moment, or talk to a person from our team.",
        "button": "Talk to a person",
        "queued": "I'm passing you to a member of our team.",
        "nobody": "Sorry, nobody from our team is available right now. Please try again later.",
    },
    "fr": {
        "apology": "Désolé, je n'arrive pas à répondre pour le moment. Réessayez dans un "
        "instant, ou parlez à une personne de notre équipe.",
        "button": "Parler à un conseiller",
        "queued": "Je vous mets en relation avec un membre de notre équipe.",
        "nobody": "Désolé, personne de notre équipe n'est disponible pour le moment. "
        "Merci de réessayer plus tard.",
    },
}
# What the gateway says itself around a handover; `line` fills in the placeholders.
HANDOVER_LINES = {
    "en": {
        "joined": "{name} from our support team has joined.",
        "transferred": "{name} from our team is taking over.",
        "to_skill": "I'm passing you to our {skill} team: you're first in line.",
        "closed": "{name} has closed the conversation. Thank you! Write to us again any time.",
        "ended": "You ended the conversation. Write to us again any time.",
        "ticket": "Sorry, nobody from our team is free right now. I've passed your conversation "
        "on: your reference is {reference}, and we'll contact you within one working day.",
        "no_ticket": "Sorry, nobody from our team is free right now. "
        "Please call us on 0800 000 0123.",
        "requeued": "Sorry, we lost our connection to the person helping you. You're first in "
        "the queue for the next member of our team.",
        "handed_back": "You're back with the virtual assistant.",
    },
    "fr": {
        "joined": "{name}, de notre équipe d'assistance, a rejoint la conversation.",
        "transferred": "{name}, de notre équipe, prend le relais.",
        "to_skill": "Je vous transfère à notre service {skill} : vous êtes prioritaire dans "
        "la file d'attente.",
        "closed": "{name} a clôturé la conversation. Merci de nous avoir contactés ! "
        "Écrivez-nous à nouveau quand vous le souhaitez.",
        "ended": "Vous avez mis fin à la conversation. Écrivez-nous à nouveau quand vous le "
        "souhaitez.",
        "ticket": "Désolés, aucun conseiller n'est disponible pour le moment. Nous avons "
        "transmis votre demande à notre équipe : votre référence est {reference}, et nous vous "
        "recontacterons sous un jour ouvré.",
        "no_ticket": "Désolés, aucun conseiller n'est disponible pour le moment. Vous pouvez "
        "nous appeler au 0800 000 0123.",
        "requeued": "Désolés, nous avons perdu la connexion avec votre conseiller. Vous êtes en "
        "tête de file pour le prochain membre de notre équipe.",
        "handed_back": "Vous êtes de nouveau avec l'assistant virtuel.",
    },
}
# The agents' skills as customers read them in `to_skill`.
SKILL_NAMES = {
    "en": {},
    "fr": {
        "billing": "facturation",
        "network": "réseau",
        "orders": "commandes",
        "accounts": "comptes clients",
        "general": "client",
    },
}


def line(language: str, key: str, **values: str) -> str:
    """The gateway's `key` line in `language` (English when the language is not offered)."""
    language = language if language in LANGUAGES else "en"
    if "skill" in values:
        values["skill"] = SKILL_NAMES[language].get(values["skill"], values["skill"])
    return HANDOVER_LINES[language][key].format(**values)
