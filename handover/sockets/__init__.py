"""Socket.IO namespaces: customers on `/` (Rasa's protocol), agents on `/agent`.

Both dispatch through `base.GuardedNamespace` (rate, event names and payloads checked first);
`credentials` issues and checks the customers' session ids and secrets.
"""
