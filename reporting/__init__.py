"""KPIs: what happened to conversations, recorded for reports."""
