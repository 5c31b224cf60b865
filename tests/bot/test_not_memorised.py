"""Tests check understanding, not memory: no sentence typed in a test or an evaluation set is a
training example, or nearly one (token Jaccard ≥ 0.7 after normalisation), of the data the model
learns from — the written examples in data/nlu/ and those generated from the lexicon.

A "sentence" is a text of at least three words with letters: a bare «ναι», a name, a date or a
time typed as an answer is not a phrasing the model could have learnt."""
from __future__ import annotations

import ast
import csv
import re
from pathlib import Path

import pytest
import yaml

from bot.nlu.greek_text import normalise
from bot.nlu.lexicon import default_lexicon

ROOT = Path(__file__).resolve().parents[2]
NEAR = 0.7
MIN_WORDS = 3
_ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\{[^}]*\}")
_WORD = re.compile(r"[0-9α-ωa-z]+")


def words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(normalise(text)))


def lettered(text: str) -> list[str]:
    """The words of a text that have letters (not a date, a time or a number)."""
    return [w for w in _WORD.findall(normalise(text)) if not w.isdigit()]


def yaml_examples(path: Path) -> list[str]:
    texts = []
    for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
        for line in (block.get("examples") or "").splitlines():
            if line.strip().startswith("- "):
                texts.append(_ANNOTATION.sub(lambda m: m.group(1) or m.group(2), line.strip()[2:]))
    return texts


def training_sentences() -> list[str]:
    written = [t for path in sorted((ROOT / "data" / "nlu").glob("*.yml")) for t in yaml_examples(path)]
    return written + [t for t, _ in default_lexicon().training_examples()]


def typed_in_code(path: Path) -> list[str]:
    """String literals of a test module that a citizen could have typed: not docstrings, and
    not the accessible name of a page element the test clicks (`name="…"`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    } | {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.keyword) and node.arg == "name"}
    return [
        node.value for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped
        and not node.value.startswith("/")  # a button's payload, not words
    ]


def typed_sentences() -> list[tuple[str, str]]:
    """(where, sentence) for everything typed in the tests and the evaluation sets."""
    found = []
    for folder in ("e2e", "bot"):
        for path in sorted((ROOT / "tests" / folder).glob("*.py")):
            found += [(str(path.relative_to(ROOT)), s) for s in typed_in_code(path)]
    for path in sorted((ROOT / "tests" / "data").glob("nlu_heldout*.yml")):
        found += [(str(path.relative_to(ROOT)), s) for s in yaml_examples(path)]
    real = ROOT / "tests" / "data" / "real_questions.tsv"
    if real.exists():
        with real.open(encoding="utf-8") as f:
            found += [(str(real.relative_to(ROOT)), row["text"]) for row in csv.DictReader(f, delimiter="\t")]
    return [(where, s) for where, s in found if len(s.split()) >= MIN_WORDS and len(lettered(s)) >= MIN_WORDS]


def nearest(sentence: frozenset[str], index: dict[str, list[frozenset[str]]]) -> float:
    best = 0.0
    seen: set[frozenset[str]] = set()
    for word in sentence:
        for example in index.get(word, ()):
            if example in seen:
                continue
            seen.add(example)
            best = max(best, len(sentence & example) / len(sentence | example))
    return best


@pytest.fixture(scope="module")
def training_index() -> dict[str, list[frozenset[str]]]:
    index: dict[str, list[frozenset[str]]] = {}
    for example in {words(t) for t in training_sentences()}:
        for word in example:
            index.setdefault(word, []).append(example)
    return index


def test_the_check_catches_a_copied_and_a_retouched_example(training_index):
    example = next(t for t in training_sentences() if len(words(t)) >= 5)
    assert nearest(words(example), training_index) == 1.0
    assert nearest(words(example.upper() + " ;"), training_index) == 1.0
    assert nearest(words("κάτι εντελώς άλλο που κανείς δεν γράφει ποτέ, ζέβρες"), training_index) < NEAR


def test_no_test_sentence_was_trained_on(training_index):
    sentences = typed_sentences()
    assert len(sentences) > 300  # the e2e conversations, the phrasing tests and the evaluation sets
    memorised = sorted({
        f"{where}: {s!r} ({score:.2f})"
        for where, s in sentences
        if (score := nearest(words(s), training_index)) >= NEAR
    })
    assert not memorised, f"{len(memorised)} typed sentences are (nearly) training examples:\n" + "\n".join(memorised)
