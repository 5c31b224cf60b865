"""The one ranked search over the topic catalogue: the clerk's search (while preparing and
during the call) and the bot's fallback ("Μήπως αφορά: …;") both ask it.

Every topic is a few documents — its label and description, its documents to bring, each
procedure with the paraphrases of the lexicon (`data/lexicon/`), and its agencies and terms —
in stems of the bot's normal form, so accents, capitals, Greeklish and inflection do not matter.
BM25 (rank_bm25) scores them; a topic ranks by its best document, and the procedures that
matched are shown with it. A query word still being typed ("διαβατ") stands for the words it
begins.
"""
from __future__ import annotations

import csv
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rank_bm25 import BM25Okapi

from bot.nlu.lexicon import Entry, EntryKind, Lexicon, default_lexicon, stems  # pure Python, shared with the bot

from .topics import Topic

MAX_RESULTS = 10
MAX_QUERY_WORDS = 12
SHOWN_PROCEDURES = 3
# Documents to bring ("αστυνομική ταυτότητα") are listed under almost every topic: a match
# there says little about the topic.
_DOCUMENTS_WEIGHT = 0.3
_MIN_PREFIX = 3
# A topic far behind the best one matched only in passing (a document it also asks for): not shown.
_MIN_SHARE_OF_BEST = 0.35


@dataclass(frozen=True)
class _Document:
    topic: str
    procedure: str | None  # the procedure this document describes, if any
    weight: float


@dataclass(frozen=True)
class SearchResult:
    topic: str
    label: str
    score: float
    procedures: list[str]  # the matched procedures, best first (or the topic's first ones)
    matched_procedure: str | None  # the best-matching procedure, if one matched
    links: list[dict[str, str]]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class CatalogueSearch:
    def __init__(self, topics: list[Topic], lexicon: Lexicon | None = None) -> None:
        lexicon = lexicon or default_lexicon()
        self._topics = {t.id: t for t in topics}
        by_topic: dict[str, list[Entry]] = {}
        for entry in lexicon.entries:
            by_topic.setdefault(entry.topic, []).append(entry)
        documents: list[_Document] = []
        texts: list[list[str]] = []

        def add(document: _Document, *phrases: str) -> None:
            documents.append(document)
            texts.append([s for p in phrases for s in stems(p)])

        for topic in topics:
            entries = by_topic.get(topic.id, [])
            vocabulary = [p for e in entries if e.kind is not EntryKind.PROCEDURE for p in e.phrases]
            add(_Document(topic.id, None, 1.0), topic.label, topic.label, topic.description, *vocabulary)
            add(_Document(topic.id, None, _DOCUMENTS_WEIGHT), *topic.documents)
            procedures = {e.name: e.phrases for e in entries if e.kind is EntryKind.PROCEDURE}
            for name in topic.procedures:
                procedures.setdefault(name, (name,))
            for name, phrases in procedures.items():
                add(_Document(topic.id, name, 1.0), topic.label, *phrases)
        self._documents = documents
        self._bm25 = BM25Okapi(texts)
        self._vocabulary = sorted({w for text in texts for w in text})

    def _query_words(self, query: str) -> list[str]:
        words = []
        known = set(self._vocabulary)
        for word in stems(query)[:MAX_QUERY_WORDS]:
            if word in known or len(word) < _MIN_PREFIX:
                words.append(word)
            else:  # a word being typed: the words it begins
                words += [w for w in self._vocabulary if w.startswith(word)] or [word]
        return words

    def search(self, query: str, limit: int = MAX_RESULTS) -> list[SearchResult]:
        words = self._query_words(query)
        if not words:
            return []
        scores = self._bm25.get_scores(words)
        best: dict[str, float] = {}
        procedures: dict[str, list[tuple[float, str]]] = {}
        for document, score in zip(self._documents, scores, strict=True):
            score = float(score) * document.weight
            if score <= 0:
                continue
            best[document.topic] = max(best.get(document.topic, 0.0), score)
            if document.procedure:
                procedures.setdefault(document.topic, []).append((score, document.procedure))
        results = []
        ranked = sorted(best.items(), key=lambda item: -item[1])
        ranked = [(t, s) for t, s in ranked if s >= _MIN_SHARE_OF_BEST * ranked[0][1]] if ranked else []
        for topic_id, score in ranked[:limit]:
            topic = self._topics[topic_id]
            matched = [name for _, name in sorted(procedures.get(topic_id, []), key=lambda p: -p[0])]
            results.append(SearchResult(
                topic=topic_id,
                label=topic.label,
                score=round(score, 3),
                procedures=matched[:SHOWN_PROCEDURES] or topic.procedures[:SHOWN_PROCEDURES],
                matched_procedure=matched[0] if matched else None,
                links=[asdict(link) for link in topic.links],
            ))
        return results


