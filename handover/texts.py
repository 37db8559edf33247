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
