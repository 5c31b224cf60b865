"""Search over the topic catalogue for the clerk (during preparation and the call): topic
labels, descriptions, procedures and documents, matched in the same Greek normal form the
bot uses, so "διαβατήριο", "ΔΙΑΒΑΤΗΡΙΟ" and "diavatirio" find the same things."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from bot.nlu.greek_text import normalise  # pure Python, shared with the bot on purpose

from .topics import Topic

MAX_RESULTS = 10


def _words(text: str) -> list[str]:
    return normalise(text).split()


def _matches(query_words: list[str], text: str) -> bool:
    """Every query word starts some word of the text (prefixes: "διαβατ" finds "διαβατήριο")."""
    words = _words(text)
    return all(any(w.startswith(q) for w in words) for q in query_words)


def search(topics: list[Topic], query: str) -> list[dict[str, Any]]:
    query_words = _words(query)[:8]
    if not query_words:
        return []
    results = []
    for topic in topics:
        texts = [topic.label, topic.description, *topic.procedures, *topic.documents]
        if not any(_matches(query_words, t) for t in texts):
            continue
        results.append({
            "topic": topic.id,
            "label": topic.label,
            "procedures": [p for p in topic.procedures if _matches(query_words, p)] or topic.procedures[:3],
            "links": [asdict(link) for link in topic.links],
        })
    return results[:MAX_RESULTS]