@dataclass(frozen=True)
class OutsideMatter:
    """A matter that is not a KEP's, and who handles it (data/lexicon/out_of_scope.yml)."""

    name: str
    handled_by: str


_INDEXES: dict[tuple, CatalogueSearch] = {}


def _index_for(topics: list[Topic]) -> CatalogueSearch:
    """One index per catalogue version (the catalogue rarely changes; building takes ~10 ms)."""
    key = tuple((t.id, t.label, t.description, tuple(t.procedures), tuple(t.documents)) for t in topics)
    if key not in _INDEXES:
        _INDEXES.clear()
        _INDEXES[key] = CatalogueSearch(topics)
    return _INDEXES[key]


def search(topics: list[Topic], query: str, limit: int = MAX_RESULTS) -> list[SearchResult]:
    return _index_for(topics).search(query, limit)


def outside_matter(query: str) -> OutsideMatter | None:
    entry = default_lexicon().outside_matter(query)
    return OutsideMatter(entry.name, entry.handled_by) if entry else None


@dataclass(frozen=True)
class CatalogueAnswer:
    """What a query points to: topics of the catalogue, and a matter that is not a KEP's."""

    results: list[SearchResult]
    outside: OutsideMatter | None

    def to_dict(self) -> dict[str, Any]:
        return {"results": [r.to_dict() for r in self.results], "outside": asdict(self.outside) if self.outside else None}


def answer(topics: list[Topic], query: str, limit: int = MAX_RESULTS) -> CatalogueAnswer:
    return CatalogueAnswer(search(topics, query, limit), outside_matter(query))


def evaluate(topics: list[Topic], queries: list[dict[str, str]]) -> dict[str, Any]:
    """MRR of the expected topic over clerk queries (query, topic, procedure), and how often the
    expected procedure is among those shown with its topic."""
    reciprocal, top1, procedure_hits, with_procedure, misses = 0.0, 0, 0, 0, []
    for q in queries:
        results = search(topics, q["query"])
        ranks = [i for i, r in enumerate(results, 1) if r.topic == q["topic"]]
        reciprocal += 1 / ranks[0] if ranks else 0.0
        top1 += ranks[:1] == [1]
        if ranks[:1] != [1]:
            misses.append({"query": q["query"], "expected": q["topic"], "first": results[0].topic if results else "—"})
        if q.get("procedure"):
            with_procedure += 1
            procedure_hits += bool(ranks) and q["procedure"] in results[ranks[0] - 1].procedures
    n = len(queries)
    return {"queries": n, "mrr": reciprocal / n, "top1": top1 / n, "with_procedure": with_procedure,
            "procedure_hit": procedure_hits / max(1, with_procedure), "misses": misses}


def read_queries(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


if __name__ == "__main__":  # `make eval`: python -m handoff.catalogue_search tests/data/catalogue_queries.tsv
    from .config import PROJECT_ROOT
    from .topics import load_topics

    print(json.dumps(evaluate(load_topics(PROJECT_ROOT / "data" / "topics.yml"), read_queries(Path(sys.argv[1]))),
                     ensure_ascii=False))
