"""Which customer messages the NLU missed or doubted, read from Rasa's user events.

`reporting.bot_facts` keeps one `Miss` per such message of a session, and
`reporting.session_facts` stores them in `misunderstood_texts` for the dashboard's
"misunderstood" figure and the trainer's inbox (`trainer.inbox_sources`). Each says why:

- "fallback": the NLU fell back (`nlu_fallback`: under the FallbackClassifier's threshold, too
  close to call, or vetoed by `nlu.guard`);
- "out_of_scope": the NLU understood it as outside what the bot does;
- "low_confidence": the NLU named an intent with less confidence than the threshold
  (`REPORTING_LOW_CONFIDENCE`, `DEFAULT_LOW_CONFIDENCE` by default). Only the trainer's inbox
  reads these. A higher threshold keeps more, at a cost: each kept text is redacted again
  (2,000 seeded conversations, whose confidences start at 0.62, fold in 20 s at 0.8 against
  1.4 s at 0.6), and it applies to the events folded from then on.

and what the NLU made of it: for a fallback, the intent it would have named (the ranking's
first that is not `nlu_fallback`, as the FallbackClassifier and `nlu.guard` put theirs on top),
else the intent it named, with its confidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args

MissSource = Literal["fallback", "out_of_scope", "low_confidence"]
MISS_SOURCES: tuple[MissSource, ...] = get_args(MissSource)
# The dashboard's "misunderstood" messages: the NLU could not place them.
MISUNDERSTOOD: tuple[MissSource, ...] = ("fallback", "out_of_scope")
FALLBACK_INTENT, OUT_OF_SCOPE_INTENT = "nlu_fallback", "out_of_scope"
# With the FallbackClassifier at 0.4 (config.yml), messages from 0.4 to this are the NLU's
# doubtful guesses.
DEFAULT_LOW_CONFIDENCE = 0.6


@dataclass(frozen=True)
class Miss:
    """A customer message the NLU could not place or placed with low confidence: when, its
    text as stored (redacted by the tracker store; `reporting.session_facts` redacts it again
    before keeping it), why, and what the NLU made of it (None where Rasa recorded nothing).

    Two misses compare by time and text: what the NLU made of a message goes with it."""

    at: datetime
    text: str
    source: MissSource = field(default="fallback", compare=False)
    intent: str | None = field(default=None, compare=False)
    confidence: float | None = field(default=None, compare=False)


def miss_of(
    event: dict[str, Any],
    at: datetime,
    intent: str | None,
    *,
    low_confidence: float = DEFAULT_LOW_CONFIDENCE,
) -> Miss | None:
    """The miss a typed user event is, if any; `intent` is its intent as the reports name it
    (`bot_facts.intent_of`: a retrieval intent's full name)."""
    text = event.get("text")
    if intent is None or not isinstance(text, str) or not text.strip():
        return None
    parse_data = event.get("parse_data")
    top = parse_data.get("intent") if isinstance(parse_data, dict) else None
    confidence = confidence_of(top)
    if intent == OUT_OF_SCOPE_INTENT:
        return Miss(at, text, "out_of_scope", intent, confidence)
    if intent == FALLBACK_INTENT:
        guess = _guess(parse_data)
        if guess is None:
            return Miss(at, text, "fallback", intent, confidence)
        return Miss(at, text, "fallback", guess[0], guess[1])
    if confidence is not None and confidence < low_confidence:
        return Miss(at, text, "low_confidence", intent, confidence)
    return None


def confidence_of(entry: Any) -> float | None:
    """An intent entry's confidence (`{"name": ..., "confidence": ...}`), None unless 0 to 1."""
    value = entry.get("confidence") if isinstance(entry, dict) else None
    # bool is an int: never a confidence
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1:
        return float(value)
    return None


def _guess(parse_data: Any) -> tuple[str, float | None] | None:
    """The intent the NLU would have named without falling back, with its confidence."""
    ranking = parse_data.get("intent_ranking") if isinstance(parse_data, dict) else None
    for entry in ranking if isinstance(ranking, list) else []:
        name = entry.get("name") if isinstance(entry, dict) else None
        if isinstance(name, str) and name and name != FALLBACK_INTENT:
            return name, confidence_of(entry)
    return None
