"""Socket.IO namespaces: customers on `/` (Rasa's protocol), agents on `/agent`."""
