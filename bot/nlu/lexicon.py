"""The domain's vocabulary (`data/lexicon/`, one file per topic): agencies with their acronyms
and old names, procedures with the public's paraphrases, documents, registries, benefits and
everyday words — and the matters that are not a KEP's at all, with who handles them.

Used in three places: the intent classifier (training examples generated from the templates in
`data/lexicon_templates.yml`), the catalogue search of the clerk and of the bot's fallback
(handoff/catalogue_search.py), and the out-of-scope answer ("who handles it").

Matching works on stems of the normal form (`greek_text.normalise`), so "ταυτότητα",
"ΤΑΥΤΟΤΗΤΑΣ", "taftotites" and "ταυτοτήτων" are one word. Pure Python, no Rasa import.
"""
from __future__ import annotations

import hashlib
import itertools
import re
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from pathlib import Path

import yaml

from .greek_text import normalise

LEXICON_DIR = Path(__file__).resolve().parents[2] / "data" / "lexicon"
TEMPLATES = LEXICON_DIR.with_name("lexicon_templates.yml")
OUT_OF_SCOPE = "out_of_scope"

# Inflection endings of the normal form (η/υ/ει/οι → ι, ω → ο, αι → ε already merged), longest
# first. A stem keeps at least three letters, so acronyms and short words stay whole.
_ENDINGS = sorted(
    {"ματοσ", "ματον", "ματα", "ιοσ", "ιον", "ιου", "ιασ", "ιεσ", "εοσ", "εον", "εασ", "ισ", "οσ", "ου",
     "ον", "ασ", "εσ", "ια", "ιο", "α", "ε", "ι", "ο", "σ"},
    key=len, reverse=True,
)
_MIN_STEM = 3
_WORD = re.compile(r"[0-9α-ωa-z]+")
# Words that say nothing of the topic: articles, pronouns, particles, and the verbs every request
# starts with. Left out of matching, so "η άδεια οδήγησης" and "άδεια οδήγησης" are one phrase.
_STOPWORDS = frozenset(normalise(w) for w in (
    "ο η το οι τα τον την τη της του των τους τις στο στη στην στον στα στις στους μου σου μας σας "
    "και να θα με σε για από πώς πού που τι ποιο ποια ποιος ένα μια μία ένας έναν είναι έχω θέλω "
    "μπορώ πρέπει αν ότι δεν μη"
).split())


def stem(word: str) -> str:
    """The word without its inflection ending (for words already in normal form)."""
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_STEM:
            return word[: -len(ending)]
    return word


def stems(text: str) -> list[str]:
    """The stems of a text's content words, as citizens type it, in order."""
    return [stem(w) for w in _WORD.findall(normalise(text)) if w not in _STOPWORDS]


class EntryKind(str, Enum):
    AGENCY = "agencies"
    PROCEDURE = "procedures"
    TERM = "terms"
    MATTER = "matters"  # not a KEP matter (out_of_scope.yml)


@dataclass(frozen=True)
class Entry:
    topic: str
    kind: EntryKind
    name: str
    aliases: tuple[str, ...]
    handled_by: str = ""  # only for matters outside the KEPs

    @property
    def phrases(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Match:
    entry: Entry
    phrase: str
    length: int  # words of the phrase matched: longer phrases say more


@dataclass
class Lexicon:
    entries: list[Entry]
    templates: dict[EntryKind, list[str]] = field(default_factory=dict)
    _index: dict[str, list[tuple[tuple[str, ...], Entry, str]]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        # Every phrase under its first stem: a message is scanned once, word by word.
        for entry in self.entries:
            for phrase in entry.phrases:
                key = tuple(stems(phrase))
                if key:
                    self._index.setdefault(key[0], []).append((key, entry, phrase))

    def matches(self, text: str) -> list[Match]:
        """Every lexicon phrase found in the text (as a run of stems), longest first; a phrase
        inside a longer one that matched at the same place is not counted again."""
        words = stems(text)
        found: list[Match] = []
        covered: set[int] = set()
        candidates = []
        for i, word in enumerate(words):
            for key, entry, phrase in self._index.get(word, ()):
                if tuple(words[i : i + len(key)]) == key:
                    candidates.append((i, key, entry, phrase))
        for i, key, entry, phrase in sorted(candidates, key=lambda c: -len(c[1])):
            span = set(range(i, i + len(key)))
            if span <= covered:
                continue
            covered |= span
            found.append(Match(entry, phrase, len(key)))
        return found

    def topic_weights(self, text: str) -> dict[str, float]:
        """How strongly the text names each topic's vocabulary (matched words, summed)."""
        weights: dict[str, float] = {}
        for m in self.matches(text):
            weights[m.entry.topic] = weights.get(m.entry.topic, 0.0) + m.length
        return weights

    def outside_matter(self, text: str) -> Entry | None:
        """The non-KEP matter the text is most clearly about, if it names one and no KEP topic
        more strongly."""
        weights = self.topic_weights(text)
        best = max(weights, key=weights.__getitem__, default=None)
        if best != OUT_OF_SCOPE:
            return None
        return max((m for m in self.matches(text) if m.entry.topic == OUT_OF_SCOPE), key=lambda m: m.length).entry

    def training_examples(self) -> list[tuple[str, str]]:
        """(text, intent) pairs from the templates: every phrase of every entry, in a few of the
        templates of its kind (taken in turn, so the examples vary without randomness)."""
        examples = []
        for entry in self.entries:
            templates = self.templates.get(entry.kind) or ["{}"]
            turn = itertools.cycle(templates)
            intent = OUT_OF_SCOPE if entry.topic == OUT_OF_SCOPE else f"topic_{entry.topic}"
            for phrase in entry.phrases:
                for _ in range(min(2, len(templates))):
                    examples.append((next(turn).format(phrase), intent))
        return examples


def _entries(data: dict) -> list[Entry]:
    topic = data["topic"]
    return [
        Entry(topic, kind, item["name"], tuple(item.get("aliases") or ()), item.get("handled_by", ""))
        for kind in EntryKind
        for item in data.get(kind.value) or ()
    ]


def load(directory: Path = LEXICON_DIR, templates: Path = TEMPLATES) -> Lexicon:
    entries = [e for path in sorted(directory.glob("*.yml")) for e in _entries(yaml.safe_load(path.read_text(encoding="utf-8")))]
    raw = yaml.safe_load(templates.read_text(encoding="utf-8"))
    return Lexicon(entries, {EntryKind(k): list(v) for k, v in raw.items()})


def lexicon_fingerprint(directory: Path = LEXICON_DIR, templates: Path = TEMPLATES) -> str:
    """A digest of the lexicon's files and templates."""
    digest = hashlib.sha256()
    for path in [*sorted(directory.glob("*.yml")), templates]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    return load()
