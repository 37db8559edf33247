"""The bot-trainer workspace: what the bot misunderstood, grouped by meaning (`inbox`), and
labelled into training data safely (`labels`)."""
