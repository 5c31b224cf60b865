"""Is a message in English? The service is in Greek; an English message gets a short English
reply (the service's language, the KEP line, the topics) instead of a Greek misunderstanding.

Greeklish is Latin letters too, so only words that are not also common Greeklish count as English
("to", "me", "an", "i", "na" are Greek articles and particles in Latin letters).
"""
from __future__ import annotations

import re

_GREEK = re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]")
_WORD = re.compile(r"[a-z']+")
_ENGLISH = frozenset(
    "the is are am was were be been my your our their this that these those what where when why how who which "
    "can could would should will do does did have has had need needs want wants please hello hi hey thanks thank "
    "you i'm it's don't can't of for with from about and or but not help speak english greek appointment "
    "lost stolen renew apply get make book office certificate card passport residence permit tax number".split()
)


def is_english(text: str) -> bool:
    """True for text in Latin letters with English words in it (at least one, and at least 40 %
    of the words when there are more than two)."""
    if _GREEK.search(text):
        return False
    words = _WORD.findall(text.lower())
    english = sum(w in _ENGLISH for w in words)
    return english >= 1 and (len(words) <= 2 or english / len(words) >= 0.4)
