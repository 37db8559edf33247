"""Messages grouped by meaning, whatever their language or spelling: the trainer's inbox rows.

Texts that read the same once `reporting.bot_facts.normalised` are one text, encoded once by
the NLU's multilingual sentence encoder (`nlu.encoders`, "use"); the distinct texts are then
clustered by SciPy (average linkage on cosine distance, cut at `THRESHOLD`). A group is shown
by its medoid and says how close its messages are to it.

The threshold was chosen on the repo's labelled hold-out messages (tests/data/holdout.jsonl and
holdout_fr.jsonl, English and French together, 679 messages, 9 intents and 189 out-of-scope
ones): `python -m trainer.grouping` prints the table below. Purity: share of the intents'
messages in a group whose most common intent is theirs; together: share in their intent's
largest group; F: their harmonic mean; out of scope joined: share of out-of-scope messages
grouped with an intent's; both languages: share of the intents' messages in a group holding
French and English.

    distance  groups  purity  together     F  out of scope joined  both languages
        0.50     285   0.961     0.310 0.469                0.042           0.600
        0.60     180   0.916     0.441 0.595                0.095           0.792
        0.65     130   0.904     0.571 0.700                0.164           0.902
        0.70      87   0.865     0.749 0.803                0.201           0.941
        0.75      55   0.853     0.835 0.844                0.217           0.967
        0.80      29   0.673     0.896 0.769                0.439           0.992
        0.85      13   0.369     0.955 0.533                0.852           1.000

F is best at 0.75 (a plateau from 0.70); past 0.75, different requests and out-of-scope
chatter merge fast. A bigger threshold hides what the bot missed behind what it knows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage

from reporting.bot_facts import normalised

Encode = Callable[[list[str]], np.ndarray]
THRESHOLD = 0.75  # cosine distance at which average linkage stops merging (table above)
# Linkage holds n(n-1)/2 distances (100 MB as float64 for 5,000) and the encoder takes some
# 2 ms a text. Measured (2 shared cores; time.perf_counter around one call, the encoder built
# before; peak from tracemalloc in a second call, and ru_maxrss growth): 1,000 distinct texts
# 1.6 s (encoding 1.5 s), 9 MiB traced, +15 MiB RSS; 5,000: 14 s (encoding 11 s), 129 MiB
# traced, +226 MiB RSS. Past this many distinct texts, the rarest are left ungrouped.
MAX_TEXTS = 5_000


@dataclass(frozen=True)
class MeaningGroup:
    """Texts that mean the same: `members` are indices into the texts given, ascending.

    `representative` is the medoid's most frequent spelling (the text with the highest mean
    similarity to the group's other messages); `cohesion` is that mean (1.0 for one text).
    `ungrouped`: a text past the `MAX_TEXTS` most frequent, never compared with the others.
    """

    members: tuple[int, ...]
    representative: str
    cohesion: float
    ungrouped: bool = False

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass
class _Text:
    """One distinct text (normalised key): the indices of its spellings, first seen first."""

    indices: list[int]
    spellings: Counter[str]

    @property
    def spelling(self) -> str:
        # The most frequent spelling; of equally frequent ones, the first seen (Counter order).
        return self.spellings.most_common(1)[0][0]


def group_by_meaning(
    texts: Sequence[str], *, encode: Encode | None = None, threshold: float = THRESHOLD
) -> list[MeaningGroup]:
    """The texts grouped by meaning, largest group first, then by representative text.

    `encode` maps texts to unit vectors (n, dim); the NLU's encoder by default. Raises
    ValueError for a text that is not a string, a threshold outside [0, 2] or an encoder
    whose output is not one finite, non-zero vector per text.
    """
    if not 0.0 <= threshold <= 2.0:
        raise ValueError("threshold must be a cosine distance, between 0 and 2")
    distinct = _distinct(texts)
    if not distinct:
        return []
    compared, ungrouped = distinct[:MAX_TEXTS], distinct[MAX_TEXTS:]
    vectors = _encoded([text.spelling for text in compared], encode)
    if len(compared) == 1:
        labels = np.ones(1, dtype=int)
    else:
        tree = linkage(vectors, method="average", metric="cosine")
        labels = fcluster(tree, t=threshold, criterion="distance")
    clusters: dict[int, list[int]] = {}
    for position, label in enumerate(labels.tolist()):
        clusters.setdefault(label, []).append(position)
    groups = [_group([compared[i] for i in ids], vectors[ids]) for ids in clusters.values()]
    groups += [MeaningGroup(tuple(t.indices), t.spelling, 1.0, ungrouped=True) for t in ungrouped]
    return sorted(groups, key=lambda g: (-g.size, g.representative, g.members))


def _distinct(texts: Sequence[str]) -> list[_Text]:
    """The distinct texts, most frequent first, then by key (the size guard keeps the first)."""
    found: dict[str, _Text] = {}
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise ValueError(f"text {index} is a {type(text).__name__}, not a string")
        entry = found.setdefault(normalised(text), _Text([], Counter()))
        entry.indices.append(index)
        entry.spellings[text] += 1
    ranked = sorted(found.items(), key=lambda item: (-len(item[1].indices), item[0]))
    return [text for _, text in ranked]


def _encoded(texts: list[str], encode: Encode | None) -> np.ndarray:
    if encode is None:
        from nlu.encoders import encoder  # builds the weights on first use (a few seconds)

        encode = encoder("use")
    vectors = np.asarray(encode(texts), dtype=np.float64)
    if vectors.ndim != 2 or vectors.shape[0] != len(texts) or vectors.shape[1] == 0:
        raise ValueError(f"the encoder returned shape {vectors.shape} for {len(texts)} texts")
    norms = np.linalg.norm(vectors, axis=1)
    if not np.isfinite(vectors).all() or not (norms > 0).all():
        raise ValueError("the encoder returned a vector that is zero or not finite")
    return vectors / norms[:, None]  # unit length, so a dot product is the cosine


def _group(texts: list[_Text], vectors: np.ndarray) -> MeaningGroup:
    counts = np.array([len(text.indices) for text in texts], dtype=np.float64)
    messages = counts.sum()
    if messages == 1:
        return MeaningGroup(tuple(texts[0].indices), texts[0].spelling, 1.0)
    # Each distinct text's mean similarity to the group's other messages (its own copies
    # count, at similarity 1: a message sent often is where the group's centre lies).
    similarity = vectors @ vectors.T
    means = (similarity @ counts - 1.0) / (messages - 1.0)
    best = min(range(len(texts)), key=lambda i: (-round(float(means[i]), 9), -counts[i], i))
    members = tuple(sorted(index for text in texts for index in text.indices))
    return MeaningGroup(members, texts[best].spelling, float(np.clip(means[best], -1.0, 1.0)))


def _check(threshold: float) -> dict[str, float]:
    """The figures of the module's table at `threshold`, on the repo's hold-out messages."""
    import json
    from pathlib import Path

    folder = Path(__file__).resolve().parent.parent / "tests" / "data"
    rows = [
        {**json.loads(line), "language": language}
        for name, language in (("holdout.jsonl", "en"), ("holdout_fr.jsonl", "fr"))
        for line in (folder / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    group_of = {}
    groups = group_by_meaning([row["text"] for row in rows], threshold=threshold)
    for number, group in enumerate(groups):
        group_of.update(dict.fromkeys(group.members, number))
    intents = [i for i, row in enumerate(rows) if row["intent"] != "OOS"]
    out_of_scope = [i for i, row in enumerate(rows) if row["intent"] == "OOS"]
    by_group: dict[int, Counter[str]] = {}
    by_intent: dict[str, Counter[int]] = {}
    for i in intents:
        by_group.setdefault(group_of[i], Counter())[rows[i]["intent"]] += 1
        by_intent.setdefault(rows[i]["intent"], Counter())[group_of[i]] += 1
    purity = sum(max(c.values()) for c in by_group.values()) / len(intents)
    together = sum(max(c.values()) for c in by_intent.values()) / len(intents)
    languages = [{rows[i]["language"] for i in g.members} for g in groups]
    return {
        "groups": len(groups),
        "purity": purity,
        "together": together,
        "F": 2 * purity * together / (purity + together),
        "out of scope joined": sum(group_of[i] in by_group for i in out_of_scope)
        / len(out_of_scope),
        "both languages": sum(len(languages[group_of[i]]) == 2 for i in intents) / len(intents),
    }


if __name__ == "__main__":
    print("    distance  groups  purity  together     F  out of scope joined  both languages")
    for distance in (0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85):
        f = _check(distance)
        print(
            f"        {distance:.2f}  {f['groups']:6.0f}  {f['purity']:6.3f}  {f['together']:8.3f}"
            f" {f['F']:.3f}  {f['out of scope joined']:19.3f}  {f['both languages']:14.3f}"
        )
